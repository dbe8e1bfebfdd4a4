using MtlEngine.Cluster;
using MtlEngine.Nn;
using MtlEngine.Tests.Nn;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// Data-parallel <c>mtl train</c> over an in-process cluster of 3 silos with TLS: the run equals the local run to float
/// rounding (<see cref="DataParallelTests.Tolerance"/>), and a silo killed mid-run only moves its slice; so does a silo killed
/// between the two rounds of a <c>rep_grad</c> step (<see cref="ClusterTraining.Representation"/>).
/// </summary>
public sealed class ClusterTrainingTests
{
    [Fact]
    public async Task TrainingOnThreeSilosEqualsTheLocalRunAndASiloKilledMidRunMovesItsSlice()
    {
        using var job = new DigitsJob(batchSize: 100);
        var (local, localResult) = job.Train(_ => null);
        var lines = new List<string>();
        await using var cluster = await StartAsync(3, Tls, Tls, lines);
        var connection = ClusterConnection.Wrap(cluster.Client);

        // Every silo healthy: one slice per silo.
        ClusterTraining? training = null;
        var (trained, result) = await Task.Run(() => job.Train(model =>
            training = ClusterTraining.CreateAsync(connection, job.SpecPath, model, job.Data.Dataset, job.Weights(model)).GetAwaiter().GetResult()));
        await training!.ReleaseAsync();
        var (difference, scale) = DigitsJob.Compare(local, trained);
        Assert.True(difference <= DataParallelTests.Tolerance, $"3 silos: the parameters differ from the local run's by {difference:E2} (largest {scale:F3})");
        Assert.Equal(localResult.History[0].TrainLoss, result.History[0].TrainLoss, 1e-5);
        Assert.Equal(3, training.Slices);
        Assert.Equal(3, training.SliceSilos.Select(s => s.Single()).Distinct().Count());
        Assert.Equal((job.Data.TrainRows.Length + 99) / 100, training.Steps);

        // After the third step a silo that ran a slice dies (not the gateway, the first silo): its slice runs again
        // elsewhere (a fresh replica), and nothing else changes.
        string gateway = cluster.Silos[0].SiloAddress.Endpoint.ToString();
        string? victimName = null;
        var options = new ClusterFitOptions
        {
            ShardTimeout = TimeSpan.FromSeconds(10),
            OnEvent = async e =>
            {
                if (e.Round == 2 && e.Succeeded && e.Silo != gateway && Interlocked.CompareExchange(ref victimName, e.Silo, null) is null)
                    await cluster.KillSiloAsync(cluster.Silos.First(s => s.SiloAddress.Endpoint.ToString() == e.Silo));
            },
        };
        ClusterTraining? faulted = null;
        var (survivor, _) = await Task.Run(() => job.Train(model =>
            faulted = ClusterTraining.CreateAsync(connection, job.SpecPath, model, job.Data.Dataset, job.Weights(model), options).GetAwaiter().GetResult()));
        await faulted!.ReleaseAsync();
        Assert.NotNull(victimName);
        (difference, _) = DigitsJob.Compare(local, survivor);
        Assert.True(difference <= DataParallelTests.Tolerance, $"a killed silo: the parameters differ from the local run's by {difference:E2}");
        Assert.Contains(faulted.SliceSilos, s => s.Count == 2 && s[0] == victimName && s[1] != victimName);

        // rep_grad on the 2 silos left: round 2 (the push of the direction through the encoders) keeps nothing from round 1
        // on the silos, so when the other silo dies after step 1's round 1 (round 2 of the scheduler, counted from 0), its
        // slice's round 2 runs on the gateway and the run is still the in-process sliced run, bit for bit.
        using var repGrad = new DigitsJob(batchSize: 300, weighting: "pcgrad", extraTraining: ", \"rep_grad\": true");
        var (sliced, _) = repGrad.Train(model => new SlicedStepGradients<float>(model, repGrad.Data.Dataset, repGrad.Model, 2, repGrad.Weights(model), representation: true));
        string? second = null;
        var events = new List<ShardEvent>();
        var betweenRounds = options with
        {
            OnEvent = async e =>
            {
                lock (events) events.Add(e);
                if (e.Round == 2 && e.Succeeded && e.Silo != gateway && e.Silo != victimName && Interlocked.CompareExchange(ref second, e.Silo, null) is null)
                    await cluster.KillSiloAsync(cluster.Silos.First(s => s.SiloAddress.Endpoint.ToString() == e.Silo));
            },
        };
        ClusterTraining? twoRounds = null;
        var (pushed, _) = await Task.Run(() => repGrad.Train(model =>
            twoRounds = ClusterTraining.CreateAsync(connection, repGrad.SpecPath, model, repGrad.Data.Dataset, repGrad.Weights(model), betweenRounds, slices: 2,
                representation: true).GetAwaiter().GetResult()));
        await twoRounds!.ReleaseAsync();
        Assert.NotNull(second);
        Assert.Equal(DataParallel.GetParameters(sliced), DataParallel.GetParameters(pushed));
        Assert.Contains(twoRounds.SliceSilos, s => s.Count == 2 && s[0] == second && s[1] == gateway);
        // The slice that ran step 1's round 1 on that silo ran its round 2 on the gateway.
        int moved = events.Single(e => e.Round == 2 && e.Succeeded && e.Silo == second).Shard.Index;
        Assert.Contains(events, e => e.Round == 3 && e.Succeeded && e.Shard.Index == moved && e.Silo == gateway);
    }

    [Fact]
    public async Task AJobTheSilosCannotLoadFailsWithOneLineNamingIt()
    {
        using var job = new DigitsJob();
        var lines = new List<string>();
        await using var cluster = await StartAsync(2, Tls, Tls, lines);
        var model = job.Model();
        string missing = Path.Combine(job.Folder, "no-such-spec.json");
        var training = await ClusterTraining.CreateAsync(ClusterConnection.Wrap(cluster.Client), missing, model, job.Data.Dataset, job.Weights(model),
            new ClusterFitOptions { ShardTimeout = TimeSpan.FromSeconds(10) });
        var error = await Assert.ThrowsAsync<ClusterException>(() => Task.Run(() => training.Compute(job.Data.TrainRows[..10], 1, 0)));
        Assert.Contains("no-such-spec.json", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
