using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// The merge identities of <see cref="RidgeStatistics"/>: statistics of any partition of the rows, merged in any order and
/// grouping, give the one-shot <see cref="Ridge"/> fit to 1e-10; the binary format round-trips and refuses damage.
/// </summary>
public class RidgeStatisticsTests
{
    [Theory]
    [InlineData(1, 200, 7, 1, true, false)]
    [InlineData(2, 150, 5, 3, true, true)]
    [InlineData(3, 90, 12, 2, false, true)]
    [InlineData(4, 33, 40, 1, true, false)]   // more features than samples: the one-shot fit takes the kernel form
    [InlineData(5, 64, 3, 4, false, false)]
    public void AnyPartitionAndMergeTreeGivesTheOneShotFit(int seed, int n, int d, int t, bool intercept, bool weighted)
    {
        var rng = new Random(seed);
        // Means of 500 against a spread of 1 with an intercept (the centred sums must not cancel); without one the raw
        // XᵀX of such data has a condition of ~1e6 and neither fit is accurate to 1e-10, so the means are kept small.
        var (x, y, w) = StatisticsData.Regression(rng, n, d, t, offset: intercept ? 500 : 2);
        var options = new Ridge(Alphas: [.. Enumerable.Range(0, t).Select(j => 0.5 + j)], FitIntercept: intercept);
        var expected = options.Fit(x, y, weighted ? w : null);
        for (int trial = 0; trial < 4; trial++)
        {
            var parts = StatisticsData.Partition(rng, n, parts: 1 + rng.Next(7)).Select(rows =>
            {
                var s = new RidgeStatistics(d, t, vectorTarget: t == 1);
                s.Add(StatisticsData.Rows(x, rows), StatisticsData.Rows(y, rows), weighted ? [.. rows.Select(i => w[i])] : null);
                return s;
            }).ToList();
            var merged = StatisticsData.RandomMergeTree(rng, parts);
            Assert.Equal(n, merged.Rows);
            var actual = merged.Fit(options);
            StatisticsData.Close(expected.Coefficients.ToArray(), actual.Coefficients.ToArray(), 1e-10, $"coefficients, trial {trial}");
            StatisticsData.Close(expected.Intercept, actual.Intercept, 1e-10, $"intercept, trial {trial}");
            Assert.Equal(expected.VectorTarget, actual.VectorTarget);
        }
    }

    [Fact]
    public void WeightsEqualRepeatedRowsAndZeroWeightsEqualAbsentRows()
    {
        var rng = new Random(11);
        var (x, y, _) = StatisticsData.Regression(rng, 40, 4, 2, offset: 3);
        var weights = Enumerable.Range(0, 40).Select(i => (double)(i % 3)).ToArray(); // 0, 1, 2
        var weighted = RidgeStatistics.From(x, y, weights).Fit(new Ridge(Alpha: 2));
        var repeated = Enumerable.Range(0, 40).SelectMany(i => Enumerable.Repeat(i, i % 3)).ToArray();
        var plain = new Ridge(Alpha: 2).Fit(StatisticsData.Rows(x, repeated), StatisticsData.Rows(y, repeated));
        StatisticsData.Close(plain.Coefficients.ToArray(), weighted.Coefficients.ToArray(), 1e-10, "weights = repeats");
        StatisticsData.Close(plain.Intercept, weighted.Intercept, 1e-10, "weights = repeats (intercept)");
    }

    [Fact]
    public void EmptyBlocksChangeNothingAndOneRowFits()
    {
        var rng = new Random(12);
        var (x, y, _) = StatisticsData.Regression(rng, 1, 3, 1, offset: 0);
        var s = new RidgeStatistics(3, 1);
        s.Add([], [], []);
        s.Merge(new RidgeStatistics(3, 1));
        Assert.Equal(0, s.Rows);
        Assert.Throws<LearnInputException>(() => s.Fit(new Ridge()));
        s.Add(x.ToArray(), y.ToArray(), []);
        var expected = new Ridge(Alpha: 1).Fit(x, MtlTensor.FromArray(y.ToArray(), 1, 1));
        StatisticsData.Close(expected.Coefficients.ToArray(), s.Fit(new Ridge(Alpha: 1)).Coefficients.ToArray(), 1e-12, "one row");
        var zero = new RidgeStatistics(3, 1);
        zero.Add(x.ToArray(), y.ToArray(), [0.0]);
        Assert.Equal(1, zero.Rows);
        Assert.Contains("sum to zero", Assert.Throws<LearnInputException>(() => zero.Fit(new Ridge())).Message);
    }

