using System.CommandLine;

namespace MtlEngine.Cli.Report;

/// <summary><c>mtl report DIR</c>: rebuilds DIR/report.html and DIR/figures/*.svg from a finished <c>mtl train</c> run's folder.</summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var folder = new Argument<string>("DIR") { Description = "The --out folder of a finished mtl train run (metrics.json, history.csv, model.safetensors)." };
        var command = new Command("report", "Rebuild the report page (report.html, figures/*.svg) of a finished mtl train run from its folder.") { folder };
        command.SetAction(parsed => Run(parsed.GetValue(folder)!, stdout));
        return command;
    }

    public static int Run(string folder, TextWriter stdout)
    {
        int figures = RunReport.Write(folder);
        stdout.WriteLine($"wrote {Path.Combine(folder, RunReport.PageFile)} ({figures} figures in {Path.Combine(folder, RunReport.FiguresFolder)})");
        return Program.ExitSuccess;
    }
}
