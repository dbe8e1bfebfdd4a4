using MtlEngine.Learn;
using MtlEngine.Learn.Preprocessing;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>PCA and scaler statistics: any partition and merge tree gives the one-shot fit; the binary format round-trips.</summary>
public class DecompositionStatisticsTests
{
    /// <summary>X = latent·mixing + offset: a spectrum with clear gaps (so the components are determined to 1e-10).</summary>
    private static MtlTensor<double> Spread(Random rng, int n, int d, double offset)
    {
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                x[i * d + j] = offset + (rng.NextDouble() - 0.5) * (j + 1) * (1 + 0.3 * j) + 0.2 * (rng.NextDouble() - 0.5) * (i % 3);
        return MtlTensor.FromArray(x, n, d);
    }

    private static List<T> Parts<T>(Random rng, MtlTensor<double> x, Func<T> empty, Action<T, MtlTensor<double>> add)
    {
        return [.. StatisticsData.Partition(rng, x.Dim(0), 1 + rng.Next(6)).Select(rows =>
        {
            var s = empty();
            add(s, StatisticsData.Rows(x, rows));
            return s;
        })];
    }

    [Theory]
    [InlineData(1, 120, 6, null)]
    [InlineData(2, 80, 9, 4)]
    [InlineData(3, 7, 5, 3)]      // fewer samples than features
    public void PcaFromAnyMergeTreeEqualsTheCovarianceFitUpToSign(int seed, int n, int d, int? k)
    {
        var rng = new Random(seed);
        var x = Spread(rng, n, d, offset: 100);
        var options = new Pca(Components: k, Solver: PcaSolver.Covariance);
        var expected = options.Fit(x);
        for (int trial = 0; trial < 3; trial++)
        {
            var merged = StatisticsData.RandomMergeTree(rng, Parts(rng, x, () => new PcaStatistics(d), (s, b) => s.Add(b)));
            var actual = merged.Fit(options);
            StatisticsData.Close(expected.Mean, actual.Mean, 1e-10, "mean");
            StatisticsData.Close(expected.ExplainedVariance, actual.ExplainedVariance, 1e-10, "explained variance");
            StatisticsData.Close(expected.ExplainedVarianceRatio, actual.ExplainedVarianceRatio, 1e-10, "ratio");
            StatisticsData.Close(expected.SingularValues, actual.SingularValues, 1e-10, "singular values");
            Assert.Equal(expected.NoiseVariance, actual.NoiseVariance, 1e-10);
            var e = expected.Components.ToArray();
            var a = actual.Components.ToArray();
            int kk = expected.ComponentCount;
            for (int j = 0; j < kk; j++)
            {
                // up to sign; and the v-based rule: the largest-magnitude entry is positive
                var ej = e.AsSpan(j * d, d).ToArray();
                var aj = a.AsSpan(j * d, d).ToArray();
                double sign = ej.Zip(aj, (p, q) => p * q).Sum() < 0 ? -1 : 1;
                StatisticsData.Close([.. ej.Select(v => sign * v)], aj, 1e-9, $"component {j}");
                Assert.True(aj.MaxBy(Math.Abs) > 0);
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(null)]
    public void IncrementalPcaFromStatisticsEqualsOneBatchHoldingAllRows(int? k)
    {
        var rng = new Random(6);
        var x = Spread(rng, 90, 5, offset: 40);
        var expected = new IncrementalPca(Components: k, BatchSize: 90).Fit(x);
        var merged = StatisticsData.RandomMergeTree(rng, Parts(rng, x, () => new PcaStatistics(5), (s, b) => s.Add(b)));
        var actual = merged.FitIncremental(new IncrementalPca(Components: k));
        StatisticsData.Close(expected.Components.ToArray(), actual.Components.ToArray(), 1e-9, "components (both v-based)");
        StatisticsData.Close(expected.ExplainedVariance, actual.ExplainedVariance, 1e-10, "variance");
        StatisticsData.Close(expected.SingularValues, actual.SingularValues, 1e-10, "singular values");
        StatisticsData.Close(expected.Variance, actual.Variance, 1e-10, "per-feature variance");
        StatisticsData.Close(expected.Mean, actual.Mean, 1e-12, "mean");
        Assert.Equal(expected.SamplesSeen, actual.SamplesSeen);
        // and it goes on taking batches like a fitted IncrementalPCA
        var more = Spread(rng, 20, 5, offset: 40);
        StatisticsData.Close(expected.PartialFit(more).Components.ToArray(), actual.PartialFit(more).Components.ToArray(), 1e-9, "after another batch");
    }

    [Fact]
    public void PcaVarianceFractionAndRoundTrip()
    {
        var rng = new Random(4);
        var x = Spread(rng, 60, 5, offset: -3);
        var s = PcaStatistics.From(x);
        var expected = new Pca(VarianceFraction: 0.8, Solver: PcaSolver.Covariance).Fit(x);
        var back = FitStatistics.FromBytes<PcaStatistics>(s.ToBytes());
        var actual = back.Fit(new Pca(VarianceFraction: 0.8));
        Assert.Equal(expected.ComponentCount, actual.ComponentCount);
        StatisticsData.Close(expected.ExplainedVariance, actual.ExplainedVariance, 1e-10, "variance");
        Assert.Throws<LearnInputException>(() => s.Add(new double[5], [], [1.0]));
    }

    [Fact]
    public void ScalersFromAnyMergeTreeEqualTheOneShotFit()
    {
        var rng = new Random(5);
        var x = Spread(rng, 77, 4, offset: 1e6);
        var standard = new StandardScaler().Fit(x);
        var minMax = new MinMaxScaler(-1, 2).Fit(x);
        for (int trial = 0; trial < 3; trial++)
        {
            var s = StatisticsData.RandomMergeTree(rng, Parts(rng, x, () => new StandardScalerStatistics(4), (p, b) => p.Add(b)));
            var fitted = FitStatistics.FromBytes<StandardScalerStatistics>(s.ToBytes()).Fit(new StandardScaler());
            StatisticsData.Close(standard.Mean, fitted.Mean, 1e-12, "mean");
            StatisticsData.Close(standard.Variance, fitted.Variance, 1e-10, "variance");
            StatisticsData.Close(standard.Scale, fitted.Scale, 1e-10, "scale");
            Assert.Equal(77, fitted.SamplesSeen);
            var m = StatisticsData.RandomMergeTree(rng, Parts(rng, x, () => new MinMaxScalerStatistics(4), (p, b) => p.Add(b)));
            var mm = FitStatistics.FromBytes<MinMaxScalerStatistics>(m.ToBytes()).Fit(new MinMaxScaler(-1, 2));
            Assert.Equal(minMax.DataMin, mm.DataMin);
            Assert.Equal(minMax.DataMax, mm.DataMax);
            Assert.Equal(minMax.Scale, mm.Scale);
        }
        Assert.Throws<LearnInputException>(() => new StandardScalerStatistics(4).Fit(new StandardScaler()));
    }
}
