using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using MtlEngine.Tests.Gpu;

namespace MtlEngine.Tests.MultiTask.Weighting;

/// <summary>
/// Aggregation on a device (ILGPU's CPU accelerator): the Jacobian is downloaded, the direction uploaded and written into
/// the parameters' Grad on the device, on the shared parameters and through the representation; the gradients match the CPU's.
/// </summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public sealed class WeightingDeviceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AggregationWritesTheCpusGradientsOnTheDevice(bool representation)
    {
        var cpu = Gradients(Device.Cpu, representation);
        var device = Gradients(Device.Parse("ilgpu-cpu"), representation);
        Assert.Equal(cpu.Keys, device.Keys);
        foreach (var (name, a) in cpu)
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - device[name][i]) <= 1e-4 * (1 + Math.Abs(a[i])), $"{name}[{i}]: cpu {a[i]}, ilgpu-cpu {device[name][i]}");
    }

    private static Dictionary<string, float[]> Gradients(Device device, bool representation)
    {
        var tasks = WeightingFixture.Tasks;
        var model = new HardParameterSharing<float>([new("x", new MlpEncoder<float>(3, [4], new TensorRandom(1)))], [5], tasks, new TensorRandom(11));
        model.To(device);
        var x = MtlTensor.FromArray(Enumerable.Range(0, 15).Select(i => MathF.Sin(0.7f * i)).ToArray(), 5, 3).To(device);
        var b = MtlTensor.FromArray(Enumerable.Range(0, 5).Select(i => MathF.Cos(i)).ToArray(), 5, 1).To(device);
        var c = MtlTensor.FromArray(Enumerable.Range(0, 10).Select(i => MathF.Sin(1.3f * i)).ToArray(), 5, 2).To(device);
        var batch = new Batch<float>(new Dictionary<string, BatchInput<float>> { ["x"] = BatchInput<float>.Dense(x) },
            new Dictionary<string, BatchTarget<float>>
            {
                ["a"] = BatchTarget<float>.FromLabels([0, 1, 2, 0, 1]),
                ["b"] = BatchTarget<float>.FromValues(b, MtlTensor.OnesLike(b)),
                ["c"] = BatchTarget<float>.FromValues(c, MtlTensor.OnesLike(c)),
            });
        var output = model.Forward(batch);
        var losses = tasks.ToDictionary(t => t.Name, t => TaskObjectives.Loss(t, output[t.Name], batch.Target(t.Name)));
        new AggregationStrategy<float>(new MeanAggregator(), tasks, representation).Backward(new TrainingStep<float>(model, batch, output, losses, 1, 0));
        return model.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Grad!.To(Device.Cpu).ToArray());
    }
}
