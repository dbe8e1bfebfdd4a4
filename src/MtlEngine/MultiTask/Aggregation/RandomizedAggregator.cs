using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// An aggregator that draws from a seeded random stream at every step (PCGrad's and GradVac's task orders, GradDrop's
/// uniforms): <see cref="Reset"/> restarts the stream, and a checkpoint keeps its position as <c>random</c>, so that a
/// resumed run draws what an uninterrupted one would have drawn.
/// </summary>
public abstract class RandomizedAggregator : GradientAggregator
{
    /// <summary>Creates the stream.</summary>
    /// <param name="seed">The seed of the random stream.</param>
    protected RandomizedAggregator(ulong seed) => Random = new TensorRandom(seed);

    /// <summary>The seeded stream the method draws from.</summary>
    private protected TensorRandom Random { get; }

    /// <summary>Restarts the random stream (the next call draws what the first call drew).</summary>
    public override void Reset() => Random.Position = 0;

    /// <summary>Writes the position of the random stream.</summary>
    public override void SaveState(StrategyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.PutPosition("random", Random);
    }

    /// <summary>Restores the position of the random stream.</summary>
    public override void LoadState(StrategyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.GetPosition("random", Random);
    }
}
