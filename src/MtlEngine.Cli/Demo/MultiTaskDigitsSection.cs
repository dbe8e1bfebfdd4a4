using MtlEngine.Autograd;
using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Metrics;
using MtlEngine.Nn;
using MtlEngine.Plots;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// The demo section for issue 5: a <see cref="MultiTaskNet{T}"/> (hard parameter sharing) on the shipped digits with
/// three tasks (digit, parity, at least 5), beside single-task networks of the same size (same trunk, one head),
/// each trained with the same options; a per-task table of test accuracy.
/// </summary>
internal static class MultiTaskDigitsSection
{
    /// <summary>The section, to be listed in <see cref="DemoCommand.Sections"/>.</summary>
    public static DemoSection Section { get; } = new("mtl-digits", "multi-task network on digits: digit, parity, at least 5 (one shared trunk vs one network per task)", o => Run(o))
    {
        RunWithFigures = Run,
    };

    /// <summary>Test accuracy per task: the multi-task network's and the single-task networks'.</summary>
    internal sealed record Row(string Task, double MultiTask, double SingleTask);

    // (SingleTask is NaN when the experiment ran without the single-task networks.)

    private static readonly int[] Hidden = [256, 128];
    private const double LearningRate = 1e-3, DropoutRate = 0.1;

    /// <summary>Trains and evaluates; returns the table rows (also used by the test).</summary>
    internal static IReadOnlyList<Row> Experiment(int epochs = 80, ulong seed = 1, bool singleTask = true, DemoFigures? figures = null)
    {
        var data = ShippedDatasets.LoadDigits();
        int n = data.SampleCount, d = data.FeatureCount;
        var features = data.Features.ToArray().Select(v => (float)(v / 16.0)).ToArray();
        var order = new TensorRandom(seed).Permutation(n);
        int testCount = n / 5;
        int[] test = order[..testCount], train = order[testCount..];
        MultiTaskData<float> Subset(int[] rows, IReadOnlyList<int> tasks) =>
            new(rows.SelectMany(r => features.AsSpan(r * d, d).ToArray()).ToArray(), rows.Length, d,
                tasks.Select(t => new TaskTargets<float>(Labels: rows.Select(r => data.Tasks[t].Labels[r]).ToArray())).ToList());
        var specs = data.Tasks.Select(t => new TaskSpec(t.Task, TaskKind.Classification, t.ClassCount)).ToArray();
        var options = new TrainerOptions(Epochs: epochs, BatchSize: 32, LearningRate: LearningRate, Seed: seed, ValidationFraction: 0.1, Patience: 12);

        var all = Enumerable.Range(0, specs.Length).ToArray();
        var multi = new MultiTaskNet<float>(d, Hidden, specs, new TensorRandom(seed + 10), DropoutRate);
        var history = MultiTaskTrainer.Fit(multi, Subset(train, all), options).History;
        var multiMetrics = MultiTaskTrainer.Evaluate(multi, Subset(test, all)).Metrics;
        if (figures is not null) AddFigures(figures, multi, specs, history, Subset(test, all), data.Tasks);

        var rows = new List<Row>();
        for (int t = 0; t < specs.Length; t++)
        {
            if (!singleTask)
            {
                rows.Add(new Row(specs[t].Name, multiMetrics[t].Value, double.NaN));
                continue;
            }
            var single = new MultiTaskNet<float>(d, Hidden, [specs[t]], new TensorRandom(seed + 10), DropoutRate);
            MultiTaskTrainer.Fit(single, Subset(train, [t]), options);
            double singleAccuracy = MultiTaskTrainer.Evaluate(single, Subset(test, [t])).Metrics[0].Value;
            rows.Add(new Row(specs[t].Name, multiMetrics[t].Value, singleAccuracy));
        }
        return rows;
    }

    /// <summary>
    /// The multi-task network's curves, its confusion matrix of the digit on the test part, and its shared representation
    /// (the trunk's output) of the test images in 2-D, coloured by digit.
    /// </summary>
    private static void AddFigures(DemoFigures figures, MultiTaskNet<float> net, IReadOnlyList<TaskSpec> specs, IReadOnlyList<EpochReport> history,
        MultiTaskData<float> test, IReadOnlyList<LabelSet> tasks)
    {
        var curves = TaskHistory.FromReports(history, specs);
        figures.Add(Figures.Losses(curves, "Multi-task network: loss per task"), "Training loss (solid) and validation loss (dashed) of each task per epoch; training stops early on the validation loss.");
        figures.Add(Figures.ValidationMetric(curves, "Multi-task network: validation accuracy"), "Validation accuracy of each task per epoch.");
        bool training = net.Training;
        net.Eval();
        MtlTensor<float> representation, digitLogits;
        using (Grad.NoGrad())
        {
            representation = net.Forward(MtlTensor.FromArray(test.Features, test.Samples, test.FeatureCount));
            digitLogits = net.ForwardHeads(representation)[0];
        }
        net.Train(training);
        var digits = test.Targets[0].Labels!;
        var predicted = digitLogits.ArgMax(1).ToArray();
        figures.Add(Figures.Confusion(ClassificationMetrics.ConfusionMatrix(digits, predicted, Enumerable.Range(0, specs[0].Outputs).ToArray()), tasks[0].ClassNames,
            "Multi-task network: digit confusion matrix (test)"), "Rows are the true digits, columns the predicted ones; the colour is the share of the row.");
        var z = representation.ToArray().Select(v => (double)v).ToArray();
        figures.Add(Figures.RepresentationScatter(MtlTensor.FromArray(z, test.Samples, z.Length / test.Samples), digits, tasks[0].ClassNames,
            "Multi-task network: shared representation of the test images"), $"The trunk's {z.Length / test.Samples}-wide output on the test images, on its first two principal components, coloured by digit: the heads of all three tasks read this representation.");
    }

    private static void Run(TextWriter output) => Run(output, null);

    private static void Run(TextWriter output, DemoFigures? figures)
    {
        output.WriteLine($"  64 pixels -> trunk Linear {Hidden[0]} -> ReLU -> Dropout {DropoutRate} -> Linear {Hidden[1]} -> ReLU -> Dropout {DropoutRate} -> one Linear head per task;");
        output.WriteLine($"  Adam lr {LearningRate}, batch 32, early stopping on 10% of the training part; 80/20 seeded split; single-task networks have the same trunk");
        var table = new TextTable("task", "multi-task test acc", "single-task test acc");
        foreach (var row in Experiment(figures: figures))
            table.Add(row.Task, TextTable.Percent(row.MultiTask), TextTable.Percent(row.SingleTask));
        table.WriteTo(output);
    }
}
