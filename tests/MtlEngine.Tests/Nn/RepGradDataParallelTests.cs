using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

/// <summary>
/// A model with two distinct shared representations for <c>rep_grad</c> tests: h = dropout(tanh(linear(x))) read by tasks a
/// (3 classes) and c (regression), and g = tanh(linear(h)) read by task b (2 regression values), so task b's loss reaches h
/// through g and the Jacobian's blocks are not disjoint.
/// </summary>
internal sealed class TwoRepresentationNet<T> : MultiTaskModel<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    private readonly Linear<T> _trunk, _mix, _a, _b, _c;
    private readonly Dropout<T> _dropout;

    public TwoRepresentationNet(double dropout = 0.2)
    {
        var random = new TensorRandom(13);
        _trunk = RegisterModule("trunk", new Linear<T>(4, 6, random));
        _dropout = RegisterModule("dropout", new Dropout<T>(dropout, seed: 21));
        _mix = RegisterModule("mix", new Linear<T>(6, 5, random));
        _a = RegisterModule("a", new Linear<T>(6, 3, random));
        _b = RegisterModule("b", new Linear<T>(5, 2, random));
        _c = RegisterModule("c", new Linear<T>(6, 1, random));
        DeclareShared("trunk");
        DeclareShared("dropout");
        DeclareShared("mix");
        DeclareTask("a", "a");
        DeclareTask("b", "b");
        DeclareTask("c", "c");
    }

    public override IReadOnlyList<TaskSpec> Tasks { get; } =
        [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 2, Weight: 0.5), new("c", TaskKind.Regression, 1, Weight: 2)];

    public override IReadOnlyList<string> InputNames { get; } = ["x"];

    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var h = Forward(batch.Input("x").RequireValues("x"));
        var g = _mix.Forward(h).Tanh();
        var outputs = new Dictionary<string, MtlTensor<T>> { ["a"] = _a.Forward(h), ["b"] = _b.Forward(g), ["c"] = _c.Forward(h) };
        return new ModelOutput<T>(outputs, new Dictionary<string, MtlTensor<T>> { ["a"] = h, ["b"] = g, ["c"] = h });
    }

    public override MtlTensor<T> Forward(MtlTensor<T> input) => _dropout.Forward(_trunk.Forward(input).Tanh());

    /// <summary>23 rows of 4 closed-form features; a misses every 4th label, b every 5th row's second value, c every 7th row.</summary>
    public static MultiTaskDataset<T> Data()
    {
        const int n = 23;
        var x = Enumerable.Range(0, n * 4).Select(i => Math.Sin(0.37 * i) + 0.5 * Math.Cos(1.3 * i)).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i % 4 == 3 ? -1 : (i * 7) % 3).ToArray();
        var b = Enumerable.Range(0, 2 * n).Select(i => i % 10 == 9 ? double.NaN : Math.Cos(0.71 * i)).ToArray();
        var c = Enumerable.Range(0, n).Select(i => i % 7 == 6 ? double.NaN : Math.Sin(0.9 * i) - 0.3).ToArray();
        return new MultiTaskDataset<T>(n).AddInput("x", x.Select(T.CreateChecked).ToArray(), [n, 4]).AddLabels("a", labels)
            .AddValues("b", b.Select(T.CreateChecked).ToArray(), 2).AddValues("c", c.Select(T.CreateChecked).ToArray(), 1);
    }
}

/// <summary>
/// Strategies on the shared representation (<c>rep_grad</c>, MGDA-UB) over slices (<see cref="SlicedStepGradients{T}"/> with
/// representation true): the slices' blocks of the representation Jacobian make the batch's, the strategy aggregates it on the
/// coordinator, and the direction is pushed back through the slices' encoders in a second round, so the run equals the local
/// run — parameters, task weights, conflict record — to double rounding.
/// </summary>
public sealed class RepGradDataParallelTests
{
    /// <summary>Two epochs of batches of 10 (10, 10, 3 rows: the last batch's 3 slices hold one row each), SGD with momentum.</summary>
    private static (TwoRepresentationNet<double> Model, TrainingResult Result) Train(string weighting, bool repGrad,
        Func<TwoRepresentationNet<double>, MultiTaskDataset<double>, IStepGradients<double>?> gradients, double dropout = 0.2)
    {
        var data = TwoRepresentationNet<double>.Data();
        var model = new TwoRepresentationNet<double>(dropout);
        using var optimizer = new Sgd<double>(model.Parameters(), 0.1, momentum: 0.9);
        var strategy = TrainingStrategies.Create<double>(weighting, model.Tasks, options: new TrainingStrategyOptions(RepresentationGradients: repGrad));
        var trainer = new Trainer<double>(model, optimizer, new TrainingOptions(Epochs: 2, BatchSize: 10, Seed: 5), strategy) { StepGradients = gradients(model, data) };
        var result = trainer.Fit(data, Enumerable.Range(0, 23).ToArray());
        return (model, result);
    }

    private static double MaxDifference(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }

