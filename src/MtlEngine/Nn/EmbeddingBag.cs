using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>How <see cref="EmbeddingBag{T}"/> combines the rows of a bag.</summary>
public enum BagMode
{
    /// <summary>Σ wⱼ·E[iⱼ].</summary>
    Sum,
    /// <summary>Σ wⱼ·E[iⱼ] / (number of indices in the bag); an empty bag gives zeros.</summary>
    Mean,
}

/// <summary>
/// PyTorch's <c>nn.EmbeddingBag</c> for sparse bag-of-words input: bag b is the indices
/// <c>indices[offsets[b] .. offsets[b+1])</c> (the last bag runs to the end), and its output row is the sum or mean of
/// those rows of the embedding table E ("weight", shape (embeddings, dim), initialized N(0, 1)), each optionally
/// scaled by a per-index weight. Nothing of size bags × vocabulary is ever formed. The gradient is a scatter-add
/// of the output gradient into the rows that were read.
/// </summary>
public sealed class EmbeddingBag<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the table with seeded N(0, 1) values.</summary>
    public EmbeddingBag(int embeddings, int dimension, TensorRandom random, BagMode mode = BagMode.Mean)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddings, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(random);
        Mode = mode;
        Weight = RegisterParameter("weight", random.Normal([embeddings, dimension], T.Zero, T.One));
    }

    /// <summary>Sum or mean.</summary>
    public BagMode Mode { get; }

    /// <summary>E, shape (embeddings, dim).</summary>
    public MtlTensor<T> Weight { get; }

    /// <summary>The bags of a (bags, length) tensor of indices held as numbers; negative entries are padding.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2)
            throw new ArgumentException($"EmbeddingBag.Forward(tensor) takes a (bags, length) matrix of indices, but got shape {MtlTensor<T>.ShapeText(input.Shape)}; use Forward(indices, offsets) for ragged bags.");
        var values = input.ToArray();
        var ids = new int[values.Length];
        for (int i = 0; i < values.Length; i++) ids[i] = values[i] >= T.Zero ? int.CreateChecked(values[i]) : -1;
        return ForwardPadded(ids, input.Shape[0], input.Shape[1]);
    }

    /// <summary>The bags of a (bags, length) matrix of token ids, row by row; negative entries are padding.</summary>
    /// <exception cref="ArgumentException">When the matrix is not 2-d or an id is outside the table.</exception>
    public MtlTensor<T> Forward(MtlTensor<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2)
            throw new ArgumentException($"EmbeddingBag.Forward(ids) takes a (bags, length) matrix of token ids, but got shape {MtlTensor<int>.ShapeText(ids.Shape)}.");
        return ForwardPadded(ids.Contiguous().ToArray(), ids.Shape[0], ids.Shape[1]);
    }

    /// <summary>The padded rows as ragged bags: the non-negative ids of each row, in order.</summary>
    private MtlTensor<T> ForwardPadded(int[] ids, int bags, int length)
    {
        var indices = new List<int>(ids.Length);
        var offsets = new int[bags];
        for (int b = 0; b < bags; b++)
        {
            offsets[b] = indices.Count;
            for (int j = 0; j < length; j++)
                if (ids[b * length + j] >= 0) indices.Add(ids[b * length + j]);
        }
        return Forward(indices.ToArray(), offsets);
    }

    /// <summary>The output rows (bags, dim) of ragged bags.</summary>
    /// <param name="indices">Every bag's indices, concatenated.</param>
    /// <param name="offsets">Where each bag starts in <paramref name="indices"/> (non-decreasing, first 0).</param>
    /// <param name="perIndexWeights">Optional weight per index (e.g. term frequencies or TF-IDF), same length as <paramref name="indices"/>.</param>
    /// <exception cref="ArgumentException">When an index is out of range, the offsets are not non-decreasing from 0, or the weights' length differs.</exception>
    public MtlTensor<T> Forward(int[] indices, int[] offsets, T[]? perIndexWeights = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(offsets);
        int rows = Weight.Shape[0], dim = Weight.Shape[1], bags = offsets.Length;
        if (perIndexWeights is not null && perIndexWeights.Length != indices.Length)
            throw new ArgumentException($"EmbeddingBag got {perIndexWeights.Length} per-index weights for {indices.Length} indices.");
        for (int b = 0; b < bags; b++)
        {
            int start = offsets[b], end = b + 1 < bags ? offsets[b + 1] : indices.Length;
            if ((b == 0 && start != 0) || start > end || end > indices.Length)
                throw new ArgumentException($"EmbeddingBag offsets must start at 0 and not decrease, within the {indices.Length} indices; bag {b} spans [{start}, {end}).");
        }
        foreach (int i in indices)
            if ((uint)i >= (uint)rows)
                throw new ArgumentException($"EmbeddingBag index {i} is outside the table of {rows} embeddings.");

        var scales = BagScales(indices, offsets, perIndexWeights);
        if (GpuTensorOps.OnDevice(Weight)) return OnDevice(indices, offsets, scales);
        var table = Weight.AsSpan();
        var result = MtlTensor.Zeros<T>(bags, dim);
        var output = result.AsSpan();
        for (int b = 0; b < bags; b++)
        {
            int end = b + 1 < bags ? offsets[b + 1] : indices.Length;
            var row = output.Slice(b * dim, dim);
            for (int j = offsets[b]; j < end; j++)
            {
                var source = table.Slice(indices[j] * dim, dim);
                T s = scales[j];
                for (int k = 0; k < dim; k++) row[k] += s * source[k];
            }
        }
        return Graph.Record(result, GradientRules.EmbeddingBag, Weight, saved: new BagLayout<T>(indices, offsets, scales));
    }

    /// <summary>
    /// The same sums on a GPU device, from operations that run there: the rows read (index_select), each scaled by its
    /// factor, added into their bag's row (index_add); the gradient flows through those operations' rules.
    /// </summary>
    private MtlTensor<T> OnDevice(int[] indices, int[] offsets, T[] scales)
    {
        int bags = offsets.Length, dim = Weight.Shape[1];
        var bagOf = new int[indices.Length];
        for (int b = 0; b < bags; b++)
        {
            int end = b + 1 < bags ? offsets[b + 1] : indices.Length;
            for (int j = offsets[b]; j < end; j++) bagOf[j] = b;
        }
        var rows = Weight.IndexSelect(0, indices) * MtlTensor.FromArray(scales, indices.Length, 1).To(Weight.Device);
        return MtlTensor.Zeros<T>(Weight.Device, bags, dim).IndexAdd(0, bagOf, rows);
    }

    /// <summary>The factor of each index: its weight (or 1), divided by the bag's size in mean mode.</summary>
    private T[] BagScales(int[] indices, int[] offsets, T[]? weights)
    {
        var scales = new T[indices.Length];
        for (int b = 0; b < offsets.Length; b++)
        {
            int start = offsets[b], end = b + 1 < offsets.Length ? offsets[b + 1] : indices.Length;
            T divisor = Mode == BagMode.Mean && end > start ? T.CreateChecked(end - start) : T.One;
            for (int j = start; j < end; j++) scales[j] = (weights is null ? T.One : weights[j]) / divisor;
        }
        return scales;
    }
}
