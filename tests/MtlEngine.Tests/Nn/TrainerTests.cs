using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

public class TrainerTests
{
    private static readonly TaskSpec[] Tasks =
    [
        new("a", TaskKind.Classification, 3),
        new("b", TaskKind.Regression, 2, Weight: 0.5),
        new("c", TaskKind.Binary, 1),
    ];

    /// <summary>60 samples of 5 features; a depends on x₀ + x₁, b on x₂ and x₃, c on x₄; every 7th b value and every 5th a label missing.</summary>
    private static MultiTaskDataset<float> Data(int n = 60, bool labelA = true)
    {
        var random = new TensorRandom(11);
        var x = random.Normal([n, 5], 0f, 1f).ToArray();
        var a = new int[n];
        var b = new float[n * 2];
        var c = new float[n];
        for (int i = 0; i < n; i++)
        {
            float s = x[i * 5] + x[i * 5 + 1];
            a[i] = !labelA || i % 5 == 4 ? -1 : s < -0.5f ? 0 : s < 0.5f ? 1 : 2;
            b[i * 2] = i % 7 == 3 ? float.NaN : 2 * x[i * 5 + 2];
            b[i * 2 + 1] = x[i * 5 + 3] - x[i * 5 + 2];
            c[i] = x[i * 5 + 4] > 0 ? 1 : 0;
        }
        return new MultiTaskDataset<float>(n)
            .AddInput(MultiTaskNet<float>.InputName, x, [n, 5])
            .AddLabels("a", a)
            .AddValues("b", b, 2)
            .AddValues("c", c, 1);
    }

    private static MultiTaskNet<float> Net(ulong seed = 3, double dropout = 0) => new(5, [16], Tasks, new TensorRandom(seed), dropout);

    private static int[] Range(int start, int end) => Enumerable.Range(start, end - start).ToArray();

    [Fact]
    public void EveryParameterIsSharedOrOwnedByOneTask()
    {
        var net = Net();
        var shared = net.SharedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(["trunk.0.weight", "trunk.0.bias"], shared);
        Assert.Equal(["heads.a.weight", "heads.a.bias"], net.TaskParameters("a").Select(p => p.Key).ToArray());
        int owned = shared.Length + Tasks.Sum(t => net.TaskParameters(t.Name).Count);
        Assert.Equal(net.NamedParameters().Count(), owned);
        Assert.Throws<ArgumentException>(() => net.TaskParameters("nope"));
    }

    private sealed class Undeclared : MultiTaskModel<float>
    {
        public Undeclared()
        {
            RegisterModule("encoder", new Linear<float>(2, 2, new TensorRandom(1)));
            RegisterModule("head", new Linear<float>(2, 1, new TensorRandom(2)));
            DeclareTask("t", "head");
        }

        public override IReadOnlyList<TaskSpec> Tasks { get; } = [new("t", TaskKind.Regression, 1)];
        public override IReadOnlyList<string> InputNames { get; } = ["x"];
        public override ModelOutput<float> Forward(Batch<float> batch) => throw new NotSupportedException();
        public override MtlTensor<float> Forward(MtlTensor<float> input) => throw new NotSupportedException();
    }

