using System.Globalization;
using MtlEngine.Cli;
using MtlEngine.Data;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl fit pca</c> → <c>mtl predict</c> against the library, the bad inputs of issue 6, and <c>mtl bench pca</c> on a tiny size.</summary>
public sealed class PcaCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-pca-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private string WriteX(MtlTensor<double> x, string name = "x.npy")
    {
        string path = File(name);
        Npy.Write(path, NdArray.FromTensor(x));
        return path;
    }

    [Theory]
    [InlineData("full", false)]
    [InlineData("covariance", true)]
    [InlineData("randomized", false)]
    [InlineData("auto", true)]
    public void FitThenPredictEqualsTheLibraryTransform(string solver, bool whiten)
    {
        var x = ShippedDatasets.LoadWine().Features;
        string xPath = WriteX(x), model = File("m.safetensors"), output = File("p.npy");
        var args = new List<string> { "fit", "pca", "--x", xPath, "--components", "4", "--solver", solver, "--seed", "5", "--save", model };
        if (whiten) args.Add("--whiten");
        var (code, stdout, stderr) = CliRunner.Mtl([.. args]);
        Assert.True(code == Program.ExitSuccess, stderr);
        Assert.Contains("explained variance ratio", stdout);
        Assert.Contains("saved " + model, stdout);
        Assert.Equal("pca", ModelFile.ReadKind(model));

        (code, stdout, stderr) = CliRunner.Mtl("predict", "--model", model, "--x", xPath, "--out", output);
        Assert.True(code == Program.ExitSuccess, stderr);
        var predicted = Npy.Read(output).ToTensor<double>();
        var expected = new Pca(Components: 4, Whiten: whiten, Solver: Enum.Parse<PcaSolver>(solver, ignoreCase: true), Seed: 5).Fit(x).Transform(x);
        Assert.Equal(expected.Shape.ToArray(), predicted.Shape.ToArray());
        var e = expected.ToArray();
        var p = predicted.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - p[i]) <= 1e-9 * Math.Max(1, Math.Abs(e[i])), $"[{i}] {e[i]} vs {p[i]}");
    }

    [Fact]
    public void ComponentsAboveTheFeaturesIsAUserError()
    {
        string xPath = WriteX(ShippedDatasets.LoadIris().Features);
        var line = CliRunner.AssertUserError("fit", "pca", "--x", xPath, "--components", "5", "--save", File("m.safetensors"));
        Assert.Contains("--components 5", line);
        Assert.Contains("min(n_samples, n_features) = 4", line);
        Assert.False(System.IO.File.Exists(File("m.safetensors")));
    }

    [Fact]
    public void NaNInXIsAUserError()
    {
        var x = ShippedDatasets.LoadIris().Features.ToArray();
        x[9] = double.NaN;
        string xPath = WriteX(MtlTensor.FromArray(x, 150, 4));
        var line = CliRunner.AssertUserError("fit", "pca", "--x", xPath, "--components", "2", "--save", File("m.safetensors"));
        Assert.Contains("NaN", line);
        Assert.Contains("X[2, 1]", line);
    }

    [Fact]
    public void MissingFileIsAUserError()
    {
        var line = CliRunner.AssertUserError("fit", "pca", "--x", File("missing.npy"), "--components", "2", "--save", File("m.safetensors"));
        Assert.Contains("missing.npy", line);
    }

    [Fact]
    public void UnknownSolverIsAUserError()
    {
        string xPath = WriteX(ShippedDatasets.LoadIris().Features);
        var line = CliRunner.AssertUserError("fit", "pca", "--x", xPath, "--components", "2", "--solver", "arpack", "--save", File("m.safetensors"));
        Assert.Contains("arpack", line);
    }

    [Fact]
    public void PredictWithTooFewFeaturesIsAUserError()
    {
        string xPath = WriteX(ShippedDatasets.LoadIris().Features), model = File("m.safetensors");
        Assert.Equal(Program.ExitSuccess, CliRunner.Mtl("fit", "pca", "--x", xPath, "--components", "2", "--save", model).Code);
        string narrow = WriteX(MtlTensor.FromArray(new double[6], 2, 3), "narrow.npy");
        var line = CliRunner.AssertUserError("predict", "--model", model, "--x", narrow, "--out", File("p.npy"));
        Assert.Contains("4 features", line);
    }

    [Fact]
    public void BenchPrintsTheThreeSolversOnATinySize()
    {
        var (code, output, error) = CliRunner.Mtl("bench", "pca", "--threads", "1", "--rows", "300", "--features", "24", "--components", "4");
        Assert.Equal(Program.ExitSuccess, code);
        Assert.Equal("", error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var ratios = new List<double>();
        foreach (var (line, name) in lines.Zip(new[] { "pca_full", "pca_randomized", "pca_covariance" }))
        {
            var fields = line.Trim().Split(' ').Select(f => f.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            Assert.Equal(name, fields["name"]);
            Assert.Equal("1", fields["threads"]);
            Assert.InRange(double.Parse(fields["seconds"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
            ratios.Add(double.Parse(fields["explained_variance_ratio"], CultureInfo.InvariantCulture));
        }
        Assert.All(ratios, r => Assert.InRange(r, 0.5, 1.0));
        Assert.True(Math.Abs(ratios[0] - ratios[2]) < 1e-9, "covariance and full agree");
    }

    [Fact]
    public void DemoSectionSharesOnePcaBetweenTwoTasks()
    {
        var (rows, pca) = MtlEngine.Cli.Demo.PcaSharedSection.Experiment();
        Assert.Equal(16, pca.ComponentCount);
        Assert.InRange(pca.ExplainedVarianceRatio.Sum(), 0.8, 0.9);
        Assert.Equal(4, rows.Count);
        foreach (var row in rows)
            Assert.True(row.TestAccuracy > (row.Task == "digit" ? 0.88 : 0.85), $"{row.Task} on {row.Representation}: {row.TestAccuracy}");
        var (code, output, _) = CliRunner.Mtl("demo", "--section", "pca-shared");
        Assert.Equal(Program.ExitSuccess, code);
        Assert.Contains("shared PCA-16", output);
        Assert.Contains("explained variance ratio", output);
    }
}
