using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.Tests.Cli;
using MtlEngine.Tests.Gpu;

namespace MtlEngine.Tests.MultiTask;

/// <summary>
/// Strategies on a device (ILGPU's CPU accelerator): the Jacobian is downloaded, the direction uploaded and written into
/// the parameters' Grad on the device; the trained weights match the CPU run's.
/// </summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public sealed class WeightingDeviceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-weighting-device-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AJacobianStrategyTrainsOnTheDeviceAsOnTheCpu()
    {
        const string weighting = "db-mtl"; // T backward passes, the Jacobian downloaded, D uploaded and written into Grad
        TrainCliTests.WriteFixture(_dir);
        string spec = Path.Combine(_dir, "spec.json");
        File.WriteAllText(spec, $$$"""
        {
          "inputs": [{"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [8]}}],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}, {"name": "size", "type": "numeric", "path": "size.npy"}],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {"hidden": [8]},
          "training": {"epochs": 1, "batch_size": 16, "learning_rate": 0.01, "weighting": "{{{weighting}}}", "gradient_conflict": true}
        }
        """);
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
        Assert.Contains("gradient_conflict", File.ReadAllText(Path.Combine(_dir, "device", "metrics.json")));
    }
}
