using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// UPGrad (<c>upgrad</c>), the unconflicting projection of gradients of Quinton and Lavoie (2024, "Jacobian Descent for
/// Multi-Objective Optimization"; TorchJD's <c>UPGrad</c>): project each task gradient gᵢ onto the dual cone
/// {x : J·x ≥ 0} of the rows and average the projections. By their Proposition 1 the projection of Jᵀu is Jᵀv with
/// <code>
///   vᵢ = argmin_{v ≥ eᵢ} vᵀGv   (G = J·Jᵀ),   W = (1/T)·Σᵢ vᵢ,   D = Jᵀ·W
/// </code>
/// so that J·D ≥ 0 (no task's loss increases to first order) and D = mean when the gradients do not conflict.
/// Each projection is solved exactly by <see cref="SmallQp"/> on x = v − eᵢ ≥ 0, in the normalized basis (G = S·G̃·S).
/// TorchJD normalizes G by its trace (which changes nothing) and adds 10⁻⁴·I to it (which changes the answer); here
/// there is no regularization: D is the exact projection, also when G is singular (duplicate rows, T &gt; P), where D is
/// unique but the weights of a projection need not be (one minimizer is returned).
/// </summary>
public sealed class UpGradAggregator : GradientAggregator
{
    /// <inheritdoc/>
    public override string Name => "upgrad";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        int t = jacobian.Rows;
        var projections = Projections(jacobian);
        var weights = new double[t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++) weights[j] += projections[i, j] / t;
        return new AggregationResult(Gramian.CombineOrZero(jacobian, weights), weights);
    }

    /// <summary>
    /// The weights of each projection: row i is vᵢ = argmin_{v ≥ eᵢ} vᵀGv, so that Jᵀvᵢ is the projection of gᵢ onto the
    /// dual cone (the tests check each one's KKT conditions: vᵢ − eᵢ ≥ 0, G·vᵢ ≥ 0, (G·vᵢ)ⱼ = 0 where vᵢⱼ &gt; δᵢⱼ).
    /// </summary>
    internal static DenseMatrix Projections(DenseMatrix jacobian)
    {
        int t = jacobian.Rows;
        var unit = Gramian.Normalize(Gramian.Compute(jacobian));
        var projections = new DenseMatrix(t, t);
        var c = new double[t];
        for (int i = 0; i < t; i++)
        {
            // With ṽ = S·v = sᵢ·(eᵢ + z): minimize ½zᵀG̃z + G̃[:, i]ᵀz over z ≥ 0, then vⱼ = sᵢ·(δᵢⱼ + zⱼ)/sⱼ.
            for (int j = 0; j < t; j++) c[j] = unit.Unit[j, i];
            var z = SmallQp.Solve(unit.Unit, c).X;
            for (int j = 0; j < t; j++) projections[i, j] = unit.Scales[i] * ((i == j ? 1 : 0) + z[j]) / unit.Scales[j];
        }
        return projections;
    }
}
