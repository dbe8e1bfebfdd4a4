using MtlEngine.Cluster;
using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using Orleans.TestingHost;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>Three silos with TLS, shared by the test classes of its collection (a deployment costs seconds); no test kills one.</summary>
public sealed class ThreeSiloCluster : IAsyncLifetime
{
    /// <summary>The collection of the test classes that share the cluster.</summary>
    public const string Collection = "three silos";

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public List<string> Lines { get; } = [];

    public ClusterConnection Connection => ClusterConnection.Wrap(Cluster.Client);

    public async Task InitializeAsync() => Cluster = await StartAsync(3, Tls, Tls, Lines);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The test classes that share one <see cref="ThreeSiloCluster"/> (they run one after the other).</summary>
[CollectionDefinition(ThreeSiloCluster.Collection)]
public sealed class ThreeSiloCollection : ICollectionFixture<ThreeSiloCluster>;

/// <summary>
/// Fits over an in-process cluster of 3 silos with TLS give the local fit on the rows of all shards (to 1e-10), with the
/// shards spread over the silos; a missing or corrupt shard fails the fit with one line naming it.
/// </summary>
[Collection(ThreeSiloCluster.Collection)]
public sealed class ClusterFitTests(ThreeSiloCluster three)
{
    private static readonly int[] Sizes = [70, 45, 90, 55];
    private const int D = 4;
    // No test here waits on the timeout (a missing or corrupt shard is a reply): it only bounds a call, and is generous
    // because a machine under heavy load can stall an in-process silo for seconds.
    private static readonly ClusterFitOptions Quick = new() { ShardTimeout = TimeSpan.FromSeconds(60) };

    // Three classes from a linear score in closed form.
    private static double[] Label(double[,] x, int i)
    {
        double s0 = x[i, 0] - 0.5 * x[i, 1], s1 = x[i, 2] + 0.3 * x[i, 3] + 0.2 * Math.Sin(7.0 * i), s2 = 0.4 - x[i, 0] * 0.6;
        return [s0 >= s1 && s0 >= s2 ? 0 : s1 >= s2 ? 1 : 2];
    }

    // y = X·w + 3 + a small closed-form residual.
    internal static double[] Response(double[,] x, int i) =>
        [1.5 * x[i, 0] - 2.0 * x[i, 1] + 0.25 * x[i, 2] + 0.8 * x[i, 3] + 3.0 + 0.1 * Math.Cos(5.0 * i)];

    [Fact]
    public async Task RidgeOnThreeSilosEqualsTheLocalFit()
    {
        using var shards = new Shards(Sizes, D, Response);
        var options = new Ridge(Alpha: 0.7);
        var local = options.Fit(shards.X, MtlTensor.FromArray(shards.Y, shards.Y.Length));

        var fit = await ClusterFit.RidgeAsync(three.Connection, shards.Files, options, Quick);

        AssertClose(local.Coefficients.ToArray(), fit.Model.Coefficients.ToArray(), "coefficients");
        AssertClose(local.Intercept, fit.Model.Intercept, "intercepts");
        Assert.Equal(Sizes.Sum(), fit.Rows);
        Assert.Equal(Sizes, fit.Shards.Select(s => (int)s.Rows));
        AssertSpread(fit.Shards);
    }

    [Fact]
    public async Task PcaOnThreeSilosEqualsTheLocalCovarianceFit()
    {
        using var shards = new Shards(Sizes, D, Response);
        var options = new Pca(Components: 3, Solver: PcaSolver.Covariance);
        // The statistics route fixes the components' signs its own way (PcaStatistics), so the reference is the
        // statistics of all rows at once, fitted locally.
        var local = PcaStatistics.From(shards.X).Fit(options);

        var fit = await ClusterFit.PcaAsync(three.Connection, shards.Files, options, Quick);

        AssertClose(local.Components.ToArray(), fit.Model.Components.ToArray(), "components");
        AssertClose(local.ExplainedVariance, fit.Model.ExplainedVariance, "explained variance");
        AssertClose(local.Mean, fit.Model.Mean, "means");
    }

    [Fact]
    public async Task CcaOnThreeSilosEqualsTheLocalStatisticsFit()
    {
        // The second view: two targets in closed form from the same rows (shards hold X and Y side by side).
        using var shards = new Shards(Sizes, D, Response, secondColumn: (x, i) => x[i, 1] * x[i, 2] - 0.4 * x[i, 3] + 0.05 * Math.Sin(3.0 * i));
        var options = new Cca(Components: 2, Tolerance: 1e-12);
        var local = CcaStatistics.From(shards.X, shards.YMatrix).Fit(options);

        var fit = await ClusterFit.CcaAsync(three.Connection, shards.Files, options, Quick);

        AssertClose(local.XWeights.ToArray(), fit.Model.XWeights.ToArray(), "X weights");
        AssertClose(local.YWeights.ToArray(), fit.Model.YWeights.ToArray(), "Y weights");
        AssertClose(local.CanonicalCorrelations, fit.Model.CanonicalCorrelations, "canonical correlations");
    }

