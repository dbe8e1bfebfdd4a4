using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Element-wise maximum of projected representations (max pooling over modalities, as in the multi-view CNN of Su et al.,
/// "Multi-view Convolutional Neural Networks for 3D Shape Recognition", 2015): each input projected to a common width d,
/// then the largest value of each feature over the present inputs, a missing input counting as −∞,
/// <code>
/// zₖ = max over {i : mᵢ = 1} of Pᵢ(eᵢ)ₖ,   Pᵢ(e) = e·Wᵢᵀ + bᵢ   (Linear dᵢ → d)
/// </code>
/// A sample without any input gets z = 0. The gradient goes to the input that holds the maximum. Parameters:
/// <c>projections.i.weight</c>, <c>projections.i.bias</c>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class MaxFusion<T> : ProjectedFusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the projections with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the common width and the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When a width is not positive.</exception>
    public MaxFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random)
        : base(widths, dimension, random)
    {
    }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        var projected = ProjectPresent(encoded, present); // 0 in the rows of missing samples
        if (projected.Length == 1) return projected[0];
        var stacked = MtlTensor.Stack(projected, axis: 1); // (n, m, d)
        if (present.All(p => p is null)) return stacked.Max(1);
        return (stacked + MissingBias(present, stacked.Shape[0], stacked.Device)).Max(1); // missing: 0 + (−∞); none present: max of zeros
    }
}
