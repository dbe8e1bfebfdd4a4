using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// Model files are validated on load as strictly as array files (issue 18): every metadata value parsed and range-checked,
/// every tensor of the right shape, dtype and finite, no tensor of another kind, the kind itself checked. Each case edits
/// one entry of a valid saved model and expects a <see cref="DataFormatException"/> naming it.
/// </summary>
public sealed class ModelFileValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-model-validation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static MtlTensor<double> Features() => MtlTensor.FromArray(Enumerable.Range(0, 24).Select(i => Math.Sin(i * 0.9) + i % 3).ToArray(), 8, 3);

    private string Ridge()
    {
        var y = MtlTensor.FromArray(Enumerable.Range(0, 8).Select(i => Math.Cos(i * 0.4)).ToArray(), 8);
        string path = Path.Combine(_dir, $"ridge-{Guid.NewGuid():N}.safetensors");
        new Ridge(Alpha: 0.5).Fit(Features(), y).Save(path);
        return path;
    }

    private string Logreg()
    {
        string path = Path.Combine(_dir, $"logreg-{Guid.NewGuid():N}.safetensors");
        new LogisticRegression().Fit(Features(), [0, 1, 0, 1, 1, 0, 1, 0]).Save(path);
        return path;
    }

    private string Pca()
    {
        string path = Path.Combine(_dir, $"pca-{Guid.NewGuid():N}.safetensors");
        new Pca(Components: 2).Fit(Features()).Save(path);
        return path;
    }

    /// <summary>Rewrites the model file with <paramref name="edit"/> applied to its tensors and metadata.</summary>
    private static string Edit(string path, Action<List<NdArray>, Dictionary<string, string>> edit)
    {
        var file = Safetensors.Read(path);
        var tensors = file.Tensors.ToList();
        var metadata = new Dictionary<string, string>(file.Metadata);
        edit(tensors, metadata);
        Safetensors.Write(path, tensors, metadata);
        return path;
    }

    private static void Replace(List<NdArray> tensors, NdArray replacement)
    {
        int at = tensors.FindIndex(t => t.Name == replacement.Name);
        if (at < 0) tensors.Add(replacement);
        else tensors[at] = replacement;
    }

    private static double[] Values(List<NdArray> tensors, string name) => tensors.Single(t => t.Name == name).ToDoubleArray();

    private static void Rejects(Action load, params string[] fragments)
    {
        var e = Assert.Throws<DataFormatException>(load);
        foreach (string fragment in fragments) Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData("alpha", "x")]
    [InlineData("alpha", "-1")]
    [InlineData("alpha", "NaN")]
    [InlineData("alpha", "1,2,3")]
    [InlineData("alpha", " 1")]
    [InlineData("fit_intercept", "yes")]
    [InlineData("fit_intercept", "True")]
    [InlineData("solver", "Bogus")]
    [InlineData("solver", "3")]
    [InlineData("target_rank", "7")]
    public void RidgeMetadataThatDoesNotParseIsRefused(string key, string value)
    {
        string path = Edit(Ridge(), (_, m) => m[key] = value);
        Rejects(() => RidgeModel.Load(path), key);
    }

    [Theory]
    [InlineData("whiten", "yes")]
    [InlineData("solver", "x")]
    [InlineData("requested_solver", "FULL")]
    [InlineData("n_samples", "0")]
    [InlineData("n_samples", "1e400")]
    public void PcaMetadataThatDoesNotParseIsRefused(string key, string value)
    {
        string path = Edit(Pca(), (_, m) => m[key] = value);
        Rejects(() => PcaModel.Load(path), key);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteCoefficientsAreRefused(double bad)
    {
        string ridge = Edit(Ridge(), (t, _) => { var c = Values(t, "coef_"); c[1] = bad; Replace(t, NdArray.Create("coef_", c)); });
        Rejects(() => RidgeModel.Load(ridge), "coef_[1]", "finite");
        string logreg = Edit(Logreg(), (t, _) => Replace(t, NdArray.Create("intercept_", [bad])));
        Rejects(() => LogisticRegressionModel.Load(logreg), "intercept_[0]");
        string pca = Edit(Pca(), (t, _) => { var c = Values(t, "components_"); c[4] = bad; Replace(t, NdArray.Create("components_", c, 2, 3)); });
        Rejects(() => PcaModel.Load(pca), "components_[1, 1]");
    }

    [Fact]
    public void WrongShapesAreRefused()
    {
        string ridge = Edit(Ridge(), (t, _) => Replace(t, NdArray.Create("intercept_", Values(t, "intercept_"), 1, 1)));
        Rejects(() => RidgeModel.Load(ridge), "intercept_", "(1, 1)");
        string pca = Edit(Pca(), (t, _) => Replace(t, NdArray.Create("explained_variance_", Values(t, "explained_variance_"), 2, 1)));
        Rejects(() => PcaModel.Load(pca), "explained_variance_", "(2, 1)");
        string wrongDtype = Edit(Ridge(), (t, _) => Replace(t, NdArray.Create("intercept_", [1], 1)));
        Rejects(() => RidgeModel.Load(wrongDtype), "intercept_ is int32");
    }

    [Fact]
    public void AModelOfOneKindIsNotLoadedAsAnother()
    {
        string logreg = Logreg();
        Rejects(() => RidgeModel.Load(logreg), "'logreg'", "'ridge'");
        // Relabelled by hand: the tensors give it away.
        string relabelled = Edit(Logreg(), (_, m) => m[ModelFile.KindKey] = RidgeModel.Kind);
        Rejects(() => RidgeModel.Load(relabelled), "classes_");
    }

    [Fact]
    public void Int64ClassesAreReadExactly()
    {
        // 2⁵³ + 1 and 2⁵³ are one double apart no more: read through double they would compare equal.
        string path = Edit(Logreg(), (t, _) => Replace(t, NdArray.Create("classes_", new[] { long.MaxValue - 1, long.MaxValue })));
        Rejects(() => LogisticRegressionModel.Load(path), "32-bit");
    }

    [Fact]
    public void ValidFilesStillLoad()
    {
        Assert.Equal(3, RidgeModel.Load(Ridge()).Features);
        Assert.Equal(2, PcaModel.Load(Pca()).ComponentCount);
        Assert.Equal(3, LogisticRegressionModel.Load(Logreg()).Features);
    }
}
