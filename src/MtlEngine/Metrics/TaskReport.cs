using System.Globalization;
using System.Text;
using MtlEngine.Tensors;

namespace MtlEngine.Metrics;

/// <summary>One task's metrics: its name, its kind ("classification" or "regression") and named values in a fixed order.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Kind">"classification" or "regression".</param>
/// <param name="Values">The metrics, by name, in the order they are printed.</param>
public sealed record TaskMetrics(string Task, string Kind, IReadOnlyList<KeyValuePair<string, double>> Values)
{
    /// <summary>The value of a metric, or null when this task has none of that name.</summary>
    public double? this[string metric] => Values.Where(v => v.Key == metric).Select(v => (double?)v.Value).FirstOrDefault();

    /// <summary>
    /// The usual metrics of a classification task: accuracy, macro and weighted F1, macro precision and recall, and,
    /// when <paramref name="probabilities"/> (n_samples, n_classes) are given, log loss and ROC AUC (binary, or
    /// one-vs-rest macro).
    /// </summary>
    public static TaskMetrics Classification(string task, int[] yTrue, int[] yPred, MtlTensor<double>? probabilities = null)
    {
        var values = new List<KeyValuePair<string, double>>
        {
            new("accuracy", ClassificationMetrics.Accuracy(yTrue, yPred)),
            new("precision_macro", ClassificationMetrics.Precision(yTrue, yPred, Averaging.Macro)),
            new("recall_macro", ClassificationMetrics.Recall(yTrue, yPred, Averaging.Macro)),
            new("f1_macro", ClassificationMetrics.F1Score(yTrue, yPred, Averaging.Macro)),
            new("f1_weighted", ClassificationMetrics.F1Score(yTrue, yPred, Averaging.Weighted)),
        };
        if (probabilities is not null)
        {
            var labels = MetricInput.UniqueLabels(yTrue);
            values.Add(new("log_loss", LogLoss.Compute(yTrue, probabilities, labels)));
            if (labels.Length == 2 && probabilities.Rank == 2)
            {
                var p = probabilities.ToArray();
                values.Add(new("roc_auc", RocAuc.Binary(yTrue, [.. Enumerable.Range(0, yTrue.Length).Select(i => p[2 * i + 1])])));
            }
            else if (labels.Length > 2)
                values.Add(new("roc_auc_ovr", RocAuc.OneVsRest(yTrue, probabilities)));
        }
        return new TaskMetrics(task, "classification", values);
    }

    /// <summary>The usual metrics of a regression task (one target): R², MSE, MAE.</summary>
    public static TaskMetrics Regression(string task, double[] yTrue, double[] yPred) => new(task, "regression",
    [
        new("r2", RegressionMetrics.R2(yTrue, yPred)),
        new("mse", RegressionMetrics.MeanSquaredError(yTrue, yPred)),
        new("mae", RegressionMetrics.MeanAbsoluteError(yTrue, yPred)),
    ]);
}

/// <summary>A per-task report: one row per task, one column per metric name (in order of first appearance), "-" where a task lacks the metric.</summary>
public sealed class TaskReport
{
    /// <summary>Creates the report from the tasks' metrics.</summary>
    public TaskReport(IEnumerable<TaskMetrics> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        Tasks = [.. tasks];
    }

    /// <summary>The tasks, in order.</summary>
    public IReadOnlyList<TaskMetrics> Tasks { get; }

    /// <summary>The report as an aligned plain-text table (values with <paramref name="digits"/> decimals, invariant culture).</summary>
    public string ToTable(int digits = 4)
    {
        var columns = Tasks.SelectMany(t => t.Values.Select(v => v.Key)).Distinct().ToList();
        var header = new List<string> { "task", "kind" };
        header.AddRange(columns);
        var rows = new List<List<string>> { header };
        foreach (var t in Tasks)
        {
            var row = new List<string> { t.Task, t.Kind };
            row.AddRange(columns.Select(c => t[c] is double v ? v.ToString("F" + digits, CultureInfo.InvariantCulture) : "-"));
            rows.Add(row);
        }
        var widths = Enumerable.Range(0, header.Count).Select(j => rows.Max(r => r[j].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            for (int j = 0; j < row.Count; j++)
            {
                if (j > 0) sb.Append("  ");
                // Names left-aligned, numbers right-aligned.
                sb.Append(j < 2 ? row[j].PadRight(widths[j]) : row[j].PadLeft(widths[j]));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToTable();
}
