using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Attention over modalities: a learned query scores each input's projection and the softmax of the scores over the present
/// inputs weighs them (the additive attention of Bahdanau, Cho and Bengio 2015, pooled with one learned context vector as in
/// Yang et al., "Hierarchical Attention Networks for Document Classification", 2016, here over modalities instead of words),
/// <code>
/// pᵢ = Pᵢ(eᵢ)                                      Pᵢ: Linear dᵢ → d
/// sᵢ = q · tanh(S(pᵢ))                             S: Linear d → d, q ∈ ℝᵈ
/// αᵢ = exp(sᵢ) / Σ_{j : mⱼ = 1} exp(sⱼ)            (αᵢ = 0 when input i is missing)
/// z  = Σᵢ αᵢ · pᵢ
/// </code>
/// A sample without any input gets z = 0. Parameters: <c>projections.i.weight</c>, <c>projections.i.bias</c>,
/// <c>score.weight</c>, <c>score.bias</c>, <c>query</c> (U(−1/√d, 1/√d)).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class AttentionFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> _score;

    /// <summary>Creates the projections, the scoring layer and the query with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the common width and the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When a width is not positive.</exception>
    public AttentionFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random)
        : base(widths, dimension, random)
    {
        _score = RegisterModule("score", new Linear<T>(dimension, dimension, random));
        Query = RegisterParameter("query", Init.Uniform(random, [dimension], T.One / T.Sqrt(T.CreateChecked(dimension))));
    }

    /// <summary>q, the learned query, shape (d,).</summary>
    public MtlTensor<T> Query { get; }

    /// <summary>The attention weights α (n, m) of a batch: how much each input contributes to each sample's fusion.</summary>
    public MtlTensor<T> Weights(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present) => Attend(encoded, present).Weights.Squeeze(2);

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        var (stacked, weights) = Attend(encoded, present);
        return (weights * stacked).Sum(1);
    }

    private (MtlTensor<T> Stacked, MtlTensor<T> Weights) Attend(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        var stacked = MtlTensor.Stack(ProjectPresent(encoded, present), axis: 1); // (n, m, d), 0 for missing inputs
        int n = encoded[0].Shape[0], d = Dimension;
        var scores = _score.Forward(stacked).Tanh().Matmul(Query.Reshape(d, 1)); // (n, m, 1)
        if (present.Any(p => p is not null)) scores = scores + MissingBias(present, n, scores.Device);
        return (stacked, scores.Softmax(1));
    }
}
