using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class SvdTests
{
    private static void AssertSvd(DenseMatrix a, Svd svd, double tolerance, string what)
    {
        int k = Math.Min(a.Rows, a.Columns);
        Assert.Equal(k, svd.SingularValues.Length);
        Assert.Equal((a.Rows, k), (svd.U.Rows, svd.U.Columns));
        Assert.Equal((a.Columns, k), (svd.V.Rows, svd.V.Columns));
        for (int j = 1; j < k; j++) Assert.True(svd.SingularValues[j - 1] >= svd.SingularValues[j], $"{what}: descending");
        Assert.All(svd.SingularValues, s => Assert.True(s >= 0));
        if (k == 0) return;
        AssertSmall(OrthogonalityError(svd.U), tolerance, $"{what}: UᵀU=I");
        AssertSmall(OrthogonalityError(svd.V), tolerance, $"{what}: VᵀV=I");
        double norm = a.FrobeniusNorm();
        var r = svd.Reconstruct();
        double err = 0;
        for (int i = 0; i < r.Data.Length; i++) err = Math.Max(err, Math.Abs(r.Data[i] - a.Data[i]));
        AssertSmall(norm == 0 ? err : err / norm, tolerance, $"{what}: UΣVᵀ=A");
    }

    [Theory]
    [InlineData(20, 4, 0)]
    [InlineData(20, 4, 3)]
    [InlineData(9, 9, 4)]
    [InlineData(40, 17, 16)]
    public void ExactlyZeroColumnGivesAZeroSingularValue(int m, int n, int zeroColumn)
    {
        // A zero column makes R from the QR rank-deficient with a rounding-level diagonal entry; the Jacobi norm
        // updates must not round below zero there (that once gave NaN and no convergence).
        var a = Random(m, n, 31 + zeroColumn);
        for (int i = 0; i < m; i++) a[i, zeroColumn] = 0;
        var svd = Svd.Compute(a);
        AssertSvd(a, svd, 30 * (m + 1) * Eps, $"{m}x{n} zero column {zeroColumn}");
        Assert.True(svd.SingularValues[^1] <= 30 * (m + 1) * Eps * svd.SingularValues[0]);
    }

    [Fact]
    public void FastMatchesJacobiTwinForEverySizeUpTo64()
    {
        for (int n = 0; n <= 64; n++)
        {
            int m = n + (n * 7) % 11;
            var a = Random(m, n, 700 + n);
            var svd = Svd.Compute(a);
            AssertSvd(a, svd, 30 * (m + 1) * Eps, $"{m}x{n}");
            var (u, s, v) = JacobiSvdTextbook.Compute(a);
            for (int j = 0; j < n; j++) Assert.True(Math.Abs(s[j] - svd.SingularValues[j]) <= 30 * (m + 1) * Eps * s[0], $"n={n} σ{j}");
            if (n > 0)
            {
                AssertSmall(RelativeError(svd.U, u), 1e-7, $"n={n} U twin");
                AssertSmall(RelativeError(svd.V, v), 1e-7, $"n={n} V twin");
            }
        }
    }

    [Theory]
    [InlineData(5, 9)]
    [InlineData(1, 7)]
    [InlineData(7, 1)]
    [InlineData(300, 140)]
    [InlineData(140, 300)]
    public void OddRectanglesAndThreads(int m, int n)
    {
        var a = Random(m, n, m + 31 * n);
        AssertSvd(a, Svd.Compute(a, new Parallelism(2)), 30 * Math.Max(m, n) * Eps, $"{m}x{n}");
    }

    [Fact]
    public void RankDeficientZeroIdentityHilbert()
    {
        var low = LowRank(60, 40, 7, 2);
        var svd = Svd.Compute(low);
        AssertSvd(low, svd, 2000 * Eps, "rank 7");
        Assert.Equal(7, svd.Rank());
        var z = new DenseMatrix(8, 5);
        var zs = Svd.Compute(z);
        AssertSvd(z, zs, 0, "zero");
        Assert.Equal(0, zs.Rank());
        var i = Svd.Compute(DenseMatrix.Identity(9));
        Assert.All(i.SingularValues, s => Assert.Equal(1, s, 15));
        Assert.Equal(1, i.ConditionNumber(), 14);
        var h = Hilbert(14);
        var hs = Svd.Compute(h);
        AssertSvd(h, hs, 200 * Eps, "Hilbert");
        Assert.True(hs.ConditionNumber() > 1e16);
    }

    [Fact]
    public void SvdLeastSquaresIsMinimumNorm()
    {
        var a = LowRank(30, 20, 6, 9);
        var b = Random(30, 1, 4);
        var svd = Svd.Compute(a);
        var x = svd.LeastSquares(b);
        // The minimum-norm solution lies in the row space: x = V_r·V_rᵀ·x.
        var vr = svd.V.SliceColumns(0, 6);
        var proj = DenseMatrix.Multiply(vr, DenseMatrix.Multiply(vr, x, MtlEngine.Kernels.Gemm.MatrixOp.Transpose));
        AssertSmall(RelativeError(proj, x), 1e-12, "row space");
        // It solves the normal equations as well as pivoted QR's basic solution does.
        var xq = PivotedQr.Factor(a).LeastSquares(b);
        var ra = DenseMatrix.Multiply(a, x);
        var rq = DenseMatrix.Multiply(a, xq);
        AssertSmall(RelativeError(ra, rq), 1e-10, "same fitted values");
        Assert.True(x.FrobeniusNorm() <= xq.FrobeniusNorm() * (1 + 1e-12));
    }

    [Fact]
    public void RandomizedSvdRecoversALowRankMatrixAndIsSeeded()
    {
        var a = LowRank(120, 80, 5, 6);
        var exact = Svd.Compute(a);
        var r = RandomizedSvd.Compute(a, 5, seed: 42, parallelism: new Parallelism(2));
        for (int j = 0; j < 5; j++) Assert.Equal(1, r.SingularValues[j] / exact.SingularValues[j], 10);
        AssertSmall(RelativeError(r.Reconstruct(), a), 1e-12, "rank-5 reconstruction");
        AssertSmall(RelativeError(r.U, exact.U.SliceColumns(0, 5)), 1e-8, "same left vectors (sign convention)");
        var again = RandomizedSvd.Compute(a, 5, seed: 42);
        Assert.Equal(r.SingularValues, again.SingularValues);
        // A full-rank matrix: the leading values are close to the exact ones.
        var f = Random(100, 60, 3);
        var fe = Svd.Compute(f);
        var fr = RandomizedSvd.Compute(f, 3, oversampling: 20, powerIterations: 7, seed: 1);
        for (int j = 0; j < 3; j++) Assert.Equal(1, fr.SingularValues[j] / fe.SingularValues[j], 3);
    }
}
