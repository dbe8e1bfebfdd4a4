using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Learn.ModelSelection;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;
using MtlEngine.Metrics;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// The classical multi-task text example: one TF-IDF representation of WordNet glosses shared by two
/// classification tasks over the same texts — part of speech (4 classes) and supersense (45 lexicographer files) —
/// each learned by multinomial logistic regression on that representation, beside the majority-class baseline.
/// A seeded sample of the glosses keeps the section short; the split is stratified by supersense.
/// </summary>
internal static class WordNetTextSection
{
    /// <summary>The section, to be listed in <see cref="DemoCommand.Sections"/>.</summary>
    public static DemoSection Section { get; } = new("wordnet-text",
        "wordnet text tasks: part of speech and supersense by logistic regression over one shared TF-IDF representation", o => Run(o))
    {
        RunWithFigures = Run,
    };

    /// <summary>Test metrics of one task.</summary>
    internal sealed record Row(string Task, int Classes, double Accuracy, double MacroF1, double WeightedF1, double Baseline, int Iterations);

    private const int Samples = 12_000;
    private const double C = 10;

    /// <summary>Vectorizes a sample of the glosses once, fits one logistic regression per task, returns the table rows.</summary>
    internal static IReadOnlyList<Row> Experiment(int samples = Samples, ulong seed = 7, TextWriter? output = null, DemoFigures? figures = null)
    {
        var data = ShippedDatasets.LoadWordNetGlosses().ToTextClassification();
        var rng = new Random(unchecked((int)seed));
        int[] pick = Enumerable.Range(0, data.Count).OrderBy(_ => rng.Next()).Take(Math.Min(samples, data.Count)).ToArray();
        var supersense = data.Tasks[1].Labels;
        var split = TrainTestSplit.Split(pick.Length, testSize: 0.25, seed: seed, stratify: pick.Select(i => supersense[i]).ToArray());
        string[] Texts(int[] rows) => rows.Select(r => data.Texts[pick[r]]).ToArray();

        // One representation for both tasks: fitted on the training texts only.
        var vectorizer = new TfidfVectorizer { MinDf = 2, SublinearTf = true, NGramRange = (1, 1) };
        CsrMatrix train = vectorizer.FitTransform(Texts(split.Train), out var tfidf);
        CsrMatrix test = tfidf.Transform(Texts(split.Test));
        output?.WriteLine($"  {TextTable.Count(pick.Length)} of {TextTable.Count(data.Count)} glosses ({TextTable.Count(split.Train.Length)} train, {TextTable.Count(split.Test.Length)} test); "
            + $"TF-IDF (words, min_df 2, sublinear tf, l2): {TextTable.Count(tfidf.FeatureCount)} features, {TextTable.Count(train.NonZeros)} stored entries");

        var rows = new List<Row>();
        foreach (var task in data.Tasks)
        {
            int[] yTrain = split.Train.Select(r => task.Labels[pick[r]]).ToArray();
            int[] yTest = split.Test.Select(r => task.Labels[pick[r]]).ToArray();
            var model = new LogisticRegression { C = C, MaxIterations = 100 }.Fit(train, yTrain);
            int[] predicted = model.Predict(test);
            figures?.Add(Plots.Figures.Confusion(ClassificationMetrics.ConfusionMatrix(yTest, predicted, Enumerable.Range(0, task.ClassCount).ToArray()),
                    task.ClassCount <= 15 ? task.ClassNames : null, $"WordNet {task.Task}: confusion matrix (test)"),
                $"{task.Task} of the test glosses: rows true, columns predicted; the colour is the share of the row"
                + (task.ClassCount <= 15 ? "." : $" ({task.ClassCount} classes by number: {string.Join(", ", task.ClassNames.Select((name, i) => $"{i} {name}"))})."));
            int majority = yTrain.GroupBy(y => y).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            rows.Add(new Row(task.Task, task.ClassCount,
                ClassificationMetrics.Accuracy(yTest, predicted),
                ClassificationMetrics.F1Score(yTest, predicted, Averaging.Macro),
                ClassificationMetrics.F1Score(yTest, predicted, Averaging.Weighted),
                yTest.Count(y => y == majority) / (double)yTest.Length,
                model.Report?.Iterations ?? 0));
        }
        return rows;
    }

    private static void Run(TextWriter output) => Run(output, null);

    private static void Run(TextWriter output, DemoFigures? figures)
    {
        var rows = Experiment(output: output, figures: figures);
        var table = new TextTable("task", "classes", "test accuracy", "macro F1", "weighted F1", "majority baseline", "L-BFGS iterations");
        foreach (var row in rows)
            table.Add(row.Task, row.Classes.ToString(), TextTable.Number(row.Accuracy), TextTable.Number(row.MacroF1),
                TextTable.Number(row.WeightedF1), TextTable.Number(row.Baseline), row.Iterations.ToString());
        table.WriteTo(output);
        output.WriteLine($"  (multinomial logistic regression, C = {C}, lbfgs; both tasks read the same sparse matrix)");
    }
}
