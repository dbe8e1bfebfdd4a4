using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Data;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Batch normalization over axis 1 (the channels) of an (N, C, ...) input (Ioffe &amp; Szegedy 2015; PyTorch's
/// <c>_BatchNorm</c>): y = (x − μ) / √(σ² + ε)·γ + β per channel. In training mode μ and σ² are the batch's statistics over
/// every axis but the channels (σ² biased), and the running estimates move toward them:
/// running ← (1 − m)·running + m·batch, with the unbiased σ²·n/(n − 1) for the running variance (m = 1/t, a cumulative
/// average, when the momentum is null). In evaluation mode the running estimates are used. State-dict names and defaults are
/// PyTorch's: weight (ones), bias (zeros), running_mean (zeros), running_var (ones), num_batches_tracked (int64).
/// <para>
/// In a data-parallel slice (<see cref="Collective"/> set) the layer is PyTorch's SyncBatchNorm: the batch statistics are the
/// whole batch's, merged from every slice's (<see cref="SynchronizedStatistics"/>), so the step normalizes, updates the running
/// estimates and back-propagates exactly as the local step on the whole batch.
/// </para>
/// </summary>
public abstract class BatchNormBase<T> : Module<T>, ISynchronizedModule where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer for <paramref name="features"/> channels.</summary>
    /// <param name="features">C, the number of channels.</param>
    /// <param name="epsilon">ε added to the variance.</param>
    /// <param name="momentum">m of the running estimates; null for a cumulative average.</param>
    /// <param name="affine">Learn γ ("weight") and β ("bias").</param>
    /// <param name="trackRunningStats">Keep running estimates (and use them in evaluation mode); without them, batch statistics are always used.</param>
    /// <exception cref="ArgumentOutOfRangeException">When features &lt; 1, ε &lt; 0 or the momentum is outside [0, 1].</exception>
    protected BatchNormBase(int features, double epsilon, double? momentum, bool affine, bool trackRunningStats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "BatchNorm's epsilon must be ≥ 0.");
        if (momentum is double m && !(m >= 0 && m <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), m, "BatchNorm's momentum must be in [0, 1] (or null for a cumulative average).");
        Features = features;
        Epsilon = T.CreateChecked(epsilon);
        Momentum = momentum;
        if (affine)
        {
            Weight = RegisterParameter("weight", MtlTensor.Ones<T>(features));
            Bias = RegisterParameter("bias", MtlTensor.Zeros<T>(features));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", MtlTensor.Zeros<T>(features));
            RunningVar = RegisterBuffer("running_var", MtlTensor.Ones<T>(features));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", MtlTensor.Zeros<T>([]), DType.Int64);
        }
    }

    /// <summary>C, the number of channels.</summary>
    public int Features { get; }

    /// <summary>ε added to the variance.</summary>
    public T Epsilon { get; }

    /// <summary>m of the running estimates, or null for a cumulative average.</summary>
    public double? Momentum { get; }

    /// <summary>γ, shape (C,), or null when not affine.</summary>
    public MtlTensor<T>? Weight { get; }

    /// <summary>β, shape (C,), or null when not affine.</summary>
    public MtlTensor<T>? Bias { get; }

    /// <summary>The running mean, shape (C,) (a buffer), or null when running statistics are not tracked.</summary>
    public MtlTensor<T>? RunningMean { get; }

    /// <summary>The running (unbiased) variance, shape (C,) (a buffer), or null when running statistics are not tracked.</summary>
    public MtlTensor<T>? RunningVar { get; }

    /// <summary>The number of training batches seen, a 0-d buffer (saved as int64), or null when running statistics are not tracked.</summary>
    public MtlTensor<T>? NumBatchesTracked { get; }

    /// <inheritdoc />
    public ISliceCollective? Collective { get; set; }

    /// <summary>Throws when the input's rank is not one this layer accepts.</summary>
    protected abstract void CheckRank(MtlTensor<T> input);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">When the rank or the channel count is wrong, or a training batch has one value per channel.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckRank(input);
        if (input.Shape[1] != Features)
            throw new ArgumentException($"{GetType().Name}({Features}) got an input of shape {MtlTensor<T>.ShapeText(input.Shape)}; axis 1 must hold the {Features} channels.");
        var axes = Enumerable.Range(0, input.Rank).Where(d => d != 1).ToArray();
        var statShape = Enumerable.Repeat(1, input.Rank).ToArray();
        statShape[1] = Features;

        MtlTensor<T> mean, variance;
        if (Training && Collective is { } collective)
        {
            (mean, variance, int count) = SynchronizedStatistics(input, axes, statShape, collective);
            if (RunningMean is not null) UpdateRunningStatistics(mean, variance, count);
        }
        else if (Training || RunningMean is null)
        {
            int count = input.Length / Features;
            if (Training && count <= 1)
                throw new ArgumentException($"{GetType().Name} needs more than 1 value per channel when training, but got an input of shape {MtlTensor<T>.ShapeText(input.Shape)}.");
            mean = input.Mean(axes, keepDims: true);
            variance = input.Variance(axes, keepDims: true);
            if (Training && RunningMean is not null) UpdateRunningStatistics(mean, variance, count);
        }
        else
        {
            mean = RunningMean.Reshape(statShape);
            variance = RunningVar!.Reshape(statShape);
        }
        var y = (input - mean) / (variance + Epsilon).Sqrt();
        if (Weight is not null) y = y * Weight.Reshape(statShape) + Bias!.Reshape(statShape);
        return y;
    }

    /// <summary>
    /// The whole batch's per-channel mean and biased variance, from every slice's rows: each slice computes its count nₛ, mean
    /// μₛ and M2ₛ = Σ (x − μₛ)² over its own rows, the slices all-gather them (<see cref="DataParallel.AllGather{T}"/>) and each
    /// merges them in slice order by Chan, Golub &amp; LeVeque's pairwise update (never Σx² − n·μ², which cancels):
    /// δ = μ_b − μ_a, n = n_a + n_b, μ = μ_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n; σ² = M2/n. The merge is made of
    /// differentiable operations and the all-gather's gradient sums every slice's, so the backward is the whole batch's too:
    /// it amounts to all-reducing the per-channel Σ ∂L/∂μ and Σ ∂L/∂σ² (PyTorch's all-reduced Σ dy and Σ dy·x̂).
    /// </summary>
    /// <returns>The mean and variance in the statistics' shape (1, C, 1, …), and N, the values per channel over the whole batch.</returns>
    /// <exception cref="ArgumentException">When the whole batch has one value per channel.</exception>
    private (MtlTensor<T> Mean, MtlTensor<T> Variance, int Count) SynchronizedStatistics(MtlTensor<T> input, int[] axes, int[] statShape, ISliceCollective collective)
    {
        int local = input.Length / Features;
        var localMean = input.Mean(axes, keepDims: true);
        var centered = input - localMean;
        var m2 = (centered * centered).Sum(axes);
        var counts = MtlTensor.FromArray(Enumerable.Repeat(T.CreateChecked(local), Features).ToArray(), Features);
        var gathered = DataParallel.AllGather(MtlTensor.Stack([counts, localMean.Reshape(Features), m2]), collective); // (K, 3, C)
        var values = DataParallel.ToDouble(gathered.Detach());
        int stride = 3 * Features;
        double n = values[0];
        MtlTensor<T> mean = gathered.Select(0, 0).Select(0, 1), sum2 = gathered.Select(0, 0).Select(0, 2);
        for (int s = 1; s < collective.Slices; s++)
        {
            double nb = values[s * stride], total = n + nb;
            var slice = gathered.Select(0, s);
            var delta = slice.Select(0, 1) - mean;
            mean = mean + delta * T.CreateChecked(nb / total);
            sum2 = sum2 + slice.Select(0, 2) + delta * delta * T.CreateChecked(n * nb / total);
            n = total;
        }
        int count = checked((int)n);
        if (count <= 1)
            throw new ArgumentException($"{GetType().Name} needs more than 1 value per channel when training, but the whole batch of the data-parallel step has {count}.");
        return (mean.Reshape(statShape), (sum2 / T.CreateChecked(n)).Reshape(statShape), count);
    }

    /// <summary>running ← (1 − m)·running + m·batch (unbiased variance), t ← t + 1; constants, outside the graph.</summary>
    private void UpdateRunningStatistics(MtlTensor<T> mean, MtlTensor<T> variance, int count)
    {
        using var _ = Grad.NoGrad();
        var batches = NumBatchesTracked! + T.One;
        batches.CopyTo(NumBatchesTracked!);
        T m = Momentum is double momentum ? T.CreateChecked(momentum) : T.One / batches.Item();
        T keep = T.One - m;
        var unbiased = variance.Detach() * (T.CreateChecked(count) / T.CreateChecked(count - 1));
        (RunningMean! * keep + mean.Detach().Reshape(Features) * m).CopyTo(RunningMean!);
        (RunningVar! * keep + unbiased.Reshape(Features) * m).CopyTo(RunningVar!);
    }
}

