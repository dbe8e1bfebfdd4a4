using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// The <c>alignment</c> section of <c>mtl train</c>: a contrastive model of a table and a text trains beside the task model,
/// and metrics.json holds its retrieval metrics both ways; spec errors name their JSON path.
/// </summary>
public sealed class TrainAlignmentCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-align-" + Guid.NewGuid().ToString("N"));

    public TrainAlignmentCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string alignment)
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [
            {"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [6]}},
            {"name": "title", "type": "text", "path": "titles.txt", "encoder": {"type": "embedding-bag", "dim": 4}}
          ],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {"hidden": [8]},
          "training": {"epochs": 1, "batch_size": 16, "learning_rate": 0.01, "seed": 3},
          "alignment": {{{alignment}}}
        }
        """);
        return path;
    }

    [Fact]
    public void WritesTheRetrievalMetricsBothWays()
    {
        var spec = TrainSpec.Load(Spec("""{"inputs": ["stats", "title"], "dim": 5, "temperature": 0.1, "epochs": 3, "batch_size": 16, "learning_rate": 0.01}"""));
        Assert.Equal(new AlignmentSpec("stats", "title", 5, 0.1, 3, 16, 0.01), spec.Alignment);
        string output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", Path.Combine(_dir, "spec.json"), "--out", output, "--threads", "2");
        Assert.True(code == 0, error + stdout);
        var alignment = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!["alignment"]!;
        Assert.Equal(["stats", "title"], alignment["inputs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(3, alignment["epoch_losses"]!.AsArray().Count);
        int pairs = alignment["test_pairs"]!.GetValue<int>();
        Assert.True(pairs > 10);
        foreach (string direction in new[] { "a_to_b", "b_to_a" })
        {
            var m = alignment[direction]!;
            double r1 = m["recall@1"]!.GetValue<double>(), r5 = m["recall@5"]!.GetValue<double>(), r10 = m["recall@10"]!.GetValue<double>();
            Assert.True(0 <= r1 && r1 <= r5 && r5 <= r10 && r10 <= 1, $"{direction}: {r1} {r5} {r10}");
            double median = m["median_rank"]!.GetValue<double>();
            Assert.InRange(median, 1, pairs);
            Assert.InRange(m["mean_rank"]!.GetValue<double>(), 1, pairs);
        }
        Assert.Equal(10.0 / pairs, alignment["chance"]!["recall@10"]!.GetValue<double>(), 12);
        double temperature = alignment["final_temperature"]!.GetValue<double>();
        Assert.InRange(temperature, 0.01, 1);
        Assert.NotEqual(0.1, temperature, 6); // learned
    }

    [Fact]
    public void TheJointAlignmentTrainsWithTheTaskModelAndWritesItsRetrieval()
    {
        var spec = TrainSpec.Load(Spec("""{"inputs": ["title", "stats"], "joint": true, "weight": 0.5, "dim": 3, "temperature": 0.2}"""));
        Assert.True(spec.Alignment!.Joint);
        Assert.Equal(0.5, spec.Alignment.Weight);
        Assert.Equal(1, TrainSpec.Load(Spec("""{"inputs": ["title", "stats"], "joint": true}""")).Alignment!.Weight); // λ's default
        string output = Path.Combine(_dir, "joint");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", Spec("""{"inputs": ["title", "stats"], "joint": true, "weight": 0.5, "dim": 3, "temperature": 0.2}"""),
            "--out", output, "--threads", "2");
        Assert.True(code == 0, error + stdout);
        var alignment = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!["alignment"]!;
        Assert.True(alignment["joint"]!.GetValue<bool>());
        Assert.Equal(0.5, alignment["weight"]!.GetValue<double>());
        Assert.Equal(["title", "stats"], alignment["inputs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Null(alignment["epoch_losses"]); // no model of its own
        int pairs = alignment["test_pairs"]!.GetValue<int>();
        Assert.True(pairs > 10);
        foreach (string direction in new[] { "a_to_b", "b_to_a" })
        {
            var m = alignment[direction]!;
            double r1 = m["recall@1"]!.GetValue<double>(), r10 = m["recall@10"]!.GetValue<double>();
            Assert.True(0 <= r1 && r1 <= r10 && r10 <= 1, $"{direction}: {r1} {r10}");
            Assert.InRange(m["median_rank"]!.GetValue<double>(), 1, pairs);
        }
        Assert.NotEqual(0.2, alignment["final_temperature"]!.GetValue<double>(), 6); // learned with the task model

        // The model file holds the projections, and predicts like any other.
        var names = MtlEngine.Data.Safetensors.Read(Path.Combine(output, "model.safetensors")).Tensors.Select(t => t.Name).ToArray();
        Assert.Contains("alignment.projection_a.weight", names);
        Assert.Contains("alignment.loss.logit_scale", names);
        string predictions = Path.Combine(_dir, "p.npz");
        var (predictCode, _, predictError) = CliRunner.Mtl("predict", "--model", Path.Combine(output, "model.safetensors"),
            "--input", "stats=" + Path.Combine(_dir, "x.npy"), "--input", "title=" + Path.Combine(_dir, "titles.txt"), "--out", predictions);
        Assert.True(predictCode == 0, predictError);
        Assert.Contains(MtlEngine.Data.ArrayFile.Read(predictions), a => a.Name == "color");
    }

    [Theory]
    [InlineData("""{"inputs": ["stats", "title"], "joint": true, "epochs": 3}""", "alignment.epochs: is a setting of the separate two-tower model")]
    [InlineData("""{"inputs": ["stats", "title"], "joint": true, "learning_rate": 0.1}""", "alignment.learning_rate: is a setting of the separate two-tower model")]
    [InlineData("""{"inputs": ["stats", "title"], "joint": true, "weight": -1}""", "alignment.weight: must be ≥ 0, not -1")]
    [InlineData("""{"inputs": ["stats", "title"], "joint": 1}""", "alignment.joint: must be true or false, not a number")]
    [InlineData("""{"inputs": ["stats", "title"], "joint": false, "weight": 0.5}""", "alignment.weight: is λ, the weight of the joint alignment loss beside the task losses; it applies with \"joint\": true")]
    public void JointSpecErrorsNameTheirPath(string alignment, string message)
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec(alignment), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("""{"inputs": ["stats"]}""", "alignment.inputs: names the two inputs to align, not 1")]
    [InlineData("""{"inputs": ["stats", "picture"]}""", "alignment.inputs[1]: there is no input \"picture\"; the inputs are stats, title")]
    [InlineData("""{"inputs": ["title", "title"]}""", "alignment.inputs[1]: aligns \"title\" with itself")]
    [InlineData("""{"inputs": ["stats", "title"], "temperature": 0.001}""", "alignment.temperature: must be ≥ 0.01")]
    [InlineData("""{"inputs": ["stats", "title"], "weight": 1}""", "alignment.weight")]
    public void SpecErrorsNameTheirPath(string alignment, string message)
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec(alignment), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }
}