    [Theory]
    [InlineData("mgda-ub", false, 3)]
    [InlineData("mgda-ub", false, 2)]
    [InlineData("pcgrad", true, 3)]
    [InlineData("imtl", true, 3)] // IMTL-L scales the losses, then IMTL-G aggregates the scaled representation Jacobian
    [InlineData("upgrad", true, 2)]
    public void ARepresentationStrategyOnSlicesEqualsTheLocalRun(string weighting, bool repGrad, int slices)
    {
        var (local, localResult) = Train(weighting, repGrad, (_, _) => null);
        var (sliced, slicedResult) = Train(weighting, repGrad, (model, data) => new SlicedStepGradients<double>(model, data, () => new TwoRepresentationNet<double>(),
            slices, model.Tasks.Select(t => t.Weight).ToArray(), representation: true));
        double difference = MaxDifference(DataParallel.GetParameters(local), DataParallel.GetParameters(sliced));
        Assert.True(difference <= 1e-10, $"{weighting} on {slices} slices: the parameters differ from the local run's by {difference:E2}");
        Assert.Equal(DataParallel.RandomPositions(local), DataParallel.RandomPositions(sliced));
        for (int e = 0; e < 2; e++)
        {
            var (a, b) = (localResult.History[e], slicedResult.History[e]);
            Assert.Equal(a.TrainLoss, b.TrainLoss, 1e-10);
            foreach (var (task, w) in a.TaskWeights!) Assert.Equal(w, b.TaskWeights![task], 1e-9);
            for (int i = 0; i < a.GradientConflict!.Count; i++)
                for (int j = 0; j < a.GradientConflict.Count; j++) Assert.Equal(a.GradientConflict[i][j], b.GradientConflict![i][j], 1e-9);
        }
        // The same aggregator on the shared parameters trains another model: the representation run is not that one.
        var (parameters, _) = Train(weighting == "mgda-ub" ? "mgda" : weighting, false, (_, _) => null);
        Assert.True(MaxDifference(DataParallel.GetParameters(local), DataParallel.GetParameters(parameters)) > 1e-4);
    }

    /// <summary>
    /// One step by hand: the representation Jacobian put together from 3 slices is the local step's, column for column (the
    /// slices' blocks side by side, each scaled by its share fₛₜ), and the pushed direction gives the local shared gradient.
    /// </summary>
    [Fact]
    public void TheSlicesJacobianIsTheLocalStepsAndThePushItsSharedGradient()
    {
        var data = TwoRepresentationNet<double>.Data();
        var model = new TwoRepresentationNet<double>(dropout: 0);
        int[] rows = [5, 0, 17, 3, 22, 9, 11, 2, 8, 14];
        var batch = data.Batch(rows);
        model.Train();
        var output = model.Forward(batch);
        var losses = model.Tasks.ToDictionary(t => t.Name, t => TaskObjectives.Loss(t, output[t.Name], batch.Target(t.Name)));
        var reps = output.Representations.Values.Distinct(ReferenceEqualityComparer.Instance).Cast<MtlTensor<double>>().ToList();
        var local = new List<double>();
        foreach (var task in model.Tasks)
        {
            var row = MtlEngine.Autograd.Grad.Of(losses[task.Name], reps, retainGraph: true);
            for (int r = 0; r < reps.Count; r++) local.AddRange(row[r]?.ToArray() ?? new double[reps[r].Length]); // a: nothing on g
        }

        var sliced = new SlicedStepGradients<double>(model, data, () => new TwoRepresentationNet<double>(dropout: 0), 3, [1, 1, 1], representation: true);
        var step = sliced.ComputeTasks(rows, 1, 0);
        var representation = step.Representation!;
        Assert.Equal([6, 5], representation.Widths);
        Assert.Equal([0, 1, 0], representation.TaskRepresentations);
        Assert.True(MaxDifference(local.ToArray(), representation.Gradients) <= 1e-15, $"the Jacobians differ by {MaxDifference(local.ToArray(), representation.Gradients):E2}");

        // Push D = (cos of the index) through the encoder: the local ∂/∂θ_shared of Σ ⟨R, D⟩.
        var directions = reps.Select(r => Enumerable.Range(0, r.Length).Select(i => Math.Cos(0.3 * i)).ToArray()).ToArray();
        var surrogate = (reps[0] * MtlTensor.FromArray(directions[0], 10, 6)).Sum() + (reps[1] * MtlTensor.FromArray(directions[1], 10, 5)).Sum();
        var shared = model.SharedParameters().Select(p => p.Value).ToList();
        var expected = MtlEngine.Autograd.Grad.Of(surrogate, shared).SelectMany(g => g!.ToArray()).ToArray();
        var push = representation.Push!(directions);
        int sharedLength = shared.Sum(p => p.Length);
        Assert.True(MaxDifference(expected, push.Gradient[..sharedLength]) <= 1e-14); // the shared parameters come first
        Assert.All(push.Gradient[sharedLength..], v => Assert.Equal(0.0, v));
        Assert.Equal(model.Parameters().Select(p => shared.Contains(p)).ToArray(), push.Reached);
    }

    [Fact]
    public void RepGradOverSlicesOfASynchronizedModelIsRefusedWithOneLine()
    {
        var model = new BatchNormNet<double>();
        var error = Assert.Throws<ArgumentException>(() => new SlicedStepGradients<double>(model, BatchNormNet<double>.Data(), () => new BatchNormNet<double>(), 2, [1, 1],
            representation: true));
        Assert.Contains("synchronized", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