/// <summary>Batch normalization of (N, C) or (N, C, L) inputs (PyTorch's <c>nn.BatchNorm1d</c>); see <see cref="BatchNormBase{T}"/>.</summary>
public sealed class BatchNorm1d<T> : BatchNormBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <inheritdoc cref="BatchNormBase{T}(int, double, double?, bool, bool)"/>
    public BatchNorm1d(int features, double epsilon = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(features, epsilon, momentum, affine, trackRunningStats) { }

    /// <inheritdoc />
    protected override void CheckRank(MtlTensor<T> input)
    {
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"BatchNorm1d expects an input of shape (N, C) or (N, C, L), but got {MtlTensor<T>.ShapeText(input.Shape)}.");
    }
}

/// <summary>Batch normalization of (N, C, H, W) inputs (PyTorch's <c>nn.BatchNorm2d</c>); see <see cref="BatchNormBase{T}"/>.</summary>
public sealed class BatchNorm2d<T> : BatchNormBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <inheritdoc cref="BatchNormBase{T}(int, double, double?, bool, bool)"/>
    public BatchNorm2d(int features, double epsilon = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(features, epsilon, momentum, affine, trackRunningStats) { }

    /// <inheritdoc />
    protected override void CheckRank(MtlTensor<T> input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"BatchNorm2d expects an input of shape (N, C, H, W), but got {MtlTensor<T>.ShapeText(input.Shape)}.");
    }
}
