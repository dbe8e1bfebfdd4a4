using System.Text.Json;
using MtlEngine.Data;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// Python reads our model files. Fixtures/Learn/models/ holds one file of each new kind written by our <c>Save</c> (with the
/// inputs they are applied to); Fixtures/Learn/check_model_files.py reads them with NumPy (a hand-written safetensors reader:
/// the <c>safetensors</c> package is not in Debian), rebuilds scikit-learn 1.2's MultiTaskElasticNet, CCA, IncrementalPCA,
/// CountVectorizer and TfidfVectorizer from the stored attributes and writes their outputs to python_outputs.json. These tests
/// hold our loaded models to those outputs, and hold the committed bytes to what Save writes after Load.
/// </summary>
public class PythonModelFileTests
{
    private static string Committed(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "models", name);

    private static readonly Lazy<JsonElement> PythonOutputs = new(() => JsonDocument.Parse(File.ReadAllText(Committed("python_outputs.json"))).RootElement);

    private static JsonElement Python => PythonOutputs.Value;

    private static readonly string[] Kinds =
    [
        MultiTaskRidgeModel.Kind, MultiTaskElasticNetModel.Kind, CcaModel.Kind, IncrementalPcaModel.Kind,
        CountVectorizerModel.Kind, TfidfVectorizerModel.Kind,
    ];

    /// <summary>
    /// Writes the fixture models and inputs into <paramref name="directory"/>: how the committed files were made (the
    /// tests write a fresh set to bin/.../Fixtures/Learn/models-actual; copy it over models/ and rerun
    /// check_model_files.py when the format changes on purpose).
    /// </summary>
    internal static void WriteFixtures(string directory)
    {
        Directory.CreateDirectory(directory);
        string At(string name) => Path.Combine(directory, name);
        void WriteNpy(string name, MtlTensor<double> x) => Npy.Write(At(name), NdArray.FromTensor(x));

        var (tasksX, tasksY) = SavedModelTests.Tasks();
        new MultiTaskRidge(0.5, 2.0).Fit(tasksX, tasksY).Save(At("multitask_ridge.safetensors"));
        WriteNpy("multitask_ridge.x.npy", SavedModelTests.Rows(tasksX[1], 0, 12));

        var (x, y) = SavedModelTests.Linnerud();
        new MultiTaskElasticNet(Alpha: 0.3, L1Ratio: 0.6).Fit(x, y).Save(At("multitask_elasticnet.safetensors"));
        new Cca(Components: 2).Fit(x, y).Save(At("cca.safetensors"));
        WriteNpy("linnerud.x.npy", x);
        WriteNpy("linnerud.y.npy", y);

        var iris = ShippedDatasets.LoadIris().Features;
        var ipca = new IncrementalPca(Components: 2, BatchSize: 50);
        ipca.PartialFit(SavedModelTests.Rows(iris, 0, 50)).PartialFit(SavedModelTests.Rows(iris, 50, 50)).Save(At("incremental_pca.safetensors"));
        WriteNpy("iris.x.npy", iris);
        WriteNpy("iris.next_batch.npy", SavedModelTests.Rows(iris, 100, 50));

        string[] train = [.. SavedModelTests.Glosses(0, 60), "Café au lait, naïve façade", "東京 タワー and Straße Straße", "the café of the façade"];
        var options = new CountVectorizer { NGramRange = (1, 2), MinDf = 2, MaxDf = 0.8, StopWords = new HashSet<string> { "the", "of", "or", "a" } };
        options.Fit(train).Save(At("count_vectorizer.safetensors"));
        new TfidfVectorizer { SublinearTf = true, MaxFeatures = 150, Binary = false, Lowercase = false }.Fit(train).Save(At("tfidf_vectorizer.safetensors"));
        File.WriteAllText(At("documents.json"), JsonSerializer.Serialize(
            (string[])[.. SavedModelTests.Glosses(60, 12), "CAFÉ au lait naïve façade", "東京 Straße", ""]));
    }

    private static MtlTensor<double> Input(string name) => Npy.Read(Committed(name)).ToTensor<double>();

    private static string[] Documents() => JsonSerializer.Deserialize<string[]>(File.ReadAllText(Committed("documents.json")))!;

    private static void Close(JsonElement expected, MtlTensor<double> actual, double tolerance, string what)
    {
        var e = LearnFixtures.Array2(expected);
        Assert.Equal(new[] { e.GetLength(0), e.GetLength(1) }, actual.Shape.ToArray());
        Close(e.Cast<double>().ToArray(), actual.ToArray(), tolerance, what);
    }

