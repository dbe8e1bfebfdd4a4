namespace MtlEngine.Metrics;

/// <summary>One metric of one task, for <see cref="DeltaM"/>: the multi-task model's value against the single-task baseline's.</summary>
/// <param name="Task">The task.</param>
/// <param name="Metric">The metric's name (accuracy, rmse, ...).</param>
/// <param name="Value">Mₜ, the multi-task model's value.</param>
/// <param name="Baseline">Mₜ^STL, the single-task baseline's value (non-zero).</param>
/// <param name="HigherIsBetter">True for accuracy, F1, R², AUC; false for losses and errors.</param>
public sealed record MetricComparison(string Task, string Metric, double Value, double Baseline, bool HigherIsBetter);

/// <summary>
/// Δm%, the average relative improvement of a multi-task model over single-task baselines (Maninis, Radosavovic &amp;
/// Kokkinos 2019; LibMTL's <c>count_improvement</c>):
/// <code>Δm% = 100 · (1/T) Σₜ (1/Kₜ) Σₖ (−1)^{lₜₖ} (Mₜₖ − Mₜₖ^STL) / Mₜₖ^STL</code>
/// over the T tasks and each task's Kₜ metrics, with lₜₖ = 1 when lower is better (an error) and 0 when higher is better
/// (an accuracy). Sign convention: positive Δm% means better than single-task on average, negative worse.
/// </summary>
public static class DeltaM
{
    /// <summary>The sign convention, for reports and output files.</summary>
    public const string SignConvention = "delta_m_percent > 0: better than the single-task baselines on average; < 0: worse";

    /// <summary>Δm% over the tasks of <paramref name="metrics"/> (a task's metrics are averaged first, then the tasks).</summary>
    /// <exception cref="ArgumentException">When there are no metrics, a baseline is 0, or a value is not finite.</exception>
    public static double Percent(IReadOnlyList<MetricComparison> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0) throw new ArgumentException("Δm needs at least one metric.", nameof(metrics));
        var perTask = new Dictionary<string, (double Sum, int Count)>();
        var order = new List<string>();
        foreach (var m in metrics)
        {
            if (!double.IsFinite(m.Value) || !double.IsFinite(m.Baseline))
                throw new ArgumentException($"{m.Task}.{m.Metric}: the value {m.Value} and the baseline {m.Baseline} must be finite.", nameof(metrics));
            if (m.Baseline == 0)
                throw new ArgumentException($"{m.Task}.{m.Metric}: the single-task baseline is 0, so the relative change is undefined; use another metric for this task.", nameof(metrics));
            double relative = (m.Value - m.Baseline) / m.Baseline;
            if (!m.HigherIsBetter) relative = -relative;
            if (!perTask.TryGetValue(m.Task, out var sofar)) order.Add(m.Task);
            perTask[m.Task] = (sofar.Sum + relative, sofar.Count + 1);
        }
        double total = 0;
        foreach (string task in order) total += perTask[task].Sum / perTask[task].Count;
        return 100 * total / order.Count;
    }
}
