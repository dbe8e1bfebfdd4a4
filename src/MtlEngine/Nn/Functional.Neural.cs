using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

// Activations, embedding lookup and attention, composed from primitives (the embedding with a padding row has its
// own rule, GradientRules.Embedding, since PyTorch keeps that row's gradient at zero).
public static partial class Functional
{
    /// <summary>SiLU (swish): x·σ(x).</summary>
    public static MtlTensor<T> Silu<T>(this MtlTensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return x * x.Sigmoid();
    }

    /// <summary>
    /// PyTorch's <c>softplus(x, beta, threshold)</c>: (1/β)·log(1 + e^(βx)), and x itself where βx &gt; threshold (where the
    /// two differ by less than e^(−threshold)/β, below float precision for the default 20).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When β is not positive.</exception>
    public static MtlTensor<T> Softplus<T>(this MtlTensor<T> x, double beta, double threshold = 20) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "Softplus's beta must be positive.");
        T b = T.CreateChecked(beta);
        var scaled = beta == 1 ? x : x * b;
        MtlTensor<T> linear;
        using (Grad.NoGrad()) linear = scaled.Detach().Greater(T.CreateChecked(threshold));
        var inside = MtlTensor.Where(linear, T.Zero, scaled); // the linear part gets no gradient through the smooth branch
        var smooth = beta == 1 ? inside.Softplus() : inside.Softplus() / b;
        return MtlTensor.Where(linear, x, smooth);
    }

    /// <summary>
    /// Rows of an embedding table picked by integer indices (PyTorch's <c>F.embedding</c>): for indices of any
    /// <paramref name="shape"/> the result has shape (shape..., dim), out[p] = weight[indices[p]]. The gradient is an
    /// index-add into the rows that were read, except the <paramref name="paddingIndex"/> row, which gets none.
    /// </summary>
    /// <param name="weight">The table, shape (embeddings, dim).</param>
    /// <param name="indices">The indices in row-major order, each in [0, embeddings).</param>
    /// <param name="shape">The shape of the indices (its product is <c>indices.Length</c>).</param>
    /// <param name="paddingIndex">The row that gets no gradient (negative counts from the end), or null.</param>
    /// <exception cref="ArgumentException">When the table is not a matrix, or the shape does not hold the indices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When an index or the padding index is out of range.</exception>
    public static MtlTensor<T> Embedding<T>(MtlTensor<T> weight, ReadOnlySpan<int> indices, int[] shape, int? paddingIndex = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(shape);
        if (weight.Rank != 2)
            throw new ArgumentException($"An embedding table has shape (embeddings, dim), but got {MtlTensor<T>.ShapeText(weight.Shape)}.", nameof(weight));
        if (MtlTensor<T>.CheckedLength(shape) != indices.Length)
            throw new ArgumentException($"The index shape {MtlTensor<T>.ShapeText(shape)} does not hold the {indices.Length} indices given.", nameof(shape));
        int rows = weight.Shape[0], dim = weight.Shape[1];
        int[] outputShape = [.. shape, dim];
        if (paddingIndex is null) return weight.IndexSelect(0, indices).Reshape(outputShape);
        int padding = paddingIndex.Value < 0 ? paddingIndex.Value + rows : paddingIndex.Value;
        if (padding < 0 || padding >= rows)
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), paddingIndex, $"The padding index must lie in [−{rows}, {rows}) for a table of {rows} embeddings.");
        MtlTensor<T> rowsRead;
        using (Grad.NoGrad()) rowsRead = weight.IndexSelect(0, indices);
        return Graph.Record(rowsRead, GradientRules.Embedding, weight, saved: (indices.ToArray(), padding)).Reshape(outputShape);
    }

    /// <summary>
    /// Scaled dot-product attention (PyTorch's <c>F.scaled_dot_product_attention</c> without dropout):
    /// softmax(Q·Kᵀ/√E + M)·V over the last axis, with M the mask as an additive bias (−∞ where a key is masked out) and,
    /// with <paramref name="isCausal"/>, query i seeing keys 0..i only. Composed from batched matmul, softmax and adds, so
    /// it needs no rule of its own. A query whose every key is masked out gets NaN, as in PyTorch.
    /// </summary>
    /// <param name="query">Q, shape (..., L, E).</param>
    /// <param name="key">K, shape (..., S, E).</param>
    /// <param name="value">V, shape (..., S, Ev).</param>
    /// <param name="mask">A mask broadcastable to (..., L, S), or null.</param>
    /// <param name="isCausal">Mask out the keys after each query's own position (a lower-triangular L × S mask).</param>
    /// <returns>The attended values, shape (..., L, Ev).</returns>
    /// <exception cref="ArgumentException">When the shapes do not fit.</exception>
    public static MtlTensor<T> ScaledDotProductAttention<T>(MtlTensor<T> query, MtlTensor<T> key, MtlTensor<T> value,
        AttentionMask<T>? mask = null, bool isCausal = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        Attend(query, key, value, mask?.ToBias(), isCausal).Output;

    /// <summary>softmax(Q·Kᵀ/√E + bias)·V and the attention weights softmax(...), shape (..., L, S).</summary>
    internal static (MtlTensor<T> Output, MtlTensor<T> Weights) Attend<T>(MtlTensor<T> query, MtlTensor<T> key, MtlTensor<T> value,
        MtlTensor<T>? bias, bool isCausal) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (query.Rank < 2 || key.Rank < 2 || value.Rank < 2 || query.Shape[^1] != key.Shape[^1] || key.Shape[^2] != value.Shape[^2])
            throw new ArgumentException(
                $"Attention needs query (..., L, E), key (..., S, E) and value (..., S, Ev), but got {MtlTensor<T>.ShapeText(query.Shape)}, {MtlTensor<T>.ShapeText(key.Shape)} and {MtlTensor<T>.ShapeText(value.Shape)}.");
        int queries = query.Shape[^2], keys = key.Shape[^2];
        var scores = query.Matmul(key.Transpose(-1, -2)) * (T.One / T.Sqrt(T.CreateChecked(query.Shape[^1])));
        if (bias is not null) scores = scores + bias;
        if (isCausal) scores = scores + CausalBias<T>(queries, keys).To(scores.Device); // on a device: uploaded
        var weights = scores.Softmax(-1);
        return (weights.Matmul(value), weights);
    }

    /// <summary>The (L, S) additive mask of causal attention: 0 where key j ≤ query i, −∞ after (PyTorch's is_causal, top-left aligned).</summary>
    internal static MtlTensor<T> CausalBias<T>(int queries, int keys) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var bias = new T[queries * keys];
        for (int i = 0; i < queries; i++)
            for (int j = i + 1; j < keys; j++) bias[i * keys + j] = T.NegativeInfinity;
        return MtlTensor.FromArray(bias, queries, keys);
    }
}

