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
/// computed here as α ∝ S⁻¹·G̃⁻¹·1 (G = S·G̃·S, so G⁻¹n = S⁻¹G̃⁻¹1), by Cholesky on the well-scaled unit Gramian.
/// For a singular G (duplicate or zero rows, T &gt; P) the generalization of Quinton and Lavoie (2024, TorchJD's IMTLG)
/// α = G⁺n / 1ᵀG⁺n is used, G⁺ from <see cref="Gramian.Spectrum"/>; when 1ᵀG⁺n = 0 the weights are 0.
/// </summary>
public sealed class ImtlGAggregator : GradientAggregator
{
    /// <inheritdoc/>
    public override string Name => "imtl-g";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        int t = jacobian.Rows;
        var unit = Gramian.Normalize(Gramian.Compute(jacobian));
        var (rank, order, l) = Gramian.PivotedCholesky(unit.Unit);
        var v = new double[t];
        if (rank == t)
        {
            // G̃[order, order] = L·Lᵀ with L lower triangular in pivot order: solve L·z = 1, then Lᵀ·y = z; v = S⁻¹·y.
            var z = new double[t];
            for (int k = 0; k < t; k++)
            {
                double sum = 1;
                for (int j = 0; j < k; j++) sum -= l[order[k], j] * z[j];
                z[k] = sum / l[order[k], k];
            }
            var y = new double[t];
            for (int k = t - 1; k >= 0; k--)
            {
                double sum = z[k];
                for (int j = k + 1; j < t; j++) sum -= l[order[j], k] * y[order[j]];
                y[order[k]] = sum / l[order[k], k];
            }
            for (int i = 0; i < t; i++) v[i] = y[i] / unit.Scales[i];
        }
        else
        {
            // v = G⁺·n = U·Λ⁻¹·Uᵀ·n on the numerical range of G.
            var (values, vectors) = Gramian.Spectrum(unit);
            for (int k = 0; k < values.Length; k++)
            {
                double projection = 0;
                for (int i = 0; i < t; i++) projection += vectors[i, k] * unit.Norms[i];
                for (int i = 0; i < t; i++) v[i] += vectors[i, k] * projection / values[k];
            }
        }
        double total = v.Sum(), size = v.Sum(Math.Abs);
        var weights = new double[t];
        if (Math.Abs(total) > 1e-12 * size)
            for (int i = 0; i < t; i++) weights[i] = v[i] / total;
        return new AggregationResult(Gramian.Combine(jacobian, weights), weights);
    }
}
