using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// The gated multimodal unit (GMU; Arevalo, Solorio, Montes-y-Gómez and González, "Gated Multimodal Units for Information
/// Fusion", 2017), for m ≥ 1 inputs: each input's tanh projection, weighed feature by feature by gates that a softmax over the
/// inputs computes from all of them,
/// <code>
/// hᵢ = tanh(Pᵢ(eᵢ))                              Pᵢ: Linear dᵢ → d
/// aᵢ = (G([e₁, …, e_m]))ᵢ                         G: Linear Σdᵢ → m·d, split into m blocks of d
/// gᵢ = exp(aᵢ) / Σ_{j : mⱼ = 1} exp(aⱼ)            (per feature; gᵢ = 0 when input i is missing)
/// z  = Σᵢ gᵢ ⊙ hᵢ
/// </code>
/// For two inputs this is the paper's bimodal GMU: the softmax of two logits is σ(a₁ − a₂), so z = g ⊙ h₁ + (1 − g) ⊙ h₂
/// with g = σ(W_z·[e₁, e₂]). A missing input's gate is 0 and the gates of the others renormalize; a sample without any
/// input gets z = 0. Parameters: <c>projections.i.weight</c>, <c>projections.i.bias</c>, <c>gate.weight</c>, <c>gate.bias</c>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class GatedFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> _gate;

    /// <summary>Creates the projections and the gate with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When a width is not positive.</exception>
    public GatedFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random)
        : base(widths, dimension, random)
    {
        _gate = RegisterModule("gate", new Linear<T>(Widths.Sum(), Widths.Count * dimension, random));
    }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        CheckEncodings(encoded, present, Widths);
        int n = encoded[0].Shape[0], m = Widths.Count, d = Dimension;
        var masked = encoded.Select((e, i) => Masked(e, present[i])).ToArray();
        var h = MtlTensor.Stack(masked.Select((e, i) => Masked(Projections[i].Forward(e).Tanh(), present[i])).ToArray(), axis: 1); // (n, m, d)
        var logits = _gate.Forward(m == 1 ? masked[0] : MtlTensor.Concatenate(masked, axis: 1)).Reshape(n, m, d);
        if (present.Any(p => p is not null)) logits = logits + MissingBias(present, n, logits.Device);
        return (logits.Softmax(1) * h).Sum(1);
    }
}
