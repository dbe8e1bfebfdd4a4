using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class SvdRandomizedTests
{
    /// <summary>
    /// A decaying spectrum σᵢ = 0.8ⁱ (200×120). scikit-learn's randomized_svd (k = 10, 10 oversamples) gets the ten values
    /// to a relative 1e-5 with one power iteration and to ~2e-15 with four, and its rank-10 error is the optimal one
    /// (σ₁₀ in the 2-norm); the same bounds hold here.
    /// </summary>
    [Fact]
    public void MatchesScikitLearnQualityOnADecayingSpectrum()
    {
        int m = 200, n = 120, k = 10;
        var q1 = Orthogonal(m, 11).SliceColumns(0, n);
        var q2 = Orthogonal(n, 12);
        var s = Enumerable.Range(0, n).Select(i => Math.Pow(0.8, i)).ToArray();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) q1[i, j] *= s[j];
        var a = DenseMatrix.Multiply(q1, q2, MatrixOp.None, MatrixOp.Transpose);
        double optimal = Math.Sqrt(s.Skip(k).Sum(x => x * x));
        foreach (var (iterations, tolerance) in new[] { (1, 1e-4), (4, 1e-12) })
        {
            for (ulong seed = 0; seed < 3; seed++)
            {
                var r = RandomizedSvd.Compute(a, k, oversampling: 10, powerIterations: iterations, seed: seed, parallelism: new Parallelism(2));
                for (int j = 0; j < k; j++)
                    Assert.True(Math.Abs(r.SingularValues[j] - s[j]) <= tolerance * s[j], $"q={iterations} seed={seed} σ{j}: {r.SingularValues[j]} vs {s[j]}");
                var residual = r.Reconstruct();
                for (int i = 0; i < residual.Data.Length; i++) residual.Data[i] = a.Data[i] - residual.Data[i];
                Assert.True(residual.FrobeniusNorm() <= optimal * (1 + 10 * tolerance), $"q={iterations} seed={seed}: rank-{k} error {residual.FrobeniusNorm()} vs optimal {optimal}");
                AssertSmall(OrthogonalityError(r.U), 1e-13, "UᵀU=I");
                AssertSmall(OrthogonalityError(r.V), 1e-13, "VᵀV=I");
            }
        }
        // Wide input and the same seed on another thread count: bitwise the same.
        var wide = a.Transpose();
        var w1 = RandomizedSvd.Compute(wide, k, seed: 5, parallelism: new Parallelism(1));
        var w3 = RandomizedSvd.Compute(wide, k, seed: 5, parallelism: new Parallelism(3));
        Assert.Equal(w1.SingularValues, w3.SingularValues);
        Assert.Equal(w1.U.Data, w3.U.Data);
        for (int j = 0; j < k; j++) Assert.True(Math.Abs(w1.SingularValues[j] - s[j]) <= 1e-12 * s[j], $"wide σ{j}");
    }
}
