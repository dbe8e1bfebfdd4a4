using System.Buffers;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// The SVD and QR work on pooled scratch arrays and write into caller storage: the results must not depend on what the
/// pool held before (bitwise), and the in-place and view entry points must equal the copying public ones bitwise.
/// </summary>
public class SvdQrScratchTests
{
    /// <summary>Rents arrays of many sizes, fills them with NaN and returns them, so that the next rents see garbage.</summary>
    internal static void PoisonPool()
    {
        var rented = new List<double[]>();
        for (int size = 16; size <= 1 << 18; size *= 2)
            for (int copies = 0; copies < 4; copies++)
            {
                var a = ArrayPool<double>.Shared.Rent(size);
                Array.Fill(a, double.NaN);
                rented.Add(a);
            }
        foreach (var a in rented) ArrayPool<double>.Shared.Return(a);
    }

    private static void Identical(DenseMatrix expected, DenseMatrix actual, string what)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Columns, actual.Columns);
        Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"{what}: not bitwise identical");
    }

    [Theory]
    [InlineData(300, 120)]  // tall: QR first, U = Q·[U_R; 0] in place
    [InlineData(150, 120)]  // bidiagonalized directly
    [InlineData(80, 150)]   // wide: through the transposed view
    [InlineData(200, 1)]
    [InlineData(1, 7)]
    public void SvdDoesNotDependOnThePoolContents(int m, int n)
    {
        var a = Random(m, n, 11);
        var first = Svd.Compute(a, new Parallelism(2));
        PoisonPool();
        var second = Svd.Compute(a, new Parallelism(2));
        Identical(first.U, second.U, "U");
        Identical(first.V, second.V, "V");
        Assert.Equal(first.SingularValues, second.SingularValues);
        AssertSmall(RelativeError(second.Reconstruct(), a), 1e-13, $"{m}×{n}: UΣVᵀ=A");
        AssertSmall(OrthogonalityError(second.U), 1e-13, $"{m}×{n}: UᵀU=I");
    }

    [Fact]
    public void SvdOfATransposedViewEqualsSvdOfTheCopy()
    {
        var a = Random(90, 260, 5);
        var fromView = Svd.Compute(a.ReadOnlySpan.Transposed(), default);
        var fromCopy = Svd.Compute(a.Transpose());
        Identical(fromCopy.U, fromView.U, "U");
        Identical(fromCopy.V, fromView.V, "V");
        Assert.Equal(fromCopy.SingularValues, fromView.SingularValues);
    }

    [Theory]
    [InlineData(230, 150)]  // two panels of 96
    [InlineData(120, 200)]  // wide
    public void InPlaceQrEqualsTheCopyingQr(int m, int n)
    {
        var a = Random(m, n, 7);
        var par = new Parallelism(2);
        var qr = Qr.Factor(a, par);
        PoisonPool();
        var f = a.Clone();
        var tau = new double[Math.Min(m, n)];
        var blockT = Qr.FactorInPlace(f.Span, tau, par);
        Identical(qr.Factors, f, "factors");
        Assert.Equal(qr.Tau, tau);

        var q = new DenseMatrix(m, Math.Min(m, n));
        Qr.ThinQ(f.ReadOnlySpan, tau, blockT, Qr.DefaultBlockSize, q.Span, par);
        Identical(qr.ThinQ(), q, "thin Q");

        var r = new DenseMatrix(Math.Min(m, n), n);
        r.Data.AsSpan().Fill(double.NaN);
        Qr.CopyR(f.ReadOnlySpan, r.Span);
        Identical(qr.R, r, "R");

        var c = Random(m, 5, 8);
        var qc = c.Clone();
        Qr.ApplyQ(f.ReadOnlySpan, tau, blockT, Qr.DefaultBlockSize, qc.Span, transpose: false, par);
        Identical(qr.QTimes(c), qc, "Q·C");
        var qtc = c.Clone();
        Qr.ApplyQ(f.ReadOnlySpan, tau, blockT, Qr.DefaultBlockSize, qtc.Span, transpose: true, par);
        Identical(qr.TransposeQTimes(c), qtc, "Qᵀ·C");
    }

    [Fact]
    public void QrApplyQChecksTheRows()
    {
        var a = Random(20, 6, 1);
        var tau = new double[6];
        var blockT = Qr.FactorInPlace(a.Span, tau, default);
        var c = new DenseMatrix(19, 2);
        Assert.Throws<MatrixShapeException>(() => Qr.ApplyQ(a.ReadOnlySpan, tau, blockT, Qr.DefaultBlockSize, c.Span, false, default));
    }

    [Fact]
    public void GolubKahanOnAStridedViewEqualsTheCompactMatrix()
    {
        // 150×100 is past the crossover, so the blocked panels (which index A through its offset and row stride) run.
        var compact = Random(150, 100, 3);
        var big = Random(160, 110, 4);
        var view = Dense.Sub(big, 4, 6, 150, 100);
        for (int i = 0; i < 150; i++)
            for (int j = 0; j < 100; j++) view[i, j] = compact[i, j];
        var (d1, e1, q1, p1) = GolubKahan.Reduce(compact, default);
        var (d2, e2, q2, p2) = GolubKahan.Reduce(Dense.Sub(big, 4, 6, 150, 100), default);
        Assert.Equal(d1, d2);
        Assert.Equal(e1, e2);
        Assert.Equal(q1, q2);
        Assert.Equal(p1, p2);
        for (int i = 0; i < 150; i++)
            for (int j = 0; j < 100; j++) Assert.Equal(compact[i, j], big[4 + i, 6 + j]);
    }

    [Fact]
    public void BidiagonalDivideAndConquerWritesIntoStridedStorage()
    {
        int n = 70;
        var r = new System.Random(9);
        var d = Enumerable.Range(0, n).Select(_ => r.NextDouble() + 0.1).ToArray();
        var e = Enumerable.Range(0, n - 1).Select(_ => r.NextDouble()).ToArray();
        var (u, s, v) = BidiagonalDivideAndConquer.Compute(d, e, default);
        var bigU = new DenseMatrix(n + 5, n + 3);
        var bigV = new DenseMatrix(n + 2, n + 4);
        bigU.Data.AsSpan().Fill(double.NaN);
        bigV.Data.AsSpan().Fill(double.NaN);
        PoisonPool();
        var sigma = BidiagonalDivideAndConquer.Compute(d, e, Dense.Sub(bigU, 5, 3, n, n), Dense.Sub(bigV, 2, 4, n, n), default);
        Assert.Equal(s, sigma);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(u[i, j], bigU[5 + i, 3 + j]);
                Assert.Equal(v[i, j], bigV[2 + i, 4 + j]);
            }
        Assert.True(double.IsNaN(bigU[4, 3]) && double.IsNaN(bigV[2, 3]), "nothing written outside the view");
    }

    [Fact]
    public void RandomizedSvdDoesNotDependOnThePoolContents()
    {
        var a = LowRank(400, 60, 12, 2);
        var first = RandomizedSvd.Compute(a, 8, seed: 3, parallelism: new Parallelism(2));
        PoisonPool();
        var second = RandomizedSvd.Compute(a, 8, seed: 3, parallelism: new Parallelism(2));
        Identical(first.U, second.U, "U");
        Identical(first.V, second.V, "V");
        Assert.Equal(first.SingularValues, second.SingularValues);
        var exact = Svd.Compute(a);
        for (int j = 0; j < 8; j++) Assert.Equal(exact.SingularValues[j], second.SingularValues[j], 1e-9 * exact.SingularValues[0]);
    }
}
