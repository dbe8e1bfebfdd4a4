using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

/// <summary>A model with batch normalization for data-parallel tests: two tasks over a conv → BatchNorm2d → ReLU → spatial mean → linear → BatchNorm1d (cumulative average) → ReLU trunk.</summary>
internal sealed class BatchNormNet<T> : MultiTaskModel<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    private readonly Conv2d<T> _conv;
    private readonly BatchNorm2d<T> _norm2d;
    private readonly Linear<T> _linear;
    private readonly BatchNorm1d<T> _norm1d;
    private readonly Linear<T> _a, _b;

    public BatchNormNet()
    {
        var random = new TensorRandom(11);
        _conv = RegisterModule("conv", new Conv2d<T>(2, 3, (3, 3), random, padding: (1, 1)));
        _norm2d = RegisterModule("norm2d", new BatchNorm2d<T>(3, momentum: 0.3));
        _linear = RegisterModule("linear", new Linear<T>(3, 5, random));
        _norm1d = RegisterModule("norm1d", new BatchNorm1d<T>(5, momentum: null));
        _a = RegisterModule("a", new Linear<T>(5, 3, random));
        _b = RegisterModule("b", new Linear<T>(5, 2, random));
        DeclareShared("conv");
        DeclareShared("norm2d");
        DeclareShared("linear");
        DeclareShared("norm1d");
        DeclareTask("a", "a");
        DeclareTask("b", "b");
    }

    public override IReadOnlyList<TaskSpec> Tasks { get; } = [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 2)];

    public override IReadOnlyList<string> InputNames { get; } = ["x"];

    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var h = Forward(batch.Input("x").RequireValues("x"));
        var outputs = new Dictionary<string, MtlTensor<T>> { ["a"] = _a.Forward(h), ["b"] = _b.Forward(h) };
        return new ModelOutput<T>(outputs, new Dictionary<string, MtlTensor<T>> { ["a"] = h, ["b"] = h });
    }

    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        var maps = _norm2d.Forward(_conv.Forward(input)).Relu().Mean([2, 3]);
        return _norm1d.Forward(_linear.Forward(maps)).Relu();
    }

    /// <summary>23 rows of a 2×3×3 image, closed-form values; task a misses every 4th label, b every 5th row's second value.</summary>
    public static MultiTaskDataset<T> Data()
    {
        const int n = 23;
        var x = Enumerable.Range(0, n * 18).Select(i => Math.Sin(0.37 * i) + 0.5 * Math.Cos(1.3 * i)).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i % 4 == 3 ? -1 : (i * 7) % 3).ToArray();
        var values = Enumerable.Range(0, 2 * n).Select(i => i % 10 == 9 ? double.NaN : Math.Cos(0.71 * i)).ToArray();
        return new MultiTaskDataset<T>(n).AddInput("x", x.Select(T.CreateChecked).ToArray(), [n, 2, 3, 3]).AddLabels("a", labels)
            .AddValues("b", values.Select(T.CreateChecked).ToArray(), 2);
    }
}

/// <summary>
/// Synchronized batch normalization in data-parallel training (<see cref="ISynchronizedModule"/>, <see cref="ISliceCollective"/>):
/// the slices merge the whole batch's statistics, forward and backward, so a sliced run equals the local run on the whole
/// batch — the weights and the running statistics — to double rounding.
/// </summary>
public sealed class SyncBatchNormTests
{
    /// <summary>Two epochs of batches of 10 (10, 10, 3 rows: the last batch's slices hold one row each), SGD with momentum.</summary>
    private static (BatchNormNet<double> Model, TrainingResult Result) Train(Func<BatchNormNet<double>, MultiTaskDataset<double>, IStepGradients<double>?> gradients,
        string weighting = "fixed")
    {
        var data = BatchNormNet<double>.Data();
        var model = new BatchNormNet<double>();
        using var optimizer = new Sgd<double>(model.Parameters(), 0.05, momentum: 0.9);
        var strategy = MtlEngine.MultiTask.TrainingStrategies.Create<double>(weighting, model.Tasks);
        var trainer = new Trainer<double>(model, optimizer, new TrainingOptions(Epochs: 2, BatchSize: 10, Seed: 5), strategy) { StepGradients = gradients(model, data) };
        var result = trainer.Fit(data, Enumerable.Range(0, 23).ToArray());
        return (model, result);
    }

    private static double[] Buffers(BatchNormNet<double> model) => model.NamedBuffers().SelectMany(b => b.Value.Contiguous().ToArray()).ToArray();

    private static double MaxDifference(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }

    [Theory]
    [InlineData(2, "fixed", false)]
    [InlineData(3, "fixed", false)]
    [InlineData(3, "pcgrad", true)]
    [InlineData(2, "uw", true)]
    public void SlicedTrainingWithBatchNormEqualsTheLocalRun(int slices, string weighting, bool perTask)
    {
        var (local, localResult) = Train((_, _) => null, weighting);
        var (sliced, slicedResult) = Train((model, data) => new SlicedStepGradients<double>(model, data, () => new BatchNormNet<double>(), slices,
            model.Tasks.Select(t => t.Weight).ToArray(), perTask), weighting);
        double parameters = MaxDifference(DataParallel.GetParameters(local), DataParallel.GetParameters(sliced));
        double buffers = MaxDifference(Buffers(local), Buffers(sliced));
        Assert.True(parameters <= 1e-10, $"{slices} slices, {weighting}: the parameters differ from the local run's by {parameters:E2}");
        Assert.True(buffers <= 1e-10, $"{slices} slices, {weighting}: the running statistics differ from the local run's by {buffers:E2}");
        Assert.Equal(6.0, sliced.NamedBuffers().Single(b => b.Key == "norm1d.num_batches_tracked").Value.Item());
        for (int e = 0; e < 2; e++) Assert.Equal(localResult.History[e].TrainLoss, slicedResult.History[e].TrainLoss, 1e-10);
    }

