using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>
/// One encoder block of the Transformer (Vaswani et al. 2017), PyTorch's <c>nn.TransformerEncoderLayer</c> with
/// <c>batch_first=True</c> and the ReLU activation: self-attention and a two-layer feed-forward network, each in a residual
/// branch with layer normalization, after the branch (post-LN, the default)
/// <code>
/// x = norm1(x + dropout1(self_attn(x, x, x)))
/// x = norm2(x + dropout2(linear2(dropout(relu(linear1(x))))))
/// </code>
/// or before it (pre-LN, <c>norm_first=True</c>; Xiong et al. 2020)
/// <code>
/// x = x + dropout1(self_attn(norm1(x)))
/// x = x + dropout2(linear2(dropout(relu(linear1(norm2(x))))))
/// </code>
/// Parameter names are PyTorch's (<c>self_attn.in_proj_weight</c>, <c>linear1.weight</c>, <c>norm1.weight</c>, ...), so a
/// PyTorch state dict loads as is; initializations are PyTorch's defaults.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class TransformerEncoderLayer<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dropout<T> _dropout, _dropout1, _dropout2;

    /// <summary>Creates the block.</summary>
    /// <param name="modelDim">d_model, the width of the tokens.</param>
    /// <param name="heads">nhead; it must divide <paramref name="modelDim"/>.</param>
    /// <param name="feedForwardDim">dim_feedforward, the hidden width of the feed-forward network.</param>
    /// <param name="random">The generator of the initial weights (and the seed of the dropout masks).</param>
    /// <param name="dropout">p of the three dropouts (PyTorch's default is 0.1; 0 here).</param>
    /// <param name="normFirst">Pre-LN (true) or post-LN (false, PyTorch's default).</param>
    /// <param name="layerNormEpsilon">ε of both layer norms.</param>
    /// <exception cref="ArgumentException">When a width is below 1 or the heads do not divide the width.</exception>
    public TransformerEncoderLayer(int modelDim, int heads, int feedForwardDim, TensorRandom random, double dropout = 0, bool normFirst = false,
        double layerNormEpsilon = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(feedForwardDim, 1);
        NormFirst = normFirst;
        SelfAttention = RegisterModule("self_attn", new MultiheadAttention<T>(modelDim, heads, random));
        Linear1 = RegisterModule("linear1", new Linear<T>(modelDim, feedForwardDim, random));
        _dropout = RegisterModule("dropout", new Dropout<T>(dropout, random.Seed + 2001UL));
        Linear2 = RegisterModule("linear2", new Linear<T>(feedForwardDim, modelDim, random));
        Norm1 = RegisterModule("norm1", new LayerNorm<T>(modelDim, layerNormEpsilon));
        Norm2 = RegisterModule("norm2", new LayerNorm<T>(modelDim, layerNormEpsilon));
        _dropout1 = RegisterModule("dropout1", new Dropout<T>(dropout, random.Seed + 2002UL));
        _dropout2 = RegisterModule("dropout2", new Dropout<T>(dropout, random.Seed + 2003UL));
    }

    /// <summary>Whether the layer norms come before the branches (pre-LN).</summary>
    public bool NormFirst { get; }

    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention<T> SelfAttention { get; }

    /// <summary>The feed-forward network's first layer (<c>linear1</c>, d_model → dim_feedforward).</summary>
    public Linear<T> Linear1 { get; }

    /// <summary>The feed-forward network's second layer (<c>linear2</c>, dim_feedforward → d_model).</summary>
    public Linear<T> Linear2 { get; }

    /// <summary>The layer norm of the attention branch (<c>norm1</c>).</summary>
    public LayerNorm<T> Norm1 { get; }

    /// <summary>The layer norm of the feed-forward branch (<c>norm2</c>).</summary>
    public LayerNorm<T> Norm2 { get; }

    /// <summary>The block without masks: <c>Forward(tokens, null)</c>.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Forward(input, null);

    /// <summary>The block over a batch of token sequences.</summary>
    /// <param name="tokens">(B, L, d_model).</param>
    /// <param name="keyPaddingMask">A (B, L) mask of the tokens no token may attend to (PyTorch's <c>src_key_padding_mask</c>), or null. Every row must keep at least one token (a row without any gives NaN, as in PyTorch).</param>
    /// <returns>(B, L, d_model).</returns>
    public MtlTensor<T> Forward(MtlTensor<T> tokens, AttentionMask<T>? keyPaddingMask)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        MtlTensor<T> Attention(MtlTensor<T> x) => _dropout1.Forward(SelfAttention.Forward(x, x, x, keyPaddingMask, needWeights: false).Output);
        MtlTensor<T> FeedForward(MtlTensor<T> x) => _dropout2.Forward(Linear2.Forward(_dropout.Forward(Linear1.Forward(x).Relu())));
        var y = tokens;
        if (NormFirst)
        {
            y = y + Attention(Norm1.Forward(y));
            return y + FeedForward(Norm2.Forward(y));
        }
        y = Norm1.Forward(y + Attention(y));
        return Norm2.Forward(y + FeedForward(y));
    }
}
