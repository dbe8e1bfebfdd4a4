using MtlEngine.Data;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// Save → Load of the models saved as safetensors besides ridge, PCA and logistic regression: multi-task ridge, the multi-task
/// elastic net and lasso, CCA, incremental PCA (resumable) and the text vectorizers. A loaded model must give the same bits
/// as the saved one; a damaged or foreign file must fail with a <see cref="DataFormatException"/> naming the file and the problem.
/// </summary>
public sealed class SavedModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-model-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    internal static void Same(double[] expected, double[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{what}[{i}]: {actual[i]:R} is not {expected[i]:R}");
    }

    internal static void Same(MtlTensor<double> expected, MtlTensor<double> actual, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        Same(expected.ToArray(), actual.ToArray(), what);
    }

    internal static void Same(CsrMatrix expected, CsrMatrix actual, string what)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Columns, actual.Columns);
        Assert.Equal(expected.IndPtr.ToArray(), actual.IndPtr.ToArray());
        Assert.Equal(expected.Indices.ToArray(), actual.Indices.ToArray());
        Same(expected.Values.ToArray(), actual.Values.ToArray(), what);
    }

    // ---- the models and their data ----

    internal static (List<MtlTensor<double>> X, List<MtlTensor<double>> Y) Tasks()
    {
        var diabetes = ShippedDatasets.LoadDiabetes();
        var x = diabetes.Features;
        var y = diabetes.Targets.ToArray();
        int d = x.Dim(1);
        var xs = new List<MtlTensor<double>>();
        var ys = new List<MtlTensor<double>>();
        // Three tasks: three disjoint slices of the diabetes rows.
        foreach (var (start, count) in new[] { (0, 150), (150, 90), (240, 120) })
        {
            xs.Add(MtlTensor.FromArray(x.ToArray()[(start * d)..((start + count) * d)], count, d));
            ys.Add(MtlTensor.FromArray(y[start..(start + count)], count));
        }
        return (xs, ys);
    }

    internal static MtlTensor<double> Rows(MtlTensor<double> x, int start, int count)
    {
        int d = x.Dim(1);
        return MtlTensor.FromArray(x.ToArray()[(start * d)..((start + count) * d)], count, d);
    }

    internal static (MtlTensor<double> X, MtlTensor<double> Y) Linnerud()
    {
        var data = ShippedDatasets.LoadLinnerud();
        return (data.Features, data.Targets);
    }

    private static readonly Lazy<string[]> AllGlosses = new(() => [.. ShippedDatasets.LoadWordNetGlosses().Glosses.Take(1000)]);

    internal static string[] Glosses(int start, int count) => AllGlosses.Value[start..(start + count)];

    // ---- round trips ----

    [Theory]
    [InlineData(1.0, 1.0, true)]
    [InlineData(0.05, 20.0, false)]
    [InlineData(2.0, double.PositiveInfinity, true)]
    [InlineData(double.PositiveInfinity, 3.0, true)]
    public void MultiTaskRidgeRoundTripsBitForBit(double shared, double task, bool intercept)
    {
        var (x, y) = Tasks();
        var model = new MultiTaskRidge(shared, task, intercept).Fit(x, y);
        string path = PathOf("mtr.safetensors");
        model.Save(path);
        Assert.Equal(MultiTaskRidgeModel.Kind, ModelFile.ReadKind(path));
        var loaded = MultiTaskRidgeModel.Load(path);
        Assert.Equal(model.Options, loaded.Options);
        Same(model.Coefficients, loaded.Coefficients, "coef_");
        Same(model.SharedCoefficients, loaded.SharedCoefficients, "shared_coef_");
        Same(model.TaskOffsets, loaded.TaskOffsets, "task_coef_");
        Same(model.Intercept, loaded.Intercept, "intercept_");
        var all = loaded.PredictAll(x[1]);
        for (int t = 0; t < model.Tasks; t++)
        {
            var p = model.Predict(t, x[1]);
            Same(p, loaded.Predict(t, x[1]), $"task {t} predictions");
            Same(p.ToArray(), Enumerable.Range(0, p.Dim(0)).Select(i => all[i, t]).ToArray(), $"PredictAll column {t}");
        }
        Assert.Equal(model.Objective(x, y), loaded.Objective(x, y));
    }

    [Theory]
    [InlineData(0.5, 0.7, true)]
    [InlineData(2.0, 1.0, false)]
    public void MultiTaskElasticNetRoundTripsAndWarmStartsTheSame(double alpha, double l1Ratio, bool intercept)
    {
        var (x, y) = Linnerud();
        var model = l1Ratio == 1 ? new MultiTaskLasso(alpha, intercept, MaxIterations: 3).Fit(x, y) : new MultiTaskElasticNet(alpha, l1Ratio, intercept, MaxIterations: 3).Fit(x, y);
        string path = PathOf("mten.safetensors");
        model.Save(path);
        var loaded = MultiTaskElasticNetModel.Load(path);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.Iterations, loaded.Iterations);
        Assert.Equal(model.Converged, loaded.Converged);
        Same([model.DualGap], [loaded.DualGap], "dual_gap_");
        Same(model.Coefficients, loaded.Coefficients, "coef_");
        Same(model.Intercept, loaded.Intercept, "intercept_");
        Assert.Equal(model.SelectedFeatures, loaded.SelectedFeatures);
        Same(model.Predict(x), loaded.Predict(x), "predictions");
        // Both continue to the same fit (scikit-learn's warm_start from a saved model).
        var more = model.Options with { MaxIterations = 1000 };
        Same(more.Fit(x, y, model).Coefficients, more.Fit(x, y, loaded).Coefficients, "warm-started coef_");
    }

    [Theory]
    [InlineData(2, true, false)]
    [InlineData(3, false, false)]
    [InlineData(1, true, true)]
    public void CcaRoundTripsBitForBit(int k, bool scale, bool vectorY)
    {
        var (x, y) = Linnerud();
        if (vectorY) y = MtlTensor.FromArray(Enumerable.Range(0, y.Dim(0)).Select(i => y[i, 1]).ToArray(), y.Dim(0));
        var model = new Cca(Components: k, Scale: scale).Fit(x, y);
        string path = PathOf("cca.safetensors");
        model.Save(path);
        var loaded = CcaModel.Load(path);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.Report.Iterations, loaded.Report.Iterations);
        Assert.Equal(model.Report.Converged, loaded.Report.Converged);
        Assert.Equal(model.Report.Stopped, loaded.Report.Stopped);
        Same(model.CanonicalCorrelations, loaded.CanonicalCorrelations, "canonical correlations");
        foreach (var (a, b, name) in new[]
        {
            (model.XWeights, loaded.XWeights, "x_weights_"), (model.YWeights, loaded.YWeights, "y_weights_"),
            (model.XLoadings, loaded.XLoadings, "x_loadings_"), (model.YLoadings, loaded.YLoadings, "y_loadings_"),
            (model.XRotations, loaded.XRotations, "x_rotations_"), (model.YRotations, loaded.YRotations, "y_rotations_"),
            (model.Coefficients, loaded.Coefficients, "coef_"),
        })
            Same(a, b, name);
        Same(model.TransformX(x), loaded.TransformX(x), "X scores");
        Same(model.TransformY(y), loaded.TransformY(y), "Y scores");
        Same(model.Predict(x), loaded.Predict(x), "predictions");
    }

    [Theory]
    [InlineData(10, false, 3)]
    [InlineData(10, true, 1)]
    [InlineData(null, false, 2)]
    public void IncrementalPcaResumesAfterLoadExactlyAsTheUninterruptedFit(int? k, bool whiten, int before)
    {
        var x = Rows(ShippedDatasets.LoadDigits().Features, 0, 1000);
        var options = new IncrementalPca(Components: k, BatchSize: 300, Whiten: whiten);
        var batches = IncrementalPca.Batches(x.Dim(0), 300, k ?? 0).Select(b => Rows(x, b.Start, b.End - b.Start)).ToList();
        var uninterrupted = options.Fit(x);

        var model = options.PartialFit(batches[0]);
        for (int b = 1; b < before; b++) model = model.PartialFit(batches[b]);
        string path = PathOf("ipca.safetensors");
        model.Save(path);
        var loaded = IncrementalPcaModel.Load(path);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.SamplesSeen, loaded.SamplesSeen);
        Assert.Equal(model.Batches, loaded.Batches);
        Same(model.Transform(x), loaded.Transform(x), "transform after load");
        Same(model.Variance, loaded.Variance, "var_");
        for (int b = before; b < batches.Count; b++) loaded = loaded.PartialFit(batches[b]);

        Assert.Equal(uninterrupted.SamplesSeen, loaded.SamplesSeen);
        Assert.Equal(uninterrupted.Batches, loaded.Batches);
        Same(uninterrupted.Components, loaded.Components, "components_");
        Same(uninterrupted.ExplainedVariance, loaded.ExplainedVariance, "explained_variance_");
        Same(uninterrupted.ExplainedVarianceRatio, loaded.ExplainedVarianceRatio, "explained_variance_ratio_");
        Same(uninterrupted.SingularValues, loaded.SingularValues, "singular_values_");
        Same(uninterrupted.Mean, loaded.Mean, "mean_");
        Same(uninterrupted.Variance, loaded.Variance, "var_");
        Same([uninterrupted.NoiseVariance], [loaded.NoiseVariance], "noise_variance_");
        Same(uninterrupted.Transform(x), loaded.Transform(x), "transform");
        Same(uninterrupted.InverseTransform(uninterrupted.Transform(x)), loaded.InverseTransform(loaded.Transform(x)), "inverse transform");
    }

    public static TheoryData<string> VectorizerCases => ["default", "bigrams", "binary-pattern"];

    private static TextVectorizerOptions Options(string name, bool tfidf)
    {
        TextVectorizerOptions options = tfidf ? new TfidfVectorizer() : new CountVectorizer();
        options = name switch
        {
            "bigrams" => options with { NGramRange = (1, 2), MinDf = 2, MaxDf = 0.5, StopWords = new HashSet<string> { "the", "of", "a", "or" }, Lowercase = false },
            "binary-pattern" => options with { Binary = true, TokenPattern = @"\b\w+\b", MaxFeatures = 300, MinDf = 0.002, MaxDf = 30 },
            _ => options,
        };
        if (options is TfidfVectorizer t && name != "default")
            options = t with { SublinearTf = name == "bigrams", Norm = name == "bigrams" ? TfidfNorm.L1 : TfidfNorm.None, SmoothIdf = false, UseIdf = name == "bigrams" };
        return options;
    }

    private static void SameOptions(TextVectorizerOptions expected, TextVectorizerOptions actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Lowercase, actual.Lowercase);
        Assert.Equal(expected.StopWords?.Order(StringComparer.Ordinal), actual.StopWords?.Order(StringComparer.Ordinal));
        Assert.Equal(expected.NGramRange, actual.NGramRange);
        Assert.Equal(expected.TokenPattern, actual.TokenPattern);
        Assert.Equal(expected.MinDf, actual.MinDf);
        Assert.Equal(expected.MaxDf, actual.MaxDf);
        Assert.Equal(expected.MaxFeatures, actual.MaxFeatures);
        Assert.Equal(expected.Binary, actual.Binary);
        if (expected is TfidfVectorizer e && actual is TfidfVectorizer a)
            Assert.Equal((e.Norm, e.UseIdf, e.SmoothIdf, e.SublinearTf), (a.Norm, a.UseIdf, a.SmoothIdf, a.SublinearTf));
    }

    private static readonly string[] Unicode = ["Café au lait, naïve façade", "東京 タワー and Straße", "CAFÉ façade 🙂🙂 smile", ""];

    [Theory]
    [MemberData(nameof(VectorizerCases))]
    public void CountVectorizerRoundTripsAndTransformsIdentically(string name)
    {
        var train = Glosses(0, 800).Concat(Unicode).ToArray();
        var test = Glosses(800, 200).Concat(Unicode).ToArray();
        var model = ((CountVectorizer)Options(name, tfidf: false)).Fit(train);
        string path = PathOf("counts.safetensors");
        model.Save(path);
        var loaded = CountVectorizerModel.Load(path);
        SameOptions(model.Options, loaded.Options);
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(model.Vocabulary.OrderBy(kv => kv.Value), loaded.Vocabulary.OrderBy(kv => kv.Value));
        Same(model.Transform(test), loaded.Transform(test), "counts");
    }

    [Theory]
    [MemberData(nameof(VectorizerCases))]
    public void TfidfVectorizerRoundTripsAndTransformsIdentically(string name)
    {
        var train = Glosses(0, 800).Concat(Unicode).ToArray();
        var test = Glosses(800, 200).Concat(Unicode).ToArray();
        var model = ((TfidfVectorizer)Options(name, tfidf: true)).Fit(train);
        string path = PathOf("tfidf.safetensors");
        model.Save(path);
        var loaded = TfidfVectorizerModel.Load(path);
        SameOptions(model.Options, loaded.Options);
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(model.IdfWeights is null, loaded.IdfWeights is null);
        if (model.IdfWeights is not null) Same(model.IdfWeights, loaded.IdfWeights!, "idf_");
        Same(model.Transform(test), loaded.Transform(test), "tf-idf");
    }

    [Fact]
    public void TheCountingStepOfATfidfModelIsNotSavedAsACountVectorizer()
    {
        var model = new TfidfVectorizer().Fit(Glosses(0, 50));
        Assert.Contains("TfidfVectorizerModel.Save", Assert.Throws<InvalidOperationException>(() => model.Counts.Save(PathOf("c.safetensors"))).Message);
    }

    // ---- damaged and foreign files ----

    /// <summary>Each kind: a small fitted model's Save and its type's Load.</summary>
    private static readonly Dictionary<string, (Action<string> Save, Action<string> Load)> Kinds = new()
    {
        [MultiTaskRidgeModel.Kind] = (p => new MultiTaskRidge().Fit(Tasks().X, Tasks().Y).Save(p), p => MultiTaskRidgeModel.Load(p)),
        [MultiTaskElasticNetModel.Kind] = (p => new MultiTaskElasticNet(MaxIterations: 5).Fit(Linnerud().X, Linnerud().Y).Save(p), p => MultiTaskElasticNetModel.Load(p)),
        [CcaModel.Kind] = (p => new Cca().Fit(Linnerud().X, Linnerud().Y).Save(p), p => CcaModel.Load(p)),
        [IncrementalPcaModel.Kind] = (p => new IncrementalPca(Components: 2).Fit(ShippedDatasets.LoadIris().Features).Save(p), p => IncrementalPcaModel.Load(p)),
        [CountVectorizerModel.Kind] = (p => new CountVectorizer().Fit(Glosses(0, 30)).Save(p), p => CountVectorizerModel.Load(p)),
        [TfidfVectorizerModel.Kind] = (p => new TfidfVectorizer().Fit(Glosses(0, 30)).Save(p), p => TfidfVectorizerModel.Load(p)),
    };

    public static TheoryData<string> KindNames => [.. Kinds.Keys];

    private DataFormatException LoadFails(string kind, string path)
    {
        var error = Assert.Throws<DataFormatException>(() => Kinds[kind].Load(path));
        Assert.Contains(path, error.Message);
        return error;
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void AFileOfAnotherKindNamesBothKinds(string kind)
    {
        var names = Kinds.Keys.ToList();
        string other = names[(names.IndexOf(kind) + 1) % names.Count];
        string path = PathOf(other + ".safetensors");
        Kinds[other].Save(path);
        Assert.Contains($"holds a '{other}' model, not a '{kind}' model", LoadFails(kind, path).Message);
        // The other kinds the library already had are refused the same way.
        new Ridge().Fit(Linnerud().X, Linnerud().Y).Save(path);
        Assert.Contains($"holds a 'ridge' model, not a '{kind}' model", LoadFails(kind, path).Message);
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void TruncatedAndGarbledFilesAreFormatErrors(string kind)
    {
        string path = PathOf(kind + ".safetensors");
        Kinds[kind].Save(path);
        Kinds[kind].Load(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 3)]);
        LoadFails(kind, path);
        File.WriteAllBytes(path, bytes[..5]);
        LoadFails(kind, path);
        var garbled = (byte[])bytes.Clone();
        for (int i = 8; i < 24; i++) garbled[i] = (byte)'#';
        File.WriteAllBytes(path, garbled);
        LoadFails(kind, path);
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void EveryMissingTensorIsNamed(string kind)
    {
        string path = PathOf(kind + ".safetensors");
        Kinds[kind].Save(path);
        var file = Safetensors.Read(path);
        foreach (var tensor in file.Tensors)
        {
            string damaged = PathOf("damaged.safetensors");
            Safetensors.Write(damaged, [.. file.Tensors.Where(t => t.Name != tensor.Name)], file.Metadata);
            if (kind == CcaModel.Kind && tensor.Name is "coef_" or "intercept_")
                Kinds[kind].Load(damaged); // written for Python; derived from the loadings and means, not read back
            else
                Assert.Contains($"has no tensor '{tensor.Name}'", LoadFails(kind, damaged).Message);
        }
    }

    [Fact]
    public void ModelsWithoutKindOrWithANewerVersionAreRefused()
    {
        string path = PathOf("plain.safetensors");
        Safetensors.Write(path, [NdArray.Create("coef_", new double[] { 1, 2 }, 1, 2)], new Dictionary<string, string>());
        Assert.Contains("not an MtlEngine model file", LoadFails(CcaModel.Kind, path).Message);
        Kinds[CcaModel.Kind].Save(path);
        var file = Safetensors.Read(path);
        var metadata = new Dictionary<string, string>(file.Metadata) { [ModelFile.VersionKey] = "99" };
        Safetensors.Write(path, file.Tensors, metadata);
        Assert.Contains("version 99", LoadFails(CcaModel.Kind, path).Message);
    }

    /// <summary>Rewrites the saved file of <paramref name="kind"/> with some tensors or a metadata entry replaced, and loads it.</summary>
    private DataFormatException Tampered(string kind, (string Key, string Value)? entry = null, params NdArray[] replaced)
    {
        string path = PathOf(kind + ".safetensors");
        Kinds[kind].Save(path);
        var file = Safetensors.Read(path);
        var tensors = file.Tensors.Select(t => replaced.FirstOrDefault(r => r.Name == t.Name) ?? t).ToList();
        var metadata = new Dictionary<string, string>(file.Metadata);
        if (entry is var (key, value)) metadata[key] = value;
        Safetensors.Write(path, tensors, metadata);
        return LoadFails(kind, path);
    }

    private DataFormatException Tampered(string kind, NdArray tensor) => Tampered(kind, null, tensor);

    private DataFormatException Tampered(string kind, (string Key, string Value) entry) => Tampered(kind, entry, []);

    [Fact]
    public void ShapesThatDoNotFitTogetherAreNamed()
    {
        Assert.Contains("intercept_ has 2 values where 3 were expected", Tampered(MultiTaskRidgeModel.Kind, NdArray.Create("intercept_", new double[2], 2)).Message);
        Assert.Contains("task_coef_ has shape (3, 9)", Tampered(MultiTaskRidgeModel.Kind, NdArray.Create("task_coef_", new double[27], 3, 9)).Message);
        Assert.Contains("coef_ has shape (3,)", Tampered(MultiTaskElasticNetModel.Kind, NdArray.Create("coef_", new double[3], 3)).Message);
        Assert.Contains("y_loadings_ has shape (3, 1)", Tampered(CcaModel.Kind, NdArray.Create("y_loadings_", new double[3], 3, 1)).Message);
        Assert.Contains("var_ has 3 values where 4 were expected", Tampered(IncrementalPcaModel.Kind, NdArray.Create("var_", new double[3], 3)).Message);
        Assert.Contains("n_samples_seen_ = 1", Tampered(IncrementalPcaModel.Kind, NdArray.Create("n_samples_seen_", new long[] { 1 }, 1)).Message);
        Assert.Contains("idf_ has 3 values", Tampered(TfidfVectorizerModel.Kind, NdArray.Create("idf_", new double[3], 3)).Message);
    }

    [Fact]
    public void BadMetadataIsNamed()
    {
        Assert.Contains("'lambda_task' is 'lots'", Tampered(MultiTaskRidgeModel.Kind, entry: ("lambda_task", "lots")).Message);
        Assert.Contains("λ_task = -1", Tampered(MultiTaskRidgeModel.Kind, entry: ("lambda_task", "-1")).Message);
        Assert.Contains("'fit_intercept' is 'yes'", Tampered(MultiTaskElasticNetModel.Kind, entry: ("fit_intercept", "yes")).Message);
        Assert.Contains("l1_ratio = 2", Tampered(MultiTaskElasticNetModel.Kind, entry: ("l1_ratio", "2")).Message);
        Assert.Contains("'y_rank' is '3'", Tampered(CcaModel.Kind, entry: ("y_rank", "3")).Message);
        Assert.Contains("'n_batches' is '0'", Tampered(IncrementalPcaModel.Kind, entry: ("n_batches", "0")).Message);
        Assert.Contains("ngram_range is '2,1'", Tampered(CountVectorizerModel.Kind, entry: ("ngram_range", "2,1")).Message);
        Assert.Contains("min_df is '1.5'", Tampered(CountVectorizerModel.Kind, entry: ("min_df", "1.5")).Message);
        Assert.Contains("stop_words is not a JSON list", Tampered(CountVectorizerModel.Kind, entry: ("stop_words", "[1, 2")).Message);
        Assert.Contains("TokenPattern '(' is not a valid regular expression", Tampered(CountVectorizerModel.Kind, entry: ("token_pattern", "(")).Message);
        Assert.Contains("norm is 'l3'", Tampered(TfidfVectorizerModel.Kind, entry: ("norm", "l3")).Message);
    }

    [Fact]
    public void ABrokenVocabularyIsNamed()
    {
        string names = VectorizerFile.Names, offsets = VectorizerFile.Offsets;
        NdArray Bytes(byte[] b) => NdArray.Create(names, b, b.Length);
        NdArray Offsets(params long[] o) => NdArray.Create(offsets, o, o.Length);
        Assert.Contains("term 1 (bytes 2 to 4", Tampered(CountVectorizerModel.Kind, null, Bytes([(byte)'a', (byte)'b', 0xFF, 0xFE]), Offsets(0, 2, 4)).Message);
        Assert.Contains("is not valid UTF-8", Tampered(CountVectorizerModel.Kind, null, Bytes([0xC3]), Offsets(0, 1)).Message);
        Assert.Contains($"{offsets} must run from 0 to the 3 bytes", Tampered(CountVectorizerModel.Kind, null, Bytes("abc"u8.ToArray()), Offsets(0, 2)).Message);
        Assert.Contains("is not increasing at term 1", Tampered(CountVectorizerModel.Kind, null, Bytes("abc"u8.ToArray()), Offsets(0, 3, 3)).Message);
        Assert.Contains("holds the term 'ab' twice (features 0 and 1)", Tampered(CountVectorizerModel.Kind, null, Bytes("abab"u8.ToArray()), Offsets(0, 2, 4)).Message);
        Assert.Contains("must be a uint8 vector", Tampered(CountVectorizerModel.Kind, null, NdArray.Create(names, new double[] { 97, 98 }, 2), Offsets(0, 2)).Message);
    }
}
