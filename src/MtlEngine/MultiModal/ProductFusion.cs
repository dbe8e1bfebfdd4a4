using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Element-wise product of projected representations (multiplicative fusion, as in the bilinear-pooling line of work of
/// Kim et al., "Hadamard Product for Low-rank Bilinear Pooling", 2017, without its output projection): each input projected
/// to a common width d, then multiplied over the present inputs, a missing input counting as 1 (the neutral element),
/// <code>
/// z = Πᵢ (mᵢ · Pᵢ(eᵢ) + (1 − mᵢ)),   Pᵢ(e) = e·Wᵢᵀ + bᵢ   (Linear dᵢ → d)
/// </code>
/// A sample without any input gets z = 1. Parameters: <c>projections.i.weight</c>, <c>projections.i.bias</c>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ProductFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the projections with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the common width and the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When a width is not positive.</exception>
    public ProductFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random)
        : base(widths, dimension, random)
    {
    }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        var projected = ProjectPresent(encoded, present); // 0 in the rows of missing samples
        MtlTensor<T>? product = null;
        for (int i = 0; i < projected.Length; i++)
        {
            var factor = present[i] is { } mask ? projected[i] + (T.One - mask.Reshape(mask.Length, 1)) : projected[i]; // missing rows: 0 + 1
            product = product is null ? factor : product * factor;
        }
        return product!;
    }
}
