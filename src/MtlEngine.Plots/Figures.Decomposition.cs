using System.Globalization;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace MtlEngine.Plots;

public static partial class Figures
{
    /// <summary>
    /// A representation seen in 2-D: the samples' scores on the first two principal components of
    /// <paramref name="representation"/> (our <see cref="Pca"/>), one colour per class. Classes that form separate clouds
    /// are ones the representation separates.
    /// </summary>
    /// <param name="representation">Z of shape (n_samples, n_features): a shared trunk's or a fusion's output, or raw features.</param>
    /// <param name="labels">The n class labels (0..k−1; a negative label is left out).</param>
    /// <param name="classNames">The class names, or null for the labels' numbers.</param>
    /// <param name="title">The title.</param>
    /// <exception cref="ArgumentException">When Z is not 2-d with at least 2 rows and 1 column, or the labels' count differs from its rows.</exception>
    public static Figure RepresentationScatter(MtlTensor<double> representation, IReadOnlyList<int> labels, IReadOnlyList<string>? classNames = null,
        string title = "Shared representation (PCA)")
    {
        ArgumentNullException.ThrowIfNull(representation);
        ArgumentNullException.ThrowIfNull(labels);
        if (representation.Rank != 2 || representation.Dim(0) < 2 || representation.Dim(1) < 1)
            throw new ArgumentException($"The representation must be a matrix (n_samples ≥ 2, n_features ≥ 1), not of shape ({string.Join(", ", representation.Shape.ToArray())}).", nameof(representation));
        int n = representation.Dim(0);
        if (labels.Count != n) throw new ArgumentException($"There are {labels.Count} labels for {n} samples.", nameof(labels));
        int components = Math.Min(2, representation.Dim(1));
        var pca = new Pca(Components: components, Solver: PcaSolver.Full).Fit(representation); // exact; the demo's PCA uses it too
        var scores = pca.Transform(representation).ToArray();
        var ratio = pca.ExplainedVarianceRatio;

        var model = Style.Model(title);
        var x = Style.Linear(AxisPosition.Bottom, $"PC1 ({Percent(ratio[0])} of the variance)");
        var y = Style.Linear(AxisPosition.Left, components > 1 ? $"PC2 ({Percent(ratio[1])})" : "PC2 (none: one feature)");
        foreach (var axis in new[] { x, y }) axis.MinimumPadding = axis.MaximumPadding = 0.03; // the outermost markers whole inside the frame
        model.Axes.Add(x);
        model.Axes.Add(y);
        var classes = labels.Where(l => l >= 0).Distinct().Order().ToArray();
        foreach (int c in classes)
        {
            var series = new ScatterSeries
            {
                Title = classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture),
                MarkerType = MarkerType.Circle,
                MarkerSize = 2.5,
                MarkerFill = Style.Color(c),
                MarkerStroke = OxyColors.Undefined,
            };
            for (int i = 0; i < n; i++)
                if (labels[i] == c) series.Points.Add(new ScatterPoint(scores[i * components], components > 1 ? scores[i * components + 1] : 0));
            model.Series.Add(series);
        }
        return new Figure(model, 640, 480);
    }

    /// <summary>
    /// PCA's explained variance: the ratio of each component (bars) and the cumulative ratio (line with markers), both
    /// against the component's number.
    /// </summary>
    /// <param name="ratio">explained_variance_ratio_, largest first (<see cref="PcaModel.ExplainedVarianceRatio"/>).</param>
    /// <param name="title">The title.</param>
    public static Figure ExplainedVariance(IReadOnlyList<double> ratio, string title = "PCA explained variance")
    {
        ArgumentNullException.ThrowIfNull(ratio);
        var model = Style.Model(title);
        var x = Style.Linear(AxisPosition.Bottom, "component");
        x.Minimum = 0.4;
        x.Maximum = ratio.Count + 0.6;
        x.MinimumMajorStep = 1;
        x.MinimumMinorStep = 1;
        model.Axes.Add(x);
        var y = Style.Linear(AxisPosition.Left, "share of the variance");
        y.Minimum = 0;
        y.Maximum = 1.02;
        model.Axes.Add(y);
        var bars = new RectangleBarSeries { Title = "per component", FillColor = Style.Color(0), StrokeThickness = 0 };
        var cumulative = Line("cumulative", Style.Color(1), LineStyle.Solid, MarkerType.Circle);
        double sum = 0;
        for (int i = 0; i < ratio.Count; i++)
        {
            sum += ratio[i];
            bars.Items.Add(new RectangleBarItem(i + 1 - 0.35, 0, i + 1 + 0.35, ratio[i]));
            cumulative.Points.Add(new DataPoint(i + 1, sum));
        }
        model.Series.Add(bars);
        model.Series.Add(cumulative);
        return new Figure(model);
    }

    /// <summary>
    /// Ridge coefficient paths: each feature's coefficient in <see cref="Ridge"/> fits of y on X over the penalties α
    /// (x, log scale), one line per feature; they shrink towards 0 as α grows. Standardize X first for comparable paths.
    /// </summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <param name="y">y of shape (n_samples,).</param>
    /// <param name="alphas">The penalties (positive).</param>
    /// <param name="featureNames">The feature names, or null for x0, x1, ...</param>
    /// <param name="title">The title.</param>
    /// <exception cref="ArgumentException">When y is not a vector, an α is not positive, or the names do not match X's columns.</exception>
    public static Figure RidgePaths(MtlTensor<double> x, MtlTensor<double> y, IReadOnlyList<double> alphas, IReadOnlyList<string>? featureNames = null,
        string title = "Ridge coefficient paths")
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(alphas);
        if (y.Rank != 1) throw new ArgumentException($"y must be a vector (n_samples,), not of shape ({string.Join(", ", y.Shape.ToArray())}); plot one target at a time.", nameof(y));
        if (alphas.Count == 0 || alphas.Any(a => !(a > 0))) throw new ArgumentException("alphas must be positive (the x axis is logarithmic) and not empty.", nameof(alphas));
        int d = x.Dim(1);
        featureNames ??= Enumerable.Range(0, d).Select(j => "x" + j.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (featureNames.Count != d) throw new ArgumentException($"There are {featureNames.Count} feature names for {d} columns of X.", nameof(featureNames));
        var sorted = alphas.Order().ToArray();
        var coefficients = sorted.Select(a => new Ridge(Alpha: a).Fit(x, y).Coefficients.ToArray()).ToArray();

        var model = Style.Model(title);
        model.Axes.Add(Style.Axis(new LogarithmicAxis(), AxisPosition.Bottom, "α (penalty)"));
        model.Axes.Add(Style.Linear(AxisPosition.Left, "coefficient"));
        for (int j = 0; j < d; j++)
        {
            var series = Line(featureNames[j], Style.Color(j), j < Style.Palette.Length ? LineStyle.Solid : LineStyle.Dash);
            for (int a = 0; a < sorted.Length; a++) series.Points.Add(new DataPoint(sorted[a], coefficients[a][j]));
            model.Series.Add(series);
        }
        return new Figure(model, 640, 440);
    }

    private static string Percent(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
