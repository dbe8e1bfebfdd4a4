using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.MultiTask;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// <c>model.architecture</c> in <c>mtl train</c>: each architecture builds from a spec (with its own keys), a short MMoE
/// run whose saved file predicts on its own, and spec errors with their JSON paths.
/// </summary>
public sealed class TrainArchitectureCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-arch-" + Guid.NewGuid().ToString("N"));

    public TrainArchitectureCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string model, string inputs = """
        {"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [6]}},
        {"name": "title", "type": "text", "path": "titles.txt", "encoder": {"type": "embedding-bag", "dim": 4}}
        """, int epochs = 3)
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$"""
        {
          "inputs": [{{inputs}}],
          "tasks": [
            {"name": "color", "type": "category", "path": "color.npy"},
            {"name": "big", "type": "binary", "path": "big.npy"},
            {"name": "size", "type": "numeric", "path": "size.npy"}
          ],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {{model}},
          "training": {"epochs": {{epochs}}, "batch_size": 16, "learning_rate": 0.01, "seed": 3}
        }
        """);
        return path;
    }

    private const string Pictures = """{"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {"type": "cnn", "channels": [3, 4]}}""";

    [Theory]
    [InlineData("""{"architecture": "hps", "hidden": [8]}""", typeof(HardParameterSharing<float>))]
    [InlineData("""{"architecture": "cross-stitch", "hidden": [8, 4], "tower_hidden": [3]}""", typeof(CrossStitch<float>))]
    [InlineData("""{"architecture": "mmoe", "experts": 3, "expert_hidden": [8]}""", typeof(MultiGateMixtureOfExperts<float>))]
    [InlineData("""{"architecture": "cgc", "shared_experts": 2, "task_experts": 1, "hidden": [8]}""", typeof(CustomizedGateControl<float>))]
    [InlineData("""{"architecture": "ple", "levels": 2, "shared_experts": 1, "task_experts": 1, "expert_hidden": [8]}""", typeof(ProgressiveLayeredExtraction<float>))]
    [InlineData("""{"architecture": "dselect-k", "experts": 4, "k": 2, "gamma": 0.5, "expert_hidden": [8]}""", typeof(DSelectK<float>))]
    public void EachArchitectureBuildsFromItsKeys(string model, Type expected)
    {
        var spec = TrainSpec.Load(Spec(model));
        var data = TrainRun.Prepare(spec);
        var built = TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs);
        Assert.IsType(expected, built);
        built.CheckRoles();
        var output = built.Forward(data.Dataset.Batch(data.TrainRows[..5]));
        Assert.Equal([5, 3], output["color"].Shape.ToArray());
    }

    [Fact]
    public void MtanBuildsOverPicturesAndCheckReportsTheModel()
    {
        var (code, output, error) = CliRunner.Mtl("train", "--spec", Spec("""{"architecture": "mtan", "tower_hidden": [4]}""", Pictures), "--check");
        Assert.True(code == 0, error);
        Assert.Contains("model mtan: ", output);
        var spec = TrainSpec.Load(Path.Combine(_dir, "spec.json"));
        var data = TrainRun.Prepare(spec);
        Assert.IsType<MultiTaskAttentionNetwork<float>>(TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs));
    }

    [Fact]
    public void ShortMmoeRunTrainsAndItsFilePredictsAlone()
    {
        string spec = Spec("""{"architecture": "mmoe", "experts": 3, "expert_hidden": [8], "tower_hidden": [4], "dropout": 0.1}""");
        string output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", spec, "--out", output, "--threads", "2");
        Assert.True(code == 0, error);
        Assert.Contains("epoch 3/3", stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.True(double.IsFinite(metrics["tasks"]!["color"]!["test"]!["accuracy"]!.GetValue<double>()));
        string model = Path.Combine(output, "model.safetensors");
        var names = Safetensors.Read(model).Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("experts.2.0.weight", names);
        Assert.Contains("gates.color.weight", names);
        Assert.Contains("towers.size.0.weight", names);
        Assert.Contains("heads.big.weight", names);
        string predictions = Path.Combine(_dir, "p.npz");
        Assert.Equal(0, CliRunner.Mtl("predict", "--model", model, "--input", "stats=" + Path.Combine(_dir, "x.npy"),
            "--input", "title=" + Path.Combine(_dir, "titles.txt"), "--out", predictions).Code);
        Assert.Equal([90, 2], ArrayFile.Read(predictions).Single(a => a.Name == "size").Shape.ToArray());
    }

    [Theory]
    [InlineData("""{"architecture": "moe"}""", "model.architecture: \"moe\" is not allowed here; the allowed values are hps, cross-stitch, mmoe, cgc, ple, dselect-k, mtan")]
    [InlineData("""{"architecture": "mmoe", "levels": 2}""", "model.levels: architecture mmoe does not use this key; it is for ple")]
    [InlineData("""{"architecture": "hps", "tower_hidden": [2]}""", "model.tower_hidden: architecture hps does not use this key")]
    [InlineData("""{"architecture": "mmoe", "experts": 0}""", "model.experts: must be ≥ 1, not 0")]
    [InlineData("""{"architecture": "dselect-k", "experts": 1}""", "model.experts: must be ≥ 2, not 1")]
    [InlineData("""{"architecture": "dselect-k", "experts": 3, "k": 4}""", "model.k: selects 4 experts but there are 3")]
    [InlineData("""{"architecture": "cgc", "shared_experts": 0, "task_experts": 0}""", "model.shared_experts: with task_experts 0 too")]
    [InlineData("""{"architecture": "ple", "shared_experts": 0}""", "model.shared_experts: PLE with 2 levels needs at least one shared expert")]
    [InlineData("""{"architecture": "mmoe", "hidden": [4], "expert_hidden": [4]}""", "model.expert_hidden: give the experts' widths as hidden or as expert_hidden, not both")]
    [InlineData("""{"architecture": "cross-stitch", "hidden": []}""", "model.hidden: needs at least one width")]
    [InlineData("""{"architecture": "mtan"}""", "inputs[0].encoder.type: model.architecture mtan puts task attention on a CNN's feature maps")]
    public void ArchitectureSpecErrorsNameTheirJsonPath(string model, string expected)
    {
        var line = CliRunner.AssertUserError("train", "--spec", Spec(model), "--out", Path.Combine(_dir, "out"));
        Assert.Contains(expected, line);
    }
}
