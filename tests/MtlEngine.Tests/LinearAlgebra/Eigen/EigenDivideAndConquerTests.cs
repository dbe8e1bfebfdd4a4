using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>The blocked tridiagonalization, divide and conquer, top-k by inverse iteration, and thread-count independence.</summary>
public class EigenDivideAndConquerTests
{
    /// <summary>max |A·V − V·Λ| / ‖A‖_F and max |VᵀV − I|, both ≤ c·n·ε.</summary>
    private static void AssertEigenpairs(DenseMatrix a, double[] values, DenseMatrix v, double c, string what)
    {
        int n = a.Rows, k = values.Length;
        Assert.Equal(k, v.Columns);
        for (int j = 1; j < k; j++) Assert.True(values[j - 1] <= values[j], $"{what}: ascending at {j}");
        double tolerance = c * Math.Max(n, 1) * Eps;
        AssertSmall(OrthogonalityError(v), tolerance, $"{what}: VᵀV=I");
        var av = DenseMatrix.Multiply(a, v);
        double err = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) err = Math.Max(err, Math.Abs(av[i, j] - v[i, j] * values[j]));
        double norm = Math.Max(a.FrobeniusNorm(), 1e-300);
        AssertSmall(n == 0 ? 0 : err / norm, tolerance, $"{what}: AV=VΛ");
    }

    private static DenseMatrix Tridiagonal(double[] d, double[] e)
    {
        int n = d.Length;
        var t = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
        {
            t[i, i] = d[i];
            if (i < n - 1) t[i, i + 1] = t[i + 1, i] = e[i];
        }
        return t;
    }

    /// <summary>Wilkinson's W⁺_{2m+1}: diagonal |m − i|, off-diagonal 1 (pairs of eigenvalues agreeing to many digits).</summary>
    private static DenseMatrix Wilkinson(int m)
    {
        int n = 2 * m + 1;
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = Math.Abs(m - i);
        Array.Fill(e, 1.0);
        return Tridiagonal(d, e);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(97)]
    [InlineData(130)]
    [InlineData(300)]
    public void IdentitiesAtOddLargerSizes(int n)
    {
        var a = Symmetric(n, 7000 + n);
        var eig = SymmetricEigen.Compute(a);
        AssertEigenpairs(a, eig.Values, eig.Vectors!, 4, $"n={n}");
        AssertSmall(RelativeError(eig.Reconstruct(), a), 4 * n * Eps, $"n={n}: VΛVᵀ=A");
    }

    [Theory]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(201)]
    public void DivideAndConquerMatchesQl(int n)
    {
        var a = Symmetric(n, 8000 + n);
        var dc = SymmetricEigen.Compute(a, true, default, SymmetricEigen.TridiagonalSolver.DivideAndConquer);
        var ql = SymmetricEigen.Compute(a, true, default, SymmetricEigen.TridiagonalSolver.Ql);
        AssertEigenpairs(a, ql.Values, ql.Vectors!, 20, $"QL n={n}");
        double scale = a.FrobeniusNorm();
        for (int j = 0; j < n; j++) Assert.True(Math.Abs(dc.Values[j] - ql.Values[j]) <= 10 * n * Eps * scale, $"n={n} λ{j}: {dc.Values[j]:R} vs {ql.Values[j]:R}");
        // Random matrices have well-separated eigenvalues: the vectors agree (same sign convention).
        AssertSmall(RelativeError(dc.Vectors!, ql.Vectors!), 1e-9, $"n={n} vectors");
    }

    [Fact]
    public void BlockedTridiagonalizationMatchesUnblocked()
    {
        foreach (int n in new[] { 1, 2, 3, 31, 96, 97, 130, 200, 333 })
        {
            var a = Symmetric(n, 9000 + n);
            var blocked = a.Transpose().Data;
            var full = (double[])a.Data.Clone();
            double[] d1 = new double[n], e1 = new double[n], t1 = new double[Math.Max(n - 2, 0)];
            double[] d2 = new double[n], e2 = new double[n], t2 = new double[Math.Max(n - 2, 0)];
            Tridiagonalization.Blocked(blocked, n, d1, e1, t1, new Parallelism(2));
            Tridiagonalization.Unblocked(full, n, d2, e2, t2);
            double tol = 100 * n * Eps * Math.Max(1, a.FrobeniusNorm());
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(d1[i] - d2[i]) <= tol, $"n={n} d[{i}]: {d1[i]:R} vs {d2[i]:R}");
                if (i < n - 1) Assert.True(Math.Abs(e1[i] - e2[i]) <= tol, $"n={n} e[{i}]: {e1[i]:R} vs {e2[i]:R}");
            }
            for (int i = 0; i < t1.Length; i++) Assert.True(Math.Abs(t1[i] - t2[i]) <= 1e-9, $"n={n} τ[{i}]");
        }
    }

    [Fact]
    public void ZeroAndIdentityAtDivideAndConquerSizes()
    {
        foreach (int n in new[] { 40, 100 })
        {
            var z = SymmetricEigen.Compute(new DenseMatrix(n, n));
            Assert.All(z.Values, v => Assert.Equal(0, v));
            AssertSmall(OrthogonalityError(z.Vectors!), 0, "zero: V orthogonal");
            var id = SymmetricEigen.Compute(DenseMatrix.Identity(n));
            Assert.All(id.Values, v => Assert.Equal(1, v, 14));
            AssertEigenpairs(DenseMatrix.Identity(n), id.Values, id.Vectors!, 4, $"identity n={n}");
            var top = SymmetricEigen.Largest(DenseMatrix.Identity(n), n / 5);
            AssertEigenpairs(DenseMatrix.Identity(n), top.Values, top.Vectors!, 4, $"identity top n={n}");
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public void WilkinsonMatrices(int m)
    {
        var w = Wilkinson(m);
        var eig = SymmetricEigen.Compute(w);
        AssertEigenpairs(w, eig.Values, eig.Vectors!, 4, $"W{2 * m + 1}+");
        var (values, _) = JacobiEigenTextbook.Compute(w);
        for (int j = 0; j < w.Rows; j++) Assert.True(Math.Abs(values[j] - eig.Values[j]) <= 1e-12 * m, $"W λ{j}");
        var top = SymmetricEigen.Largest(w, 6);
        AssertEigenpairs(w, top.Values, top.Vectors!, 8, $"W{2 * m + 1}+ top 6 (three close pairs)");
        for (int j = 0; j < 6; j++) Assert.Equal(eig.Values[w.Rows - 6 + j], top.Values[j], 12);
    }

    [Fact]
    public void FiftyFoldRepeatedEigenvalueAndClusters()
    {
        var values = new double[120];
        for (int i = 0; i < values.Length; i++)
            values[i] = i < 50 ? 2.5 : i < 60 ? 1 + i * 1e-13 : Math.Sin(i);
        var a = WithEigenvalues(values, 31);
        foreach (var par in new[] { new Parallelism(1), new Parallelism(2) })
        {
            var eig = SymmetricEigen.Compute(a, true, par);
            AssertEigenpairs(a, eig.Values, eig.Vectors!, 4, "repeated");
            var sorted = values.OrderBy(x => x).ToArray();
            for (int j = 0; j < values.Length; j++) Assert.Equal(sorted[j], eig.Values[j], 12);
        }
        // The 50-fold eigenvalue is the largest: the top 20 lie inside it.
        var top = SymmetricEigen.Largest(a, 20);
        AssertEigenpairs(a, top.Values, top.Vectors!, 8, "repeated top 20");
        Assert.All(top.Values, v => Assert.Equal(2.5, v, 12));
    }

    [Fact]
    public void GradedMatrix()
    {
        // A = D·S·D with D = diag(2^(−i/4)): entries over ~20 orders of magnitude.
        int n = 150;
        var a = Symmetric(n, 77);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i, j] *= Math.Pow(2, -(i + j) / 4.0);
        var eig = SymmetricEigen.Compute(a);
        AssertEigenpairs(a, eig.Values, eig.Vectors!, 4, "graded");
        var ql = SymmetricEigen.Compute(a, true, default, SymmetricEigen.TridiagonalSolver.Ql);
        for (int j = 0; j < n; j++) Assert.True(Math.Abs(eig.Values[j] - ql.Values[j]) <= 10 * n * Eps * a.FrobeniusNorm(), $"graded λ{j}");
    }

    [Fact]
    public void SymmetricProductChunksSplitIntoContiguousBalancedWorkerRanges()
    {
        foreach (int m in new[] { 1, 63, 64, 65, 256, 300, 511, 1000 })
        {
            int chunks = (m + 63) / 64;
            double total = 0.5 * m * (m + 1.0);
            foreach (int workers in new[] { 1, 2, 3, 4 })
            {
                Assert.Equal(0, Tridiagonalization.ChunkBound(m, workers, 0));
                Assert.Equal(chunks, Tridiagonalization.ChunkBound(m, workers, workers));
                for (int w = 0; w < workers; w++)
                {
                    int first = Tridiagonalization.ChunkBound(m, workers, w), last = Tridiagonalization.ChunkBound(m, workers, w + 1);
                    Assert.True(first <= last, $"m={m} workers={workers}: worker {w} has chunks [{first}, {last}).");
                    // Elements of the triangle up to the end of the range: at least w + 1 shares, less one chunk's.
                    double done = 0;
                    for (int q = 0; q < last; q++)
                    {
                        int r0 = q * 64, r1 = Math.Min(m, r0 + 64);
                        done += (r1 - r0) * (m - 0.5 * (r0 + r1 - 1));
                    }
                    Assert.True(done >= total * (w + 1) / workers - 1e-9 * total, $"m={m} workers={workers}: worker {w} ends early, at chunk {last}.");
                }
            }
        }
    }

    [Fact]
    public void ResultsDoNotDependOnThreadCount()
    {
        var a = Symmetric(300, 4242);
        var one = SymmetricEigen.Compute(a, true, new Parallelism(1));
        foreach (int threads in new[] { 2, 3 })
        {
            var many = SymmetricEigen.Compute(a, true, new Parallelism(threads));
            Assert.Equal(one.Values, many.Values);
            Assert.Equal(one.Vectors!.Data, many.Vectors!.Data);
            var valuesOnly = SymmetricEigen.Compute(a, false, new Parallelism(threads));
            Assert.Equal(SymmetricEigen.Compute(a, false, new Parallelism(1)).Values, valuesOnly.Values);
        }
        var top1 = SymmetricEigen.Largest(a, 8, new Parallelism(1));
        var top3 = SymmetricEigen.Largest(a, 8, new Parallelism(3));
        Assert.Equal(top1.Values, top3.Values);
        Assert.Equal(top1.Vectors!.Data, top3.Vectors!.Data);
    }

    [Theory]
    [InlineData(40, 1)]
    [InlineData(200, 7)]
    [InlineData(200, 50)]
    [InlineData(200, 120)]
    public void TopKMatchesFull(int n, int k)
    {
        var a = Symmetric(n, 5100 + n + k);
        var full = SymmetricEigen.Compute(a);
        var top = SymmetricEigen.Largest(a, k);
        var bottom = SymmetricEigen.Smallest(a, k);
        AssertEigenpairs(a, top.Values, top.Vectors!, 8, $"largest {k} of {n}");
        AssertEigenpairs(a, bottom.Values, bottom.Vectors!, 8, $"smallest {k} of {n}");
        double scale = a.FrobeniusNorm();
        for (int j = 0; j < k; j++)
        {
            Assert.True(Math.Abs(top.Values[j] - full.Values[n - k + j]) <= 10 * n * Eps * scale, $"largest λ{j}");
            Assert.True(Math.Abs(bottom.Values[j] - full.Values[j]) <= 10 * n * Eps * scale, $"smallest λ{j}");
        }
        AssertSmall(RelativeError(top.Vectors!, full.Vectors!.SliceColumns(n - k, k)), 1e-8, "largest vectors");
        AssertSmall(RelativeError(bottom.Vectors!, full.Vectors!.SliceColumns(0, k)), 1e-8, "smallest vectors");
    }

    [Fact]
    public void WorkspaceReuseGivesTheSameResult()
    {
        var workspace = new SymmetricEigenWorkspace();
        foreach (int n in new[] { 130, 50, 130, 0, 3 })
        {
            var a = Symmetric(n, 600 + n);
            var plain = SymmetricEigen.Compute(a, true, new Parallelism(2));
            var reused = SymmetricEigen.Compute(a, workspace, true, new Parallelism(2));
            Assert.Equal(plain.Values, reused.Values);
            Assert.Equal(plain.Vectors!.Data, reused.Vectors!.Data);
            Assert.Equal(SymmetricEigen.Compute(a, false).Values, SymmetricEigen.Compute(a, workspace, computeVectors: false).Values);
        }
    }

    [Fact]
    public void TopKEdgeCases()
    {
        var a = Symmetric(30, 3);
        Assert.Empty(SymmetricEigen.Largest(a, 0).Values);
        Assert.Equal(30, SymmetricEigen.Smallest(a, 30).Values.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => SymmetricEigen.Largest(a, 31));
        Assert.Throws<ArgumentOutOfRangeException>(() => SymmetricEigen.Smallest(a, -1));
        Assert.Throws<MatrixShapeException>(() => SymmetricEigen.Largest(new DenseMatrix(3, 4), 1));
    }
}
