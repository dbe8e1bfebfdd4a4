using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.MultiModal;

/// <summary>
/// Fuses the encodings of several inputs (modalities) into one representation per sample. Each encoding is (n, dᵢ),
/// in the model's input order; a sample whose input is missing has a zero row there (the encoder masks it) and a 0 in
/// that input's presence mask. Fusions that weigh or normalize across inputs read the masks so that a missing input
/// contributes nothing; a fusion that ignores them must be one for which a zero row already contributes nothing.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public abstract class Fusion<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The width of the fused representation.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>Fuses the encodings.</summary>
    /// <param name="encoded">One (n, dᵢ) encoding per input, in the model's input order.</param>
    /// <param name="present">Per input, its (n) presence mask (1 present, 0 missing), or null when every sample has it.</param>
    /// <returns>The (n, <see cref="OutputWidth"/>) fused representation.</returns>
    public abstract MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present);

    /// <summary>The fusion of a single input with no mask.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Fuse([input], [null]);

    /// <summary>Checks that there is one encoding per input of the expected widths and that every mask matches.</summary>
    /// <exception cref="ArgumentException">When the counts, widths or mask lengths disagree.</exception>
    protected static void CheckEncodings(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present, IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(present);
        if (encoded.Count != widths.Count || present.Count != widths.Count)
            throw new ArgumentException($"The fusion takes {widths.Count} encodings and masks, but got {encoded.Count} encodings and {present.Count} masks.");
        for (int i = 0; i < widths.Count; i++)
        {
            if (encoded[i].Rank != 2 || encoded[i].Shape[1] != widths[i])
                throw new ArgumentException($"Encoding {i} has shape {MtlTensor<T>.ShapeText(encoded[i].Shape)}; the fusion expects (n, {widths[i]}).");
            if (encoded[i].Shape[0] != encoded[0].Shape[0])
                throw new ArgumentException($"Encoding {i} has {encoded[i].Shape[0]} rows, encoding 0 has {encoded[0].Shape[0]}.");
            if (present[i] is { } mask && mask.Length != encoded[i].Shape[0])
                throw new ArgumentException($"The presence mask of input {i} has {mask.Length} entries for {encoded[i].Shape[0]} rows.");
        }
    }
}

/// <summary>
/// Early fusion by concatenation: [e₁, …, e_m], width Σ dᵢ. A missing input's zero row stays zero, so the layer that
/// reads the concatenation sees no value from it.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ConcatFusion<T> : Fusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _widths;

    /// <summary>A concatenation of encodings of the given widths.</summary>
    /// <exception cref="ArgumentException">When there is no width or a width is not positive.</exception>
    public ConcatFusion(IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count == 0 || widths.Any(w => w <= 0)) throw new ArgumentException($"Concatenation needs one positive width per input, got [{string.Join(", ", widths)}].", nameof(widths));
        _widths = [.. widths];
        OutputWidth = _widths.Sum();
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        CheckEncodings(encoded, present, _widths);
        return encoded.Count == 1 ? encoded[0] : MtlTensor.Concatenate([.. encoded], axis: 1);
    }
}
