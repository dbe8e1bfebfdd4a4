namespace MtlEngine.Cluster;

/// <summary>
/// One shard file of one fit, read and reduced on the silo where the grain lives. The key is
/// "fit-id/shard/generation": a shard whose silo failed gets a new generation, hence a fresh activation placed on a live
/// silo, instead of waiting for the cluster to notice the dead one. Errors in the data (a missing or corrupt file) come
/// back in the reply's <c>Error</c> rather than as exceptions, so the client can tell them from a failed silo (which it
/// retries elsewhere).
/// </summary>
public interface IShardGrain : IGrainWithStringKey
{
    /// <summary>Reads the shard in row blocks within <paramref name="memoryBudget"/> bytes and returns its mergeable statistics.</summary>
    Task<ShardStatisticsReply> Statistics(StatisticsKind kind, ShardFiles files, long memoryBudget);

    /// <summary>Reads the shard for logistic regression and keeps it in memory for the <see cref="LogisticGradient"/> calls.</summary>
    Task<LogisticShardInfo> LoadLogistic(ShardFiles files);

    /// <summary>The shard's loss and gradient at <paramref name="theta"/> (loading the shard first if this activation has not).</summary>
    Task<LogisticShardGradient> LogisticGradient(ShardFiles files, LogisticProblem problem, double[] theta);

    /// <summary>
    /// One slice of a data-parallel training step: the gradient at the request's parameters on the slice's rows (building
    /// the job's replica first if this activation has not). <paramref name="slice"/> names the slice (its index; X is the job).
    /// </summary>
    Task<TrainSliceReply> TrainSlice(ShardFiles slice, TrainSliceRequest request);

    /// <summary>Drops the shard's data and deactivates the grain (at the end of a fit).</summary>
    Task Release();
}
