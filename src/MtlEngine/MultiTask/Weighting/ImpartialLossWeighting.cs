using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// The loss-balancing half of impartial multi-task learning, IMTL-L (Liu, Li, Kuang, Xue, Chen, Yang, Liao &amp; Zhang
/// 2021, "Towards Impartial Multi-task Learning"): each task has a learnable scale sₜ (starting at 0) and the loss
/// <code>L = Σₜ e^{sₜ}·lossₜ − sₜ,   ∂L/∂θ = Σₜ e^{sₜ} ∇lossₜ,   ∂L/∂sₜ = e^{sₜ}·lossₜ − 1</code>
/// whose minimum over sₜ sets every scaled loss e^{sₜ}·lossₜ to 1: the tasks' losses are balanced to the same scale.
/// Full IMTL adds IMTL-G, the gradient half: pass an aggregation strategy over the <c>imtl-g</c> aggregator, and the
/// aggregator then combines the gradients of the scaled losses e^{sₜ}·lossₜ.
/// </summary>
/// <remarks>
/// The scales are host float64 parameters of the strategy, updated each step by its own Adam from the closed-form ∂L/∂sₜ
/// (at the training learning rate unless told otherwise), as LibMTL optimizes its <c>loss_scale</c> with the model. The
/// recorded weights are e^{sₜ} (times the aggregator's weights in full IMTL).
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ImpartialLossWeighting<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _scales;
    private readonly ScalarAdam _adam;
    private readonly AggregationStrategy<T>? _gradientHalf;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="learningRate">The scales' learning rate.</param>
    /// <param name="gradientHalf">For full IMTL: the aggregation of the scaled losses' gradients (IMTL-G); null for IMTL-L alone (one backward pass).</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (free with <paramref name="gradientHalf"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">When the learning rate is not positive and finite.</exception>
    public ImpartialLossWeighting(IReadOnlyList<TaskSpec> tasks, double learningRate = 1e-3, AggregationStrategy<T>? gradientHalf = null, bool recordConflict = false)
        : base(tasks, recordConflict)
    {
        Strategies.CheckRate(learningRate, nameof(learningRate));
        _scales = new double[TaskCount];
        _adam = new ScalarAdam(learningRate);
        _gradientHalf = gradientHalf;
    }

    /// <inheritdoc />
    public override string Name => _gradientHalf is null ? "imtl-l" : "imtl";

    /// <summary>The current log-scales sₜ.</summary>
    public IReadOnlyList<double> LogScales => _scales;

    /// <inheritdoc />
    protected override bool HasJacobian => _gradientHalf is not null;

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        var losses = LossValues(step);
        var scales = _scales.Select(Math.Exp).ToArray();
        var gradient = new double[TaskCount];
        for (int t = 0; t < TaskCount; t++) gradient[t] = scales[t] * losses[t] - 1; // ∂L/∂sₜ
        if (_gradientHalf is null) BackwardWeighted(step, scales);
        else
        {
            var (result, jacobian) = _gradientHalf.Backward(step, scales);
            RecordConflict(jacobian);
            if (result.Weights is not null) RecordWeights(result.Weights.Select((w, t) => w * scales[t]).ToArray());
        }
        _adam.Step(_scales, gradient);
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        state.Put("log_scales", _scales);
        _adam.Save(state, "adam.");
        if (_gradientHalf is not null)
        {
            var aggregator = new StrategyState();
            _gradientHalf.Aggregator.SaveState(aggregator);
            state.PutSection("aggregator.", aggregator);
        }
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state)
    {
        state.CopyTo("log_scales", _scales);
        _adam.Load(state, "adam.", TaskCount);
        _gradientHalf?.Aggregator.LoadState(state.Section("aggregator."));
    }
}
