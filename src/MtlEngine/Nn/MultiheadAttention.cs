using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>The result of <see cref="MultiheadAttention{T}.Forward(MtlTensor{T}, MtlTensor{T}, MtlTensor{T}, AttentionMask{T}?, AttentionMask{T}?, bool, bool, bool)"/>.</summary>
/// <param name="Output">The attended values, shape (B, L, E) (or (L, B, E) when not batch-first).</param>
/// <param name="Weights">The attention weights, (B, L, S) averaged over the heads or (B, H, L, S) per head; null when not asked for.</param>
public sealed record AttentionOutput<T>(MtlTensor<T> Output, MtlTensor<T>? Weights) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Multi-head attention (Vaswani et al. 2017; PyTorch's <c>nn.MultiheadAttention</c> with kdim = vdim = E, no dropout):
/// Q = query·W_qᵀ + b_q, K = key·W_kᵀ + b_k, V = value·W_vᵀ + b_v (W_q, W_k, W_v the three row blocks of
/// in_proj_weight), split into H heads of width E/H, each head softmax(Q·Kᵀ/√(E/H) + mask)·V, the heads concatenated and
/// projected by out_proj. Parameters and initialization are PyTorch's: in_proj_weight (3E, E) Xavier-uniform,
/// in_proj_bias (3E) zeros, out_proj a <see cref="Linear{T}"/> with the default weight and a zero bias.
/// </summary>
public sealed class MultiheadAttention<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="embedDim">E, the model width.</param>
    /// <param name="numHeads">H; E must be divisible by it.</param>
    /// <param name="random">The generator the initial weights are drawn from.</param>
    /// <param name="bias">Whether the projections have biases.</param>
    /// <param name="batchFirst">Inputs and outputs are (B, L, E) when true (the default here), (L, B, E) as in PyTorch's default when false.</param>
    /// <exception cref="ArgumentException">When E is not divisible by H or a size is below 1.</exception>
    public MultiheadAttention(int embedDim, int numHeads, TensorRandom random, bool bias = true, bool batchFirst = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embedDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numHeads, 1);
        ArgumentNullException.ThrowIfNull(random);
        if (embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention's embedDim {embedDim} must be divisible by numHeads {numHeads}.", nameof(numHeads));
        EmbedDim = embedDim;
        NumHeads = numHeads;
        BatchFirst = batchFirst;
        InProjWeight = RegisterParameter("in_proj_weight", Init.XavierUniform<T>(random, 3 * embedDim, embedDim));
        if (bias) InProjBias = RegisterParameter("in_proj_bias", MtlTensor.Zeros<T>(3 * embedDim));
        OutProj = RegisterModule("out_proj", new Linear<T>(embedDim, embedDim, random, bias));
        OutProj.Bias?.Fill(T.Zero);
    }

    /// <summary>E, the model width.</summary>
    public int EmbedDim { get; }

    /// <summary>H, the number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>Whether inputs are (B, L, E) rather than (L, B, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>[W_q; W_k; W_v], shape (3E, E).</summary>
    public MtlTensor<T> InProjWeight { get; }

    /// <summary>[b_q; b_k; b_v], shape (3E,), or null without bias.</summary>
    public MtlTensor<T>? InProjBias { get; }

    /// <summary>The output projection ("out_proj").</summary>
    public Linear<T> OutProj { get; }

    /// <summary>Self-attention of <paramref name="input"/> without masks: Forward(input, input, input).Output.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>.</summary>
    /// <param name="query">Shape (B, L, E) (or (L, B, E) when not batch-first).</param>
    /// <param name="key">Shape (B, S, E) (or (S, B, E)).</param>
    /// <param name="value">Shape (B, S, E) (or (S, B, E)).</param>
    /// <param name="keyPaddingMask">A (B, S) mask of the keys to leave out (PyTorch's key_padding_mask: use <see cref="AttentionMask.Ignore{T}"/> for its boolean form), or null.</param>
    /// <param name="attnMask">An (L, S) or (B·H, L, S) mask (PyTorch's attn_mask: boolean = <see cref="AttentionMask.Ignore{T}"/>, float = <see cref="AttentionMask.Additive{T}"/>), or null.</param>
    /// <param name="needWeights">Return the attention weights too.</param>
    /// <param name="averageAttnWeights">Average the returned weights over the heads (B, L, S); else per head (B, H, L, S).</param>
    /// <param name="isCausal">Let query i attend to keys 0..i only.</param>
    /// <exception cref="ArgumentException">When a shape does not fit.</exception>
    public AttentionOutput<T> Forward(MtlTensor<T> query, MtlTensor<T> key, MtlTensor<T> value, AttentionMask<T>? keyPaddingMask = null,
        AttentionMask<T>? attnMask = null, bool needWeights = true, bool averageAttnWeights = true, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!BatchFirst)
        {
            query = query.Rank == 3 ? query.Transpose(0, 1) : query;
            key = key.Rank == 3 ? key.Transpose(0, 1) : key;
            value = value.Rank == 3 ? value.Transpose(0, 1) : value;
        }
        int e = EmbedDim, h = NumHeads, d = e / h;
        if (query.Rank != 3 || key.Rank != 3 || value.Rank != 3 || query.Shape[2] != e || key.Shape[2] != e || value.Shape[2] != e
            || key.Shape[0] != query.Shape[0] || value.Shape[0] != query.Shape[0] || key.Shape[1] != value.Shape[1])
            throw new ArgumentException(
                $"MultiheadAttention(E = {e}) needs query (B, L, E), key and value (B, S, E) (batch-first as given), but got {MtlTensor<T>.ShapeText(query.Shape)}, {MtlTensor<T>.ShapeText(key.Shape)} and {MtlTensor<T>.ShapeText(value.Shape)}.");
        int batch = query.Shape[0], queries = query.Shape[1], keys = key.Shape[1];

        // (B, L, E) → (B, H, L, d): project with one row block of in_proj, split the width into heads.
        MtlTensor<T> Project(MtlTensor<T> x, int block, int length)
        {
            var y = x.Matmul(InProjWeight.Slice(0, block * e, (block + 1) * e).Transpose());
            if (InProjBias is not null) y = y + InProjBias.Slice(0, block * e, (block + 1) * e);
            return y.Reshape(batch, length, h, d).Permute(0, 2, 1, 3);
        }
        var q = Project(query, 0, queries);
        var k = Project(key, 1, keys);
        var v = Project(value, 2, keys);

        MtlTensor<T>? bias = null;
        if (keyPaddingMask is not null)
        {
            var padding = keyPaddingMask.ToBias();
            if (!padding.Shape.SequenceEqual(new[] { batch, keys }))
                throw new ArgumentException($"The key padding mask must have shape (B, S) = ({batch}, {keys}), but has {MtlTensor<T>.ShapeText(padding.Shape)}.", nameof(keyPaddingMask));
            bias = padding.Reshape(batch, 1, 1, keys);
        }
        if (attnMask is not null)
        {
            var mask = attnMask.ToBias();
            if (mask.Rank == 3)
            {
                if (!mask.Shape.SequenceEqual(new[] { batch * h, queries, keys }))
                    throw new ArgumentException($"A 3-d attention mask must have shape (B·H, L, S) = ({batch * h}, {queries}, {keys}), but has {MtlTensor<T>.ShapeText(mask.Shape)}.", nameof(attnMask));
                mask = mask.Reshape(batch, h, queries, keys);
            }
            else if (!mask.Shape.SequenceEqual(new[] { queries, keys }))
                throw new ArgumentException($"A 2-d attention mask must have shape (L, S) = ({queries}, {keys}), but has {MtlTensor<T>.ShapeText(mask.Shape)}.", nameof(attnMask));
            bias = bias is null ? mask : bias + mask;
        }

        var (attended, weights) = Functional.Attend(q, k, v, bias, isCausal);
        var output = OutProj.Forward(attended.Permute(0, 2, 1, 3).Reshape(batch, queries, e));
        if (!BatchFirst) output = output.Transpose(0, 1);
        MtlTensor<T>? returned = !needWeights ? null : averageAttnWeights ? weights.Mean(1) : weights;
        return new AttentionOutput<T>(output, returned);
    }
}
