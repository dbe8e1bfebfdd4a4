using MtlEngine.Data;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl fit logreg</c> and the "logreg" entry of <c>mtl predict</c>: round trip against the library, bad input → exit 2.</summary>
public sealed class LogregCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-logreg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, NdArray array)
    {
        string path = Path.Combine(_dir, name);
        Npy.Write(path, array);
        return path;
    }

    private (string X, string Y, MtlTensor<double> Features, int[] Labels) Iris()
    {
        var d = ShippedDatasets.LoadIris();
        return (Write("x.npy", NdArray.FromTensor(d.Features)), Write("y.npy", NdArray.Create("y", d.Labels.Select(l => (long)l).ToArray(), d.SampleCount)),
            d.Features, d.Labels);
    }

    [Fact]
    public void FitThenPredictMatchesTheLibrary()
    {
        var (x, y, features, labels) = Iris();
        string model = Path.Combine(_dir, "m.safetensors");
        var (code, output, error) = CliRunner.Mtl("fit", "logreg", "--x", x, "--y", y, "--c", "0.5", "--class-weight", "balanced", "--save", model);
        Assert.True(code == 0, error);
        Assert.Contains("solver=lbfgs", output);
        Assert.Contains("train_accuracy=", output);
        Assert.Contains("saved " + model, output);

        var reference = new LogisticRegression { C = 0.5, BalancedClassWeight = true }.Fit(features, labels);
        string labelsOut = Path.Combine(_dir, "p.npy"), probaOut = Path.Combine(_dir, "q.npy");
        Assert.Equal(0, CliRunner.Mtl("predict", "--model", model, "--x", x, "--out", labelsOut).Code);
        Assert.Equal(0, CliRunner.Mtl("predict", "--model", model, "--x", x, "--out", probaOut, "--proba").Code);
        var predicted = Npy.Read(labelsOut);
        Assert.Equal(DType.Float64, predicted.DType);
        Assert.Equal(reference.Predict(features).Select(l => (double)l), predicted.ToDoubleArray());
        var proba = Npy.Read(probaOut);
        Assert.Equal([150, 3], proba.Shape.ToArray());
        Assert.Equal(reference.PredictProba(features).ToArray(), proba.ToDoubleArray());
    }

    [Fact]
    public void NewtonCgAndMaxIterOptionsReachTheFit()
    {
        var (x, y, _, _) = Iris();
        string model = Path.Combine(_dir, "m.safetensors");
        var (code, output, _) = CliRunner.Mtl("fit", "logreg", "--x", x, "--y", y, "--solver", "newton-cg", "--max-iter", "3", "--tol", "1e-12", "--save", model);
        Assert.Equal(0, code);
        Assert.Contains("solver=newton-cg iterations=3 converged=no", output);
        Assert.Contains("warning: not converged", output);
    }

    [Fact]
    public void NonIntegerLabelsAreAUserError()
    {
        var (x, _, _, _) = Iris();
        string y = Write("yf.npy", NdArray.Create("y", Enumerable.Range(0, 150).Select(i => i * 0.5).ToArray(), 150));
        Assert.Contains("labels must be integers", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--save", Path.Combine(_dir, "m.safetensors")));
    }

    [Fact]
    public void OneClassIsAUserError()
    {
        var (x, _, _, _) = Iris();
        string y = Write("y1.npy", NdArray.Create("y", new long[150], 150));
        Assert.Contains("at least two classes", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--save", Path.Combine(_dir, "m.safetensors")));
    }

    [Fact]
    public void RowsThatDifferAreAUserError()
    {
        var (x, _, _, labels) = Iris();
        string y = Write("y9.npy", NdArray.Create("y", labels[..149].Select(l => (long)l).ToArray(), 149));
        Assert.Contains("rows of X and y must match", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--save", Path.Combine(_dir, "m.safetensors")));
    }

    [Fact]
    public void NaNInXIsAUserError()
    {
        var (_, y, features, _) = Iris();
        var values = features.ToArray();
        values[13] = double.NaN;
        string x = Write("xn.npy", NdArray.Create("x", values, 150, 4));
        Assert.Contains("NaN", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--save", Path.Combine(_dir, "m.safetensors")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    public void NonPositiveCIsAUserError(string c)
    {
        var (x, y, _, _) = Iris();
        Assert.Contains("--c must be > 0", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--c", c, "--save", Path.Combine(_dir, "m.safetensors")));
    }

    [Fact]
    public void UnknownClassWeightAndSolverAreUserErrors()
    {
        var (x, y, _, _) = Iris();
        string model = Path.Combine(_dir, "m.safetensors");
        Assert.Contains("--class-weight", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--class-weight", "heavy", "--save", model));
        Assert.Contains("--solver", CliRunner.AssertUserError("fit", "logreg", "--x", x, "--y", y, "--solver", "saga", "--save", model));
    }

    [Fact]
    public void PredictWithTheWrongFeatureCountIsAUserError()
    {
        var (x, y, _, _) = Iris();
        string model = Path.Combine(_dir, "m.safetensors");
        Assert.Equal(0, CliRunner.Mtl("fit", "logreg", "--x", x, "--y", y, "--save", model).Code);
        string x3 = Write("x3.npy", NdArray.Create("x", new double[6], 2, 3));
        Assert.Contains("fitted on 4", CliRunner.AssertUserError("predict", "--model", model, "--x", x3, "--out", Path.Combine(_dir, "p.npy")));
    }
}

/// <summary><c>mtl bench logreg</c> on a tiny synthetic set: the two lines, with their quality figures.</summary>
public sealed class LogregBenchTests
{
    [Fact]
    public void BenchLogregPrintsDigitsAndSyntheticLines()
    {
        var (code, output, error) = CliRunner.Mtl("bench", "logreg", "--threads", "1", "--n", "200");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("name=logreg_digits n=1797 d=64 classes=10 seconds=", lines[0]);
        Assert.Contains("train_accuracy=0.9844", lines[0]); // scikit-learn's figure (Fixtures/Learn, sk_default of "digits")
        Assert.StartsWith("name=logreg_synth n=200 d=256 classes=10 seconds=", lines[1]);
        Assert.Contains("iterations=", lines[1]);
    }

    [Fact]
    public void SyntheticDataIsTheFormula()
    {
        // The first values, as benchmarks/peers/logreg_peer.py computes them (printed there with repr()).
        var (x, y) = MtlEngine.Cli.Bench.LogregBench.Synthetic(3, 256, 10);
        Assert.Equal([5, 5, 0], y);
        Assert.Equal([-0.6550863255855267, -0.21376175414214102, -0.4318395928178079, -0.5555264145586893], x.ToArray()[..4]);
    }
}
