using MtlEngine.Cli.Train;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Nn;

/// <summary>
/// A training job of <c>mtl train</c> on the digits example (1797 rows, 64 pixels, three category tasks), written to a
/// temporary folder, and the pieces of a run of it: the model, the optimizer and the trainer as <c>mtl train</c> builds them.
/// </summary>
internal sealed class DigitsJob : IDisposable
{
    public DigitsJob(int epochs = 1, int batchSize = 100, double dropout = 0, string weighting = "fixed", string extraTraining = "", string? model = null)
    {
        Folder = Directory.CreateTempSubdirectory("mtl-data-parallel-").FullName;
        ExampleCommand.Write("digits", Folder);
        string dropoutText = dropout.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(SpecPath, $$$"""
            {
              "inputs": [{"name": "pixels", "type": "numeric", "path": "pixels.npy", "encoder": {"type": "mlp", "hidden": [32]}}],
              "tasks": [
                {"name": "digit", "type": "category", "path": "digit.npy", "weight": 1.0},
                {"name": "parity", "type": "category", "path": "parity.npy", "weight": 0.5},
                {"name": "at_least_5", "type": "category", "path": "at_least_5.npy", "weight": 2.0}
              ],
              "split": {"test_fraction": 0.2, "validation_fraction": 0.1, "seed": 0},
              "model": {{{model ?? $"{{\"architecture\": \"hps\", \"fusion\": \"concat\", \"hidden\": [32], \"dropout\": {dropoutText}}}"}}},
              "training": {"epochs": {{{epochs}}}, "batch_size": {{{batchSize}}}, "optimizer": "adam", "learning_rate": 0.003, "weighting": "{{{weighting}}}", "seed": 0{{{extraTraining}}}}
            }
            """);
        Spec = TrainSpec.Load(SpecPath);
        Data = TrainRun.Prepare(Spec);
    }

    public string Folder { get; }

    public string SpecPath => Path.Combine(Folder, "spec.json");

    public TrainSpec Spec { get; }

    public PreparedData Data { get; }

    public MultiTaskModel<float> Model() => TrainRun.BuildModel(Spec, Data.Preprocessing, Data.TaskSpecs);

    /// <summary>The task weights of the spec's strategy (ew: 1 each; fixed: the tasks' weights).</summary>
    public double[] Weights(MultiTaskModel<float> model) =>
        model.Tasks.Select(t => Spec.Training.Weighting == "ew" ? 1.0 : t.Weight).ToArray();

    /// <summary>
    /// Trains a fresh model as <c>mtl train</c> would (with <paramref name="gradients"/> computing the steps, if given); with
    /// <paramref name="arena"/> false, its steps outside the trainer's <see cref="TensorArena"/> (the textbook twin).
    /// </summary>
    public (MultiTaskModel<float> Model, TrainingResult Result) Train(Func<MultiTaskModel<float>, IStepGradients<float>?> gradients, bool arena = true)
    {
        var model = Model();
        using var optimizer = TrainRun.BuildOptimizer(Spec.Training, model);
        var strategy = TrainCommand.BuildStrategy(Spec.Training, Data.TaskSpecs);
        var trainer = new Trainer<float>(model, optimizer, new TrainingOptions(Spec.Training.Epochs, Spec.Training.BatchSize, Spec.Training.Seed), strategy)
        {
            StepGradients = gradients(model),
            StepsInArena = arena,
        };
        var result = trainer.Fit(Data.Dataset, Data.TrainRows, Data.ValidationRows);
        return (model, result);
    }

    /// <summary>The largest |a − b| over the models' parameters, and the largest |a|.</summary>
    public static (double Difference, double Scale) Compare(MultiTaskModel<float> a, MultiTaskModel<float> b)
    {
        var x = DataParallel.GetParameters(a);
        var y = DataParallel.GetParameters(b);
        Assert.Equal(x.Length, y.Length);
        double difference = 0, scale = 0;
        for (int i = 0; i < x.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(x[i] - y[i]));
            scale = Math.Max(scale, Math.Abs(x[i]));
        }
        return (difference, scale);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// Exact data-parallel steps (<see cref="DataParallel"/>): a batch cut into slices whose gradients are summed in slice order
/// trains the same model as the local step, to float rounding.
/// </summary>
public sealed class DataParallelTests
{
    /// <summary>
    /// The tolerance on every parameter after the runs below (float32; ~12 Adam steps of lr 0.003 whose gradients differ in
    /// the last bits): measured differences are ~1e-6; a slice's share of a loss gone wrong (e.g. the mean of slice means)
    /// moves parameters by ~1e-3.
    /// </summary>
    internal const double Tolerance = 2e-5;

