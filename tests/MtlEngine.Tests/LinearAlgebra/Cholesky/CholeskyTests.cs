using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors; // Cholesky.Factor(MtlTensor<double>), an extension one layer up
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class CholeskyTests
{
    [Fact]
    public void BlockedMatchesTextbookForEverySizeUpTo64()
    {
        for (int n = 0; n <= 64; n++)
        {
            var a = Spd(n, n);
            var fast = Cholesky.Factor(a, default, blockSize: 8).L;
            var slow = CholeskyTextbook.Factor(a);
            AssertSmall(n == 0 ? 0 : RelativeError(fast, slow), 20 * (n + 1) * Eps, $"n={n} twin");
            AssertSmall(n == 0 ? 0 : RelativeError(DenseMatrix.Multiply(fast, fast, MatrixOp.None, MatrixOp.Transpose), a), 4 * (n + 1) * Eps, $"n={n} LLᵀ");
        }
    }

    [Theory]
    [InlineData(200, 1)]
    [InlineData(300, 2)]
    public void LargerBlockedReconstructsAndSolves(int n, int threads)
    {
        var a = Spd(n, 7);
        var chol = Cholesky.Factor(a, new Parallelism(threads));
        AssertSmall(RelativeError(chol.Reconstruct(), a), 4 * n * Eps, "LLᵀ = A");
        var b = Random(n, 5, 3);
        var x = chol.Solve(b);
        AssertSmall(RelativeError(DenseMatrix.Multiply(a, x), b), 10 * n * Eps, "A·X = B");
        var inv = chol.Inverse();
        AssertSmall(RelativeError(DenseMatrix.Multiply(a, inv), DenseMatrix.Identity(n)), 20 * n * Eps, "A·A⁻¹ = I");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void InPlaceEqualsTheCopyingFactorBitForBit(int threads)
    {
        // n = 200 crosses the recursion (blocks of 96) and the register TRSM's whole 8×8-block path (groups of 24 rows).
        // n = 333 has diagonal SYRK blocks in several recursion levels: the copying factor clears only the band above the
        // diagonal they write, the in-place one the whole upper triangle, and both must leave exact zeros there.
        foreach (int n in new[] { 0, 1, 37, 200, 333 })
        {
            var a = Spd(n, 11);
            var copy = Cholesky.Factor(a, new Parallelism(threads));
            var storage = a.Clone();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) storage[i, j] = double.NaN;   // never read
            var inPlace = Cholesky.FactorInPlace(storage, new Parallelism(threads));
            Assert.Same(storage, inPlace.L);
            Assert.Equal(copy.L.Data, storage.Data);
        }
        Assert.Throws<MatrixShapeException>(() => Cholesky.FactorInPlace(new DenseMatrix(2, 3)));
    }

    [Fact]
    public void LogDeterminantOfDiagonalAndProduct()
    {
        var d = new DenseMatrix(3, 3);
        d[0, 0] = 2; d[1, 1] = 3; d[2, 2] = 5;
        Assert.Equal(Math.Log(30), Cholesky.Factor(d).LogDeterminant(), 12);
        // det(A) = det(L)², so log det via LU must agree.
        var a = Spd(40, 11);
        Assert.Equal(Lu.Factor(a).LogAbsDeterminant(), Cholesky.Factor(a).LogDeterminant(), 9);
    }

    [Fact]
    public void NotPositiveDefiniteNamesThePivot()
    {
        var a = Spd(150, 5);
        a[140, 140] = -1e6;
        var e = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(a));
        Assert.Equal(140, e.PivotIndex);
        var t = Assert.Throws<NotPositiveDefiniteException>(() => CholeskyTextbook.Factor(a));
        Assert.Equal(140, t.PivotIndex);
        Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(new DenseMatrix(3, 3)));
    }

    [Fact]
    public void ShapeErrorsNameTheShapes()
    {
        var e = Assert.Throws<MatrixShapeException>(() => Cholesky.Factor(new DenseMatrix(3, 4)));
        Assert.Contains("(3, 4)", e.Message);
        var chol = Cholesky.Factor(DenseMatrix.Identity(3));
        Assert.Throws<MatrixShapeException>(() => chol.Solve(new DenseMatrix(4, 1)));
    }

    [Fact]
    public void IdentityAndHilbert()
    {
        var i = Cholesky.Factor(DenseMatrix.Identity(10)).L;
        Assert.Equal(0, RelativeError(i, DenseMatrix.Identity(10)));
        var h = Hilbert(10); // κ ≈ 1.6e13: still positive definite in float64
        var chol = Cholesky.Factor(h, default, blockSize: 3);
        AssertSmall(RelativeError(chol.Reconstruct(), h), 100 * Eps, "Hilbert LLᵀ");
    }

    [Fact]
    public void TensorAndArrayInputs()
    {
        var arr = new double[,] { { 4, 2 }, { 2, 3 } };
        var l = Cholesky.Factor(arr).L;
        Assert.Equal(2, l[0, 0], 14);
        Assert.Equal(1, l[1, 0], 14);
        Assert.Equal(Math.Sqrt(2), l[1, 1], 14);
        var t = Cholesky.Factor(MtlEngine.Tensors.MtlTensor.FromArray(arr)).L;
        Assert.Equal(0, RelativeError(t, l));
    }
}

public class TriangularSolveTests
{
    [Fact]
    public void BlockedMatchesTextbookAndSolves()
    {
        foreach (int n in new[] { 0, 1, 5, 17, 64, 97 })
            foreach (int r in new[] { 1, 3, 20 })
            {
                var l = Random(n, n, n + r);
                for (int i = 0; i < n; i++) { l[i, i] = 2 + Math.Abs(l[i, i]); l.Row(i)[(i + 1)..].Clear(); }
                var b = Random(n, r, 99);
                var x = b.Clone();
                TriangularSolve.Lower(l.ReadOnlySpan, x.Span, false, default, blockSize: 7);
                var y = b.Clone();
                TriangularSolveTextbook.Lower(l.ReadOnlySpan, y.Span);
                if (n > 0) AssertSmall(RelativeError(x, y), 50 * (n + 1) * Eps, $"lower n={n} r={r}");
                if (n > 0) AssertSmall(RelativeError(DenseMatrix.Multiply(l, x), b), 10 * (n + 1) * Eps, $"L·X=B n={n}");
                // Lᵀ·X = B through the transposed view, X·Lᵀ = B through B's transposed view.
                var z = b.Clone();
                TriangularSolve.Upper(l.ReadOnlySpan.Transposed(), z.Span, false, default, blockSize: 5);
                if (n > 0) AssertSmall(RelativeError(DenseMatrix.Multiply(l, z, MatrixOp.Transpose), b), 10 * (n + 1) * Eps, $"Lᵀ·X=B n={n}");
                var bt = b.Transpose();
                var w = bt.Clone();
                TriangularSolve.Lower(l.ReadOnlySpan, w.Span.Transposed(), false, default, blockSize: 6);
                if (n > 0) AssertSmall(RelativeError(DenseMatrix.Multiply(w, l, MatrixOp.None, MatrixOp.Transpose), bt), 10 * (n + 1) * Eps, $"X·Lᵀ=B n={n}");
            }
    }

    [Fact]
    public void ZeroDiagonalIsSingular()
    {
        var u = DenseMatrix.Identity(4);
        u[2, 2] = 0;
        var e = Assert.Throws<SingularMatrixException>(() => TriangularSolve.Upper(u.ReadOnlySpan, new DenseMatrix(4, 1).Span));
        Assert.Equal(2, e.PivotIndex);
    }
}
