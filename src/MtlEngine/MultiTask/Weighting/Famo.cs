using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Fast adaptive multitask optimization, FAMO (Liu, Liu, Jin, Stone &amp; Liu 2023, "FAMO: Fast Adaptive Multitask
/// Optimization"), as the authors' code and LibMTL compute it: task logits ξ (starting at 0), z = softmax(ξ), and the loss
/// <code>L = Σₜ zₜ log(lossₜ − minₜ + ε) / c,   c = Σₜ zₜ / (lossₜ − minₜ + ε)  (c detached)</code>
/// whose gradient is Σₜ wₜ ∇lossₜ with wₜ = zₜ / (c·(lossₜ − minₜ + ε)), so Σₜ wₜ = 1 (minₜ = 0, ε = 1e-8). Between steps
/// the logits follow the observed decrease of the log-losses, δₜ = log(lossₜ^prev + ε) − log(lossₜ^now + ε):
/// <code>ξ ← Adam(ξ, ∇ = J_softmax(ξ)ᵀ δ = z ⊙ (δ − ⟨z, δ⟩)),  lr 0.025, L2 weight decay γ = 1e-3</code>
/// </summary>
/// <remarks>
/// As in the paper's Algorithm 1 and the authors' code, δ is measured on the same batch after the model's update: the
/// trainer calls <see cref="AfterOptimizerStep"/> after the optimizer's step, which runs one forward pass without recording
/// (<see cref="TrainingStep{T}.RecomputeLosses"/>) and moves the logits. One backward pass and one extra forward pass a step.
/// Used outside a <see cref="Trainer{T}"/> (no call after the step), the logits stay at 0: FAMO is then the loss balancing
/// of its weights alone.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed class Famo<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double Epsilon = 1e-8;
    private readonly double[] _logits;
    private readonly ScalarAdam _adam;
    private double[]? _previous;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="learningRate">The logits' learning rate (the paper's 0.025).</param>
    /// <param name="gamma">The logits' L2 weight decay γ (the paper's 1e-3).</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    /// <exception cref="ArgumentOutOfRangeException">When the learning rate is not positive or γ is negative.</exception>
    public Famo(IReadOnlyList<TaskSpec> tasks, double learningRate = 0.025, double gamma = 1e-3, bool recordConflict = false) : base(tasks, recordConflict)
    {
        Strategies.CheckRate(learningRate, nameof(learningRate));
        if (!(gamma >= 0 && double.IsFinite(gamma))) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be ≥ 0 and finite.");
        _logits = new double[TaskCount];
        _adam = new ScalarAdam(learningRate, gamma);
    }

    /// <inheritdoc />
    public override string Name => "famo";

    /// <summary>The task logits ξ.</summary>
    public IReadOnlyList<double> Logits => _logits;

    /// <summary>wₜ = zₜ / (c·(lossₜ + ε)) with z = softmax(ξ) and c = Σₜ zₜ/(lossₜ + ε).</summary>
    public static double[] Weights(ReadOnlySpan<double> logits, ReadOnlySpan<double> losses)
    {
        var z = Strategies.Softmax(logits);
        double c = 0;
        for (int t = 0; t < z.Length; t++) c += z[t] / (losses[t] + Epsilon);
        var weights = new double[z.Length];
        for (int t = 0; t < z.Length; t++) weights[t] = z[t] / (c * (losses[t] + Epsilon));
        return weights;
    }

    /// <summary>The logits' gradient J_softmax(ξ)ᵀ δ = z ⊙ (δ − ⟨z, δ⟩) for the log-loss decrease δ.</summary>
    public static double[] LogitGradient(ReadOnlySpan<double> logits, ReadOnlySpan<double> previous, ReadOnlySpan<double> current)
    {
        var z = Strategies.Softmax(logits);
        var delta = new double[z.Length];
        double mean = 0;
        for (int t = 0; t < z.Length; t++)
        {
            delta[t] = Math.Log(previous[t] + Epsilon) - Math.Log(current[t] + Epsilon);
            mean += z[t] * delta[t];
        }
        for (int t = 0; t < z.Length; t++) delta[t] = z[t] * (delta[t] - mean);
        return delta;
    }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        var losses = LossValues(step);
        _previous = losses;
        BackwardWeighted(step, Weights(_logits, losses));
    }

    /// <summary>The logits' update from the decrease of each task's log-loss on the step's batch over the model's update.</summary>
    public override void AfterOptimizerStep(TrainingStep<T> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_previous is null) return; // the step was not this strategy's
        UpdateLogits(_previous, step.RecomputeLosses());
        _previous = null;
    }

    /// <summary>One Adam step of the logits from the losses before and after the model's update (on the same batch).</summary>
    public void UpdateLogits(ReadOnlySpan<double> before, ReadOnlySpan<double> after)
    {
        if (before.Length != TaskCount || after.Length != TaskCount)
            throw new ArgumentException($"FAMO needs {TaskCount} losses before and after the update, but got {before.Length} and {after.Length}.");
        _adam.Step(_logits, LogitGradient(_logits, before, after));
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        state.Put("logits", _logits);
        _adam.Save(state, "adam.");
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state)
    {
        state.CopyTo("logits", _logits);
        _adam.Load(state, "adam.", TaskCount);
        _previous = null;
    }
}
