using System.Numerics;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// The GEMM checksum identity, which needs no trusted GEMM: for a random vector t,
/// <code>C·t = β·C₀·t + α·A·(B·t)</code>
/// Both sides cost O(mk + kn + mn) matrix-vector products, computed here in double precision.
/// </summary>
public static class GemmChecksum
{
    /// <summary>
    /// The largest relative residual max_i |(C·t)_i − β·(C₀·t)_i − α·(A·(B·t))_i| / s_i, where
    /// s_i = |α|·(|A|·(|B|·|t|))_i + |β|·(|C₀|·|t|)_i bounds the rounding a correct product can show.
    /// A value near the unit roundoff of <typeparamref name="T"/> means C = α·A·B + β·C₀.
    /// </summary>
    /// <param name="alpha">The α used.</param>
    /// <param name="a">A (m×k).</param>
    /// <param name="b">B (k×n).</param>
    /// <param name="beta">The β used.</param>
    /// <param name="c0">C before the product (ignored when β = 0).</param>
    /// <param name="c">C after the product.</param>
    /// <param name="random">Draws t uniformly from [0.5, 1.5).</param>
    public static double MaxRelativeError<T>(T alpha, ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, T beta,
        ReadOnlyMatrixSpan<T> c0, ReadOnlyMatrixSpan<T> c, Random random) where T : INumber<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        int m = c.Rows, n = c.Columns, k = a.Columns;
        double al = double.CreateTruncating(alpha), be = double.CreateTruncating(beta);
        var t = new double[n];
        for (int j = 0; j < n; j++) t[j] = 0.5 + random.NextDouble();
        var bt = new double[k]; var btAbs = new double[k];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
            {
                double x = double.CreateTruncating(b[p, j]);
                bt[p] += x * t[j]; btAbs[p] += Math.Abs(x) * t[j];
            }
        double worst = 0;
        for (int i = 0; i < m; i++)
        {
            double abt = 0, scale = 0, ct = 0, c0t = 0, c0Abs = 0;
            for (int p = 0; p < k; p++)
            {
                double x = double.CreateTruncating(a[i, p]);
                abt += x * bt[p]; scale += Math.Abs(x) * btAbs[p];
            }
            for (int j = 0; j < n; j++)
            {
                ct += double.CreateTruncating(c[i, j]) * t[j];
                if (be != 0)
                {
                    double x = double.CreateTruncating(c0[i, j]);
                    c0t += x * t[j]; c0Abs += Math.Abs(x) * t[j];
                }
            }
            double residual = Math.Abs(ct - be * c0t - al * abt);
            double bound = Math.Abs(al) * scale + Math.Abs(be) * c0Abs;
            double relative = residual / Math.Max(bound, double.Epsilon);
            if (double.IsNaN(relative)) return double.NaN;
            worst = Math.Max(worst, relative);
        }
        return worst;
    }
}
