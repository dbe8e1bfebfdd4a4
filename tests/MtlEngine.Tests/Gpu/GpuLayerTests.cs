using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>BatchNorm (buffers moved by Module.To) and MultiheadAttention on ilgpu-cpu match the CPU; integer indexing refuses device operands.</summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuLayerTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    [Fact]
    public void Buffers_move_with_the_module_and_running_statistics_update_on_the_device()
    {
        var cpu = new BatchNorm1d<float>(3);
        var device = new BatchNorm1d<float>(3);
        device.To(IlgpuCpu);
        Assert.All(device.NamedBuffers(), b => Assert.Equal(IlgpuCpu, b.Value.Device));
        var random = new TensorRandom(6);
        for (int step = 0; step < 2; step++)
        {
            var x = random.Normal([5, 3, 4], 1f, 2f);
            var expected = cpu.Forward(x).ToArray();
            var actual = device.Forward(x.To(IlgpuCpu)).ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4);
        }
        var cpuState = cpu.StateDict();
        var deviceState = device.StateDict();
        for (int k = 0; k < cpuState.Count; k++)
        {
            Assert.Equal(cpuState[k].Name, deviceState[k].Name);
            Assert.Equal(cpuState[k].ToDoubleArray(), deviceState[k].ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        }
        cpu.Eval();
        device.Eval();
        var z = random.Normal([2, 3], 0f, 1f);
        var y = cpu.Forward(z).ToArray();
        var yDevice = device.Forward(z.To(IlgpuCpu)).ToArray();
        for (int i = 0; i < y.Length; i++) Assert.Equal(y[i], yDevice[i], 1e-4);
    }

    [Fact]
    public void Multihead_attention_runs_on_the_device_as_on_the_cpu()
    {
        var cpu = new MultiheadAttention<float>(8, 2, new TensorRandom(3));
        var device = new MultiheadAttention<float>(8, 2, new TensorRandom(3));
        device.To(IlgpuCpu);
        var x = new TensorRandom(4).Normal([2, 5, 8], 0f, 1f);
        var padding = MtlTensor.FromArray([0f, 0, 0, 1, 1, 0, 0, 0, 0, 0], 2, 5);
        var expected = cpu.Forward(x, x, x, AttentionMask.Ignore(padding), isCausal: true);
        var actual = device.Forward(x.To(IlgpuCpu), x.To(IlgpuCpu), x.To(IlgpuCpu), AttentionMask.Ignore(padding.To(IlgpuCpu)), isCausal: true);
        var e = expected.Output.ToArray();
        var a = actual.Output.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], 1e-4);
    }
}
