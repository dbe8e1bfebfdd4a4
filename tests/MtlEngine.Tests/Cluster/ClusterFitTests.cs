using System.Diagnostics;
using MtlEngine.Cluster;
using MtlEngine.Learn;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// Fits over an in-process cluster of 3 silos with TLS: the same model as a local fit on all rows, a silo stopped mid-fit
/// changes nothing, bad shards fail with one line naming them.
/// </summary>
public sealed class ClusterFitTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Three classes from a linear score in closed form; the 4 shards have uneven sizes.
    private static readonly int[] Sizes = [70, 45, 90, 55];
    private const int D = 4;

    private static double[] Label(double[,] x, int i)
    {
        double s0 = x[i, 0] - 0.5 * x[i, 1], s1 = x[i, 2] + 0.3 * x[i, 3] + 0.2 * Math.Sin(7.0 * i), s2 = 0.4 - x[i, 0] * 0.6;
        return [s0 >= s1 && s0 >= s2 ? 0 : s1 >= s2 ? 1 : 2];
    }

    [Fact]
    public async Task LogisticRegressionOnThreeSilosEqualsTheLocalFit()
    {
        using var shards = new Shards(Sizes, D, Label);
        var lines = new List<string>();
        var sw = Stopwatch.StartNew();
        await using var cluster = await StartAsync(3, Tls, Tls, lines);
        var options = new LogisticRegression { C = 0.5, Tolerance = 1e-10, MaxIterations = 500 };
        var local = options.Fit(shards.X, shards.Y.Select(v => (int)v).ToArray());

        output.WriteLine($"deploy {sw.Elapsed}"); sw.Restart();
        var fit = await ClusterFit.LogisticAsync(ClusterConnection.Wrap(cluster.Client), shards.Files, options,
            new ClusterFitOptions { ShardTimeout = TimeSpan.FromSeconds(20) });

        output.WriteLine($"fit {sw.Elapsed} rounds {fit.Rounds} iters {fit.Model.Report!.Iterations} {local.Report!.Iterations}"); sw.Restart();
        Assert.Equal(local.Classes, fit.Model.Classes);
        double dw = MaxAbsDifference(local.Coefficients.ToArray(), fit.Model.Coefficients.ToArray());
        double db = MaxAbsDifference(local.Intercept, fit.Model.Intercept);
        Assert.True(dw <= 1e-10 && db <= 1e-10, $"coefficients differ by {dw:G3}, intercepts by {db:G3}");
        Assert.Equal(Sizes.Sum(), fit.Rows);
        Assert.Equal(3, fit.Silos.Count);
        Assert.True(fit.Shards.Select(s => s.Silos[0]).Distinct().Count() >= 2, "the shards should be spread over the silos");
    }
}
