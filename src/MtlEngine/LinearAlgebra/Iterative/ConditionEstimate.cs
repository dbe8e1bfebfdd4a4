using MtlEngine.Kernels;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Condition-number and rank estimates. The 2-norm quantities come from the SVD (exact, O(n³)); the 1-norm condition
/// estimate reuses an LU factorization and costs a few triangular solves (Hager 1984 / Higham 1988, LAPACK's gecon idea).
/// </summary>
public static class ConditionEstimate
{
    /// <summary>κ₂(A) = σ_max / σ_min from the SVD (∞ for a singular matrix).</summary>
    public static double TwoNorm(DenseMatrix a, Parallelism? parallelism = null) => Svd.Compute(a, parallelism).ConditionNumber();

    /// <summary>The numerical rank from the SVD: the number of σᵢ &gt; σ₀·max(m, n)·ε (NumPy's matrix_rank), or above <paramref name="tolerance"/>.</summary>
    public static int Rank(DenseMatrix a, double? tolerance = null, Parallelism? parallelism = null) => Svd.Compute(a, parallelism).Rank(tolerance);

    /// <summary>
    /// An estimate of κ₁(A) = ‖A‖₁·‖A⁻¹‖₁ from A and its LU factorization. ‖A⁻¹‖₁ is estimated by Hager's method:
    /// maximize ‖A⁻¹x‖₁ over the unit 1-ball by a few gradient steps (y = A⁻¹x, ξ = sign(y), z = A⁻ᵀξ, move to e_j
    /// with j = argmax |z_j|). Usually exact, never an overestimate. ∞ for a singular matrix.
    /// </summary>
    public static double OneNorm(DenseMatrix a, Lu lu)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(lu);
        int n = a.Rows;
        if (n == 0) return 0;
        if (lu.IsSingular) return double.PositiveInfinity;
        double anorm = 0;
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += Math.Abs(a[i, j]);
            anorm = Math.Max(anorm, s);
        }
        var x = new double[n];
        Array.Fill(x, 1.0 / n);
        double estimate = 0;
        for (int step = 0; step < 5; step++)
        {
            var y = lu.Solve(x);
            double norm = 0;
            foreach (double v in y) norm += Math.Abs(v);
            if (step > 0 && norm <= estimate) break;
            estimate = norm;
            var xi = new double[n];
            for (int i = 0; i < n; i++) xi[i] = y[i] >= 0 ? 1 : -1;
            var z = lu.SolveTransposed(xi);
            int j = 0;
            for (int i = 1; i < n; i++) if (Math.Abs(z[i]) > Math.Abs(z[j])) j = i;
            if (Math.Abs(z[j]) <= Dense.Dot(z, x)) break;
            Array.Clear(x);
            x[j] = 1;
        }
        return anorm * estimate;
    }
}
