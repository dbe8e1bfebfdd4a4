using MtlEngine.Cluster;
using MtlEngine.Nn;
using MtlEngine.Tests.Nn;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// Data-parallel training with per-task gradients over 3 silos (<see cref="ClusterTraining.PerTask"/>): strategies other
/// than constant weights, the gradient-conflict record, dropout (the local run's masks) and DSelect-k's regularization (an
/// auxiliary loss summed over rows) equal the local run to float rounding
/// (<see cref="DataParallelTests.Tolerance"/>), and each step's slices are spread one per silo.
/// </summary>
[Collection(ThreeSiloCluster.Collection)]
public sealed class ClusterStrategyTests(ThreeSiloCluster fixture)
{
    /// <summary>DSelect-k with its selector regularization (entropy, and 3 experts: not a power of 2), the model's auxiliary loss.</summary>
    private const string DSelectK = """{"architecture": "dselect-k", "hidden": [16], "experts": 3, "k": 2, "dselect_entropy": 0.5}""";

    [Theory]
    [InlineData("pcgrad", "", 0, null)]
    [InlineData("uw", ", \"gradient_conflict\": true", 0.2, null)]
    [InlineData("uw", ", \"gradient_conflict\": true", 0, DSelectK)] // an auxiliary loss that sums over rows
    public async Task AStrategyOnThreeSilosEqualsTheLocalRun(string weighting, string extra, double dropout, string? model)
    {
        using var job = new DigitsJob(batchSize: 300, dropout: dropout, weighting: weighting, extraTraining: extra, model: model);
        var (local, localResult) = job.Train(_ => null);
        ClusterTraining? training = null;
        var (trained, result) = await Task.Run(() => job.Train(model =>
            training = ClusterTraining.CreateAsync(fixture.Connection, job.SpecPath, model, job.Data.Dataset, job.Weights(model), perTask: true)
                .GetAwaiter().GetResult()));
        await training!.ReleaseAsync();
        var (difference, scale) = DigitsJob.Compare(local, trained);
        Assert.True(difference <= DataParallelTests.Tolerance, $"{weighting} on 3 silos: the parameters differ from the local run's by {difference:E2} (largest {scale:F3})");
        var (a, b) = (localResult.History[0], result.History[0]);
        Assert.Equal(a.TrainLoss, b.TrainLoss, 1e-5);
        foreach (var (task, w) in a.TaskWeights!) Assert.Equal(w, b.TaskWeights![task], 1e-4);
        Assert.NotNull(a.GradientConflict);
        for (int i = 0; i < a.GradientConflict!.Count; i++)
            for (int j = 0; j < a.GradientConflict.Count; j++) Assert.Equal(a.GradientConflict[i][j], b.GradientConflict![i][j], 1e-5);
        Assert.Equal(3, training.SliceSilos.Select(s => s.Single()).Distinct().Count());
        Assert.Equal(DataParallel.RandomPositions(local), DataParallel.RandomPositions(trained)); // dropout: the local run's draws
    }

    /// <summary>
    /// Six slices on three silos, two of them slow to come back for more work: first come, first served, the fast silo would
    /// take the slow silos' share in the first step and keep it; spread, each silo runs two slices every step.
    /// </summary>
    [Fact]
    public async Task TheSlicesAreSpreadOverTheSilosWhateverTheirSpeed()
    {
        using var job = new DigitsJob();
        string fast = fixture.Cluster.Silos[0].SiloAddress.Endpoint.ToString();
        var options = new ClusterFitOptions
        {
            ShardTimeout = TimeSpan.FromSeconds(30),
            OnEvent = async e =>
            {
                if (e.Silo != fast) await Task.Delay(300);
            },
        };
        var model = job.Model();
        var training = await ClusterTraining.CreateAsync(fixture.Connection, job.SpecPath, model, job.Data.Dataset, job.Weights(model), options, slices: 6);
        try
        {
            await Task.Run(() =>
            {
                for (int step = 0; step < 2; step++) training.Compute(job.Data.TrainRows[(step * 60)..((step + 1) * 60)], 1, step);
            });
        }
        finally
        {
            await training.ReleaseAsync();
        }
        var silos = training.SliceSilos.Select(s => s.Single()).ToArray();
        Assert.All(silos.GroupBy(s => s), g => Assert.Equal(2, g.Count()));
        Assert.Equal(3, silos.Distinct().Count());
    }
}
