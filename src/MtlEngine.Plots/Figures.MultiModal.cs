using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;

namespace MtlEngine.Plots;

public static partial class Figures
{
    /// <summary>
    /// Robustness to a missing modality: for each modality, the metric (y) against the share of its samples removed at
    /// test time (x, in %), one line with markers per modality.
    /// </summary>
    /// <param name="curves">Each modality's points (any order: they are sorted by the share missing).</param>
    /// <param name="metric">The metric's name (the y axis title).</param>
    /// <param name="title">The title.</param>
    public static Figure Robustness(IReadOnlyDictionary<string, IReadOnlyList<RobustnessPoint>> curves, string metric = "metric",
        string title = "Robustness to a missing modality")
    {
        ArgumentNullException.ThrowIfNull(curves);
        var model = Style.Model(title);
        var x = Style.Linear(AxisPosition.Bottom, "% of the modality missing");
        x.Minimum = -3; // room for the whole markers at 0% and 100%
        x.Maximum = 103;
        model.Axes.Add(x);
        model.Axes.Add(Style.Linear(AxisPosition.Left, metric));
        int c = 0;
        foreach (var (modality, points) in curves)
        {
            var series = Line(modality, Style.Color(c++), LineStyle.Solid, MarkerType.Circle);
            foreach (var p in points.OrderBy(p => p.Missing)) series.Points.Add(new DataPoint(100 * p.Missing, p.Metric));
            model.Series.Add(series);
        }
        return new Figure(model);
    }

    /// <summary>
    /// Cross-modal retrieval: Recall@K (y, in [0, 1]) against K (x, log scale), one line with markers per direction
    /// (image → text, text → image, ...).
    /// </summary>
    /// <param name="recall">Each direction's Recall@K by K.</param>
    /// <param name="title">The title.</param>
    /// <exception cref="ArgumentException">When a K is not positive.</exception>
    public static Figure RetrievalRecall(IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> recall, string title = "Retrieval Recall@K")
    {
        ArgumentNullException.ThrowIfNull(recall);
        var ks = recall.Values.SelectMany(r => r.Keys).Distinct().Order().ToArray();
        if (ks.Length > 0 && ks[0] < 1) throw new ArgumentException($"Recall@K needs K ≥ 1, not {ks[0]}.", nameof(recall));
        var model = Style.Model(title);
        var x = Style.Axis(new LogarithmicAxis(), AxisPosition.Bottom, "K");
        if (ks.Length > 0)
        {
            x.Minimum = ks[0] / 1.5;
            x.Maximum = ks[^1] * 1.5;
        }
        x.LabelFormatter = v => v.ToString("0.##", CultureInfo.InvariantCulture);
        model.Axes.Add(x);
        var y = Style.Linear(AxisPosition.Left, "Recall@K");
        y.Minimum = 0;
        y.Maximum = 1.02;
        model.Axes.Add(y);
        int c = 0;
        foreach (var (direction, byK) in recall)
        {
            var series = Line(direction, Style.Color(c++), LineStyle.Solid, MarkerType.Circle);
            foreach (var (k, r) in byK.OrderBy(p => p.Key)) series.Points.Add(new DataPoint(k, r));
            model.Series.Add(series);
        }
        return new Figure(model);
    }
}
