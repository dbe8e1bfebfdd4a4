using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class EigenTests
{
    private static void AssertDecomposition(DenseMatrix a, SymmetricEigen eig, double tolerance, string what)
    {
        int n = a.Rows;
        for (int j = 1; j < n; j++) Assert.True(eig.Values[j - 1] <= eig.Values[j], $"{what}: ascending");
        var v = eig.Vectors!;
        AssertSmall(OrthogonalityError(v), tolerance, $"{what}: VᵀV=I");
        // A·V = V·Λ, relative to ‖A‖.
        var av = DenseMatrix.Multiply(a, v);
        double err = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) err = Math.Max(err, Math.Abs(av[i, j] - v[i, j] * eig.Values[j]));
        double norm = Math.Max(a.FrobeniusNorm(), 1e-300);
        AssertSmall(n == 0 ? 0 : err / norm, tolerance, $"{what}: AV=VΛ");
    }

    [Fact]
    public void FastMatchesJacobiTwinForEverySizeUpTo64()
    {
        for (int n = 0; n <= 64; n++)
        {
            var a = Symmetric(n, 500 + n);
            var eig = SymmetricEigen.Compute(a);
            AssertDecomposition(a, eig, 50 * (n + 1) * Eps, $"n={n}");
            var (values, vectors) = JacobiEigenTextbook.Compute(a);
            for (int j = 0; j < n; j++) Assert.True(Math.Abs(values[j] - eig.Values[j]) <= 50 * (n + 1) * Eps * Math.Max(1, a.FrobeniusNorm()), $"n={n} λ{j}");
            if (n > 0) AssertSmall(RelativeError(eig.Vectors!, vectors), 1e-8, $"n={n} vectors (distinct eigenvalues, same signs)");
        }
    }

    [Fact]
    public void RepeatedAndClusteredEigenvalues()
    {
        var values = new double[] { 1, 1, 1, 2, 2, 3, 3 + 1e-12, 3 + 2e-12, -5, 0, 0, 7 };
        var a = WithEigenvalues(values, 9);
        var eig = SymmetricEigen.Compute(a, parallelism: new Parallelism(2));
        AssertDecomposition(a, eig, 200 * Eps, "clustered");
        var sorted = values.OrderBy(x => x).ToArray();
        for (int j = 0; j < values.Length; j++) Assert.Equal(sorted[j], eig.Values[j], 12);
    }

    [Theory]
    [InlineData(150)]
    [InlineData(257)]
    public void LargerMatricesAndThreads(int n)
    {
        var a = Symmetric(n, n);
        var eig = SymmetricEigen.Compute(a, true, new Parallelism(2));
        AssertDecomposition(a, eig, 20 * n * Eps, $"n={n}");
        AssertSmall(RelativeError(eig.Reconstruct(), a), 20 * n * Eps, "VΛVᵀ=A");
        var valuesOnly = SymmetricEigen.Compute(a, computeVectors: false);
        Assert.Null(valuesOnly.Vectors);
        for (int j = 0; j < n; j++) Assert.Equal(eig.Values[j], valuesOnly.Values[j], 10);
        var top = SymmetricEigen.Largest(a, 5);
        for (int j = 0; j < 5; j++) Assert.Equal(eig.Values[n - 5 + j], top.Values[j], 11);
        AssertSmall(RelativeError(top.Vectors!, eig.Vectors!.SliceColumns(n - 5, 5)), 1e-9, "top-5 vectors");
    }

    [Fact]
    public void ZeroIdentityDiagonalAndHilbert()
    {
        var z = SymmetricEigen.Compute(new DenseMatrix(5, 5));
        Assert.All(z.Values, v => Assert.Equal(0, v));
        AssertSmall(OrthogonalityError(z.Vectors!), 0, "zero: V orthogonal");
        var i = SymmetricEigen.Compute(DenseMatrix.Identity(6));
        Assert.All(i.Values, v => Assert.Equal(1, v, 15));
        var h = Hilbert(12);
        var eig = SymmetricEigen.Compute(h);
        AssertDecomposition(h, eig, 100 * Eps, "Hilbert");
        Assert.True(eig.Values[0] > 0 || Math.Abs(eig.Values[0]) < 1e-15);
    }

    [Fact]
    public void SignConventionLargestEntryPositive()
    {
        var eig = SymmetricEigen.Compute(Symmetric(20, 3));
        var v = eig.Vectors!;
        for (int j = 0; j < 20; j++)
        {
            int best = 0;
            for (int i = 1; i < 20; i++) if (Math.Abs(v[i, j]) > Math.Abs(v[best, j])) best = i;
            Assert.True(v[best, j] > 0);
        }
    }
}
