using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// What a gradient aggregator returns: the aggregated gradient D (length P) so that the update is θ ← θ − lr·D, and,
/// where the method is a weighting of the task gradients, the per-task weights W with D = Wᵀ·J.
/// </summary>
/// <param name="Direction">The aggregated gradient D, one entry per parameter (column of J).</param>
/// <param name="Weights">The per-task weights W (one per row of J), or null when D is not a weighting of J's rows.</param>
public sealed record AggregationResult(double[] Direction, double[]? Weights);

/// <summary>
/// A gradient aggregator (multi-task gradient aggregation, as LibMTL and TorchJD call it): from the Jacobian J of the
/// task losses with respect to the shared parameters (T × P, row t the gradient of task t's loss) to one update
/// direction. Works alone, on a Jacobian from anywhere; the trainer feeds it the per-task gradients of each step.
/// Methods with state across steps (GradVac's EMA targets, ...) keep it in the instance; <see cref="Reset"/> clears it.
/// </summary>
public abstract class GradientAggregator
{
    /// <summary>The method's name as <c>mtl aggregate --method</c> spells it (<c>mgda</c>, <c>pcgrad</c>, ...).</summary>
    public abstract string Name { get; }

    /// <summary>Aggregates the task gradients.</summary>
    /// <param name="jacobian">J, T × P: one task gradient per row (T ≥ 1, P ≥ 1, every entry finite).</param>
    /// <param name="losses">The T task losses, for methods that read them (null otherwise).</param>
    /// <returns>The direction D (length P) and, for weighting methods, the weights W with D = Wᵀ·J.</returns>
    /// <exception cref="ArgumentException">When J is empty or has a non-finite entry, or the losses do not match.</exception>
    public AggregationResult Aggregate(DenseMatrix jacobian, ReadOnlySpan<double> losses = default)
    {
        ArgumentNullException.ThrowIfNull(jacobian);
        if (jacobian.Rows == 0 || jacobian.Columns == 0)
            throw new ArgumentException($"The Jacobian must have at least one task and one parameter; it has shape {jacobian.ShapeText}.", nameof(jacobian));
        if (!AllFinite(jacobian.Data))
            for (int i = 0; i < jacobian.Data.Length; i++)
                if (!double.IsFinite(jacobian.Data[i]))
                    throw new ArgumentException($"The Jacobian has a non-finite entry {jacobian.Data[i]} at ({i / jacobian.Columns}, {i % jacobian.Columns}).", nameof(jacobian));
        if (!losses.IsEmpty && losses.Length != jacobian.Rows)
            throw new ArgumentException($"There are {losses.Length} losses for {jacobian.Rows} tasks.", nameof(losses));
        foreach (double l in losses)
            if (!double.IsFinite(l)) throw new ArgumentException($"A task loss is {l}; losses must be finite.", nameof(losses));
        return AggregateCore(jacobian, losses.IsEmpty ? null : losses.ToArray());
    }

    /// <summary>
    /// Whether every value is finite, in vector lanes: x − x is 0 for a finite x and NaN for ±∞ and NaN, and a NaN stays in
    /// the lane's sum (the scalar loop of <see cref="Aggregate"/> then finds the first one; J of a training step has millions of entries).
    /// </summary>
    internal static bool AllFinite(ReadOnlySpan<double> values)
    {
        var lanes = System.Numerics.Vector<double>.Zero;
        int width = System.Numerics.Vector<double>.Count, i = 0;
        for (; i + width <= values.Length; i += width)
        {
            var v = new System.Numerics.Vector<double>(values.Slice(i, width));
            lanes += v - v;
        }
        double sum = System.Numerics.Vector.Sum(lanes);
        for (; i < values.Length; i++) sum += values[i] - values[i];
        return sum == 0;
    }

    /// <summary>The method itself, on a checked Jacobian.</summary>
    protected abstract AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses);

    /// <summary>Forgets any state kept across steps (default: none).</summary>
    public virtual void Reset() { }

    /// <summary>Writes the state kept across steps (random positions, moving averages) for a checkpoint; nothing by default.</summary>
    public virtual void SaveState(StrategyState state) { }

    /// <summary>Restores what <see cref="SaveState"/> wrote; nothing by default.</summary>
    /// <exception cref="ArgumentException">When an entry is missing or of the wrong size.</exception>
    public virtual void LoadState(StrategyState state) { }
}
