using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>How MGDA scales the task gradients before it takes the min-norm point.</summary>
public enum MgdaNormalization
{
    /// <summary>No scaling: the paper's problem on the gradients themselves (the default).</summary>
    None = 0,

    /// <summary>Each gradient scaled to unit Euclidean norm (LibMTL's <c>mgda_gn='l2'</c>).</summary>
    L2 = 1,
}

/// <summary>
/// MGDA (<c>mgda</c>), the multiple-gradient descent algorithm as Sener and Koltun (2018, "Multi-Task Learning as
/// Multi-Objective Optimization") use it: the min-norm point of the convex hull of the task gradients,
/// <code>
///   w = argmin_{w ∈ Δ} ‖Jᵀw‖² = argmin_{w ≥ 0, Σw = 1} wᵀGw,   D = Jᵀw,   W = w
/// </code>
/// with G = J·Jᵀ. D is the common descent direction of least norm (gₜ·D ≥ ‖D‖² for every t), and D = 0 when the
/// gradients are Pareto-stationary. Solved exactly by <see cref="SmallQp"/> (the paper uses Frank-Wolfe iterations
/// stopped early) in the normalized basis y = S·w (S the row norms), where the problem reads min yᵀG̃y over
/// {y ≥ 0, Σ yᵢ/sᵢ = 1} and stays well scaled when the norms differ by 10⁶. With <see cref="MgdaNormalization.L2"/>
/// the rows are first scaled to unit norm: D = Σ wₜ·gₜ/‖gₜ‖, W = w/‖g‖.
/// </summary>
public sealed class MgdaAggregator : GradientAggregator
{
    /// <summary>MGDA with the given gradient normalization (none by default: the paper's problem).</summary>
    public MgdaAggregator(MgdaNormalization normalization = MgdaNormalization.None)
    {
        if (!Enum.IsDefined(normalization))
            throw new ArgumentException($"Unknown MGDA normalization {(int)normalization}; use 0 (none) or 1 (l2).", nameof(normalization));
        Normalization = normalization;
    }

    /// <summary>How the gradients are scaled before the min-norm problem.</summary>
    public MgdaNormalization Normalization { get; }

    /// <inheritdoc/>
    public override string Name => "mgda";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        int t = jacobian.Rows;
        var unit = Gramian.Normalize(Gramian.Compute(jacobian));
        // In the basis y = S·w the constraint Σw = 1 reads Σ yᵢ/sᵢ = 1; with l2 normalization it is Σ yᵢ = 1.
        var a = new double[t];
        for (int i = 0; i < t; i++) a[i] = Normalization == MgdaNormalization.L2 ? 1 : 1 / unit.Scales[i];
        var y = SmallQp.Solve(unit.Unit, new double[t], a).X;
        var weights = new double[t];
        for (int i = 0; i < t; i++) weights[i] = y[i] / unit.Scales[i];
        return new AggregationResult(Gramian.CombineOrZero(jacobian, weights), weights);
    }
}
