using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MtlEngine.Data;
using MtlEngine.Plots;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Report;

/// <summary>One task's metrics on the test and validation rows (metrics.json's <c>tasks</c>).</summary>
internal sealed record TaskScores(string Task, IReadOnlyDictionary<string, double> Test, IReadOnlyDictionary<string, double> Validation);

/// <summary>A confusion matrix of one classification task on the test rows.</summary>
internal sealed record TaskConfusion(string Task, long[,] Counts);

/// <summary>The shared representation of the test rows and the labels to colour them by.</summary>
internal sealed record RepresentationSample(string Task, MtlTensor<double> Values, int[] Labels);

/// <summary>
/// Everything the report page of a finished <c>mtl train</c> run shows, read from its folder by <see cref="RunReportReader"/>.
/// The optional sections (null when the run did not record them) are skipped on the page.
/// </summary>
internal sealed record RunReportData(
    string Folder,
    string? SpecJson,
    IReadOnlyList<TaskScores> Tasks,
    IReadOnlyList<KeyValuePair<string, string>> Run,
    IReadOnlyList<TaskHistory> History,
    IReadOnlyList<double> EpochSeconds,
    IReadOnlyList<TaskConfusion> Confusion,
    RepresentationSample? Representation,
    IReadOnlyList<EpochWeights>? TaskWeights,
    IReadOnlyList<ConflictMatrix>? GradientConflict,
    IReadOnlyDictionary<string, IReadOnlyList<RobustnessPoint>>? Robustness,
    string RobustnessMetric,
    IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>>? Retrieval);

/// <summary>
/// Reads a run's folder: metrics.json, history.csv, the spec from model.safetensors' metadata and representation.npz.
/// <para>The keys of metrics.json the page reads, all in one place (absent keys are skipped silently):</para>
/// <code>
/// "tasks":             {"TASK": {"test": {"accuracy": 0.97, ...}, "validation": {...}}}
/// "seconds_per_epoch", "seconds_first_epoch", "seconds_training", "epochs_run", "best_epoch", "stopped_early", "samples"
/// "confusion":         {"TASK": [[c00, c01, ...], [c10, ...], ...]}                rows true, columns predicted (test rows)
/// "training":          {"weighting": "dwa", "epochs": [{"epoch": 1, "task_weights": {"TASK": w, ...},
///                        "gradient_conflict": [[1, c], [c, 1]]}, ...]}   (TrainCommand.TrainingRecord; the conflict matrix in task order,
///                        only when recorded; without task weights the page reads history.csv's TASK.weight)
/// "robustness":        {"missing_fractions": [0, 0.1, ...], "inputs": {"INPUT": {"TASK": {"metric": "accuracy", "values": [...],
///                        "area": a}}}}   (TrainRun.Robustness; the page plots the first task's curve of every input)
/// "retrieval":         {"DIRECTION": {"recall@1": r, "recall@5": r, ...}, ...}
/// </code>
/// representation.npz holds <c>representation</c> (n, width), the shared representation of the test rows, and one int64
/// label array per category task under the task's name.
/// </summary>
internal static class RunReportReader
{
    public const string MetricsFile = "metrics.json";
    public const string HistoryFile = "history.csv";
    public const string ModelFile = "model.safetensors";
    public const string RepresentationFile = "representation.npz";
    public const string RepresentationArray = "representation";

    public const string TasksKey = "tasks";
    public const string ConfusionKey = "confusion";
    public const string TrainingKey = "training";
    public const string TaskWeightsKey = "task_weights";
    public const string GradientConflictKey = "gradient_conflict";
    public const string RobustnessKey = "robustness";
    public const string RetrievalKey = "retrieval";

    /// <summary>The run settings and timings shown in the page's table, in order, with their labels.</summary>
    private static readonly (string Key, string Label)[] RunKeys =
    [
        ("epochs_run", "epochs run"), ("best_epoch", "best epoch"), ("stopped_early", "stopped early"),
        ("seconds_per_epoch", "seconds per epoch (median)"), ("seconds_first_epoch", "seconds, first epoch"), ("seconds_training", "seconds, training"),
    ];

    /// <summary>Reads the folder of a finished run.</summary>
    /// <exception cref="UsageException">When the folder or its metrics.json is missing or not JSON.</exception>
    public static RunReportData Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new UsageException($"{folder}: no such folder (give the --out folder of a finished mtl train run)");
        string metricsPath = Path.Combine(folder, MetricsFile);
        if (!File.Exists(metricsPath)) throw new UsageException($"{metricsPath}: not found; is {folder} the --out folder of a finished mtl train run?");
        JsonObject metrics;
        try
        {
            Data.InputFile.CheckRegular(metricsPath);
            metrics = JsonNode.Parse(File.ReadAllText(metricsPath))?.AsObject() ?? throw new UsageException($"{metricsPath}: empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new UsageException($"{metricsPath}: not a JSON object ({e.Message})");
        }
        var history = ReadHistory(Path.Combine(folder, HistoryFile), out var seconds, out var historyWeights);
        return new RunReportData(
            folder,
            ReadSpec(Path.Combine(folder, ModelFile)),
            ReadTasks(metrics),
            ReadRun(metrics),
            history,
            seconds,
            Section(metricsPath, ConfusionKey, () => ReadConfusion(metrics)),
            ReadRepresentation(Path.Combine(folder, RepresentationFile)),
            Section(metricsPath, TrainingKey, () => ReadTaskWeights(metrics)) ?? historyWeights,
            Section(metricsPath, TrainingKey, () => ReadConflict(metrics)),
            Section(metricsPath, RobustnessKey, () => ReadRobustness(metrics, out _)),
            Section(metricsPath, RobustnessKey, () => { ReadRobustness(metrics, out string? metric); return metric; }) ?? "metric",
            Section(metricsPath, RetrievalKey, () => ReadRetrieval(metrics)));
    }

