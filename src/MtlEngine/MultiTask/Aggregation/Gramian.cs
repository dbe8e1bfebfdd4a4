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
/// keeps high relative accuracy in its small eigenvalues.
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
    /// The numerical rank of G from the unit Gramian: the number of steps of a diagonally pivoted Cholesky factorization
    /// of G̃ before the largest remaining pivot falls to <paramref name="tolerance"/> (a squared sine: the squared distance
    /// of a unit row to the span of the rows already taken). Duplicate rows, zero rows and T &gt; P lower it.
    /// </summary>
    /// <param name="unit">The unit Gramian G̃.</param>
    /// <param name="tolerance">The pivot below which the remaining rows count as dependent (default 1e-13·T).</param>
    /// <returns>The rank r, the pivot order (first r entries: the independent rows) and the factor L (T × r) with G̃ ≈ L·Lᵀ.</returns>
    public static (int Rank, int[] Order, DenseMatrix Factor) PivotedCholesky(DenseMatrix unit, double? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(unit);
        int t = unit.Rows;
        double tol = tolerance ?? 1e-13 * Math.Max(t, 1);
        var order = new int[t];
        var taken = new bool[t];
        var l = new DenseMatrix(t, t);
        var remaining = new double[t];
        for (int i = 0; i < t; i++) remaining[i] = unit[i, i];
        int rank = 0;
        for (int k = 0; k < t; k++)
        {
            // The pivot: the row farthest from the span of the rows already taken.
            int best = -1;
            double pivot = tol;
            for (int i = 0; i < t; i++)
                if (!taken[i] && remaining[i] > pivot) { pivot = remaining[i]; best = i; }
            if (best < 0) break;
            taken[best] = true;
            order[k] = best;
            double root = Math.Sqrt(pivot);
            l[best, k] = root;
            for (int i = 0; i < t; i++)
            {
                if (taken[i]) continue;
                double sum = unit[i, best];
                for (int j = 0; j < k; j++) sum -= l[i, j] * l[best, j];
                l[i, k] = sum / root;
                remaining[i] -= l[i, k] * l[i, k];
            }
            rank++;
        }
        for (int i = 0, k = rank; i < t; i++)
            if (!taken[i]) order[k++] = i;
        var factor = new DenseMatrix(t, rank);
        for (int i = 0; i < t; i++)
            for (int j = 0; j < rank; j++) factor[i, j] = l[i, j];
        return (rank, order, factor);
    }

    /// <summary>
    /// The eigendecomposition G = U·Λ·Uᵀ restricted to its numerical range, with high relative accuracy in every
    /// eigenvalue even when the row norms differ by many orders of magnitude: G = (S·L)(S·L)ᵀ from the pivoted Cholesky
    /// factor L of the unit Gramian, then one-sided (Hestenes) Jacobi rotations of the rows of X = S·L until they are
    /// mutually orthogonal, X = U·R with R's rows orthogonal, so that G = U·diag(‖Rₖ‖²)·Uᵀ. Rotating the rows of a
    /// row-scaled X is the case where one-sided Jacobi is accurate to the relative precision of each eigenvalue
    /// (Demmel and Veselić 1992), which an eigensolver on G itself is not (its error is eps·λ_max for every eigenvalue).
    /// </summary>
    /// <param name="unit">The normalized Gramian, from <see cref="Normalize"/>.</param>
    /// <returns>The r non-zero eigenvalues in descending order and their eigenvectors (T × r, columns; the largest
    /// entry of each made positive).</returns>
    public static (double[] Values, DenseMatrix Vectors) Spectrum(UnitGramian unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        int t = unit.Unit.Rows;
        var (rank, _, factor) = PivotedCholesky(unit.Unit);
        // X = S·L (T × r) and U = I (T × T); rotate pairs of rows of X (and columns of U) until the rows are orthogonal.
        var x = new DenseMatrix(t, rank);
        for (int i = 0; i < t; i++)
            for (int j = 0; j < rank; j++) x[i, j] = unit.Scales[i] * factor[i, j];
        var u = DenseMatrix.Identity(t);
        for (int sweep = 0; sweep < 60; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < t; p++)
                for (int q = p + 1; q < t; q++)
                {
                    double app = 0, aqq = 0, apq = 0;
                    for (int j = 0; j < rank; j++)
                    {
                        app += x[p, j] * x[p, j];
                        aqq += x[q, j] * x[q, j];
                        apq += x[p, j] * x[q, j];
                    }
                    if (apq == 0 || Math.Abs(apq) <= 1e-15 * Math.Sqrt(app * aqq)) continue;
                    rotated = true;
                    // The rotation that diagonalizes [[app, apq], [apq, aqq]]: τ = (aqq − app)/(2apq), t = sign(τ)/(|τ| + √(1 + τ²)).
                    double tau = (aqq - app) / (2 * apq);
                    double tangent = Math.CopySign(1, tau) / (Math.Abs(tau) + Math.Sqrt(1 + tau * tau));
                    double c = 1 / Math.Sqrt(1 + tangent * tangent), s = c * tangent;
                    for (int j = 0; j < rank; j++)
                    {
                        double xp = x[p, j], xq = x[q, j];
                        x[p, j] = c * xp - s * xq;
                        x[q, j] = s * xp + c * xq;
                    }
                    for (int k = 0; k < t; k++)
                    {
                        double up = u[k, p], uq = u[k, q];
                        u[k, p] = c * up - s * uq;
                        u[k, q] = s * up + c * uq;
                    }
                }
            if (!rotated) break;
        }
        var squared = new double[t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < rank; j++) squared[i] += x[i, j] * x[i, j];
        var order = Enumerable.Range(0, t).OrderByDescending(i => squared[i]).ThenBy(i => i).Take(rank).ToArray();
        var values = new double[rank];
        var vectors = new DenseMatrix(t, rank);
        for (int k = 0; k < rank; k++)
        {
            values[k] = squared[order[k]];
            int largest = 0;
            for (int i = 0; i < t; i++)
                if (Math.Abs(u[i, order[k]]) > Math.Abs(u[largest, order[k]])) largest = i;
            double sign = u[largest, order[k]] < 0 ? -1 : 1;
            for (int i = 0; i < t; i++) vectors[i, k] = sign * u[i, order[k]];
        }
        return (values, vectors);
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
