using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Feature-wise linear modulation (FiLM; Perez, Strub, de Vries, Dumoulin and Courville, "FiLM: Visual Reasoning with a
/// General Conditioning Layer", 2018): one input's features are scaled and shifted feature by feature by amounts that the
/// other inputs predict. For m ≥ 2 inputs the first input is modulated and the concatenation of the others conditions it,
/// <code>
/// h = P(e₁)                                  P: Linear d₁ → d        (parameters features.weight, features.bias)
/// c = [e₂, …, e_m]                           (a missing input's block is 0)
/// [Δγ, β] = F(c)                             F: Linear Σ_{i≥2} dᵢ → 2d (parameters film.weight, film.bias)
/// z = (1 + Δγ) ⊙ h + β
/// </code>
/// γ = 1 + Δγ (as FiLM implementations commonly parametrize it) so that a network that starts with small weights starts
/// close to the identity on h. A missing first input makes h = 0 and z = β(c); missing conditioning inputs give zero blocks in
/// c, so γ and β fall back towards F's bias. Put the input to be modulated first (say, the picture) and the conditioning ones
/// after it (the question, the name).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class FilmFusion<T> : Fusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _widths;
    private readonly Linear<T> _features;
    private readonly Linear<T> _film;

    /// <summary>Creates the feature projection and the modulation layer with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order; the first is modulated, at least two.</param>
    /// <param name="dimension">d, the output width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When there are fewer than two inputs or a width is not positive.</exception>
    public FilmFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random)
    {
        CheckWidths(widths, nameof(FilmFusion<T>), minimum: 2);
        ArgumentNullException.ThrowIfNull(random);
        if (dimension < 1) throw new ArgumentException($"FiLM needs a positive dimension, got {dimension}.", nameof(dimension));
        _widths = [.. widths];
        _features = RegisterModule("features", new Linear<T>(widths[0], dimension, random));
        _film = RegisterModule("film", new Linear<T>(widths.Skip(1).Sum(), 2 * dimension, random));
        OutputWidth = dimension;
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        CheckEncodings(encoded, present, _widths);
        int d = OutputWidth;
        var h = Masked(_features.Forward(Masked(encoded[0], present[0])), present[0]);
        var conditions = encoded.Skip(1).Select((e, i) => Masked(e, present[i + 1])).ToArray();
        var film = _film.Forward(conditions.Length == 1 ? conditions[0] : MtlTensor.Concatenate(conditions, axis: 1));
        var gamma = film.Slice(1, 0, d) + T.One;
        var beta = film.Slice(1, d, 2 * d);
        return gamma * h + beta;
    }
}
