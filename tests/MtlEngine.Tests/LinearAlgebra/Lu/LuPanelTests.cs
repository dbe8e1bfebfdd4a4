using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// LU's fast parts against their twins: the left-looking panel with register-transposed copies (float32 and float64,
/// ragged panels and row counts), the vector pivot search, and the triangular solve's register-accumulating diagonal blocks.
/// </summary>
public class LuPanelTests
{
    private const double Eps32 = 5.96e-8;

    [Theory]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(32)]
    public void Float32FactorsMatchTheTextbookTwin(int blockSize)
    {
        foreach (int n in new[] { 1, 9, 33, 70, 131 })
        {
            var a = Random(n, n, 40 + n).Data.Select(v => (float)v).ToArray();
            var fast = (float[])a.Clone();
            var perm = Enumerable.Range(0, n).ToArray();
            int swaps = 0, zero = -1;
            Lu.FactorInPlace(new MatrixSpan<float>(fast, n, n), perm, blockSize, new Parallelism(1), ref swaps, ref zero);
            var slow = (float[])a.Clone();
            var twinPerm = new int[n];
            LuTextbook.FactorInPlace(new MatrixSpan<float>(slow, n, n), twinPerm);
            Assert.Equal(twinPerm, perm);
            Assert.Equal(-1, zero);
            AssertSmall(RelativeError(Widen(fast, n), Widen(slow, n)), 1e3 * n * Eps32, $"n={n} nb={blockSize}");
        }
    }

    [Fact]
    public void Float64FactorsMatchTheTextbookTwinOnRaggedPanels()
    {
        // Row counts past a multiple of 8 and panel widths that are not (the transposed 8×8 blocks and the rest).
        foreach (int n in new[] { 17, 45, 100 })
            foreach (int blockSize in new[] { 12, 24, 32 })
            {
                var a = Random(n, n, n + blockSize);
                var lu = Lu.Factor(a, default, blockSize);
                var (factors, perm) = LuTextbook.Factor(a);
                Assert.Equal(perm, lu.Permutation);
                AssertSmall(RelativeError(lu.Factors, factors), 1e3 * n * Eps, $"n={n} nb={blockSize}");
                AssertSmall(RelativeError(lu.Reconstruct(), a), 8 * n * Eps, $"n={n} nb={blockSize} PA=LU");
            }
    }

    [Fact]
    public void VectorPivotSearchTakesTheSameIndexAsTheScan()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 400; trial++)
        {
            int length = 1 + rng.Next(70);
            var x = new double[length];
            for (int i = 0; i < length; i++)
                x[i] = rng.Next(6) switch
                {
                    0 => double.NaN,
                    1 => 0,
                    2 => rng.Next(2) == 0 ? 3 : -3, // ties
                    _ => rng.NextDouble() * 6 - 3,
                };
            if (trial % 4 == 0) x[0] = Math.Abs(x[0]) == 3 || double.IsNaN(x[0]) ? x[0] : 1;
            var f = x.Select(v => (float)v).ToArray();
            Assert.Equal(Lu.PivotIndexScalar<double>(x), Lu.PivotIndex<double>(x));
            Assert.Equal(Lu.PivotIndexScalar<float>(f), Lu.PivotIndex<float>(f));
        }
        // The largest in the tail past the last full vector; all NaN but the first; all zero.
        var tail = Enumerable.Range(0, 37).Select(i => i == 36 ? 9.0 : 1.0).ToArray();
        Assert.Equal(36, Lu.PivotIndex<double>(tail));
        var nan = Enumerable.Range(0, 40).Select(i => i == 0 ? 0.5f : float.NaN).ToArray();
        Assert.Equal(0, Lu.PivotIndex<float>(nan));
        Assert.Equal(0, Lu.PivotIndex<double>(new double[33]));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void DiagonalBlocksMatchTheTextbookTwin(bool lower, bool unit)
    {
        foreach (int n in new[] { 1, 5, 64, 97 })
            foreach (int r in new[] { 1, 7, 33, 70 })
            {
                var t = Random(n, n, n + r);
                for (int i = 0; i < n; i++)
                {
                    t[i, i] = 2 + Math.Abs(t[i, i]);
                    for (int j = 0; j < n; j++) if ((i * 7 + j) % 5 == 0 && i != j) t[i, j] = 0; // skipped zeros
                }
                var b = Random(n, r, n * r);
                var fast = b.Clone();
                var slow = b.Clone();
                if (lower)
                {
                    TriangularSolve.Lower(t.ReadOnlySpan, fast.Span, unit, new Parallelism(1), blockSize: 32);
                    TriangularSolveTextbook.Lower(t.ReadOnlySpan, slow.Span, unit);
                }
                else
                {
                    TriangularSolve.Upper(t.ReadOnlySpan, fast.Span, unit, new Parallelism(1), blockSize: 32);
                    TriangularSolveTextbook.Upper(t.ReadOnlySpan, slow.Span, unit);
                }
                AssertSmall(RelativeError(fast, slow), 20 * (n + 1) * Eps, $"n={n} r={r} float64");
                var t32 = t.Data.Select(v => (float)v).ToArray();
                var fast32 = b.Data.Select(v => (float)v).ToArray();
                var slow32 = (float[])fast32.Clone();
                var tv = new ReadOnlyMatrixSpan<float>(t32, n, n);
                if (lower)
                {
                    TriangularSolve.Lower(tv, new MatrixSpan<float>(fast32, n, r), unit, new Parallelism(1), blockSize: 32);
                    TriangularSolveTextbook.Lower(tv, new MatrixSpan<float>(slow32, n, r), unit);
                }
                else
                {
                    TriangularSolve.Upper(tv, new MatrixSpan<float>(fast32, n, r), unit, new Parallelism(1), blockSize: 32);
                    TriangularSolveTextbook.Upper(tv, new MatrixSpan<float>(slow32, n, r), unit);
                }
                AssertSmall(RelativeError(Widen(fast32, n, r), Widen(slow32, n, r)), 20 * (n + 1) * Eps32, $"n={n} r={r} float32");
            }
    }

    [Fact]
    public void RecursiveUnitLowerSolveMatchesTheTextbookTwin()
    {
        // LU's U₁₂ = L₁₁⁻¹·A₁₂: orders around the substitution base (24) and the multiple-of-8 splits, on sub-views with
        // wider row strides (as inside the factor), the diagonal and the upper triangle NaN (neither may be read).
        foreach (int n in new[] { 1, 16, 24, 25, 40, 97, 200 })
            foreach (int r in new[] { 1, 7, 33 })
            {
                var big = Random(n + 3, n + 5, 7 * n + r);
                for (int i = 0; i < n + 3; i++)
                    for (int j = 0; j < n + 5; j++)
                        if (j - 1 >= i - 2) big[i, j] = double.NaN; // the view's diagonal and above
                        else big[i, j] *= 2.0 / Math.Sqrt(n);
                var l = Dense.Sub(big.Span, 2, 1, n, n);
                var b = Random(n + 4, r + 2, n * r + 1);
                var fast = b.Clone();
                var slow = b.Clone();
                Lu.SolveUnitLower(l, Dense.Sub(fast.Span, 1, 2, n, r));
                TriangularSolveTextbook.Lower(l, Dense.Sub(slow.Span, 1, 2, n, r), unitDiagonal: true);
                AssertSmall(RelativeError(fast, slow), 20 * (n + 1) * Eps, $"n={n} r={r} float64");
                Assert.True(fast.Data.All(double.IsFinite), $"n={n} r={r}: a NaN of the diagonal or the upper triangle was read");

                var l32 = new MatrixSpan<float>(big.Data.Select(v => (float)v).ToArray(), n + 3, n + 5);
                var fast32 = b.Data.Select(v => (float)v).ToArray();
                var slow32 = (float[])fast32.Clone();
                Lu.SolveUnitLower(Dense.Sub(l32, 2, 1, n, n), Dense.Sub(new MatrixSpan<float>(fast32, n + 4, r + 2), 1, 2, n, r));
                TriangularSolveTextbook.Lower(Dense.Sub(l32, 2, 1, n, n), Dense.Sub(new MatrixSpan<float>(slow32, n + 4, r + 2), 1, 2, n, r), unitDiagonal: true);
                AssertSmall(RelativeError(Widen(fast32, n + 4, r + 2), Widen(slow32, n + 4, r + 2)), 20 * (n + 1) * Eps32, $"n={n} r={r} float32");
            }
    }

    private static DenseMatrix Widen(float[] x, int n) => Widen(x, n, n);

    private static DenseMatrix Widen(float[] x, int rows, int columns) => new(rows, columns, x.Select(v => (double)v).ToArray());
}
