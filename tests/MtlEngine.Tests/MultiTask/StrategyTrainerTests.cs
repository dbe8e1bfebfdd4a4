using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using MtlEngine.Tests.Nn;
using static MtlEngine.Tests.MultiTask.WeightingFixture;

namespace MtlEngine.Tests.MultiTask;

/// <summary>
/// The trainer's hooks for multi-task strategies and models: the strategies' state in checkpoints (a resumed run equals an
/// uninterrupted one, bitwise, for every stateful strategy), FAMO's logit update after the optimizer's step on the same
/// batch, the model's auxiliary loss (DSelect-k's regularization) in the training gradient, GradNorm's LibMTL reference.
/// </summary>
public class StrategyTrainerTests
{
    /// <summary>40 samples of the fixture's three tasks (3 features).</summary>
    private static MultiTaskDataset<double> Data(int n = 40)
    {
        var x = Enumerable.Range(0, n * 3).Select(i => Math.Sin(0.7 * i + 0.3) + 0.2 * Math.Cos(2.1 * i)).ToArray();
        var a = Enumerable.Range(0, n).Select(i => x[i * 3] + x[i * 3 + 1] < -0.3 ? 0 : x[i * 3] + x[i * 3 + 1] < 0.3 ? 1 : 2).ToArray();
        var b = Enumerable.Range(0, n).Select(i => 2 * x[i * 3 + 2]).ToArray();
        var c = Enumerable.Range(0, 2 * n).Select(i => Math.Sin(1.3 * i) - x[i / 2 * 3]).ToArray();
        return new MultiTaskDataset<double>(n).AddInput("x", x, [n, 3]).AddLabels("a", a).AddValues("b", b, 1).AddValues("c", c, 2);
    }

    private static int[] Range(int start, int end) => Enumerable.Range(start, end - start).ToArray();

    /// <summary>The stateful strategies, each with parameters that make its state move fast.</summary>
    public static TheoryData<string, string> Stateful => new()
    {
        { "uw", "uw-lr=0.05" },
        { "dwa", "" },
        { "rlw", "" },
        { "db-mtl", "db-mtl-beta-sigma=0.5" },
        { "famo", "" },
        { "gradnorm", "gradnorm-lr=0.05,gradnorm-reference-epoch=1" },
        { "imtl-l", "imtl-l-lr=0.05" },
        { "imtl", "imtl-l-lr=0.05" },
        { "pcgrad", "" },
        { "gradvac", "" },
        { "graddrop", "" },
    };

