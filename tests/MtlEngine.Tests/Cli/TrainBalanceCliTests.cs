using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;
using MtlEngine.Nn;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// <c>training.class_weights</c> and <c>training.sampling</c> of <c>mtl train</c>: balanced weights from the training rows
/// reach the task's loss, given weights are checked against the classes, balanced sampling trains, and errors name their path.
/// </summary>
public sealed class TrainBalanceCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-balance-" + Guid.NewGuid().ToString("N"));

    public TrainBalanceCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string training)
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [{"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [6]}}],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}, {"name": "big", "type": "binary", "path": "big.npy"}],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {"hidden": [8]},
          "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": 3{{{training}}}}
        }
        """);
        return path;
    }

    [Fact]
    public void BalancedWeightsAndSamplingTrain()
    {
        string specPath = Spec(""", "class_weights": "balanced", "sampling": "balanced" """);
        var spec = TrainSpec.Load(specPath);
        Assert.Equal("color", spec.Training.BalancedSamplingTask);
        var data = TrainRun.Prepare(spec);
        var color = data.TaskSpecs.Single(t => t.Name == "color");
        var labels = data.TrainRows.Select(r => data.Tasks[0].Labels![r]).ToArray();
        Assert.Equal(ClassBalancing.BalancedClassWeights(labels, color.Outputs), color.ClassWeights);
        Assert.Null(data.TaskSpecs.Single(t => t.Name == "big").ClassWeights);
        Assert.Equal(data.TrainRows.Length, TrainRun.SampleWeights(spec.Training, data)!.Length);

        string output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", specPath, "--out", output, "--threads", "2");
        Assert.True(code == 0, error + stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.True(double.IsFinite(metrics["tasks"]!["color"]!["test"]!["accuracy"]!.GetValue<double>()));
    }

    [Fact]
    public void GivenClassWeightsReachTheTask()
    {
        var spec = TrainSpec.Load(Spec(""", "class_weights": {"color": [1, 2, 0.5]}, "sampling": "balanced", "sampling_task": "color" """));
        var data = TrainRun.Prepare(spec);
        Assert.Equal([1, 2, 0.5], data.TaskSpecs.Single(t => t.Name == "color").ClassWeights);
    }

    [Theory]
    [InlineData(""", "class_weights": {"big": "balanced"}""", "training.class_weights.big: task \"big\" is binary; class weights apply to category tasks")]
    [InlineData(""", "class_weights": {"colour": "balanced"}""", "training.class_weights.colour: there is no task \"colour\"")]
    [InlineData(""", "class_weights": {"color": [1, 2]}""", "training.class_weights.color: has 2 weights, but task \"color\" has 3 classes")]
    [InlineData(""", "class_weights": {"color": [1, -2, 1]}""", "training.class_weights.color[1]: must be a finite number ≥ 0")]
    [InlineData(""", "class_weights": "equal" """, "training.class_weights: \"equal\" is not allowed here")]
    [InlineData(""", "sampling": "balanced", "sampling_task": "big" """, "training.sampling_task: \"big\" is not a category task; the category tasks are color")]
    [InlineData(""", "sampling_task": "color" """, "training.sampling_task: applies with training.sampling \"balanced\"")]
    public void SpecErrorsNameTheirPath(string training, string message)
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec(training), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }
}
