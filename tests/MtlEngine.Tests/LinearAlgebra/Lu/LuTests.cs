using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class LuTests
{
    [Fact]
    public void BlockedMatchesTextbookForEverySizeUpTo64()
    {
        for (int n = 0; n <= 64; n++)
        {
            var a = Random(n, n, 100 + n);
            var lu = Lu.Factor(a, default, blockSize: 5);
            var (factors, perm) = LuTextbook.Factor(a);
            Assert.Equal(perm, lu.Permutation);
            if (n == 0) continue;
            AssertSmall(RelativeError(lu.Factors, factors), 1e3 * n * Eps, $"n={n} twin");
            AssertSmall(RelativeError(lu.Reconstruct(), a), 8 * n * Eps, $"n={n} PA=LU");
        }
    }

    [Theory]
    [InlineData(150, 1)]
    [InlineData(260, 2)]
    public void SolvesManyRightHandSidesAndInverts(int n, int threads)
    {
        var a = Random(n, n, n);
        var lu = Lu.Factor(a, new Parallelism(threads));
        AssertSmall(RelativeError(lu.Reconstruct(), a), 8 * n * Eps, "PA=LU");
        var b = Random(n, 16, 5);
        var x = lu.Solve(b);
        AssertSmall(RelativeError(DenseMatrix.Multiply(a, x), b), 1e3 * n * Eps, "AX=B");
        var inv = lu.Inverse();
        AssertSmall(RelativeError(DenseMatrix.Multiply(inv, a), DenseMatrix.Identity(n)), 1e3 * n * Eps, "A⁻¹A=I");
        var v = lu.Solve(b.SliceColumns(3, 1).Data);
        AssertSmall(RelativeError(new DenseMatrix(n, 1, v), x.SliceColumns(3, 1)), 1e-12, "vector solve");
    }

    [Fact]
    public void DeterminantOfKnownMatrices()
    {
        Assert.Equal(-2, Lu.Factor(new double[,] { { 1, 2 }, { 3, 4 } }).Determinant(), 13);
        Assert.Equal(1, Lu.Factor(DenseMatrix.Identity(7)).Determinant());
        // det of a permutation (one swap) is −1.
        Assert.Equal(-1, Lu.Factor(new double[,] { { 0, 1 }, { 1, 0 } }).Determinant());
        // det(A·B) = det(A)·det(B).
        var a = Random(12, 12, 1);
        var b = Random(12, 12, 2);
        double dab = Lu.Factor(DenseMatrix.Multiply(a, b)).Determinant();
        Assert.Equal(1.0, dab / (Lu.Factor(a).Determinant() * Lu.Factor(b).Determinant()), 10);
    }

    [Fact]
    public void SingularMatrixIsReportedAndSolveThrows()
    {
        var a = new DenseMatrix(3, 3, new double[] { 1, 2, 3, 2, 4, 6, 1, 1, 1 });
        var lu = Lu.Factor(a);
        Assert.True(lu.IsSingular);
        Assert.Equal(0, lu.Determinant());
        Assert.Equal(0, lu.DeterminantSign());
        Assert.Throws<SingularMatrixException>(() => lu.Solve(new DenseMatrix(3, 1)));
        Assert.True(Lu.Factor(new DenseMatrix(4, 4)).IsSingular);
    }

    [Fact]
    public void PanelPivotTiesAndZeroColumnsMatchTheTwin()
    {
        // ±1 entries: every pivot search meets ties, which go to the first row (as LAPACK's i_amax), in the
        // column-major panel as in the textbook row form.
        int n = 70;
        var rng = new Random(7);
        var signs = new DenseMatrix(n, n);
        for (int i = 0; i < signs.Data.Length; i++) signs.Data[i] = rng.Next(2) == 0 ? -1 : 1;
        var lu = Lu.Factor(signs, default, blockSize: 16);
        var (factors, perm) = LuTextbook.Factor(signs);
        Assert.Equal(perm, lu.Permutation);
        AssertSmall(RelativeError(lu.Factors, factors), 1e3 * n * Eps, "ties: twin");
        // A zero column inside a panel: reported as singular, the factorization still reconstructs P·A.
        var a = Random(n, n, 8);
        for (int i = 0; i < n; i++) a[i, 40] = 0;
        var z = Lu.Factor(a, default, blockSize: 16);
        Assert.True(z.IsSingular);
        Assert.Equal(0, z.Determinant());
        AssertSmall(RelativeError(z.Reconstruct(), a), 8 * n * Eps, "zero column: PA=LU");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(32)]
    public void ZeroPivotInsideAPivotGroupIsExact(int blockSize)
    {
        // A = L·U with |l| = 1/2 below the diagonal and integer U whose u₉₉ = 0 (and L's column 9 zero, which a zero pivot
        // leaves as it is): every step is exact in binary floating point, partial pivoting keeps the rows in place, and
        // pivot 9 is exactly zero in the middle of a pivot group.
        int n = 24;
        var rng = new Random(11);
        var l = DenseMatrix.Identity(n);
        var u = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++) l[i, j] = j == 9 ? 0 : rng.Next(3) switch { 0 => 0, 1 => 0.5, _ => -0.5 };
            for (int j = i; j < n; j++) u[i, j] = rng.Next(1, 9) * (rng.Next(2) == 0 ? -1 : 1);
            u[i, i] = i == 9 ? 0 : 8;
        }
        var a = DenseMatrix.Multiply(l, u);
        var lu = Lu.Factor(a, default, blockSize);
        Assert.True(lu.IsSingular);
        Assert.Equal(Enumerable.Range(0, n), lu.Permutation);
        Assert.Equal(l.Data, lu.L.Data);
        Assert.Equal(u.Data, lu.U.Data);
    }

    [Fact]
    public void TeamSplitUpdatesGiveTheSameFactorsOnOneTwoAndThreeThreads()
    {
        // n = 1030: the look-ahead steps (128 columns, a ragged last one) run their shares on the team.
        var a = Random(1030, 1030, 21);
        var one = Lu.Factor(a, new Parallelism(1));
        foreach (int threads in new[] { 2, 3 })
        {
            var other = Lu.Factor(a, new Parallelism(threads));
            Assert.Equal(one.Permutation, other.Permutation);
            Assert.Equal(one.Factors.Data, other.Factors.Data);
        }
        AssertSmall(RelativeError(one.Reconstruct(), a), 8 * 1030 * Eps, "PA=LU");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void LookAheadStepsMatchTheTextbookTwinOnAnyTeam(int threads)
    {
        // Leaves of 3 columns, steps of 12: 44 steps with a ragged last one, each factoring the next step's columns
        // while the trailing ones are updated; n ≥ the team order, so 2 and 3 threads run the shares on a team.
        int n = Lu.TeamOrder + 7;
        var a = Random(n, n, 31);
        var lu = Lu.Factor(a, new Parallelism(threads), blockSize: 3);
        var (factors, perm) = LuTextbook.Factor(a);
        Assert.Equal(perm, lu.Permutation);
        AssertSmall(RelativeError(lu.Factors, factors), 1e3 * n * Eps, "look-ahead: twin");
        var one = Lu.Factor(a, new Parallelism(1), blockSize: 3);
        Assert.Equal(one.Factors.Data, lu.Factors.Data);
    }

    [Fact]
    public void HilbertSolveHasSmallResidual()
    {
        var h = Hilbert(12);
        var lu = Lu.Factor(h, default, blockSize: 4);
        var b = Random(12, 2, 3);
        var x = lu.Solve(b);
        // Backward stable: the residual is small even though κ(H₁₂) ≈ 1.7e16.
        var r = DenseMatrix.Multiply(h, x);
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] -= b.Data[i];
        AssertSmall(r.FrobeniusNorm() / (h.FrobeniusNorm() * x.FrobeniusNorm()), 100 * 12 * Eps, "Hilbert backward error");
        AssertSmall(RelativeError(lu.Reconstruct(), h), 100 * Eps, "Hilbert PA=LU");
    }
}
