using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Random loss weighting, RLW (Lin, Ye, Xu, Shi &amp; Zhang 2022, "Reasonable Effectiveness of Random Weighting: A Litmus
/// Test for Multi-Task Learning", arXiv 2021): fresh random weights every step,
/// <code>w = softmax(λ),  λ ~ N(0, I_T)</code>
/// (so Σₜ wₜ = 1, as in LibMTL), drawn from a seeded generator: the same seed gives the same weights.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class RandomLossWeighting<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TensorRandom _random;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="seed">Seeds the weights.</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    public RandomLossWeighting(IReadOnlyList<TaskSpec> tasks, ulong seed = 0, bool recordConflict = false) : base(tasks, recordConflict)
    {
        _random = new TensorRandom(seed);
    }

    /// <inheritdoc />
    public override string Name => "rlw";

    /// <summary>The next step's weights: softmax of T standard normal draws.</summary>
    public double[] NextWeights() => Strategies.Softmax(_random.Normal([TaskCount], 0.0, 1.0).ToArray());

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step) => BackwardWeighted(step, NextWeights());

    /// <inheritdoc />
    protected override void SaveState(StrategyState state) => state.PutPosition("random", _random);

    /// <inheritdoc />
    protected override void LoadState(StrategyState state) => state.GetPosition("random", _random);
}
