using MtlEngine.Cluster;
using MtlEngine.Nn;
using MtlEngine.Tests.Nn;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// Synchronized batch normalization over an in-process cluster: 3 slices on 2 silos (one silo runs two slices at once) meet
/// at each step's <see cref="IStepExchangeGrain"/>, and the run is the in-process sliced run's bit for bit (the same
/// arithmetic, the same slice order), and the local run's to float rounding, running statistics included; so is a run with
/// the joint alignment, whose slices gather each other's embeddings there.
/// </summary>
public sealed class ClusterSyncBatchNormTests
{
    /// <summary>The silos' replicas: the batch-normalization model (job "batch-norm") or the joint alignment's (job "alignment").</summary>
    private sealed class BatchNormReplicas : IReplicaLoader
    {
        public TrainingReplica Load(string job) => job == "alignment"
            ? new(SyncAlignmentTests.Model<float>(0.5), SyncAlignmentTests.Data<float>())
            : new(new BatchNormNet<float>(), BatchNormNet<float>.Data());
    }

    private static (BatchNormNet<float> Model, TrainingResult Result) Train(Func<BatchNormNet<float>, MultiTaskDataset<float>, IStepGradients<float>?> gradients,
        string weighting)
    {
        var data = BatchNormNet<float>.Data();
        var model = new BatchNormNet<float>();
        using var optimizer = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
        var strategy = MtlEngine.MultiTask.TrainingStrategies.Create<float>(weighting, model.Tasks);
        var trainer = new Trainer<float>(model, optimizer, new TrainingOptions(Epochs: 1, BatchSize: 10, Seed: 5), strategy) { StepGradients = gradients(model, data) };
        return (model, trainer.Fit(data, Enumerable.Range(0, 23).ToArray()));
    }

    private static float[] State(BatchNormNet<float> model) =>
        [.. DataParallel.GetParameters(model), .. model.NamedBuffers().SelectMany(b => b.Value.Contiguous().ToArray())];

    [Fact]
    public async Task SynchronizedBatchNormOnTheClusterIsTheInProcessSlicedRun()
    {
        var lines = new List<string>();
        await using var cluster = await StartAsync(2, Tls, Tls, lines, replicas: new BatchNormReplicas());
        var connection = ClusterConnection.Wrap(cluster.Client);
        var options = new ClusterFitOptions { ShardTimeout = TimeSpan.FromSeconds(30) };
        foreach (var (weighting, perTask) in new[] { ("fixed", false), ("uw", true) })
        {
            var (local, _) = Train((_, _) => null, weighting);
            var (sliced, slicedResult) = Train((model, data) => new SlicedStepGradients<float>(model, data, () => new BatchNormNet<float>(), 3,
                model.Tasks.Select(t => t.Weight).ToArray(), perTask), weighting);
            ClusterTraining? training = null;
            var (clustered, clusteredResult) = await Task.Run(() => Train((model, data) => training = ClusterTraining.CreateAsync(connection, "batch-norm", model, data,
                model.Tasks.Select(t => t.Weight).ToArray(), options, slices: 3, perTask: perTask).GetAwaiter().GetResult(), weighting));
            await training!.ReleaseAsync();
            Assert.Equal(3, training.Steps);
            Assert.Equal(State(sliced), State(clustered)); // bitwise: the same sums in the same order
            Assert.Equal(slicedResult.History[0].TrainLoss, clusteredResult.History[0].TrainLoss);
            var (a, b) = (State(local), State(clustered));
            double difference = a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();
            Assert.True(difference <= DataParallelTests.Tolerance, $"{weighting}: the cluster's parameters and running statistics differ from the local run's by {difference:E2}");
            Assert.Equal(3f, clustered.NamedBuffers().Single(e => e.Key == "norm2d.num_batches_tracked").Value.Item());
        }

        // A step whose exchange is lost runs again on a fresh one: the second step's first exchange is given up before any
        // slice comes (as when the silo holding it dies: a fresh activation knows no rounds), every slice reports it, and the
        // step runs again from the same parameters, buffers and generator positions, so the run is still the sliced run.
        var weights = new BatchNormNet<float>().Tasks.Select(t => t.Weight).ToArray();
        var (expected, _) = Train((model, data) => new SlicedStepGradients<float>(model, data, () => new BatchNormNet<float>(), 3, weights, false), "fixed");
        ClusterTraining? retried = null;
        var (recovered, _) = await Task.Run(() => Train((model, data) =>
        {
            retried = ClusterTraining.CreateAsync(connection, "batch-norm", model, data, weights, options, slices: 3).GetAwaiter().GetResult();
            cluster.Client.GetGrain<IStepExchangeGrain>($"{retried.RunId}/1/0").Abort("given up by the test").GetAwaiter().GetResult();
            return retried;
        }, "fixed"));
        await retried!.ReleaseAsync();
        Assert.Equal(3, retried.Steps);
        Assert.Equal(1, retried.ExchangeRetries);
        Assert.Equal(State(expected), State(recovered));
        // The exchange's traffic is counted: each BN layer's statistics and their gradients, per slice and step.
        Assert.True(retried.ExchangeBytes > 0);
        long parameters = DataParallel.ParameterLength(recovered), buffers = DataParallel.GetSynchronizedBuffers(recovered).Length;
        Assert.Equal(4 * parameters * 3 * 2 + 4 * 10 + 2 * 4 * buffers * 3 + retried.ExchangeBytes / 3, retried.BytesPerStep(10));

        // A slice already waiting at an exchange that is given up stops at once, not at the end of its wait.
        var exchange = cluster.Client.GetGrain<IStepExchangeGrain>("test/abort");
        var waiting = exchange.AllGather(0, 2, 0, [1.0], TimeSpan.FromSeconds(25));
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await exchange.Abort("given up by the test");
        var abandoned = await Assert.ThrowsAnyAsync<Exception>(() => waiting.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("the step's exchange was given up: given up by the test", abandoned.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => exchange.AllGather(1, 2, 0, [2.0], TimeSpan.FromSeconds(1))); // and every later call
        await exchange.Release();

        // The joint alignment on the same cluster: the slices gather each other's embeddings at the exchange.
        var data = SyncAlignmentTests.Data<float>();
        MultiTaskModel<float> Run(Func<MultiTaskModel<float>, IStepGradients<float>?> gradients)
        {
            var model = SyncAlignmentTests.Model<float>(0.5);
            using var optimizer = new Adam<float>(model.Parameters(), 0.01);
            new Trainer<float>(model, optimizer, new TrainingOptions(Epochs: 1, BatchSize: 10, Seed: 5)) { StepGradients = gradients(model) }
                .Fit(data, Enumerable.Range(0, 23).ToArray());
            return model;
        }
        var inProcess = Run(model => new SlicedStepGradients<float>(model, data, () => SyncAlignmentTests.Model<float>(0.5), 3, [1.0]));
        ClusterTraining? aligned = null;
        var onCluster = await Task.Run(() => Run(model => aligned = ClusterTraining.CreateAsync(connection, "alignment", model, data, [1.0], options, slices: 3)
            .GetAwaiter().GetResult()));
        await aligned!.ReleaseAsync();
        Assert.Equal(DataParallel.GetParameters(inProcess), DataParallel.GetParameters(onCluster));
        Assert.NotEqual(DataParallel.GetParameters(SyncAlignmentTests.Model<float>(0.5)), DataParallel.GetParameters(onCluster));
    }
}
