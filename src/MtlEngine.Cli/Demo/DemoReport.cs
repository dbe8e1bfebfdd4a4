using System.Globalization;
using System.Text;
using MtlEngine.Plots;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// <c>mtl demo --report DIR</c>: one page with a section per demo section — its text report as printed, then its figures —
/// written to DIR/report.html, the figures also to DIR/figures/NN_section_K.svg.
/// </summary>
internal sealed class DemoReport(string folder)
{
    private readonly List<(DemoSection Section, string Text, IReadOnlyList<(Figure Figure, string Caption)> Figures)> _sections = [];

    /// <summary>
    /// Renders three tiny figures on a pool thread while the first sections run: most of the report's cost is the first
    /// compilation of the plotting code (about 2 s: the CLI compiles every method fully optimized on first use), and the
    /// data set sections at the start leave a core free for it.
    /// </summary>
    private readonly Task _warmUp = Task.Run(() =>
    {
        var small = new TaskHistory("t", [1.0, 0.5], [1.0, 0.6], "accuracy", [0.5, 0.6]);
        Figures.Losses([small]).ToSvg();
        Figures.Confusion(new long[,] { { 1, 0 }, { 0, 1 } }).ToSvg();
        Figures.RepresentationScatter(Tensors.MtlTensor.FromArray(new[] { 0.0, 1, 1, 0, 2, 2 }, 3, 2), [0, 1, 0]).ToSvg();
        Figures.RidgePaths(Tensors.MtlTensor.FromArray(new[] { 0.0, 1, 1, 0, 2, 2 }, 3, 2), Tensors.MtlTensor.FromArray(new[] { 0.0, 1, 2 }, 3), [0.1, 1]).ToSvg();
    });

    /// <summary>Runs a section, its output going to <paramref name="stdout"/> and to the page, and keeps its figures.</summary>
    public void Run(DemoSection section, TextWriter stdout)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        using var both = new TeeWriter(stdout, text);
        var figures = new DemoFigures();
        if (section.RunWithFigures is { } run) run(both, figures);
        else section.Run(both);
        both.Flush();
        _sections.Add((section, text.ToString(), figures.All));
    }

    /// <summary>Writes the figures and the page; returns the number of figures.</summary>
    public int Write()
    {
        _warmUp.Wait();
        var page = new HtmlReport("mtl demo");
        page.Paragraph("MtlEngine's demo on the shipped data sets (attribution and licences: src/MtlEngine.Datasets/NOTICE). Each section shows its report as the command prints it, then its figures.");
        int count = 0;
        for (int s = 0; s < _sections.Count; s++)
        {
            var (section, text, figures) = _sections[s];
            page.Section(section.Title);
            page.Preformatted(text.TrimEnd());
            for (int f = 0; f < figures.Count; f++)
            {
                page.Figure(figures[f].Figure, figures[f].Caption);
                figures[f].Figure.WriteSvg(Path.Combine(folder, Report.RunReport.FiguresFolder,
                    string.Create(CultureInfo.InvariantCulture, $"{s + 1:00}_{section.Name}_{f + 1}.svg")));
                count++;
            }
        }
        page.Write(Path.Combine(folder, Report.RunReport.PageFile));
        return count;
    }

    /// <summary>Writes to two writers at once.</summary>
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void Write(string? value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void WriteLine(string? value)
        {
            first.WriteLine(value);
            second.WriteLine(value);
        }

        public override void Flush()
        {
            first.Flush();
            second.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Flush(); // the writers belong to the caller
        }
    }
}
