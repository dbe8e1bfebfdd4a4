namespace MtlEngine.Cluster;

/// <summary>What every shard grain reply carries: the silo that ran it and, when the shard's data were bad, why.</summary>
public interface IShardReply
{
    /// <summary>The silo that ran the shard, as its silo end point (HOST:PORT).</summary>
    string Silo { get; }

    /// <summary>Why the shard failed (a missing or corrupt file, mismatched rows), or null.</summary>
    string? Error { get; }
}

/// <summary>The files of one shard, as paths the silos can read (a shared or replicated file system).</summary>
/// <param name="Index">The shard's position in <c>--x</c> (0-based); statistics are merged in this order.</param>
/// <param name="X">The features: a float .npy of shape (n_rows, n_features).</param>
/// <param name="Y">The targets, second view or labels, .npy with the same rows as X, or null (PCA).</param>
/// <param name="SampleWeight">Per-row weights, .npy of shape (n_rows,), or null.</param>
[GenerateSerializer, Immutable]
public sealed record ShardFiles(
    [property: Id(0)] int Index,
    [property: Id(1)] string X,
    [property: Id(2)] string? Y,
    [property: Id(3)] string? SampleWeight)
{
    /// <summary>The shard as the fit reports it: its index and X file.</summary>
    public override string ToString() => $"shard {Index} ({X})";
}

/// <summary>The statistics a shard grain computes: one kind per estimator that reduces to mergeable sums.</summary>
public enum StatisticsKind
{
    /// <summary>Ridge regression: n, Σw, means and centred XᵀX, Xᵀy, yᵀy.</summary>
    Ridge,
    /// <summary>PCA by the covariance route: n, the mean and the centred scatter matrix of X.</summary>
    Pca,
    /// <summary>CCA: n, the means and the centred scatter matrices of X, Y and XᵀY.</summary>
    Cca,
}

/// <summary>What one shard grain returned: who ran it, its serialized statistics, or the one-line error.</summary>
/// <param name="Silo">The silo that ran the shard, as its silo end point (HOST:PORT).</param>
/// <param name="Rows">The rows read.</param>
/// <param name="Seconds">The time the silo spent on the shard (reading and summing).</param>
/// <param name="Statistics">The shard's statistics in their serialized form, or null after an error.</param>
/// <param name="Error">Why the shard failed (a missing or corrupt file, mismatched rows), or null.</param>
[GenerateSerializer, Immutable]
public sealed record ShardStatisticsReply(
    [property: Id(0)] string Silo,
    [property: Id(1)] long Rows,
    [property: Id(2)] double Seconds,
    [property: Id(3)] byte[]? Statistics,
    [property: Id(4)] string? Error) : IShardReply;

/// <summary>What a logistic-regression shard holds once loaded: its rows, features and the count of each label.</summary>
/// <param name="Silo">The silo that loaded the shard (HOST:PORT).</param>
/// <param name="Rows">n, the shard's rows.</param>
/// <param name="Features">d, the columns of X.</param>
/// <param name="Labels">The distinct labels of the shard, ascending.</param>
/// <param name="Counts">How many rows carry each label (same order).</param>
/// <param name="Error">Why the shard failed, or null.</param>
[GenerateSerializer, Immutable]
public sealed record LogisticShardInfo(
    [property: Id(0)] string Silo,
    [property: Id(1)] long Rows,
    [property: Id(2)] int Features,
    [property: Id(3)] int[] Labels,
    [property: Id(4)] long[] Counts,
    [property: Id(5)] string? Error) : IShardReply;

/// <summary>The problem every shard of a logistic-regression fit shares: the classes of all shards and their weights.</summary>
/// <param name="Classes">The labels of every shard, ascending (at least two).</param>
/// <param name="ClassWeights">The weight of each class (1 unless --class-weight), multiplied into the sample weights.</param>
/// <param name="FitIntercept">Whether θ ends with one intercept per coefficient row.</param>
[GenerateSerializer, Immutable]
public sealed record LogisticProblem(
    [property: Id(0)] int[] Classes,
    [property: Id(1)] double[] ClassWeights,
    [property: Id(2)] bool FitIntercept);

/// <summary>One shard's unpenalized loss Σᵢ sᵢ·ℓᵢ and its gradient at the θ it was sent.</summary>
/// <param name="Silo">The silo that evaluated it (HOST:PORT).</param>
/// <param name="Loss">Σᵢ sᵢ·ℓᵢ over the shard's rows.</param>
/// <param name="Gradient">∂/∂θ of that sum (no penalty term).</param>
/// <param name="Error">Why the shard failed, or null.</param>
[GenerateSerializer, Immutable]
public sealed record LogisticShardGradient(
    [property: Id(0)] string Silo,
    [property: Id(1)] double Loss,
    [property: Id(2)] double[] Gradient,
    [property: Id(3)] string? Error) : IShardReply;
