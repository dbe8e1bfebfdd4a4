using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.Tensors.Random;
using MtlEngine.Tests.Cli;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// <c>mtl train</c> with fusions, missing fills, modality dropout and robustness curves on a tiny two-input spec: a table
/// whose all-NaN rows are missing samples and pictures (float) whose all-NaN pictures are missing.
/// </summary>
public sealed class FusionTrainCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-fusion-" + Guid.NewGuid().ToString("N"));
    private const int N = 60;

    public FusionTrainCliTests()
    {
        Directory.CreateDirectory(_dir);
        var random = new TensorRandom(5);
        var x = random.Normal([N, 3], 0.0, 1.0).ToArray();
        var pictures = new float[N * 4 * 4];
        var labels = new long[N];
        for (int i = 0; i < N; i++)
        {
            labels[i] = i % 3;
            x[i * 3] += labels[i];
            for (int p = 0; p < 16; p++) pictures[i * 16 + p] = p % 4 <= labels[i] ? 0.9f : 0.1f;
            if (i % 7 == 3) Array.Fill(x, double.NaN, i * 3, 3); // the table is missing for these samples
            if (i % 11 == 5) Array.Fill(pictures, float.NaN, i * 16, 16); // the picture is missing for these
        }
        ArrayFile.Write(Path.Combine(_dir, "x.npy"), [NdArray.Create("x", x, N, 3)]);
        ArrayFile.Write(Path.Combine(_dir, "pictures.npy"), [NdArray.Create("p", pictures, N, 4, 4)]);
        ArrayFile.Write(Path.Combine(_dir, "label.npy"), [NdArray.Create("y", labels, N)]);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string model, string missing = "zeros", double modalityDropout = 0, string extra = "")
    {
        string path = Path.Combine(_dir, "spec.json");
        string p = modalityDropout.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(path, $$$"""
        {
          "inputs": [
            {"name": "table", "type": "numeric", "path": "x.npy", "encoder": {"hidden": [6]}, "missing": "{{{missing}}}"},
            {"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {"type": "mlp", "hidden": [5]}}
          ],
          "tasks": [{"name": "label", "type": "category", "path": "label.npy"}],
          "split": {"test_fraction": 0.25, "validation_fraction": 0.2, "seed": 2},
          "model": {{{model}}},
          "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.02, "seed": 1, "modality_dropout": {{{p}}}}{{{extra}}}
        }
        """);
        return path;
    }

    [Theory]
    [InlineData("""{"fusion": "gated", "hidden": [8], "fusion_dim": 6}""", "learned", 0.3)]
    [InlineData("""{"fusion": "low-rank", "hidden": [], "fusion_dim": 5, "fusion_rank": 2}""", "mean", 0)]
    [InlineData("""{"fusion": "cross-attention", "hidden": [8], "fusion_dim": 4, "fusion_heads": 2}""", "zeros", 0.2)]
    [InlineData("""{"fusion": "late", "hidden": [], "fusion_weights": "learned"}""", "zeros", 0)]
    public void TrainsAFusionAndWritesTheRobustnessCurves(string model, string missing, double modalityDropout)
    {
        string output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", Spec(model, missing, modalityDropout, """, "evaluation": {"robustness": true, "robustness_steps": 5}"""),
            "--out", output, "--threads", "2");
        Assert.True(code == 0, error + stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        var robustness = metrics["robustness"]!;
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], robustness["missing_fractions"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
        double accuracy = metrics["tasks"]!["label"]!["test"]!["accuracy"]!.GetValue<double>();
        foreach (string input in new[] { "table", "picture" })
        {
            var curve = robustness["inputs"]![input]!["label"]!;
            Assert.Equal("accuracy", curve["metric"]!.GetValue<string>());
            var values = curve["values"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.Equal(6, values.Length);
            Assert.Equal(accuracy, values[0], 12); // nothing made missing: the plain test metric
            double area = curve["area"]!.GetValue<double>();
            Assert.InRange(area, values.Min() - 1e-12, values.Max() + 1e-12);
        }

        // The saved file alone predicts (the fills' parameters and buffers are in it), with a missing picture in the input.
        string predictions = Path.Combine(_dir, "p.npz");
        var (predictCode, _, predictError) = CliRunner.Mtl("predict", "--model", Path.Combine(output, "model.safetensors"),
            "--input", "table=" + Path.Combine(_dir, "x.npy"), "--input", "picture=" + Path.Combine(_dir, "pictures.npy"), "--out", predictions);
        Assert.True(predictCode == 0, predictError);
        Assert.Equal([N], ArrayFile.Read(predictions).Single(a => a.Name == "label").Shape.ToArray());
    }

    [Theory]
    [InlineData("""{"fusion": "average"}""", "zeros", "model.fusion: \"average\" is not allowed here; the allowed values are concat, sum, product, max, gated, attention, tensor, low-rank, film, cross-attention, late")]
    [InlineData("""{"fusion": "sum"}""", "median", "inputs[0].missing: \"median\" is not allowed here; the allowed values are zeros, mean, learned")]
    [InlineData("""{"fusion": "cross-attention", "fusion_dim": 6, "fusion_heads": 4}""", "zeros", "model.fusion_heads: must divide fusion_dim (6), not 4")]
    [InlineData("""{"fusion": "late", "fusion_weights": "max"}""", "zeros", "model.fusion_weights: \"max\" is not allowed here; the allowed values are mean, learned")]
    public void ASpecErrorNamesItsJsonPath(string model, string missing, string expected)
    {
        var line = CliRunner.AssertUserError("train", "--spec", Spec(model, missing), "--out", Path.Combine(_dir, "out"));
        Assert.Contains(expected, line);
    }

    [Fact]
    public void FilmNeedsTwoInputsAndModalityDropoutAProbability()
    {
        string path = Path.Combine(_dir, "one.json");
        File.WriteAllText(path, """{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "label.npy"}], "model": {"fusion": "film"}}""");
        Assert.Contains("model.fusion: \"film\" fuses at least two inputs", CliRunner.AssertUserError("train", "--spec", path, "--check"));
        Assert.Contains("training.modality_dropout: must be in [0, 1), not 1", CliRunner.AssertUserError("train", "--spec", Spec("""{"fusion": "sum"}""", modalityDropout: 1), "--check"));
    }

    [Fact]
    public void ModalityDropoutTakesARatePerInput()
    {
        string Rates(string rates) => File.ReadAllText(Spec("""{"fusion": "sum", "hidden": [8]}""", "learned", 0.3))
            .Replace("\"modality_dropout\": 0.3", "\"modality_dropout\": " + rates, StringComparison.Ordinal);
        var spec = TrainSpec.Parse(Rates("""{"picture": 0.5, "table": 0.2}"""), _dir);
        Assert.Equal(0, spec.Training.ModalityDropout);
        Assert.Equal(new Dictionary<string, double> { ["table"] = 0.2, ["picture"] = 0.5 }, spec.Training.ModalityDropoutRates);
        var model = (MtlEngine.MultiTask.FusedInputModel<float>)TrainRun.BuildModel(spec, TrainRun.Prepare(spec).Preprocessing, TrainRun.Prepare(spec).TaskSpecs);
        Assert.Equal([0.2, 0.5], model.ModalityDropout!.Rates!); // in input order
        Assert.Null(TrainSpec.Parse(Rates("0.3"), _dir).Training.ModalityDropoutRates);

        // The same rate for every input given per input trains exactly as the one number.
        string shared = Path.Combine(_dir, "shared"), each = Path.Combine(_dir, "each");
        string sharedSpec = Spec("""{"fusion": "sum", "hidden": [8]}""", "learned", 0.3);
        Assert.Equal(0, TrainCommand.Run(sharedSpec, shared, 1, "cpu", resume: false, check: false, TextWriter.Null, CancellationToken.None));
        File.WriteAllText(sharedSpec, Rates("""{"table": 0.3, "picture": 0.3}"""));
        Assert.Equal(0, TrainCommand.Run(sharedSpec, each, 1, "cpu", resume: false, check: false, TextWriter.Null, CancellationToken.None));
        var expected = Safetensors.Read(Path.Combine(shared, "model.safetensors")).Tensors;
        var actual = Safetensors.Read(Path.Combine(each, "model.safetensors")).Tensors;
        for (int i = 0; i < expected.Count; i++) Assert.Equal((float[])expected[i].Data, (float[])actual[i].Data);

        foreach (var (rates, message) in new[]
        {
            ("""{"text": 0.5}""", "training.modality_dropout.text: unknown key; the allowed keys are table, picture"),
            ("""{"picture": 1}""", "training.modality_dropout.picture: must be in [0, 1), not 1"),
            ("""{"picture": "high"}""", "training.modality_dropout.picture: must be a number, not a string"),
            ("""[0.5]""", "training.modality_dropout: must be a number in [0, 1) (the rate of every input) or an object of input name → rate"),
        })
            Assert.Contains(message, Assert.Throws<SpecException>(() => TrainSpec.Parse(Rates(rates), _dir)).Message);
    }

    [Fact]
    public void TheJointAlignmentIsRefusedForMtan()
    {
        string json = """
        {
          "inputs": [{"name": "p", "type": "image", "path": "pictures.npy"}, {"name": "q", "type": "image", "path": "pictures.npy"}],
          "tasks": [{"name": "label", "type": "category", "path": "label.npy"}],
          "model": {"architecture": "mtan"},
          "alignment": {"inputs": ["p", "q"], "joint": true}
        }
        """;
        Assert.Contains("alignment.joint: mtan attends to the CNNs' feature maps", Assert.Throws<SpecException>(() => TrainSpec.Parse(json, _dir)).Message);
        Assert.Null(TrainSpec.Parse(json.Replace("\"joint\": true", "\"joint\": false", StringComparison.Ordinal), _dir).Alignment!.Joint ? "joint" : null);
    }

    [Fact]
    public void AnInterruptedRunWithModalityDropoutResumesToTheSameModel()
    {
        string spec = Spec("""{"fusion": "attention", "hidden": [8], "fusion_dim": 6}""", "mean", 0.4);
        string whole = Path.Combine(_dir, "whole"), cut = Path.Combine(_dir, "cut");
        Assert.Equal(0, TrainCommand.Run(spec, whole, 1, "cpu", resume: false, check: false, TextWriter.Null, CancellationToken.None));
        using var cts = new CancellationTokenSource();
        int batches = 0;
        int code = TrainCommand.Run(spec, cut, 1, "cpu", resume: false, check: false, TextWriter.Null, cts.Token,
            observer: p => { if (p.Epoch is null && ++batches == 4) cts.Cancel(); });
        Assert.Equal(TrainCommand.ExitInterrupted, code);
        Assert.Equal(0, TrainCommand.Run(spec, cut, 1, "cpu", resume: true, check: false, TextWriter.Null, CancellationToken.None));
        var expected = Safetensors.Read(Path.Combine(whole, "model.safetensors")).Tensors;
        var actual = Safetensors.Read(Path.Combine(cut, "model.safetensors")).Tensors;
        Assert.Contains("encoders.table.missing_mean", expected.Select(t => t.Name));
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        for (int i = 0; i < expected.Count; i++) Assert.Equal((float[])expected[i].Data, (float[])actual[i].Data); // the dropout draws resumed where they stopped
    }

    [Fact]
    public void AllNaNRowsAndPicturesAreMissingSamples()
    {
        var spec = TrainSpec.Load(Spec("""{"fusion": "sum"}"""));
        var data = TrainRun.Prepare(spec);
        var table = data.Dataset.Presence("table")!;
        var picture = data.Dataset.Presence("picture")!;
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(i % 7 != 3, table[i]);
            Assert.Equal(i % 11 != 5, picture[i]);
        }
    }
}
