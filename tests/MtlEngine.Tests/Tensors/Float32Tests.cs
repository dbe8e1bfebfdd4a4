using System.Text.Json;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.Tensors;

/// <summary>
/// The float32 factorizations (the generic Cholesky, LU and triangular solves through <see cref="Linalg"/>): against
/// float64 within float32 tolerance, identities at ~n·ε₃₂, fast path against the generic textbook twin, thread-count
/// independence, errors, NumPy float32 fixtures; and the float64 facade bitwise equal to the float64 classes.
/// </summary>
public class Float32Tests
{
    private const double Eps32 = 5.96e-8; // 2⁻²⁴, float32's unit roundoff

    private static float[] ToFloat(DenseMatrix a) => a.Data.Select(v => (float)v).ToArray();

    private static MtlTensor<float> Tensor32(DenseMatrix a) => MtlTensor.FromArray(ToFloat(a), a.Rows, a.Columns);

    private static MtlTensor<double> Tensor64(DenseMatrix a) => MtlTensor.FromArray((double[])a.Data.Clone(), a.Rows, a.Columns);

    /// <summary>A float32 array widened to a float64 matrix of the given shape (exact).</summary>
    private static DenseMatrix Widen(ReadOnlySpan<float> x, int rows, int columns)
    {
        var m = new DenseMatrix(rows, columns);
        for (int i = 0; i < x.Length; i++) m.Data[i] = x[i];
        return m;
    }

    private static DenseMatrix Widen(MtlTensor<float> t) => Widen(t.AsSpan(), t.Dim(0), t.Rank == 1 ? 1 : t.Dim(1));

    /// <summary>A's float32 values as float64 (the matrix the float32 code actually factors).</summary>
    private static DenseMatrix Rounded(DenseMatrix a) => Widen(ToFloat(a), a.Rows, a.Columns);

