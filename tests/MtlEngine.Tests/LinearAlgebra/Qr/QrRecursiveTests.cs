using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>The recursive-panel QR (leaf kernel, kept T factors, backward thin Q) against the textbook twin and the identities.</summary>
public class QrRecursiveTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(17)]
    [InlineData(40)]
    [InlineData(96)]
    public void EveryBlockSizeMatchesTheTwin(int blockSize)
    {
        foreach (var (m, n) in new[] { (1, 1), (2, 1), (9, 9), (33, 17), (70, 45), (45, 70), (100, 100) })
        {
            var a = Random(m, n, 17 * m + n);
            var qr = Qr.Factor(a, default, blockSize);
            var (factors, tau) = QrTextbook.Factor(a);
            AssertSmall(RelativeError(qr.Factors, factors), 50 * m * Eps, $"{m}x{n} nb={blockSize} twin");
            for (int j = 0; j < tau.Length; j++) Assert.True(Math.Abs(tau[j] - qr.Tau[j]) <= 1e-12, $"τ[{j}]");
            var q = qr.ThinQ();
            AssertSmall(OrthogonalityError(q), 10 * m * Eps, $"{m}x{n} nb={blockSize} QᵀQ=I");
            AssertSmall(RelativeError(DenseMatrix.Multiply(q, qr.R), a), 10 * m * Eps, $"{m}x{n} nb={blockSize} Q·R=A");
        }
    }

    [Fact]
    public void ThinQMatchesQTimesIdentityColumns()
    {
        // Backward accumulation (orgqr) against applying the full product of reflectors to [I; 0].
        var a = Random(150, 70, 5);
        var qr = Qr.Factor(a, default, blockSize: 24);
        var e = new DenseMatrix(150, 70);
        for (int i = 0; i < 70; i++) e[i, i] = 1;
        AssertSmall(RelativeError(qr.ThinQ(), qr.QTimes(e)), 50 * 150 * Eps, "orgqr = Q·[I; 0]");
    }

    [Fact]
    public void ResultDoesNotDependOnTheThreadCount()
    {
        var a = Random(300, 200, 9);
        var one = Qr.Factor(a, new Parallelism(1), 64);
        var two = Qr.Factor(a, new Parallelism(2), 64);
        Assert.Equal(one.Factors.Data, two.Factors.Data);
        Assert.Equal(one.Tau, two.Tau);
        Assert.Equal(one.ThinQ().Data, two.ThinQ().Data);
    }

    [Fact]
    public void ZeroColumnsGradedAndTinyValues()
    {
        // Zero columns give τ = 0 (H = I) inside a leaf; a graded matrix and values near the underflow threshold
        // take the scaled-norm path of the leaf.
        var a = Random(40, 20, 3);
        for (int i = 0; i < 40; i++) { a[i, 2] = 0; a[i, 9] = 0; }
        for (int i = 3; i < 40; i++) a[i, 5] = 0;
        var graded = Random(40, 20, 4);
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 20; j++) graded[i, j] *= Math.Pow(10, -j);
        var tiny = Random(40, 20, 5);
        for (int i = 0; i < tiny.Data.Length; i++) tiny.Data[i] *= 1e-160;
        var huge = Random(40, 20, 6);
        for (int i = 0; i < huge.Data.Length; i++) huge.Data[i] *= 1e160;
        foreach (var (x, name) in new[] { (a, "zero columns"), (graded, "graded"), (tiny, "tiny"), (huge, "huge") })
        {
            var qr = Qr.Factor(x, default, blockSize: 16);
            AssertSmall(RelativeError(qr.Reconstruct(), x), 200 * Eps, $"{name} QR=A");
            AssertSmall(OrthogonalityError(qr.ThinQ()), 200 * Eps, $"{name} QᵀQ=I");
            if (name is "tiny" or "huge")
            {
                // The twin squares without scaling (1e-320 underflows), so compare with the unscaled problem instead:
                // the reflectors and τ do not depend on the scale.
                var unscaled = Qr.Factor(Random(40, 20, name == "tiny" ? 5 : 6), default, blockSize: 16);
                for (int j = 0; j < 20; j++) Assert.True(Math.Abs(unscaled.Tau[j] - qr.Tau[j]) <= 1e-13, $"{name} τ[{j}]");
                continue;
            }
            var (factors, _) = QrTextbook.Factor(x);
            AssertSmall(RelativeError(qr.Factors, factors), 1e-12, $"{name} twin");
        }
        Assert.Equal(0, Qr.Factor(a, default, 16).Tau[2]);
    }

    [Fact]
    public void WideAndLargeShapesOnTwoThreads()
    {
        foreach (var (m, n) in new[] { (600, 130), (130, 600), (257, 257) })
        {
            var a = Random(m, n, m + n);
            var qr = Qr.Factor(a, new Parallelism(2));
            var q = qr.ThinQ();
            AssertSmall(OrthogonalityError(q), 10 * m * Eps, $"{m}x{n} QᵀQ=I");
            AssertSmall(RelativeError(DenseMatrix.Multiply(q, qr.R, MatrixOp.None, MatrixOp.None), a), 10 * m * Eps, $"{m}x{n} Q·R=A");
        }
    }
}
