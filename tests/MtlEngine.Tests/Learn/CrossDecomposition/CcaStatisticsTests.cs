using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>CCA from merged statistics (NIPALS in covariance form) against the row fit.</summary>
public class CcaStatisticsTests
{
    /// <summary>Two views sharing two latent signals of different strength, plus independent noise.</summary>
    private static (MtlTensor<double> X, MtlTensor<double> Y) Views(Random rng, int n, int p, int q)
    {
        var x = new double[n * p];
        var y = new double[n * q];
        for (int i = 0; i < n; i++)
        {
            double z1 = rng.NextDouble() - 0.5, z2 = rng.NextDouble() - 0.5;
            for (int j = 0; j < p; j++) x[i * p + j] = 10 + (j + 1) * z1 + (j % 2 == 0 ? 0.7 : -0.4) * z2 + 0.5 * (rng.NextDouble() - 0.5);
            for (int j = 0; j < q; j++) y[i * q + j] = -3 + z1 * (j == 0 ? 1 : 0.3) + z2 * (j == 1 ? 1 : -0.2) + 0.6 * (rng.NextDouble() - 0.5);
        }
        return (MtlTensor.FromArray(x, n, p), q == 1 ? MtlTensor.FromArray(y, n) : MtlTensor.FromArray(y, n, q));
    }

    [Theory]
    [InlineData(1, 4, 3, 2, true, 1e-6)]
    [InlineData(2, 5, 3, 3, false, 1e-6)]
    [InlineData(3, 3, 2, 2, true, 1e-20)]  // run to convergence (the iteration limit)
    [InlineData(4, 3, 1, 1, true, 1e-6)]   // a 1-D Y
    public void AnyMergeTreeGivesTheRowFit(int seed, int p, int q, int k, bool scale, double tolerance)
    {
        var rng = new Random(seed);
        var (x, y) = Views(rng, 120, p, q);
        var options = new Cca(k, scale, MaxIterations: 300, Tolerance: tolerance);
        var expected = options.Fit(x, y);
        var parts = StatisticsData.Partition(rng, 120, 5).Select(rows =>
        {
            var s = new CcaStatistics(p, q, vectorY: q == 1);
            s.Add(StatisticsData.Rows(x, rows), StatisticsData.Rows(y, rows));
            return s;
        }).ToList();
        var merged = FitStatistics.FromBytes<CcaStatistics>(StatisticsData.RandomMergeTree(rng, parts).ToBytes());
        var actual = merged.Fit(options);
        Assert.Equal(expected.Report.Iterations, actual.Report.Iterations);
        StatisticsData.Close(expected.XWeights.ToArray(), actual.XWeights.ToArray(), 1e-9, "x weights");
        StatisticsData.Close(expected.YWeights.ToArray(), actual.YWeights.ToArray(), 1e-9, "y weights");
        StatisticsData.Close(expected.XLoadings.ToArray(), actual.XLoadings.ToArray(), 1e-9, "x loadings");
        StatisticsData.Close(expected.XRotations.ToArray(), actual.XRotations.ToArray(), 1e-9, "x rotations");
        StatisticsData.Close(expected.YRotations.ToArray(), actual.YRotations.ToArray(), 1e-9, "y rotations");
        StatisticsData.Close(expected.CanonicalCorrelations, actual.CanonicalCorrelations, 1e-9, "correlations");
        StatisticsData.Close(expected.TransformX(x).ToArray(), actual.TransformX(x).ToArray(), 1e-9, "transform");
    }
}
