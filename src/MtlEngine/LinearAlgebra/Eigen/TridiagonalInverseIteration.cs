namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Eigenvectors of a symmetric tridiagonal T for a few given eigenvalues by inverse iteration (LAPACK's dstein):
/// for each σ ≈ λ_j, solve (T − σI)·x = b with T − σI factored by Gaussian elimination with partial pivoting
/// (dlagtf/dlagts: U has two superdiagonals; a pivot below ε‖T‖₁ is replaced by ε‖T‖₁), three times from a seeded
/// random start. Eigenvalues closer than 10⁻³‖T‖₁ form a cluster: each new vector of a cluster is orthogonalized
/// against the earlier ones after every solve (twice, Gram–Schmidt), and a σ within 10ε‖T‖₁ of the previous one is
/// nudged up so that the factorizations differ. Cost O(n) per solve plus O(n·c) per vector in a cluster of c.
/// </summary>
internal static class TridiagonalInverseIteration
{
    private const int Iterations = 3;

    /// <summary>
    /// The n×k row-major matrix whose column j is the unit eigenvector of T (diagonal d, off-diagonal e, e[i] couples i and i + 1)
    /// for <paramref name="values"/>[j] (ascending). Returns null when an iterate is not finite (the caller falls back).
    /// </summary>
    public static DenseMatrix? Vectors(double[] d, double[] e, double[] values)
    {
        int n = d.Length, k = values.Length;
        var z = new DenseMatrix(n, k);
        if (n == 0 || k == 0) return z;
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm = Math.Max(norm, Math.Abs(d[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0));
        double eps = MachineEpsilon.UnitRoundoff;
        if (norm == 0) norm = 1;
        double ortol = 1e-3 * norm, pertol = 10 * eps * norm, tiny = eps * norm;
        var u0 = new double[n];
        var u1 = new double[n];
        var u2 = new double[n];
        var l = new double[n];
        var pivot = new bool[n];
        var x = new double[n];
        // The finished vectors, one per row (contiguous for the cluster's Gram–Schmidt), transposed into z at the end.
        using var columns = new PooledMatrix(k, n, clear: false);
        int clusterStart = 0;
        double previous = double.NegativeInfinity;
        for (int j = 0; j < k; j++)
        {
            if (j == 0 || values[j] - values[j - 1] > ortol) clusterStart = j;
            double sigma = values[j];
            if (sigma - previous < pertol) sigma = previous + pertol;
            previous = sigma;
            Factor(d, e, sigma, tiny, u0, u1, u2, l, pivot);
            // A seeded start (a fixed hash of the index), so that results are reproducible.
            ulong state = 0x9E3779B97F4A7C15UL * (ulong)(j + 1);
            for (int i = 0; i < n; i++)
            {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                x[i] = (state >> 11) * Math.ScaleB(1.0, -53) * 2 - 1;
            }
            for (int iteration = 0; iteration < Iterations; iteration++)
            {
                Normalize(x);
                Solve(u0, u1, u2, l, pivot, x);
                for (int pass = 0; pass < 2; pass++)
                    for (int c = clusterStart; c < j; c++)
                    {
                        var q = columns.Elements.Slice(c * n, n);
                        double dot = Dense.Dot(q, x);
                        Dense.Axpy(-dot, q, x);
                    }
                if (!Normalize(x)) return null;
            }
            x.CopyTo(columns.Elements.Slice(j * n, n));
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) z[i, j] = columns[j, i];
        return z;
    }

    /// <summary>x ← x/‖x‖; false when x is zero or not finite.</summary>
    private static bool Normalize(double[] x)
    {
        double s = Dense.Norm2(x);
        if (!(s > 0) || !double.IsFinite(s)) return false;
        Dense.Scale(1 / s, x);
        return true;
    }

    /// <summary>P·(T − σI) = L·U with partial pivoting between neighbouring rows; U's diagonal u0, superdiagonals u1, u2.</summary>
    private static void Factor(double[] d, double[] e, double sigma, double tiny, double[] u0, double[] u1, double[] u2, double[] l, bool[] pivot)
    {
        int n = d.Length;
        for (int i = 0; i < n; i++) { u0[i] = d[i] - sigma; u1[i] = i < n - 1 ? e[i] : 0; u2[i] = 0; }
        for (int i = 0; i < n - 1; i++)
        {
            double sub = e[i];
            if (Math.Abs(u0[i]) >= Math.Abs(sub))
            {
                pivot[i] = false;
                if (Math.Abs(u0[i]) < tiny) u0[i] = u0[i] < 0 ? -tiny : tiny;
                double m = sub / u0[i];
                l[i] = m;
                u0[i + 1] -= m * u1[i];
            }
            else
            {
                // Swap rows i and i + 1, then eliminate.
                pivot[i] = true;
                double m = u0[i] / sub;
                l[i] = m;
                double oldSuper = u1[i];
                u0[i] = sub;
                u1[i] = u0[i + 1];
                u2[i] = i < n - 2 ? u1[i + 1] : 0;
                u0[i + 1] = oldSuper - m * u1[i];
                if (i < n - 2) u1[i + 1] = -m * u2[i];
            }
        }
        if (Math.Abs(u0[n - 1]) < tiny) u0[n - 1] = u0[n - 1] < 0 ? -tiny : tiny;
    }

    private static void Solve(double[] u0, double[] u1, double[] u2, double[] l, bool[] pivot, double[] x)
    {
        int n = x.Length;
        for (int i = 0; i < n - 1; i++)
        {
            if (pivot[i]) (x[i], x[i + 1]) = (x[i + 1], x[i]);
            x[i + 1] -= l[i] * x[i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = x[i];
            if (i < n - 1) s -= u1[i] * x[i + 1];
            if (i < n - 2) s -= u2[i] * x[i + 2];
            x[i] = s / u0[i];
        }
    }
}
