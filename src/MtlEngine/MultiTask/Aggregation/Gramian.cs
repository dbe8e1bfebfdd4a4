using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using Syrk = MtlEngine.Kernels.Gemm.Syrk;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// The Gramian G = J·Jᵀ (T × T, G[i, j] = gᵢ·gⱼ) of a Jacobian, which is all most aggregators read, and the two
/// things the exact aggregators build from it: the unit Gramian (the Gramian of the normalized rows, in which the
/// small problems are well scaled even when task-gradient norms differ by 10⁶) and an eigendecomposition of G that
/// keeps high relative accuracy in its small eigenvalues (computed from J itself, <see cref="Spectrum"/>).
/// </summary>
public static class Gramian
{
    /// <summary>
    /// G = J·Jᵀ by the symmetric rank-k update, one triangle computed, then mirrored (exactly symmetric). For the
    /// Jacobians of training steps (a handful of rows, up to millions of columns) the update takes G as dot products of
    /// J's rows (see <see cref="Syrk"/>); both are summation orders of the textbook Σₚ J[i, p]·J[j, p] (the twin both
    /// are tested against).
    /// </summary>
    /// <param name="jacobian">J, T × P: one task gradient per row.</param>
    /// <param name="parallelism">Threads for the SYRK's GEMM calls (the row products run on the calling thread).</param>
    /// <returns>G, T × T.</returns>
    public static DenseMatrix Compute(DenseMatrix jacobian, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(jacobian);
        var g = new DenseMatrix(jacobian.Rows, jacobian.Rows);
        // SYRK computes C = AᵀA; with A = Jᵀ (a view, no copy) that is J·Jᵀ.
        Syrk.Update(1.0, jacobian.ReadOnlySpan.Transposed(), 0.0, g.Span, Triangle.Lower, OtherTriangle.Mirrored, parallelism);
        return g;
    }

    /// <summary>
    /// The row norms nᵢ = √Gᵢᵢ, the scales sᵢ (nᵢ, or 1 for a zero row) and the unit Gramian G̃ = S⁻¹·G·S⁻¹
    /// (G̃ᵢⱼ = cos(gᵢ, gⱼ), unit diagonal for non-zero rows, a zero row and column for a zero row), so that G = S·G̃·S.
    /// </summary>
    /// <param name="gramian">G, T × T, symmetric positive semi-definite.</param>
    /// <exception cref="ArgumentException">When G is not square.</exception>
    public static UnitGramian Normalize(DenseMatrix gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        if (!gramian.IsSquare) throw new ArgumentException($"A Gramian is square; this one has shape {gramian.ShapeText}.", nameof(gramian));
        int t = gramian.Rows;
        var norms = new double[t];
        var scales = new double[t];
        for (int i = 0; i < t; i++)
        {
            norms[i] = Math.Sqrt(Math.Max(gramian[i, i], 0));
            scales[i] = norms[i] > 0 ? norms[i] : 1;
        }
        var unit = new DenseMatrix(t, t);
        for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++)
                unit[i, j] = i == j ? (norms[i] > 0 ? 1 : 0) : Math.Clamp(gramian[i, j] / (scales[i] * scales[j]), -1, 1);
        return new UnitGramian(unit, norms, scales);
    }

    /// <summary>
    /// The eigendecomposition G = U·Λ·Uᵀ of G = J·Jᵀ restricted to its numerical rank, with the rank decided on J's
    /// singular values (σₖ &gt; T·ε·σ₁ kept) and every kept eigenvalue accurate to its own relative precision, also when the
    /// row norms differ by 10⁶ and rows are dependent only up to the rounding of float64: double-double Householder QR with
    /// column pivoting of Jᵀ, then one-sided Jacobi on the rows of Π·Rᵀ (see <see cref="GramianSpectrum"/>).
    /// </summary>
    /// <param name="jacobian">J, T × P.</param>
    /// <returns>The r kept eigenvalues in descending order and their eigenvectors (T × r, columns; the largest entry of
    /// each made positive).</returns>
    public static (double[] Values, DenseMatrix Vectors) Spectrum(DenseMatrix jacobian)
    {
        var spectrum = GramianSpectrum.Of(jacobian);
        return (spectrum.Values, spectrum.Vectors);
    }

    /// <summary>
    /// D = Jᵀ·w, or exactly 0 when ‖D‖ is below the rounding error of the sum itself (8·T·ε·Σ|wₜ|·‖gₜ‖): the direction
    /// of Pareto-stationary gradients (0 in their convex hull, or a dual cone that is {0}), which would otherwise be
    /// rounding noise pointing anywhere, so that J·D ≥ 0 holds exactly there.
    /// </summary>
    /// <param name="jacobian">J, T × P.</param>
    /// <param name="weights">w, length T.</param>
    public static double[] CombineOrZero(DenseMatrix jacobian, ReadOnlySpan<double> weights)
    {
        var d = Combine(jacobian, weights);
        double bound = 0;
        for (int t = 0; t < jacobian.Rows; t++)
        {
            double squared = 0;
            foreach (double v in jacobian.Row(t)) squared += v * v;
            bound += Math.Abs(weights[t]) * Math.Sqrt(squared);
        }
        double norm = Math.Sqrt(d.Sum(v => v * v));
        if (norm <= 8 * jacobian.Rows * MachineEpsilon.Double * bound) Array.Clear(d);
        return d;
    }

    /// <summary>D = Jᵀ·w = Σₜ wₜ·gₜ, the combination of J's rows with weights w.</summary>
    /// <param name="jacobian">J, T × P.</param>
    /// <param name="weights">w, length T.</param>
    public static double[] Combine(DenseMatrix jacobian, ReadOnlySpan<double> weights)
    {
        ArgumentNullException.ThrowIfNull(jacobian);
        if (weights.Length != jacobian.Rows)
            throw new ArgumentException($"There are {weights.Length} weights for {jacobian.Rows} rows.", nameof(weights));
        var d = new double[jacobian.Columns];
        for (int t = 0; t < jacobian.Rows; t++)
        {
            double w = weights[t];
            if (w == 0) continue;
            TensorPrimitives.MultiplyAdd(jacobian.Row(t), w, d, d);
        }
        return d;
    }
}

/// <summary>
/// A Gramian in the normalized basis: G = S·G̃·S with S = diag(<see cref="Scales"/>).
/// </summary>
/// <param name="Unit">G̃, the Gramian of the unit rows (cosines; unit diagonal except for zero rows).</param>
/// <param name="Norms">The row norms ‖gᵢ‖ = √Gᵢᵢ.</param>
/// <param name="Scales">sᵢ = ‖gᵢ‖, or 1 for a zero row.</param>
public sealed record UnitGramian(DenseMatrix Unit, double[] Norms, double[] Scales);
