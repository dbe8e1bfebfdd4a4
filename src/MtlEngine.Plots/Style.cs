using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;

namespace MtlEngine.Plots;

/// <summary>The look every figure shares: the ink colour (becomes <c>currentColor</c>), the series palette, axes and legends.</summary>
internal static class Style
{
    /// <summary>
    /// The colour of text, axes, ticks and frames: a sentinel that no data colour uses, written by the exporter as
    /// <see cref="InkSvg"/> and replaced by <c>currentColor</c> in <see cref="Figure.ToSvg"/>.
    /// </summary>
    public static readonly OxyColor Ink = OxyColor.FromRgb(1, 2, 3);

    /// <summary>How the exporter writes <see cref="Ink"/>.</summary>
    public const string InkSvg = "rgb(1,2,3)";

    /// <summary>Grid lines: the ink at low opacity (light grey on white, dark grey on black).</summary>
    public static readonly OxyColor Grid = OxyColor.FromAColor(48, Ink);

    /// <summary>
    /// Series colours: Tableau 10, mid-tone colours that read on a white and on a near-black page alike.
    /// </summary>
    public static readonly OxyColor[] Palette =
        new[] { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" }
            .Select(OxyColor.Parse).ToArray();

    /// <summary>The series colour <paramref name="index"/> (the palette repeats).</summary>
    public static OxyColor Color(int index) => Palette[index % Palette.Length];

    /// <summary>A model with the shared look: transparent background, ink text, a legend below the plot area when asked.</summary>
    public static PlotModel Model(string title, bool legend = true)
    {
        var model = new PlotModel
        {
            Title = title,
            // Fonts with Helvetica's widths first (Arial, Liberation Sans), which TextMeasurer assumes; any sans-serif else.
            DefaultFont = "Helvetica, Arial, Liberation Sans, Nimbus Sans, sans-serif",
            DefaultFontSize = 12,
            TitleFontSize = 15,
            TitleFontWeight = FontWeights.Bold,
            TextColor = Ink,
            TitleColor = Ink,
            SubtitleColor = Ink,
            PlotAreaBorderColor = Ink,
            Background = OxyColors.Undefined,
            PlotMargins = new OxyThickness(double.NaN),
        };
        if (legend)
            model.Legends.Add(new Legend
            {
                LegendPlacement = LegendPlacement.Outside,
                LegendPosition = LegendPosition.BottomCenter,
                LegendOrientation = LegendOrientation.Horizontal,
                LegendTextColor = Ink,
                LegendTitleColor = Ink,
                LegendBorderThickness = 0,
                LegendItemSpacing = 20,
                LegendSymbolLength = 20,
            });
        return model;
    }

    /// <summary>A linear axis in ink with a light grid.</summary>
    public static T Axis<T>(T axis, AxisPosition position, string title, bool grid = true) where T : Axis
    {
        axis.Position = position;
        axis.Title = title;
        axis.TextColor = Ink;
        axis.TitleColor = Ink;
        axis.TicklineColor = Ink;
        axis.AxislineColor = Ink;
        axis.MinorTicklineColor = Ink;
        axis.AxisTitleDistance = 10; // browsers draw rotated titles nearer the tick labels than OxyPlot lays them out
        if (grid)
        {
            axis.MajorGridlineStyle = LineStyle.Solid;
            axis.MajorGridlineColor = Grid;
        }
        return axis;
    }

    /// <summary>A linear axis (see <see cref="Axis{T}"/>).</summary>
    public static LinearAxis Linear(AxisPosition position, string title, bool grid = true) => Axis(new LinearAxis(), position, title, grid);

    /// <summary>An axis over the integers 0..names.Count−1 that shows names instead of numbers (heat maps).</summary>
    public static LinearAxis Categories(AxisPosition position, string title, IReadOnlyList<string> names, bool reversed = false)
    {
        var axis = Linear(position, title, grid: false);
        axis.Minimum = -0.5;
        axis.Maximum = names.Count - 0.5;
        axis.MajorStep = Math.Max(1, Math.Ceiling(names.Count / 20.0));
        axis.MinorStep = axis.MajorStep;
        axis.MinorTickSize = 0;
        axis.IsZoomEnabled = false;
        axis.IsPanEnabled = false;
        if (reversed)
        {
            axis.StartPosition = 1;
            axis.EndPosition = 0;
        }
        axis.LabelFormatter = v =>
        {
            int i = (int)Math.Round(v);
            return Math.Abs(v - i) < 1e-9 && i >= 0 && i < names.Count ? names[i] : "";
        };
        return axis;
    }

    /// <summary>An integer label for tick values (epochs, components).</summary>
    public static string Integer(double v) => Math.Abs(v - Math.Round(v)) < 1e-9 ? Math.Round(v).ToString(CultureInfo.InvariantCulture) : "";

    /// <summary>Black or white text, whichever reads better on <paramref name="background"/> (heat map cells).</summary>
    public static OxyColor TextOn(OxyColor background)
    {
        double luminance = 0.2126 * background.R + 0.7152 * background.G + 0.0722 * background.B;
        return luminance > 140 ? OxyColors.Black : OxyColors.White;
    }
}