    [Fact]
    public void CentredMergeKeepsPrecisionWhereRawSumsCancel()
    {
        // Features of mean 1e8 and spread 1: Σx² − n·x̄² loses all 16 digits; the centred merge keeps the scatter.
        var rng = new Random(13);
        int n = 64;
        var xs = Enumerable.Range(0, n).Select(_ => 1e8 + rng.NextDouble()).ToArray();
        var s = new RidgeStatistics(1, 1);
        for (int i = 0; i < n; i++) s.Add(xs.AsSpan(i, 1), [xs[i]], []);
        double mean = xs.Average();
        double scatter = xs.Sum(v => (v - mean) * (v - mean));
        StatisticsData.Close([scatter], s.FeatureScatter.ToArray(), 1e-7, "scatter of one feature at 1e8");
    }

    [Fact]
    public void SaveLoadRoundTripsBitForBitAndRefusesDamage()
    {
        var rng = new Random(14);
        var (x, y, w) = StatisticsData.Regression(rng, 30, 5, 2, offset: 1);
        var s = RidgeStatistics.From(x, y, w);
        var bytes = s.ToBytes();
        var back = FitStatistics.FromBytes<RidgeStatistics>(bytes);
        Assert.Equal(bytes, back.ToBytes());
        Assert.Equal(s.Rows, back.Rows);
        Assert.Equal(s.Fit(new Ridge()).Coefficients.ToArray(), back.Fit(new Ridge()).Coefficients.ToArray());
        Assert.Equal((byte)'M', bytes[0]);
        var corrupt = (byte[])bytes.Clone();
        corrupt[40] ^= 1;
        Assert.Contains("CRC", Assert.Throws<DataFormatException>(() => FitStatistics.FromBytes<RidgeStatistics>(corrupt)).Message);
        Assert.Contains("truncated", Assert.Throws<DataFormatException>(() => FitStatistics.FromBytes<RidgeStatistics>(bytes[..^9])).Message);
        var pca = new PcaStatistics(5);
        Assert.Contains("kind", Assert.Throws<DataFormatException>(() => FitStatistics.FromBytes<RidgeStatistics>(pca.ToBytes())).Message);
    }

    [Fact]
    public void MismatchedShapesAreRefused()
    {
        var s = new RidgeStatistics(3, 2);
        Assert.Throws<LearnInputException>(() => s.Merge(new RidgeStatistics(4, 2)));
        Assert.Throws<LearnInputException>(() => s.Add(new double[7], new double[4], []));
        Assert.Throws<LearnInputException>(() => s.Add(new double[6], new double[4], [1.0, -1.0]));
        Assert.Throws<LearnInputException>(() => s.Add([0, 0, double.NaN], [0, 0], []));
    }

    [Theory]
    [InlineData(RidgeSolver.Eigen)]
    [InlineData(RidgeSolver.Svd)]
    [InlineData(RidgeSolver.ConjugateGradient)]
    public void EverySolverGivesTheCholeskyModel(RidgeSolver solver)
    {
        var rng = new Random(15);
        var (x, y, _) = StatisticsData.Regression(rng, 50, 6, 2, offset: 2);
        var s = RidgeStatistics.From(x, y);
        var reference = new Ridge(Alpha: 0.3).Fit(x, y);
        var model = s.Fit(new Ridge(Alpha: 0.3, Solver: solver));
        StatisticsData.Close(reference.Coefficients.ToArray(), model.Coefficients.ToArray(), 1e-10, solver.ToString());
    }

