using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class IterativeTests
{
    [Fact]
    public void ConjugateGradientAgreesWithCholesky()
    {
        var a = Spd(80, 1);
        var b = Random(80, 1, 2).Data;
        var cg = ConjugateGradient.Solve(a, b, tolerance: 1e-12);
        Assert.True(cg.Converged);
        Assert.True(cg.Iterations <= 80);
        var exact = Cholesky.Factor(a).Solve(b);
        AssertSmall(RelativeError(new DenseMatrix(80, 1, cg.Solution), new DenseMatrix(80, 1, exact)), 1e-10, "CG vs Cholesky");
        Assert.Throws<NotPositiveDefiniteException>(() => ConjugateGradient.Solve(DenseMatrix.Identity(3).Also(m => m[1, 1] = -1), new double[] { 0, 1, 0 }));
        Assert.Equal(0, ConjugateGradient.Solve(a, new double[80]).Iterations);
    }

    [Fact]
    public void LsqrAgreesWithQrAndSolvesRidge()
    {
        var a = Random(120, 30, 3);
        var b = Random(120, 1, 4).Data;
        var ls = Lsqr.Solve(a, b, tolerance: 1e-14, maxIterations: 500);
        Assert.True(ls.Converged, $"iterations {ls.Iterations} residual {ls.ResidualNorm}");
        Assert.True(ls.Iterations > 25, $"iterations {ls.Iterations} residual {ls.ResidualNorm}");
        var qr = Qr.Factor(a).LeastSquares(b);
        AssertSmall(RelativeError(new DenseMatrix(30, 1, ls.Solution), new DenseMatrix(30, 1, qr)), 1e-9, "LSQR vs QR");
        // Ridge: (AᵀA + λI)·x = Aᵀb with λ = damp².
        double damp = 0.7;
        var ridge = Lsqr.Solve(a, b, damp, tolerance: 1e-14, maxIterations: 500);
        var ata = DenseMatrix.Multiply(a, a, MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        for (int i = 0; i < 30; i++) ata[i, i] += damp * damp;
        var atb = DenseMatrix.Multiply(a, new DenseMatrix(120, 1, b), MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        var exact = Cholesky.Factor(ata).Solve(atb);
        AssertSmall(RelativeError(new DenseMatrix(30, 1, ridge.Solution), exact), 1e-9, "LSQR ridge vs Cholesky");
        // Underdetermined consistent system: LSQR from x = 0 gives the minimum-norm solution, as the SVD does.
        var wide = Random(10, 25, 5);
        var bw = Random(10, 1, 6);
        var lw = Lsqr.Solve(wide, bw.Data, tolerance: 1e-14, maxIterations: 500);
        AssertSmall(RelativeError(new DenseMatrix(25, 1, lw.Solution), Svd.Compute(wide).LeastSquares(bw)), 1e-9, "min-norm");
    }

    [Fact]
    public void ConditionAndRankEstimates()
    {
        var h = Hilbert(6);
        double k2 = ConditionEstimate.TwoNorm(h);
        Assert.Equal(1.495105864e7, k2, 1e7 * 1e-6);
        double k1 = ConditionEstimate.OneNorm(h, Lu.Factor(h));
        // κ₁(H₆) = 2.907e7 exactly (‖H‖₁·‖H⁻¹‖₁); the estimate never exceeds it and is usually exact.
        Assert.InRange(k1, 2.9e7 * 0.3, 2.907027e7 * (1 + 1e-6));
        Assert.Equal(1, ConditionEstimate.OneNorm(DenseMatrix.Identity(5), Lu.Factor(DenseMatrix.Identity(5))), 12);
        Assert.Equal(4, ConditionEstimate.Rank(LowRank(20, 15, 4, 1)));
        Assert.Equal(double.PositiveInfinity, ConditionEstimate.OneNorm(new DenseMatrix(3, 3), Lu.Factor(new DenseMatrix(3, 3))));
    }

    [Fact]
    public void DenseSolvesGiveTheSameBitsOnAnyThreadCount()
    {
        // Large enough for DenseOperator to split its products (m·n above three threads' worth of multiply-adds).
        var a = Random(600, 400, 3);
        var b = Random(600, 1, 4).Data;
        var spd = Spd(500, 5);
        var c = Random(500, 1, 6).Data;
        var lsqr = Lsqr.Solve(a, b, damp: 0.5, tolerance: 1e-12, parallelism: Parallelism.Sequential);
        var cg = ConjugateGradient.Solve(spd, c, tolerance: 1e-12, parallelism: Parallelism.Sequential);
        Assert.True(lsqr.Converged && cg.Converged);
        foreach (Parallelism? p in new Parallelism?[] { null, new Parallelism(2), new Parallelism(3) })
        {
            var l = Lsqr.Solve(a, b, damp: 0.5, tolerance: 1e-12, parallelism: p);
            var g = ConjugateGradient.Solve(spd, c, tolerance: 1e-12, parallelism: p);
            Assert.Equal(lsqr.Solution, l.Solution);
            Assert.Equal(lsqr.Iterations, l.Iterations);
            Assert.Equal(cg.Solution, g.Solution);
            Assert.Equal(cg.Iterations, g.Iterations);
        }
    }
}

internal static class TestExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
