using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.Datasets;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// Two text inputs in one <c>mtl train</c> spec, as benchmarks/wordnet_fusion.py uses them (a WordNet gloss and the synset's
/// words, fused for the supersense): each input fits its own vocabulary on the training rows and has its own embedding
/// table, the saved model predicts from both files, and <c>mtl example wordnet</c> writes the words beside the glosses.
/// </summary>
public sealed class TrainTwoTextInputsCliTests : IDisposable
{
    private const int Rows = 96;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-two-texts-" + Guid.NewGuid().ToString("N"));

    public TrainTwoTextInputsCliTests()
    {
        Directory.CreateDirectory(_dir);
        var (glosses, words, supersense) = s_rows.Value;
        File.WriteAllLines(Path.Combine(_dir, "glosses.txt"), glosses);
        File.WriteAllLines(Path.Combine(_dir, "words.txt"), words);
        ArrayFile.Write(Path.Combine(_dir, "supersense.npy"), [NdArray.Create("supersense", supersense, Rows)]);
    }

    /// <summary>Rows of WordNet spread over the four parts of speech, read once for every test of the class.</summary>
    private static readonly Lazy<(string[] Glosses, string[] Words, long[] Supersense)> s_rows = new(() =>
    {
        var wordNet = ShippedDatasets.LoadWordNetGlosses();
        int[] rows = Enumerable.Range(0, Rows).Select(i => (int)((long)i * 1223 % wordNet.Count)).ToArray();
        return (rows.Select(r => wordNet.Glosses[r]).ToArray(), rows.Select(r => wordNet.Words[r]).ToArray(),
            rows.Select(r => (long)wordNet.Supersense.Labels[r]).ToArray());
    });

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string fusion, string lemmaName = "lemma")
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [
            {"name": "gloss", "type": "text", "path": "glosses.txt", "encoder": {"type": "embedding-bag", "dim": 8}},
            {"name": "{{{lemmaName}}}", "type": "text", "path": "words.txt", "encoder": {"type": "embedding-bag", "dim": 6}}
          ],
          "tasks": [{"name": "supersense", "type": "category", "path": "supersense.npy"}],
          "split": {"test_fraction": 0.25, "validation_fraction": 0.1, "seed": 0},
          "model": {"fusion": "{{{fusion}}}", "hidden": [8]},
          "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": 1}
        }
        """);
        return path;
    }

    [Fact]
    public void EachTextInputFitsItsOwnVocabulary()
    {
        var data = TrainRun.Prepare(TrainSpec.Load(Spec("concat")));
        string[] gloss = data.Preprocessing[0].Vocabulary, lemma = data.Preprocessing[1].Vocabulary;
        Assert.NotEmpty(gloss);
        Assert.NotEmpty(lemma);
        // A vocabulary holds exactly the tokens of its own file's training texts: some lemma tokens never occur in a gloss.
        Assert.NotEqual(gloss.Length, lemma.Length);
        Assert.Contains(lemma, token => !gloss.Contains(token));
        Assert.Contains(gloss, token => !lemma.Contains(token));
    }

    [Theory]
    [InlineData("concat")]
    [InlineData("gated")]
    [InlineData("late")]
    public void TrainsOnBothTextsAndItsFilePredictsFromBoth(string fusion)
    {
        string specPath = Spec(fusion);
        var data = TrainRun.Prepare(TrainSpec.Load(specPath));
        string output = Path.Combine(_dir, "out-" + fusion);
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", specPath, "--out", output, "--threads", "1");
        Assert.True(code == 0, error + stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.InRange(metrics["tasks"]!["supersense"]!["test"]!["accuracy"]!.GetValue<double>(), 0, 1);
        string model = Path.Combine(output, "model.safetensors");
        var shapes = Safetensors.Read(model).Tensors.ToDictionary(t => t.Name, t => t.Shape.ToArray());
        Assert.Equal([data.Preprocessing[0].Vocabulary.Length, 8], shapes["encoders.gloss.bag.weight"]);
        Assert.Equal([data.Preprocessing[1].Vocabulary.Length, 6], shapes["encoders.lemma.bag.weight"]);

        string predictions = Path.Combine(_dir, "p-" + fusion + ".npz");
        var predicted = CliRunner.Mtl("predict", "--model", model, "--input", "gloss=" + Path.Combine(_dir, "glosses.txt"),
            "--input", "lemma=" + Path.Combine(_dir, "words.txt"), "--out", predictions);
        Assert.True(predicted.Code == 0, predicted.Err);
        Assert.Equal(Rows, ArrayFile.Read(predictions).Single(a => a.Name == "supersense").Shape[0]);
    }

    [Fact]
    public void TwoTextInputsOfOneNameAreASpecErrorAtTheSecond()
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec("concat", lemmaName: "gloss"), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains("inputs[1].name: the input name \"gloss\" is used twice", error);
    }

    [Fact]
    public void TheWordNetExampleWritesEachSynsetsWordsLineForLineWithItsGloss()
    {
        string example = Path.Combine(_dir, "example");
        Directory.CreateDirectory(example);
        var files = ExampleCommand.Write("wordnet", example);
        Assert.Contains("words.txt", files);
        string[] words = File.ReadAllLines(Path.Combine(example, "words.txt"));
        Assert.Equal(File.ReadAllLines(Path.Combine(example, "glosses.txt")).Length, words.Length);
        Assert.Equal("entity", words[0]);
        Assert.Equal("abstraction; abstract entity", words[2]);
    }
}
