using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

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

    /// <summary>
    /// eᵢ ⊙ mᵢ: the rows of the samples that miss the input set to 0, so that no value under a 0 mask reaches the fusion
    /// even when the caller did not zero it (the mask is a constant; the gradient of a masked row is 0).
    /// </summary>
    protected static MtlTensor<T> Masked(MtlTensor<T> encoded, MtlTensor<T>? present) =>
        present is null ? encoded : encoded * present.Reshape(encoded.Shape[0], 1);

    /// <summary>The presence of every input per sample, on the host: (n × m) row-major, 1 where present, 0 where missing.</summary>
    protected static T[] Presence(IReadOnlyList<MtlTensor<T>?> present, int count)
    {
        var result = new T[count * present.Count];
        for (int i = 0; i < present.Count; i++)
        {
            var mask = present[i]?.To(Device.Cpu).Contiguous().ToArray();
            for (int r = 0; r < count; r++) result[r * present.Count + i] = mask is null || mask[r] != T.Zero ? T.One : T.Zero;
        }
        return result;
    }

    /// <summary>
    /// The additive mask (n, m, 1) of a softmax or max over the m inputs: 0 where the input is present, −∞ where it is
    /// missing, so that the weights renormalize over the present inputs; a sample without any input gets 0 everywhere
    /// (its weights are then uniform over inputs whose masked values are all 0, so its output is 0).
    /// </summary>
    protected static MtlTensor<T> MissingBias(IReadOnlyList<MtlTensor<T>?> present, int count, Device device)
    {
        int m = present.Count;
        var presence = Presence(present, count);
        var bias = new T[count * m];
        for (int r = 0; r < count; r++)
        {
            bool any = false;
            for (int i = 0; i < m; i++) any |= presence[r * m + i] != T.Zero;
            if (any)
                for (int i = 0; i < m; i++) bias[r * m + i] = presence[r * m + i] != T.Zero ? T.Zero : T.NegativeInfinity;
        }
        return MtlTensor.FromArray(bias, count, m, 1).To(device);
    }

    /// <summary>One Linear(dᵢ → <paramref name="dimension"/>) per input, registered as <c>projections.i.weight</c>, <c>projections.i.bias</c>.</summary>
    /// <exception cref="ArgumentException">When there is no width, a width or the dimension is not positive.</exception>
    protected Linear<T>[] RegisterProjections(IReadOnlyList<int> widths, int dimension, TensorRandom random)
    {
        CheckWidths(widths, GetType().Name);
        ArgumentNullException.ThrowIfNull(random);
        if (dimension < 1) throw new ArgumentException($"{GetType().Name} needs a positive fusion dimension, got {dimension}.", nameof(dimension));
        var list = RegisterModule("projections", new ModuleList<T>());
        var result = new Linear<T>[widths.Count];
        for (int i = 0; i < widths.Count; i++)
        {
            result[i] = new Linear<T>(widths[i], dimension, random);
            list.Append(result[i]);
        }
        return result;
    }

    /// <summary>pᵢ = Pᵢ(eᵢ ⊙ mᵢ) ⊙ mᵢ for every input: the projections, 0 in the rows of missing samples.</summary>
    protected static MtlTensor<T>[] Project(Linear<T>[] projections, IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        var result = new MtlTensor<T>[projections.Length];
        for (int i = 0; i < projections.Length; i++) result[i] = Masked(projections[i].Forward(Masked(encoded[i], present[i])), present[i]);
        return result;
    }

    /// <summary>Checks that there is at least one width and every width is positive.</summary>
    /// <exception cref="ArgumentException">When not.</exception>
    protected static void CheckWidths(IReadOnlyList<int> widths, string fusion, int minimum = 1)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count < minimum || widths.Any(w => w <= 0))
            throw new ArgumentException($"{fusion} needs {(minimum == 1 ? "one" : $"at least {minimum} inputs, one")} positive width per input, got [{string.Join(", ", widths)}].", nameof(widths));
    }
}

/// <summary>
/// Early fusion by concatenation: [e₁ ⊙ m₁, …, e_m ⊙ m_m], width Σ dᵢ. A missing input's row is zero, so the layer that
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
        var masked = encoded.Select((e, i) => Masked(e, present[i])).ToArray();
        return masked.Length == 1 ? masked[0] : MtlTensor.Concatenate(masked, axis: 1);
    }
}
