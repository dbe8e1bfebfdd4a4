using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// GradDrop, gradient sign dropout (Chen et al., "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient
/// Sign Dropout", NeurIPS 2020). Per parameter p, the positive sign purity
/// <code>𝒫ₚ = ½·(1 + Σᵢ gᵢₚ / Σᵢ |gᵢₚ|)</code>
/// is the probability of keeping the positive parts: with Uₚ uniform in [0, 1), the mask is
/// Mᵢₚ = [𝒫ₚ &gt; Uₚ]·[gᵢₚ &gt; 0] + [𝒫ₚ &lt; Uₚ]·[gᵢₚ &lt; 0], and
/// <code>Dₚ = Σᵢ (ℓ + (1 − ℓ)·Mᵢₚ)·gᵢₚ</code>
/// with the leak ℓ (<c>graddrop-leak</c>, the paper's default 0; ℓ = 1 is the plain sum Σᵢ gᵢ).
/// </summary>
/// <remarks>
/// <para>The mask is per parameter, so D is not a weighting of the rows of J: <see cref="AggregationResult.Weights"/>
/// is null.</para>
/// <para>The paper applies GradDrop to the gradients with respect to a layer's activations, multiplied by the sign of
/// the activations' inputs and summed over the batch (LibMTL: <c>rep_grad</c> only). On a plain Jacobian the rows are
/// used as given (the inputs' signs taken as +1): pass the representation gradients as J to get the paper's
/// setting. Where every gᵢₚ is 0, Dₚ = 0 (LibMTL adds 10⁻⁷ to the denominator of 𝒫 instead; here the formula is
/// exact). The uniforms are one draw of P values from the seeded <see cref="TensorRandom"/> per call;
/// <see cref="RandomizedAggregator.Reset"/> restarts the stream.</para>
/// </remarks>
public sealed class GradDrop : RandomizedAggregator
{
    /// <summary>Creates the aggregator.</summary>
    /// <param name="leak">The leak ℓ in [0, 1]: the fraction of every gradient that always passes.</param>
    /// <param name="seed">The seed of the uniforms.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="leak"/> is outside [0, 1].</exception>
    public GradDrop(double leak = 0, ulong seed = 0)
        : base(seed)
    {
        if (!(leak >= 0 && leak <= 1))
            throw new ArgumentOutOfRangeException(nameof(leak), leak, "graddrop-leak must be in [0, 1] (0: the paper's default, 1: no dropout).");
        Leak = leak;
    }

    /// <inheritdoc/>
    public override string Name => "graddrop";

    /// <summary>The leak ℓ.</summary>
    public double Leak { get; }

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses) =>
        new(Drop(jacobian, Leak, Random.Uniform([jacobian.Columns], 0.0, 1.0).ToArray()), null);

    /// <summary>GradDrop with the uniforms given (one per parameter, in [0, 1)).</summary>
    /// <exception cref="ArgumentException">When there is not one uniform per column of J.</exception>
    internal static double[] Drop(DenseMatrix jacobian, double leak, ReadOnlySpan<double> uniforms)
    {
        int t = jacobian.Rows, n = jacobian.Columns;
        if (uniforms.Length != n)
            throw new ArgumentException($"GradDrop needs one uniform per parameter: {n}, but got {uniforms.Length}.", nameof(uniforms));
        var g = jacobian.Data;
        var direction = new double[n];
        for (int p = 0; p < n; p++)
        {
            double sum = 0, absoluteSum = 0;
            for (int i = 0; i < t; i++) { sum += g[i * n + p]; absoluteSum += Math.Abs(g[i * n + p]); }
            if (absoluteSum == 0) continue;
            double purity = 0.5 * (1 + sum / absoluteSum);
            bool keepPositive = purity > uniforms[p], keepNegative = purity < uniforms[p];
            double d = 0;
            for (int i = 0; i < t; i++)
            {
                double gi = g[i * n + p];
                bool kept = gi > 0 ? keepPositive : gi < 0 && keepNegative;
                d += (kept ? 1.0 : leak) * gi;
            }
            direction[p] = d;
        }
        return direction;
    }
}
