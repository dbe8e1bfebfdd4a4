using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using MtlEngine.Tests.LinearAlgebra;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// PCA fits copy X onto a pooled array and factor that copy in place: the fit must leave X unchanged, must not depend on
/// what the pool held (bitwise), and a strided (non-contiguous) X must give the same model as its contiguous copy.
/// </summary>
public class PcaScratchTests
{
    private static MtlTensor<double> Data(int n, int d, int seed)
    {
        var r = new System.Random(seed);
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i * d + j] = Math.Sin(0.1 * (i + 1) * (j % 7 + 1)) * (j + 1) + 0.3 * r.NextDouble();
        return MtlTensor.FromArray(x, n, d);
    }

    private static void Identical(PcaModel a, PcaModel b, string what)
    {
        Assert.True(a.Components.ToArray().AsSpan().SequenceEqual(b.Components.ToArray()), what + ": components");
        Assert.Equal(a.ExplainedVariance, b.ExplainedVariance);
        Assert.Equal(a.SingularValues, b.SingularValues);
        Assert.Equal(a.Mean, b.Mean);
        Assert.Equal(a.NoiseVariance, b.NoiseVariance);
    }

    public static TheoryData<PcaSolver, int, int> Cases() => new()
    {
        { PcaSolver.Full, 300, 20 },        // QR of X_c in place, SVD of R
        { PcaSolver.Full, 20, 50 },         // wide: SVD of X_c
        { PcaSolver.Randomized, 300, 40 },
        { PcaSolver.Randomized, 30, 90 },   // wide: factored as the transpose
        { PcaSolver.Covariance, 300, 20 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FitLeavesXAloneAndDoesNotDependOnThePool(PcaSolver solver, int n, int d)
    {
        var x = Data(n, d, 1);
        var before = x.ToArray();
        var pca = new Pca(Components: 5, Solver: solver, Seed: 4, Parallelism: new Parallelism(2));
        var first = pca.Fit(x);
        Assert.Equal(before, x.ToArray());
        SvdQrScratchTests.PoisonPool();
        var second = pca.Fit(x);
        Identical(first, second, $"{solver} {n}×{d}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StridedXGivesTheSameModel(PcaSolver solver, int n, int d)
    {
        var x = Data(n, d, 2);
        var strided = MtlTensor.FromArray(x.Transpose().ToArray(), d, n).Transpose();   // (n, d) with strides (1, n)
        Assert.False(strided.IsContiguous);
        var pca = new Pca(Components: 4, Solver: solver, Seed: 1);
        Identical(pca.Fit(x), pca.Fit(strided), $"{solver} {n}×{d}");
    }
}
