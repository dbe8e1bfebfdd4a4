using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Learn.ModelSelection;
using MtlEngine.Metrics;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// The demo section "pca-shared": one PCA representation shared by two tasks on the shipped digits. PCA (16
/// components) is fitted once on the training images; the digit (10 classes) and its parity (2 classes) are each
/// fitted on those 16 shared features by a least-squares classifier (<see cref="Ridge"/> on one-hot targets, the class
/// of the largest output) — and, for comparison, on the 64 raw pixels. A per-task table of accuracy and macro F1.
/// </summary>
internal static class PcaSharedSection
{
    /// <summary>The section, to be listed in <see cref="DemoCommand.Sections"/>.</summary>
    public static DemoSection Section { get; } = new("pca-shared",
        "a PCA representation shared by two tasks on digits: digit and parity (least-squares classifier: ridge on one-hot targets)", o => Run(o))
    {
        RunWithFigures = Run,
    };

    /// <summary>One task on one representation.</summary>
    internal sealed record Row(string Task, string Representation, int Features, double TrainAccuracy, double TestAccuracy, double TestMacroF1);

    /// <summary>Fits the shared PCA and the per-task classifiers; returns the rows and the PCA model (also used by the test).</summary>
    internal static (IReadOnlyList<Row> Rows, PcaModel Pca) Experiment(int components = 16, double alpha = 1.0, ulong seed = 0)
    {
        var data = ShippedDatasets.LoadDigits();
        var digit = data.Tasks[0];
        var split = TrainTestSplit.Split(data.SampleCount, testSize: 0.25, seed: seed, stratify: digit.Labels);
        var xTrain = Take(data.Features, split.Train);
        var xTest = Take(data.Features, split.Test);

        var pca = new Pca(Components: components, Solver: PcaSolver.Full).Fit(xTrain);  // fitted once, shared by both tasks
        var zTrain = pca.Transform(xTrain);
        var zTest = pca.Transform(xTest);

        var rows = new List<Row>();
        foreach (var task in new[] { data.Tasks[0], data.Tasks[1] })
        {
            var yTrain = split.Train.Select(i => task.Labels[i]).ToArray();
            var yTest = split.Test.Select(i => task.Labels[i]).ToArray();
            foreach (var (name, train, test) in new[] { ($"shared PCA-{components}", zTrain, zTest), ("raw pixels", xTrain, xTest) })
            {
                var model = new Ridge(Alpha: alpha).Fit(train, OneHot(yTrain, task.ClassCount));
                var trainPred = ArgMax(model.Predict(train));
                var testPred = ArgMax(model.Predict(test));
                rows.Add(new Row(task.Task, name, train.Dim(1),
                    ClassificationMetrics.Accuracy(yTrain, trainPred),
                    ClassificationMetrics.Accuracy(yTest, testPred),
                    ClassificationMetrics.F1Score(yTest, testPred, Averaging.Macro)));
            }
        }
        return (rows, pca);
    }

    private static void Run(TextWriter output) => Run(output, null);

    private static void Run(TextWriter output, DemoFigures? figures)
    {
        var (rows, pca) = Experiment();
        if (figures is not null)
        {
            var digits = ShippedDatasets.LoadDigits();
            figures.Add(Plots.Figures.ExplainedVariance(pca.ExplainedVarianceRatio, $"PCA of the digit images: explained variance ({pca.ComponentCount} components)"),
                "The share of the pixels' variance each component explains (bars) and the running total (line): the shared representation keeps the first 16.");
            figures.Add(Plots.Figures.RepresentationScatter(digits.Features, digits.Labels, digits.ClassNames, "Digit images on their first two principal components"),
                "All 1,797 images on the first two components of the 64 pixels, coloured by digit: the linear representation separates some digits (0, 4, 6) and mixes others.");
        }
        var ratio = pca.ExplainedVarianceRatio;
        output.WriteLine($"  digits: 1,797 images x 64 pixels, stratified 75/25 split; PCA fitted once on the training images ({pca.ComponentCount} components, solver {pca.Report.Solver.ToString().ToLowerInvariant()})");
        output.WriteLine($"  explained variance ratio: {TextTable.Percent(ratio.Sum())} in {pca.ComponentCount} components; first five {string.Join(", ", ratio.Take(5).Select(TextTable.Percent))}");
        var table = new TextTable("task", "representation", "features", "train accuracy", "test accuracy", "test macro F1");
        foreach (var r in rows)
            table.Add(r.Task, r.Representation, r.Features.ToString(System.Globalization.CultureInfo.InvariantCulture),
                TextTable.Percent(r.TrainAccuracy), TextTable.Percent(r.TestAccuracy), TextTable.Number(r.TestMacroF1));
        table.WriteTo(output);
        output.WriteLine("  both tasks read the same 16 PCA features (one representation, two heads): a quarter of the inputs, one shared fit.");
    }

    private static MtlTensor<double> Take(MtlTensor<double> x, int[] rows)
    {
        int d = x.Dim(1);
        var source = x.ToArray();
        var result = new double[rows.Length * d];
        for (int r = 0; r < rows.Length; r++) Array.Copy(source, rows[r] * d, result, r * d, d);
        return MtlTensor.FromArray(result, rows.Length, d);
    }

    private static MtlTensor<double> OneHot(int[] labels, int classes)
    {
        var y = new double[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++) y[i * classes + labels[i]] = 1;
        return MtlTensor.FromArray(y, labels.Length, classes);
    }

    private static int[] ArgMax(MtlTensor<double> scores)
    {
        int n = scores.Dim(0), c = scores.Dim(1);
        var s = scores.ToArray();
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < c; j++)
                if (s[i * c + j] > s[i * c + best]) best = j;
            result[i] = best;
        }
        return result;
    }
}
