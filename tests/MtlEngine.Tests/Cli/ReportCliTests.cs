using System.Text.Json.Nodes;
using System.Xml.Linq;
using MtlEngine.Cli.Demo;
using MtlEngine.Cli.Report;
using MtlEngine.Tests.Plots;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// The report of a run: <c>mtl train</c> writes report.html and figures/*.svg; <c>mtl report DIR</c> rebuilds them, also with
/// the optional sections of metrics.json, and fails with one line on a folder that is not a run; <c>mtl demo --report</c>.
/// </summary>
public sealed class ReportCliTests : IDisposable
{
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static XElement Page(string folder)
    {
        string html = File.ReadAllText(Path.Combine(folder, "report.html"));
        HtmlReportTests.AssertSelfContained(html);
        return HtmlReportTests.ParsePage(html).Root!;
    }

    [Fact]
    public void TrainWritesTheReportAndReportRebuildsIt()
    {
        TrainCliTests.WriteFixture(_dir);
        string spec = Path.Combine(_dir, "spec.json"), output = Path.Combine(_dir, "out");
        File.WriteAllText(spec, TrainCliTests.Full);
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", spec, "--out", output, "--threads", "2");
        Assert.True(code == 0, error);
        Assert.Contains("report.html", stdout);

        // metrics.json has the confusion matrices of the category task and of the one-column binary task (test rows).
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        var color = metrics["confusion"]!["color"]!.AsArray();
        Assert.Equal(3, color.Count);
        Assert.Equal(metrics["tasks"]!["color"]!["test"]!["samples"]!.GetValue<int>(), color.Sum(r => r!.AsArray().Sum(c => c!.GetValue<long>())));
        Assert.Equal(2, metrics["confusion"]!["big"]!.AsArray().Count);
        Assert.Null(metrics["confusion"]!["size"]);
        Assert.True(File.Exists(Path.Combine(output, "representation.npz")));

        var page = Page(output);
        var figures = Directory.GetFiles(Path.Combine(output, "figures"), "*.svg").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["confusion_big.svg", "confusion_color.svg", "loss.svg", "representation.svg", "validation_accuracy.svg", "validation_rmse.svg"], figures);
        Assert.Equal(figures.Length, page.Descendants(Svg + "svg").Count());
        foreach (var f in figures) XDocument.Parse(File.ReadAllText(Path.Combine(output, "figures", f)));
        var headings = page.Descendants(Xhtml + "h2").Select(h => h.Value).ToList();
        Assert.Equal(["Test metrics", "Run: settings and timing", "Figures", "Spec"], headings);
        Assert.Contains(page.Descendants(Xhtml + "td"), td => td.Value == "epochs run");
        Assert.Contains("\"early_stopping\"", page.Descendants(Xhtml + "pre").Single().Value); // the spec

