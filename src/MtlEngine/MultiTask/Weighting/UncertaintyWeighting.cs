using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Uncertainty weighting, UW (Kendall, Gal &amp; Cipolla 2018, "Multi-Task Learning Using Uncertainty to Weigh Losses for
/// Scene Geometry and Semantics"): each task has a learnable log-variance sₜ = log σₜ², and the loss is
/// <code>L = Σₜ lossₜ / (2·e^{sₜ}) + sₜ / 2</code>
/// so the task weights are wₜ = 1/(2·e^{sₜ}) and ∂L/∂sₜ = −lossₜ/(2·e^{sₜ}) + 1/2 (a noisier task, larger σ, weighs less;
/// the sₜ/2 term stops σ from growing without bound). sₜ starts at −0.5, as in LibMTL.
/// </summary>
/// <remarks>
/// The log-variances are parameters of the strategy, not of the model: they live on the host in float64 (so they are on
/// no device and in no checkpoint of the model) and a small Adam of the strategy's own updates them each step from the
/// closed-form ∂L/∂sₜ, at the training learning rate unless told otherwise — what LibMTL's single optimizer over the model
/// and the loss scales does, the model's step being the trainer's. <see cref="LogVariances"/> exposes them.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed class UncertaintyWeighting<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _logVariances;
    private readonly ScalarAdam _adam;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="learningRate">The learning rate of the log-variances' Adam (&gt; 0).</param>
    /// <param name="initialLogVariance">The starting sₜ (LibMTL: −0.5).</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    /// <exception cref="ArgumentOutOfRangeException">When the learning rate is not positive and finite.</exception>
    public UncertaintyWeighting(IReadOnlyList<TaskSpec> tasks, double learningRate = 1e-3, double initialLogVariance = -0.5, bool recordConflict = false)
        : base(tasks, recordConflict)
    {
        Strategies.CheckRate(learningRate, nameof(learningRate));
        _logVariances = Enumerable.Repeat(initialLogVariance, TaskCount).ToArray();
        _adam = new ScalarAdam(learningRate);
    }

    /// <inheritdoc />
    public override string Name => "uw";

    /// <summary>The current log-variances sₜ = log σₜ², in task order.</summary>
    public IReadOnlyList<double> LogVariances => _logVariances;

    /// <summary>L = Σₜ lossₜ/(2e^{sₜ}) + sₜ/2 for the given losses and log-variances.</summary>
    public static double Loss(ReadOnlySpan<double> losses, ReadOnlySpan<double> logVariances)
    {
        double sum = 0;
        for (int t = 0; t < losses.Length; t++) sum += losses[t] / (2 * Math.Exp(logVariances[t])) + logVariances[t] / 2;
        return sum;
    }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        var losses = LossValues(step);
        var weights = new double[TaskCount];
        var gradient = new double[TaskCount];
        for (int t = 0; t < TaskCount; t++)
        {
            weights[t] = 1 / (2 * Math.Exp(_logVariances[t]));
            gradient[t] = -losses[t] * weights[t] + 0.5; // ∂L/∂sₜ
        }
        BackwardWeighted(step, weights);
        _adam.Step(_logVariances, gradient);
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        state.Put("log_variances", _logVariances);
        _adam.Save(state, "adam.");
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state)
    {
        state.CopyTo("log_variances", _logVariances);
        _adam.Load(state, "adam.", TaskCount);
    }
}
