using OxyPlot;

namespace MtlEngine.Plots;

/// <summary>
/// Measures text for the layout of a figure without reading a system font: the widths of the PDF standard fonts that
/// OxyPlot ships (Helvetica for sans-serif, as <see cref="PdfRenderContext"/> measures them), widened by
/// <see cref="WidthFactor"/> (and heightened by <see cref="HeightFactor"/>) because the font a browser actually picks may be wider: the figures ask for Helvetica, Arial or
/// Liberation Sans (Helvetica's widths) first, but a machine without them falls back on its sans-serif (DejaVu Sans on Linux is
/// up to about 20% wider than Helvetica). Erring wide leaves a little space; erring narrow made labels overlap. Deterministic:
/// the same figure gets the same layout on every machine. It only measures; drawing through it does nothing.
/// </summary>
internal sealed class TextMeasurer : RenderContextBase
{
    /// <summary>Measured widths are multiplied by this.</summary>
    public const double WidthFactor = 1.2;

    /// <summary>Measured heights are multiplied by this (a browser's line box is taller than the PDF font's glyph box).</summary>
    public const double HeightFactor = 1.2;

    private readonly PdfRenderContext _pdf = new(100, 100, OxyColors.Transparent);

    /// <inheritdoc />
    public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
    {
        var size = _pdf.MeasureText(text, "Helvetica", fontSize, fontWeight);
        return new OxySize(size.Width * WidthFactor, size.Height * HeightFactor);
    }

    /// <inheritdoc />
    public override void DrawText(ScreenPoint p, string text, OxyColor fill, string fontFamily, double fontSize, double fontWeight, double rotation,
        HorizontalAlignment horizontalAlignment, VerticalAlignment verticalAlignment, OxySize? maxSize)
    {
    }

    /// <inheritdoc />
    public override void DrawLine(IList<ScreenPoint> points, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin)
    {
    }

    /// <inheritdoc />
    public override void DrawPolygon(IList<ScreenPoint> points, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin)
    {
    }

    /// <inheritdoc />
    public override void DrawEllipse(OxyRect rect, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode)
    {
    }

    /// <inheritdoc />
    public override void DrawRectangle(OxyRect rect, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode)
    {
    }

    /// <inheritdoc />
    public override int ClipCount => _clips;

    /// <inheritdoc />
    public override void PushClip(OxyRect clippingRectangle) => _clips++;

    /// <inheritdoc />
    public override void PopClip() => _clips--;

    private int _clips;
}