    private static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: ours {actual[i]:R}, Python {expected[i]:R}");
    }

    private static void SameCsr(JsonElement expected, CsrMatrix actual, string what)
    {
        var shape = LearnFixtures.Labels(expected.GetProperty("shape"));
        Assert.Equal(shape, new[] { actual.Rows, actual.Columns });
        Assert.Equal(LearnFixtures.Labels(expected.GetProperty("indptr")), actual.IndPtr.ToArray());
        Assert.Equal(LearnFixtures.Labels(expected.GetProperty("indices")), actual.Indices.ToArray());
        Close(LearnFixtures.Vector(expected.GetProperty("data")), actual.Values.ToArray(), 1e-14, what);
    }

    [Fact]
    public void ScikitLearnRebuiltFromOurFilesAgreesWithOurLoadedModels()
    {
        var mtr = MultiTaskRidgeModel.Load(Committed("multitask_ridge.safetensors"));
        Close(Python.GetProperty(MultiTaskRidgeModel.Kind).GetProperty("predict"), mtr.PredictAll(Input("multitask_ridge.x.npy")), 1e-12, "multitask_ridge");

        var x = Input("linnerud.x.npy");
        var y = Input("linnerud.y.npy");
        var mten = MultiTaskElasticNetModel.Load(Committed("multitask_elasticnet.safetensors"));
        Close(Python.GetProperty(MultiTaskElasticNetModel.Kind).GetProperty("predict"), mten.Predict(x), 1e-12, "multitask_elasticnet");

        var cca = CcaModel.Load(Committed("cca.safetensors"));
        var c = Python.GetProperty(CcaModel.Kind);
        Close(c.GetProperty("x_scores"), cca.TransformX(x), 1e-12, "cca x scores");
        Close(c.GetProperty("y_scores"), cca.TransformY(y), 1e-12, "cca y scores");
        Close(c.GetProperty("predict"), cca.Predict(x), 1e-12, "cca predict");

        var ipca = IncrementalPcaModel.Load(Committed("incremental_pca.safetensors"));
        var p = Python.GetProperty(IncrementalPcaModel.Kind);
        Close(p.GetProperty("transform"), ipca.Transform(Input("iris.x.npy")), 1e-12, "incremental_pca transform");
        // scikit-learn's partial_fit continues from our file where ours does.
        var next = ipca.PartialFit(Input("iris.next_batch.npy"));
        var after = p.GetProperty("after_partial_fit");
        Assert.Equal(after.GetProperty("n_samples_seen").GetInt64(), next.SamplesSeen);
        Close(after.GetProperty("components"), next.Components, 1e-10, "components after partial_fit");
        Close(LearnFixtures.Vector(after.GetProperty("singular_values")), next.SingularValues, 1e-10, "singular values after partial_fit");
        Close(LearnFixtures.Vector(after.GetProperty("mean")), next.Mean, 1e-13, "mean after partial_fit");
        Close(LearnFixtures.Vector(after.GetProperty("var")), next.Variance, 1e-13, "var after partial_fit");
        Close(LearnFixtures.Vector(after.GetProperty("explained_variance_ratio")), next.ExplainedVarianceRatio, 1e-12, "ratio after partial_fit");

        var documents = Documents();
        var counts = CountVectorizerModel.Load(Committed("count_vectorizer.safetensors"));
        Assert.Equal(Python.GetProperty(CountVectorizerModel.Kind).GetProperty("feature_names").EnumerateArray().Select(e => e.GetString()), counts.FeatureNames);
        SameCsr(Python.GetProperty(CountVectorizerModel.Kind).GetProperty("transform"), counts.Transform(documents), "counts");
        var tfidf = TfidfVectorizerModel.Load(Committed("tfidf_vectorizer.safetensors"));
        Assert.Equal(Python.GetProperty(TfidfVectorizerModel.Kind).GetProperty("feature_names").EnumerateArray().Select(e => e.GetString()), tfidf.FeatureNames);
        SameCsr(Python.GetProperty(TfidfVectorizerModel.Kind).GetProperty("transform"), tfidf.Transform(documents), "tf-idf");
    }

    [Fact]
    public void SavingALoadedFixtureWritesTheSameBytes()
    {
        string directory = Directory.CreateTempSubdirectory("mtl-model-resave-").FullName;
        try
        {
            var loaders = new Dictionary<string, Action<string, string>>
            {
                [MultiTaskRidgeModel.Kind] = (from, to) => MultiTaskRidgeModel.Load(from).Save(to),
                [MultiTaskElasticNetModel.Kind] = (from, to) => MultiTaskElasticNetModel.Load(from).Save(to),
                [CcaModel.Kind] = (from, to) => CcaModel.Load(from).Save(to),
                [IncrementalPcaModel.Kind] = (from, to) => IncrementalPcaModel.Load(from).Save(to),
                [CountVectorizerModel.Kind] = (from, to) => CountVectorizerModel.Load(from).Save(to),
                [TfidfVectorizerModel.Kind] = (from, to) => TfidfVectorizerModel.Load(from).Save(to),
            };
            // A fresh set, for a maintainer who changes the format on purpose (see WriteFixtures).
            string actual = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "models-actual");
            WriteFixtures(actual);
            foreach (string kind in Kinds) Assert.Equal(kind, ModelFile.ReadKind(Path.Combine(actual, kind + ".safetensors")));
            foreach (string kind in Kinds)
            {
                string from = Committed(kind + ".safetensors"), to = Path.Combine(directory, kind + ".safetensors");
                Assert.Equal(kind, ModelFile.ReadKind(from));
                loaders[kind](from, to);
                Assert.True(File.ReadAllBytes(from).AsSpan().SequenceEqual(File.ReadAllBytes(to)), $"{kind}: Save(Load(file)) changed the bytes");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
