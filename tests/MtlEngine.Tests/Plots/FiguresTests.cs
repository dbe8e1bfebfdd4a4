using System.Globalization;
using System.Xml.Linq;
using MtlEngine.Plots;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using OxyPlot;
using OxyPlot.Series;

namespace MtlEngine.Tests.Plots;

/// <summary>
/// Every figure: valid SVG (parsed as XML) with a viewBox and a title, axes (their titles drawn), a legend where there are
/// several series (each series' title drawn), the right number of series and points, text and axes in currentColor; the
/// structure of one small plot pinned; the input checks.
/// </summary>
public sealed class FiguresTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly TaskHistory[] History =
    [
        new("digit", [2.0, 1.0, 0.5], [2.1, 1.2, 0.7], "accuracy", [0.5, 0.7, 0.8]),
        new("parity", [0.7, 0.5, 0.3], [0.7, 0.6, double.NaN], "accuracy", [0.6, 0.8, 0.9]),
    ];

    /// <summary>Parses the figure's SVG and checks what every figure has; returns the document's root.</summary>
    private static XElement Parse(Figure figure)
    {
        string text = figure.ToSvg();
        var root = XDocument.Parse(text).Root!;
        Assert.Equal(Svg + "svg", root.Name);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"0 0 {figure.Width} {figure.Height}"), root.Attribute("viewBox")?.Value);
        Assert.Equal(figure.Title, root.Element(Svg + "title")?.Value);
        Assert.DoesNotContain(Style.InkSvg, text);
        Assert.Contains("currentColor", text);
        Assert.True(root.Descendants().Count() > 20, "an almost empty SVG");
        return root;
    }

    /// <summary>The strings drawn as text.</summary>
    private static HashSet<string> Texts(XElement root) => root.Descendants(Svg + "text").Select(t => t.Value).ToHashSet();

    /// <summary>The polylines drawn in a colour with a given stroke width (data lines and legend symbols).</summary>
    private static List<XElement> Lines(XElement root, OxyColor color, double width = 2) =>
        root.Descendants(Svg + "polyline")
            .Where(p => (p.Attribute("style")?.Value ?? "").Contains($"stroke:rgb({color.R},{color.G},{color.B});stroke-width:{width.ToString(CultureInfo.InvariantCulture)}"))
            .ToList();

    private static int PointCount(XElement polyline) => polyline.Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static void AssertAxesAndLegend(XElement root, Figure figure, params string[] axisTitles)
    {
        var texts = Texts(root);
        Assert.Contains(figure.Title, texts);
        foreach (var a in axisTitles) Assert.Contains(a, texts);
        if (figure.Model.Series.Count > 1)
            foreach (var s in figure.Model.Series) Assert.Contains(s.Title, texts);
    }

    [Fact]
    public void LossesDrawATrainAndAValidationLinePerTaskWithAPointPerEpoch()
    {
        var figure = Figures.Losses(History);
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "epoch", "loss");
        Assert.Equal(4, figure.Model.Series.Count);
        Assert.All(figure.Model.Series.Cast<LineSeries>(), s => Assert.Equal(3, s.Points.Count));
        // Task 0's colour: its train and validation lines and their two legend symbols.
        var digit = Lines(root, Style.Color(0));
        Assert.Equal(4, digit.Count);
        Assert.Equal(2, digit.Count(l => PointCount(l) == 3));
        // parity's validation loss has a NaN in epoch 3: its line stops after 2 points.
        Assert.Contains(Lines(root, Style.Color(1)), l => PointCount(l) == 2);
    }

    [Fact]
    public void ValidationMetricHasALinePerTask()
    {
        var figure = Figures.ValidationMetric(History);
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "epoch", "accuracy");
        Assert.Equal("Validation accuracy", figure.Title);
        Assert.Equal(2, figure.Model.Series.Count);
        Assert.Single(Lines(root, Style.Color(0)), l => PointCount(l) == 3);
        Assert.Single(Lines(root, Style.Color(1)), l => PointCount(l) == 3);
    }

    [Fact]
    public void TaskWeightsHaveALinePerTaskAndAPointPerEpochThatHasTheTask()
    {
        var epochs = new[]
        {
            new EpochWeights(1, new Dictionary<string, double> { ["a"] = 1, ["b"] = 1 }),
            new EpochWeights(2, new Dictionary<string, double> { ["a"] = 1.4, ["b"] = 0.6 }),
            new EpochWeights(3, new Dictionary<string, double> { ["a"] = 1.5 }),
        };
        var figure = Figures.TaskWeights(epochs);
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "epoch", "weight");
        var series = figure.Model.Series.Cast<LineSeries>().ToList();
        Assert.Equal(["a", "b"], series.Select(s => s.Title));
        Assert.Equal([3, 2], series.Select(s => s.Points.Count));
        Assert.Equal(new DataPoint(3, 1.5), series[0].Points[2]);
    }

    [Fact]
    public void GradientConflictIsALabelledTByTHeatMapOnMinusOneToOne()
    {
        var cosine = new double[,] { { 1, -0.5, 0.25 }, { -0.5, 1, 0.75 }, { 0.25, 0.75, 1 } };
        var figure = Figures.GradientConflict(new ConflictMatrix(4, ["digit", "parity", "ge5"], cosine));
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "task", "cosine");
        Assert.Equal("Gradient conflict (epoch 4)", figure.Title);
        var texts = Texts(root);
        foreach (var name in new[] { "digit", "parity", "ge5", "-0.50", "0.25", "0.75", "1.00" }) Assert.Contains(name, texts);
        var heat = Assert.IsType<HeatMapSeries>(Assert.Single(figure.Model.Series));
        Assert.Equal(9, heat.Data.Length);
        Assert.Equal(-0.5, heat.Data[1, 0]); // [x = column, y = row]
        var colors = figure.Model.Axes.OfType<OxyPlot.Axes.LinearColorAxis>().Single();
        Assert.Equal((-1.0, 1.0), (colors.Minimum, colors.Maximum));
        // 9 cells drawn as rectangles (vector, no embedded bitmap).
        Assert.Empty(root.Descendants(Svg + "image"));
        Assert.True(root.Descendants(Svg + "rect").Count() >= 9);
        Assert.Equal(9, figure.Model.Annotations.Count);
    }

    [Fact]
    public void ConfusionWritesEachCountAndColoursTheShareOfTheRow()
    {
        var counts = new long[,] { { 8, 2 }, { 1, 9 } };
        var figure = Figures.Confusion(counts, ["no", "yes"], "t: confusion");
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "predicted", "true", "share of the row", "no", "yes", "8", "2", "1", "9");
        var heat = Assert.IsType<HeatMapSeries>(Assert.Single(figure.Model.Series));
        Assert.Equal(0.8, heat.Data[0, 0], 12);
        Assert.Equal(0.2, heat.Data[1, 0], 12);
        Assert.Equal(0.1, heat.Data[0, 1], 12);
        // A large matrix shows colours only.
        var big = new long[20, 20];
        for (int i = 0; i < 20; i++) big[i, i] = 3;
        Assert.Empty(Figures.Confusion(big).Model.Annotations);
        Parse(Figures.Confusion(big));
    }

    [Fact]
    public void RobustnessHasAMarkedLinePerModalityInPercentSorted()
    {
        var curves = new Dictionary<string, IReadOnlyList<RobustnessPoint>>
        {
            ["image"] = [new(0.5, 0.7), new(0, 0.9), new(1, 0.4)],
            ["text"] = [new(0, 0.9), new(1, 0.8)],
        };
        var figure = Figures.Robustness(curves, "accuracy");
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "% of the modality missing", "accuracy");
        var image = (LineSeries)figure.Model.Series[0];
        Assert.Equal([0.0, 50, 100], image.Points.Select(p => p.X));
        Assert.Equal(2, ((LineSeries)figure.Model.Series[1]).Points.Count);
        Assert.Equal(3 + 1, root.Descendants(Svg + "ellipse").Count(e => (e.Attribute("style")?.Value ?? "").Contains($"rgb({Style.Color(0).R},{Style.Color(0).G},{Style.Color(0).B})")));
    }

    [Fact]
    public void RetrievalRecallHasALinePerDirectionOverK()
    {
        var recall = new Dictionary<string, IReadOnlyDictionary<int, double>>
        {
            ["image → text"] = new Dictionary<int, double> { [10] = 0.8, [1] = 0.3, [5] = 0.6 },
            ["text → image"] = new Dictionary<int, double> { [1] = 0.2, [5] = 0.5, [10] = 0.7 },
        };
        var figure = Figures.RetrievalRecall(recall);
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "K", "Recall@K");
        Assert.Equal([1.0, 5, 10], ((LineSeries)figure.Model.Series[0]).Points.Select(p => p.X));
        Assert.Throws<ArgumentException>(() => Figures.RetrievalRecall(new Dictionary<string, IReadOnlyDictionary<int, double>> { ["a"] = new Dictionary<int, double> { [0] = 1 } }));
    }

    [Fact]
    public void RepresentationScatterHasASeriesPerClassAndAPointPerLabelledSample()
    {
        const int n = 60, d = 5;
        var z = new TensorRandom(3).Normal([n, d], 0.0, 1.0).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i % 4 == 3 ? -1 : i % 4).ToArray();
        for (int i = 0; i < n; i++) if (labels[i] >= 0) z[i * d + labels[i]] += 6; // three separated clouds
        var figure = Figures.RepresentationScatter(MtlTensor.FromArray(z, n, d), labels, ["a", "b", "c"]);
        var root = Parse(figure);
        var series = figure.Model.Series.Cast<ScatterSeries>().ToList();
        Assert.Equal(["a", "b", "c"], series.Select(s => s.Title));
        Assert.Equal(45, series.Sum(s => s.Points.Count)); // the 15 unlabelled samples are left out
        AssertAxesAndLegend(root, figure);
        Assert.Contains(Texts(root), t => t.StartsWith("PC1 (", StringComparison.Ordinal));
        Assert.Contains(Texts(root), t => t.StartsWith("PC2 (", StringComparison.Ordinal));
        // Each point a marker, plus one legend marker per class.
        Assert.Equal(45 + 3, root.Descendants(Svg + "ellipse").Count());
        Assert.Throws<ArgumentException>(() => Figures.RepresentationScatter(MtlTensor.FromArray(z, n, d), labels[..10]));
    }

    [Fact]
    public void ExplainedVarianceHasABarPerComponentAndACumulativeLine()
    {
        var figure = Figures.ExplainedVariance([0.5, 0.3, 0.1]);
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "component", "share of the variance");
        var bars = Assert.IsType<RectangleBarSeries>(figure.Model.Series[0]);
        Assert.Equal([0.5, 0.3, 0.1], bars.Items.Select(b => b.Y1));
        var cumulative = Assert.IsType<LineSeries>(figure.Model.Series[1]);
        Assert.Equal([0.5, 0.8, 0.9], cumulative.Points.Select(p => Math.Round(p.Y, 12)));
    }

    /// <summary>The structure of one small plot, pinned: a change in the exporter or the style shows up here.</summary>
    [Fact]
    public void SnapshotOfASmallPlotsStructure()
    {
        var root = Parse(Figures.ExplainedVariance([0.6, 0.4], "snapshot"));
        var counts = root.DescendantsAndSelf().GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => g.Count());
        var summary = string.Join(" ", counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        Assert.Equal(Snapshot, summary);
        // The two bars and the cumulative line with its 2 points.
        Assert.Equal(2 + 1, root.Descendants().Count(e => (e.Attribute("style")?.Value ?? "").Contains("fill:rgb(78,121,167)"))); // and the legend's
        Assert.Equal(2, Lines(root, Style.Color(1)).Count(l => PointCount(l) == 2)); // and its legend symbol
    }

    // 5 clip regions; 2 bars + legend symbol + plot frame + legend box + 5 clip rects; the title, 2 axis titles, 5 tick labels and
    // 2 legend entries; the cumulative line's 2 markers + its legend marker; ticks, grid lines and lines as polylines.
    private const string Snapshot = "clipPath=5 defs=5 ellipse=3 g=5 polyline=20 rect=10 svg=1 text=10 title=1";

    [Fact]
    public void RidgePathsHaveALinePerFeatureThatShrinksAsAlphaGrows()
    {
        const int n = 50, d = 3;
        var x = new TensorRandom(5).Normal([n, d], 0.0, 1.0);
        var xv = x.ToArray();
        var y = MtlTensor.FromArray(Enumerable.Range(0, n).Select(i => 3 * xv[i * d] - 2 * xv[i * d + 1] + 0.5 * xv[i * d + 2]).ToArray(), n);
        double[] alphas = [1e4, 0.01, 1, 100];
        var figure = Figures.RidgePaths(x, y, alphas, ["a", "b", "c"]);
        var root = Parse(figure);
        AssertAxesAndLegend(root, figure, "α (penalty)", "coefficient", "a", "b", "c");
        var series = figure.Model.Series.Cast<LineSeries>().ToList();
        Assert.Equal(3, series.Count);
        foreach (var s in series)
        {
            Assert.Equal(alphas.Order(), s.Points.Select(p => p.X)); // sorted along the log axis
            Assert.True(Math.Abs(s.Points[^1].Y) < Math.Abs(s.Points[0].Y), $"{s.Title} does not shrink");
        }
        Assert.Equal(3, series[0].Points[0].Y, 1); // α = 0.01: close to least squares, which recovers 3
        Assert.Throws<ArgumentException>(() => Figures.RidgePaths(x, y, [0.0, 1]));
        Assert.Throws<ArgumentException>(() => Figures.RidgePaths(x, y, [1.0], ["a"]));
    }

    [Fact]
    public void MatricesOfTheWrongShapeAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Figures.GradientConflict(new ConflictMatrix(1, ["a", "b"], new double[2, 3])));
        Assert.Throws<ArgumentException>(() => Figures.GradientConflict(new ConflictMatrix(1, ["a"], new double[2, 2])));
        Assert.Throws<ArgumentException>(() => Figures.Confusion(new long[2, 3]));
        Assert.Throws<ArgumentException>(() => Figures.Confusion(new long[2, 2], ["only one"]));
    }

    [Fact]
    public void IdsArePrefixedSoThatFiguresCanShareAPage()
    {
        var a = Figures.ExplainedVariance([0.6, 0.4]).ToSvg("f1");
        var b = Figures.ExplainedVariance([0.6, 0.4]).ToSvg("f2");
        var ids = XDocument.Parse(a).Descendants().Select(e => e.Attribute("id")?.Value).Where(v => v is not null).ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.StartsWith("f1-", id));
        Assert.Empty(ids.Intersect(XDocument.Parse(b).Descendants().Select(e => e.Attribute("id")?.Value)));
        Assert.DoesNotContain("url(#clipPath", a);
        Assert.Throws<ArgumentException>(() => Figures.ExplainedVariance([1.0]).ToSvg("1 bad"));
    }

    [Fact]
    public void WriteSvgWritesTheSameSvgToAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "mtl-plots-" + Guid.NewGuid().ToString("N"), "sub", "f.svg");
        try
        {
            var figure = Figures.ExplainedVariance([0.6, 0.4]);
            figure.WriteSvg(path);
            Assert.Equal(figure.ToSvg(), File.ReadAllText(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(path))!, recursive: true);
        }
    }

    [Fact]
    public void TaskHistoryFromTrainerReports()
    {
        var reports = new[]
        {
            new MtlEngine.Nn.EpochReport(1, 1.0, 1.1, [new("t", "accuracy", 0.5)], new Dictionary<string, double> { ["t"] = 0.9 }, new Dictionary<string, double> { ["t"] = 1.0 }),
            new MtlEngine.Nn.EpochReport(2, 0.5, 0.6, [new("t", "accuracy", 0.7)], new Dictionary<string, double> { ["t"] = 0.4 }, null),
        };
        var h = Assert.Single(TaskHistory.FromReports(reports, [new MtlEngine.Nn.TaskSpec("t", MtlEngine.Nn.TaskKind.Classification, 3)]));
        Assert.Equal([0.9, 0.4], h.TrainLoss);
        Assert.Equal(1.0, h.ValidationLoss[0]);
        Assert.True(double.IsNaN(h.ValidationLoss[1]));
        Assert.Equal([0.5, 0.7], h.ValidationMetric);
        Assert.Equal("accuracy", h.MetricName);
    }
}
