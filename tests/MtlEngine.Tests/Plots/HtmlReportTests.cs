using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using MtlEngine.Plots;

namespace MtlEngine.Tests.Plots;

/// <summary>The page: well-formed (XHTML syntax), self-contained (links nothing), escaped, responsive, light and dark.</summary>
public sealed partial class HtmlReportTests
{
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Parses a page as XML (the DOCTYPE ignored).</summary>
    internal static XDocument ParsePage(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    /// <summary>Nothing outside the page: no URL but the XML namespaces, no src, href, link, script or @import.</summary>
    internal static void AssertSelfContained(string html)
    {
        string withoutNamespaces = Namespaces().Replace(html, "");
        Assert.DoesNotContain("http:", withoutNamespaces);
        Assert.DoesNotContain("https:", withoutNamespaces);
        Assert.DoesNotContain("src=", withoutNamespaces);
        Assert.DoesNotContain("href", withoutNamespaces);
        Assert.DoesNotContain("<link", withoutNamespaces);
        Assert.DoesNotContain("<script", withoutNamespaces);
        Assert.DoesNotContain("@import", withoutNamespaces);
        Assert.DoesNotContain("url(", Regex.Replace(withoutNamespaces, @"url\(#[A-Za-z0-9_-]+\)", "")); // only references within the page
    }

    [GeneratedRegex("xmlns(:[a-z]+)?=\"http://www\\.w3\\.org/[^\"]*\"")]
    private static partial Regex Namespaces();

    [Fact]
    public void APageIsWellFormedSelfContainedAndHasItsParts()
    {
        var page = new HtmlReport("Run <1> & more")
            .Section("Metrics")
            .Paragraph("a < b & c")
            .Table(["task", "accuracy"], [["digit", "0.97"], ["parity", "99%"]])
            .Section("Figures")
            .Figure(Figures.ExplainedVariance([0.6, 0.4]), "first")
            .Figure(Figures.ExplainedVariance([0.7, 0.3]))
            .Preformatted("{\"a\": 1}");
        string html = page.ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html);
        AssertSelfContained(html);
        var doc = ParsePage(html);
        var root = doc.Root!;
        Assert.Equal(Xhtml + "html", root.Name);
        Assert.Equal("Run <1> & more", root.Descendants(Xhtml + "title").Single().Value);
        Assert.Equal(["Metrics", "Figures"], root.Descendants(Xhtml + "h2").Select(h => h.Value));
        Assert.Equal(2, root.Descendants(Xhtml + "section").Count());
        Assert.Equal("a < b & c", root.Descendants(Xhtml + "p").Single().Value);
        var cells = root.Descendants(Xhtml + "td").ToList();
        Assert.Equal(4, cells.Count);
        Assert.Equal("num", cells[1].Attribute("class")?.Value);
        Assert.Null(cells[0].Attribute("class"));
        Assert.Equal(2, page.FigureCount);
        var svgs = root.Descendants(Svg + "svg").ToList();
        Assert.Equal(2, svgs.Count);
        Assert.Equal("first", root.Descendants(Xhtml + "figcaption").Single().Value);
        // Ids are unique across the page.
        var ids = root.Descendants().Select(e => e.Attribute("id")?.Value).Where(v => v is not null).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Phones, dark mode, figures that scale.
        Assert.Contains("name=\"viewport\"", html);
        Assert.Contains("prefers-color-scheme: dark", html);
        Assert.Contains("max-width: 100%", html);
        Assert.Equal("{\"a\": 1}", root.Descendants(Xhtml + "pre").Single().Value);
    }

    [Fact]
    public void ATableRowOfTheWrongLengthIsRejected() =>
        Assert.Throws<ArgumentException>(() => new HtmlReport("t").Table(["a", "b"], [["1"]]));

    [Fact]
    public void WriteCreatesTheFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mtl-page-" + Guid.NewGuid().ToString("N"));
        try
        {
            var page = new HtmlReport("t").Paragraph("x");
            page.Write(Path.Combine(dir, "a", "report.html"));
            Assert.Equal(page.ToHtml(), File.ReadAllText(Path.Combine(dir, "a", "report.html")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
