using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>A robustness curve: a test metric as one input goes missing for a growing fraction of the samples.</summary>
/// <param name="Input">The input made missing.</param>
/// <param name="MissingFractions">The fractions of samples without the input, 0 to 1 ascending.</param>
/// <param name="Values">The metric at each fraction.</param>
/// <param name="Area">The normalized area under the curve (see <see cref="ModalityRobustness.Area"/>).</param>
public sealed record RobustnessCurve(string Input, IReadOnlyList<double> MissingFractions, IReadOnlyList<double> Values, double Area);

/// <summary>
/// How a model holds up when an input is missing (MultiBench's robustness to missing modalities; Liang et al., "MultiBench:
/// Multiscale Benchmarks for Multimodal Representation Learning", 2021): the test metric when input X is missing for 0, 10,
/// …, 100% of the test samples, and the area under that curve. The samples that lose the input are the first ⌊f·n⌉ of one
/// seeded permutation, so the sets are nested (a sample missing at 30% is missing at 40%); samples already without it stay
/// without it. The model runs in evaluation mode (its mode is restored after).
/// </summary>
public static class ModalityRobustness
{
    /// <summary>The fractions 0, 1/steps, …, 1 (steps = 10: 0, 0.1, …, 1).</summary>
    public static double[] Fractions(int steps = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return Enumerable.Range(0, steps + 1).Select(k => (double)k / steps).ToArray();
    }

    /// <summary>
    /// The normalized area under a curve by the trapezoid rule, (1 / (x_last − x₀)) · Σₖ (xₖ₊₁ − xₖ)·(yₖ + yₖ₊₁)/2: the mean height
    /// of the curve, so a metric in [0, 1] (accuracy) gives an area in [0, 1], and a flat curve its value.
    /// </summary>
    /// <exception cref="ArgumentException">When the lengths differ, there are fewer than two points, or x is not increasing.</exception>
    public static double Area(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2) throw new ArgumentException($"The area needs at least two points with one y per x, got {x.Count} x and {y.Count} y.");
        double area = 0;
        for (int k = 0; k + 1 < x.Count; k++)
        {
            if (!(x[k + 1] > x[k])) throw new ArgumentException($"The x values must increase, but x[{k}] = {x[k]} and x[{k + 1}] = {x[k + 1]}.", nameof(x));
            area += (x[k + 1] - x[k]) * (y[k] + y[k + 1]) / 2;
        }
        return area / (x[^1] - x[0]);
    }

    /// <summary>The curve of task <paramref name="task"/>'s own metric (<see cref="TaskObjectives.Metric{T}"/>: accuracy, or RMSE for regression).</summary>
    /// <inheritdoc cref="Curve{T}(MultiTaskModel{T}, MultiTaskDataset{T}, int[], string, Func{IReadOnlyDictionary{string, MtlTensor{T}}, double}, ulong, int, int)"/>
    public static RobustnessCurve Curve<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, string input, string task, ulong seed = 0, int steps = 10,
        int batchSize = 1024) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var spec = model.Tasks.FirstOrDefault(t => t.Name == task)
            ?? throw new ArgumentException($"The model has no task \"{task}\"; it has [{string.Join(", ", model.Tasks.Select(t => t.Name))}].", nameof(task));
        var target = data.Targets(rows)[task];
        return Curve(model, data, rows, input, outputs => TaskObjectives.Metric(spec, outputs[task], target), seed, steps, batchSize);
    }

    /// <summary>The metric of the model's outputs on <paramref name="rows"/> with <paramref name="input"/> missing for each fraction of them.</summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The data set the rows index.</param>
    /// <param name="rows">The test rows.</param>
    /// <param name="input">The input to make missing.</param>
    /// <param name="metric">The metric of the outputs on the rows (task name → (rows, outputs)).</param>
    /// <param name="seed">The seed of the order in which samples lose the input.</param>
    /// <param name="steps">The number of steps from 0 to 100% (10: every 10%).</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <exception cref="KeyNotFoundException">When the data set has no such input.</exception>
    public static RobustnessCurve Curve<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, string input,
        Func<IReadOnlyDictionary<string, MtlTensor<T>>, double> metric, ulong seed = 0, int steps = 10, int batchSize = 1024)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(metric);
        return Curves(model, data, rows, input, new Dictionary<string, Func<IReadOnlyDictionary<string, MtlTensor<T>>, double>> { [""] = metric }, seed, steps, batchSize)[""];
    }

    /// <summary>
    /// Several metrics' curves from one forward pass per fraction (<see cref="Curve{T}(MultiTaskModel{T}, MultiTaskDataset{T}, int[], string, Func{IReadOnlyDictionary{string, MtlTensor{T}}, double}, ulong, int, int)"/>
    /// for each), by the metrics' names.
    /// </summary>
    /// <exception cref="KeyNotFoundException">When the data set has no such input.</exception>
    public static IReadOnlyDictionary<string, RobustnessCurve> Curves<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, string input,
        IReadOnlyDictionary<string, Func<IReadOnlyDictionary<string, MtlTensor<T>>, double>> metrics, ulong seed = 0, int steps = 10, int batchSize = 1024)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(metrics);
        var original = data.Presence(input) ?? Enumerable.Repeat(true, data.Count).ToArray();
        var order = new TensorRandom(seed).Permutation(rows.Length);
        var fractions = Fractions(steps);
        var values = metrics.Keys.ToDictionary(k => k, _ => new double[fractions.Length]);
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            for (int k = 0; k < fractions.Length; k++)
            {
                int missing = (int)Math.Round(fractions[k] * rows.Length, MidpointRounding.AwayFromZero);
                var present = (bool[])original.Clone();
                for (int j = 0; j < missing; j++) present[rows[order[j]]] = false;
                var outputs = Trainer<T>.Predict(model, data.WithPresence(input, present), rows, batchSize);
                foreach (var (name, metric) in metrics) values[name][k] = metric(outputs);
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return values.ToDictionary(v => v.Key, v => new RobustnessCurve(input, fractions, v.Value, Area(fractions, v.Value)));
    }
}
