using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>
/// A lookup table of learned vectors (PyTorch's <c>nn.Embedding</c>): "weight" of shape (embeddings, dim), initialized
/// N(0, 1), with the optional padding row zeroed and kept out of the gradient. Indices of any shape map to (shape..., dim).
/// </summary>
public sealed class Embedding<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the table with seeded N(0, 1) values.</summary>
    /// <param name="embeddings">The number of rows (the vocabulary size).</param>
    /// <param name="dimension">The width of each vector.</param>
    /// <param name="random">The generator the initial values are drawn from.</param>
    /// <param name="paddingIndex">A row that starts at zero and gets no gradient (negative counts from the end), or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is below 1 or the padding index is out of range.</exception>
    public Embedding(int embeddings, int dimension, TensorRandom random, int? paddingIndex = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddings, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(random);
        if (paddingIndex is int p)
        {
            if (p < -embeddings || p >= embeddings)
                throw new ArgumentOutOfRangeException(nameof(paddingIndex), p, $"The padding index must lie in [−{embeddings}, {embeddings}).");
            PaddingIndex = p < 0 ? p + embeddings : p;
        }
        var weight = random.Normal([embeddings, dimension], T.Zero, T.One);
        if (PaddingIndex is int row) weight.Select(0, row).Fill(T.Zero);
        Weight = RegisterParameter("weight", weight);
    }

    /// <summary>E, shape (embeddings, dim).</summary>
    public MtlTensor<T> Weight { get; }

    /// <summary>The padding row (non-negative), or null.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The vectors of <paramref name="indices"/> (row-major, of the given <paramref name="shape"/>): shape (shape..., dim).</summary>
    /// <exception cref="ArgumentException">When the shape does not hold the indices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When an index is negative or not below the number of embeddings.</exception>
    public MtlTensor<T> Forward(ReadOnlySpan<int> indices, params int[] shape) => Functional.Embedding(Weight, indices, shape, PaddingIndex);

    /// <summary>The vectors of an integer index tensor of any shape: shape (index shape..., dim).</summary>
    public MtlTensor<T> Forward(MtlTensor<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return Forward(indices.ToArray(), indices.Shape.ToArray());
    }

    /// <summary>The vectors of indices held as whole numbers in a float tensor (for use inside a <see cref="Sequential{T}"/>).</summary>
    /// <exception cref="ArgumentException">When a value is not a whole number.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var values = input.ToArray();
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsInteger(values[i]))
                throw new ArgumentException($"Embedding got the value {values[i]} at flat position {i}, which is not a whole-number index; pass int indices.", nameof(input));
            indices[i] = int.CreateSaturating(values[i]);
        }
        return Forward(indices, input.Shape.ToArray());
    }
}
