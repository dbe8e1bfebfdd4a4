namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The one sign convention for eigenvectors and singular vectors, so that results are deterministic (scikit-learn's
/// <c>svd_flip</c> with <c>u_based_decision=True</c>): in each column of U (the left singular vectors, or the
/// eigenvectors) the entry of largest magnitude — the first one on a tie — is made positive; the matching right
/// singular vector (row of Vᵀ, column of V) is flipped with it so that U·Σ·Vᵀ is unchanged.
/// Every decomposition in this namespace applies it before returning.
/// </summary>
public static class SignConvention
{
    /// <summary>Flips column j of <paramref name="u"/> (and column j of <paramref name="v"/> if given) so that u's largest-magnitude entry is positive.</summary>
    public static void Apply(DenseMatrix u, DenseMatrix? v = null)
    {
        ArgumentNullException.ThrowIfNull(u);
        for (int j = 0; j < u.Columns; j++)
        {
            int best = 0;
            double bestAbs = -1;
            for (int i = 0; i < u.Rows; i++)
            {
                double a = Math.Abs(u[i, j]);
                if (a > bestAbs) { bestAbs = a; best = i; }
            }
            if (u.Rows == 0 || u[best, j] >= 0) continue;
            for (int i = 0; i < u.Rows; i++) u[i, j] = -u[i, j];
            if (v is not null)
                for (int i = 0; i < v.Rows; i++) v[i, j] = -v[i, j];
        }
    }
}
