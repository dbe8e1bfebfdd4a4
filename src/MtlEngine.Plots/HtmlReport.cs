using System.Globalization;
using System.Net;
using System.Text;

namespace MtlEngine.Plots;

/// <summary>
/// A self-contained HTML page of sections with text, tables, preformatted text and figures: the SVG is inline, the CSS
/// is in the page, and nothing is linked (no scripts, fonts, images or style sheets), so the one file reads offline.
/// Light and dark follow the reader's setting (<c>prefers-color-scheme</c>); the figures draw their text and axes in
/// <c>currentColor</c> and scale down to the page's width (phones). The markup is also well-formed XML (XHTML syntax).
/// </summary>
/// <param name="title">The page's title (the first heading too).</param>
public sealed class HtmlReport(string title)
{
    private readonly StringBuilder _body = new();
    private int _figures;
    private bool _sectionOpen;

    /// <summary>The page's title.</summary>
    public string Title { get; } = title ?? throw new ArgumentNullException(nameof(title));

    /// <summary>The number of figures added.</summary>
    public int FigureCount => _figures;

    /// <summary>Starts a section with a heading (the previous section ends).</summary>
    public HtmlReport Section(string heading)
    {
        EndSection();
        _body.Append("<section><h2>").Append(Escape(heading)).Append("</h2>\n");
        _sectionOpen = true;
        return this;
    }

    /// <summary>A sub-heading within the section.</summary>
    public HtmlReport Subheading(string text)
    {
        _body.Append("<h3>").Append(Escape(text)).Append("</h3>\n");
        return this;
    }

    /// <summary>A paragraph of plain text.</summary>
    public HtmlReport Paragraph(string text)
    {
        _body.Append("<p>").Append(Escape(text)).Append("</p>\n");
        return this;
    }

    /// <summary>Preformatted text (a spec, a log), scrolled sideways when wider than the page.</summary>
    public HtmlReport Preformatted(string text)
    {
        _body.Append("<pre>").Append(Escape(text)).Append("</pre>\n");
        return this;
    }

    /// <summary>A table; cells that look like numbers are right-aligned. It scrolls sideways on a narrow screen.</summary>
    /// <param name="header">The column headings.</param>
    /// <param name="rows">The rows (as many cells as headings).</param>
    /// <exception cref="ArgumentException">When a row's length differs from the header's.</exception>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        _body.Append("<div class=\"scroll\"><table><thead><tr>");
        foreach (var h in header) _body.Append("<th>").Append(Escape(h)).Append("</th>");
        _body.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            if (row.Count != header.Count) throw new ArgumentException($"A table row has {row.Count} cells but the header has {header.Count}.", nameof(rows));
            _body.Append("<tr>");
            foreach (var cell in row)
                _body.Append(IsNumber(cell) ? "<td class=\"num\">" : "<td>").Append(Escape(cell)).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody></table></div>\n");
        return this;
    }

    /// <summary>A figure, inline, with an optional caption under it.</summary>
    public HtmlReport Figure(Figure figure, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(figure);
        _figures++;
        _body.Append("<figure>").Append(figure.ToSvg("f" + _figures.ToString(CultureInfo.InvariantCulture)));
        if (!string.IsNullOrEmpty(caption)) _body.Append("<figcaption>").Append(Escape(caption)).Append("</figcaption>");
        _body.Append("</figure>\n");
        return this;
    }

    /// <summary>The whole page.</summary>
    public string ToHtml()
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n<meta name=\"color-scheme\" content=\"light dark\" />\n")
            .Append("<title>").Append(Escape(Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>").Append(Escape(Title)).Append("</h1>\n")
            .Append(_body);
        if (_sectionOpen) page.Append("</section>\n");
        page.Append("</main>\n</body>\n</html>\n");
        return page.ToString();
    }

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> (UTF-8), creating its folder.</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllText(path, ToHtml(), new UTF8Encoding(false));
    }

    private void EndSection()
    {
        if (_sectionOpen) _body.Append("</section>\n");
        _sectionOpen = false;
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static bool IsNumber(string cell) =>
        cell.Length > 0 && double.TryParse(cell.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The page's style: system fonts, a readable measure, light and dark colours, figures that shrink to fit.</summary>
    private const string Css = """
        :root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --rule: #d1d9e0; --panel: #f6f8fa; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --rule: #3d444d; --panel: #151b23; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
        main { max-width: 980px; margin: 0 auto; padding: 16px; }
        h1 { font-size: 1.6em; margin: 0.4em 0 0.6em; }
        h2 { font-size: 1.3em; border-bottom: 1px solid var(--rule); padding-bottom: 0.2em; margin-top: 1.6em; }
        h3 { font-size: 1.05em; margin-top: 1.2em; }
        p, figcaption { color: var(--fg); }
        figcaption { color: var(--muted); font-size: 0.9em; text-align: center; }
        figure { margin: 1em 0; color: var(--fg); }
        svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
        th, td { border: 1px solid var(--rule); padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: var(--panel); }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: var(--panel); border: 1px solid var(--rule); padding: 8px; overflow-x: auto; font-size: 0.85em; }
        @media (max-width: 600px) { body { font-size: 15px; } main { padding: 10px; } }

        """;
}
