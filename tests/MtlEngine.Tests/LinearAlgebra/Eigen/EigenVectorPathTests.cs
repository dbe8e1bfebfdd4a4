using System.Runtime.Intrinsics;
using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// The symmetric eigensolver's 256-bit (AVX2 + FMA) kernels, which production runs only where AVX-512 is absent, run
/// here on every machine with AVX2 through <see cref="Avx2Vectors"/>: each kernel against its definition (odd lengths,
/// tails, strides, an untouched surrounding), then the whole tridiagonalization and decomposition with the 256-bit path
/// forced, against the native (512-bit on AVX-512 machines) result and the eigen identities.
/// </summary>
public class EigenVectorPathTests
{
    private static readonly int[] Lengths = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 100];

    /// <summary>|x − y| ≤ c·ε·scale, scale the sum of the magnitudes of the terms (what any summation order stays within).</summary>
    private static void Close(double actual, double expected, double scale, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 8 * Eps * scale + double.Epsilon, $"{what}: {actual:R} vs {expected:R} (scale {scale:E3})");

    private static double[] RandomArray(Random random, int length)
    {
        var x = new double[length];
        for (int i = 0; i < length; i++) x[i] = random.NextDouble() * 2 - 1;
        return x;
    }

    [Avx2Fact]
    public void Avx2VectorsTakeThe256BitFormsAndNativeTheWidest()
    {
        Assert.False(Avx2Vectors.Wide);
        Assert.True(Avx2Vectors.Fma256);
        Assert.Equal(Vector512.IsHardwareAccelerated, NativeVectors.Wide);
    }

    /// <summary>y[p] −= Σ_c α_c·V_c[start + p] + β_c·W_c[start + p] (the panel's GEMV), for both paths.</summary>
    [Avx2Fact]
    public void SubtractPanelMatchesItsDefinition()
    {
        foreach (int count in new[] { 0, 1, 2, 5, 24 })
            foreach (int len in Lengths)
                foreach (int start in new[] { 0, 3 })
                {
                    var random = new Random(count * 1000 + len * 10 + start);
                    int n = start + len + 5; // row stride wider than the rows used
                    int wOffset = Math.Max(count, 1) * n;
                    var vw = RandomArray(random, 2 * wOffset);
                    var alpha = RandomArray(random, count);
                    var beta = RandomArray(random, count);
                    var y0 = RandomArray(random, len + 4);
                    var expected = (double[])y0.Clone();
                    var scale = new double[len];
                    for (int p = 0; p < len; p++)
                    {
                        scale[p] = Math.Abs(y0[p]);
                        for (int c = 0; c < count; c++)
                        {
                            double v = alpha[c] * vw[c * n + start + p], w = beta[c] * vw[wOffset + c * n + start + p];
                            expected[p] -= v + w;
                            scale[p] += Math.Abs(v) + Math.Abs(w);
                        }
                    }
                    var vwBefore = (double[])vw.Clone();
                    var avx2 = (double[])y0.Clone();
                    Tridiagonalization.SubtractPanel<Avx2Vectors>(avx2.AsSpan(0, len), vw, n, wOffset, count, start, alpha, beta);
                    var native = (double[])y0.Clone();
                    Tridiagonalization.SubtractPanel<NativeVectors>(native.AsSpan(0, len), vw, n, wOffset, count, start, alpha, beta);
                    string what = $"count={count} len={len} start={start}";
                    for (int p = 0; p < len; p++)
                    {
                        Close(avx2[p], expected[p], scale[p], $"{what} AVX2 y[{p}]");
                        Close(native[p], expected[p], scale[p], $"{what} native y[{p}]");
                    }
                    for (int p = len; p < y0.Length; p++) Assert.True(avx2[p] == y0[p] && native[p] == y0[p], $"{what}: y[{p}] past the span was written");
                    Assert.Equal(vwBefore, vw);
                }
    }

    /// <summary>t1[c] = W_c[start..]·v and t2[c] = V_c[start..]·v, odd panel widths included.</summary>
    [Avx2Fact]
    public void PanelDotsMatchTheirDefinition()
    {
        foreach (int count in new[] { 0, 1, 2, 3, 5, 24 })
            foreach (int len in Lengths)
                foreach (int start in new[] { 0, 5 })
                {
                    var random = new Random(count * 1000 + len * 10 + start + 1);
                    int n = start + len + 3;
                    int wOffset = Math.Max(count, 1) * n;
                    var vw = RandomArray(random, 2 * wOffset);
                    var v = RandomArray(random, len);
                    var avx2 = new double[2][];
                    var native = new double[2][];
                    avx2[0] = new double[count + 1]; avx2[1] = new double[count + 1];
                    native[0] = new double[count + 1]; native[1] = new double[count + 1];
                    Tridiagonalization.PanelDots<Avx2Vectors>(vw, n, wOffset, count, start, v, avx2[0], avx2[1]);
                    Tridiagonalization.PanelDots<NativeVectors>(vw, n, wOffset, count, start, v, native[0], native[1]);
                    for (int c = 0; c < count; c++)
                    {
                        double w = 0, sw = 0, vv = 0, sv = 0;
                        for (int p = 0; p < len; p++)
                        {
                            w += vw[wOffset + c * n + start + p] * v[p];
                            sw += Math.Abs(vw[wOffset + c * n + start + p] * v[p]);
                            vv += vw[c * n + start + p] * v[p];
                            sv += Math.Abs(vw[c * n + start + p] * v[p]);
                        }
                        string what = $"count={count} len={len} start={start} c={c}";
                        Close(avx2[0][c], w, sw, $"{what} AVX2 t1");
                        Close(avx2[1][c], vv, sv, $"{what} AVX2 t2");
                        Close(native[0][c], w, sw, $"{what} native t1");
                        Close(native[1][c], vv, sv, $"{what} native t2");
                    }
                    Assert.True(avx2[0][count] == 0 && avx2[1][count] == 0, $"count={count} len={len}: written past the panel");
                }
    }

    /// <summary>
    /// Four rows at a time: the dots of rows row0 + k·n (k &lt; 4) with x[c0..], and p[p0 + i] += Σ_k a[row0 + k·n + c0 + i]·x[xr + k];
    /// the shared body on 256-bit vectors directly and through the dispatch of both paths.
    /// </summary>
    [Avx2Fact]
    public void DotAxpy4MatchesItsDefinition()
    {
        foreach (int len in Lengths)
            foreach (int c0 in new[] { 0, 1, 6 })
            {
                var random = new Random(len * 10 + c0 + 2);
                int n = c0 + len + 7, row0 = 2 * n + 1, xr = 2, p0 = 3;
                var a = RandomArray(random, row0 + 4 * n);
                var x = RandomArray(random, c0 + len + 6); // holds x[xr .. xr + 4) for every len
                var p = RandomArray(random, p0 + len + 4);
                var dots = new double[4];
                var dotScale = new double[4];
                var expected = (double[])p.Clone();
                var pScale = new double[p.Length];
                for (int i = 0; i < len; i++)
                {
                    pScale[p0 + i] = Math.Abs(p[p0 + i]);
                    for (int k = 0; k < 4; k++)
                    {
                        double ak = a[row0 + k * n + c0 + i];
                        dots[k] += ak * x[c0 + i];
                        dotScale[k] += Math.Abs(ak * x[c0 + i]);
                        expected[p0 + i] += ak * x[xr + k];
                        pScale[p0 + i] += Math.Abs(ak * x[xr + k]);
                    }
                }
                foreach (int form in new[] { 0, 1, 2 })
                {
                    var q = (double[])p.Clone();
                    var d = form switch
                    {
                        0 => len == 0 ? default : Tridiagonalization.DotAxpy4<Vector256<double>, SimdLanes256<double>>(a, row0, n, c0, len, x, q, xr, p0),
                        1 => Tridiagonalization.DotAxpy4<Avx2Vectors>(a, row0, n, c0, len, x, q, xr, p0),
                        _ => Tridiagonalization.DotAxpy4<NativeVectors>(a, row0, n, c0, len, x, q, xr, p0),
                    };
                    string what = $"len={len} c0={c0} form={form}";
                    for (int k = 0; k < 4; k++) Close(d.GetElement(k), dots[k], dotScale[k], $"{what} dot {k}");
                    for (int i = 0; i < q.Length; i++)
                        if (i >= p0 && i < p0 + len) Close(q[i], expected[i], pScale[i], $"{what} p[{i}]");
                        else Assert.True(q[i] == p[i], $"{what}: p[{i}] outside the columns was written");
                }
            }
    }

    /// <summary>Σ row·x and p += α·row in one pass (the rows left over by the four-row form).</summary>
    [Avx2Fact]
    public void DotAxpyMatchesItsDefinition()
    {
        foreach (int len in Lengths)
        {
            var random = new Random(len + 3);
            var row = RandomArray(random, len);
            var x = RandomArray(random, len + 2);
            var p = RandomArray(random, len + 2);
            double alpha = random.NextDouble() - 0.5, dot = 0, scale = 0;
            for (int i = 0; i < len; i++) { dot += row[i] * x[i]; scale += Math.Abs(row[i] * x[i]); }
            foreach (int form in new[] { 0, 1 })
            {
                var q = (double[])p.Clone();
                double d = form == 0 ? Tridiagonalization.DotAxpy<Avx2Vectors>(row, x, q, alpha) : Tridiagonalization.DotAxpy<NativeVectors>(row, x, q, alpha);
                Close(d, dot, scale, $"len={len} form={form} dot");
                for (int i = 0; i < q.Length; i++)
                    if (i < len) Close(q[i], p[i] + alpha * row[i], Math.Abs(p[i]) + Math.Abs(alpha * row[i]), $"len={len} form={form} p[{i}]");
                    else Assert.True(q[i] == p[i], $"len={len} form={form}: p[{i}] past the row was written");
            }
        }
    }

    /// <summary>
    /// y = A[s.., s..]·x from the stored upper triangle on the 256-bit path, against the dense product; one and two
    /// workers give the same bits (the products from order 256 on are threaded).
    /// </summary>
    [Avx2Fact]
    public void SymmetricMultiplyMatchesTheDenseProduct()
    {
        foreach (int n in new[] { 1, 5, 64, 67, 130, 300 })
            foreach (int s in new[] { 0, 1, n / 3 })
            {
                if (s >= n) continue;
                var a = Symmetric(n, 500 + n);
                int m = n - s;
                var upper = a.Data.ToArray();
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < i; j++) upper[i * n + j] = double.NaN; // the lower triangle is never read
                var random = new Random(n + s);
                var x = RandomArray(random, m);
                var partial = new double[((m + 63) / 64) * n];
                var scratch = new double[3 * n];
                var one = new double[m];
                Tridiagonalization.SymmetricMultiply<Avx2Vectors>(upper, n, s, x, one, partial, scratch, n, new Parallelism(1));
                var two = new double[m];
                Tridiagonalization.SymmetricMultiply<Avx2Vectors>(upper, n, s, x, two, partial, scratch, n, new Parallelism(2));
                var native = new double[m];
                Tridiagonalization.SymmetricMultiply<NativeVectors>(upper, n, s, x, native, partial, scratch, n, new Parallelism(1));
                for (int r = 0; r < m; r++)
                {
                    double expected = 0, scale = 0;
                    for (int c = 0; c < m; c++)
                    {
                        expected += a[s + r, s + c] * x[c];
                        scale += Math.Abs(a[s + r, s + c] * x[c]);
                    }
                    Close(one[r], expected, scale, $"n={n} s={s} AVX2 y[{r}]");
                    Close(native[r], expected, scale, $"n={n} s={s} native y[{r}]");
                    Assert.True(BitConverter.DoubleToInt64Bits(one[r]) == BitConverter.DoubleToInt64Bits(two[r]), $"n={n} s={s}: y[{r}] depends on the worker count");
                }
            }
    }

    /// <summary>product[j] *= row[j]/(d[j] − dᵢ): elementwise, so every path gives the scalar loop's bits.</summary>
    [Avx2Fact]
    public void MultiplyRatiosGivesTheScalarBits()
    {
        foreach (int len in Lengths)
        {
            var random = new Random(len + 4);
            var product = RandomArray(random, len + 2);
            var row = RandomArray(random, len);
            var d = RandomArray(random, len);
            double di = 1.5;
            var expected = (double[])product.Clone();
            for (int j = 0; j < len; j++) expected[j] *= row[j] / (d[j] - di);
            foreach (int form in new[] { 0, 1 })
            {
                var q = (double[])product.Clone();
                if (form == 0) SecularEquation.MultiplyRatios<Avx2Vectors>(q.AsSpan(0, len), row, d, di);
                else SecularEquation.MultiplyRatios<NativeVectors>(q.AsSpan(0, len), row, d, di);
                for (int j = 0; j < q.Length; j++)
                    Assert.True(BitConverter.DoubleToInt64Bits(q[j]) == BitConverter.DoubleToInt64Bits(expected[j]), $"len={len} form={form}: product[{j}] {q[j]:R} vs {expected[j]:R}");
            }
        }
    }

    /// <summary>ψ = Σ z_j²/(δ_j − τ) and ψ' = Σ z_j²/(δ_j − τ)² (the secular solver's sums).</summary>
    [Avx2Fact]
    public void SecularPartialSumsMatchTheirDefinition()
    {
        foreach (int len in Lengths)
        {
            var random = new Random(len + 5);
            var delta = new double[len];
            for (int j = 0; j < len; j++) delta[j] = j - 0.5 * len + 0.25 + 0.1 * random.NextDouble();
            var z = RandomArray(random, len);
            double tau = 0.01, sum = 0, derivative = 0, scale = 0, dscale = 0;
            for (int j = 0; j < len; j++)
            {
                double inv = 1 / (delta[j] - tau), t = z[j] * z[j] * inv;
                sum += t;
                derivative += t * inv;
                scale += Math.Abs(t);
                dscale += Math.Abs(t * inv);
            }
            double s2 = SecularEquation.Partial<Avx2Vectors>(delta, z, tau, out double d2);
            double sn = SecularEquation.Partial<NativeVectors>(delta, z, tau, out double dn);
            Close(s2, sum, 4 * scale, $"len={len} AVX2 ψ");
            Close(d2, derivative, 4 * dscale, $"len={len} AVX2 ψ'");
            Close(sn, sum, 4 * scale, $"len={len} native ψ");
            Close(dn, derivative, 4 * dscale, $"len={len} native ψ'");
        }
    }

    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y): no fused operations, so every path gives the scalar loop's bits.</summary>
    [Avx2Fact]
    public void RotateGivesTheScalarBits()
    {
        foreach (int len in Lengths)
        {
            var random = new Random(len + 6);
            var x = RandomArray(random, len + 2);
            var y = RandomArray(random, len + 2);
            double c = Math.Cos(0.3), s = Math.Sin(0.3);
            var ex = (double[])x.Clone();
            var ey = (double[])y.Clone();
            for (int i = 0; i < len; i++) { ex[i] = c * x[i] - s * y[i]; ey[i] = s * x[i] + c * y[i]; }
            foreach (int form in new[] { 0, 1 })
            {
                var qx = (double[])x.Clone();
                var qy = (double[])y.Clone();
                if (form == 0) Rotations.Rotate<Avx2Vectors>(qx.AsSpan(0, len), qy.AsSpan(0, len), c, s);
                else Rotations.Rotate<NativeVectors>(qx.AsSpan(0, len), qy.AsSpan(0, len), c, s);
                Assert.Equal(ex.Select(BitConverter.DoubleToInt64Bits), qx.Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(ey.Select(BitConverter.DoubleToInt64Bits), qy.Select(BitConverter.DoubleToInt64Bits));
            }
        }
    }

    /// <summary>
    /// The blocked tridiagonalization with the 256-bit panel kernels: against the native path and the unblocked twin
    /// (d, e, τ and the stored reflectors), and the same bits for one and two threads.
    /// </summary>
    [Avx2Fact]
    public void BlockedTridiagonalizationOnThe256BitPath()
    {
        foreach (int n in new[] { 1, 2, 3, 31, 97, 130, 200, 333 })
        {
            var a = Symmetric(n, 9100 + n);
            double tol = 100 * n * Eps * Math.Max(1, a.FrobeniusNorm());
            var (w2, d2, e2, t2) = Reduce<Avx2Vectors>(a, 1);
            var (w2b, d2b, e2b, t2b) = Reduce<Avx2Vectors>(a, 2);
            var (wn, dn, en, tn) = Reduce<NativeVectors>(a, 1);
            var full = (double[])a.Data.Clone();
            double[] du = new double[n], eu = new double[n], tu = new double[Math.Max(n - 2, 0)];
            Tridiagonalization.Unblocked(full, n, du, eu, tu);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(d2[i] - dn[i]) <= tol && Math.Abs(d2[i] - du[i]) <= tol, $"n={n} d[{i}]: {d2[i]:R} vs native {dn[i]:R}, unblocked {du[i]:R}");
                if (i < n - 1)
                    Assert.True(Math.Abs(e2[i] - en[i]) <= tol && Math.Abs(e2[i] - eu[i]) <= tol, $"n={n} e[{i}]: {e2[i]:R} vs native {en[i]:R}, unblocked {eu[i]:R}");
            }
            for (int i = 0; i < t2.Length; i++) Assert.True(Math.Abs(t2[i] - tn[i]) <= 1e-9 && Math.Abs(t2[i] - tu[i]) <= 1e-9, $"n={n} τ[{i}]");
            // Reflector j lives in row j, columns j + 2.. (the upper triangle).
            for (int j = 0; j < n; j++)
                for (int c = j + 2; c < n; c++)
                    Assert.True(Math.Abs(w2[j * n + c] - wn[j * n + c]) <= 1e-9 && Math.Abs(w2[j * n + c] - full[j * n + c]) <= 1e-9, $"n={n} reflector {j}[{c}]");
            Assert.Equal(d2.Select(BitConverter.DoubleToInt64Bits), d2b.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(e2.Select(BitConverter.DoubleToInt64Bits), e2b.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(t2.Select(BitConverter.DoubleToInt64Bits), t2b.Select(BitConverter.DoubleToInt64Bits));
            for (int j = 0; j < n; j++)
                for (int c = j; c < n; c++) Assert.True(BitConverter.DoubleToInt64Bits(w2[j * n + c]) == BitConverter.DoubleToInt64Bits(w2b[j * n + c]), $"n={n}: ({j}, {c}) depends on the thread count");
        }
    }

    private static (double[] Work, double[] D, double[] E, double[] Tau) Reduce<TPath>(DenseMatrix a, int threads) where TPath : struct, IVectorPath
    {
        int n = a.Rows;
        var work = a.Transpose().Data;
        double[] d = new double[n], e = new double[n], tau = new double[Math.Max(n - 2, 0)];
        Tridiagonalization.Blocked<TPath>(work, n, d, e, tau, new Parallelism(threads));
        return (work, d, e, tau);
    }

    /// <summary>
    /// The whole decomposition (tridiagonalization, divide and conquer with its secular solver, back-transformation)
    /// with the 256-bit kernels forced: A·V = V·Λ, VᵀV = I and V·Λ·Vᵀ = A to c·n·ε, agreement with the native path, and the
    /// same bits for one and two threads. Sizes past the QL leaves (32), odd ones, and a matrix with a repeated and a
    /// clustered eigenvalue (deflation).
    /// </summary>
    [Avx2Fact]
    public void DecompositionOnThe256BitPath()
    {
        var cases = new List<(string Name, DenseMatrix A)>();
        foreach (int n in new[] { 33, 65, 97, 130, 257 }) cases.Add(($"random n={n}", Symmetric(n, 7100 + n)));
        var values = new double[120];
        for (int i = 0; i < values.Length; i++) values[i] = i < 40 ? 2.5 : i < 50 ? 1 + i * 1e-13 : Math.Sin(i);
        cases.Add(("repeated and clustered", WithEigenvalues(values, 37)));
        foreach (var (name, a) in cases)
        {
            int n = a.Rows;
            var avx2 = SymmetricEigen.Compute<Avx2Vectors>(a, true, new Parallelism(1), SymmetricEigen.TridiagonalSolver.DivideAndConquer);
            var avx2Two = SymmetricEigen.Compute<Avx2Vectors>(a, true, new Parallelism(2), SymmetricEigen.TridiagonalSolver.DivideAndConquer);
            var native = SymmetricEigen.Compute<NativeVectors>(a, true, new Parallelism(1), SymmetricEigen.TridiagonalSolver.DivideAndConquer);
            var v = avx2.Vectors!;
            double tolerance = 4 * n * Eps;
            AssertSmall(OrthogonalityError(v), tolerance, $"{name}: VᵀV = I");
            AssertSmall(RelativeError(avx2.Reconstruct(), a), tolerance, $"{name}: VΛVᵀ = A");
            var av = DenseMatrix.Multiply(a, v);
            double residual = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) residual = Math.Max(residual, Math.Abs(av[i, j] - v[i, j] * avx2.Values[j]));
            AssertSmall(residual / a.FrobeniusNorm(), tolerance, $"{name}: AV = VΛ");
            double scale = a.FrobeniusNorm();
            for (int j = 0; j < n; j++)
            {
                Assert.True(j == 0 || avx2.Values[j - 1] <= avx2.Values[j], $"{name}: ascending at {j}");
                Assert.True(Math.Abs(avx2.Values[j] - native.Values[j]) <= 10 * n * Eps * scale, $"{name} λ{j}: {avx2.Values[j]:R} vs native {native.Values[j]:R}");
            }
            // Vectors of well-separated eigenvalues agree (one sign convention); within the repeated eigenvalue only the subspace is defined.
            if (name.StartsWith("random", StringComparison.Ordinal)) AssertSmall(RelativeError(v, native.Vectors!), 1e-9, $"{name}: vectors against native");
            Assert.Equal(avx2.Values.Select(BitConverter.DoubleToInt64Bits), avx2Two.Values.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(v.Data.Select(BitConverter.DoubleToInt64Bits), avx2Two.Vectors!.Data.Select(BitConverter.DoubleToInt64Bits));
        }
    }
}
