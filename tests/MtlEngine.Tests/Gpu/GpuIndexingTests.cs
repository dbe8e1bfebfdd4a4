using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>index_select, index_add, embeddings and attention on ilgpu-cpu against the CPU: values and gradients.</summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuIndexingTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Index_select_and_index_add_on_the_device_are_bitwise_the_cpus(int axis)
    {
        var random = new TensorRandom(3);
        var x = random.Normal([4, 5, 3], 0f, 1f);
        int[] indices = axis == 2 ? [2, 0, 2, 2] : [3, 0, 3, 1, 3, 0];
        int[] sourceShape = x.Shape.ToArray();
        sourceShape[axis] = indices.Length;
        var source = random.Normal(sourceShape, 0f, 1f);
        Assert.Equal(x.IndexSelect(axis, indices).ToArray(), x.To(IlgpuCpu).IndexSelect(axis, indices).To(Device.Cpu).ToArray());
        Assert.Equal(x.IndexAdd(axis, indices, source).ToArray(), x.To(IlgpuCpu).IndexAdd(axis, indices, source.To(IlgpuCpu)).To(Device.Cpu).ToArray());
        if (axis == 1) // a strided view: (3, 5, 4) after the transpose
            Assert.Equal(x.Transpose().IndexSelect(axis, indices).ToArray(), x.To(IlgpuCpu).Transpose().IndexSelect(axis, indices).To(Device.Cpu).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gather_and_scatter_add_on_the_device_are_bitwise_the_cpus_with_their_gradients(int axis)
    {
        var random = new TensorRandom(4);
        var x = random.Normal([3, 4, 5], 0f, 1f);
        int[] indexShape = [2, 3, 4];
        indexShape[axis] = 6; // longer than x on the gathered axis, shorter elsewhere; values repeat
        var values = random.Integers(indexShape, 0, x.Shape[axis]).ToArray();
        var index = MtlTensor.FromArray(values, indexShape);
        var source = random.Normal(indexShape, 0f, 1f);
        (float[] Gathered, float[] Scattered, float[] GradX, float[] GradSource) Run(Device device)
        {
            var xd = x.To(device);
            var sd = source.To(device);
            xd.RequiresGrad = true;
            sd.RequiresGrad = true;
            var gathered = xd.Gather(axis, index);
            var scattered = xd.ScatterAdd(axis, index, sd);
            (gathered.Square().Sum() + (scattered * scattered).Sum()).Backward();
            return (gathered.To(Device.Cpu).ToArray(), scattered.To(Device.Cpu).ToArray(), xd.Grad!.To(Device.Cpu).ToArray(), sd.Grad!.To(Device.Cpu).ToArray());
        }
        var cpu = Run(Device.Cpu);
        var device = Run(IlgpuCpu);
        Assert.Equal(cpu.Gathered, device.Gathered);
        Assert.Equal(cpu.Scattered, device.Scattered);
        DeviceAssert.Close(cpu.GradX, device.GradX, 1e-6, "∂/∂x");
        DeviceAssert.Close(cpu.GradSource, device.GradSource, 1e-6, "∂/∂source");
    }

    [Fact]
    public void An_embedding_with_a_padding_row_trains_on_the_device_as_on_the_cpu()
    {
        int[] tokens = [1, 4, 0, 4, 2, 0, 3, 4];
        float[] Step(Device device)
        {
            var embedding = new Embedding<float>(6, 3, new TensorRandom(5), paddingIndex: 0);
            embedding.To(device);
            var output = embedding.Forward(tokens, 2, 4);
            Assert.Equal(device, output.Device);
            var upstream = new TensorRandom(6).Normal([2, 4, 3], 0f, 1f).To(device);
            output.Backward(upstream);
            return embedding.Weight.Grad!.To(Device.Cpu).ToArray();
        }
        var cpu = Step(Device.Cpu);
        Assert.Equal(cpu, Step(IlgpuCpu));
        Assert.All(cpu[..3], g => Assert.Equal(0f, g)); // the padding row learns nothing
    }

    [Theory]
    [InlineData(BagMode.Mean)]
    [InlineData(BagMode.Sum)]
    public void An_embedding_bag_on_the_device_equals_the_cpu(BagMode mode)
    {
        int[] indices = [3, 1, 3, 0, 4, 4, 2];
        int[] offsets = [0, 3, 3, 5]; // bag 1 is empty
        float[] weights = [0.5f, 2f, 1f, -1f, 0.25f, 1f, 3f];
        (float[] Output, float[] Grad) Run(Device device)
        {
            var bag = new EmbeddingBag<float>(5, 3, new TensorRandom(9), mode);
            bag.To(device);
            var output = bag.Forward(indices, offsets, weights);
            output.Backward(new TensorRandom(2).Normal([4, 3], 0f, 1f).To(device));
            return (output.To(Device.Cpu).ToArray(), bag.Weight.Grad!.To(Device.Cpu).ToArray());
        }
        var cpu = Run(Device.Cpu);
        var device = Run(IlgpuCpu);
        DeviceAssert.Close(cpu.Output, device.Output, 1e-6, "output");
        DeviceAssert.Close(cpu.Grad, device.Grad, 1e-6, "∂/∂weight");
    }

    [Fact]
    public void Multihead_attention_with_masks_runs_on_the_device_as_on_the_cpu()
    {
        var random = new TensorRandom(7);
        var q = random.Normal([2, 3, 8], 0f, 1f);
        var kv = random.Normal([2, 4, 8], 0f, 1f);
        (float[] Output, float[] Grad) Run(Device device)
        {
            var attention = new MultiheadAttention<float>(8, 2, new TensorRandom(8));
            attention.To(device);
            var query = q.To(device);
            query.RequiresGrad = true;
            var output = attention.Forward(query, kv.To(device), kv.To(device)).Output;
            output.Square().Sum().Backward();
            return (output.To(Device.Cpu).ToArray(), query.Grad!.To(Device.Cpu).ToArray());
        }
        var cpu = Run(Device.Cpu);
        var device = Run(IlgpuCpu);
        DeviceAssert.Close(cpu.Output, device.Output, 1e-5, "output");
        DeviceAssert.Close(cpu.Grad, device.Grad, 1e-4, "query gradient");
    }
}
