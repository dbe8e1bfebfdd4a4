using System.Globalization;
using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Metrics;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// The demo's short version of <c>benchmarks/mtl_table.py</c> (issue 15): on a seeded subset of the shipped digits (digit,
/// parity, at least 5), a few architectures × training strategies against single-task models of the same encoder and
/// trunk, each task's test accuracy and Δm% (LibMTL's formula, positive: better than single-task). One seed and a few
/// epochs, so that it runs in seconds: the numbers are noisy; the benchmark's tables have three seeds.
/// </summary>
internal static class StrategyTableSection
{
    /// <summary>The section, to be listed in <see cref="DemoCommand.Sections"/>.</summary>
    public static DemoSection Section { get; } = new("mtl-strategies",
        "architectures x training strategies on digits (a subset, one seed): test accuracy and Δm% against single-task", Run);

    /// <summary>One row: the architecture, the strategy, each task's test accuracy, Δm% (NaN for the single-task row).</summary>
    internal sealed record Row(string Architecture, string Strategy, IReadOnlyList<double> Accuracy, double DeltaMPercent);

    internal static readonly string[] Architectures = ["hps", "mmoe"];
    internal static readonly string[] Strategies = ["ew", "uw", "famo", "pcgrad", "cagrad"];
    private const int TrainRows = 600, TestRows = 400, Epochs = 8, BatchSize = 32;
    private const double LearningRate = 3e-3;

    /// <summary>Trains every model of the table and returns its rows, the single-task row first (also used by the test).</summary>
    internal static IReadOnlyList<Row> Experiment(IReadOnlyList<string>? architectures = null, IReadOnlyList<string>? strategies = null, ulong seed = 1)
    {
        var digits = ShippedDatasets.LoadDigits();
        int d = digits.FeatureCount;
        var order = new TensorRandom(seed).Permutation(digits.SampleCount);
        int[] train = order[..TrainRows], test = order[TrainRows..(TrainRows + TestRows)];
        var data = new MultiTaskDataset<float>(digits.SampleCount)
            .AddInput("pixels", digits.Features.ToArray().Select(v => (float)(v / 16.0)).ToArray(), [digits.SampleCount, d]);
        foreach (var task in digits.Tasks) data.AddLabels(task.Task, task.Labels.ToArray());
        var tasks = digits.Tasks.Select(t => new TaskSpec(t.Task, TaskKind.Classification, t.ClassCount)).ToArray();

        double[] Accuracies(string architecture, string strategy, IReadOnlyList<TaskSpec> trained)
        {
            var random = new TensorRandom(seed + 10);
            KeyValuePair<string, InputEncoder<float>>[] encoders = [new("pixels", new MlpEncoder<float>(d, [64], random))];
            MultiTaskModel<float> model = architecture == "mmoe"
                ? new MultiGateMixtureOfExperts<float>(encoders, trained, experts: 3, expertHidden: [32], random)
                : new HardParameterSharing<float>(encoders, [32], trained, random);
            using var adam = new Adam<float>(model.Parameters(), LearningRate);
            var options = new TrainingOptions(Epochs: Epochs, BatchSize: BatchSize, Seed: seed);
            var rule = TrainingStrategies.Create<float>(strategy, trained, options: new TrainingStrategyOptions(LearningRate, seed));
            new Trainer<float>(model, adam, options, rule).Fit(data, train);
            var metrics = Trainer<float>.Evaluate(model, data, test).Metrics;
            return trained.Select(t => metrics.Single(m => m.Task == t.Name).Value).ToArray();
        }

        var single = tasks.Select(t => Accuracies("hps", "ew", [t])[0]).ToArray();
        var rows = new List<Row> { new("single-task", "—", single, double.NaN) };
        foreach (var architecture in architectures ?? Architectures)
            foreach (var strategy in strategies ?? Strategies)
            {
                var accuracy = Accuracies(architecture, strategy, tasks);
                double delta = DeltaM.Percent(tasks.Select((t, i) => new MetricComparison(t.Name, "accuracy", accuracy[i], single[i], HigherIsBetter: true)).ToList());
                rows.Add(new Row(architecture, strategy, accuracy, delta));
            }
        return rows;
    }

    private static void Run(TextWriter output)
    {
        output.WriteLine($"  {TrainRows} training and {TestRows} test digits (seeded), pixels -> MLP encoder 64 -> trunk 32 (hps) or 3 experts of 32 (mmoe);");
        output.WriteLine($"  Adam lr {LearningRate}, {Epochs} epochs of {BatchSize}, one seed; single-task: the hps network with one head, per task.");
        output.WriteLine($"  Δm%: {DeltaM.SignConvention}. The full tables (3 seeds, mean ± std): benchmarks/mtl_table.py, benchmarks/results/.");
        var digits = ShippedDatasets.LoadDigits();
        var table = new TextTable(["architecture", "strategy", .. digits.Tasks.Select(t => t.Task), "Δm%"]);
        foreach (var row in Experiment())
            table.Add([row.Architecture, row.Strategy, .. row.Accuracy.Select(TextTable.Percent),
                double.IsNaN(row.DeltaMPercent) ? "0" : Signed(row.DeltaMPercent)]);
        table.WriteTo(output);
    }

    private static string Signed(double value)
    {
        double rounded = Math.Round(value, 2);
        return rounded == 0 ? "0.00" : rounded.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
    }
}