    /// <summary>Reads one section; a value of the wrong JSON kind (a string for a number, ...) is a user error naming the key.</summary>
    private static T Section<T>(string path, string key, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new UsageException($"{path}: \"{key}\" is not in the form the report reads ({e.Message}); see src/MtlEngine.Cli/Report/RunReportData.cs");
        }
    }

    private static IReadOnlyList<TaskScores> ReadTasks(JsonObject metrics)
    {
        var tasks = new List<TaskScores>();
        if (metrics[TasksKey] is not JsonObject all) return tasks;
        foreach (var (name, value) in all)
            tasks.Add(new TaskScores(name, Numbers(value?["test"]), Numbers(value?["validation"])));
        return tasks;
    }

    private static Dictionary<string, double> Numbers(JsonNode? node)
    {
        var result = new Dictionary<string, double>();
        if (node is not JsonObject o) return result;
        foreach (var (key, value) in o)
            if (value is JsonValue v && v.TryGetValue(out double d)) result[key] = d;
        return result;
    }

    private static IReadOnlyList<KeyValuePair<string, string>> ReadRun(JsonObject metrics)
    {
        var run = new List<KeyValuePair<string, string>>();
        foreach (var (key, label) in RunKeys)
            if (metrics[key] is JsonValue v) run.Add(new(label, Format(v)));
        if (metrics["samples"] is JsonObject samples)
            run.Add(new("samples", string.Join(", ", samples.Select(p => $"{p.Key} {p.Value}"))));
        return run;
    }

    private static string Format(JsonValue v) =>
        v.TryGetValue(out double d) && v.GetValueKind() == JsonValueKind.Number
            ? (d == Math.Round(d) && Math.Abs(d) < 1e9 ? d.ToString("0", CultureInfo.InvariantCulture) : d.ToString("0.####", CultureInfo.InvariantCulture))
            : v.ToJsonString().Trim('"');

    /// <summary>history.csv: per-task curves (from the TASK.train_loss, TASK.validation_loss, TASK.validation_METRIC columns), seconds, weights.</summary>
    private static IReadOnlyList<TaskHistory> ReadHistory(string path, out IReadOnlyList<double> seconds, out IReadOnlyList<EpochWeights>? weights)
    {
        seconds = [];
        weights = null;
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length < 2) return [];
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(Parse).ToArray()).Where(r => r.Length == header.Length).ToArray();
        double[] Column(int c) => rows.Select(r => r[c]).ToArray();
        int Index(string name) => Array.IndexOf(header, name);
        if (Index("seconds") >= 0) seconds = Column(Index("seconds"));
        int epoch = Index("epoch");
        var tasks = new List<TaskHistory>();
        var weightColumns = new List<(string Task, int Column)>();
        foreach (var column in header.Where(h => h.EndsWith(".train_loss", StringComparison.Ordinal)))
        {
            string task = column[..^".train_loss".Length];
            int metric = Array.FindIndex(header, h => h.StartsWith(task + ".validation_", StringComparison.Ordinal) && h != task + ".validation_loss");
            int validation = Index(task + ".validation_loss");
            tasks.Add(new TaskHistory(task, Column(Index(column)), validation >= 0 ? Column(validation) : [],
                metric >= 0 ? header[metric][(task.Length + ".validation_".Length)..] : "metric", metric >= 0 ? Column(metric) : []));
            if (Index(task + ".weight") >= 0) weightColumns.Add((task, Index(task + ".weight")));
        }
        if (weightColumns.Count > 0 && epoch >= 0)
            weights = rows.Select(r => new EpochWeights((int)r[epoch], weightColumns.Where(w => !double.IsNaN(r[w.Column])).ToDictionary(w => w.Task, w => r[w.Column]))).ToList();
        return tasks;
    }

    private static double Parse(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    /// <summary>The spec from the model file's metadata, or null without a model file.</summary>
    private static string? ReadSpec(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var metadata = Safetensors.Read(path).Metadata;
            return metadata.TryGetValue(Train.TrainRun.SpecKey, out var spec) ? spec : null; // as the user wrote it
        }
        catch (DataFormatException)
        {
            return null; // the page is still worth having without the spec
        }
    }

    private static IReadOnlyList<TaskConfusion> ReadConfusion(JsonObject metrics)
    {
        var result = new List<TaskConfusion>();
        if (metrics[ConfusionKey] is not JsonObject all) return result;
        foreach (var (task, value) in all)
            if (Matrix(value) is { } m && m.GetLength(0) == m.GetLength(1))
            {
                var counts = new long[m.GetLength(0), m.GetLength(1)];
                for (int i = 0; i < m.GetLength(0); i++)
                    for (int j = 0; j < m.GetLength(1); j++) counts[i, j] = (long)Math.Round(m[i, j]);
                result.Add(new TaskConfusion(task, counts));
            }
        return result;
    }

    /// <summary>A JSON array of equally long arrays of numbers as a matrix, or null.</summary>
    private static double[,]? Matrix(JsonNode? node)
    {
        if (node is not JsonArray rows || rows.Count == 0 || rows[0] is not JsonArray first) return null;
        var m = new double[rows.Count, first.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is not JsonArray row || row.Count != first.Count) return null;
            for (int j = 0; j < row.Count; j++) m[i, j] = row[j] is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
        }
        return m;
    }

    private static RepresentationSample? ReadRepresentation(string path)
    {
        if (!File.Exists(path)) return null;
        var arrays = Npz.Read(path);
        var values = arrays.FirstOrDefault(a => a.Name == RepresentationArray);
        var labels = arrays.FirstOrDefault(a => a.Name != RepresentationArray && a.Rank == 1);
        if (values is null || labels is null || values.Rank != 2 || labels.Length != values.Shape[0]) return null;
        return new RepresentationSample(labels.Name, values.ToTensor<double>(), labels.ToDoubleArray().Select(v => (int)v).ToArray());
    }

    /// <summary>The per-epoch records of the training strategy (training.epochs), or null.</summary>
    private static JsonArray? TrainingEpochs(JsonObject metrics) => metrics[TrainingKey] is JsonObject training && training["epochs"] is JsonArray epochs ? epochs : null;

    private static IReadOnlyList<EpochWeights>? ReadTaskWeights(JsonObject metrics)
    {
        if (TrainingEpochs(metrics) is not { } epochs) return null;
        var result = new List<EpochWeights>();
        foreach (var e in epochs)
            if (e?["epoch"] is JsonValue epoch && e[TaskWeightsKey] is JsonObject { Count: > 0 } weights)
                result.Add(new EpochWeights(epoch.GetValue<int>(), Numbers(weights)));
        return result.Count > 0 ? result : null;
    }

    private static IReadOnlyList<ConflictMatrix>? ReadConflict(JsonObject metrics)
    {
        if (TrainingEpochs(metrics) is not { } epochs || metrics[TasksKey] is not JsonObject taskMetrics) return null;
        var tasks = taskMetrics.Select(t => t.Key).ToArray();
        var result = new List<ConflictMatrix>();
        foreach (var e in epochs)
            if (e?["epoch"] is JsonValue epoch && Matrix(e[GradientConflictKey]) is { } cosine
                && cosine.GetLength(0) == tasks.Length && cosine.GetLength(1) == tasks.Length)
                result.Add(new ConflictMatrix(epoch.GetValue<int>(), tasks, cosine));
        return result.Count > 0 ? result : null;
    }

    /// <summary>The robustness curve of every input for the first task that has one, and that task's metric ("TASK accuracy").</summary>
    private static IReadOnlyDictionary<string, IReadOnlyList<RobustnessPoint>>? ReadRobustness(JsonObject metrics, out string? metric)
    {
        metric = null;
        if (metrics[RobustnessKey] is not JsonObject robustness || robustness["missing_fractions"] is not JsonArray fractionsJson
            || robustness["inputs"] is not JsonObject inputs) return null;
        var fractions = fractionsJson.Select(f => f!.GetValue<double>()).ToArray();
        var result = new Dictionary<string, IReadOnlyList<RobustnessPoint>>();
        foreach (var (input, tasks) in inputs)
        {
            if (tasks is not JsonObject byTask || byTask.FirstOrDefault() is not (string task, JsonObject curve) || curve["values"] is not JsonArray values
                || values.Count != fractions.Length) continue;
            metric ??= task + " " + (curve["metric"]?.GetValue<string>() ?? "metric");
            result[input] = fractions.Select((f, i) => new RobustnessPoint(f, values[i]?.GetValue<double>() ?? double.NaN)).ToList();
        }
        return result.Count > 0 ? result : null;
    }

    private static IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>>? ReadRetrieval(JsonObject metrics)
    {
        if (metrics[RetrievalKey] is not JsonObject directions) return null;
        var result = new Dictionary<string, IReadOnlyDictionary<int, double>>();
        foreach (var (direction, values) in directions)
        {
            var byK = new Dictionary<int, double>();
            foreach (var (key, value) in Numbers(values))
                if (key.StartsWith("recall@", StringComparison.Ordinal) && int.TryParse(key["recall@".Length..], CultureInfo.InvariantCulture, out int k) && k >= 1)
                    byK[k] = value;
            if (byK.Count > 0) result[direction] = byK;
        }
        return result;
    }
}
