using System.Text.Json.Nodes;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// <c>evaluation.attribution</c> of <c>mtl train</c>: metrics.json holds each input's integrated gradients and drop-one
/// contribution per task, the contribution being the plain test metric minus the metric without the input.
/// </summary>
public sealed class TrainAttributionCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-attr-" + Guid.NewGuid().ToString("N"));

    public TrainAttributionCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string model, string evaluation)
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [
            {"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [6]}},
            {"name": "title", "type": "text", "path": "titles.txt", "encoder": {"type": "embedding-bag", "dim": 4}}
          ],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}, {"name": "size", "type": "numeric", "path": "size.npy"}],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {{{model}}},
          "training": {"epochs": 3, "batch_size": 16, "learning_rate": 0.02, "seed": 3},
          "evaluation": {{{evaluation}}}
        }
        """);
        return path;
    }

    [Fact]
    public void WritesIntegratedGradientsAndDropOneContributions()
    {
        string output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", Spec("""{"hidden": [8]}""", """{"attribution": true, "attribution_steps": 16}"""),
            "--out", output, "--threads", "2");
        Assert.True(code == 0, error + stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        var attribution = metrics["attribution"]!;
        Assert.Equal(16, attribution["steps"]!.GetValue<int>());
        Assert.Equal("fill", attribution["baseline"]!.GetValue<string>());
        double accuracy = metrics["tasks"]!["color"]!["test"]!["accuracy"]!.GetValue<double>();
        foreach (string input in new[] { "stats", "title" })
            foreach (string task in new[] { "color", "size" })
            {
                var entry = attribution["inputs"]![input]![task]!;
                Assert.True(entry["integrated_gradients_mean_abs"]!.GetValue<double>() >= Math.Abs(entry["integrated_gradients_mean"]!.GetValue<double>()));
                var drop = entry["drop_one"]!;
                double all = drop["all_inputs"]!.GetValue<double>(), without = drop["without_input"]!.GetValue<double>();
                Assert.Equal(all - without, drop["contribution"]!.GetValue<double>(), 12);
                if (task == "color") Assert.Equal(accuracy, all, 12);
            }
        Assert.True(attribution["inputs"]!["stats"]!["color"]!["integrated_gradients_mean_abs"]!.GetValue<double>() > 0);
        foreach (string task in new[] { "color", "size" })
            Assert.InRange(attribution["completeness_error"]![task]!.GetValue<double>(), 0, 0.2);
    }

    [Theory]
    [InlineData("""{"hidden": [8]}""", """{"attribution": true, "attribution_baseline": "mean"}""", "evaluation.attribution_baseline: \"mean\" is not allowed here")]
    [InlineData("""{"hidden": [8]}""", """{"attribution": true, "attribution_steps": 0}""", "evaluation.attribution_steps: must be ≥ 1, not 0")]
    public void SpecErrorsNameTheirPath(string model, string evaluation, string message)
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec(model, evaluation), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }
}
