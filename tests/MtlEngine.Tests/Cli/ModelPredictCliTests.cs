using MtlEngine.Cli;
using MtlEngine.Data;
using MtlEngine.Datasets;
using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Learn.Text;
using MtlEngine.Tensors;
using MtlEngine.Tests.Learn;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// <c>mtl predict</c> with the model kinds saved by the library (multitask_ridge, multitask_elasticnet, incremental_pca) and
/// <c>mtl fit cca</c> → <c>mtl predict</c>: the CLI output equals the library's, bit for bit, and bad input is exit code 2.
/// </summary>
public sealed class ModelPredictCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-model-predict-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Write(MtlTensor<double> x, string name)
    {
        string path = PathOf(name);
        Npy.Write(path, NdArray.FromTensor(x));
        return path;
    }

    private MtlTensor<double> Predict(string model, string xPath, string kind)
    {
        string output = PathOf("p.npy");
        var (code, stdout, stderr) = CliRunner.Mtl("predict", "--model", model, "--x", xPath, "--out", output);
        Assert.True(code == Program.ExitSuccess, stderr);
        Assert.Contains($"({kind})", stdout);
        return Npy.Read(output).ToTensor<double>();
    }

    [Fact]
    public void MultiTaskRidgePredictsEveryTaskAsTheLibrary()
    {
        var (x, y) = SavedModelTests.Tasks();
        string model = PathOf("mtr.safetensors");
        new MultiTaskRidge(0.5, 2.0).Fit(x, y).Save(model);
        var expected = MultiTaskRidgeModel.Load(model, Parallelism.Default).PredictAll(x[2]);
        Assert.Equal(new[] { x[2].Dim(0), 3 }, expected.Shape.ToArray());
        SavedModelTests.Same(expected, Predict(model, Write(x[2], "x.npy"), "multitask_ridge"), "mtl predict");
        Assert.Contains("--proba", CliRunner.AssertUserError("predict", "--model", model, "--x", Write(x[2], "x.npy"), "--out", PathOf("p.npy"), "--proba"));
        var narrow = CliRunner.AssertUserError("predict", "--model", model, "--x", Write(MtlTensor.FromArray(new double[6], 2, 3), "narrow.npy"), "--out", PathOf("p.npy"));
        Assert.Contains("3 features", narrow);
        Assert.Contains("fitted on 10", narrow);
    }

    [Fact]
    public void MultiTaskElasticNetPredictsAsTheLibrary()
    {
        var (x, y) = SavedModelTests.Linnerud();
        string model = PathOf("mten.safetensors");
        new MultiTaskLasso(Alpha: 0.3).Fit(x, y).Save(model);
        SavedModelTests.Same(MultiTaskElasticNetModel.Load(model).Predict(x), Predict(model, Write(x, "x.npy"), "multitask_elasticnet"), "mtl predict");
        Assert.Contains("regressor", CliRunner.AssertUserError("predict", "--model", model, "--x", Write(x, "x.npy"), "--out", PathOf("p.npy"), "--proba"));
    }

    [Fact]
    public void IncrementalPcaWritesTheTransform()
    {
        var x = ShippedDatasets.LoadWine().Features;
        string model = PathOf("ipca.safetensors");
        new IncrementalPca(Components: 3, BatchSize: 60).Fit(x).Save(model);
        SavedModelTests.Same(IncrementalPcaModel.Load(model, Parallelism.Default).Transform(x), Predict(model, Write(x, "x.npy"), "incremental_pca"), "mtl predict");
    }

    [Fact]
    public void FitCcaThenPredictEqualsTheLibraryTransformOfX()
    {
        var (x, y) = SavedModelTests.Linnerud();
        string xPath = Write(x, "x.npy"), yPath = Write(y, "y.npy"), model = PathOf("cca.safetensors");
        var (code, stdout, stderr) = CliRunner.Mtl("fit", "cca", "--x", xPath, "--y", yPath, "--components", "2", "--save", model);
        Assert.True(code == Program.ExitSuccess, stderr);
        Assert.Contains("cca: 2 canonical pairs of X (20, 3) and Y (20, 3)", stdout);
        Assert.Contains("canonical correlations", stdout);
        Assert.Contains("saved " + model, stdout);
        var library = new Cca(Components: 2, Parallelism: Parallelism.Default).Fit(x, y);
        var loaded = CcaModel.Load(model);
        SavedModelTests.Same(library.XRotations, loaded.XRotations, "x_rotations_");
        SavedModelTests.Same(library.CanonicalCorrelations, loaded.CanonicalCorrelations, "canonical correlations");
        SavedModelTests.Same(library.TransformX(x), Predict(model, xPath, "cca"), "mtl predict");

        (code, _, stderr) = CliRunner.Mtl("fit", "cca", "--x", xPath, "--y", yPath, "--components", "1", "--no-scale", "--tol", "1e-12", "--save", model);
        Assert.True(code == Program.ExitSuccess, stderr);
        var unscaled = CcaModel.Load(model);
        Assert.False(unscaled.Options.Scale);
        Assert.Equal(1e-12, unscaled.Options.Tolerance);
    }

    [Fact]
    public void BadCcaInputIsAUserError()
    {
        var (x, y) = SavedModelTests.Linnerud();
        string xPath = Write(x, "x.npy"), yPath = Write(y, "y.npy"), model = PathOf("cca.safetensors");
        var line = CliRunner.AssertUserError("fit", "cca", "--x", xPath, "--y", yPath, "--components", "4", "--save", model);
        Assert.Contains("--components 4", line);
        Assert.Contains("min(n_samples, p, q) = 3", line);
        line = CliRunner.AssertUserError("fit", "cca", "--x", xPath, "--y", Write(SavedModelTests.Rows(y, 0, 10), "short.npy"), "--save", model);
        Assert.Contains("has 10 rows but X has 20", line);
        var bad = y.ToArray();
        bad[7] = double.PositiveInfinity;
        line = CliRunner.AssertUserError("fit", "cca", "--x", xPath, "--y", Write(MtlTensor.FromArray(bad, 20, 3), "inf.npy"), "--save", model);
        Assert.Contains("Infinity", line);
        Assert.Contains("missing.npy", CliRunner.AssertUserError("fit", "cca", "--x", PathOf("missing.npy"), "--y", yPath, "--save", model));
        Assert.Contains("--max-iter 0", CliRunner.AssertUserError("fit", "cca", "--x", xPath, "--y", yPath, "--max-iter", "0", "--save", model));
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void DamagedModelsAndVectorizersAreUserErrors()
    {
        var (x, y) = SavedModelTests.Linnerud();
        string xPath = Write(x, "x.npy"), model = PathOf("cca.safetensors");
        new Cca().Fit(x, y).Save(model);
        byte[] bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);
        Assert.Contains(model, CliRunner.AssertUserError("predict", "--model", model, "--x", xPath, "--out", PathOf("p.npy")));

        string vectorizer = PathOf("counts.safetensors");
        new CountVectorizer().Fit(["one document", "another document"]).Save(vectorizer);
        var line = CliRunner.AssertUserError("predict", "--model", vectorizer, "--x", xPath, "--out", PathOf("p.npy"));
        Assert.Contains("unknown model kind 'count_vectorizer'", line);
    }
}
