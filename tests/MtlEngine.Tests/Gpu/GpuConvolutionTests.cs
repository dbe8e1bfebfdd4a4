using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>
/// Convolution and pooling on ilgpu-cpu against their CPU twins, values and gradients, over odd shapes (stride 2,
/// padding, dilation 2, groups, non-square kernels, a pointwise kernel), and a small CNN trained on each.
/// </summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuConvolutionTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    /// <summary>Runs f on the CPU and on the device with the same leaves, a fixed random upstream gradient, and compares outputs and gradients.</summary>
    private static void Compare(string what, Func<MtlTensor<float>[], MtlTensor<float>> f, params MtlTensor<float>[] inputs)
    {
        var cpu = inputs.Select(x => { var c = x.Clone(); c.RequiresGrad = true; return c; }).ToArray();
        var device = inputs.Select(x => { var d = x.To(IlgpuCpu); d.RequiresGrad = true; return d; }).ToArray();
        var yCpu = f(cpu);
        var yDevice = f(device);
        Assert.Equal(IlgpuCpu, yDevice.Device);
        Assert.Equal(yCpu.Shape.ToArray(), yDevice.Shape.ToArray());
        DeviceAssert.Close(yCpu.ToArray(), yDevice.To(Device.Cpu).ToArray(), 1e-5, what + " output");
        var upstream = new TensorRandom(5).Normal(yCpu.Shape.ToArray(), 0f, 1f);
        yCpu.Backward(upstream);
        yDevice.Backward(upstream.To(IlgpuCpu));
        for (int k = 0; k < inputs.Length; k++)
            DeviceAssert.Close(cpu[k].Grad!.ToArray(), device[k].Grad!.To(Device.Cpu).ToArray(), 1e-4, $"{what} gradient {k}");
    }

    [Theory]
    [InlineData(2, 3, 4, 7, 6, 3, 2, 1, 1, 1, 1, 1)]   // square kernel, no padding
    [InlineData(1, 5, 6, 9, 8, 3, 3, 2, 1, 1, 1, 1)]   // batch 1, stride 2, padding 1
    [InlineData(2, 4, 6, 10, 9, 2, 3, 1, 2, 2, 1, 2)]  // dilation 2, non-square kernel, groups 2
    [InlineData(3, 6, 3, 5, 5, 1, 1, 1, 0, 1, 1, 3)]   // pointwise, groups 3
    [InlineData(2, 3, 5, 8, 7, 3, 2, 2, 1, 1, 2, 1)]   // stride 2 with dilation 2 across
    public void Conv2d_on_the_device_equals_the_cpu(int n, int c, int o, int h, int w, int kh, int kw, int stride, int pad, int dilationH, int dilationW, int groups)
    {
        var random = new TensorRandom(7);
        var x = random.Normal([n, c, h, w], 0f, 1f);
        var weight = random.Normal([o, c / groups, kh, kw], 0f, 0.5f);
        var bias = random.Normal([o], 0f, 1f);
        Compare("conv2d", t => t[0].Conv2d(t[1], t[2], (stride, stride), (pad, pad), (dilationH, dilationW), groups), x, weight, bias);
        Compare("conv2d without bias", t => t[0].Conv2d(t[1], null, (stride, 1), (pad, 0), (1, dilationW), groups), x, weight);
    }

    [Fact]
    public void Pools_on_the_device_equal_the_cpu()
    {
        var random = new TensorRandom(8);
        var x = random.Normal([2, 3, 7, 9], 0f, 1f);
        x.AsSpan()[5] = x.AsSpan()[6]; // a tie inside a window: the first maximum wins on both
        Compare("max pool 2", t => t[0].MaxPool2d((2, 2)), x);
        Compare("max pool 3 stride 2 pad 1", t => t[0].MaxPool2d((3, 3), (2, 2), (1, 1)), x);
        Compare("avg pool 3×2 pad", t => t[0].AvgPool2d((3, 2), (2, 1), (1, 1)), x);
        Compare("avg pool without padded positions", t => t[0].AvgPool2d((3, 3), (2, 2), (1, 1), countIncludePad: false), x);
        Compare("adaptive avg pool", t => t[0].AdaptiveAvgPool2d((3, 4)), x);
        Compare("adaptive avg pool to 1", t => t[0].AdaptiveAvgPool2d((1, 1)), x);
        Compare("conv1d", t => t[0].Conv1d(t[1], t[2], stride: 2, padding: 1), random.Normal([2, 3, 11], 0f, 1f), random.Normal([4, 3, 3], 0f, 1f), random.Normal([4], 0f, 1f));
    }

    private static Sequential<float> SmallCnn(TensorRandom random) => new(
        new Conv2d<float>(1, 4, (3, 3), random, padding: (1, 1)), new ReLU<float>(), new MaxPool2d<float>((2, 2)),
        new Conv2d<float>(4, 6, (3, 3), random), new ReLU<float>(), new AdaptiveAvgPool2d<float>((2, 2)),
        new Flatten<float>(), new Linear<float>(24, 3, random));

    [Fact]
    public void A_cnn_trains_on_the_device_as_on_the_cpu()
    {
        var data = new TensorRandom(9).Normal([8, 1, 10, 10], 0f, 1f);
        int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
        float[] Train(Device device, out float[] losses)
        {
            var net = SmallCnn(new TensorRandom(4));
            net.To(device);
            using var adam = new Adam<float>(net.Parameters(), 1e-2);
            var x = data.To(device);
            losses = new float[4];
            var arena = new TensorArena();
            for (int s = 0; s < losses.Length; s++)
            {
                using var step = arena.Step();
                var loss = Losses.CrossEntropy(net.Forward(x), labels);
                net.ZeroGrad();
                loss.Backward();
                adam.Step();
                losses[s] = loss.Item();
            }
            return net.Parameters()[0].To(Device.Cpu).ToArray();
        }
        var cpuWeights = Train(Device.Cpu, out var cpuLosses);
        var deviceWeights = Train(IlgpuCpu, out var deviceLosses);
        DeviceAssert.Close(cpuLosses, deviceLosses, 1e-4, "loss");
        Assert.True(cpuLosses[^1] < cpuLosses[0], $"the loss fell from {cpuLosses[0]} to {cpuLosses[^1]}");
        DeviceAssert.Close(cpuWeights, deviceWeights, 1e-3, "first conv weight");
    }
}
