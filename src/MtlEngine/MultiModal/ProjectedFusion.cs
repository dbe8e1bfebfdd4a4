using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// A fusion that first projects every input to a common width d, pᵢ = Pᵢ(eᵢ) with Pᵢ: Linear dᵢ → d, and then combines
/// the projections (sum, product, maximum, attention, ...). It owns the projections, registered first as
/// <c>projections.i.weight</c>, <c>projections.i.bias</c>, so that a subclass's own layers draw their initial weights after them.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public abstract class ProjectedFusion<T> : Fusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _widths;

    /// <summary>Creates the projections with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the common width of the projections.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="minimumInputs">The fewest inputs the fusion takes.</param>
    /// <exception cref="ArgumentException">When there are fewer widths than <paramref name="minimumInputs"/>, or a width or d is not positive.</exception>
    protected ProjectedFusion(IReadOnlyList<int> widths, int dimension, TensorRandom random, int minimumInputs = 1)
    {
        CheckWidths(widths, GetType().Name.Split('`')[0], minimumInputs);
        Projections = RegisterProjections(widths, dimension, random);
        _widths = [.. widths];
        Dimension = dimension;
    }

    /// <summary>d, the common width of the projections.</summary>
    public int Dimension { get; }

    /// <summary>The width of the fused representation: d, unless the fusion says otherwise.</summary>
    public override int OutputWidth => Dimension;

    /// <summary>dᵢ of each input, in the model's input order.</summary>
    protected IReadOnlyList<int> Widths => _widths;

    /// <summary>Pᵢ, one Linear(dᵢ → d) per input.</summary>
    protected Linear<T>[] Projections { get; }

    /// <summary>Checks the encodings and masks, then pᵢ = Pᵢ(eᵢ ⊙ mᵢ) ⊙ mᵢ for every input: 0 in the rows of missing samples.</summary>
    /// <exception cref="ArgumentException">When the counts, widths or mask lengths disagree.</exception>
    protected MtlTensor<T>[] ProjectPresent(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        CheckEncodings(encoded, present, _widths);
        return Project(Projections, encoded, present);
    }
}
