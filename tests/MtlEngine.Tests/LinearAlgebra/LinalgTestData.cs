using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Tests.LinearAlgebra;

internal static class LinalgTestData
{
    public static DenseMatrix Random(int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        var m = new DenseMatrix(rows, columns);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = rng.NextDouble() * 2 - 1;
        return m;
    }

    /// <summary>A = B·Bᵀ + n·I: well-conditioned symmetric positive definite.</summary>
    public static DenseMatrix Spd(int n, int seed)
    {
        var b = Random(n, n, seed);
        var a = DenseMatrix.Multiply(b, b, MatrixOp.None, MatrixOp.Transpose);
        for (int i = 0; i < n; i++) a[i, i] += n;
        return a;
    }

    public static DenseMatrix Symmetric(int n, int seed)
    {
        var a = Random(n, n, seed);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) a[j, i] = a[i, j];
        return a;
    }

    public static DenseMatrix Hilbert(int n)
    {
        var h = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) h[i, j] = 1.0 / (i + j + 1);
        return h;
    }

    /// <summary>A rank-r matrix of shape (m, n): a product of random (m, r) and (r, n) factors.</summary>
    public static DenseMatrix LowRank(int m, int n, int r, int seed) => DenseMatrix.Multiply(Random(m, r, seed), Random(r, n, seed + 1));

    /// <summary>Q·diag(values)·Qᵀ with a random orthogonal Q (from QR of a random matrix via Gram–Schmidt twice).</summary>
    public static DenseMatrix WithEigenvalues(double[] values, int seed)
    {
        int n = values.Length;
        var q = Orthogonal(n, seed);
        var qd = q.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) qd[i, j] *= values[j];
        var a = DenseMatrix.Multiply(qd, q, MatrixOp.None, MatrixOp.Transpose);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) a[j, i] = a[i, j] = 0.5 * (a[i, j] + a[j, i]);
        return a;
    }

    public static DenseMatrix Orthogonal(int n, int seed)
    {
        var q = Random(n, n, seed);
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < n; j++)
            {
                for (int p = 0; p < j; p++)
                {
                    double d = 0;
                    for (int i = 0; i < n; i++) d += q[i, j] * q[i, p];
                    for (int i = 0; i < n; i++) q[i, j] -= d * q[i, p];
                }
                double s = 0;
                for (int i = 0; i < n; i++) s += q[i, j] * q[i, j];
                s = Math.Sqrt(s);
                for (int i = 0; i < n; i++) q[i, j] /= s;
            }
        return q;
    }

    /// <summary>‖X − Y‖_F / max(‖Y‖_F, tiny).</summary>
    public static double RelativeError(DenseMatrix x, DenseMatrix y)
    {
        Assert.Equal(y.Rows, x.Rows);
        Assert.Equal(y.Columns, x.Columns);
        double d = 0, s = 0;
        for (int i = 0; i < x.Data.Length; i++)
        {
            double e = x.Data[i] - y.Data[i];
            d += e * e;
            s += y.Data[i] * y.Data[i];
        }
        return Math.Sqrt(d) / Math.Max(Math.Sqrt(s), 1e-300);
    }

    /// <summary>‖QᵀQ − I‖_max for the columns of Q.</summary>
    public static double OrthogonalityError(DenseMatrix q)
    {
        var g = DenseMatrix.Multiply(q, q, MatrixOp.Transpose, MatrixOp.None);
        double e = 0;
        for (int i = 0; i < g.Rows; i++)
            for (int j = 0; j < g.Columns; j++) e = Math.Max(e, Math.Abs(g[i, j] - (i == j ? 1 : 0)));
        return e;
    }

    public static void AssertSmall(double value, double tolerance, string what)
    {
        Assert.True(value <= tolerance, $"{what}: {value:E3} > tolerance {tolerance:E3}");
    }

    public const double Eps = 2.220446049250313e-16;
}
