using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.Tests.Cli;

namespace MtlEngine.Tests.Gpu;

/// <summary><c>mtl train --device ilgpu-cpu</c> on numeric, picture and text inputs trains the model the CPU trains.</summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public sealed class GpuTrainCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-train-gpu-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_spec_trains_on_the_device_as_on_the_cpu()
    {
        TrainCliTests.WriteFixture(_dir);
        string spec = Path.Combine(_dir, "spec.json");
        File.WriteAllText(spec, TrainCliTests.Full.Replace("\"epochs\": 4", "\"epochs\": 1"));
        Assert.Equal(0, TrainCommand.Run(spec, Path.Combine(_dir, "cpu"), 1, "cpu", false, false, TextWriter.Null, CancellationToken.None));
        Assert.Equal(0, TrainCommand.Run(spec, Path.Combine(_dir, "device"), 1, "ilgpu-cpu", false, false, TextWriter.Null, CancellationToken.None));
        var cpu = Safetensors.Read(Path.Combine(_dir, "cpu", "model.safetensors")).Tensors;
        var device = Safetensors.Read(Path.Combine(_dir, "device", "model.safetensors")).Tensors;
        Assert.Equal(cpu.Select(t => t.Name), device.Select(t => t.Name));
        for (int t = 0; t < cpu.Count; t++)
        {
            var a = (float[])cpu[t].Data;
            var b = (float[])device[t].Data;
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3 * (1 + Math.Abs(a[i])), $"{cpu[t].Name}[{i}]: cpu {a[i]}, ilgpu-cpu {b[i]}");
        }
    }
}
