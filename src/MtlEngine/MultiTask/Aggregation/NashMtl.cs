using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// Nash-MTL (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022): the Nash bargaining solution among
/// the tasks. With G = J·Jᵀ, the weights α &gt; 0 solve the bargaining system
/// <code>G·α = 1/α   (elementwise: Σⱼ gᵢᵀgⱼ·αⱼ = 1/αᵢ, i.e. gᵢᵀD = 1/αᵢ),   D = Σᵢ αᵢ·gᵢ = αᵀJ.</code>
/// </summary>
/// <remarks>
/// <para>The paper approximates α by a sequence of convex programs (cvxpy, a few iterations; LibMTL's
/// <c>optim_niter</c> = 20 with a stopping tolerance of 10⁻³ on ‖Gα − 1/α‖). Here the system is solved exactly: α
/// minimizes the strictly convex ½αᵀGα − Σ log αᵢ, found by Newton's method with an exact line search in the basis of
/// unit gradients (see <see cref="InverseWeightSystem"/>), to machine precision. Then ‖D‖² = αᵀGα = T always, and
/// every task's directional derivative gᵢᵀD = 1/αᵢ is positive.</para>
/// <para>The official code and LibMTL normalize G by its Frobenius norm only to condition the convex program (their
/// constraint keeps the unnormalized system), so α is the same. They then clip the norm of the shared gradient to
/// <c>max_norm</c> = 1; that clipping is a training-time choice, off here by default (<c>nash-mtl-max-norm</c> 0);
/// with a value m &gt; 0, D and α are scaled by min(1, m/‖D‖).</para>
/// <para>Defined unless a non-negative combination of the task gradients is zero (a zero gradient, opposite gradients,
/// the origin in their convex hull): there the system has no solution and <see cref="UndefinedAggregationException"/>
/// is thrown. Rank-deficient Jacobians otherwise have a unique solution.</para>
/// </remarks>
public sealed class NashMtl : GradientAggregator
{
    /// <summary>Creates the aggregator.</summary>
    /// <param name="maxNorm">When positive, D (and α with it) is scaled down to this norm if longer; 0 leaves it (‖D‖ = √T).</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxNorm"/> is negative or not finite.</exception>
    public NashMtl(double maxNorm = 0)
    {
        if (!(maxNorm >= 0) || !double.IsFinite(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "nash-mtl-max-norm must be ≥ 0 (0: no clipping).");
        MaxNorm = maxNorm;
    }

    /// <inheritdoc/>
    public override string Name => "nash-mtl";

    /// <summary>The norm D is clipped to (0: none).</summary>
    public double MaxNorm { get; }

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        var alpha = InverseWeightSystem.Solve(jacobian, 1.0, Name);
        var direction = Gramian.Combine(jacobian, alpha);
        if (MaxNorm > 0) WeightedRows.ClipNorm(direction, alpha, MaxNorm);
        return new AggregationResult(direction, alpha);
    }
}
