using System.Globalization;
using MtlEngine.Plots;

namespace MtlEngine.Cli.Report;

/// <summary>
/// The report of a finished <c>mtl train</c> run: DIR/figures/*.svg and DIR/report.html, one self-contained page with the
/// metrics tables, the run's settings and timing, the figures and the spec. Written at the end of a run and by
/// <c>mtl report DIR</c>.
/// </summary>
internal static class RunReport
{
    public const string PageFile = "report.html";
    public const string FiguresFolder = "figures";

    /// <summary>Reads the run's folder and writes its figures and page; returns the number of figures.</summary>
    public static int Write(string folder)
    {
        var data = RunReportReader.Read(folder);
        var figures = Figures(data);
        string figureFolder = Path.Combine(folder, FiguresFolder);
        foreach (var (name, figure, _) in figures) figure.WriteSvg(Path.Combine(figureFolder, name + ".svg"));
        Page(data, figures).Write(Path.Combine(folder, PageFile));
        return figures.Count;
    }

    /// <summary>Every figure the data allows, with its file name (without .svg) and caption.</summary>
    internal static IReadOnlyList<(string Name, Figure Figure, string Caption)> Figures(RunReportData data)
    {
        var result = new List<(string, Figure, string)>();
        var history = data.History.Where(h => h.TrainLoss.Count > 0).ToList();
        if (history.Count > 0)
        {
            result.Add(("loss", Plots.Figures.Losses(history), "Training loss (solid) and validation loss (dashed) per task and epoch."));
            foreach (var group in history.Where(h => h.ValidationMetric.Any(v => !double.IsNaN(v))).GroupBy(h => h.MetricName))
                result.Add(($"validation_{Safe(group.Key)}", Plots.Figures.ValidationMetric(group.ToList()), $"Validation {group.Key} per task and epoch."));
        }
        if (data.TaskWeights is { Count: > 0 } weights && Varies(weights))
            result.Add(("task_weights", Plots.Figures.TaskWeights(weights), "The loss weight of each task over training."));
        if (data.GradientConflict is { Count: > 0 } conflict)
        {
            var last = conflict[^1];
            result.Add(("gradient_conflict", Plots.Figures.GradientConflict(last),
                $"Cosine similarity of the tasks' gradients on the shared parameters in epoch {last.Epoch}: blue entries are tasks pulling against each other."));
        }
        foreach (var c in data.Confusion)
            result.Add(($"confusion_{Safe(c.Task)}", Plots.Figures.Confusion(c.Counts, null, $"{c.Task}: confusion matrix (test)"),
                $"{c.Task} on the test rows: rows are the true classes, columns the predicted ones; the colour is the share of the row."));
        if (data.Representation is { } r)
            result.Add(("representation", Plots.Figures.RepresentationScatter(r.Values, r.Labels, null, $"Shared representation of the test rows, by {r.Task}"),
                $"The shared trunk's output on the test rows, projected on its first two principal components and coloured by {r.Task}."));
        if (data.Robustness is { Count: > 0 } robustness)
            result.Add(("robustness", Plots.Figures.Robustness(robustness, data.RobustnessMetric), "The metric as a growing share of one modality's samples is missing at test time."));
        if (data.Retrieval is { Count: > 0 } retrieval)
            result.Add(("retrieval", Plots.Figures.RetrievalRecall(retrieval), "Cross-modal retrieval: the share of queries whose match is among the K nearest."));
        return result;
    }

    /// <summary>The page: metrics, run, figures, spec.</summary>
    internal static HtmlReport Page(RunReportData data, IReadOnlyList<(string Name, Figure Figure, string Caption)> figures)
    {
        var page = new HtmlReport($"mtl train: {Path.GetFileName(Path.GetFullPath(data.Folder).TrimEnd(Path.DirectorySeparatorChar))}");
        page.Section("Test metrics");
        var metricNames = data.Tasks.SelectMany(t => t.Test.Keys.Concat(t.Validation.Keys)).Distinct().ToList();
        page.Table(["task", .. metricNames.Select(m => "test " + m)],
            data.Tasks.Select(t => (IReadOnlyList<string>)[t.Task, .. metricNames.Select(m => Number(t.Test, m))]));
        page.Subheading("Validation metrics");
        page.Table(["task", .. metricNames.Select(m => "validation " + m)],
            data.Tasks.Select(t => (IReadOnlyList<string>)[t.Task, .. metricNames.Select(m => Number(t.Validation, m))]));

        page.Section("Run: settings and timing");
        if (data.Run.Count > 0) page.Table(["setting", "value"], data.Run.Select(p => (IReadOnlyList<string>)[p.Key, p.Value]));
        if (data.TaskWeights is { Count: > 0 } w && !Varies(w))
            page.Paragraph("Task weights, constant over training: " + string.Join(", ", w[0].Weights.Select(p => $"{p.Key} {p.Value.ToString("0.###", CultureInfo.InvariantCulture)}")) + ".");

        if (figures.Count > 0)
        {
            page.Section("Figures");
            foreach (var (_, figure, caption) in figures) page.Figure(figure, caption);
        }
        if (data.SpecJson is not null)
        {
            page.Section("Spec");
            page.Preformatted(data.SpecJson);
        }
        return page;
    }

    /// <summary>Whether any task's weight changes over the epochs (constant weights are a sentence on the page, not a figure).</summary>
    private static bool Varies(IReadOnlyList<EpochWeights> epochs)
    {
        foreach (var task in epochs.SelectMany(e => e.Weights.Keys).Distinct())
        {
            var values = epochs.Where(e => e.Weights.ContainsKey(task)).Select(e => e.Weights[task]).Where(v => !double.IsNaN(v)).ToArray();
            if (values.Length > 0 && values.Max() - values.Min() > 1e-12) return true;
        }
        return false;
    }

    private static string Number(IReadOnlyDictionary<string, double> values, string key) =>
        values.TryGetValue(key, out double v) ? (key == "samples" ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture)) : "";

    /// <summary>A file-name-safe form of a task or metric name.</summary>
    private static string Safe(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
