using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>The stages of the fast SVD (Golub–Kahan bidiagonalization, bidiagonal divide and conquer) and harder inputs.</summary>
public class SvdBidiagonalTests
{
    private static void AssertFactorization(DenseMatrix a, Svd svd, double tolerance, string what)
    {
        int k = Math.Min(a.Rows, a.Columns);
        Assert.Equal(k, svd.SingularValues.Length);
        for (int j = 1; j < k; j++) Assert.True(svd.SingularValues[j - 1] >= svd.SingularValues[j], $"{what}: descending");
        if (k == 0) return;
        AssertSmall(OrthogonalityError(svd.U), tolerance, $"{what}: UᵀU=I");
        AssertSmall(OrthogonalityError(svd.V), tolerance, $"{what}: VᵀV=I");
        double norm = a.FrobeniusNorm();
        AssertSmall(norm == 0 ? svd.Reconstruct().FrobeniusNorm() : RelativeError(svd.Reconstruct(), a), tolerance, $"{what}: UΣVᵀ=A");
    }

    private static DenseMatrix Bidiagonal(double[] d, double[] e)
    {
        int n = d.Length;
        var b = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++) b[i, i] = d[i];
        for (int i = 0; i + 1 < n; i++) b[i, i + 1] = e[i];
        return b;
    }

    private static void AssertBidiagonalSvd(double[] d, double[] e, string what)
    {
        int n = d.Length;
        var b = Bidiagonal(d, e);
        var (u, s, v) = BidiagonalDivideAndConquer.Compute(d, e, default);
        double tol = 40 * (n + 1) * Eps;
        AssertSmall(OrthogonalityError(u), tol, $"{what}: UᵀU=I");
        AssertSmall(OrthogonalityError(v), tol, $"{what}: VᵀV=I");
        var us = u.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) us[i, j] *= s[j];
        var r = DenseMatrix.Multiply(us, v, MtlEngine.Kernels.Gemm.MatrixOp.None, MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        double norm = b.FrobeniusNorm();
        AssertSmall(norm == 0 ? r.FrobeniusNorm() : RelativeError(r, b), tol, $"{what}: UΣVᵀ=B");
        var (_, st, _) = JacobiSvdTextbook.Compute(b);
        for (int j = 0; j < n; j++) Assert.True(Math.Abs(st[j] - s[j]) <= tol * Math.Max(st[0], double.Epsilon), $"{what}: σ{j} {s[j]} vs twin {st[j]}");
    }

    [Fact]
    public void DivideAndConquerOnRandomBidiagonalsOfEverySizeUpTo80()
    {
        var rng = new Random(5);
        for (int n = 0; n <= 80; n++)
        {
            var d = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var e = Enumerable.Range(0, Math.Max(n - 1, 0)).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            AssertBidiagonalSvd(d, e, $"n={n}");
        }
    }

    [Fact]
    public void DivideAndConquerDeflates()
    {
        // Repeated singular values (every pole deflates by rotation), zero superdiagonal (every z is zero),
        // zeros on the diagonal, a graded diagonal and tiny couplings.
        int n = 70;
        AssertBidiagonalSvd(Enumerable.Repeat(1.0, n).ToArray(), new double[n - 1], "identity");
        AssertBidiagonalSvd(Enumerable.Repeat(2.0, n).ToArray(), Enumerable.Repeat(1e-20, n - 1).ToArray(), "repeated, tiny coupling");
        AssertBidiagonalSvd(Enumerable.Range(0, n).Select(i => (double)(i % 3)).ToArray(), Enumerable.Repeat(1.0, n - 1).ToArray(), "zero diagonal entries");
        AssertBidiagonalSvd(new double[n], Enumerable.Range(0, n - 1).Select(i => 1.0 + i % 2).ToArray(), "zero diagonal");
        AssertBidiagonalSvd(Enumerable.Range(0, n).Select(i => Math.Pow(0.7, i)).ToArray(), Enumerable.Range(0, n - 1).Select(i => Math.Pow(0.7, i) * 0.5).ToArray(), "graded");
        AssertBidiagonalSvd(Enumerable.Range(0, n).Select(i => 1 + 1e-13 * i).ToArray(), Enumerable.Repeat(1e-9, n - 1).ToArray(), "clustered");
        AssertBidiagonalSvd(new double[n], new double[n - 1], "zero");
    }

    [Fact]
    public void BlockedBidiagonalizationMatchesTheTextbookTwin()
    {
        foreach (var (m, n) in new[] { (70, 70), (150, 100), (200, 130), (97, 97) })
        {
            var a = Random(m, n, m * 7 + n);
            var f = a.Clone();
            var (d, e, _, _) = GolubKahan.Reduce(f, new Parallelism(2));
            var (dt, et) = GolubKahanTextbook.Reduce(a);
            double scale = a.FrobeniusNorm();
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(d[i] - dt[i]) <= 1e-12 * scale, $"{m}x{n} d{i}");
            for (int i = 0; i + 1 < n; i++) Assert.True(Math.Abs(e[i] - et[i]) <= 1e-12 * scale, $"{m}x{n} e{i}");
        }
    }

    [Fact]
    public void ThreadedTransposeTimesIsBitwiseTheOneThreadProductAndCloseToTheTextbookSum()
    {
        // Views large enough for the threaded branch (rows·columns ≥ 2^15, ≥ 128 columns), at an offset inside a wider matrix.
        foreach (var (rows, cols) in new[] { (300, 261), (129, 300), (257, 135) })
        {
            var whole = Random(rows + 3, cols + 5, rows + cols);
            var s = Dense.Sub(whole.ReadOnlySpan, 2, 3, rows, cols);
            var v = Enumerable.Range(0, rows).Select(i => Math.Sin(0.37 * i + 1)).ToArray();
            var one = new double[cols];
            GolubKahan.TransposeTimes(s, v, one, new Parallelism(1));
            for (int c = 0; c < cols; c++)
            {
                double sum = 0;
                for (int r = 0; r < rows; r++) sum += s[r, c] * v[r];
                Assert.True(Math.Abs(one[c] - sum) <= 1e-12 * rows, $"{rows}x{cols} column {c}: {one[c]:R} vs {sum:R}");
            }
            foreach (int threads in new[] { 2, 3 })
            {
                var many = Enumerable.Repeat(double.NaN, cols).ToArray();
                GolubKahan.TransposeTimes(s, v, many, new Parallelism(threads));
                Assert.Equal(one, many);
            }
        }
    }

    [Fact]
    public void BidiagonalizationReconstructs()
    {
        foreach (var (m, n) in new[] { (70, 70), (150, 100), (33, 20) })
        {
            var a = Random(m, n, m + 3 * n);
            var f = a.Clone();
            var (d, e, tq, tp) = GolubKahan.Reduce(f, default);
            // A = Q_B·[B; 0]·P_Bᵀ: build P_Bᵀ by applying P_B to I and transposing.
            var p = DenseMatrix.Identity(n);
            GolubKahan.ApplyP(f, tp, p, default);
            var qb = new DenseMatrix(m, n);
            var b = Bidiagonal(d, e);
            b.Data.CopyTo(qb.Data, 0);
            GolubKahan.ApplyQ(f, tq, qb, default);
            var r = DenseMatrix.Multiply(qb, p, MtlEngine.Kernels.Gemm.MatrixOp.None, MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
            AssertSmall(RelativeError(r, a), 50 * m * Eps, $"{m}x{n} Q·B·Pᵀ");
            AssertSmall(OrthogonalityError(p), 50 * n * Eps, $"{m}x{n} P orthogonal");
        }
    }

    [Theory]
    [InlineData(65, 7)]
    [InlineData(7, 65)]
    [InlineData(300, 130)]
    [InlineData(130, 300)]
    [InlineData(190, 200)]
    public void OddRectanglesMatchTheJacobiTwin(int m, int n)
    {
        var a = Random(m, n, 17 * m + n);
        var svd = Svd.Compute(a);
        int k = Math.Min(m, n);
        AssertFactorization(a, svd, 30 * Math.Max(m, n) * Eps, $"{m}x{n}");
        var (_, s, _) = JacobiSvdTextbook.Compute(a);
        for (int j = 0; j < k; j++) Assert.True(Math.Abs(s[j] - svd.SingularValues[j]) <= 30 * k * Eps * s[0], $"{m}x{n} σ{j}");
    }

    [Fact]
    public void GradedClusteredAndRankDeficientInputs()
    {
        // Graded: rows scaled over 12 orders of magnitude.
        var g = Random(120, 90, 8);
        for (int i = 0; i < g.Rows; i++)
            for (int j = 0; j < g.Columns; j++) g[i, j] *= Math.Pow(10, -12.0 * i / g.Rows);
        AssertFactorization(g, Svd.Compute(g), 3000 * Eps, "graded");
        // Clustered: singular values 1 (×40), 1 + 1e-12 (×20), 1e-8 (×10), 0 (×30), via random orthogonal factors.
        int n = 100;
        var values = Enumerable.Range(0, n).Select(i => i < 40 ? 1.0 : i < 60 ? 1 + 1e-12 : i < 70 ? 1e-8 : 0.0).ToArray();
        var q1 = Orthogonal(n, 1);
        var q2 = Orthogonal(n, 2);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) q1[i, j] *= values[j];
        var c = DenseMatrix.Multiply(q1, q2, MtlEngine.Kernels.Gemm.MatrixOp.None, MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        var cs = Svd.Compute(c);
        AssertFactorization(c, cs, 2000 * Eps, "clustered");
        var sorted = values.OrderDescending().ToArray();
        for (int j = 0; j < n; j++) Assert.True(Math.Abs(cs.SingularValues[j] - sorted[j]) <= 1e-13, $"clustered σ{j}");
        Assert.Equal(70, cs.Rank());
        // Tall rank-deficient through the QR path, and a wide one.
        var low = LowRank(400, 120, 13, 4);
        var ls = Svd.Compute(low);
        AssertFactorization(low, ls, 5000 * Eps, "rank 13 tall");
        Assert.Equal(13, ls.Rank());
        var lowWide = LowRank(50, 160, 9, 5);
        AssertFactorization(lowWide, Svd.Compute(lowWide), 3000 * Eps, "rank 9 wide");
        // Zero and identity larger than a Jacobi leaf.
        var z = new DenseMatrix(90, 70);
        var zs = Svd.Compute(z);
        AssertFactorization(z, zs, 0, "zero");
        Assert.All(zs.SingularValues, s => Assert.Equal(0, s));
        var id = Svd.Compute(DenseMatrix.Identity(77));
        AssertFactorization(DenseMatrix.Identity(77), id, 100 * Eps, "identity");
        Assert.All(id.SingularValues, s => Assert.Equal(1, s, 14));
        var h = Hilbert(40);
        AssertFactorization(h, Svd.Compute(h), 500 * Eps, "Hilbert 40");
    }

    [Fact]
    public void ResultDoesNotDependOnTheThreadCount()
    {
        foreach (var (m, n) in new[] { (400, 200), (260, 250), (100, 300) })
        {
            var a = Random(m, n, m - n);
            var one = Svd.Compute(a, new Parallelism(1));
            foreach (int t in new[] { 2, 3 })
            {
                var other = Svd.Compute(a, new Parallelism(t));
                Assert.Equal(one.SingularValues, other.SingularValues);
                Assert.Equal(one.U.Data, other.U.Data);
                Assert.Equal(one.V.Data, other.V.Data);
            }
        }
    }

    [Fact]
    public void NonFiniteInputIsATypedError()
    {
        var a = Random(40, 30, 1);
        a[3, 4] = double.NaN;
        Assert.Throws<NoConvergenceException>(() => Svd.Compute(a));
        a[3, 4] = double.PositiveInfinity;
        Assert.Throws<NoConvergenceException>(() => Svd.Compute(a));
    }
}
