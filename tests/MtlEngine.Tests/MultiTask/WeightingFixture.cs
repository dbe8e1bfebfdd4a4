using MtlEngine.LinearAlgebra;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiTask;

/// <summary>
/// A small hard-sharing model in double (one dense input, a trunk, three tasks: a 3-class task and two regressions) and
/// one training step on a fixed batch, with an independent way to read every parameter's gradient.
/// </summary>
internal static class WeightingFixture
{
    public static readonly TaskSpec[] Tasks =
    [
        new("a", TaskKind.Classification, 3),
        new("b", TaskKind.Regression, 1),
        new("c", TaskKind.Regression, 2),
    ];

    public static HardParameterSharing<double> Model(ulong seed = 1) =>
        new([new("x", new MlpEncoder<double>(3, [4], new TensorRandom(seed)))], [5], Tasks, new TensorRandom(seed + 10));

    public static Batch<double> Batch(int n = 7)
    {
        var x = MtlTensor.FromArray(Enumerable.Range(0, n * 3).Select(i => Math.Sin(0.7 * i + 0.3)).ToArray(), n, 3);
        var b = MtlTensor.FromArray(Enumerable.Range(0, n).Select(i => 2 * Math.Cos(i)).ToArray(), n, 1);
        var c = MtlTensor.FromArray(Enumerable.Range(0, 2 * n).Select(i => Math.Sin(1.3 * i) - 0.5).ToArray(), n, 2);
        return new Batch<double>(
            new Dictionary<string, BatchInput<double>> { ["x"] = BatchInput<double>.Dense(x) },
            new Dictionary<string, BatchTarget<double>>
            {
                ["a"] = BatchTarget<double>.FromLabels(Enumerable.Range(0, n).Select(i => i % 3).ToArray()),
                ["b"] = BatchTarget<double>.FromValues(b, MtlTensor.OnesLike(b)),
                ["c"] = BatchTarget<double>.FromValues(c, MtlTensor.OnesLike(c)),
            });
    }

    /// <summary>A fresh forward pass of <paramref name="model"/> on the batch, as the trainer builds a step (gradients cleared).</summary>
    public static TrainingStep<double> Step(MultiTaskModel<double> model, Batch<double>? batch = null, int epoch = 1, long index = 0)
    {
        batch ??= Batch();
        foreach (var p in model.Parameters()) p.Grad = null;
        var output = model.Forward(batch);
        var losses = new Dictionary<string, MtlTensor<double>>();
        foreach (var task in model.Tasks) losses[task.Name] = TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
        return new TrainingStep<double>(model, batch, output, losses, epoch, index);
    }

    /// <summary>Every parameter's gradient after <paramref name="backward"/> ran on a fresh step, by name.</summary>
    public static Dictionary<string, double[]> Gradients(MultiTaskModel<double> model, Action<TrainingStep<double>> backward)
    {
        var step = Step(model);
        backward(step);
        return model.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Grad?.ToArray() ?? new double[p.Value.Length]);
    }

    public static void AssertClose(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(e.Length, a.Length);
            double scale = Math.Max(1, e.Max(Math.Abs));
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * scale, $"{name}[{i}]: expected {e[i]}, got {a[i]}");
        }
    }

    /// <summary>Each task's loss on the fixed batch.</summary>
    public static double[] Losses(MultiTaskModel<double> model) =>
        Step(model).TaskLosses.Values.Select(l => l.Item()).ToArray();
}

/// <summary>Test aggregators (the registry is filled by the aggregation methods' own branches).</summary>
internal sealed class SumAggregator : GradientAggregator
{
    public override string Name => "sum";

    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        var direction = new double[jacobian.Columns];
        for (int t = 0; t < jacobian.Rows; t++)
            for (int j = 0; j < jacobian.Columns; j++) direction[j] += jacobian[t, j];
        return new AggregationResult(direction, Enumerable.Repeat(1.0, jacobian.Rows).ToArray());
    }
}

/// <summary>The mean of the rows, D = (1/T)·Σₜ Jₜ.</summary>
internal sealed class MeanAggregator : GradientAggregator
{
    public override string Name => "mean";

    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        var direction = new double[jacobian.Columns];
        for (int t = 0; t < jacobian.Rows; t++)
            for (int j = 0; j < jacobian.Columns; j++) direction[j] += jacobian[t, j] / jacobian.Rows;
        return new AggregationResult(direction, Enumerable.Repeat(1.0 / jacobian.Rows, jacobian.Rows).ToArray());
    }
}
