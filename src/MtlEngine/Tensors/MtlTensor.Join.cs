using MtlEngine.Autograd;
using System.Numerics;
using MtlEngine.Kernels;

namespace MtlEngine.Tensors;

// Joining tensors (copies) and splitting them (views).
public static partial class MtlTensor
{
    /// <summary>Joins <paramref name="tensors"/> along an existing <paramref name="axis"/> into a new contiguous
    /// tensor. All must have the same rank and the same size on every other axis.</summary>
    /// <param name="tensors">The parts, in order; at least one.</param>
    /// <param name="axis">The axis to join along (negative counts from the end).</param>
    /// <param name="parallelism">Threads large copies may use (default: one per processor).</param>
    /// <exception cref="ArgumentException">When the list is empty or the shapes do not match (the message names both shapes).</exception>
    public static MtlTensor<T> Concatenate<T>(IReadOnlyList<MtlTensor<T>> tensors, int axis = 0, Parallelism? parallelism = null)
        where T : unmanaged, INumber<T> => Concatenate(tensors, axis, parallelism, stepScoped: false);

    /// <summary>
    /// <see cref="Concatenate{T}(IReadOnlyList{MtlTensor{T}}, int, Parallelism?)"/> into a result that, on the CPU, lives only
    /// until the next step of the open <see cref="TensorArena"/> (as the results of Matmul, Add, ... do): inside a training
    /// step it reuses the previous step's buffer instead of a fresh, zero-filled array that the copies then page in (the
    /// MMoE experts' concatenated first-layer weights, 2.6 MB a step, were a third of a 1-thread training step that way).
    /// The copies write every element, so the values are those of the public form. For results that stay inside a step.
    /// </summary>
    internal static MtlTensor<T> ConcatenateInStep<T>(IReadOnlyList<MtlTensor<T>> tensors, int axis = 0) where T : unmanaged, INumber<T> =>
        Concatenate(tensors, axis, parallelism: null, stepScoped: true);

    private static MtlTensor<T> Concatenate<T>(IReadOnlyList<MtlTensor<T>> tensors, int axis, Parallelism? parallelism, bool stepScoped)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("Concatenate needs at least one tensor.", nameof(tensors));
        MtlTensor<T> first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors), "Tensor 0 is null.");
        if (first.Rank == 0)
            throw new ArgumentException("Cannot concatenate 0-d tensors (shape ()); use Stack, or Unsqueeze them first.", nameof(tensors));
        int a = MtlTensor<T>.NormalizeAxis(axis, first.Rank);
        long total = 0;
        for (int k = 0; k < tensors.Count; k++)
        {
            MtlTensor<T> t = tensors[k] ?? throw new ArgumentNullException(nameof(tensors), $"Tensor {k} is null.");
            bool fits = t.Rank == first.Rank;
            for (int d = 0; fits && d < first.Rank; d++)
                fits = d == a || t.Shape[d] == first.Shape[d];
            if (!fits)
                throw new ArgumentException(
                    $"Cannot concatenate along axis {a}: tensor 0 has shape {MtlTensor<T>.ShapeText(first.Shape)} but tensor {k} has shape {MtlTensor<T>.ShapeText(t.Shape)}; all sizes except axis {a} must match.",
                    nameof(tensors));
            total += t.Shape[a];
        }
        int[] shape = first.Shape.ToArray();
        shape[a] = checked((int)total);
        foreach (var t in tensors)
            if (t.Device != first.Device)
                throw new InvalidOperationException(
                    $"Concatenate: the tensors live on different devices ({first.Device} and {t.Device}); move them with To(Device.Parse(\"{first.Device}\")) first (copies between devices are always explicit).");
        var result = stepScoped && first.Device.Kind == DeviceKind.Cpu ? TensorOps.Uninitialized<T>(shape) : Full(first.Device, shape, T.Zero);
        int at = 0;
        foreach (var t in tensors)
        {
            int size = t.Shape[a];
            if (size > 0) t.CopyTo(result.Slice(a, at, at + size), parallelism);
            at += size;
        }
        return Graph.Record(result, GradientRules.Concatenate, [.. tensors], axes: [a]);
    }

    /// <summary>Joins tensors of one shape along a new <paramref name="axis"/> (in [−rank−1, rank]) into a new tensor
    /// of rank + 1.</summary>
    /// <exception cref="ArgumentException">When the list is empty or the shapes differ (the message names both shapes).</exception>
    public static MtlTensor<T> Stack<T>(IReadOnlyList<MtlTensor<T>> tensors, int axis = 0, Parallelism? parallelism = null)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("Stack needs at least one tensor.", nameof(tensors));
        MtlTensor<T> first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors), "Tensor 0 is null.");
        var parts = new MtlTensor<T>[tensors.Count];
        for (int k = 0; k < tensors.Count; k++)
        {
            MtlTensor<T> t = tensors[k] ?? throw new ArgumentNullException(nameof(tensors), $"Tensor {k} is null.");
            if (!t.Shape.SequenceEqual(first.Shape))
                throw new ArgumentException(
                    $"Cannot stack: tensor 0 has shape {MtlTensor<T>.ShapeText(first.Shape)} but tensor {k} has shape {MtlTensor<T>.ShapeText(t.Shape)}; all shapes must be equal.",
                    nameof(tensors));
            parts[k] = t.Unsqueeze(axis);
        }
        return Concatenate(parts, axis < 0 ? axis + first.Rank + 1 : axis, parallelism);
    }
}

public sealed partial class MtlTensor<T>
{
    /// <summary>Views of consecutive pieces of <paramref name="size"/> along <paramref name="axis"/>; the last
    /// piece is smaller when the size does not divide the axis (PyTorch's <c>split</c>). No copies.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="size"/> is less than 1.</exception>
    public MtlTensor<T>[] Split(int size, int axis = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        int a = NormalizeAxis(axis, Rank);
        int n = _shape[a];
        int pieces = n == 0 ? 1 : (n + size - 1) / size;
        var result = new MtlTensor<T>[pieces];
        for (int p = 0; p < pieces; p++)
            result[p] = Slice(a, p * size, Math.Min(n, (p + 1) * size));
        return result;
    }

    /// <summary>Views of pieces with the given <paramref name="sizes"/> along <paramref name="axis"/>; the sizes
    /// must add up to the axis' size. No copies.</summary>
    /// <exception cref="ArgumentException">When a size is negative or the sizes do not add up.</exception>
    public MtlTensor<T>[] Split(int[] sizes, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int a = NormalizeAxis(axis, Rank);
        long sum = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"Split sizes {ShapeText(sizes)} include a negative size.", nameof(sizes));
            sum += s;
        }
        if (sum != _shape[a])
            throw new ArgumentException(
                $"Split sizes {ShapeText(sizes)} add up to {sum}, but axis {a} of a tensor of shape {ShapeText(Shape)} has size {_shape[a]}.",
                nameof(sizes));
        var result = new MtlTensor<T>[sizes.Length];
        int at = 0;
        for (int p = 0; p < sizes.Length; p++)
        {
            result[p] = Slice(a, at, at + sizes[p]);
            at += sizes[p];
        }
        return result;
    }

    /// <summary>At most <paramref name="chunks"/> views of ⌈n / chunks⌉ elements along <paramref name="axis"/>
    /// (PyTorch's <c>chunk</c>: fewer pieces when the axis is short). No copies.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="chunks"/> is less than 1.</exception>
    public MtlTensor<T>[] Chunk(int chunks, int axis = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        int n = _shape[NormalizeAxis(axis, Rank)];
        return Split(Math.Max(1, (n + chunks - 1) / chunks), axis);
    }
}
