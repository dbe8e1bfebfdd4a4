using System.Text.Json.Nodes;
using MtlEngine.Tests.Cli;

namespace MtlEngine.Tests.MultiTask.Weighting;

/// <summary><c>mtl train</c> with <c>training.weighting</c>: a short run of a few strategies, and the spec's errors with their JSON paths.</summary>
public sealed class WeightingTrainCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-weighting-" + Guid.NewGuid().ToString("N"));

    public WeightingTrainCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string training, string sizeWeight = "1")
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [{"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [8]}}],
          "tasks": [
            {"name": "color", "type": "category", "path": "color.npy"},
            {"name": "size", "type": "numeric", "path": "size.npy", "weight": {{{sizeWeight}}}}
          ],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {"hidden": [8]},
          "training": {"epochs": 3, "batch_size": 16, "learning_rate": 0.01, "seed": 2{{{training}}}}
        }
        """);
        return path;
    }

    [Theory]
    [InlineData("dwa", """, "weighting_params": {"dwa-temperature": 3}, "gradient_conflict": true""", true)]
    [InlineData("uw", "", false)]
    [InlineData("db-mtl", "", true)]
    public void TrainsWithAStrategyAndRecordsItsWeightsAndConflictPerEpoch(string weighting, string extra, bool conflict)
    {
        string output = Path.Combine(_dir, "out-" + weighting);
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec($", \"weighting\": \"{weighting}\"" + extra), "--out", output, "--threads", "2");
        Assert.True(code == 0, error);
        var training = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!["training"]!;
        Assert.Equal(weighting, training["weighting"]!.GetValue<string>());
        var epochs = training["epochs"]!.AsArray();
        Assert.Equal(3, epochs.Count);
        foreach (var epoch in epochs)
        {
            var weights = epoch!["task_weights"]!.AsObject();
            Assert.Equal(["color", "size"], weights.Select(w => w.Key));
            Assert.All(weights, w => Assert.True(w.Value!.GetValue<double>() > 0));
            if (!conflict)
            {
                Assert.Null(epoch["gradient_conflict"]);
                continue;
            }
            var matrix = epoch["gradient_conflict"]!.AsArray();
            Assert.Equal(2, matrix.Count);
            Assert.Equal(1.0, matrix[0]![0]!.GetValue<double>(), 9);
            Assert.InRange(matrix[0]![1]!.GetValue<double>(), -1, 1);
        }
        if (weighting == "dwa") // DWA's first two epochs weigh every task 1; the third follows the loss ratios
        {
            Assert.Equal(1.0, epochs[1]!["task_weights"]!["size"]!.GetValue<double>());
            Assert.NotEqual(1.0, epochs[2]!["task_weights"]!["size"]!.GetValue<double>());
            Assert.Equal(3.0, training["weighting_params"]!["dwa-temperature"]!.GetValue<double>());
        }
        var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
        Assert.Equal(4, history.Length);
    }

    [Theory]
    [InlineData(""", "weighting": "pcgard" """, "training.weighting: \"pcgard\" is not allowed here; the allowed values are ew, fixed, uw, dwa, rlw, gls, db-mtl, famo, gradnorm, imtl-l")]
    [InlineData(""", "weighting": "dwa", "weighting_params": {"temperature": 3} """, "training.weighting_params.temperature: unknown key; the allowed keys are dwa-temperature")]
    [InlineData(""", "weighting": "gls", "weighting_params": {"gls-p": 3} """, "training.weighting_params.gls-p: \"gls\" (training.weighting) takes no parameters")]
    [InlineData(""", "weighting": "dwa", "weighting_params": {"dwa-temperature": "hot"} """, "training.weighting_params.dwa-temperature: must be a number, not a string")]
    [InlineData(""", "weighting": "dwa", "weighting_params": {"dwa-temperature": -1} """, "training.weighting_params: The strategy \"dwa\": The temperature must be positive and finite. (got -1).")]
    [InlineData(""", "weighting": "uw", "rep_grad": true """, "training.rep_grad: applies to gradient-aggregation methods, and \"uw\" (training.weighting) weighs the losses")]
    [InlineData(""", "rep_grad": 1 """, "training.rep_grad: must be true or false, not a number")]
    public void AStrategyErrorNamesItsJsonPath(string training, string expected)
    {
        var line = CliRunner.AssertUserError("train", "--spec", Spec(training.TrimEnd()), "--check");
        Assert.Contains(expected, line);
    }

    [Fact]
    public void EqualWeightingRefusesTaskWeightsAndTheDefaultIsFixedWhenThereAreSome()
    {
        var line = CliRunner.AssertUserError("train", "--spec", Spec(", \"weighting\": \"ew\"", sizeWeight: "0.5"), "--check");
        Assert.Contains("training.weighting: \"ew\" weighs every task 1, but tasks[1].weight is 0.5; use \"fixed\"", line);
        string output = Path.Combine(_dir, "out-fixed");
        Assert.Equal(0, CliRunner.Mtl("train", "--spec", Spec("", sizeWeight: "0.5"), "--out", output).Code);
        var training = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!["training"]!;
        Assert.Equal("fixed", training["weighting"]!.GetValue<string>());
        Assert.Equal(0.5, training["epochs"]![0]!["task_weights"]!["size"]!.GetValue<double>());
    }
}
