using System.Diagnostics;
using MtlEngine.Nn;
using Orleans.Runtime;

namespace MtlEngine.Cluster;

/// <summary>
/// The silo side of <see cref="IShardGrain"/>: reads its shard files (paths the silo can read) and reduces them with
/// <see cref="ShardWork"/>. For logistic regression the loaded shard stays in the activation between the per-iteration
/// gradient calls; a new activation (another generation, after a silo failed) loads it again.
/// </summary>
internal sealed class ShardGrain(ILocalSiloDetails silo, IServiceProvider services) : Grain, IShardGrain
{
    private readonly string _silo = silo.SiloAddress.Endpoint.ToString();
    private LogisticShard? _logistic;
    private (string Job, TrainingReplica Replica)? _replica;
    private float[]? _gradient;

    public Task<ShardStatisticsReply> Statistics(StatisticsKind kind, ShardFiles files, long memoryBudget)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var (statistics, rows) = ShardWork.Statistics(kind, files, memoryBudget);
            return Task.FromResult(new ShardStatisticsReply(_silo, rows, clock.Elapsed.TotalSeconds, statistics, null));
        }
        catch (Exception error) when (ShardWork.IsDataError(error))
        {
            return Task.FromResult(new ShardStatisticsReply(_silo, 0, clock.Elapsed.TotalSeconds, null, ShardWork.Describe(files, error)));
        }
    }

    public Task<LogisticShardInfo> LoadLogistic(ShardFiles files)
    {
        try
        {
            var shard = Logistic(files);
            return Task.FromResult(new LogisticShardInfo(_silo, shard.Rows, shard.Features, shard.Labels, shard.Counts, null));
        }
        catch (Exception error) when (ShardWork.IsDataError(error))
        {
            return Task.FromResult(new LogisticShardInfo(_silo, 0, 0, [], [], ShardWork.Describe(files, error)));
        }
    }

    public Task<LogisticShardGradient> LogisticGradient(ShardFiles files, LogisticProblem problem, double[] theta)
    {
        try
        {
            var gradient = new double[theta.Length];
            double loss = Logistic(files).Evaluate(problem, theta, gradient);
            return Task.FromResult(new LogisticShardGradient(_silo, loss, gradient, null));
        }
        catch (Exception error) when (ShardWork.IsDataError(error))
        {
            return Task.FromResult(new LogisticShardGradient(_silo, 0, [], ShardWork.Describe(files, error)));
        }
    }

    public async Task<TrainSliceReply> TrainSlice(ShardFiles slice, TrainSliceRequest request)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (_replica is not { } replica || replica.Job != request.Job)
            {
                var loader = (IReplicaLoader?)services.GetService(typeof(IReplicaLoader))
                    ?? throw new InvalidOperationException("this silo has no training loader; run the silos with 'mtl cluster silo' of the same version");
                _replica = replica = (request.Job, loader.Load(request.Job));
                _gradient = new float[DataParallel.ParameterLength(replica.Replica.Model)];
            }
            var (model, data) = replica.Replica;
            if (request.Exchange is null) return Compute(model, data, request, null, clock);
            // Synchronized batch normalization: the slice meets the others at the step's exchange inside its forward and
            // backward, blocking its thread, so it runs off this grain's scheduler.
            var collective = request.Participant < 0 ? null
                : new ClusterCollective(GrainFactory, request.Exchange, request.Participant, request.Participants, request.ExchangeTimeout);
            var reply = await Task.Run(() => Compute(model, data, request, collective, clock));
            return reply with { ExchangeBytes = collective?.Bytes ?? 0 };
        }
        catch (Exception error) when (ExchangeLostException.Find(error) is { } lost)
        {
            // The exchange, not this slice, failed: the coordinator gives the exchange up and runs the whole step again.
            return new TrainSliceReply(_silo, [], [], clock.Elapsed.TotalSeconds, $"slice {slice.Index} of {request.Job} on {_silo}: {lost.Message}", ExchangeLost: true);
        }
        catch (Exception error)
        {
            // Whatever fails here fails on every silo alike (the job's files, the spec, the model): one line, no retry.
            // A silo that dies is a failed call on the client's side, which moves the slice instead.
            return new TrainSliceReply(_silo, [], [], clock.Elapsed.TotalSeconds,
                $"slice {slice.Index} of {request.Job} on {_silo}: {error.GetBaseException().Message}");
        }
    }

    /// <summary>The slice's gradients on the replica (set to the request's parameters and synchronized buffers).</summary>
    private TrainSliceReply Compute(MultiTaskModel<float> model, MultiTaskDataset<float> data, TrainSliceRequest request, ISliceCollective? collective, Stopwatch clock)
    {
        DataParallel.SetParameters<float>(model, request.Parameters);
        if (request.Buffers is { } buffers) DataParallel.SetSynchronizedBuffers<float>(model, buffers);
        var draws = request.Positions is { } positions ? new SliceDraws(request.Offset, request.BatchRows, positions) : null;
        if (request.Direction is { } direction)
        {
            // Round 2 of a rep_grad step: the forward again (the same masks), then the direction pushed through the encoder.
            var pushed = new float[_gradient!.Length];
            var pushedReached = new bool[model.Parameters().Count];
            DataParallel.SliceRepresentationBackward<float>(model, data, request.Rows, direction, pushed, pushedReached, draws);
            return new TrainSliceReply(_silo, new double[model.Tasks.Count], pushed, clock.Elapsed.TotalSeconds, null, pushedReached, DataParallel.RandomPositions(model));
        }
        if (request.PerTask)
        {
            var gradients = new float[model.Tasks.Count * _gradient!.Length];
            var reached = new bool[model.Tasks.Count * model.Parameters().Count];
            var auxiliary = new float[_gradient.Length];
            var auxiliaryReached = new bool[model.Parameters().Count];
            var representation = request.Representation ? new RepresentationSlice<float>() : null;
            var taskLosses = DataParallel.SliceTaskGradients<float>(model, data, request.Rows, request.Fractions, gradients, reached, draws, auxiliary, auxiliaryReached,
                collective, representation);
            return new TrainSliceReply(_silo, taskLosses, gradients, clock.Elapsed.TotalSeconds, null, reached, DataParallel.RandomPositions(model),
                auxiliary, auxiliaryReached, Buffers(model, request), RepresentationGradients: representation?.Gradients,
                RepresentationWidths: representation?.Widths, RepresentationTasks: representation?.TaskRepresentations);
        }
        var losses = DataParallel.SliceGradients(model, data, request.Rows, request.Fractions, request.Weights, _gradient, draws, collective);
        return new TrainSliceReply(_silo, losses, (float[])_gradient!.Clone(), clock.Elapsed.TotalSeconds, null, null, DataParallel.RandomPositions(model),
            Buffers: Buffers(model, request));
    }

    /// <summary>The replica's synchronized buffers after a synchronized step, else null.</summary>
    private static float[]? Buffers(MultiTaskModel<float> model, TrainSliceRequest request) =>
        request.Exchange is null ? null : DataParallel.GetSynchronizedBuffers(model);

    public Task Release()
    {
        _logistic = null;
        _replica = null;
        _gradient = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private LogisticShard Logistic(ShardFiles files)
    {
        if (_logistic is null || _logistic.Files != files) _logistic = LogisticShard.Load(files);
        return _logistic;
    }
}