    [Fact]
    public void RankDeficientWithoutPenaltyFallsBackToTheMinimumNormSolution()
    {
        var rng = new Random(16);
        var (x0, y, _) = StatisticsData.Regression(rng, 30, 3, 1, offset: 0);
        var xv = x0.ToArray();
        var x = MtlTensor.FromArray([.. Enumerable.Range(0, 30).SelectMany(i => new[] { xv[3 * i], xv[3 * i + 1], xv[3 * i] + xv[3 * i + 1] })], 30, 3);
        var reference = new Ridge(Alpha: 0, Solver: RidgeSolver.Svd).Fit(x, y);
        var model = RidgeStatistics.From(x, y).Fit(new Ridge(Alpha: 0));
        Assert.Equal(RidgeSolver.Eigen, model.Report.Solver);
        StatisticsData.Close(reference.Coefficients.ToArray(), model.Coefficients.ToArray(), 1e-8, "minimum norm");
    }
}

/// <summary>Data, partitions and merge trees shared by the statistics tests.</summary>
internal static class StatisticsData
{
    /// <summary>X (n, d) with column means near <paramref name="offset"/>, Y = X·B + noise (n, t; 1-D when t = 1), weights in [0.1, 2].</summary>
    public static (MtlTensor<double> X, MtlTensor<double> Y, double[] W) Regression(Random rng, int n, int d, int t, double offset)
    {
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = offset * (1 + (i % d)) / d + rng.NextDouble() * 2 - 1;
        var b = Enumerable.Range(0, d * t).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var y = new double[n * t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < t; j++)
            {
                double v = 0.1 * (rng.NextDouble() - 0.5) + j;
                for (int k = 0; k < d; k++) v += x[i * d + k] * b[k * t + j];
                y[i * t + j] = v;
            }
        var w = Enumerable.Range(0, n).Select(_ => 0.1 + 1.9 * rng.NextDouble()).ToArray();
        return (MtlTensor.FromArray(x, n, d), t == 1 ? MtlTensor.FromArray(y, n) : MtlTensor.FromArray(y, n, t), w);
    }

    /// <summary>The rows 0..n−1 shuffled and cut into <paramref name="parts"/> pieces of random sizes (empty ones included).</summary>
    public static List<int[]> Partition(Random rng, int n, int parts)
    {
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var cuts = Enumerable.Range(0, parts - 1).Select(_ => rng.Next(n + 1)).Append(0).Append(n).Order().ToArray();
        return [.. Enumerable.Range(0, parts).Select(p => order[cuts[p]..cuts[p + 1]])];
    }

    /// <summary>Rows of a rank-1 or rank-2 tensor (kept rank), as a row-major copy.</summary>
    public static MtlTensor<double> Rows(MtlTensor<double> a, int[] rows)
    {
        int width = a.Rank == 1 ? 1 : a.Dim(1);
        var v = a.ToArray();
        var result = rows.SelectMany(i => v.AsSpan(i * width, width).ToArray()).ToArray();
        return a.Rank == 1 ? MtlTensor.FromArray(result, rows.Length) : MtlTensor.FromArray(result, rows.Length, width);
    }

    /// <summary>Merges the parts by a random binary tree: two random parts are joined (in random order) until one is left.</summary>
    public static T RandomMergeTree<T>(Random rng, List<T> parts) where T : class, IFitStatistics<T>
    {
        var pool = parts.Select(p => p.Copy()).ToList();
        while (pool.Count > 1)
        {
            int i = rng.Next(pool.Count), j = rng.Next(pool.Count - 1);
            if (j >= i) j++;
            pool[i] = pool[i].Merge(pool[j]);
            pool.RemoveAt(j);
        }
        return pool[0];
    }

    /// <summary>|a − b| ≤ tolerance·max(1, max|a|) element-wise.</summary>
    public static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Length == 0 ? 0 : expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance}·{scale})");
    }
}
