using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Tensor fusion (TFN; Zadeh, Chen, Poria, Cambria and Morency, "Tensor Fusion Network for Multimodal Sentiment Analysis",
/// 2017): the outer product of every input's encoding with a 1 appended, flattened,
/// <code>
/// z = vec([e₁; 1] ⊗ [e₂; 1] ⊗ … ⊗ [e_m; 1]),   width Πᵢ (dᵢ + 1)
/// </code>
/// so that z holds every input alone (the blocks that meet the other inputs' 1), every pair, …, and every product of all m
/// (the paper's unimodal, bimodal and trimodal interactions). z is row-major in the inputs' order: entry
/// (k₁, …, k_m) is at Σ kᵢ·Π_{j&gt;i}(dⱼ + 1). A missing input becomes [0, …, 0, 1], so only the blocks that do not involve it
/// remain, as if it were not there. With <c>dimension</c> given each eᵢ is first projected by Linear dᵢ → d (parameters
/// <c>projections.i.weight</c>, <c>.bias</c>), which keeps the width (d + 1)ᵐ; without it the fusion has no parameter.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class TensorFusion<T> : Fusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _widths;
    private readonly Linear<T>[]? _projections;

    /// <summary>Creates the fusion.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">null: the encodings as they are; else the width each is projected to first.</param>
    /// <param name="random">The generator of the projections' initial weights (needed with <paramref name="dimension"/>).</param>
    /// <exception cref="ArgumentException">When a width is not positive, or the output width exceeds 2³¹ − 1.</exception>
    public TensorFusion(IReadOnlyList<int> widths, int? dimension = null, TensorRandom? random = null)
    {
        CheckWidths(widths, nameof(TensorFusion<T>));
        _widths = [.. widths];
        if (dimension is int d)
            _projections = RegisterProjections(widths, d, random ?? throw new ArgumentNullException(nameof(random), "A projected tensor fusion needs a generator for the projections' weights."));
        long width = 1;
        foreach (int w in widths) width = checked(width * ((_projections is null ? w : dimension!.Value) + 1L));
        OutputWidth = width <= int.MaxValue
            ? (int)width
            : throw new ArgumentException($"The tensor fusion of widths [{string.Join(", ", widths)}] would be {width} wide; project the inputs to a smaller dimension first.", nameof(widths));
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        CheckEncodings(encoded, present, _widths);
        int n = encoded[0].Shape[0];
        var parts = _projections is null ? encoded.Select((e, i) => Masked(e, present[i])).ToArray() : Project(_projections, encoded, present);
        var ones = MtlTensor.Ones<T>(n, 1).To(encoded[0].Device);
        MtlTensor<T>? product = null;
        foreach (var part in parts)
        {
            var appended = MtlTensor.Concatenate([part, ones], axis: 1); // [eᵢ; 1], a missing input [0, …, 0, 1]
            if (product is null)
            {
                product = appended;
                continue;
            }
            int left = product.Shape[1], right = appended.Shape[1];
            product = (product.Reshape(n, left, 1) * appended.Reshape(n, 1, right)).Reshape(n, left * right); // the outer product per sample
        }
        return product!;
    }
}
