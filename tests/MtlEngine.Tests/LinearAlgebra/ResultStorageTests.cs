using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>The workspace forms that put results on the caller's storage (reused in loops) against the allocating calls.</summary>
public class ResultStorageTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(90)]
    public void Lu_into_reused_storage_is_bitwise_the_allocating_factorization(int n)
    {
        var storage = new DenseMatrix(n, n);
        storage.Data.AsSpan().Fill(double.NaN);   // stale contents must not leak into the result
        var b = Random(n, 3, 7);
        foreach (int seed in new[] { 1, 2 })
        {
            var a = Random(n, n, seed);
            var reference = Lu.Factor(a, new Parallelism(2));
            var reused = Lu.Factor(a, storage, new Parallelism(2));
            Assert.Same(storage, reused.Factors);
            Assert.Equal(reference.Factors.Data, reused.Factors.Data);
            Assert.Equal(reference.Permutation, reused.Permutation);
            Assert.Equal(reference.Solve(b).Data, reused.Solve(b).Data);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(80)]
    [InlineData(380)]   // n² above FirstTouch.ParallelLength: the storage is cleared on a second thread during the reduction
    public void Eigh_into_reused_storage_is_bitwise_the_allocating_decomposition(int n)
    {
        var workspace = new SymmetricEigenWorkspace();
        var vectors = new DenseMatrix(n, n);
        vectors.Data.AsSpan().Fill(double.NaN);   // divide and conquer must not read what the storage held
        foreach (int seed in new[] { 3, 4 })
        {
            var a = Symmetric(n, seed);
            var reference = SymmetricEigen.Compute(a, true, new Parallelism(2));
            var reused = SymmetricEigen.Compute(a, workspace, vectors, new Parallelism(2));
            Assert.Same(vectors, reused.Vectors);
            Assert.Equal(reference.Values, reused.Values);
            Assert.Equal(reference.Vectors!.Data, reused.Vectors!.Data);
            var oneThread = SymmetricEigen.Compute(a, true, new Parallelism(1));
            Assert.Equal(oneThread.Values, reused.Values);
            Assert.Equal(oneThread.Vectors!.Data, reused.Vectors!.Data);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(211)]
    public void Cholesky_into_reused_storage_is_bitwise_the_allocating_factorization(int n)
    {
        var storage = new DenseMatrix(n, n);
        storage.Data.AsSpan().Fill(double.NaN);   // stale contents must not leak into the result
        var b = Random(n, 3, 7);
        foreach (int seed in new[] { 1, 2 })
        {
            var a = Spd(n, seed);
            var reference = CholeskyTextbook.Factor(a);
            var fresh = Cholesky.Factor(a, new Parallelism(2));
            var upperless = a.Clone();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) upperless[i, j] = double.NaN;   // A's upper triangle is not read
            var reused = Cholesky.Factor(upperless, storage, new Parallelism(2));
            Assert.Same(storage, reused.L);
            Assert.Equal(fresh.L.Data, reused.L.Data);
            AssertSmall(RelativeError(reused.L, reference), 20 * (n + 1) * Eps, $"n={n} twin");
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    Assert.Equal(0.0, reused.L[i, j]);
            Assert.Equal(fresh.Solve(b).Data, reused.Solve(b).Data);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(30, 23)]   // bidiagonalized directly
    [InlineData(90, 33)]   // QR first (m ≥ 1.6·n)
    [InlineData(23, 41)]   // wide: the SVD of Aᵀ
    public void Svd_into_reused_storage_is_bitwise_the_allocating_decomposition(int m, int n)
    {
        int k = Math.Min(m, n);
        var u = new DenseMatrix(m, k);
        var v = new DenseMatrix(n, k);
        u.Data.AsSpan().Fill(double.NaN);   // stale contents must not leak into the result
        v.Data.AsSpan().Fill(double.NaN);
        foreach (int seed in new[] { 5, 6 })
        {
            var a = Random(m, n, seed);
            var reference = Svd.Compute(a, new Parallelism(2));
            var reused = Svd.Compute(a, u, v, new Parallelism(2));
            Assert.Same(u, reused.U);
            Assert.Same(v, reused.V);
            Assert.Equal(reference.SingularValues, reused.SingularValues);
            Assert.Equal(reference.U.Data, reused.U.Data);
            Assert.Equal(reference.V.Data, reused.V.Data);
            AssertSmall(RelativeError(reused.Reconstruct(new Parallelism(2)), a), 20 * (m + n) * Eps, $"{m}×{n} U·Σ·Vᵀ = A");
        }
    }

    [Fact]
    public void Storage_of_the_wrong_shape_is_refused_with_the_shapes()
    {
        var svdShapes = Assert.Throws<MatrixShapeException>(() => Svd.Compute(Random(5, 4, 1), new DenseMatrix(5, 4), new DenseMatrix(5, 4))).Message;
        Assert.Contains("V storage of shape (4, 4)", svdShapes);
        Assert.Contains("shapes (5, 4) and (5, 4)", svdShapes);
        var a = Random(4, 4, 1);
        Assert.Contains("(4, 4)", Assert.Throws<MatrixShapeException>(() => Cholesky.Factor(Spd(4, 1), new DenseMatrix(4, 5))).Message);
        Assert.Contains("(4, 4)", Assert.Throws<MatrixShapeException>(() => Lu.Factor(a, new DenseMatrix(4, 5))).Message);
        Assert.Contains("(3, 3)", Assert.Throws<MatrixShapeException>(() => SymmetricEigen.Compute(Symmetric(4, 1), new SymmetricEigenWorkspace(), new DenseMatrix(3, 3))).Message);
    }
}
