using MtlEngine.Cluster;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using Xunit.Abstractions;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>A silo that dies during a fit loses nothing: its shards run elsewhere and the model is still exact.</summary>
public sealed class ClusterFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ASiloKilledMidFitStillGivesTheExactResult()
    {
        int[] sizes = [30, 25, 40, 35, 20, 45, 30, 25, 40];
        using var shards = new Shards(sizes, 4, ClusterFitTests.Response);
        var options = new Ridge(Alpha: 0.3);
        var local = options.Fit(shards.X, MtlTensor.FromArray(shards.Y, shards.Y.Length));
        var lines = new List<string>();
        await using var cluster = await StartAsync(3, Tls, Tls, lines);
        var victim = cluster.Silos[2];
        string victimName = victim.SiloAddress.Endpoint.ToString();
        var events = new List<ShardEvent>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool killed = false;
        var fitOptions = new ClusterFitOptions
        {
            ShardTimeout = TimeSpan.FromSeconds(10),
            // The victim's worker has just finished its first shard and is about to take the next: the silo dies there,
            // with shards of the fit still to run (Orleans' kill: no graceful shutdown).
            OnEvent = async e =>
            {
                lock (events) events.Add(e);
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F2} s: shard {e.Shard.Index} on {e.Silo}, attempt {e.Attempt}: {(e.Succeeded ? "done" : e.Message)}");
                if (e.Succeeded && e.Silo == victimName && !killed)
                {
                    killed = true;
                    await cluster.KillSiloAsync(victim);
                }
            },
        };

        var fit = await ClusterFit.RidgeAsync(ClusterConnection.Wrap(cluster.Client), shards.Files, options, fitOptions);

        Assert.True(killed);
        ClusterFitTests.AssertClose(local.Coefficients.ToArray(), fit.Model.Coefficients.ToArray(), "coefficients");
        ClusterFitTests.AssertClose(local.Intercept, fit.Model.Intercept, "intercepts");
        Assert.Equal(1, events.Count(e => e.Succeeded && e.Silo == victimName));
        Assert.Equal(sizes.Length - 1, fit.Shards.Count(s => s.Silos[^1] != victimName));
        Assert.Equal(sizes.Length, events.Count(e => e.Succeeded));
    }

    [Fact]
    public async Task ASiloKilledBetweenLogisticIterationsMovesItsShards()
    {
        int[] sizes = [60, 50, 70, 40, 55, 45];
        using var shards = new Shards(sizes, 3, (x, i) => [x[i, 0] + 0.5 * x[i, 1] - x[i, 2] + 0.3 * Math.Sin(3.0 * i) > 0.2 ? 1 : 0]);
        var options = new LogisticRegression { Tolerance = 1e-10, MaxIterations = 500 };
        var local = options.Fit(shards.X, shards.Y.Select(v => (int)v).ToArray());
        var lines = new List<string>();
        await using var cluster = await StartAsync(3, Tls, Tls, lines);
        var victim = cluster.Silos[1];
        string victimName = victim.SiloAddress.Endpoint.ToString();
        bool killed = false;
        var fitOptions = new ClusterFitOptions
        {
            ShardTimeout = TimeSpan.FromSeconds(10),
            // After the third evaluation round the victim dies; the shards it held in memory are loaded again elsewhere.
            OnEvent = async e =>
            {
                if (e.Round == 3 && !killed)
                {
                    killed = true;
                    await cluster.KillSiloAsync(victim);
                }
            },
        };

        var fit = await ClusterFit.LogisticAsync(ClusterConnection.Wrap(cluster.Client), shards.Files, options, fitOptions);

        Assert.True(killed);
        ClusterFitTests.AssertClose(local.Coefficients.ToArray(), fit.Model.Coefficients.ToArray(), "coefficients");
        ClusterFitTests.AssertClose(local.Intercept, fit.Model.Intercept, "intercepts");
        Assert.All(fit.Shards, s => Assert.NotEqual(victimName, s.Silos[^1]));
        Assert.Contains(fit.Shards, s => s.Silos.Count == 2 && s.Silos[0] == victimName);
    }
}