/// <summary>What the values of an <see cref="AttentionMask{T}"/> mean.</summary>
public enum AttentionMaskKind
{
    /// <summary>Added to the attention scores (a float mask in PyTorch): 0 keeps a key, −∞ removes it, anything else biases it.</summary>
    Additive,
    /// <summary>Nonzero = the query may attend to the key (a boolean mask in PyTorch's <c>scaled_dot_product_attention</c>).</summary>
    Keep,
    /// <summary>Nonzero = the key is ignored (a boolean <c>attn_mask</c> or <c>key_padding_mask</c> in PyTorch's <c>MultiheadAttention</c>).</summary>
    Ignore,
}

/// <summary>An attention mask: its values and what they mean (PyTorch uses both boolean meanings, depending on the function).</summary>
/// <param name="Values">The mask, broadcastable to the scores it applies to.</param>
/// <param name="Kind">How to read the values.</param>
public sealed record AttentionMask<T>(MtlTensor<T> Values, AttentionMaskKind Kind) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The mask as a bias added to the scores: itself when additive, else 0 where a key is kept and −∞ where it is not.</summary>
    public MtlTensor<T> ToBias()
    {
        if (Kind == AttentionMaskKind.Additive) return Values;
        using (Grad.NoGrad())
        {
            var set = Values.Detach();
            return Kind == AttentionMaskKind.Keep
                ? MtlTensor.Where(set, T.Zero, MtlTensor.Full([], T.NegativeInfinity))
                : MtlTensor.Where(set, MtlTensor.Full([], T.NegativeInfinity), T.Zero);
        }
    }
}

/// <summary>Creates <see cref="AttentionMask{T}"/> values.</summary>
public static class AttentionMask
{
    /// <summary>A mask added to the scores (0 keeps, −∞ removes).</summary>
    public static AttentionMask<T> Additive<T>(MtlTensor<T> values) where T : unmanaged, IFloatingPointIeee754<T> => new(values, AttentionMaskKind.Additive);

    /// <summary>A mask whose nonzero entries are the keys that may be attended to.</summary>
    public static AttentionMask<T> Keep<T>(MtlTensor<T> values) where T : unmanaged, IFloatingPointIeee754<T> => new(values, AttentionMaskKind.Keep);

    /// <summary>A mask whose nonzero entries are the keys to ignore (padding).</summary>
    public static AttentionMask<T> Ignore<T>(MtlTensor<T> values) where T : unmanaged, IFloatingPointIeee754<T> => new(values, AttentionMaskKind.Ignore);
}
