using System.Text.Json.Nodes;
using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.Nn;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// <c>mtl train</c> and <c>mtl predict</c> on its models: spec errors with their JSON paths, a small run over a numeric,
/// a picture and a text input with category, binary and numeric tasks (labels missing for some samples), predictions from
/// the saved file alone, resume after an interruption, and the digits network through a spec.
/// </summary>
public sealed class TrainCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-train-" + Guid.NewGuid().ToString("N"));
    private const int N = 90;

    public TrainCliTests()
    {
        WriteFixture(_dir);
    }

    /// <summary>The small data set of three input types and three task types, written into <paramref name="dir"/>.</summary>
    internal static void WriteFixture(string dir)
    {
        Directory.CreateDirectory(dir);
        void Write(string name, NdArray array) => ArrayFile.Write(Path.Combine(dir, name), [array]);
        var random = new TensorRandom(21);
        var x = random.Normal([N, 4], 0f, 1f).ToArray();
        var pictures = new byte[N * 6 * 6];
        var words = new[] { "red", "green", "blue" };
        var lines = new string[N];
        var color = new long[N];
        var big = new float[N];
        var size = new double[N * 2];
        for (int i = 0; i < N; i++)
        {
            color[i] = i % 3;
            for (int p = 0; p < 36; p++) pictures[i * 36 + p] = (byte)(p % 6 < 2 * (i % 3) + 2 ? 200 : 20);
            lines[i] = i % 10 == 9 ? "" : $"a {words[i % 3]} thing number {i}";
            big[i] = x[i * 4] > 0 ? 1 : 0;
            size[i * 2] = 2 * x[i * 4 + 1];
            size[i * 2 + 1] = i % 7 == 0 ? double.NaN : x[i * 4 + 2] - x[i * 4 + 3];
        }
        color[5] = -1; // a missing label
        big[8] = float.NaN;
        Write("x.npy", NdArray.Create("x", x, N, 4));
        Write("pictures.npy", NdArray.Create("p", pictures, N, 6, 6));
        File.WriteAllLines(Path.Combine(dir, "titles.txt"), lines);
        Write("color.npy", NdArray.Create("c", color, N));
        Write("big.npy", NdArray.Create("b", big, N));
        Write("size.npy", NdArray.Create("s", size, N, 2));
        Write("test.npy", NdArray.Create("t", Enumerable.Range(0, 15).Select(i => (long)(i * 6)).ToArray(), 15));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string name, NdArray array) => ArrayFile.Write(Path.Combine(_dir, name), [array]);

    private string Spec(string json, string name = "spec.json")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    internal const string Full = """
    {
      "inputs": [
        {"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [8]}},
        {"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {"type": "cnn", "channels": [4]}},
        {"name": "title", "type": "text", "path": "titles.txt", "encoder": {"type": "embedding-bag", "dim": 8}}
      ],
      "tasks": [
        {"name": "color", "type": "category", "path": "color.npy"},
        {"name": "big", "type": "binary", "path": "big.npy"},
        {"name": "size", "type": "numeric", "path": "size.npy", "weight": 0.5}
      ],
      "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
      "model": {"hidden": [16], "dropout": 0.1},
      "training": {"epochs": 4, "batch_size": 16, "learning_rate": 0.01, "seed": 3, "early_stopping": {"metric": "color.accuracy", "patience": 10}}
    }
    """;

    [Theory]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}, {"name": "p", "type": "numeric", "path": "price.npy"}]}""",
        "tasks[1].path: file not found: price.npy")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "color", "path": "color.npy"}]}""",
        "tasks[0].type: \"color\" is not allowed here; the allowed values are category, binary, numeric")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy", "encoder": {"type": "cnn"}}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}]}""",
        "inputs[0].encoder.type: \"cnn\" is not allowed here; the allowed values are mlp, identity")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"epoch": 3}}""",
        "training.epoch: unknown key; the allowed keys are")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"batch_size": 0}}""",
        "training.batch_size: must be ≥ 1, not 0")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "size.npy"}]}""",
        "tasks[0].path: size.npy has shape (90, 2); a category task needs one label per sample (n,)")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "test.npy"}]}""",
        "tasks[0].path: test.npy has 15 rows, but inputs[0].path (x.npy) has 90")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}, {"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}]}""",
        "inputs[1].name: the input name \"a\" is used twice")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"kind": "linear"}}}""",
        "training.lr_schedule.kind: \"linear\" is not allowed here; the allowed values are cosine, step")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"warmup_epochs": 2}}}""",
        "training.lr_schedule.kind: is required")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"kind": "cosine", "gamma": 0.5}}}""",
        "training.lr_schedule.gamma: is a setting of kind \"step\", and training.lr_schedule.kind is \"cosine\"")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"kind": "step", "min_lr": 0}}}""",
        "training.lr_schedule.min_lr: is a setting of kind \"cosine\"")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"epochs": 5, "lr_schedule": {"kind": "cosine", "warmup_epochs": 5}}}""",
        "training.lr_schedule.warmup_epochs: must be less than training.epochs (5), not 5")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"learning_rate": 0.01, "lr_schedule": {"kind": "cosine", "min_lr": 0.02}}}""",
        "training.lr_schedule.min_lr: must be ≤ training.learning_rate (0.01), not 0.02")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"kind": "step", "gamma": 2}}}""",
        "training.lr_schedule.gamma: must be in (0, 1] (a decay), not 2")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"kind": "step", "step_size": 0}}}""",
        "training.lr_schedule.step_size: must be ≥ 1, not 0")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"lr_schedule": {"kind": "cosine", "warmup": 1}}}""",
        "training.lr_schedule.warmup: unknown key; the allowed keys are kind, warmup_epochs, min_lr, step_size, gamma")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}, {"name": "s", "type": "numeric", "path": "size.npy"}], "training": {"early_stopping": {"metric": "accuracy"}}}""",
        "training.early_stopping.metric: \"accuracy\" is the mean of the tasks' validation accuracies, and task \"s\" is numeric (rmse); the allowed values are loss, t.loss, t.accuracy, s.loss, s.rmse")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "training": {"early_stopping": {"metric": "t.rmse"}}}""",
        "training.early_stopping.metric: \"t.rmse\" is not allowed here; the allowed values are loss, t.loss, t.accuracy, accuracy")]
    [InlineData("""{"inputs": [], "tasks": []}""", "inputs: needs at least one input")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}], "split": {"validation_fraction": 0}, "training": {"early_stopping": {"metric": "t.accuracy"}}}""",
        "training.early_stopping.metric: \"t.accuracy\" needs validation rows")]
    [InlineData("""{"inputs": [{"name": "a", "type": "numeric", "path": "x.npy"}], "tasks": [{"name": "t", "type": "category", "path": "color.npy"}],""", "$: not valid JSON")]
    public void ASpecErrorNamesItsJsonPath(string json, string expected)
    {
        string spec = Spec(json);
        var line = CliRunner.AssertUserError("train", "--spec", spec, "--out", Path.Combine(_dir, "out"));
        Assert.Contains(expected, line);
    }

    /// <summary>Full's spec without the numeric task (so that <c>accuracy</c>, the mean accuracy, applies), with <paramref name="training"/>.</summary>
    private string Classified(string training, string name)
    {
        var spec = JsonNode.Parse(Full)!;
        spec["tasks"]!.AsArray().RemoveAt(2); // size
        spec["training"] = JsonNode.Parse(training);
        return Spec(spec.ToJsonString(), name);
    }

    private static double[] Rates(string output) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!["training"]!["epochs"]!.AsArray()
            .Select(e => e!["learning_rate"]!.GetValue<double>()).ToArray();

    [Fact]
    public void TheLearningRateScheduleSetsEachEpochsRateByItsFormula()
    {
        const double lr = 0.01, min = 0.001;
        string Run(string schedule, string name)
        {
            string spec = Classified("""{"epochs": 7, "batch_size": 16, "learning_rate": 0.01, "seed": 3""" + schedule + "}", name + ".json"),
                output = Path.Combine(_dir, name);
            var (code, _, error) = CliRunner.Mtl("train", "--spec", spec, "--out", output);
            Assert.True(code == 0, error);
            return output;
        }
        static void Same(double[] expected, double[] actual)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int e = 0; e < expected.Length; e++) Assert.True(Math.Abs(expected[e] - actual[e]) <= 1e-12 * expected[e], $"epoch {e + 1}: {expected[e]} expected, {actual[e]} ran");
        }
        // cosine, 2 warm-up epochs: η·e/2 for e = 1, 2; then T = 5 epochs of η_min + ½(η − η_min)(1 + cos(π·j/5)), j = 0..4
        var cosine = new double[7];
        for (int e = 1; e <= 7; e++)
            cosine[e - 1] = e <= 2 ? lr * e / 2 : min + 0.5 * (lr - min) * (1 + Math.Cos(Math.PI * (e - 3) / 5));
        Same(cosine, Rates(Run(""", "lr_schedule": {"kind": "cosine", "warmup_epochs": 2, "min_lr": 0.001}""", "cosine")));
        // step, no warm-up: η·0.5^⌊(e − 1)/3⌋
        Same([lr, lr, lr, lr / 2, lr / 2, lr / 2, lr / 4], Rates(Run(""", "lr_schedule": {"kind": "step", "step_size": 3, "gamma": 0.5}""", "step")));
        Same([lr, lr, lr, lr, lr, lr, lr], Rates(Run("", "constant")));
        // The schedule changes the training itself, not only the record.
        Assert.NotEqual(File.ReadAllText(Path.Combine(_dir, "constant", "history.csv")).Split('\n')[2], File.ReadAllText(Path.Combine(_dir, "cosine", "history.csv")).Split('\n')[2]);
    }

    [Fact]
    public void EarlyStoppingOnAccuracyKeepsTheEpochOfTheBestMeanValidationAccuracy()
    {
        string spec = Classified("""{"epochs": 12, "batch_size": 16, "learning_rate": 0.05, "seed": 3, "early_stopping": {"metric": "accuracy", "patience": 12}}""", "mean.json"),
            output = Path.Combine(_dir, "mean");
        var (code, _, error) = CliRunner.Mtl("train", "--spec", spec, "--out", output);
        Assert.True(code == 0, error);
        var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
        var header = history[0].Split(',');
        int color = Array.IndexOf(header, "color.validation_accuracy"), big = Array.IndexOf(header, "big.validation_accuracy");
        var means = history.Skip(1).Select(line => line.Split(','))
            .Select(f => (double.Parse(f[color], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(f[big], System.Globalization.CultureInfo.InvariantCulture)) / 2).ToArray();
        Assert.Equal(12, means.Length);
        Assert.True(means.Distinct().Count() > 1);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.Equal(Array.IndexOf(means, means.Max()) + 1, metrics["best_epoch"]!.GetValue<int>());
        double restored = (metrics["tasks"]!["color"]!["validation"]!["accuracy"]!.GetValue<double>() + metrics["tasks"]!["big"]!["validation"]!["accuracy"]!.GetValue<double>()) / 2;
        Assert.Equal(means.Max(), restored, 12);
    }

    [Fact]
    public void CheckValidatesWithoutTraining()
    {
        var (code, output, error) = CliRunner.Mtl("train", "--spec", Spec(Full), "--check");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("90 samples (train 60, validation 15, test 15)", output);
        Assert.Contains("task color: category, 3 classes, 89 labelled samples", output);
        Assert.Contains("input picture: image, samples of shape (1, 6, 6), encoder cnn", output);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void TrainsEveryInputAndTaskTypeAndThePredictionsComeFromTheFileAlone()
    {
        string spec = Spec(Full), output = Path.Combine(_dir, "out");
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", spec, "--out", output, "--threads", "2");
        Assert.True(code == 0, error);
        Assert.Contains("epoch 4/4", stdout);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.Equal(4, metrics["epochs_run"]!.GetValue<int>());
        Assert.InRange(metrics["seconds_per_epoch"]!.GetValue<double>(), double.Epsilon, double.MaxValue); // finite and > 0
        foreach (string key in new[] { "accuracy", "macro_f1", "log_loss" })
        {
            Assert.True(double.IsFinite(metrics["tasks"]!["color"]!["test"]![key]!.GetValue<double>()), key);
            Assert.True(double.IsFinite(metrics["tasks"]!["big"]!["validation"]![key]!.GetValue<double>()), key);
        }
        foreach (string key in new[] { "r2", "mse", "mae" })
            Assert.True(double.IsFinite(metrics["tasks"]!["size"]!["test"]![key]!.GetValue<double>()), key);
        var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
        Assert.Equal(5, history.Length);
        Assert.StartsWith("epoch,seconds,train_loss,validation_loss,color.train_loss,color.validation_loss,color.validation_accuracy,color.weight", history[0]);
        Assert.False(File.Exists(Path.Combine(output, "checkpoint.safetensors")));

        // The file alone predicts: its outputs equal the model rebuilt in memory from the same spec and weights.
        string model = Path.Combine(output, "model.safetensors"), predictions = Path.Combine(_dir, "p.npz");
        Assert.Equal(0, CliRunner.Mtl("predict", "--model", model, "--input", "stats=" + Path.Combine(_dir, "x.npy"),
            "--input", "picture=" + Path.Combine(_dir, "pictures.npy"), "--input", "title=" + Path.Combine(_dir, "titles.txt"), "--out", predictions, "--proba").Code);
        var saved = ArrayFile.Read(predictions).ToDictionary(a => a.Name);
        Assert.Equal([N, 3], saved["color"].Shape.ToArray());
        Assert.Equal([N, 1], saved["big"].Shape.ToArray());
        Assert.Equal([N, 2], saved["size"].Shape.ToArray());

        var data = TrainRun.Prepare(TrainSpec.Load(spec));
        var rebuilt = TrainRun.BuildModel(TrainSpec.Load(spec), data.Preprocessing, data.TaskSpecs);
        rebuilt.LoadStateDict(Safetensors.Read(model).Tensors);
        rebuilt.Eval();
        var direct = TrainRun.PredictTasks(rebuilt, data.Dataset, Enumerable.Range(0, N).ToArray(), data.TargetScaling);
        var size = saved["size"].ToDoubleArray();
        var expected = direct["size"].ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], size[i], 6);
        var probabilities = saved["color"].ToDoubleArray();
        for (int i = 0; i < N; i++) Assert.Equal(1.0, probabilities[(3 * i)..(3 * i + 3)].Sum(), 9);
    }

    [Fact]
    public void PredictRefusesMissingOrUnknownInputs()
    {
        string spec = Spec(Full.Replace("\"epochs\": 4", "\"epochs\": 1")), output = Path.Combine(_dir, "out");
        Assert.Equal(0, CliRunner.Mtl("train", "--spec", spec, "--out", output).Code);
        string model = Path.Combine(output, "model.safetensors"), p = Path.Combine(_dir, "p.npz");
        Assert.Contains("give picture=FILE, title=FILE", CliRunner.AssertUserError("predict", "--model", model, "--input", "stats=" + Path.Combine(_dir, "x.npy"), "--out", p));
        Assert.Contains("the model has no such input", CliRunner.AssertUserError("predict", "--model", model, "--input", "image=" + Path.Combine(_dir, "x.npy"), "--out", p));
        Assert.Contains("--x is for 'mtl fit' models", CliRunner.AssertUserError("predict", "--model", model, "--x", Path.Combine(_dir, "x.npy"), "--out", p));
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameModel()
    {
        string spec = Spec(Full);
        string whole = Path.Combine(_dir, "whole"), cut = Path.Combine(_dir, "cut");
        Assert.Equal(0, TrainCommand.Run(spec, whole, 1, "cpu", resume: false, check: false, TextWriter.Null, CancellationToken.None));
        using var cts = new CancellationTokenSource();
        int batches = 0;
        int code = TrainCommand.Run(spec, cut, 1, "cpu", resume: false, check: false, TextWriter.Null, cts.Token,
            observer: p => { if (p.Epoch is null && ++batches == 6) cts.Cancel(); });
        Assert.Equal(TrainCommand.ExitInterrupted, code);
        Assert.True(File.Exists(Path.Combine(cut, "checkpoint.safetensors")));
        Assert.False(File.Exists(Path.Combine(cut, "model.safetensors")));
        Assert.Equal(0, TrainCommand.Run(spec, cut, 1, "cpu", resume: true, check: false, TextWriter.Null, CancellationToken.None));
        var expected = Safetensors.Read(Path.Combine(whole, "model.safetensors")).Tensors;
        var actual = Safetensors.Read(Path.Combine(cut, "model.safetensors")).Tensors;
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        for (int i = 0; i < expected.Count; i++) Assert.Equal((float[])expected[i].Data, (float[])actual[i].Data);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "metrics.json")).Split("seconds_per_epoch")[0], File.ReadAllText(Path.Combine(cut, "metrics.json")).Split("seconds_per_epoch")[0]);
    }

    [Theory]
    [InlineData("digits", "task digit: category, 10 classes, 1797 labelled samples")]
    [InlineData("breast_cancer", "input worst: numeric, samples of shape (10), encoder mlp")]
    [InlineData("linnerud", "task physiological: numeric, 3 outputs, 20 labelled samples")]
    [InlineData("emoji", "input name: text, vocabulary of")]
    [InlineData("multi-fashion", "task right: category, 10 classes, 14000 labelled samples")]
    public void EveryExampleWritesFilesThatItsSpecAccepts(string example, string expected)
    {
        string directory = Path.Combine(_dir, example);
        Assert.Equal(0, CliRunner.Mtl("example", example, "--out", directory).Code);
        var (code, output, error) = CliRunner.Mtl("train", "--spec", Path.Combine(directory, "spec.json"), "--check");
        Assert.True(code == 0, error);
        Assert.Contains(expected, output);
        Assert.Contains("the examples are digits, breast_cancer", CliRunner.AssertUserError("example", "mnist", "--out", directory));
    }

    [Fact]
    public void TheDigitsMultiTaskNetworkThroughASpec()
    {
        var digits = MtlEngine.Datasets.ShippedDatasets.LoadDigits();
        int n = digits.SampleCount;
        var features = digits.Features.ToArray().Select(v => (float)v).ToArray();
        Write("digits.npy", NdArray.Create("x", features, n, digits.FeatureCount));
        Write("digit.npy", NdArray.Create("d", digits.Labels.Select(l => (long)l).ToArray(), n));
        Write("parity.npy", NdArray.Create("p", digits.Labels.Select(l => (long)(l % 2)).ToArray(), n));
        Write("five.npy", NdArray.Create("f", digits.Labels.Select(l => l >= 5 ? 1f : 0f).ToArray(), n));
        string spec = Spec("""
        {
          "inputs": [{"name": "pixels", "type": "numeric", "path": "digits.npy", "encoder": {"type": "mlp", "hidden": [64]}}],
          "tasks": [{"name": "digit", "type": "category", "path": "digit.npy"}, {"name": "parity", "type": "category", "path": "parity.npy"},
                    {"name": "at_least_5", "type": "binary", "path": "five.npy"}],
          "split": {"test_fraction": 0.2, "validation_fraction": 0.1, "seed": 0},
          "model": {"hidden": [64]},
          "training": {"epochs": 15, "batch_size": 32, "learning_rate": 0.003, "early_stopping": {"metric": "loss", "patience": 5}}
        }
        """, "digits.json");
        string output = Path.Combine(_dir, "digits");
        Assert.Equal(0, TrainCommand.Run(spec, output, 2, "cpu", resume: false, check: false, TextWriter.Null, CancellationToken.None));
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!["tasks"]!;
        Assert.True(metrics["digit"]!["test"]!["accuracy"]!.GetValue<double>() >= 0.97, metrics.ToJsonString());
        Assert.True(metrics["parity"]!["test"]!["accuracy"]!.GetValue<double>() >= 0.95, metrics.ToJsonString());
        Assert.True(metrics["at_least_5"]!["test"]!["accuracy"]!.GetValue<double>() >= 0.95, metrics.ToJsonString());
    }
}
