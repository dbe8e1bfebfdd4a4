using MtlEngine.Cluster;
using MtlEngine.Nn;
using MtlEngine.Tests.Nn;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// Strategies on the shared representation over 3 silos (<see cref="ClusterTraining.Representation"/>: two rounds per step):
/// the run is the in-process sliced run's bit for bit (the same arithmetic in the same slice order; that one equals the local
/// run to double rounding, <see cref="RepGradDataParallelTests"/>) and the local run's to float rounding.
/// </summary>
[Collection(ThreeSiloCluster.Collection)]
public sealed class ClusterRepGradTests(ThreeSiloCluster fixture)
{
    [Fact]
    public async Task MgdaUbOnThreeSilosIsTheInProcessSlicedRun()
    {
        using var job = new DigitsJob(batchSize: 300, weighting: "mgda-ub");
        var (local, localResult) = job.Train(_ => null);
        var (sliced, _) = job.Train(model => new SlicedStepGradients<float>(model, job.Data.Dataset, job.Model, 3, job.Weights(model), representation: true));
        ClusterTraining? training = null;
        var (trained, result) = await Task.Run(() => job.Train(model =>
            training = ClusterTraining.CreateAsync(fixture.Connection, job.SpecPath, model, job.Data.Dataset, job.Weights(model), representation: true)
                .GetAwaiter().GetResult()));
        await training!.ReleaseAsync();
        Assert.True(training.PerTask);
        Assert.Equal(DataParallel.GetParameters(sliced), DataParallel.GetParameters(trained));
        var (difference, scale) = DigitsJob.Compare(local, trained);
        Assert.True(difference <= DataParallelTests.Tolerance, $"mgda-ub on 3 silos: the parameters differ from the local run's by {difference:E2} (largest {scale:F3})");
        Assert.Equal(localResult.History[0].TrainLoss, result.History[0].TrainLoss, 1e-5);
        foreach (var (task, w) in localResult.History[0].TaskWeights!) Assert.Equal(w, result.History[0].TaskWeights![task], 1e-4);
        Assert.Equal(3, training.SliceSilos.Select(s => s.Single()).Distinct().Count());
        Assert.True(training.BytesPerStep(300) > 4L * DataParallel.ParameterLength(trained) * 3 * (2 + 3 + 2)); // the second round counted
    }
}
