using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Low-rank multimodal fusion (LMF; Liu, Shen, Lakshminarasimhan, Liang, Zadeh and Morency, "Efficient Low-rank Multimodal
/// Fusion with Modality-Specific Factors", 2018): the <see cref="TensorFusion{T}"/> followed by a linear layer whose weight
/// tensor W is of rank r, W = Σ_{k=1}^{r} ⊗ᵢ Wᵢ⁽ᵏ⁾, computed without ever forming the outer product,
/// <code>
/// z = Σ_{k=1}^{r} λₖ · Πᵢ ([eᵢ; 1]·Wᵢ⁽ᵏ⁾) + b      Wᵢ⁽ᵏ⁾ of shape (dᵢ + 1, d)
/// </code>
/// Each input's r factors are one Linear dᵢ → r·d whose bias is the row of the appended 1 (parameters
/// <c>factors.i.weight</c>, <c>factors.i.bias</c>); λ is <c>fusion_weights</c> (r; Xavier-normal as the paper's code) and b
/// is <c>fusion_bias</c> (d; zeros). A missing input is [0, …, 0, 1], as in the tensor fusion: its factor is the bias row,
/// a learned constant that does not depend on its values.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class LowRankFusion<T> : Fusion<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _widths;
    private readonly Linear<T>[] _factors;

    /// <summary>Creates the factors with seeded weights.</summary>
    /// <param name="widths">dᵢ of each input, in the model's input order.</param>
    /// <param name="dimension">d, the output width.</param>
    /// <param name="rank">r, the rank of the fused weight tensor.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When a width, the dimension or the rank is not positive.</exception>
    public LowRankFusion(IReadOnlyList<int> widths, int dimension, int rank, TensorRandom random)
    {
        CheckWidths(widths, nameof(LowRankFusion<T>));
        ArgumentNullException.ThrowIfNull(random);
        if (dimension < 1 || rank < 1) throw new ArgumentException($"Low-rank fusion needs a positive dimension and rank, got d = {dimension}, r = {rank}.");
        _widths = [.. widths];
        Rank = rank;
        var factors = RegisterModule("factors", new ModuleList<T>());
        _factors = widths.Select(w => new Linear<T>(w, rank * dimension, random)).ToArray();
        foreach (var factor in _factors) factors.Append(factor);
        FusionWeights = RegisterParameter("fusion_weights", Init.XavierNormal<T>(random, 1, rank).Reshape(rank));
        FusionBias = RegisterParameter("fusion_bias", MtlTensor.Zeros<T>(dimension));
        OutputWidth = dimension;
    }

    /// <summary>r, the rank.</summary>
    public int Rank { get; }

    /// <summary>λ, shape (r,).</summary>
    public MtlTensor<T> FusionWeights { get; }

    /// <summary>b, shape (d,).</summary>
    public MtlTensor<T> FusionBias { get; }

    /// <summary>Input i's factor Linear dᵢ → r·d: output column k·d + j is column j of Wᵢ⁽ᵏ⁾ (weight for eᵢ, bias for the appended 1).</summary>
    public Linear<T> Factor(int input) => _factors[input];

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Fuse(IReadOnlyList<MtlTensor<T>> encoded, IReadOnlyList<MtlTensor<T>?> present)
    {
        CheckEncodings(encoded, present, _widths);
        int n = encoded[0].Shape[0], d = OutputWidth;
        MtlTensor<T>? product = null;
        for (int i = 0; i < _factors.Length; i++)
        {
            var factor = _factors[i].Forward(Masked(encoded[i], present[i])); // [eᵢ; 1]·Wᵢ⁽ᵏ⁾ for every k, (n, r·d)
            product = product is null ? factor : product * factor;
        }
        return (product!.Reshape(n, Rank, d) * FusionWeights.Reshape(1, Rank, 1)).Sum(1) + FusionBias;
    }
}
