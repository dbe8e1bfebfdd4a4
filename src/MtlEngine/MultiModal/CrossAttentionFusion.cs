using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// One cross-modal attention block in the manner of the Multimodal Transformer (MulT; Tsai, Bai, Liang, Kolter, Morency and
/// Salakhutdinov, "Multimodal Transformer for Unaligned Multimodal Language Sequences", 2019): every input becomes one token
/// of width d, and each input's token attends to the other inputs' tokens (never to itself), in a pre-norm transformer block,
/// <code>
/// tᵢ = Pᵢ(eᵢ)                                            Pᵢ: Linear dᵢ → d  (projections.i)
/// oᵢ = tᵢ + MHA(LN₁(tᵢ); keys and values LN₁(tⱼ), j ≠ i, mⱼ = 1)      (norm1, attention)
/// uᵢ = oᵢ + FFN(LN₂(oᵢ))                                 FFN: Linear d → 2d, ReLU, Linear 2d → d  (norm2, feedforward.0, .2)
/// z  = [m₁·u₁, …, m_m·u_m]                               width m·d
/// </code>
/// MulT attends between the time steps of sequences; here each input is a single token, so the block mixes whole modalities.
/// Missing inputs are left out of the keys (the key padding of <see cref="MultiheadAttention{T}"/>, joined with the exclusion
/// of the token itself into one per-sample additive mask); a token with no other input present attends to itself, so that
/// every softmax has a key. A missing input's own block of z is 0. Needs at least two inputs.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class CrossAttentionFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LayerNorm<T> _norm1;
    private readonly MultiheadAttention<T> _attention;
    private readonly LayerNorm<T> _norm2;
    private readonly Sequential<T> _feedForward;

    /// <summary>Creates the block with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order (at least two).</param>
    /// <param name="dimension">d, the token width.</param>
    /// <param name="heads">The attention heads; d must be divisible by it.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When there are fewer than two inputs, a width is not positive, or d is not divisible by the heads.</exception>
    public CrossAttentionFusion(IReadOnlyList<int> widths, int dimension, int heads, TensorRandom random)
        : base(widths, dimension, random, minimumInputs: 2)
    {
        _norm1 = RegisterModule("norm1", new LayerNorm<T>(dimension));
        _attention = RegisterModule("attention", new MultiheadAttention<T>(dimension, heads, random));
        _norm2 = RegisterModule("norm2", new LayerNorm<T>(dimension));
        _feedForward = RegisterModule("feedforward", new Sequential<T>(new Linear<T>(dimension, 2 * dimension, random), new ReLU<T>(), new Linear<T>(2 * dimension, dimension, random)));
    }

    /// <summary>m·d: the m updated tokens side by side.</summary>
    public override int OutputWidth => Widths.Count * Dimension;

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        int n = encoded[0].Shape[0], m = Widths.Count;
        var tokens = MtlTensor.Stack(ProjectPresent(encoded, present), axis: 1); // (n, m, d)
        var normed = _norm1.Forward(tokens);
        var attended = _attention.Forward(normed, normed, normed, attnMask: AttentionMask.Additive(KeyMask(present, n).To(tokens.Device)), needWeights: false).Output;
        var mixed = tokens + attended;
        var updated = mixed + _feedForward.Forward(_norm2.Forward(mixed));
        var presence = MtlTensor.FromArray(Presence(present, n), n, m, 1).To(tokens.Device);
        return (updated * presence).Reshape(n, m * Dimension);
    }

    /// <summary>
    /// The additive mask (n·H, m, m): for sample b, query i and key j, 0 when j ≠ i and input j is present, or when j = i and
    /// no other input is present; −∞ otherwise.
    /// </summary>
    private MtlTensor<T> KeyMask(IReadOnlyList<MtlTensor<T>?> present, int n)
    {
        int m = Widths.Count, h = _attention.NumHeads;
        var presence = Presence(present, n);
        var mask = new T[n * h * m * m];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < m; i++)
            {
                bool others = false;
                for (int j = 0; j < m; j++) others |= j != i && presence[b * m + j] != T.Zero;
                for (int j = 0; j < m; j++)
                {
                    bool keep = j == i ? !others : presence[b * m + j] != T.Zero;
                    for (int head = 0; head < h; head++) mask[((b * h + head) * m + i) * m + j] = keep ? T.Zero : T.NegativeInfinity;
                }
            }
        return MtlTensor.FromArray(mask, n * h, m, m);
    }
}
