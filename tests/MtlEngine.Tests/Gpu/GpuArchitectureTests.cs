using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>The multi-task architectures on ilgpu-cpu: the same outputs and parameter gradients as on the CPU.</summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuArchitectureTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");
    private static readonly TaskSpec[] s_tasks = [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 2)];

    private static MultiTaskModel<float> Build(string name)
    {
        var random = new TensorRandom(3);
        KeyValuePair<string, InputEncoder<float>>[] dense = [new("x", new MlpEncoder<float>(4, [6], random))];
        return name switch
        {
            "cross-stitch" => new CrossStitch<float>(dense, s_tasks, [5, 4], random, towerHidden: [3]),
            "mmoe" => new MultiGateMixtureOfExperts<float>(dense, s_tasks, 3, [5], random, towerHidden: [3]),
            "cgc" => new CustomizedGateControl<float>(dense, s_tasks, 2, 1, [5], random),
            "ple" => new ProgressiveLayeredExtraction<float>(dense, s_tasks, 2, 1, 1, [5, 4], random),
            "dselect-k" => new DSelectK<float>(dense, s_tasks, 3, 2, [5], random),
            _ => new MultiTaskAttentionNetwork<float>([new("x", new CnnEncoder<float>(1, 4, 4, [2, 3], random))], s_tasks, random),
        };
    }

    [Theory]
    [InlineData("cross-stitch")]
    [InlineData("mmoe")]
    [InlineData("cgc")]
    [InlineData("ple")]
    [InlineData("dselect-k")]
    [InlineData("mtan")]
    public void ForwardAndGradientsOnTheDeviceMatchTheCpu(string name)
    {
        var x = name == "mtan" ? new TensorRandom(5).Normal([3, 1, 4, 4], 0f, 1f) : new TensorRandom(5).Normal([3, 4], 0f, 1f);
        (float[] Outputs, float[][] Gradients) Run(Device device)
        {
            var model = Build(name);
            model.To(device);
            var output = model.Forward(Batch<float>.Of("x", x.To(device)));
            Assert.Equal(device, output["a"].Device);
            (output["a"].Sum() + (output["b"] * output["b"]).Sum()).Backward();
            return ([.. output["a"].ToArray(), .. output["b"].ToArray()], model.Parameters().Select(p => p.Grad!.ToArray()).ToArray());
        }
        var cpu = Run(Device.Cpu);
        var device = Run(IlgpuCpu);
        DeviceAssert.Close(cpu.Outputs, device.Outputs, 1e-5, "outputs");
        for (int p = 0; p < cpu.Gradients.Length; p++) DeviceAssert.Close(cpu.Gradients[p], device.Gradients[p], 1e-4, $"gradient {p}");
    }
}
