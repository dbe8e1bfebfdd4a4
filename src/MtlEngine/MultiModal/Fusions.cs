using System.Numerics;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>The settings of a fusion made by name (<see cref="Fusions.Create{T}"/>); each fusion reads the ones it has.</summary>
/// <param name="Dimension">d, the common width of the projections (sum, product, max, gated, attention, low-rank, FiLM, late,
/// cross-attention: default 64); for tensor fusion the width each input is projected to first (default: none, the raw
/// encodings).</param>
/// <param name="Rank">r of low-rank fusion.</param>
/// <param name="Heads">The attention heads of cross-attention.</param>
/// <param name="LearnedWeights">Late fusion: learned weights of the inputs (true) or their mean (false).</param>
public sealed record FusionOptions(int? Dimension = null, int Rank = 4, int Heads = 1, bool LearnedWeights = false)
{
    /// <summary>The default d of the fusions that project.</summary>
    public const int DefaultDimension = 64;
}

/// <summary>Every fusion by its name, as <c>mtl train</c>'s <c>model.fusion</c> spells it.</summary>
public static class Fusions
{
    /// <summary>The names: concat, sum, product, max, gated, attention, tensor, low-rank, film, cross-attention, late.</summary>
    public static IReadOnlyList<string> Names { get; } = ["concat", "sum", "product", "max", "gated", "attention", "tensor", "low-rank", "film", "cross-attention", "late"];

    /// <summary>The fusion named <paramref name="name"/> of inputs of widths <paramref name="widths"/>, with seeded weights.</summary>
    /// <exception cref="ArgumentException">When the name is unknown (the message lists the names) or the fusion does not fit the widths.</exception>
    public static Fusion<T> Create<T>(string name, IReadOnlyList<int> widths, TensorRandom random, FusionOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new FusionOptions();
        int d = options.Dimension ?? FusionOptions.DefaultDimension;
        return name switch
        {
            "concat" => new ConcatFusion<T>(widths),
            "sum" => new SumFusion<T>(widths, d, random),
            "product" => new ProductFusion<T>(widths, d, random),
            "max" => new MaxFusion<T>(widths, d, random),
            "gated" => new GatedFusion<T>(widths, d, random),
            "attention" => new AttentionFusion<T>(widths, d, random),
            "tensor" => new TensorFusion<T>(widths, options.Dimension, random),
            "low-rank" => new LowRankFusion<T>(widths, d, options.Rank, random),
            "film" => new FilmFusion<T>(widths, d, random),
            "cross-attention" => new CrossAttentionFusion<T>(widths, d, options.Heads, random),
            "late" => new LateFusion<T>(widths, d, random, options.LearnedWeights),
            _ => throw new ArgumentException($"Unknown fusion \"{name}\"; the fusions are {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
