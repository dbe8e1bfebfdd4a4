using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Sum of projected representations (the additive fusion of Baltrušaitis, Ahuja and Morency's survey, "Multimodal Machine
/// Learning: A Survey and Taxonomy", 2018): each input projected to a common width d, then added over the present inputs,
/// <code>
/// z = Σᵢ mᵢ · Pᵢ(eᵢ),   Pᵢ(e) = e·Wᵢᵀ + bᵢ   (Linear dᵢ → d)
/// </code>
/// A sample without any input gets z = 0. Parameters: <c>projections.i.weight</c>, <c>projections.i.bias</c>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class SumFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the projections with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the common width and the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When a width is not positive.</exception>
    public SumFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random)
        : base(widths, dimension, random)
    {
    }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        var projected = ProjectPresent(encoded, present);
        var sum = projected[0];
        for (int i = 1; i < projected.Length; i++) sum = sum + projected[i];
        return sum;
    }
}
