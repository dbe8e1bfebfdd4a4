using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Late fusion (decision-level fusion; Snoek, Worring and Smeulders, "Early versus Late Fusion in Semantic Video Analysis",
/// 2005): each input is mapped on its own and the results are averaged over the present inputs, uniformly or with learned
/// weights,
/// <code>
/// pᵢ = Pᵢ(eᵢ)                                   Pᵢ: Linear dᵢ → d
/// αᵢ = mᵢ·wᵢ / Σⱼ mⱼ·wⱼ,   w = softmax(ω) (learned) or wᵢ = 1 (mean)
/// z  = Σᵢ αᵢ · pᵢ
/// </code>
/// Why this is late fusion: the heads of a model read z through a linear layer, head(z) = A·z + c, and since Σ αᵢ = 1,
/// <code>
/// head(z) = Σᵢ αᵢ · (A·Pᵢ(eᵢ) + c)
/// </code>
/// the (weighted) average of one linear head per input, A·Pᵢ + c, each seeing its input alone. So with no shared trunk
/// between the fusion and the heads (<c>model.hidden: []</c> in <c>mtl train</c>) a model with this fusion is exactly a late
/// fusion of per-modality linear heads (of rank ≤ d); with a trunk the non-linear layers see the averaged projections (a
/// middle fusion). A sample without any input gets z = 0. Parameters: <c>projections.i.weight</c>, <c>projections.i.bias</c>
/// and, with learned weights, <c>modality_logits</c> (ω, m; zeros, so training starts from the mean).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class LateFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the per-input projections (and the weights' logits) with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the common width and the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="learnedWeights">Learn the inputs' weights (softmax of logits); false: the mean over the present inputs.</param>
    /// <exception cref="ArgumentException">When a width is not positive.</exception>
    public LateFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random, bool learnedWeights = false)
        : base(widths, dimension, random)
    {
        if (learnedWeights) ModalityLogits = RegisterParameter("modality_logits", MtlTensor.Zeros<T>(widths.Count));
    }

    /// <summary>ω, the logits of the inputs' weights (m,), or null for the plain mean.</summary>
    public MtlTensor<T>? ModalityLogits { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        int n = encoded[0].Shape[0], m = Widths.Count;
        var stacked = MtlTensor.Stack(ProjectPresent(encoded, present), axis: 1); // (n, m, d), 0 for missing inputs
        var presence = MtlTensor.FromArray(Presence(present, n), n, m, 1).To(stacked.Device);
        var weights = ModalityLogits is null ? presence : presence * ModalityLogits.Softmax().Reshape(1, m, 1); // mᵢ·wᵢ
        var total = weights.Sum(1, keepDims: true);
        var none = MtlTensor.FromArray(Presence(present, n).Chunk(m).Select(r => r.All(v => v == T.Zero) ? T.One : T.Zero).ToArray(), n, 1, 1).To(stacked.Device);
        return (weights / (total + none) * stacked).Sum(1); // a sample without inputs: 0 / 1
    }
}