    private static Dictionary<string, double> Parameters(string text) => text.Length == 0
        ? []
        : text.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Trains 4 epochs of 4 batches with a checkpoint, cancelling after <paramref name="cancelAfter"/> batches (0: never).</summary>
    private static (double[] Weights, TrainingResult? Result, ITrainingStrategy<double> Strategy) Run(string name, string parameters, string path, int cancelAfter, bool resume)
    {
        var model = Model();
        using var adam = new Adam<double>(model.Parameters(), 1e-2);
        var strategy = TrainingStrategies.Create<double>(name, Tasks, Parameters(parameters), new TrainingStrategyOptions(LearningRate: 1e-2, Seed: 4));
        var trainer = new Trainer<double>(model, adam, new TrainingOptions(Epochs: 4, BatchSize: 8, Seed: 2, CheckpointPath: path, Resume: resume), strategy);
        using var cts = new CancellationTokenSource();
        int batches = 0;
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Epoch is null && ++batches == cancelAfter) cts.Cancel();
        });
        TrainingResult? result = null;
        try
        {
            result = trainer.Fit(Data(), Range(0, 32), Range(32, 40), progress, cts.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return (model.Parameters().SelectMany(p => p.ToArray()).ToArray(), result, strategy);
    }

    [Theory]
    [MemberData(nameof(Stateful))]
    public void AResumedRunOfAStatefulStrategyEqualsAnUninterruptedOne(string name, string parameters)
    {
        string directory = Path.Combine(Path.GetTempPath(), "mtl-strategy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var (expected, whole, wholeStrategy) = Run(name, parameters, Path.Combine(directory, "whole.safetensors"), 0, resume: false);
            foreach (int cancelAfter in new[] { 6, 8 }) // mid-epoch 2, and at the end of epoch 2
            {
                string path = Path.Combine(directory, $"cut{cancelAfter}.safetensors");
                var (stopped, none, _) = Run(name, parameters, path, cancelAfter, resume: false);
                Assert.Null(none);
                Assert.NotEqual(expected, stopped);
                var (resumed, result, strategy) = Run(name, parameters, path, 0, resume: true);
                Assert.Equal(expected, resumed); // bitwise: the strategy's learned state continued where it stopped
                Assert.Equal(whole!.History.Select(h => h.TrainLoss), result!.History.Select(h => h.TrainLoss));
                Assert.Equal(whole.History.Select(h => h.TaskWeights!.Values.ToArray()), result.History.Select(h => h.TaskWeights!.Values.ToArray()));
                Assert.Equal(whole.History.Select(h => h.GradientConflict?.SelectMany(r => r).ToArray()), result.History.Select(h => h.GradientConflict?.SelectMany(r => r).ToArray()));
                var wholeState = wholeStrategy.StateDict();
                var state = strategy.StateDict();
                Assert.Equal(wholeState.Select(a => a.Name), state.Select(a => a.Name));
                Assert.Equal(wholeState.Select(a => a.ToDoubleArray()), state.Select(a => a.ToDoubleArray()));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ACheckpointWithoutTheStrategysStateIsRefusedWithItsName()
    {
        string path = Path.Combine(Path.GetTempPath(), "mtl-strategy-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            Run("ew", "", path, 6, resume: false); // ew has no state of its own, but the record
            var model = Model();
            using var adam = new Adam<double>(model.Parameters(), 1e-2);
            var trainer = new Trainer<double>(model, adam, new TrainingOptions(Epochs: 4, BatchSize: 8, Seed: 2, CheckpointPath: path, Resume: true),
                TrainingStrategies.Create<double>("uw", Tasks));
            var error = Assert.Throws<MtlEngine.Data.DataFormatException>(() => trainer.Fit(Data(), Range(0, 32), Range(32, 40)));
            Assert.Contains("\"uw\"", error.Message);
            Assert.Contains("log_variances", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FamoMovesItsLogitsByTheSameBatchsLossesAfterTheUpdate()
    {
        var model = Model();
        using var sgd = new Sgd<double>(model.Parameters(), 0.1);
        var famo = new Famo<double>(Tasks);
        var trainer = new Trainer<double>(model, sgd, new TrainingOptions(Epochs: 1, BatchSize: 40, Seed: 1), famo);
        double[]? before = null;
        trainer.AfterBackward = step => before = step.TaskLosses.Values.Select(l => l.Item()).ToArray();
        var data = Data();
        trainer.Fit(data, Range(0, 40));
        // The losses the update reached on the same batch (all rows, in another order: equal to rounding; no dropout).
        var after = Step(model, data.Batch(Range(0, 40))).TaskLosses.Values.Select(l => l.Item()).ToArray();
        Assert.True(after.Zip(before!).All(p => p.First < p.Second));
        var reference = new Famo<double>(Tasks);
        reference.UpdateLogits(before!, after);
        for (int t = 0; t < Tasks.Length; t++) Assert.Equal(reference.Logits[t], famo.Logits[t], 12);
        Assert.Contains(famo.Logits, l => Math.Abs(l) > 1e-3); // Adam's first step: ±lr where δ's centered value is not 0
    }

    [Fact]
    public void TheModelsAuxiliaryLossIsAddedToTheTrainingGradient()
    {
        KeyValuePair<string, InputEncoder<double>>[] Dense() => [new("x", new IdentityEncoder<double>(3))];
        DSelectK<double> Build() => new(Dense(), Tasks, experts: 3, k: 2, expertHidden: [4], new TensorRandom(5), entropyRegularization: 0.3);
        var data = Data(8);
        var rows = Range(0, 8);

        var model = Build();
        using var sgd = new Sgd<double>(model.Parameters(), 0.1);
        Dictionary<string, double[]>? trained = null;
        var trainer = new Trainer<double>(model, sgd, new TrainingOptions(Epochs: 1, BatchSize: 8, Seed: 1), new FixedWeights<double>(Tasks, equal: true))
        {
            AfterBackward = step =>
            {
                trained = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Grad!.ToArray());
                Assert.NotNull(step.Output.AuxiliaryLoss);
            },
        };
        trainer.Fit(data, rows);

        // Σₜ lossₜ + the gates' regularization, written out (the same rows in another order: equal to rounding).
        var batch = data.Batch(rows);
        var reference = Build();
        var (output, regularization) = reference.ForwardWithRegularization(batch);
        var loss = regularization;
        foreach (var task in Tasks) loss = loss + TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
        loss.Backward();
        var expected = reference.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Grad!.ToArray());
        AssertClose(expected, trained!, 1e-12);
        // Without the regularization the gates' gradients differ: the term was not a no-op.
        var plain = Build();
        var plainOutput = plain.ForwardWithRegularization(batch).Output;
        MtlTensor<double>? plainLoss = null;
        foreach (var task in Tasks)
        {
            var l = TaskObjectives.Loss(task, plainOutput[task.Name], batch.Target(task.Name));
            plainLoss = plainLoss is null ? l : plainLoss + l;
        }
        plainLoss!.Backward();
        var gate = plain.NamedParameters().First(p => p.Key.StartsWith("gates.", StringComparison.Ordinal));
        Assert.NotEqual(gate.Value.Grad!.ToArray(), trained![gate.Key]);
        // In evaluation mode there is no auxiliary loss.
        reference.Eval();
        Assert.Null(reference.Forward(batch).AuxiliaryLoss);
    }

    [Fact]
    public void GradNormWithTheFirstEpochReferenceKeepsEqualWeightsThroughThatEpochThenUsesItsMeanLoss()
    {
        var model = Model();
        using var adam = new Adam<double>(model.Parameters(), 1e-2);
        var gradNorm = new GradNorm<double>(Tasks, learningRate: 0.05, firstEpochReference: true);
        var weights = new List<double[]>();
        var trainer = new Trainer<double>(model, adam, new TrainingOptions(Epochs: 2, BatchSize: 8, Seed: 2), gradNorm)
        {
            AfterBackward = _ => weights.Add(gradNorm.Weights.ToArray()),
        };
        var result = trainer.Fit(Data(), Range(0, 32));
        Assert.All(weights.Take(4), w => Assert.Equal([1.0, 1, 1], w));
        var firstEpoch = result.History[0].TaskTrainLosses!;
        Assert.Equal(Tasks.Select(t => firstEpoch[t.Name]), gradNorm.ReferenceLosses!);
        Assert.Contains(weights.Skip(4), w => !w.SequenceEqual([1.0, 1, 1]));
        Assert.Equal(3.0, gradNorm.Weights.Sum(), 12);
    }
}
