using MtlEngine.Cli;
using MtlEngine.Data;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl aggregate</c>: the library's result written as .npy, one option per registry parameter, and the user errors.</summary>
public sealed class AggregateCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-aggregate-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private static readonly double[] JValues = [1, 0.5, -2, 0.1, -1, 1, 0.3, 0.2, 0.4, -0.2, 1, 1];

    private string WriteJacobian(string name = "j.npy")
    {
        string path = File(name);
        Npy.Write(path, NdArray.Create("", JValues, 3, 4));
        return path;
    }

    [Theory]
    [InlineData("mean")]
    [InlineData("mgda")]
    [InlineData("upgrad")]
    [InlineData("cagrad")]
    [InlineData("imtl-g")]
    [InlineData("aligned-mtl")]
    public void WritesTheLibrarysDirectionAndWeights(string method)
    {
        string j = WriteJacobian(), d = File("d.npy"), w = File("w.npy");
        var (code, stdout, stderr) = CliRunner.Mtl("aggregate", "--method", method, "--jacobian", j, "--out", d, "--weights-out", w);
        Assert.True(code == Program.ExitSuccess, stderr);
        Assert.Contains("wrote " + d, stdout);
        var expected = GradientAggregators.Create(method).Aggregate(new DenseMatrix(3, 4, JValues));
        var direction = Npy.Read(d);
        Assert.Equal(DType.Float64, direction.DType);
        Assert.Equal([4], direction.Shape.ToArray());
        Assert.Equal(expected.Direction, direction.ToDoubleArray());
        var weights = Npy.Read(w);
        Assert.Equal([3], weights.Shape.ToArray());
        Assert.Equal(expected.Weights!, weights.ToDoubleArray());
    }

    [Fact]
    public void ParametersAreOptionsAndFloat32IsAccepted()
    {
        string j = File("j32.npy"), d = File("d.npy");
        Npy.Write(j, NdArray.Create("", JValues.Select(v => (float)v).ToArray(), 3, 4));
        var (code, _, stderr) = CliRunner.Mtl("aggregate", "--method", "cagrad", "--jacobian", j, "--out", d, "--cagrad-c", "0.2", "--cagrad-rescale", "1");
        Assert.True(code == Program.ExitSuccess, stderr);
        var jacobian = new DenseMatrix(3, 4, JValues.Select(v => (double)(float)v).ToArray());
        var expected = new CaGradAggregator(0.2, CaGradRescale.OnePlusCSquared).Aggregate(jacobian).Direction;
        Assert.Equal(expected, Npy.Read(d).ToDoubleArray());
    }

    [Fact]
    public void EveryRegistryParameterIsAnOption()
    {
        var (code, stdout, _) = CliRunner.Mtl("aggregate", "--help");
        Assert.Equal(Program.ExitSuccess, code);
        foreach (var entry in GradientAggregators.All)
            foreach (var parameter in entry.Parameters) Assert.Contains("--" + parameter.Name, stdout);
    }

    [Fact]
    public void BadInputsAreOneLineUserErrors()
    {
        string j = WriteJacobian(), d = File("d.npy");
        Assert.Contains("unknown aggregation method", CliRunner.AssertUserError("aggregate", "--method", "nope", "--jacobian", j, "--out", d));
        Assert.Contains("--cagrad-c is a parameter of the method cagrad, not of mgda",
            CliRunner.AssertUserError("aggregate", "--method", "mgda", "--jacobian", j, "--out", d, "--cagrad-c", "0.3"));
        Assert.Contains("it must be finite and ≥ 0", CliRunner.AssertUserError("aggregate", "--method", "cagrad", "--jacobian", j, "--out", d, "--cagrad-c", "-1"));
        Assert.Contains("mgda-normalize", CliRunner.AssertUserError("aggregate", "--method", "mgda", "--jacobian", j, "--out", d, "--mgda-normalize", "3"));

        string vector = File("v.npy");
        Npy.Write(vector, NdArray.Create("", new double[] { 1, 2, 3 }, 3));
        Assert.Contains("must have shape (T, P)", CliRunner.AssertUserError("aggregate", "--method", "mgda", "--jacobian", vector, "--out", d));

        string nan = File("nan.npy");
        Npy.Write(nan, NdArray.Create("", new double[] { 1, double.NaN, 3, 4 }, 2, 2));
        Assert.Contains("J[0, 1] is NaN", CliRunner.AssertUserError("aggregate", "--method", "upgrad", "--jacobian", nan, "--out", d));

        string ints = File("ints.npy");
        Npy.Write(ints, NdArray.Create("", new long[] { 1, 2, 3, 4 }, 2, 2));
        Assert.Contains("dtype int64", CliRunner.AssertUserError("aggregate", "--method", "mean", "--jacobian", ints, "--out", d));

        string empty = File("empty.npy");
        Npy.Write(empty, NdArray.Create("", Array.Empty<double>(), 0, 3));
        Assert.Contains("at least one task", CliRunner.AssertUserError("aggregate", "--method", "mean", "--jacobian", empty, "--out", d));

        Assert.Contains("no such file", CliRunner.AssertUserError("aggregate", "--method", "mean", "--jacobian", File("missing.npy"), "--out", d));
        Assert.Contains("must be a .npy", CliRunner.AssertUserError("aggregate", "--method", "mean", "--jacobian", j, "--out", File("d.csv")));

        string losses = File("l.npy");
        Npy.Write(losses, NdArray.Create("", new double[] { 1, 2 }, 2));
        Assert.Contains("shape (3,)", CliRunner.AssertUserError("aggregate", "--method", "mean", "--jacobian", j, "--losses", losses, "--out", d));
        Assert.False(System.IO.File.Exists(d));
    }
}