    /// <summary>
    /// Each slice normalizing with its own rows' statistics (DDP without SyncBatchNorm) trains another model: the replicas
    /// here are never given the collective, and the run ends far from the local one, so the test above can fail.
    /// </summary>
    [Fact]
    public void PerSliceStatisticsWouldTrainAnotherModel()
    {
        var (local, _) = Train((_, _) => null);
        var data = BatchNormNet<double>.Data();
        var model = new BatchNormNet<double>();
        var rows = Enumerable.Range(0, 10).ToArray();
        var gradient = new double[DataParallel.ParameterLength(model)];
        var sum = new double[gradient.Length];
        var fractions = DataParallel.Fractions(model.Tasks, data, rows, 2);
        var parts = DataParallel.Slices(rows.Length, 2);
        for (int s = 0; s < 2; s++)
        {
            DataParallel.SliceGradients(model, data, rows[parts[s].Start..(parts[s].Start + parts[s].Count)], fractions[s], [1.0, 1.0], gradient);
            for (int i = 0; i < sum.Length; i++) sum[i] += gradient[i];
        }
        var whole = new BatchNormNet<double>();
        DataParallel.SliceGradients(whole, data, rows, [1.0, 1.0], [1.0, 1.0], gradient);
        Assert.True(MaxDifference(sum, gradient) > 1e-3, $"per-slice statistics gave the whole batch's gradient to {MaxDifference(sum, gradient):E2}");
        Assert.NotNull(local);
    }

    /// <summary>
    /// The synchronized backward against central differences of the whole batch's loss, in double: the slices (on threads
    /// over one collective) give the gradient of Σₛ fₛ·lossₛ with respect to every parameter, the batch statistics' share
    /// through the other slices included, and it must equal the finite-difference gradient of the local loss on the batch.
    /// </summary>
    [Fact]
    public void TheSynchronizedBackwardMatchesFiniteDifferencesOfTheWholeBatchLoss()
    {
        var data = BatchNormNet<double>.Data();
        var model = new BatchNormNet<double>();
        int[] rows = [3, 17, 0, 8, 21, 5, 12, 9, 1];
        double[] weights = [1.0, 0.7];
        var sliced = new SlicedStepGradients<double>(model, data, () => new BatchNormNet<double>(), 3, weights);
        var buffers = DataParallel.GetSynchronizedBuffers(model);
        sliced.Compute(rows, 1, 0);
        var analytic = model.Parameters().SelectMany(p => p.Grad!.Contiguous().ToArray()).ToArray();

        var probe = new BatchNormNet<double>();
        var theta = DataParallel.GetParameters(model);
        var scratch = new double[theta.Length];
        double Loss(double[] at)
        {
            DataParallel.SetParameters<double>(probe, at);
            DataParallel.SetSynchronizedBuffers<double>(probe, buffers);
            var losses = DataParallel.SliceGradients(probe, data, rows, [1.0, 1.0], weights, scratch);
            return weights[0] * losses[0] + weights[1] * losses[1];
        }
        const double h = 1e-6;
        double worst = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (Loss(plus) - Loss(minus)) / (2 * h);
            worst = Math.Max(worst, Math.Abs(numeric - analytic[i]) / Math.Max(1, Math.Abs(numeric)));
        }
        Assert.True(worst <= 1e-7, $"the synchronized gradient differs from central differences by {worst:E2} (relative)");
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);
    }

    /// <summary>The all-gather's backward sums every slice's gradient of this slice's row, in slice order.</summary>
    [Fact]
    public void TheAllGathersGradientIsTheSumOverTheSlices()
    {
        using var collective = new InProcessCollective(3);
        var results = new double[3][];
        var threads = Enumerable.Range(0, 3).Select(s => new Thread(() =>
        {
            var x = MtlTensor.FromArray(new[] { s + 1.0, 10.0 * s }, 2);
            x.RequiresGrad = true;
            var all = DataParallel.AllGather(x, collective.For(s)); // (3, 2)
            Assert.Equal(new[] { 1.0, 0, 2, 10, 3, 20 }, all.Contiguous().ToArray());
            // Slice s's loss: (s + 1)·Σ all[·, 0] + Σ all[·, 1]²
            var loss = all.Select(1, 0).Sum() * (s + 1.0) + (all.Select(1, 1) * all.Select(1, 1)).Sum();
            loss.Backward();
            results[s] = x.Grad!.ToArray();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        for (int s = 0; s < 3; s++)
            Assert.Equal(new[] { 1.0 + 2 + 3, 3 * 2 * 10.0 * s }, results[s]); // Σ over the slices' losses
    }

    /// <summary>A slice that never joins the collective makes the others fail with a message, not hang.</summary>
    [Fact]
    public void AMissingSliceTimesOutWithAMessage()
    {
        using var collective = new InProcessCollective(2, TimeSpan.FromMilliseconds(100));
        var error = Assert.Throws<TimeoutException>(() => collective.For(0).AllGather([1.0]));
        Assert.Contains("same synchronized layers", error.Message);
    }
}
