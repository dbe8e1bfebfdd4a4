using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace MtlEngine.Plots;

/// <summary>
/// The plots of training runs, models and data, each a function of plain data (arrays and records) that returns a
/// <see cref="Figure"/> (<see cref="Figure.ToSvg"/>, <see cref="Figure.WriteSvg"/>). The look is shared: text and axes in
/// <c>currentColor</c>, mid-tone series colours, a legend under the plot when there are several series.
/// </summary>
public static partial class Figures
{
    /// <summary>Each task's training loss (solid) and validation loss (dashed, same colour) per epoch.</summary>
    /// <param name="tasks">The tasks' curves.</param>
    /// <param name="title">The title.</param>
    public static Figure Losses(IReadOnlyList<TaskHistory> tasks, string title = "Loss per task")
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var model = Style.Model(title);
        model.Axes.Add(EpochAxis());
        model.Axes.Add(Style.Linear(AxisPosition.Left, "loss"));
        for (int t = 0; t < tasks.Count; t++)
        {
            model.Series.Add(Curve($"{tasks[t].Task} train", tasks[t].TrainLoss, Style.Color(t), LineStyle.Solid));
            model.Series.Add(Curve($"{tasks[t].Task} validation", tasks[t].ValidationLoss, Style.Color(t), LineStyle.Dash));
        }
        return new Figure(model);
    }

    /// <summary>Each task's validation metric per epoch (give tasks with the same metric together: one y axis).</summary>
    /// <param name="tasks">The tasks' curves.</param>
    /// <param name="title">The title, or null for "Validation METRIC".</param>
    public static Figure ValidationMetric(IReadOnlyList<TaskHistory> tasks, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        string metric = string.Join(", ", tasks.Select(t => t.MetricName).Distinct());
        var model = Style.Model(title ?? $"Validation {metric}");
        model.Axes.Add(EpochAxis());
        model.Axes.Add(Style.Linear(AxisPosition.Left, metric));
        for (int t = 0; t < tasks.Count; t++)
            model.Series.Add(Curve(tasks[t].Task, tasks[t].ValidationMetric, Style.Color(t), LineStyle.Solid));
        return new Figure(model);
    }

    /// <summary>Each task's loss weight per epoch (a weighting method's trajectory).</summary>
    /// <param name="epochs">The weights of each epoch; a task missing from an epoch has no point there.</param>
    /// <param name="title">The title.</param>
    public static Figure TaskWeights(IReadOnlyList<EpochWeights> epochs, string title = "Task weights over training")
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var model = Style.Model(title);
        model.Axes.Add(EpochAxis());
        model.Axes.Add(Style.Linear(AxisPosition.Left, "weight"));
        var tasks = epochs.SelectMany(e => e.Weights.Keys).Distinct().ToList();
        for (int t = 0; t < tasks.Count; t++)
        {
            var series = Line(tasks[t], Style.Color(t), LineStyle.Solid);
            foreach (var e in epochs)
                if (e.Weights.TryGetValue(tasks[t], out double w)) series.Points.Add(new DataPoint(e.Epoch, w));
            model.Series.Add(series);
        }
        return new Figure(model);
    }

    private static LinearAxis EpochAxis()
    {
        var axis = Style.Linear(AxisPosition.Bottom, "epoch");
        axis.MinimumMajorStep = 1;
        axis.MinimumMinorStep = 1;
        return axis;
    }

    /// <summary>A line with a point per epoch (epoch i + 1 for entry i); NaN entries leave a gap.</summary>
    private static LineSeries Curve(string title, IReadOnlyList<double> values, OxyColor color, LineStyle style)
    {
        var series = Line(title, color, style, values.Count <= 12 ? MarkerType.Circle : MarkerType.None); // few epochs: the points show
        for (int i = 0; i < values.Count; i++) series.Points.Add(new DataPoint(i + 1, values[i]));
        return series;
    }

    private static LineSeries Line(string title, OxyColor color, LineStyle style, MarkerType marker = MarkerType.None) => new()
    {
        Title = title,
        Color = color,
        LineStyle = style,
        StrokeThickness = 2,
        MarkerType = marker,
        MarkerFill = color,
        MarkerSize = 3.5,
    };
}
