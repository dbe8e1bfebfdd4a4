using System.CommandLine;
using System.Diagnostics;

namespace MtlEngine.Cli.Demo;

/// <summary>One part of <c>mtl demo</c>: a name to select it by, a title, and what it prints.</summary>
/// <param name="Name">The name <c>--section</c> selects it by (for example "iris").</param>
/// <param name="Title">The heading printed above it.</param>
/// <param name="Run">Writes the section's report.</param>
internal sealed record DemoSection(string Name, string Title, Action<TextWriter> Run)
{
    /// <summary>
    /// For <c>mtl demo --report</c>: writes the same report as <see cref="Run"/> and adds the section's figures, from the
    /// data the run already has; null for sections without figures (the page still shows their text).
    /// </summary>
    public Action<TextWriter, DemoFigures>? RunWithFigures { get; init; }
}

/// <summary>The figures one demo section adds to the <c>--report</c> page.</summary>
internal sealed class DemoFigures
{
    private readonly List<(Plots.Figure Figure, string Caption)> _figures = [];

    /// <summary>The figures added, in order.</summary>
    public IReadOnlyList<(Plots.Figure Figure, string Caption)> All => _figures;

    /// <summary>Adds a figure with its caption.</summary>
    public void Add(Plots.Figure figure, string caption) => _figures.Add((figure, caption));
}

/// <summary>
/// <c>mtl demo [--section NAME]...</c>: the main job. It runs its sections in order, each under a heading and
/// followed by its time. For now the sections load every shipped data set and describe it (shapes, classes and
/// their counts, feature statistics); later work adds sections that fit the multi-task and multi-modal models.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Every section, in the order the demo runs them. New sections are added here.</summary>
    public static IReadOnlyList<DemoSection> Sections { get; } =
    [
        .. DatasetSections.All,
        MultiTaskDigitsSection.Section,
        StrategyTableSection.Section,
        FusionTableSection.Section,
        RidgeMultiTaskSection.Section,
        PcaSharedSection.Section,
        WordNetTextSection.Section,
    ];

    public static Command Create(TextWriter stdout)
    {
        var section = new Option<string[]>("--section")
        {
            Description = $"Run only the named sections (repeatable): {string.Join(", ", Sections.Select(s => s.Name))}.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var report = new Option<string?>("--report")
        {
            Description = "Also write one self-contained page, DIR/report.html, with every section's report and figures (DIR/figures/*.svg).",
            HelpName = "DIR",
        };
        var command = new Command("demo", "The main job: describe every shipped data set, then run the multi-task examples on them (a multi-task network beside single-task ones, shared linear models, text tasks).") { section, report };
        command.SetAction(parsed => Run(parsed.GetValue(section) ?? [], stdout, parsed.GetValue(report)));
        return command;
    }

    public static int Run(IReadOnlyList<string> only, TextWriter stdout, string? reportFolder = null)
    {
        foreach (var name in only)
        {
            if (!Sections.Any(s => s.Name == name))
                throw new UsageException($"demo has no section '{name}'; its sections are: {string.Join(", ", Sections.Select(s => s.Name))}");
        }
        var selected = only.Count == 0 ? Sections : Sections.Where(s => only.Contains(s.Name)).ToList();
        stdout.WriteLine("MtlEngine demo: the shipped data sets (attribution and licences: src/MtlEngine.Datasets/NOTICE)");
        var total = Stopwatch.StartNew();
        var page = reportFolder is null ? null : new DemoReport(reportFolder);
        foreach (var demoSection in selected)
        {
            stdout.WriteLine();
            stdout.WriteLine($"== {demoSection.Title} ==");
            var clock = Stopwatch.StartNew();
            if (page is null) demoSection.Run(stdout);
            else page.Run(demoSection, stdout);
            stdout.WriteLine($"  ({clock.Elapsed.TotalSeconds:0.00} s)");
        }
        stdout.WriteLine();
        if (page is not null)
        {
            var clock = Stopwatch.StartNew();
            int figures = page.Write();
            stdout.WriteLine($"wrote {Path.Combine(reportFolder!, Report.RunReport.PageFile)} ({figures} figures, also in {Report.RunReport.FiguresFolder}/; {clock.Elapsed.TotalSeconds:0.00} s)");
        }
        stdout.WriteLine($"demo done: {selected.Count} section{(selected.Count == 1 ? "" : "s")} in {total.Elapsed.TotalSeconds:0.00} s");
        return Program.ExitSuccess;
    }
}
