using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class QrTests
{
    [Fact]
    public void BlockedMatchesTextbookForEverySizeUpTo64()
    {
        for (int n = 0; n <= 64; n++)
        {
            int m = n + n % 7;
            var a = Random(m, n, 300 + n);
            var qr = Qr.Factor(a, default, blockSize: 6);
            var (factors, tau) = QrTextbook.Factor(a);
            if (n == 0) continue;
            AssertSmall(RelativeError(qr.Factors, factors), 50 * m * Eps, $"n={n} twin");
            // A wide block: the recursive panel (halves with WY updates between them) against the same twin.
            AssertSmall(RelativeError(Qr.Factor(a, default, blockSize: 40).Factors, factors), 50 * m * Eps, $"n={n} recursive panel twin");
            AssertSmall(RelativeError(qr.Reconstruct(), a), 10 * m * Eps, $"n={n} QR=A");
            AssertSmall(OrthogonalityError(qr.ThinQ()), 10 * m * Eps, $"n={n} QᵀQ=I");
            for (int j = 0; j < tau.Length; j++) Assert.Equal(tau[j], qr.Tau[j], 10);
        }
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(3, 7)]
    [InlineData(131, 57)]
    [InlineData(57, 131)]
    [InlineData(200, 200)]
    public void OddRectanglesReconstruct(int m, int n)
    {
        var a = Random(m, n, m * n);
        var qr = Qr.Factor(a, new Parallelism(2), blockSize: 16);
        var q = qr.ThinQ();
        Assert.Equal(Math.Min(m, n), q.Columns);
        AssertSmall(OrthogonalityError(q), 20 * m * Eps, "QᵀQ=I");
        AssertSmall(RelativeError(DenseMatrix.Multiply(q, qr.R), a), 20 * m * Eps, "thin Q·R=A");
        var b = Random(m, 3, 1);
        AssertSmall(RelativeError(qr.QTimes(qr.TransposeQTimes(b)), b), 20 * m * Eps, "Q·Qᵀ·B=B");
    }

    [Fact]
    public void LeastSquaresSatisfiesNormalEquations()
    {
        var a = Random(90, 20, 5);
        var b = Random(90, 2, 6);
        var x = Qr.Factor(a).LeastSquares(b);
        // Aᵀ(Ax − b) = 0
        var r = DenseMatrix.Multiply(a, x);
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] -= b.Data[i];
        var g = DenseMatrix.Multiply(a, r, MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        AssertSmall(g.FrobeniusNorm() / (a.FrobeniusNorm() * b.FrobeniusNorm()), 1e3 * Eps, "normal equations");
        // An exact system is solved exactly.
        var xs = Random(20, 1, 7);
        var y = Qr.Factor(a).LeastSquares(DenseMatrix.Multiply(a, xs).Data);
        AssertSmall(RelativeError(new DenseMatrix(20, 1, y), xs), 1e3 * Eps, "consistent system");
        Assert.Throws<MatrixShapeException>(() => Qr.Factor(Random(3, 5, 1)).LeastSquares(new DenseMatrix(3, 1)));
    }

    [Fact]
    public void PivotedQrFindsRankAndSolvesRankDeficient()
    {
        var a = LowRank(40, 25, 9, 3);
        var pqr = PivotedQr.Factor(a);
        Assert.Equal(9, pqr.Rank());
        AssertSmall(RelativeError(pqr.Reconstruct(), a), 200 * Eps, "QRPᵀ=A");
        var r = pqr.R;
        for (int i = 1; i < r.Rows; i++) Assert.True(Math.Abs(r[i, i]) <= Math.Abs(r[i - 1, i - 1]) * (1 + 1e-12) + 1e-14);
        var xTrue = Random(25, 1, 8);
        var b = DenseMatrix.Multiply(a, xTrue);
        var x = pqr.LeastSquares(b);
        AssertSmall(RelativeError(DenseMatrix.Multiply(a, x), b), 1e-10, "rank-deficient consistent residual");
        Assert.Equal(0, PivotedQr.Factor(new DenseMatrix(5, 4)).Rank());
        Assert.Equal(6, PivotedQr.Factor(DenseMatrix.Identity(6)).Rank());
    }

    [Fact]
    public void ZeroMatrixAndHilbert()
    {
        var z = Qr.Factor(new DenseMatrix(6, 4));
        Assert.Equal(0, z.R.FrobeniusNorm());
        AssertSmall(OrthogonalityError(z.ThinQ()), 0, "zero QᵀQ=I");
        var h = Hilbert(30);
        var qr = Qr.Factor(h, default, blockSize: 7);
        AssertSmall(RelativeError(qr.Reconstruct(), h), 300 * Eps, "Hilbert QR=A");
        AssertSmall(OrthogonalityError(qr.ThinQ()), 300 * Eps, "Hilbert QᵀQ=I");
    }
}

public class QrInPlaceTests
{
    [Theory]
    [InlineData(300, 120)]
    [InlineData(90, 150)]
    public void FactorInPlaceAndThinQIntoStorageEqualTheCopyingForms(int m, int n)
    {
        var a = LinalgTestData.Random(m, n, m + n);
        var copying = Qr.Factor(a, new Parallelism(2));
        var work = a.Clone();
        var inPlace = Qr.FactorInPlace(work, new Parallelism(2));
        Assert.Same(work, inPlace.Factors);
        Assert.Equal(copying.Factors.Data, inPlace.Factors.Data);
        Assert.Equal(copying.Tau, inPlace.Tau);
        // Destination pre-filled with NaN: every entry is overwritten.
        var q = new DenseMatrix(m, Math.Min(m, n));
        Array.Fill(q.Data, double.NaN);
        inPlace.ThinQ(q);
        Assert.Equal(copying.ThinQ().Data, q.Data);
        var wrong = new DenseMatrix(m, Math.Min(m, n) + 1);
        Array.Fill(wrong.Data, 7.0);
        Assert.Contains("destination has shape", Assert.Throws<MatrixShapeException>(() => inPlace.ThinQ(wrong)).Message);
        Assert.All(wrong.Data, x => Assert.Equal(7.0, x));
    }

    [Theory]
    [InlineData(300, 120)]
    [InlineData(90, 150)]
    public void FactorIntoStorageAndCopyREqualTheAllocatingForms(int m, int n)
    {
        var a = LinalgTestData.Random(m, n, m + 2 * n);
        var original = a.Clone();
        var allocating = Qr.Factor(a, new Parallelism(2));
        var storage = new DenseMatrix(m, n);
        Array.Fill(storage.Data, double.NaN);
        var stored = Qr.Factor(a, storage, new Parallelism(2));
        Assert.Same(storage, stored.Factors);
        Assert.Equal(original.Data, a.Data);
        Assert.Equal(allocating.Factors.Data, stored.Factors.Data);
        Assert.Equal(allocating.Tau, stored.Tau);
        // R's destination pre-filled with NaN: the zeros below the diagonal are written too.
        var r = new DenseMatrix(Math.Min(m, n), n);
        Array.Fill(r.Data, double.NaN);
        stored.CopyR(r);
        Assert.Equal(allocating.R.Data, r.Data);
        Assert.Contains("destination has shape", Assert.Throws<MatrixShapeException>(() => stored.CopyR(new DenseMatrix(m, n + 1))).Message);
        Assert.Contains("QR storage must have A's shape", Assert.Throws<MatrixShapeException>(() => Qr.Factor(a, new DenseMatrix(m + 1, n))).Message);
    }
}
