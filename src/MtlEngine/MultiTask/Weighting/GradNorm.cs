using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Gradient normalization, GradNorm (Chen, Badrinarayanan, Lee &amp; Rabinovich 2018, "GradNorm: Gradient Normalization
/// for Adaptive Loss Balancing in Deep Multitask Networks"): learnable task weights wₜ (starting at 1) pulled so that each
/// task's weighted gradient norm on the last shared layer W trains at a common rate,
/// <code>Gₜ = ‖∇_W wₜ·lossₜ‖ = wₜ‖∇_W lossₜ‖,  Ḡ = meanₜ Gₜ,  rₜ = L̃ₜ / meanᵢ L̃ᵢ,  L̃ₜ = lossₜ / lossₜ(0)
/// L_grad = Σₜ |Gₜ − Ḡ·rₜ^α|   (the target Ḡ·rₜ^α held constant),  ∂L_grad/∂wₜ = sign(Gₜ − Ḡ·rₜ^α)·‖∇_W lossₜ‖</code>
/// with α = 1.5; after each update the weights are renormalized to Σₜ wₜ = T (and kept ≥ 1e-6). The model's gradient is
/// that of Σₜ wₜ·lossₜ with the weights before the update, as in the paper.
/// </summary>
/// <remarks>
/// W is the model's <see cref="MultiTaskModel{T}.LastSharedLayer"/>: the trunk's last weight for HPS, and the last weight of
/// every expert (MMoE, DSelect-k, the shared ones of CGC and PLE's last level) or every column (cross-stitch) together, so
/// ‖∇_W lossₜ‖ is the norm over all of them (one expert or column of several would measure a task by the module its gate
/// or cross-stitch unit happens to weigh, not by the layer); lossₜ(0) is
/// the loss of the first step (the paper's), or with <c>firstEpochReference</c> as LibMTL: the first epoch runs with equal
/// weights, which do not move, and lossₜ(0) is its mean training loss. The
/// weights are host float64 parameters of the strategy, updated by its own Adam (the training learning rate unless told
/// otherwise). Cost: T backward passes that stop at W, and one full backward pass.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed class GradNorm<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _weights;
    private readonly ScalarAdam _adam;
    private double[]? _initialLosses;
    private bool _warmingUp;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="alpha">α ≥ 0, the strength of the pull toward a common training rate (the paper's 1.5).</param>
    /// <param name="learningRate">The weights' learning rate.</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    /// <param name="firstEpochReference">LibMTL's reference losses: equal weights through the first epoch, lossₜ(0) its mean
    /// training loss (false: the paper's, the first step's loss).</param>
    /// <exception cref="ArgumentOutOfRangeException">When α is negative or the learning rate not positive.</exception>
    public GradNorm(IReadOnlyList<TaskSpec> tasks, double alpha = 1.5, double learningRate = 1e-3, bool recordConflict = false, bool firstEpochReference = false)
        : base(tasks, recordConflict)
    {
        if (!(alpha >= 0 && double.IsFinite(alpha))) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be ≥ 0 and finite.");
        Strategies.CheckRate(learningRate, nameof(learningRate));
        Alpha = alpha;
        _weights = Enumerable.Repeat(1.0, TaskCount).ToArray();
        _adam = new ScalarAdam(learningRate);
        FirstEpochReference = firstEpochReference;
        _warmingUp = firstEpochReference;
    }

    /// <summary>Whether lossₜ(0) is the first epoch's mean loss, equal weights through that epoch (LibMTL), rather than the first step's.</summary>
    public bool FirstEpochReference { get; }

    /// <summary>The reference losses lossₜ(0), or null before they are known.</summary>
    public IReadOnlyList<double>? ReferenceLosses => _initialLosses;

    /// <inheritdoc />
    public override string Name => "gradnorm";

    /// <summary>α.</summary>
    public double Alpha { get; }

    /// <summary>The current weights wₜ.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>‖∇_W lossₜ‖ of the last step that moved the weights, in task order (null before the first).</summary>
    public IReadOnlyList<double>? LastGradientNorms { get; private set; }

    /// <summary>∂L_grad/∂wₜ from the weights, the gradient norms ‖∇_W lossₜ‖ and the loss ratios L̃ₜ.</summary>
    public static double[] WeightGradient(ReadOnlySpan<double> weights, ReadOnlySpan<double> gradientNorms, ReadOnlySpan<double> lossRatios, double alpha)
    {
        int n = weights.Length;
        double meanNorm = 0, meanRatio = 0;
        for (int t = 0; t < n; t++)
        {
            meanNorm += weights[t] * gradientNorms[t] / n;
            meanRatio += lossRatios[t] / n;
        }
        var gradient = new double[n];
        for (int t = 0; t < n; t++)
        {
            double target = meanNorm * Math.Pow(meanRatio > 0 ? lossRatios[t] / meanRatio : 1, alpha);
            gradient[t] = Math.Sign(weights[t] * gradientNorms[t] - target) * gradientNorms[t];
        }
        return gradient;
    }

    /// <summary>‖∇_W lossₜ‖ of one task over the tensors of W: the square root of the sum of every tensor's squared entries.</summary>
    public static double GradientNorm(IReadOnlyList<MtlTensor<T>> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        double sum = 0;
        foreach (var g in gradients) sum += double.CreateChecked(g.Square().Sum().Item());
        return Math.Sqrt(sum);
    }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        if (_warmingUp)
        {
            BackwardWeighted(step, (double[])_weights.Clone());
            return;
        }
        var losses = LossValues(step);
        _initialLosses ??= losses;
        var norms = step.TaskGradients(step.Model.LastSharedLayer()).Select(GradientNorm).ToArray();
        LastGradientNorms = norms;
        var ratios = new double[TaskCount];
        for (int t = 0; t < TaskCount; t++) ratios[t] = _initialLosses[t] > 0 ? losses[t] / _initialLosses[t] : 1;
        var gradient = WeightGradient(_weights, norms, ratios, Alpha);
        BackwardWeighted(step, (double[])_weights.Clone());
        _adam.Step(_weights, gradient);
        double sum = 0;
        for (int t = 0; t < TaskCount; t++) sum += _weights[t] = Math.Max(_weights[t], 1e-6);
        for (int t = 0; t < TaskCount; t++) _weights[t] *= TaskCount / sum;
    }

    /// <inheritdoc />
    protected override void OnEpochEndCore(EpochReport report)
    {
        if (!_warmingUp) return;
        var losses = report.TaskTrainLosses ?? throw new ArgumentException("GradNorm's first-epoch reference needs each task's training loss in the epoch report.", nameof(report));
        _initialLosses = TaskNames.Select(n => losses[n]).ToArray();
        _warmingUp = false;
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        state.Put("weights", _weights);
        state.Put("reference_losses", _initialLosses ?? []);
        state.Put("warming_up", [_warmingUp ? 1 : 0]);
        _adam.Save(state, "adam.");
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state)
    {
        state.CopyTo("weights", _weights);
        _initialLosses = state.Optional("reference_losses") is null ? null : (double[])state.Get("reference_losses", TaskCount).Clone();
        _warmingUp = state.Get("warming_up", 1)[0] != 0;
        _adam.Load(state, "adam.", TaskCount);
    }
}
