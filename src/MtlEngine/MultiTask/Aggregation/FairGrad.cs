using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// FairGrad (Ban and Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024): α-fair allocation of the
/// update among the tasks. With G = J·Jᵀ, the weights w &gt; 0 solve
/// <code>G·w = w^(−1/α)   (elementwise: gᵢᵀD = wᵢ^(−1/α)),   D = Σᵢ wᵢ·gᵢ = wᵀJ,</code>
/// the optimality condition of max over D of Σᵢ u_α(gᵢᵀD) on the ball ‖D‖ ≤ const, u_α the α-fair utility.
/// α = 1 is proportional fairness and the same system as Nash-MTL; α → ∞ tends to max-min fairness.
/// </summary>
/// <remarks>
/// The official code and LibMTL solve the system approximately with scipy's bounded least squares from w = 1/T. Here it
/// is solved exactly: w minimizes the strictly convex ½wᵀGw − Σ φ(wᵢ), φ(w) = log w (α = 1) or
/// w^(1−1/α)/(1−1/α), by Newton's method with an exact line search in the basis of unit gradients
/// (see <see cref="InverseWeightSystem"/>), to machine precision, also for rank-deficient Jacobians. Defined for α &gt; 0
/// unless a non-negative combination of the task gradients is zero, where <see cref="UndefinedAggregationException"/>
/// is thrown. Default α = 1 (<c>fairgrad-alpha</c>), as LibMTL. Tested for α from 0.1 to 20; toward max-min fairness
/// (α in the hundreds) a dominated task's exact weight can fall below 10⁻¹⁰⁰ of the others' and is then reported
/// (<see cref="UndefinedAggregationException"/>, or <see cref="LinearAlgebra.NoConvergenceException"/> when Newton's
/// method has not reached it in its step budget) rather than returned inexact.
/// </remarks>
public sealed class FairGrad : GradientAggregator
{
    /// <summary>Creates the aggregator.</summary>
    /// <param name="alpha">The fairness parameter α &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="alpha"/> is not positive and finite.</exception>
    public FairGrad(double alpha = 1)
    {
        if (!(alpha > 0) || !double.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "fairgrad-alpha must be positive and finite (1: proportional fairness).");
        Alpha = alpha;
    }

    /// <inheritdoc/>
    public override string Name => "fairgrad";

    /// <summary>The fairness parameter α.</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        var w = InverseWeightSystem.Solve(jacobian, 1 / Alpha, Name);
        return new AggregationResult(Gramian.Combine(jacobian, w), w);
    }
}
