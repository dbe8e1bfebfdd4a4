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
/// W is the last shared parameter named <c>*.weight</c> in state-dict order (the trunk's last layer for HPS); lossₜ(0) is
/// the loss of the first step (LibMTL instead runs the first epoch with equal weights and takes its mean loss). The
/// weights are host float64 parameters of the strategy, updated by its own Adam (the training learning rate unless told
/// otherwise). Cost: T backward passes that stop at W, and one full backward pass.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed class GradNorm<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _weights;
    private readonly ScalarAdam _adam;
    private double[]? _initialLosses;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="alpha">α ≥ 0, the strength of the pull toward a common training rate (the paper's 1.5).</param>
    /// <param name="learningRate">The weights' learning rate.</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    /// <exception cref="ArgumentOutOfRangeException">When α is negative or the learning rate not positive.</exception>
    public GradNorm(IReadOnlyList<TaskSpec> tasks, double alpha = 1.5, double learningRate = 1e-3, bool recordConflict = false) : base(tasks, recordConflict)
    {
        if (!(alpha >= 0 && double.IsFinite(alpha))) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be ≥ 0 and finite.");
        Strategies.CheckRate(learningRate, nameof(learningRate));
        Alpha = alpha;
        _weights = Enumerable.Repeat(1.0, TaskCount).ToArray();
        _adam = new ScalarAdam(learningRate);
    }

    /// <inheritdoc />
    public override string Name => "gradnorm";

    /// <summary>α.</summary>
    public double Alpha { get; }

    /// <summary>The current weights wₜ.</summary>
    public IReadOnlyList<double> Weights => _weights;

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

    /// <summary>The last shared parameter named <c>*.weight</c> (W).</summary>
    /// <exception cref="InvalidOperationException">When the model has no shared weight.</exception>
    public static MtlTensor<T> LastSharedWeight(MultiTaskModel<T> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = model.SharedParameters().Where(p => p.Key.EndsWith("weight", StringComparison.Ordinal)).ToList();
        return weights.Count > 0
            ? weights[^1].Value
            : throw new InvalidOperationException($"GradNorm needs a shared weight (the last shared layer's), but {model.GetType().Name} has no shared parameter named *.weight.");
    }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        var losses = LossValues(step);
        _initialLosses ??= losses;
        var w = LastSharedWeight(step.Model);
        var norms = step.TaskGradients([w]).Select(g => Math.Sqrt(double.CreateChecked(g[0].Square().Sum().Item()))).ToArray();
        var ratios = new double[TaskCount];
        for (int t = 0; t < TaskCount; t++) ratios[t] = _initialLosses[t] > 0 ? losses[t] / _initialLosses[t] : 1;
        var gradient = WeightGradient(_weights, norms, ratios, Alpha);
        BackwardWeighted(step, (double[])_weights.Clone());
        _adam.Step(_weights, gradient);
        double sum = 0;
        for (int t = 0; t < TaskCount; t++) sum += _weights[t] = Math.Max(_weights[t], 1e-6);
        for (int t = 0; t < TaskCount; t++) _weights[t] *= TaskCount / sum;
    }
}