    /// <summary>
    /// The trainer's steps inside its <see cref="TensorArena"/> (the batch gathered into the step's buffers, the slices'
    /// forward and backward on the trainer's thread, the strategy's surrogate step) give bit for bit what the same steps
    /// give with new arrays: the local step, the data-parallel step summed over slices, and the per-task data-parallel step
    /// under a strategy (PCGrad), over 2 epochs in batches of 300 (the last one smaller).
    /// </summary>
    [Theory]
    [InlineData("local", "fixed")]
    [InlineData("sliced", "fixed")]
    [InlineData("per_task", "pcgrad")]
    public void StepsInTheArenaGiveTheStepsWithoutItBitForBit(string steps, string weighting)
    {
        using var job = new DigitsJob(epochs: 2, batchSize: 300, weighting: weighting);
        Func<MultiTaskModel<float>, IStepGradients<float>?> gradients = steps switch
        {
            "local" => _ => null,
            "sliced" => model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, 3, job.Weights(model)),
            _ => model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, 3, job.Weights(model), perTask: true),
        };
        var (inArena, inArenaResult) = job.Train(gradients);
        var (plain, plainResult) = job.Train(gradients, arena: false);
        Assert.Equal(DataParallel.GetParameters(plain), DataParallel.GetParameters(inArena)); // float equality: bitwise
        Assert.Equal(2, inArenaResult.History.Count);
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(plainResult.History[e].TrainLoss, inArenaResult.History[e].TrainLoss);
            Assert.Equal(plainResult.History[e].ValidationLoss, inArenaResult.History[e].ValidationLoss);
            Assert.Equal(plainResult.History[e].TaskWeights, inArenaResult.History[e].TaskWeights);
        }
    }

    [Fact]
    public void SlicedStepsTrainTheSameModelAsTheLocalRun()
    {
        using var job = new DigitsJob();
        var (local, localResult) = job.Train(_ => null);
        foreach (int slices in new[] { 1, 3 })
        {
            var (sliced, slicedResult) = job.Train(model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, slices, job.Weights(model)));
            var (difference, scale) = DigitsJob.Compare(local, sliced);
            Assert.True(difference <= Tolerance, $"{slices} slices: the parameters differ from the local run's by {difference:E2} (largest parameter {scale:F3})");
            Assert.Equal(localResult.History[0].TrainLoss, slicedResult.History[0].TrainLoss, 1e-5);
            Assert.Equal(localResult.History[0].ValidationLoss, slicedResult.History[0].ValidationLoss, 1e-5);
        }
    }

    /// <summary>
    /// Every other strategy runs on the coordinator from the slices' per-task gradients (<see cref="ITaskStepGradients{T}"/>):
    /// the same parameters, task weights and gradient-conflict record as the local run, to float rounding. DWA over 2 epochs
    /// (its weights move from the second), the others over one; the conflict record asked of a loss-weighting strategy.
    /// </summary>
    [Theory]
    [InlineData("uw", 1, "")]
    [InlineData("dwa", 2, "")]
    [InlineData("db-mtl", 1, "")]
    [InlineData("famo", 1, "")]
    [InlineData("gradnorm", 1, "")]
    [InlineData("pcgrad", 1, "")]
    [InlineData("mgda", 1, "")]
    [InlineData("nash-mtl", 1, "")]
    [InlineData("upgrad", 1, "")]
    [InlineData("fixed", 1, ", \"gradient_conflict\": true")]
    public void EveryStrategyRunsOnTheSlicesPerTaskGradientsAsLocally(string weighting, int epochs, string extra)
    {
        using var job = new DigitsJob(epochs, batchSize: 300, weighting: weighting, extraTraining: extra);
        var (local, localResult) = job.Train(_ => null);
        var (sliced, slicedResult) = job.Train(model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, 3, job.Weights(model), perTask: true));
        var (difference, scale) = DigitsJob.Compare(local, sliced);
        Assert.True(difference <= Tolerance, $"{weighting}: the parameters differ from the local run's by {difference:E2} (largest parameter {scale:F3})");
        for (int e = 0; e < epochs; e++)
        {
            var (a, b) = (localResult.History[e], slicedResult.History[e]);
            Assert.Equal(a.TrainLoss, b.TrainLoss, 1e-5);
            Assert.NotEmpty(a.TaskWeights!);
            foreach (var (task, w) in a.TaskWeights!) Assert.Equal(w, b.TaskWeights![task], 1e-4);
            bool recorded = MtlEngine.MultiTask.TrainingStrategies.Entry(weighting).Aggregation || weighting == "db-mtl" || extra.Length > 0;
            Assert.Equal(recorded, a.GradientConflict is not null);
            Assert.Equal(recorded, b.GradientConflict is not null);
            for (int i = 0; i < (a.GradientConflict?.Count ?? 0); i++)
                for (int j = 0; j < a.GradientConflict!.Count; j++) Assert.Equal(a.GradientConflict[i][j], b.GradientConflict![i][j], 1e-5);
        }
    }

    [Fact]
    public void TheSlicesShareOfEachLossIsItsLabelledWeight()
    {
        var tasks = new List<TaskSpec>
        {
            new("a", TaskKind.Classification, 3) { ClassWeights = [1.0, 2.0, 0.5] },
            new("b", TaskKind.Regression, 2),
        };
        // Labels of a (−1: missing) and the values of b with NaN where missing, over 5 rows.
        var dataset = new MultiTaskDataset<float>(5)
            .AddInput("x", new float[10], [5, 2])
            .AddLabels("a", [0, 1, -1, 2, 1])
            .AddValues("b", [1f, float.NaN, 2f, 3f, float.NaN, float.NaN, 4f, 5f, 6f, 7f], 2);
        int[] rows = [4, 3, 2, 1, 0];

        var fractions = DataParallel.Fractions(tasks, dataset, rows, 2); // slices: rows {4, 3} and {2, 1, 0}

        // a: weights of labels 1, 2 | missing, 1, 0 → 2 + 0.5 of 2 + 0.5 + 2 + 1 = 5.5
        Assert.Equal(2.5 / 5.5, fractions[0][0], 12);
        Assert.Equal(3.0 / 5.5, fractions[1][0], 12);
        // b: labelled values of rows 4, 3 = 2 + 2; of rows 2, 1, 0 = 0 + 2 + 1 → 4 of 7
        Assert.Equal(4.0 / 7, fractions[0][1], 12);
        Assert.Equal(3.0 / 7, fractions[1][1], 12);
        Assert.Equal([(0, 1), (1, 1), (2, 2)], DataParallel.Slices(4, 3));
    }

    /// <summary>
    /// Dropout on slices: each slice draws the whole batch's mask from the coordinator's generator position and keeps its
    /// rows, so the sliced run applies the local run's masks (summed and per task), and the coordinator's generator ends
    /// where the local run's does. Without the slice view the masks differ and the parameters move by ~1e-2.
    /// </summary>
    [Fact]
    public void DropoutOnSlicesAppliesTheLocalMasks()
    {
        using var job = new DigitsJob(batchSize: 300, dropout: 0.2);
        var (local, localResult) = job.Train(_ => null);
        foreach (bool perTask in new[] { false, true })
        {
            var (sliced, slicedResult) = job.Train(model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, 3, job.Weights(model), perTask));
            var (difference, scale) = DigitsJob.Compare(local, sliced);
            Assert.True(difference <= Tolerance, $"dropout, per task {perTask}: the parameters differ from the local run's by {difference:E2} (largest parameter {scale:F3})");
            Assert.Equal(localResult.History[0].TrainLoss, slicedResult.History[0].TrainLoss, 1e-5);
            Assert.Equal(DataParallel.RandomPositions(local), DataParallel.RandomPositions(sliced));
            Assert.NotEqual(0UL, DataParallel.RandomPositions(sliced)[0]);
        }
    }

    /// <summary>
    /// DSelect-k's selector regularization (entropy, and the reciprocal selector sums of 3 experts: not a power of 2), an
    /// auxiliary loss that sums over rows: each slice adds its own with weight 1, summed and per task (uw), and the runs equal
    /// the local run. The regularization moves the local run's parameters by far more than the tolerance, so a slice share
    /// gone wrong (dropped, or scaled by the slice's row fraction) fails.
    /// </summary>
    [Theory]
    [InlineData("fixed", false)]
    [InlineData("uw", true)]
    public void DSelectKsRegularizationSplitsOverSlicesAsASumOverRows(string weighting, bool perTask)
    {
        const string Model = """{"architecture": "dselect-k", "hidden": [16], "experts": 3, "k": 2, "dselect_entropy": 0.5}""";
        using var job = new DigitsJob(batchSize: 300, weighting: weighting, model: Model);
        var (local, localResult) = job.Train(_ => null);
        var (sliced, slicedResult) = job.Train(model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, 3, job.Weights(model), perTask));
        var (difference, scale) = DigitsJob.Compare(local, sliced);
        Assert.True(difference <= Tolerance, $"dselect-k, {weighting}: the parameters differ from the local run's by {difference:E2} (largest parameter {scale:F3})");
        Assert.Equal(localResult.History[0].TrainLoss, slicedResult.History[0].TrainLoss, 1e-5);
        // Without the regularization's gradient the run ends elsewhere: the test can tell.
        var (plain, _) = job.Train(model => new SlicedStepGradients<float>(model, job.Data.Dataset, () => WithoutAuxiliary(job.Model()), 3, job.Weights(model), perTask));
        Assert.True(DigitsJob.Compare(local, plain).Difference > 50 * Tolerance, $"the regularization moved the parameters by only {DigitsJob.Compare(local, plain).Difference:E2}");
    }

    /// <summary>A DSelect-k replica whose auxiliary loss is dropped (to show the test above can fail).</summary>
    private static MultiTaskModel<float> WithoutAuxiliary(MultiTaskModel<float> model) => new NoAuxiliary(model);

    private sealed class NoAuxiliary : MultiTaskModel<float>
    {
        private readonly MultiTaskModel<float> _inner;

        public NoAuxiliary(MultiTaskModel<float> inner)
        {
            _inner = RegisterModule("inner", inner);
            DeclareShared("inner");
        }

        public override IReadOnlyList<TaskSpec> Tasks => _inner.Tasks;

        public override IReadOnlyList<string> InputNames => _inner.InputNames;

        public override ModelOutput<float> Forward(Batch<float> batch) => _inner.Forward(batch) with { AuxiliaryLoss = null };

        public override MtlTensor<float> Forward(MtlTensor<float> input) => _inner.Forward(input);
    }

    /// <summary>Modality dropout on the slices of a batch gives the rows of the whole batch's masks, and the same generator position after.</summary>
    [Fact]
    public void ModalityDropoutOnSlicesGivesTheWholeBatchsMasks()
    {
        const int n = 11;
        MtlTensor<float>?[] present = [null, MtlTensor.FromArray(Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 0f : 1f).ToArray(), n), null];
        var whole = new MtlEngine.MultiModal.ModalityDropout<float>([0.5, 0.3, 0.6], seed: 7);
        var expected = whole.Drop(present, n).Select(m => m?.ToArray() ?? Enumerable.Repeat(1f, n).ToArray()).ToArray();
        foreach (var (offset, count) in DataParallel.Slices(n, 3))
        {
            var part = new MtlEngine.MultiModal.ModalityDropout<float>([0.5, 0.3, 0.6], seed: 7) { Slice = new BatchSlice(offset, count, n) };
            var rows = present.Select(m => m is null ? null : MtlTensor.FromArray(m.ToArray()[offset..(offset + count)], count)).ToArray();
            var masks = part.Drop(rows, count);
            for (int i = 0; i < present.Length; i++)
                Assert.Equal(expected[i][offset..(offset + count)], masks[i]?.ToArray() ?? Enumerable.Repeat(1f, count).ToArray());
            Assert.Equal(whole.Random.Position, part.Random.Position);
        }
        Assert.Contains(expected, m => m.Contains(0f));
    }
}
