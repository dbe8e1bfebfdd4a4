using MtlEngine.Kernels;

namespace MtlEngine.Learn;

/// <summary>
/// What the statistics of the estimators fitted from a centred scatter share (<see cref="RidgeStatistics"/>,
/// <see cref="PcaStatistics"/>, <see cref="CcaStatistics"/>; see <see cref="IFitStatistics{TSelf}"/>): the rows
/// zᵢ = [xᵢ yᵢ] of d features and t targets (t = 0 for X alone) summed into n, Σ sᵢ, the weighted mean and the centred
/// scatter Σ sᵢ·(zᵢ − μ)(zᵢ − μ)ᵀ — one SYRK per added block, merged by Chan's update. A subclass says which shapes
/// merge, whether it takes sample weights, and how the scatter becomes its model.
/// </summary>
/// <typeparam name="TSelf">The statistics type itself.</typeparam>
public abstract class CenteredMomentStatistics<TSelf> where TSelf : CenteredMomentStatistics<TSelf>
{
    private protected CenteredMomentStatistics(int features, int targets, CenteredMoments moments, Parallelism? parallelism)
    {
        Features = features;
        Targets = targets;
        Moments = moments;
        Parallelism = parallelism;
    }

    /// <summary>d, the columns of X.</summary>
    public int Features { get; }

    /// <summary>t, the columns of Y (0 for statistics of X alone).</summary>
    public int Targets { get; }

    /// <summary>
    /// Threads for the SYRK of each added block, or null (the default) for all cores: <c>TensorParallelism.Current</c> of
    /// the thread that adds, read at each <c>Add</c> (see <see cref="MtlEngine.Parallelism"/>). Not saved; the statistics
    /// do not depend on it. The fit uses its options' <c>Parallelism</c>.
    /// </summary>
    public Parallelism? Parallelism { get; set; }

    /// <inheritdoc cref="IFitStatistics{TSelf}.Rows"/>
    public long Rows => Moments.Rows;

    /// <inheritdoc cref="IFitStatistics{TSelf}.WeightSum"/>
    public double WeightSum => Moments.WeightSum;

    internal CenteredMoments Moments { get; }

    /// <summary>The estimator's name in errors ("PCA").</summary>
    private protected abstract string Estimator { get; }

    /// <summary>Whether <see cref="Add"/> takes sample weights (otherwise it refuses any).</summary>
    private protected virtual bool TakesSampleWeights => false;

    /// <inheritdoc cref="IFitStatistics{TSelf}.Add"/>
    public void Add(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> sampleWeight)
    {
        if (!TakesSampleWeights && !sampleWeight.IsEmpty)
            throw new LearnInputException($"{Estimator} takes no sample weights; pass an empty weight span.");
        int n = StatisticsInput.Rows(x, Features, y, Targets, sampleWeight);
        Moments.Add(x, Features, y, Targets, n, sampleWeight, Parallelism ?? TensorParallelism.Current);
    }

    /// <inheritdoc cref="IFitStatistics{TSelf}.Merge"/>
    public TSelf Merge(TSelf other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckMergeable(other);
        Moments.Merge(other.Moments);
        return (TSelf)this;
    }

    /// <summary>Refuses statistics of another shape or kind of target.</summary>
    /// <exception cref="LearnInputException">When <paramref name="other"/> cannot be merged into this object.</exception>
    private protected abstract void CheckMergeable(TSelf other);
}