    [Fact]
    public void AParameterWithoutARoleIsNamedInTheError()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Undeclared().CheckRoles());
        Assert.Contains("encoder.weight", e.Message);
    }

    [Fact]
    public void ABatchChecksItsSampleCountsAndNamesWhatIsMissing()
    {
        var inputs = new Dictionary<string, BatchInput<float>>
        {
            ["x"] = BatchInput<float>.Dense(MtlTensor.Zeros<float>(4, 2)),
            ["tokens"] = BatchInput<float>.Index(MtlTensor.FromArray(new int[3 * 5], 3, 5)),
        };
        Assert.Throws<ArgumentException>(() => new Batch<float>(inputs));
        var batch = Batch<float>.Of("x", MtlTensor.Zeros<float>(4, 2));
        Assert.Contains("[x]", Assert.Throws<KeyNotFoundException>(() => batch.Input("image")).Message);
        Assert.Throws<ArgumentException>(() => BatchInput<float>.Dense(MtlTensor.Zeros<float>(4, 2), MtlTensor.Ones<float>(3)));
    }

    [Fact]
    public void DatasetBatchesGatherRowsAndMarkMissingValues()
    {
        var data = new MultiTaskDataset<double>(3)
            .AddInput("x", [1, 2, 3, 4, 5, 6], [3, 2], present: [true, false, true])
            .AddIndexInput("tokens", [7, 8, 9], [3, 1])
            .AddLabels("a", [2, -1, 0])
            .AddValues("b", [0.5, double.NaN, 1.5], 1);
        var batch = data.Batch([2, 1]);
        Assert.Equal([5.0, 6, 3, 4], batch.Input("x").Values!.ToArray());
        Assert.Equal([1.0, 0], batch.Input("x").Present!.ToArray());
        Assert.Equal([9, 8], batch.Input("tokens").Indices!.ToArray());
        Assert.Equal([0, -1], batch.Target("a").Labels!);
        Assert.Equal([1.5, 0], batch.Target("b").Values!.ToArray());
        Assert.Equal([1.0, 0], batch.Target("b").Mask!.ToArray());
        Assert.Equal(1, batch.Target("b").LabelledCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Batch([3]));
        Assert.Throws<ArgumentException>(() => data.AddLabels("a", [0, 0, 0]));
    }

    [Fact]
    public void TrainingIsDeterministicAndLearns()
    {
        float[] Run(out TrainingResult result)
        {
            var net = Net();
            using var adam = new Adam<float>(net.Parameters(), 1e-2);
            var trainer = new Trainer<float>(net, adam, new TrainingOptions(Epochs: 15, BatchSize: 8, Seed: 4));
            var data = Data();
            var before = Trainer<float>.Evaluate(net, data, Range(40, 60)).Loss;
            result = trainer.Fit(data, Range(0, 40), Range(40, 60));
            Assert.True(result.History[^1].ValidationLoss < before, $"validation loss {before} → {result.History[^1].ValidationLoss}");
            return net.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        var first = Run(out var history);
        var second = Run(out _);
        Assert.Equal(first, second);
        Assert.Equal(15, history.History.Count);
        Assert.All(history.History, r => Assert.Equal(["a", "b", "c"], r.TaskTrainLosses!.Keys.ToArray()));
        Assert.Equal(0.5, history.History[0].TaskWeights!["b"]);
    }

    [Fact]
    public void ATaskWithoutLabelsLeavesItsHeadUnchangedWhileTheOthersTrain()
    {
        var net = Net();
        var headA = net.TaskParameters("a").Select(p => p.Value.ToArray()).ToArray();
        var trunk = net.SharedParameters()[0].Value.ToArray();
        using var adam = new Adam<float>(net.Parameters(), 1e-2);
        new Trainer<float>(net, adam, new TrainingOptions(Epochs: 2, BatchSize: 8)).Fit(Data(labelA: false), Range(0, 60));
        Assert.Equal(headA, net.TaskParameters("a").Select(p => p.Value.ToArray()).ToArray());
        Assert.NotEqual(trunk, net.SharedParameters()[0].Value.ToArray());
    }

    /// <summary>Backpropagates task "a" alone and records what the hook saw.</summary>
    private sealed class OnlyA : ITrainingStrategy<float>
    {
        public string Name => "only-a";
        public IReadOnlyDictionary<string, double> TaskWeights { get; } = new Dictionary<string, double> { ["a"] = 1, ["b"] = 0, ["c"] = 0 };
        public int Epochs { get; private set; }
        public void Backward(TrainingStep<float> step) => step.Backward(step.TaskLosses["a"]);
        public void OnEpochEnd(EpochReport report) => Epochs++;
    }

    [Fact]
    public void AStrategyDecidesWhichTasksReachTheParameters()
    {
        var net = Net();
        var headB = net.TaskParameters("b").Select(p => p.Value.ToArray()).ToArray();
        using var adam = new Adam<float>(net.Parameters(), 1e-2);
        var strategy = new OnlyA();
        var trainer = new Trainer<float>(net, adam, new TrainingOptions(Epochs: 3, BatchSize: 16), strategy);
        int hooks = 0;
        trainer.AfterBackward = step =>
        {
            hooks++;
            Assert.NotNull(step.Model.SharedParameters()[0].Value.Grad);
            Assert.All(step.Model.TaskParameters("b"), p => Assert.True(p.Value.Grad is null || p.Value.Grad.Abs().Max().Item() == 0));
        };
        var epochs = new List<int>();
        trainer.AfterEpoch = r => epochs.Add(r.Epoch);
        var result = trainer.Fit(Data(), Range(0, 48), Range(48, 60));
        Assert.Equal(9, hooks); // 3 epochs of 3 batches
        Assert.Equal([1, 2, 3], epochs);
        Assert.Equal(3, strategy.Epochs);
        Assert.Equal(headB, net.TaskParameters("b").Select(p => p.Value.ToArray()).ToArray());
        Assert.Equal(0, result.History[^1].TaskWeights!["c"]);
    }

    [Fact]
    public void TaskGradientsAddUpToTheGradientOfTheSum()
    {
        var net = Net();
        var data = Data();
        var batch = data.Batch(Range(0, 20));
        var output = net.Forward(batch);
        var losses = Tasks.ToDictionary(t => t.Name, t => TaskObjectives.Loss(t, output[t.Name], batch.Target(t.Name)));
        var shared = net.SharedParameters().Select(p => p.Value).ToList();
        var step = new TrainingStep<float>(net, batch, output, losses, epoch: 1, step: 0);
        var jacobian = step.TaskGradients(shared);
        Assert.Equal(3, jacobian.Length);
        net.ZeroGrad();
        step.Backward(step.WeightedLoss(new Dictionary<string, double> { ["a"] = 1, ["b"] = 1, ["c"] = 1 }));
        for (int j = 0; j < shared.Count; j++)
        {
            var sum = jacobian[0][j] + jacobian[1][j] + jacobian[2][j];
            var direct = shared[j].Grad!;
            Assert.True((sum - direct).Abs().Max().Item() <= 1e-5f * (1 + direct.Abs().Max().Item()));
        }
    }

    [Fact]
    public void EarlyStoppingOnATaskMetricRestoresTheBestEpoch()
    {
        var net = Net();
        using var adam = new Adam<float>(net.Parameters(), 0.3); // large steps: the accuracy moves up and down
        var stopping = new EarlyStopping("a.accuracy", Patience: 3);
        Assert.True(stopping.Maximizes);
        var trainer = new Trainer<float>(net, adam, new TrainingOptions(Epochs: 30, BatchSize: 8, EarlyStopping: stopping));
        var data = Data();
        var result = trainer.Fit(data, Range(0, 40), Range(40, 60));
        double best = result.History.Max(r => r.Validation.Single(m => m.Task == "a").Value);
        Assert.Equal(best, result.History[result.BestEpoch - 1].Validation.Single(m => m.Task == "a").Value);
        Assert.Equal(best, Trainer<float>.Evaluate(net, data, Range(40, 60)).Value("a.accuracy"));
        if (result.StoppedEarly) Assert.Equal(result.BestEpoch + 3, result.History.Count);
        var unknown = new Trainer<float>(Net(), new Adam<float>(Net().Parameters(), 0.1), new TrainingOptions(Epochs: 1, EarlyStopping: new EarlyStopping("a.f1")));
        Assert.Contains("a.accuracy", Assert.Throws<ArgumentException>(() => unknown.Fit(data, Range(0, 40), Range(40, 60))).Message);
    }

    [Fact]
    public void EarlyStoppingOnTheMeanAccuracyRestoresTheEpochOfTheBestMean()
    {
        TaskSpec[] classified = [Tasks[0], Tasks[2]]; // a (3 classes) and c (binary): both report accuracy
        var net = new MultiTaskNet<float>(5, [16], classified, new TensorRandom(3));
        using var adam = new Adam<float>(net.Parameters(), 0.3); // large steps: the accuracies move up and down
        var stopping = new EarlyStopping(Evaluation.MeanAccuracy, Patience: 4);
        Assert.True(stopping.Maximizes);
        var trainer = new Trainer<float>(net, adam, new TrainingOptions(Epochs: 30, BatchSize: 8, EarlyStopping: stopping));
        var data = Data();
        var result = trainer.Fit(data, Range(0, 40), Range(40, 60));
        double Mean(EpochReport r) => (r.Validation.Single(m => m.Task == "a").Value + r.Validation.Single(m => m.Task == "c").Value) / 2;
        var means = result.History.Select(Mean).ToArray();
        int first = Array.IndexOf(means, means.Max()) + 1; // the first epoch of the highest mean wins
        Assert.Equal(first, result.BestEpoch);
        Assert.Equal(means.Max(), Trainer<float>.Evaluate(net, data, Range(40, 60)).Value("accuracy"));
        if (result.StoppedEarly) Assert.Equal(result.BestEpoch + 4, result.History.Count);
        Assert.True(means.Distinct().Count() > 1); // the mean moves, so a wrong epoch would be seen

        var mixed = Trainer<float>.Evaluate(Net(), data, Range(40, 60)); // a regression task (b) reports rmse: no mean accuracy
        var error = Assert.Throws<ArgumentException>(() => mixed.Value("accuracy"));
        Assert.Contains("needs every task to report accuracy", error.Message);
        Assert.DoesNotContain(", accuracy]", error.Message);
    }

    [Fact]
    public void CancellationStopsAtTheEndOfABatch()
    {
        var net = Net();
        using var adam = new Adam<float>(net.Parameters(), 1e-2);
        var trainer = new Trainer<float>(net, adam, new TrainingOptions(Epochs: 5, BatchSize: 8));
        using var cts = new CancellationTokenSource();
        int batches = 0;
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Epoch is null && ++batches == 7) cts.Cancel();
        });
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(Data(), Range(0, 60), null, progress, cts.Token));
        Assert.Equal(7, batches);
        Assert.Equal(7, adam.StepCount);
    }

    /// <summary>Trains with dropout, a checkpoint file and early stopping; cancels after <paramref name="cancelAfter"/> batches (0: never).</summary>
    private static (float[] Weights, TrainingResult? Result) Checkpointed(string path, int cancelAfter, bool resume)
    {
        var net = Net(dropout: 0.2);
        using var adam = new Adam<float>(net.Parameters(), 1e-2);
        var options = new TrainingOptions(Epochs: 6, BatchSize: 8, Seed: 2, EarlyStopping: new EarlyStopping("b.rmse", Patience: 10), CheckpointPath: path, Resume: resume);
        var trainer = new Trainer<float>(net, adam, options);
        using var cts = new CancellationTokenSource();
        int batches = 0;
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Epoch is null && ++batches == cancelAfter) cts.Cancel();
        });
        TrainingResult? result = null;
        try
        {
            result = trainer.Fit(Data(), Range(0, 44), Range(44, 60), progress, cts.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return (net.Parameters().SelectMany(p => p.ToArray()).ToArray(), result);
    }

    [Theory]
    [InlineData(9)]  // mid-epoch (6 batches an epoch)
    [InlineData(12)] // at an epoch's end
    public void AnInterruptedAndResumedRunEqualsAnUninterruptedOne(int cancelAfter)
    {
        string directory = Path.Combine(Path.GetTempPath(), "mtl-trainer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var (expected, whole) = Checkpointed(Path.Combine(directory, "whole.safetensors"), 0, resume: false);
            string path = Path.Combine(directory, "cut.safetensors");
            var (stopped, none) = Checkpointed(path, cancelAfter, resume: false);
            Assert.Null(none);
            Assert.NotEqual(expected, stopped);
            Assert.True(File.Exists(path));
            var (resumed, result) = Checkpointed(path, 0, resume: true);
            Assert.Equal(expected, resumed); // bitwise: weights, Adam's moments, dropout masks and the shuffles all continue
            Assert.Equal(whole!.BestEpoch, result!.BestEpoch);
            Assert.Equal(whole.History.Select(h => (h.TrainLoss, h.ValidationLoss)), result.History.Select(h => (h.TrainLoss, h.ValidationLoss)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ACheckpointOfAnotherArchitectureIsRefused()
    {
        string path = Path.Combine(Path.GetTempPath(), "mtl-trainer-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            Checkpointed(path, 3, resume: false);
            var other = new MultiTaskNet<float>(5, [8], Tasks, new TensorRandom(1));
            using var adam = new Adam<float>(other.Parameters(), 1e-2);
            var trainer = new Trainer<float>(other, adam, new TrainingOptions(CheckpointPath: path, Resume: true));
            Assert.Throws<ArgumentException>(() => trainer.Fit(Data(), Range(0, 44), Range(44, 60)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ASchedulerSetsTheRateOfEveryStepFromTheRunsStepIndex()
    {
        var net = Net();
        using var adam = new Adam<float>(net.Parameters(), 1e-2);
        var trainer = new Trainer<float>(net, adam, new TrainingOptions(Epochs: 2, BatchSize: 16))
        {
            Scheduler = LearningRateScheduler<float>.Scaled(adam, new StepSchedule(1.0, StepSize: 3, Gamma: 0.5)),
        };
        var steps = new List<long>();
        trainer.AfterBackward = step => steps.Add(step.Step);
        var rates = new List<double>();
        trainer.AfterEpoch = _ => rates.Add(adam.Groups[0].LearningRate!.Value); // the rate of the epoch's last step
        trainer.Fit(Data(), Range(0, 48), Range(48, 60)); // 3 batches an epoch, 6 steps
        Assert.Equal([0L, 1, 2, 3, 4, 5], steps);
        Assert.Equal(1e-2, rates[0], 12);       // steps 0..2: factor 0.5⁰
        Assert.Equal(1e-2 * 0.5, rates[1], 12); // steps 3..5: factor 0.5¹ of the initial rate, not compounded
    }

    [Fact]
    public void MissingDataIsReportedBeforeTraining()
    {
        var net = Net();
        using var adam = new Adam<float>(net.Parameters(), 1e-2);
        var trainer = new Trainer<float>(net, adam);
        var noC = new MultiTaskDataset<float>(2).AddInput(MultiTaskNet<float>.InputName, new float[10], [2, 5]).AddLabels("a", [0, 1]).AddValues("b", new float[4], 2);
        Assert.Contains("\"c\"", Assert.Throws<ArgumentException>(() => trainer.Fit(noC, [0, 1])).Message);
        var labelsForB = new MultiTaskDataset<float>(2).AddInput(MultiTaskNet<float>.InputName, new float[10], [2, 5]).AddLabels("a", [0, 1]).AddLabels("b", [0, 1]).AddValues("c", new float[2], 1);
        Assert.Contains("needs values", Assert.Throws<ArgumentException>(() => trainer.Fit(labelsForB, [0, 1])).Message);
    }
}

/// <summary>A progress sink that runs synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<TValue>(Action<TValue> report) : IProgress<TValue>
{
    public void Report(TValue value) => report(value);
}
