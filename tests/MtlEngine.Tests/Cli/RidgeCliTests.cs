using System.Globalization;
using MtlEngine.Cli.Bench;
using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl fit ridge</c>, the "ridge" entry of <c>mtl predict</c>, their user errors, and <c>mtl bench ridge</c> on a tiny size.</summary>
public sealed class RidgeCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-ridge-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, double[] values, params int[] shape)
    {
        string path = Path.Combine(_dir, name);
        Npy.Write(path, NdArray.Create("", values, shape));
        return path;
    }

    private (string X, string Y, MtlTensor<double> XT, MtlTensor<double> YT) Data(int n = 40, int d = 5, int t = 2)
    {
        var (x, y) = RidgeBench.Data(n, d, t);
        return (Write("x.npy", x.ToArray(), n, d), Write("y.npy", y.ToArray(), n, t), x, y);
    }

    [Fact]
    public void FitThenPredictEqualsTheLibrary()
    {
        var (x, y, xt, yt) = Data();
        var w = Write("w.npy", [.. Enumerable.Range(0, 40).Select(i => 0.5 + i % 3)], 40);
        string model = Path.Combine(_dir, "m.safetensors"), output = Path.Combine(_dir, "p.npy");
        var (code, stdout, stderr) = CliRunner.Mtl("fit", "ridge", "--x", x, "--y", y, "--alpha", "0.3", "--solver", "svd", "--sample-weight", w, "--save", model);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("solver svd", stdout);
        Assert.Contains("R²", stdout);
        Assert.Equal(0, CliRunner.Mtl("predict", "--model", model, "--x", x, "--out", output).Code);
        var expected = new Ridge(Alpha: 0.3, Solver: RidgeSolver.Svd).Fit(xt, yt, [.. Enumerable.Range(0, 40).Select(i => 0.5 + i % 3.0)]).Predict(xt).ToArray();
        var actual = Npy.Read(output).ToDoubleArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-10);
    }

    [Fact]
    public void AlphasRunsRidgeCVAndSavesARidgeModelWithTheChosenAlpha()
    {
        var (x, y, xt, yt) = Data();
        string model = Path.Combine(_dir, "cv.safetensors");
        var (code, stdout, _) = CliRunner.Mtl("fit", "ridge", "--x", x, "--y", y, "--alphas", "0.01,1,100", "--no-intercept", "--save", model);
        Assert.Equal(0, code);
        Assert.Contains("RidgeCV", stdout);
        var cv = new RidgeCV([0.01, 1, 100], FitIntercept: false, AlphaPerTarget: true).Fit(xt, yt);
        var file = ModelFile.Read(model, "ridge");
        Assert.Equal(string.Join(",", cv.Alpha.Select(a => a.ToString("R", CultureInfo.InvariantCulture))), file.Text("alpha"));
        Assert.Equal("false", file.Text("fit_intercept"));
        Assert.Equal(cv.Coefficients.ToArray(), RidgeModel.Load(model).Coefficients.ToArray());
    }

    [Fact]
    public void BadInputIsAUserErrorNamingTheProblem()
    {
        var (x, y, _, _) = Data();
        string save = Path.Combine(_dir, "m.safetensors");
        var nan = Write("nan.npy", [.. Enumerable.Range(0, 40 * 5).Select(i => i == 7 ? double.NaN : i)], 40, 5);
        Assert.Contains("X[1, 2] is NaN", CliRunner.AssertUserError("fit", "ridge", "--x", nan, "--y", y, "--save", save));
        // A float32 X is converted (a float64 one is checked in place): the same check, the same place named.
        string nan32 = Path.Combine(_dir, "nan32.npy");
        Npy.Write(nan32, NdArray.Create("", Enumerable.Range(0, 40 * 5).Select(i => i == 7 ? float.NaN : (float)i).ToArray(), 40, 5));
        Assert.Contains("X[1, 2] is NaN", CliRunner.AssertUserError("fit", "ridge", "--x", nan32, "--y", y, "--save", save));
        var shortY = Write("short.npy", new double[39], 39);
        Assert.Contains("rows", CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", shortY, "--save", save));
        Assert.Contains("missing.npy", CliRunner.AssertUserError("fit", "ridge", "--x", Path.Combine(_dir, "missing.npy"), "--y", y, "--save", save));
        Assert.Contains("--bogus", CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--bogus", "--save", save));
        Assert.Contains("qr", CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--solver", "qr", "--save", save));
        Assert.Contains("-2", CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--alpha", "-2", "--save", save));
        Assert.Contains("0", CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--alphas", "1,0", "--save", save));
        CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--alpha", "1", "--alphas", "1,2", "--save", save);
        var badWeights = Write("bw.npy", [.. Enumerable.Range(0, 40).Select(i => i == 3 ? -1.0 : 1.0)], 40);
        CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--sample-weight", badWeights, "--save", save);
        Assert.False(File.Exists(save));
        // predict: --proba on a regressor, and X of the wrong width.
        Assert.Equal(0, CliRunner.Mtl("fit", "ridge", "--x", x, "--y", y, "--save", save).Code);
        CliRunner.AssertUserError("predict", "--model", save, "--x", x, "--out", Path.Combine(_dir, "p.npy"), "--proba");
        var narrow = Write("narrow.npy", new double[40 * 4], 40, 4);
        Assert.Contains("features", CliRunner.AssertUserError("predict", "--model", save, "--x", narrow, "--out", Path.Combine(_dir, "p.npy")));
    }

    [Fact]
    public void DemoSectionPrintsItsPerTaskTables()
    {
        var (code, output, _) = CliRunner.Mtl("demo", "--section", "ridge-multitask");
        Assert.Equal(0, code);
        Assert.Contains("MultiTaskRidge λ_task/λ_shared=1", output);
        Assert.Contains("RidgeCV, α per target", output);
        Assert.Contains("test R²", output);
    }

    [Fact]
    public void BenchPrintsTheRidgeLine()
    {
        var output = new StringWriter();
        Assert.Equal(0, RidgeBench.Run(1, output, n: 300, d: 24, targets: 3));
        var fields = output.ToString().Trim().Split(' ').Select(f => f.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal("ridge", fields["name"]);
        Assert.Equal("300", fields["n"]);
        Assert.Equal("1", fields["threads"]);
        Assert.True(double.Parse(fields["r2"], CultureInfo.InvariantCulture) > 0.5);
        Assert.InRange(double.Parse(fields["seconds"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        // The generator the peer (benchmarks/peers/ridge_peer.py) reproduces: values NumPy computed.
        Assert.Equal(0.1330796686614273, RidgeBench.Uniform(12345));
        Assert.Equal(0.4661670116660206, RidgeBench.Uniform((1UL << 33) + 7));
    }
}
