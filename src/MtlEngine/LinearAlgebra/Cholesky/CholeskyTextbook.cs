namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The textbook Cholesky–Banachiewicz algorithm, row by row with scalar loops:
/// lᵢⱼ = (aᵢⱼ − Σ_{p&lt;j} lᵢₚ·lⱼₚ) / lⱼⱼ for j &lt; i, and lᵢᵢ = √(aᵢᵢ − Σ_{p&lt;i} lᵢₚ²).
/// The twin of <see cref="Cholesky"/>.
/// </summary>
public static class CholeskyTextbook
{
    /// <summary>Returns L with A = L·Lᵀ (A's lower triangle is read).</summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive.</exception>
    public static DenseMatrix Factor(DenseMatrix a)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "Cholesky");
        int n = a.Rows;
        var l = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double s = a[i, j];
                for (int p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                l[i, j] = s / l[j, j];
            }
            double d = a[i, i];
            for (int p = 0; p < i; p++) d -= l[i, p] * l[i, p];
            if (!(d > 0)) throw new NotPositiveDefiniteException(i, d);
            l[i, i] = Math.Sqrt(d);
        }
        return l;
    }
}
