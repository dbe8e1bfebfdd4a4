using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>RidgeCV.FitFolds and MultiTaskRidgeStatistics against fits on the rows.</summary>
public class RidgeCVStatisticsTests
{
    [Theory]
    [InlineData(1, true, false, false)]
    [InlineData(2, true, true, true)]
    [InlineData(3, false, true, false)]
    public void KFoldFromStatisticsEqualsRefittingOnTheRows(int seed, bool intercept, bool weighted, bool perTarget)
    {
        var rng = new Random(seed);
        int n = 90, d = 5, t = 3;
        var (x, y, w) = StatisticsData.Regression(rng, n, d, t, offset: intercept ? 50 : 1);
        double[] grid = [0.01, 0.3, 3, 30];
        var folds = StatisticsData.Partition(rng, n, 4).Where(f => f.Length > 0).ToList();
        var statistics = folds.Select(rows =>
        {
            var s = new RidgeStatistics(d, t);
            s.Add(StatisticsData.Rows(x, rows), StatisticsData.Rows(y, rows), weighted ? [.. rows.Select(i => w[i])] : null);
            return s;
        }).ToList();
        var cv = new RidgeCV(grid, FitIntercept: intercept, AlphaPerTarget: perTarget).FitFolds(statistics);
        Assert.Equal(RidgeCVMode.KFold, cv.Mode);

        // The reference: fit on the other folds' rows, predict the held-out rows, pool the weighted squared errors.
        var expected = new double[grid.Length * t];
        double weightSum = weighted ? w.Sum() : n;
        for (int a = 0; a < grid.Length; a++)
            for (int k = 0; k < folds.Count; k++)
            {
                var train = folds.Where((_, j) => j != k).SelectMany(f => f).ToArray();
                var model = new Ridge(Alpha: grid[a], FitIntercept: intercept).Fit(StatisticsData.Rows(x, train), StatisticsData.Rows(y, train),
                    weighted ? [.. train.Select(i => w[i])] : null);
                var predicted = model.Predict(StatisticsData.Rows(x, folds[k])).ToArray();
                var actual = StatisticsData.Rows(y, folds[k]).ToArray();
                for (int r = 0; r < folds[k].Length; r++)
                    for (int j = 0; j < t; j++)
                    {
                        double e = actual[r * t + j] - predicted[r * t + j];
                        expected[a * t + j] += (weighted ? w[folds[k][r]] : 1) * e * e / weightSum;
                    }
            }
        StatisticsData.Close(expected, cv.MeanSquaredErrors.ToArray(), 1e-10, "held-out errors");
        var best = perTarget
            ? Enumerable.Range(0, t).Select(j => grid[Enumerable.Range(0, grid.Length).MinBy(a => expected[a * t + j])]).ToArray()
            : Enumerable.Repeat(grid[Enumerable.Range(0, grid.Length).MinBy(a => Enumerable.Range(0, t).Sum(j => expected[a * t + j]))], t).ToArray();
        Assert.Equal(best, cv.Alpha);
        var refit = new Ridge(Alphas: best, FitIntercept: intercept).Fit(x, y, weighted ? w : null);
        StatisticsData.Close(refit.Coefficients.ToArray(), cv.Coefficients.ToArray(), 1e-10, "refit");
        Assert.Throws<LearnInputException>(() => new RidgeCV(grid).FitFolds([statistics[0]]));
    }

    [Theory]
    [InlineData(1.0, 1.0, true)]
    [InlineData(0.5, 4.0, false)]
    [InlineData(2.0, double.PositiveInfinity, true)]
    public void MultiTaskRidgeFromAnyMergeTreeEqualsTheOneShotFit(double shared, double task, bool intercept)
    {
        var rng = new Random(7);
        int d = 4, tasks = 3;
        var xs = new List<MtlTensor<double>>();
        var ys = new List<MtlTensor<double>>();
        for (int t = 0; t < tasks; t++)
        {
            var (x, y, _) = StatisticsData.Regression(rng, 20 + 7 * t, d, 1, offset: intercept ? 30 : 1);
            xs.Add(x);
            ys.Add(y);
        }
        var options = new MultiTaskRidge(shared, task, intercept);
        var expected = options.Fit(xs, ys);
        var parts = new List<MultiTaskRidgeStatistics>();
        for (int p = 0; p < 4; p++) parts.Add(new MultiTaskRidgeStatistics(d, tasks));
        for (int t = 0; t < tasks; t++)
        {
            var pieces = StatisticsData.Partition(rng, xs[t].Dim(0), 4);
            for (int p = 0; p < 4; p++) parts[p].Add(t, StatisticsData.Rows(xs[t], pieces[p]), StatisticsData.Rows(ys[t], pieces[p]));
        }
        var merged = FitStatistics.FromBytes<MultiTaskRidgeStatistics>(StatisticsData.RandomMergeTree(rng, parts).ToBytes());
        var actual = merged.Fit(options);
        StatisticsData.Close(expected.Coefficients.ToArray(), actual.Coefficients.ToArray(), 1e-10, "W");
        StatisticsData.Close(expected.Intercept, actual.Intercept, 1e-10, "b");
        Assert.Throws<LearnInputException>(() => ((IFitStatistics<MultiTaskRidgeStatistics>)merged).Add(new double[4], [1.0], []));
        Assert.Throws<LearnInputException>(() => new MultiTaskRidgeStatistics(d, tasks).Fit(options));
    }
}
