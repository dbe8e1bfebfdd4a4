using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Geometric loss strategy, GLS (Chennupati, Sistu, Yogamani &amp; Rawashdeh 2019, "MultiNet++"): the loss is the
/// geometric mean of the task losses,
/// <code>L = (Πₜ lossₜ)^{1/T},   ∂L/∂θ = Σₜ L/(T·lossₜ) · ∂lossₜ/∂θ</code>
/// so one backward pass of Σₜ wₜ·lossₜ with the detached weights wₜ = L/(T·lossₜ) gives exactly L's gradient (scale
/// invariant: multiplying a task's loss by c leaves its weighted gradient unchanged). Tasks whose loss is 0 on the batch
/// (no labels in it) are left out of the product and weigh 0.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class GeometricLossStrategy<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    public GeometricLossStrategy(IReadOnlyList<TaskSpec> tasks, bool recordConflict = false) : base(tasks, recordConflict) { }

    /// <inheritdoc />
    public override string Name => "gls";

    /// <summary>wₜ = L/(T'·lossₜ) with L the geometric mean of the T' positive losses; 0 for the others.</summary>
    public static double[] Weights(ReadOnlySpan<double> losses)
    {
        double logSum = 0;
        int present = 0;
        foreach (double l in losses)
            if (l > 0)
            {
                logSum += Math.Log(l);
                present++;
            }
        var weights = new double[losses.Length];
        if (present == 0) return weights;
        double mean = Math.Exp(logSum / present);
        for (int t = 0; t < losses.Length; t++) weights[t] = losses[t] > 0 ? mean / (present * losses[t]) : 0;
        return weights;
    }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step) => BackwardWeighted(step, Weights(LossValues(step)));
}
