using System.Diagnostics;
using Orleans.Runtime;

namespace MtlEngine.Cluster;

/// <summary>
/// The silo side of <see cref="IShardGrain"/>: reads its shard files (paths the silo can read) and reduces them with
/// <see cref="ShardWork"/>. For logistic regression the loaded shard stays in the activation between the per-iteration
/// gradient calls; a new activation (another generation, after a silo failed) loads it again.
/// </summary>
internal sealed class ShardGrain(ILocalSiloDetails silo) : Grain, IShardGrain
{
    private readonly string _silo = silo.SiloAddress.Endpoint.ToString();
    private LogisticShard? _logistic;

    public Task<ShardStatisticsReply> Statistics(StatisticsKind kind, ShardFiles files)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var (statistics, rows) = ShardWork.Statistics(kind, files);
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

    public Task Release()
    {
        _logistic = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private LogisticShard Logistic(ShardFiles files)
    {
        if (_logistic is null || _logistic.Files != files) _logistic = LogisticShard.Load(files);
        return _logistic;
    }
}
