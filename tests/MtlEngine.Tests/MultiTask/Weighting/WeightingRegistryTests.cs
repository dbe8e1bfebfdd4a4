using MtlEngine.Data;
using MtlEngine.Metrics;
using MtlEngine.MultiTask;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using static MtlEngine.Tests.MultiTask.WeightingFixture;

namespace MtlEngine.Tests.MultiTask.Weighting;

/// <summary>The registry of training strategies, Δm% on hand examples, and strategies inside the open trainer.</summary>
public class WeightingRegistryTests
{
    [Fact]
    public void EveryLossWeightingAndEveryAggregatorIsRegisteredAndBuilds()
    {
        string[] lossWeighting = ["ew", "fixed", "uw", "dwa", "rlw", "gls", "db-mtl", "famo", "gradnorm", "imtl-l"];
        Assert.Equal(lossWeighting, TrainingStrategies.Names.Take(lossWeighting.Length));
        foreach (var aggregator in GradientAggregators.Names) Assert.Contains(aggregator, TrainingStrategies.Names);
        foreach (string name in TrainingStrategies.Names)
        {
            var strategy = TrainingStrategies.Create<double>(name, Tasks);
            Assert.Equal(name, strategy.Name);
            Assert.Equal(TrainingStrategies.Entry(name).Aggregation, strategy is AggregationStrategy<double> || name == "imtl");
        }
    }

    [Fact]
    public void ParametersAreCheckedAndTheLearningRateIsTheDefaultOfTheStrategiesOwn()
    {
        var dwa = (DynamicWeightAverage<double>)TrainingStrategies.Create<double>("dwa", Tasks, new Dictionary<string, double> { ["dwa-temperature"] = 5 });
        Assert.Equal(5, dwa.Temperature);
        Assert.Contains("its parameters are: dwa-temperature",
            Assert.Throws<ArgumentException>(() => TrainingStrategies.Create<double>("dwa", Tasks, new Dictionary<string, double> { ["temperature"] = 5 })).Message);
        Assert.Contains("it takes none",
            Assert.Throws<ArgumentException>(() => TrainingStrategies.Create<double>("gls", Tasks, new Dictionary<string, double> { ["x"] = 1 })).Message);
        Assert.Contains("temperature must be positive",
            Assert.Throws<ArgumentException>(() => TrainingStrategies.Create<double>("dwa", Tasks, new Dictionary<string, double> { ["dwa-temperature"] = 0 })).Message);
        Assert.Contains("the strategies are: ew, fixed, uw",
            Assert.Throws<ArgumentException>(() => TrainingStrategies.Create<double>("pcgard", Tasks)).Message);
        Assert.Contains("rep_grad applies to gradient-aggregation methods",
            Assert.Throws<ArgumentException>(() => TrainingStrategies.Create<double>("uw", Tasks, options: new TrainingStrategyOptions(RepresentationGradients: true))).Message);

        // UW's log-variances move by about its learning rate on the first step: the training learning rate by default.
        var uw = (UncertaintyWeighting<double>)TrainingStrategies.Create<double>("uw", Tasks, options: new TrainingStrategyOptions(LearningRate: 0.05));
        Gradients(Model(), uw.Backward);
        Assert.All(uw.LogVariances, s => Assert.Equal(0.05, Math.Abs(s + 0.5), 6));
    }

    [Fact]
    public void DeltaMAveragesEachTasksRelativeImprovementWithTheSignOfItsDirection()
    {
        // Accuracy 0.9 against 0.8 (+12.5 %), RMSE 1.0 against 1.25 (lower is better: +20 %): Δm = 16.25 %.
        Assert.Equal(16.25, DeltaM.Percent([new("a", "accuracy", 0.9, 0.8, true), new("b", "rmse", 1.0, 1.25, false)]), 12);
        // Worse on both, −12.5 % and −25 %: Δm = −18.75 %.
        Assert.Equal(-18.75, DeltaM.Percent([new("a", "accuracy", 0.7, 0.8, true), new("b", "rmse", 1.25, 1.0, false)]), 12);
        // A task's metrics are averaged before the tasks: a = (+10 % − 10 %)/2 = 0, b = +50 %: Δm = 25 %.
        Assert.Equal(25, DeltaM.Percent([new("a", "accuracy", 0.55, 0.5, true), new("a", "mae", 1.1, 1.0, false), new("b", "f1", 0.3, 0.2, true)]), 12);
        Assert.Contains("baseline is 0", Assert.Throws<ArgumentException>(() => DeltaM.Percent([new("a", "r2", 0.3, 0, true)])).Message);
        Assert.Throws<ArgumentException>(() => DeltaM.Percent([]));
        Assert.StartsWith("delta_m_percent > 0: better", DeltaM.SignConvention);
    }

    [Fact]
    public void TheTrainerRecordsTheMeanWeightsAndTheConflictOfEachEpochAndACheckpointKeepsThem()
    {
        const int n = 24;
        var data = new MultiTaskDataset<double>(n);
        data.AddInput("x", Enumerable.Range(0, n * 3).Select(i => Math.Sin(0.37 * i)).ToArray(), [n, 3]);
        data.AddLabels("a", Enumerable.Range(0, n).Select(i => i % 3).ToArray());
        data.AddValues("b", Enumerable.Range(0, n).Select(i => Math.Cos(i)).ToArray(), 1);
        data.AddValues("c", Enumerable.Range(0, 2 * n).Select(i => Math.Sin(2.1 * i)).ToArray(), 2);
        string checkpoint = Path.Combine(Path.GetTempPath(), "mtl-weighting-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var model = Model();
            var strategy = new RandomLossWeighting<double>(Tasks, seed: 4, recordConflict: true);
            var twin = new RandomLossWeighting<double>(Tasks, seed: 4);
            using var optimizer = new Adam<double>(model.Parameters(), 0.01);
            var trainer = new Trainer<double>(model, optimizer, new TrainingOptions(Epochs: 2, BatchSize: 8, CheckpointPath: checkpoint), strategy);
            var result = trainer.Fit(data, Enumerable.Range(0, n).ToArray());
            foreach (var report in result.History)
            {
                var draws = Enumerable.Range(0, 3).Select(_ => twin.NextWeights()).ToArray(); // three batches an epoch
                for (int t = 0; t < 3; t++) Assert.Equal(draws.Average(w => w[t]), report.TaskWeights![Tasks[t].Name], 12);
                var conflict = report.GradientConflict!;
                Assert.Equal(3, conflict.Count);
                for (int i = 0; i < 3; i++)
                {
                    Assert.Equal(1.0, conflict[i][i], 12);
                    for (int j = 0; j < 3; j++)
                    {
                        Assert.InRange(conflict[i][j], -1, 1);
                        Assert.Equal(conflict[i][j], conflict[j][i], 12);
                    }
                }
            }
            Assert.NotEqual(result.History[0].GradientConflict![0][1], result.History[1].GradientConflict![0][1]);

            // A resumed run reads the history, conflict included, back from the checkpoint.
            var resumed = new Trainer<double>(Model(), new Adam<double>(Model().Parameters(), 0.01),
                new TrainingOptions(Epochs: 2, BatchSize: 8, CheckpointPath: checkpoint, Resume: true), new FixedWeights<double>(Tasks));
            var history = resumed.Fit(data, Enumerable.Range(0, n).ToArray()).History;
            Assert.Equal(result.History[1].GradientConflict![0][1], history[1].GradientConflict![0][1]);
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }
}
