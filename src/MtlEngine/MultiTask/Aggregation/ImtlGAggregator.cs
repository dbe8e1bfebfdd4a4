using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// IMTL-G (<c>imtl-g</c>), the gradient half of impartial multi-task learning (Liu et al. 2021, "Towards Impartial
/// Multi-task Learning"): the combination D = Σₜ αₜ·gₜ with Σα = 1 whose projections on every unit task gradient
/// uₜ = gₜ/‖gₜ‖ are equal, D·uₜ = D·u₁. The paper's closed form α₂..T = g₁·Uᵀ·(Δ·Uᵀ)⁻¹ with Δ = [g₁ − gₜ], U = [u₁ − uₜ]
/// is the same as
/// <code>
///   G·α = κ·n  (n = (‖g₁‖, ..., ‖g_T‖))   ⇒   α = G⁻¹n / 1ᵀG⁻¹n,   D = Jᵀα,   W = α
/// </code>
/// For a singular G (duplicate or zero rows, rows dependent up to the rounding of float64, T &gt; P) the generalization of
/// Quinton and Lavoie (2024, TorchJD's IMTLG) α = G⁺n / 1ᵀG⁺n is used; when 1ᵀG⁺n = 0 the weights are 0. The rank is
/// decided on J's singular values, σₖ &gt; T·ε·σ₁ kept (<see cref="GramianSpectrum"/>: why that matrix and that
/// cut-off), and both are computed in double-double from J itself (pivoted QR, then Jacobi):
/// <code>
///   full rank:  α ∝ G⁻¹n = Π·R⁻¹·R⁻ᵀ·Πᵀn        (JᵀΠ = Q·R, so G = Π·Rᵀ·R·Πᵀ)
///   rank r &lt; T: α ∝ G⁺n = Σₖ≤ᵣ uₖ·(uₖᵀn)/λₖ     (G = U·Λ·Uᵀ)
/// </code>
/// Deciding the rank in the basis of unit rows instead (as before) kept the direction that the rounding of g₅ = fl(g₁ + g₂)
/// leaves when ‖g₂‖ = 10⁶‖g₁‖, and the answer was 3·10⁻⁹ off; in float64, even with the right rank, the error of a
/// row-wise backward-stable factorization is amplified to about 10⁻¹⁰ there (hence double-double).
/// </summary>
public sealed class ImtlGAggregator : GradientAggregator
{
    /// <inheritdoc/>
    public override string Name => "imtl-g";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        int t = jacobian.Rows;
        var spectrum = GramianSpectrum.Of(jacobian);
        var v = spectrum.Rank == t
            ? spectrum.InverseTimes(spectrum.Norms)
            : spectrum.Apply(lambda => 1.0 / lambda, spectrum.Norms);
        DoubleDouble sum = 0;
        double size = 0;
        foreach (var x in v)
        {
            sum += x;
            size += Math.Abs(x.Hi);
        }
        double total = (double)sum;
        var weights = new double[t];
        if (Math.Abs(total) > 1e-12 * size)
            for (int i = 0; i < t; i++) weights[i] = (double)(v[i] / sum);
        return new AggregationResult(Gramian.Combine(jacobian, weights), weights);
    }
}