        // mtl report rebuilds the same page from the folder.
        string first = File.ReadAllText(Path.Combine(output, "report.html"));
        File.Delete(Path.Combine(output, "report.html"));
        Directory.Delete(Path.Combine(output, "figures"), recursive: true);
        (code, stdout, error) = CliRunner.Mtl("report", output);
        Assert.True(code == 0, error);
        Assert.Contains("6 figures", stdout);
        Assert.Equal(first, File.ReadAllText(Path.Combine(output, "report.html")));
        Assert.Equal(figures.Length, Directory.GetFiles(Path.Combine(output, "figures"), "*.svg").Length);
    }

    [Fact]
    public void ReportReadsTheOptionalSectionsOfMetricsJson()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), """
            {
              "tasks": {"a": {"test": {"accuracy": 0.9}, "validation": {"accuracy": 0.8}}, "b": {"test": {"rmse": 1.5}, "validation": {}}},
              "epochs_run": 2,
              "training": {"weighting": "dwa", "epochs": [
                {"epoch": 1, "task_weights": {"a": 1, "b": 1}, "gradient_conflict": [[1, -0.2], [-0.2, 1]]},
                {"epoch": 2, "task_weights": {"a": 1.2, "b": 0.8}, "gradient_conflict": [[1, 0.1], [0.1, 1]]}]},
              "robustness": {"missing_fractions": [0, 1], "seed": 0, "inputs": {
                "image": {"a": {"metric": "accuracy", "values": [0.9, 0.5], "area": 0.7}, "b": {"metric": "r2", "values": [0.5, 0.1], "area": 0.3}},
                "text": {"a": {"metric": "accuracy", "values": [0.9, 0.8], "area": 0.85}}}},
              "retrieval": {"image_to_text": {"recall@1": 0.3, "recall@5": 0.6, "median_rank": 4}, "text_to_image": {"recall@1": 0.2}},
              "confusion": {"a": [[3, 1], [0, 4]]}
            }
            """);
        var data = RunReportReader.Read(_dir);
        Assert.Equal(2, data.TaskWeights!.Count);
        Assert.Equal(0.1, data.GradientConflict![1].Cosine[0, 1]);
        Assert.Equal(2, data.Robustness!["image"].Count);
        Assert.Equal(0.5, data.Robustness!["image"][1].Metric);
        Assert.Equal("a accuracy", data.RobustnessMetric);
        Assert.Equal(new Dictionary<int, double> { [1] = 0.3, [5] = 0.6 }, data.Retrieval!["image_to_text"]);
        Assert.Empty(data.History);
        Assert.Null(data.SpecJson);

        var (code, _, error) = CliRunner.Mtl("report", _dir);
        Assert.True(code == 0, error);
        var names = Directory.GetFiles(Path.Combine(_dir, "figures")).Select(f => Path.GetFileNameWithoutExtension(f)).Order().ToArray();
        Assert.Equal(["confusion_a", "gradient_conflict", "retrieval", "robustness", "task_weights"], names);
        var page = Page(_dir);
        Assert.Equal(5, page.Descendants(Svg + "svg").Count());
        Assert.Contains(page.Descendants(Svg + "title"), t => t.Value == "Gradient conflict (epoch 2)"); // the last epoch's
        Assert.DoesNotContain(page.Descendants(Xhtml + "h2"), h => h.Value == "Spec");
    }

    [Fact]
    public void ReportOnAFolderThatIsNotARunFailsWithOneLine()
    {
        string missing = Path.Combine(_dir, "nowhere");
        Assert.Contains("no such folder", CliRunner.AssertUserError("report", missing));
        Directory.CreateDirectory(_dir);
        Assert.Contains("metrics.json: not found", CliRunner.AssertUserError("report", _dir));
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), "{\"tasks\": ");
        Assert.Contains("not a JSON object", CliRunner.AssertUserError("report", _dir));
        CliRunner.AssertUserError("report");
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), "{\"training\": {\"epochs\": [{\"epoch\": \"one\", \"task_weights\": {\"a\": 1}}]}}");
        Assert.Contains("\"training\" is not in the form the report reads", CliRunner.AssertUserError("report", _dir));
    }

    [Fact]
    public void DemoWithReportWritesOnePageWithEverySelectedSectionAndItsFigures()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, DemoCommand.Run(["iris", "ridge-multitask", "linnerud"], stdout, _dir));
        Assert.Contains("report.html (2 figures", stdout.ToString());
        var page = Page(_dir);
        var sections = page.Descendants(Xhtml + "section").ToList();
        Assert.Equal(3, sections.Count);
        Assert.Single(sections[0].Descendants(Svg + "svg")); // iris: the PCA scatter
        Assert.Empty(sections[1].Descendants(Svg + "svg"));  // linnerud: text only
        Assert.Single(sections[2].Descendants(Svg + "svg")); // ridge paths
        Assert.Contains("setosa", sections[0].Descendants(Xhtml + "pre").Single().Value); // the section's printed report
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_dir, "figures"), "*.svg").Length);
    }
}
