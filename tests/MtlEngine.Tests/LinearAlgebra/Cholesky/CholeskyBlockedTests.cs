using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>The blocked Cholesky's parts (TRSM register kernel, recursive SYRK) against their twins, and thread-count independence.</summary>
public class CholeskyBlockedTests
{
    [Fact]
    public void TrsmKernelMatchesTheTwinForEveryRowTail()
    {
        // X·Lᵀ = C on row-major C: the kernel takes 24 rows at a time and pads the last group.
        foreach (int n in new[] { 1, 2, 7, 31, 64, 100, 128 })
            foreach (int rows in new[] { 1, 5, 8, 23, 24, 25, 49, 130 })
                foreach (bool unit in new[] { false, true })
                {
                    var l = Random(n, n, n + rows);
                    for (int i = 0; i < n; i++) { l[i, i] = 2 + Math.Abs(l[i, i]); l.Row(i)[(i + 1)..].Clear(); }
                    var c = Random(rows, n, rows);
                    var fast = c.Clone();
                    TriangularSolve.Lower(l.ReadOnlySpan, fast.Span.Transposed(), unit, default, blockSize: 128);
                    var slow = c.Transpose();
                    TriangularSolveTextbook.Lower(l.ReadOnlySpan, slow.Span, unit);
                    AssertSmall(RelativeError(fast, slow.Transpose()), 20 * (n + 1) * Eps, $"n={n} rows={rows} unit={unit}");
                }
    }

    [Fact]
    public void TrsmKernelIsTheSameOnTwoThreads()
    {
        var l = Random(96, 96, 1);
        for (int i = 0; i < 96; i++) { l[i, i] = 3 + Math.Abs(l[i, i]); l.Row(i)[(i + 1)..].Clear(); }
        var c = Random(1001, 96, 2);
        var one = c.Clone();
        var two = c.Clone();
        TriangularSolve.Lower(l.ReadOnlySpan, one.Span.Transposed(), false, new Parallelism(1), blockSize: 96);
        TriangularSolve.Lower(l.ReadOnlySpan, two.Span.Transposed(), false, new Parallelism(2), blockSize: 96);
        Assert.Equal(one.Data, two.Data);
    }

    [Fact]
    public void RecursiveSyrkMatchesTheReferenceOnTheLowerTriangle()
    {
        foreach (int n in new[] { 1, 50, 96, 97, 250 })
        {
            var a = Random(n, 33, n);
            var c = Random(n, n, n + 1);
            var expected = c.Clone();
            MtlEngine.Kernels.Gemm.Syrk.UpdateReference(-1.0, a.ReadOnlySpan.Transposed(), 1.0, expected.Span, Triangle.Lower);
            MtlEngine.LinearAlgebra.Syrk.Update(-1.0, a.ReadOnlySpan.Transposed(), 1.0, c.Span, OtherTriangle.Clobbered, new Parallelism(2));
            double err = 0, scale = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) { err = Math.Max(err, Math.Abs(c[i, j] - expected[i, j])); scale = Math.Max(scale, Math.Abs(expected[i, j])); }
            AssertSmall(err / scale, 100 * Eps, $"n={n} SYRK lower");
        }
    }

    [Fact]
    public void FactorIsTheSameOnOneAndTwoThreadsAndMatchesTheTwin()
    {
        foreach (int n in new[] { 129, 400 })
        {
            var a = Spd(n, n);
            var one = Cholesky.Factor(a, new Parallelism(1)).L;
            var two = Cholesky.Factor(a, new Parallelism(2)).L;
            Assert.Equal(one.Data, two.Data);
            AssertSmall(RelativeError(one, CholeskyTextbook.Factor(a)), 20 * n * Eps, $"n={n} twin");
            AssertSmall(RelativeError(DenseMatrix.Multiply(one, one, MatrixOp.None, MatrixOp.Transpose), a), 4 * n * Eps, $"n={n} L·Lᵀ=A");
        }
    }

    [Fact]
    public void GradedMatrixAndPivotIndexDeepInTheRecursion()
    {
        // D·S·D with D = diag(10^(−i/8)): entries span 16 orders of magnitude; Cholesky is scale-invariant in this sense.
        int n = 130;
        var s = Spd(n, 4);
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = Math.Pow(10, -i / 8.0);
        var a = s.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i, j] *= d[i] * d[j];
        var l = Cholesky.Factor(a).L;
        var ls = Cholesky.Factor(s).L;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                Assert.True(Math.Abs(l[i, j] / d[i] - ls[i, j]) <= 1e-11 * Math.Abs(ls[i, i]) + 1e-11, $"graded ({i}, {j})");
        var bad = Spd(300, 6);
        bad[257, 257] = -1;
        Assert.Equal(257, Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(bad, new Parallelism(2))).PivotIndex);
    }
}
