using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Equal (EW) or fixed loss weighting, L = Σₜ wₜ·lossₜ with constant weights, one backward pass a step: the same
/// gradients as <see cref="FixedWeighting{T}"/>, with the epoch record of <see cref="MultiTaskStrategy{T}"/> (so the
/// gradient-conflict matrix can be recorded for the baseline too).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class FixedWeights<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _weights;

    /// <summary>Weights the tasks by their <see cref="TaskSpec.Weight"/>, or all by 1 when <paramref name="equal"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="equal">EW: every weight 1, whatever the tasks' weights.</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    public FixedWeights(IReadOnlyList<TaskSpec> tasks, bool equal = false, bool recordConflict = false) : base(tasks, recordConflict)
    {
        _weights = tasks.Select(t => equal ? 1.0 : t.Weight).ToArray();
        Name = equal ? "ew" : "fixed";
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step) => BackwardWeighted(step, _weights);
}