    [Fact]
    public async Task ShardsReadInSmallRowBlocksGiveTheStatisticsOfTheWholeShards()
    {
        // Budgets of a few rows per block above the statistics' fixed 8 MiB of scratch: every shard takes several blocks.
        const long scratch = 8L << 20;
        using var shards = new Shards(Sizes, D, Response);
        var weights = new List<double>();
        var files = shards.Files.Select(f =>
        {
            int rows = Sizes[f.Index];
            var w = Enumerable.Range(0, rows).Select(i => 0.5 + (i + f.Index) % 3).ToArray();
            weights.AddRange(w);
            string path = Path.Combine(shards.Folder, $"w{f.Index}.npy");
            Npy.Write(path, NdArray.Create("", w, rows));
            return f with { SampleWeight = path };
        }).ToList();
        var ridge = new Ridge(Alpha: 0.7);
        var y = MtlTensor.FromArray(shards.Y, shards.Y.Length);
        var local = RidgeStatistics.From(shards.X, y, weights.ToArray()).Fit(ridge);

        var fit = await ClusterFit.RidgeAsync(three.Connection, files, ridge, Quick with { MemoryBudget = scratch + 24 * 25 + 7 * 96 });

        AssertClose(local.Coefficients.ToArray(), fit.Model.Coefficients.ToArray(), "coefficients");
        AssertClose(local.Intercept, fit.Model.Intercept, "intercepts");

        var pca = new Pca(Components: 3, Solver: PcaSolver.Covariance);
        var localPca = PcaStatistics.From(shards.X).Fit(pca);
        var fitPca = await ClusterFit.PcaAsync(three.Connection, shards.Files, pca, Quick with { MemoryBudget = scratch + 24 * 16 + 5 * 64 });
        AssertClose(localPca.Components.ToArray(), fitPca.Model.Components.ToArray(), "components");
        AssertClose(localPca.ExplainedVariance, fitPca.Model.ExplainedVariance, "explained variance");
    }

    [Fact]
    public async Task ANonFiniteValueMidShardFailsTheFitWithOneLineNamingItsRow()
    {
        using var shards = new Shards(Sizes, D, Response);
        var x = Features(Sizes[1], D, Sizes[0]);
        x[30, 2] = double.NaN;
        Npy.Write(shards.Files[1].X, NdArray.FromTensor(ToTensor(x)));

        var error = await Assert.ThrowsAsync<ClusterException>(() =>
            ClusterFit.RidgeAsync(three.Connection, shards.Files, new Ridge(), Quick with { MemoryBudget = (8L << 20) + 24 * 25 + 7 * 96 }));

        Assert.Contains($"{shards.Files[1].X}: X has the non-finite value NaN at row 30, column 2", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task LogisticRegressionOnThreeSilosEqualsTheLocalFit()
    {
        using var shards = new Shards(Sizes, D, Label);
        var options = new LogisticRegression { C = 0.5, Tolerance = 1e-10, MaxIterations = 500 };
        var local = options.Fit(shards.X, shards.Y.Select(v => (int)v).ToArray());

        var fit = await ClusterFit.LogisticAsync(three.Connection, shards.Files, options, Quick);

        Assert.Equal(local.Classes, fit.Model.Classes);
        AssertClose(local.Coefficients.ToArray(), fit.Model.Coefficients.ToArray(), "coefficients");
        AssertClose(local.Intercept, fit.Model.Intercept, "intercepts");
        Assert.Equal(1 + fit.Model.Report!.Evaluations, fit.Rounds);
        AssertSpread(fit.Shards);
    }

    [Fact]
    public async Task AMissingShardFailsTheFitWithOneLineNamingIt()
    {
        using var shards = new Shards(Sizes, D, Response);
        var files = shards.Files.ToList();
        string missing = Path.Combine(shards.Folder, "gone.npy");
        files[2] = files[2] with { X = missing };

        var error = await Assert.ThrowsAsync<ClusterException>(() => ClusterFit.RidgeAsync(three.Connection, files, new Ridge(), Quick));

        Assert.StartsWith($"shard 2 ({missing}): {missing}: no such file", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task ACorruptShardFailsTheFitWithOneLineNamingIt()
    {
        using var shards = new Shards(Sizes, D, Label);
        var bytes = File.ReadAllBytes(shards.Files[1].X);
        File.WriteAllBytes(shards.Files[1].X, bytes[..(bytes.Length / 2)]); // truncated data

        var error = await Assert.ThrowsAsync<ClusterException>(() =>
            ClusterFit.LogisticAsync(three.Connection, shards.Files, new LogisticRegression(), Quick));

        Assert.StartsWith($"shard 1 ({shards.Files[1].X}): ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    internal static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        double difference = MaxAbsDifference(expected, actual);
        Assert.True(difference <= 1e-10, $"the {what} differ from the local fit's by {difference:G3}");
    }

    private void AssertSpread(IReadOnlyList<ShardRun> runs)
    {
        var silos = three.Cluster.Silos.Select(s => s.SiloAddress.Endpoint.ToString()).ToHashSet();
        Assert.All(runs, run => Assert.Contains(run.Silos[^1], silos));
        Assert.True(runs.Select(r => r.Silos[^1]).Distinct().Count() >= 2, "the shards should be spread over the silos");
    }
}
