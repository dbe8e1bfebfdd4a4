using System.Globalization;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace MtlEngine.Plots;

public static partial class Figures
{
    /// <summary>Cells with their value written in them up to this many rows; larger matrices show colours only.</summary>
    private const int MaxLabelledCells = 15;

    /// <summary>
    /// The gradient-conflict matrix as a heat map: cos(gᵢ, gⱼ) of every pair of tasks on a diverging scale, blue −1
    /// (opposed), white 0 (orthogonal), red +1 (aligned), each cell labelled with its value.
    /// </summary>
    /// <param name="matrix">The T×T cosines and the task names.</param>
    /// <param name="title">The title, or null for "Gradient conflict (epoch E)".</param>
    /// <exception cref="ArgumentException">When the matrix is not T×T for the T task names.</exception>
    public static Figure GradientConflict(ConflictMatrix matrix, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int t = matrix.Tasks.Count;
        if (matrix.Cosine.GetLength(0) != t || matrix.Cosine.GetLength(1) != t)
            throw new ArgumentException($"The cosine matrix is {matrix.Cosine.GetLength(0)}×{matrix.Cosine.GetLength(1)} but there are {t} task names; it must be {t}×{t}.", nameof(matrix));
        var colors = new LinearColorAxis { Minimum = -1, Maximum = 1, Palette = OxyPalettes.BlueWhiteRed(64) };
        var model = HeatMap(title ?? $"Gradient conflict (epoch {matrix.Epoch})", matrix.Cosine, matrix.Tasks, matrix.Tasks, "task", "task", colors, "cosine",
            v => v.ToString("0.00", CultureInfo.InvariantCulture));
        return new Figure(model, 120 + 60 * Math.Max(t, 4), 90 + 60 * Math.Max(t, 4));
    }

    /// <summary>
    /// A confusion matrix as a heat map: rows the true classes, columns the predicted ones, each cell's count written in
    /// it and its colour the share of its row (the class's recall on the diagonal).
    /// </summary>
    /// <param name="counts">C of shape (k, k): C[i, j] samples of class i predicted as j (as <c>ClassificationMetrics.ConfusionMatrix</c>).</param>
    /// <param name="classNames">The k class names, or null for 0..k−1.</param>
    /// <param name="title">The title.</param>
    /// <exception cref="ArgumentException">When the matrix is not square or the names do not match it.</exception>
    public static Figure Confusion(long[,] counts, IReadOnlyList<string>? classNames = null, string title = "Confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(counts);
        int k = counts.GetLength(0);
        if (counts.GetLength(1) != k) throw new ArgumentException($"The confusion matrix is {k}×{counts.GetLength(1)}; it must be square.", nameof(counts));
        classNames ??= Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (classNames.Count != k) throw new ArgumentException($"There are {classNames.Count} class names for a {k}×{k} matrix.", nameof(classNames));
        var share = new double[k, k];
        for (int i = 0; i < k; i++)
        {
            long row = 0;
            for (int j = 0; j < k; j++) row += counts[i, j];
            for (int j = 0; j < k; j++) share[i, j] = row == 0 ? 0 : counts[i, j] / (double)row;
        }
        var colors = new LinearColorAxis { Minimum = 0, Maximum = 1, Palette = OxyPalette.Interpolate(64, OxyColors.White, OxyColor.Parse("#4e79a7"), OxyColor.Parse("#1d3557")) };
        var model = HeatMap(title, share, classNames, classNames, "predicted", "true", colors, "share of the row",
            null, (i, j) => counts[i, j].ToString(CultureInfo.InvariantCulture));
        int side = Math.Clamp(34 * k, 240, 900);
        return new Figure(model, side + 190, side + 110);
    }

    /// <summary>
    /// A heat map of <paramref name="values"/>[row, column] with the first row at the top, named rows and columns, a colour
    /// bar, and each cell written in black or white (whichever reads on its colour) when the matrix is small enough.
    /// </summary>
    private static PlotModel HeatMap(string title, double[,] values, IReadOnlyList<string> rowNames, IReadOnlyList<string> columnNames,
        string columnTitle, string rowTitle, LinearColorAxis colors, string colorTitle, Func<double, string>? format, Func<int, int, string>? cellText = null)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var model = Style.Model(title, legend: false);
        model.Axes.Add(Style.Categories(AxisPosition.Bottom, columnTitle, columnNames));
        model.Axes.Add(Style.Categories(AxisPosition.Left, rowTitle, rowNames, reversed: true));
        Style.Axis(colors, AxisPosition.Right, colorTitle, grid: false);
        model.Axes.Add(colors);
        // HeatMapSeries indexes its data [x, y]: columns along x, rows along y.
        var data = new double[columns, rows];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) data[j, i] = values[i, j];
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = Math.Max(columns - 1, 0), Y0 = 0, Y1 = Math.Max(rows - 1, 0), Data = data,
            RenderMethod = HeatMapRenderMethod.Rectangles, // vector cells, not an embedded bitmap
            Interpolate = false,
            Title = title,
        });
        if (rows <= MaxLabelledCells && columns <= MaxLabelledCells)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                    model.Annotations.Add(new TextAnnotation
                    {
                        Text = cellText?.Invoke(i, j) ?? format!(values[i, j]),
                        TextPosition = new DataPoint(j, i),
                        TextColor = Style.TextOn(CellColor(colors, values[i, j])),
                        TextHorizontalAlignment = HorizontalAlignment.Center,
                        TextVerticalAlignment = VerticalAlignment.Middle,
                        Stroke = OxyColors.Undefined,
                        StrokeThickness = 0,
                        Background = OxyColors.Undefined,
                        FontSize = rows <= 6 ? 13 : 11,
                        Layer = AnnotationLayer.AboveSeries,
                    });
        return model;
    }

    /// <summary>The palette colour of a value on the colour axis's fixed range (the axis computes it only once the plot is laid out).</summary>
    private static OxyColor CellColor(LinearColorAxis axis, double value)
    {
        var colors = axis.Palette.Colors;
        double t = Math.Clamp((value - axis.Minimum) / (axis.Maximum - axis.Minimum), 0, 1);
        return colors[(int)Math.Round(t * (colors.Count - 1))];
    }
}
