using MtlEngine.Cli.Bench;
using MtlEngine.Data;
using MtlEngine.Learn;

namespace MtlEngine.Tests.Cli;

/// <summary>Every <c>mtl fit</c> estimator takes <c>--threads T</c> (default: all cores), checks it and passes it on.</summary>
public sealed class FitThreadsCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-fit-threads-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, double[] values, params int[] shape)
    {
        string path = Path.Combine(_dir, name);
        Npy.Write(path, NdArray.Create("", values, shape));
        return path;
    }

    [Fact]
    public void EveryFitRejectsAThreadCountOutsideItsRange()
    {
        var (xt, yt) = RidgeBench.Data(30, 4, 2);
        string x = Write("x.npy", xt.ToArray(), 30, 4), y = Write("y.npy", yt.ToArray(), 30, 2), save = Path.Combine(_dir, "m.safetensors");
        string labels = Path.Combine(_dir, "labels.npy");
        Npy.Write(labels, NdArray.Create("y", Enumerable.Range(0, 30).Select(i => (long)(i % 2)).ToArray(), 30));
        Assert.Contains("--threads", CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--threads", "0", "--save", save));
        Assert.Contains("--threads", CliRunner.AssertUserError("fit", "pca", "--x", x, "--components", "2", "--threads", "0", "--save", save));
        Assert.Contains("--threads", CliRunner.AssertUserError("fit", "cca", "--x", x, "--y", y, "--components", "1", "--threads", "-1", "--save", save));
        Assert.Contains("--threads", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", labels, "--threads", "2000", "--save", save));
    }

    [Fact]
    public void RidgeFitsTheSameModelOnOneThreadAndOnThree()
    {
        var (xt, yt) = RidgeBench.Data(50, 6, 3);
        string x = Write("x.npy", xt.ToArray(), 50, 6), y = Write("y.npy", yt.ToArray(), 50, 3);
        string one = Path.Combine(_dir, "one.safetensors"), three = Path.Combine(_dir, "three.safetensors");
        Assert.Equal(0, CliRunner.Mtl("fit", "ridge", "--x", x, "--y", y, "--threads", "1", "--save", one).Code);
        Assert.Equal(0, CliRunner.Mtl("fit", "ridge", "--x", x, "--y", y, "--threads", "3", "--save", three).Code);
        var a = RidgeModel.Load(one).Coefficients.ToArray();
        var b = RidgeModel.Load(three).Coefficients.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-12);
    }
}
