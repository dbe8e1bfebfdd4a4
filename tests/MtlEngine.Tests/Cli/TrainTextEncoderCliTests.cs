using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.MultiModal;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// The text encoders of <c>mtl train</c> beyond the embedding bag (<c>tfidf-mlp</c>, <c>transformer</c>): they build from the
/// spec, train briefly, and the saved file predicts on its own (its preprocessing holds the idf); spec errors name their path.
/// </summary>
public sealed class TrainTextEncoderCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-text-" + Guid.NewGuid().ToString("N"));

    public TrainTextEncoderCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string encoder)
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [
            {"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [6]}},
            {"name": "title", "type": "text", "path": "titles.txt", "encoder": {{{encoder}}}}
          ],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}, {"name": "size", "type": "numeric", "path": "size.npy"}],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {"hidden": [8]},
          "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": 3}
        }
        """);
        return path;
    }

    [Theory]
    [InlineData("""{"type": "tfidf-mlp", "hidden": [7, 5]}""", typeof(TfidfMlpEncoder<float>), "encoders.title.input.weight")]
    [InlineData("""{"type": "transformer", "dim": 4, "heads": 2, "feedforward": 6, "max_tokens": 8}""", typeof(TransformerTextEncoder<float>), "encoders.title.layer.self_attn.in_proj_weight")]
    [InlineData("""{"type": "transformer", "dim": 4, "norm_first": true}""", typeof(TransformerTextEncoder<float>), "encoders.title.norm.weight")]
    public void TrainsWithTheEncoderAndItsFilePredictsAlone(string encoder, Type expected, string parameter)
    {
        string specPath = Spec(encoder);
        var spec = TrainSpec.Load(specPath);
        var data = TrainRun.Prepare(spec);
        var built = TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs);
        Assert.Contains(built.NamedModules(), m => m.Value.GetType() == expected);
        if (expected == typeof(TfidfMlpEncoder<float>)) Assert.Equal(data.Preprocessing[1].Vocabulary.Length, data.Preprocessing[1].Idf.Length);

        string output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", specPath, "--out", output, "--threads", "2");
        Assert.True(code == 0, error + stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.True(double.IsFinite(metrics["tasks"]!["color"]!["test"]!["accuracy"]!.GetValue<double>()));
        string model = Path.Combine(output, "model.safetensors");
        Assert.Contains(parameter, Safetensors.Read(model).Tensors.Select(t => t.Name));
        string predictions = Path.Combine(_dir, "p.npz");
        var predicted = CliRunner.Mtl("predict", "--model", model, "--input", "stats=" + Path.Combine(_dir, "x.npy"),
            "--input", "title=" + Path.Combine(_dir, "titles.txt"), "--out", predictions);
        Assert.True(predicted.Code == 0, predicted.Err);
        Assert.Equal([90, 2], ArrayFile.Read(predictions).Single(a => a.Name == "size").Shape.ToArray());
    }

    [Theory]
    [InlineData("""{"type": "transformer", "dim": 6, "heads": 4}""", "inputs[1].encoder.heads: must divide encoder.dim (6), not 4")]
    [InlineData("""{"type": "tfidf-mlp", "heads": 2}""", "inputs[1].encoder.heads: is a setting of the transformer encoder, and this input's encoder is tfidf-mlp")]
    [InlineData("""{"type": "bert"}""", "inputs[1].encoder.type: \"bert\" is not allowed here; the allowed values are embedding-bag, tfidf-mlp, transformer")]
    public void SpecErrorsNameTheirPath(string encoder, string message)
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", Spec(encoder), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }
}
