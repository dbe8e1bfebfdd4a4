using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// Aligned-MTL (<c>aligned-mtl</c>) of Senushkin et al. (2023, "Independent Component Alignment for Multi-Task
/// Learning", Algorithm 1): make the task gradients orthogonal and of equal norm (condition number 1) before summing,
/// by the balance transformation of the Gramian G = J·Jᵀ = V·Λ·Vᵀ restricted to its rank R:
/// <code>
///   B = √λ_R · V_R·Λ_R^(−1/2)·V_Rᵀ,   W = B·1,   D = Jᵀ·W
/// </code>
/// λ_R the smallest non-zero eigenvalue. With J = U·Σ·Qᵀ this is D = σ_R·Q·Uᵀ·1: the rows of J replaced by the
/// nearest matrix with orthogonal rows all of norm σ_R (orthogonal Procrustes), then summed. The task weights are
/// all 1, as in the official implementation and LibMTL (<c>alpha = B.sum(0)</c>); TorchJD's <c>AlignedMTL</c> uses 1/T,
/// which divides D by T. The eigendecomposition is <see cref="GramianSpectrum"/>'s: computed in double-double from J
/// itself (pivoted QR, then one-sided Jacobi), accurate in the relative sense also for the small eigenvalues when the
/// task-gradient norms differ by 10⁶, with the rank R decided on J's singular values, σₖ &gt; T·ε·σ₁ kept (a row dependent
/// on others up to the rounding of float64, g₅ = fl(g₁ + g₂), is dependent; rows whose norms differ by 10⁶ or 10¹² are
/// not), where LibMTL uses λ &gt; λ_max·T·ε_float32 on G (which declares rank-deficient any J whose row norms differ by
/// more than about 10³).
/// A zero Jacobian has rank 0: W = 1 and D = 0.
/// </summary>
public sealed class AlignedMtlAggregator : GradientAggregator
{
    /// <inheritdoc/>
    public override string Name => "aligned-mtl";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        int t = jacobian.Rows;
        var spectrum = GramianSpectrum.Of(jacobian);
        var weights = new double[t];
        if (spectrum.Rank == 0)
            Array.Fill(weights, 1.0);
        else
        {
            // W = Σₖ uₖ·√(λ_R/λₖ)·(uₖᵀ1).
            var ones = Enumerable.Repeat(new DoubleDouble(1), t).ToArray();
            var w = spectrum.Apply(lambda => DoubleDouble.Sqrt(spectrum.SmallestValue / lambda), ones);
            for (int i = 0; i < t; i++) weights[i] = (double)w[i];
        }
        return new AggregationResult(Gramian.Combine(jacobian, weights), weights);
    }
}