    private static DenseMatrix LowerTriangular(int n, int seed)
    {
        var l = Random(n, n, seed);
        for (int i = 0; i < n; i++) { l[i, i] = 2 + Math.Abs(l[i, i]); l.Row(i)[(i + 1)..].Clear(); }
        return l;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(97)]
    [InlineData(200)]
    [InlineData(333)]
    public void CholeskyMatchesFloat64AndReconstructs(int n)
    {
        var a = Spd(n, n);
        var l32 = Widen(Linalg.Cholesky(Tensor32(a)));
        var l64 = Cholesky.Factor(a).L;
        AssertSmall(RelativeError(l32, l64), n * 1e-6, $"n={n} ‖L32−L64‖/‖L64‖");
        // L·Lᵀ = A (the float32-rounded A), the product in float64 so that only the factorization's error shows.
        var llt = DenseMatrix.Multiply(l32, l32, MatrixOp.None, MatrixOp.Transpose);
        AssertSmall(RelativeError(llt, Rounded(a)), 4 * n * Eps32, $"n={n} L·Lᵀ=A");
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) Assert.Equal(0.0, l32[i, j]);
    }

    [Fact]
    public void CholeskyFastPathMatchesTheTextbookTwinForSizes0To64AndOdd()
    {
        // Block size 8 so that the recursion, the TRSM and the SYRK all run at these small sizes.
        foreach (int n in Enumerable.Range(0, 65).Concat(new[] { 99, 129, 255 }))
        {
            var a = ToFloat(Spd(n, n + 3));
            var fast = (float[])a.Clone();
            Cholesky.FactorInPlace(new MatrixSpan<float>(fast, n, n), Parallelism.Sequential, blockSize: 8);
            for (int i = 0; i < n; i++) fast.AsSpan(i * n + i + 1, n - i - 1).Clear();
            var slow = new float[n * n];
            CholeskyTextbook.Factor(new ReadOnlyMatrixSpan<float>(a, n, n), new MatrixSpan<float>(slow, n, n));
            AssertSmall(RelativeError(Widen(fast, n, n), Widen(slow, n, n)), 20 * (n + 1) * Eps32, $"n={n}");
        }
    }

    [Fact]
    public void CholeskyIsTheSameOnOneAndTwoThreads()
    {
        foreach (int n in new[] { 129, 400 })
        {
            var a = Tensor32(Spd(n, n));
            var one = Linalg.Cholesky(a, new Parallelism(1)).AsSpan().ToArray();
            var two = Linalg.Cholesky(a, new Parallelism(2)).AsSpan().ToArray();
            Assert.Equal(one, two);
        }
    }

    [Fact]
    public void TrsmKernelMatchesTheTwinForEveryRowTailAndThreadCount()
    {
        // X·Lᵀ = C on row-major C: the float32 kernel takes 48 rows at a time and pads the last group.
        foreach (int n in new[] { 1, 2, 7, 31, 64, 100, 128 })
            foreach (int rows in new[] { 1, 5, 47, 48, 49, 97, 130 })
                foreach (bool unit in new[] { false, true })
                {
                    var l = ToFloat(LowerTriangular(n, n + rows));
                    var c = Random(rows, n, rows);
                    var fast = ToFloat(c);
                    TriangularSolve.Lower(new ReadOnlyMatrixSpan<float>(l, n, n), new MatrixSpan<float>(fast, rows, n).Transposed(), unit, default, blockSize: 128);
                    var slow = ToFloat(c.Transpose());
                    TriangularSolveTextbook.Lower(new ReadOnlyMatrixSpan<float>(l, n, n), new MatrixSpan<float>(slow, n, rows), unit);
                    AssertSmall(RelativeError(Widen(fast, rows, n), Widen(slow, n, rows).Transpose()), 20 * (n + 1) * Eps32, $"n={n} rows={rows} unit={unit}");
                }
        var l96 = ToFloat(LowerTriangular(96, 1));
        var c1001 = ToFloat(Random(1001, 96, 2));
        var one = (float[])c1001.Clone();
        var two = (float[])c1001.Clone();
        TriangularSolve.Lower(new ReadOnlyMatrixSpan<float>(l96, 96, 96), new MatrixSpan<float>(one, 1001, 96).Transposed(), false, new Parallelism(1), blockSize: 96);
        TriangularSolve.Lower(new ReadOnlyMatrixSpan<float>(l96, 96, 96), new MatrixSpan<float>(two, 1001, 96).Transposed(), false, new Parallelism(2), blockSize: 96);
        Assert.Equal(one, two);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void SolveTriangularMatchesTheTextbookTwin(bool lower, bool unit)
    {
        foreach (int n in new[] { 0, 1, 5, 63, 64, 65, 150 })
            foreach (int r in new[] { 1, 3, 17 })
            {
                var t = LowerTriangular(n, n + r);
                if (!lower) t = t.Transpose();
                var b = Random(n, r, n * r + 1);
                var x = Linalg.SolveTriangular(Tensor32(t), Tensor32(b), lower, unit);
                var slow = ToFloat(b);
                var tv = new ReadOnlyMatrixSpan<float>(ToFloat(t), n, n);
                if (lower) TriangularSolveTextbook.Lower(tv, new MatrixSpan<float>(slow, n, r), unit);
                else TriangularSolveTextbook.Upper(tv, new MatrixSpan<float>(slow, n, r), unit);
                AssertSmall(RelativeError(Widen(x), Widen(slow, n, r)), 20 * (n + 1) * Eps32, $"n={n} r={r}");
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(64)]
    [InlineData(101)]
    [InlineData(300)]
    public void LuSolveHasASmallBackwardErrorAndMatchesFloat64(int n)
    {
        var a = Random(n, n, n);
        var b = Random(n, 4, n + 1);
        var x32 = Widen(Linalg.Solve(Tensor32(a), Tensor32(b)));
        // Backward error ‖A·X − B‖ / (‖A‖·‖X‖) on the float32-rounded inputs: the stability of LU with partial pivoting.
        var ar = Rounded(a);
        var r = DenseMatrix.Multiply(ar, x32);
        var br = Rounded(b);
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] -= br.Data[i];
        AssertSmall(r.FrobeniusNorm() / (ar.FrobeniusNorm() * x32.FrobeniusNorm()), 2 * n * Eps32, $"n={n} backward error");
        // Forward error against float64 is bounded by κ(A)·(backward error); these random matrices have κ below ~10⁴.
        var x64 = Lu.Factor(a).Solve(b);
        AssertSmall(RelativeError(x32, x64), 1e-2, $"n={n} ‖X32−X64‖/‖X64‖");
    }

    [Fact]
    public void LuFastPathMatchesTheTextbookTwinAndPAEqualsLU()
    {
        foreach (int n in Enumerable.Range(0, 65).Concat(new[] { 97, 200 }))
        {
            var a = ToFloat(Random(n, n, n + 11));
            var fast = (float[])a.Clone();
            var perm = Enumerable.Range(0, n).ToArray();
            int swaps = 0, zero = -1;
            Lu.FactorInPlace(new MatrixSpan<float>(fast, n, n), perm, blockSize: 4, Parallelism.Sequential, ref swaps, ref zero);
            Assert.Equal(-1, zero);
            var slow = (float[])a.Clone();
            var slowPerm = new int[n];
            LuTextbook.FactorInPlace(new MatrixSpan<float>(slow, n, n), slowPerm);
            AssertSmall(ReconstructionError(a, fast, perm, n), 4 * (n + 1) * Eps32, $"n={n} P·A=L·U (fast)");
            AssertSmall(ReconstructionError(a, slow, slowPerm, n), 4 * (n + 1) * Eps32, $"n={n} P·A=L·U (textbook)");
            if (perm.SequenceEqual(slowPerm))
                AssertSmall(RelativeError(Widen(fast, n, n), Widen(slow, n, n)), 100 * (n + 1) * Eps32, $"n={n} factors");
        }
    }

    /// <summary>‖P·A − L·U‖ / ‖A‖ in float64 arithmetic on the float32 factors.</summary>
    private static double ReconstructionError(float[] a, float[] factors, int[] perm, int n)
    {
        if (n == 0) return 0;
        var f = Widen(factors, n, n);
        var l = f.Clone();
        var u = f.Clone();
        for (int i = 0; i < n; i++) { l.Row(i)[i..].Clear(); l[i, i] = 1; u.Row(i)[..i].Clear(); }
        var lu = DenseMatrix.Multiply(l, u);
        var pa = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) pa[i, j] = a[perm[i] * n + j];
        return RelativeError(lu, pa);
    }

    [Fact]
    public void CholeskySolveSolvesAndKeepsTheRightHandSideShape()
    {
        int n = 150;
        var a = Spd(n, 5);
        var l = Linalg.Cholesky(Tensor32(a));
        var b = Random(n, 1, 6);
        var vector = MtlTensor.FromArray(ToFloat(b), n);
        var x = Linalg.CholeskySolve(l, vector);
        Assert.Equal(new[] { n }, x.Shape.ToArray());
        var r = DenseMatrix.Multiply(Rounded(a), Widen(x));
        for (int i = 0; i < n; i++) r.Data[i] -= (float)b.Data[i];
        AssertSmall(r.FrobeniusNorm() / (a.FrobeniusNorm() * Widen(x).FrobeniusNorm()), 4 * n * Eps32, "A·x = b");
        var xs = Linalg.Solve(Tensor32(a), vector);
        AssertSmall(RelativeError(Widen(x), Widen(xs)), 1e-5, "Cholesky solve = LU solve");
    }

    [Fact]
    public void InputsAreNotChangedAndStridedViewsWork()
    {
        int n = 70;
        var g = Tensor32(Random(n, n, 3));
        var before = g.AsSpan().ToArray();
        var b = Tensor32(Random(n, 2, 4));
        var x = Linalg.Solve(g, b);
        Assert.Equal(before, g.AsSpan().ToArray());
        Assert.NotEqual(0f, Linalg.Determinant(g));
        Assert.Equal(before, g.AsSpan().ToArray());
        // Aᵀ as a strided view gives the same answer as its contiguous copy.
        var view = g.Transpose();
        Assert.False(view.IsContiguous);
        Assert.Equal(Linalg.Solve(view.Clone(), b).AsSpan().ToArray(), Linalg.Solve(view, b).AsSpan().ToArray());
        var spd = Tensor32(Spd(n, 5));
        var l = Linalg.Cholesky(spd);
        var lt = l.Transpose();
        Assert.Equal(Linalg.SolveTriangular(lt.Clone(), b, lower: false).AsSpan().ToArray(),
            Linalg.SolveTriangular(lt, b, lower: false).AsSpan().ToArray());
        Assert.Equal(new[] { n, 2 }, x.Shape.ToArray());
    }

    [Fact]
    public void NotPositiveDefiniteCarriesThePivotIndexInFloat32()
    {
        foreach (int k in new[] { 0, 37, 100 })
        {
            int n = 130;
            var a = Spd(n, 4);
            a[k, k] = -1;
            var error = Assert.Throws<NotPositiveDefiniteException>(() => Linalg.Cholesky(Tensor32(a)));
            Assert.Equal(k, error.PivotIndex);
            var textbook = Assert.Throws<NotPositiveDefiniteException>(() =>
                CholeskyTextbook.Factor(new ReadOnlyMatrixSpan<float>(ToFloat(a), n, n), new MatrixSpan<float>(new float[n * n], n, n)));
            Assert.Equal(k, textbook.PivotIndex);
        }
    }

    [Fact]
    public void SingularMatricesThrowTypedErrors()
    {
        var a = Random(6, 6, 1);
        for (int i = 0; i < 6; i++) a[i, 2] = 0;
        var b = Tensor32(Random(6, 2, 2));
        Assert.Throws<SingularMatrixException>(() => Linalg.Solve(Tensor32(a), b));
        Assert.Equal((0f, float.NegativeInfinity), Linalg.SignedLogDeterminant(Tensor32(a)));
        Assert.Equal(0f, Linalg.Determinant(Tensor32(a)));
        var t = LowerTriangular(6, 3);
        t[4, 4] = 0;
        var error = Assert.Throws<SingularMatrixException>(() => Linalg.SolveTriangular(Tensor32(t), b, lower: true));
        Assert.Equal(4, error.PivotIndex);
    }

    [Fact]
    public void ShapeErrorsNameTheShapes()
    {
        var square = Tensor32(Spd(4, 1));
        var e1 = Assert.Throws<MatrixShapeException>(() => Linalg.Cholesky(MtlTensor.Zeros<float>(3, 4)));
        Assert.Contains("(3, 4)", e1.Message);
        var e2 = Assert.Throws<MatrixShapeException>(() => Linalg.Solve(MtlTensor.Zeros<float>(2, 2, 2), MtlTensor.Zeros<float>(2)));
        Assert.Contains("rank 3", e2.Message);
        var e3 = Assert.Throws<MatrixShapeException>(() => Linalg.Solve(square, MtlTensor.Zeros<float>(5, 2)));
        Assert.Contains("(5, 2)", e3.Message);
        Assert.Throws<MatrixShapeException>(() => Linalg.CholeskySolve(square, MtlTensor.Zeros<float>(4, 2, 1)));
        Assert.Throws<MatrixShapeException>(() => Linalg.SolveTriangular(square, MtlTensor.Zeros<float>(3), lower: false));
        Assert.Equal(new[] { 0, 0 }, Linalg.Cholesky(MtlTensor.Zeros<float>(0, 0)).Shape.ToArray());
        Assert.Equal(new[] { 0, 3 }, Linalg.Solve(MtlTensor.Zeros<float>(0, 0), MtlTensor.Zeros<float>(0, 3)).Shape.ToArray());
    }

    [Fact]
    public void DeterminantsMatchFloat64()
    {
        var a = Random(40, 40, 9);
        var lu = Lu.Factor(a);
        var (sign, log) = Linalg.SignedLogDeterminant(Tensor32(a));
        Assert.Equal(lu.DeterminantSign(), (int)sign);
        Assert.True(Math.Abs(log - lu.LogAbsDeterminant()) <= 1e-4 * Math.Max(1, Math.Abs(lu.LogAbsDeterminant())), $"log|det| {log} vs {lu.LogAbsDeterminant()}");
        var small = Random(8, 8, 10);
        double det = Lu.Factor(small).Determinant();
        Assert.True(Math.Abs(Linalg.Determinant(Tensor32(small)) - det) <= 1e-4 * Math.Abs(det), "det");
        Assert.Equal(det, Linalg.Determinant(Tensor64(small)));
    }

    [Fact]
    public void Float64FacadeIsBitwiseTheFloat64Classes()
    {
        var a = Spd(200, 7);
        Assert.Equal(Cholesky.Factor(a, new Parallelism(2)).L.Data, Linalg.Cholesky(Tensor64(a), new Parallelism(2)).AsSpan().ToArray());
        var g = Random(200, 200, 8);
        var b = Random(200, 5, 9);
        Assert.Equal(Lu.Factor(g).Solve(b).Data, Linalg.Solve(Tensor64(g), Tensor64(b)).AsSpan().ToArray());
        var l = Cholesky.Factor(a);
        Assert.Equal(l.Solve(b).Data, Linalg.CholeskySolve(Tensor64(l.L), Tensor64(b)).AsSpan().ToArray());
    }

    private static readonly JsonElement Fixtures = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "LinearAlgebra", "linalg_fixtures.json"))).RootElement;

    private static float[] Floats(JsonElement rows, out int m, out int n)
    {
        var values = rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        m = values.Length;
        n = m == 0 ? 0 : values[0].Length;
        return values.SelectMany(r => r).ToArray();
    }

    [Fact]
    public void Float32ResultsMatchNumPyFloat32()
    {
        var c = Fixtures.GetProperty("cholesky_f32");
        var a = Floats(c.GetProperty("a"), out int n, out _);
        var l = Linalg.Cholesky(MtlTensor.FromArray(a, n, n));
        var expected = Floats(c.GetProperty("l"), out _, out _);
        AssertSmall(RelativeError(Widen(l), Widen(expected, n, n)), 20 * n * Eps32, "L vs numpy.linalg.cholesky(float32)");
        var s = Fixtures.GetProperty("solve_f32");
        var g = Floats(s.GetProperty("a"), out int m, out _);
        var b = Floats(s.GetProperty("b"), out _, out int r);
        var x = Linalg.Solve(MtlTensor.FromArray(g, m, m), MtlTensor.FromArray(b, m, r));
        var xe = Floats(s.GetProperty("x"), out _, out _);
        AssertSmall(RelativeError(Widen(x), Widen(xe, m, r)), 1e-4, "X vs numpy.linalg.solve(float32)");
    }
}
