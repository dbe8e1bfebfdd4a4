using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OxyPlot;

namespace MtlEngine.Plots;

/// <summary>
/// A plot ready to be shown: the OxyPlot model (to display in an OxyPlot view of a desktop app, or to adjust) and its size,
/// rendered to SVG by OxyPlot's exporter. Text, axes and frames are drawn in <c>currentColor</c>, so the same SVG reads on a
/// light and on a dark page (the page sets <c>color</c>); opened on its own, it draws them black. Series colours are mid-tone
/// and read on both.
/// </summary>
public sealed partial class Figure
{
    /// <summary>Wraps a model; <see cref="Figures"/> builds them.</summary>
    /// <param name="model">The plot.</param>
    /// <param name="width">Width of the SVG in CSS pixels.</param>
    /// <param name="height">Height of the SVG in CSS pixels.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is not positive.</exception>
    public Figure(PlotModel model, double width = 640, double height = 400)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Model = model;
        Width = width;
        Height = height;
    }

    /// <summary>The OxyPlot model.</summary>
    public PlotModel Model { get; }

    /// <summary>Width in CSS pixels.</summary>
    public double Width { get; }

    /// <summary>Height in CSS pixels.</summary>
    public double Height { get; }

    /// <summary>The title (also the SVG's accessible name).</summary>
    public string Title => Model.Title ?? "";

    /// <summary>
    /// The SVG: one <c>&lt;svg&gt;</c> element with a <c>viewBox</c> (it scales to its container) and a <c>&lt;title&gt;</c>,
    /// no XML declaration, so that it can be written to a file or placed inline in an HTML page.
    /// </summary>
    /// <param name="idPrefix">Prefixes the ids of the SVG's clip paths; give each figure inlined in one page its own
    /// (ids are global to an HTML document).</param>
    public string ToSvg(string idPrefix = "mtl")
    {
        ArgumentException.ThrowIfNullOrEmpty(idPrefix);
        if (!IdPrefix().IsMatch(idPrefix)) throw new ArgumentException($"idPrefix \"{idPrefix}\" must be letters, digits, '-' or '_' and start with a letter.", nameof(idPrefix));
        // Text is measured without system fonts (see TextMeasurer), so the layout is the same on every machine.
        var measurer = new TextMeasurer();
        string svg = SvgExporter.ExportToString(Model, Width, Height, isDocument: false, measurer);
        return Finish(svg, idPrefix);
    }

    /// <summary>Writes <see cref="ToSvg"/> to <paramref name="path"/> (UTF-8), creating its folder.</summary>
    public void WriteSvg(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllText(path, ToSvg(), new UTF8Encoding(false));
    }

    /// <summary>The exporter's text made fit for files and pages: no declaration, a viewBox and title, unique ids, currentColor.</summary>
    private string Finish(string svg, string idPrefix)
    {
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        svg = svg[start..];
        string w = Width.ToString(CultureInfo.InvariantCulture), h = Height.ToString(CultureInfo.InvariantCulture);
        int close = svg.IndexOf('>');
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {w} {h}\" role=\"img\"");
        text.Append(svg, 4, close - 4).Append('>');
        text.Append("<title>").Append(System.Security.SecurityElement.Escape(Title)).Append("</title>");
        text.Append(svg, close + 1, svg.Length - close - 1);
        return text.ToString()
            .Replace("id=\"clipPath", $"id=\"{idPrefix}-clip", StringComparison.Ordinal)
            .Replace("url(#clipPath", $"url(#{idPrefix}-clip", StringComparison.Ordinal)
            .Replace(Style.InkSvg, "currentColor", StringComparison.Ordinal);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex IdPrefix();
}
