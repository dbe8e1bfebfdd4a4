using System.Numerics.Tensors;
using MtlEngine.Autograd;

namespace MtlEngine.Tensors;

// Indexing by integer tensors (PyTorch's index_select, index_add, gather, scatter_add). Indices are ints, never
// floats; every index is bounds-checked, and a negative index is refused (as PyTorch does for these operations).
// The four form two adjoint pairs, so each one's gradient is the other: index_select ↔ index_add and
// gather ↔ scatter_add (see GradientRules.Indexing.cs). index_select and index_add also run on GPU devices (the indices
// uploaded or the offsets walked on the host; the adds as gathers over destinations, bitwise the host's sums).
// Each returns a new contiguous tensor.
public sealed partial class MtlTensor<T>
{
    /// <summary>
    /// The slices <paramref name="indices"/>[0], [1], ... of <paramref name="axis"/>, stacked along that axis (PyTorch's
    /// <c>index_select</c>): the result has this tensor's shape with size <c>indices.Length</c> on the axis, and
    /// out[..., j, ...] = x[..., indices[j], ...]. Indices may repeat.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When the axis is out of range, or an index is negative or not below the axis's size.</exception>
    public MtlTensor<T> IndexSelect(int axis, ReadOnlySpan<int> indices)
    {
        int a = NormalizeAxis(axis, Rank);
        var chosen = CheckedIndices(indices, _shape[a], a, "IndexSelect");
        var (outer, size, inner) = SplitAt(_shape, a);
        var shape = (int[])_shape.Clone();
        shape[a] = chosen.Length;
        if (GpuTensorOps.OnDevice(this))
            return Graph.Record(GpuIndexingOps.Select(this, a, chosen, shape), GradientRules.IndexSelect, this, axes: [a], saved: chosen);
        var result = TensorOps.Uninitialized<T>(shape); // every element is written below
        ReadOnlySpan<T> source = ElementsInOrder();
        var output = result.AsSpan();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < chosen.Length; j++)
                source.Slice((o * size + chosen[j]) * inner, inner).CopyTo(output.Slice((o * chosen.Length + j) * inner, inner));
        return Graph.Record(result, GradientRules.IndexSelect, this, axes: [a], saved: chosen);
    }

    /// <summary>
    /// A copy of this tensor with the slices of <paramref name="source"/> added into the slices <paramref name="indices"/>
    /// of <paramref name="axis"/> (PyTorch's out-of-place <c>index_add</c>): out[..., indices[j], ...] += source[..., j, ...],
    /// repeated indices accumulating. <paramref name="source"/> has this tensor's shape with size <c>indices.Length</c> on the axis.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="source"/> has the wrong shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the axis is out of range, or an index is negative or not below the axis's size.</exception>
    public MtlTensor<T> IndexAdd(int axis, ReadOnlySpan<int> indices, MtlTensor<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        int a = NormalizeAxis(axis, Rank);
        var chosen = CheckedIndices(indices, _shape[a], a, "IndexAdd");
        var expected = (int[])_shape.Clone();
        expected[a] = chosen.Length;
        if (!source.Shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"IndexAdd along axis {a} of a tensor of shape {ShapeText(Shape)} with {chosen.Length} indices needs a source of shape {ShapeText(expected)}, but got {ShapeText(source.Shape)}.");
        if (GpuTensorOps.OnDevice(this))
            return Graph.Record(GpuIndexingOps.Add(this, a, chosen, source), GradientRules.IndexAdd, this, source, axes: [a], saved: chosen);
        var (outer, size, inner) = SplitAt(_shape, a);
        var result = CopyForUpdate();
        var output = result.AsSpan();
        ReadOnlySpan<T> added = source.ElementsInOrder();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < chosen.Length; j++)
            {
                var target = output.Slice((o * size + chosen[j]) * inner, inner);
                TensorPrimitives.Add(target, added.Slice((o * chosen.Length + j) * inner, inner), target);
            }
        return Graph.Record(result, GradientRules.IndexAdd, this, source, axes: [a], saved: chosen);
    }

    /// <summary>
    /// Values picked along <paramref name="axis"/> by an index tensor of the same rank (PyTorch's <c>gather</c>, NumPy's
    /// <c>take_along_axis</c> without broadcasting): out[p] = x[p with p[axis] replaced by index[p]] for every position p
    /// of <paramref name="index"/>, so the result has the index's shape. On every other axis the index may be shorter
    /// than this tensor (it then reads the leading part).
    /// </summary>
    /// <exception cref="ArgumentException">When the ranks differ or the index is longer than this tensor on an axis other than <paramref name="axis"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the axis is out of range, or an index is negative or not below the axis's size.</exception>
    public MtlTensor<T> Gather(int axis, MtlTensor<int> index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int a = NormalizeAxis(axis, Rank);
        var picks = CheckedIndexTensor(index, a, this.Shape, "Gather", "this tensor");
        if (GpuTensorOps.OnDevice(this))
        {
            // The element each output reads, as an offset into this tensor's row-major elements, walked on the host.
            int[] rowMajor = ContiguousStrides(_shape), offsets = new int[picks.Length];
            Span<int> at = stackalloc int[Rank];
            int from = 0, ignored = 0;
            for (int f = 0; f < picks.Length; f++)
            {
                offsets[f] = from + picks[f] * rowMajor[a];
                Advance(at, index.Shape, ref from, rowMajor, a, ref ignored, [], -1);
            }
            return Graph.Record(GpuIndexingOps.GatherAt(this, offsets, index.Shape.ToArray()), GradientRules.Gather, this, axes: [a], saved: index);
        }
        var result = TensorOps.Uninitialized<T>(index.Shape.ToArray()); // every element is written below
        var output = result.AsSpan();
        var source = CpuStorage.Span;
        ReadOnlySpan<int> shape = index.Shape, none = [];
        Span<int> position = stackalloc int[Rank];
        int read = Offset, unused = 0, step = _strides[a];
        for (int f = 0; f < picks.Length; f++)
        {
            output[f] = source[read + picks[f] * step];
            Advance(position, shape, ref read, _strides, a, ref unused, none, -1);
        }
        return Graph.Record(result, GradientRules.Gather, this, axes: [a], saved: index);
    }

    /// <summary><see cref="Gather(int, MtlTensor{int})"/> with the index given as its values in row-major order and its shape.</summary>
    /// <exception cref="ArgumentException">When <paramref name="shape"/> does not hold the values, or as for the tensor form.</exception>
    public MtlTensor<T> Gather(int axis, ReadOnlySpan<int> index, params int[] shape) => Gather(axis, MtlTensor.FromArray(index.ToArray(), shape));

    /// <summary>
    /// A copy of this tensor with each element of <paramref name="source"/> added at the position <paramref name="index"/>
    /// names along <paramref name="axis"/> (PyTorch's out-of-place <c>scatter_add</c>, the adjoint of <see cref="Gather(int, MtlTensor{int})"/>):
    /// out[p with p[axis] replaced by index[p]] += source[p] for every position p of the index; repeated targets accumulate.
    /// The index has this tensor's rank, is no longer than <paramref name="source"/> on any axis and no longer than this
    /// tensor on the axes other than <paramref name="axis"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When the ranks or sizes do not fit as described.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the axis is out of range, or an index is negative or not below the axis's size.</exception>
    public MtlTensor<T> ScatterAdd(int axis, MtlTensor<int> index, MtlTensor<T> source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        int a = NormalizeAxis(axis, Rank);
        var picks = CheckedIndexTensor(index, a, this.Shape, "ScatterAdd", "this tensor");
        if (source.Rank != index.Rank)
            throw new ArgumentException($"ScatterAdd needs a source of the index's rank {index.Rank}, but got shape {ShapeText(source.Shape)}.");
        for (int d = 0; d < index.Rank; d++)
            if (index.Shape[d] > source.Shape[d])
                throw new ArgumentException(
                    $"ScatterAdd: the index of shape {ShapeText(index.Shape)} is longer than the source of shape {ShapeText(source.Shape)} on axis {d}.");
        if (GpuTensorOps.OnDevice(this))
        {
            // Where each source element goes and where it is read, as row-major offsets, walked on the host.
            int[] into = ContiguousStrides(_shape), of = ContiguousStrides(source.Shape);
            int[] destinations = new int[picks.Length], sources = new int[picks.Length];
            Span<int> at = stackalloc int[Rank];
            int to = 0, from = 0;
            for (int f = 0; f < picks.Length; f++)
            {
                destinations[f] = to + picks[f] * into[a];
                sources[f] = from;
                Advance(at, index.Shape, ref to, into, a, ref from, of, -1);
            }
            return Graph.Record(GpuIndexingOps.ScatterAddAt(this, destinations, sources, source), GradientRules.ScatterAdd, this, source, axes: [a], saved: index);
        }
        RequireHost("ScatterAdd", source);
        var result = CopyForUpdate();
        var output = result.AsSpan();
        var added = source.CpuStorage.Span;
        ReadOnlySpan<int> shape = index.Shape;
        Span<int> position = stackalloc int[Rank];
        int write = 0, read = source.Offset, step = result.Strides[a];
        for (int f = 0; f < picks.Length; f++)
        {
            output[write + picks[f] * step] += added[read];
            Advance(position, shape, ref write, result.Strides, a, ref read, source.Strides, -1);
        }
        return Graph.Record(result, GradientRules.ScatterAdd, this, source, axes: [a], saved: index);
    }

    /// <summary>Refuses operands on a device: these operations run on the host.</summary>
    private static void RequireHost(string operation, MtlTensor<T> x, MtlTensor<T>? y = null)
    {
        foreach (var operand in y is null ? [x] : new[] { x, y })
            if (GpuTensorOps.OnDevice(operand))
                throw new InvalidOperationException(
                    $"{operation} runs on cpu tensors, but an operand of shape {ShapeText(operand.Shape)} is on {operand.Device}; move it with To(Device.Cpu) first.");
    }

    /// <summary>A contiguous copy of this tensor to be updated in place (from the step's arena when there is one), outside the graph.</summary>
    private MtlTensor<T> CopyForUpdate()
    {
        var copy = TensorOps.Uninitialized<T>(_shape);
        Detach().CopyTo(copy);
        return copy;
    }

    /// <summary>The elements in row-major order: the storage itself when contiguous, else a copy (outside the graph).</summary>
    private ReadOnlySpan<T> ElementsInOrder() => IsContiguous ? AsSpan() : ToArray();

    /// <summary>(outer, size, inner): the products of the sizes before <paramref name="axis"/>, its size, and after it.</summary>
    private static (int Outer, int Size, int Inner) SplitAt(int[] shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        return (outer, shape[axis], inner);
    }

    /// <summary>A copy of <paramref name="indices"/> after checking that each lies in [0, <paramref name="size"/>).</summary>
    private int[] CheckedIndices(ReadOnlySpan<int> indices, int size, int axis, string operation)
    {
        for (int j = 0; j < indices.Length; j++)
            if ((uint)indices[j] >= (uint)size)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[j],
                    $"{operation}: index {indices[j]} at position {j} is outside axis {axis} of size {size} (tensor of shape {ShapeText(Shape)}); indices must lie in [0, {size}).");
        return indices.ToArray();
    }

    /// <summary>
    /// The index tensor's values in row-major order, after checking its rank, its sizes against
    /// <paramref name="target"/> on the axes other than <paramref name="axis"/>, and each value against the axis's size.
    /// </summary>
    private static ReadOnlySpan<int> CheckedIndexTensor(MtlTensor<int> index, int axis, ReadOnlySpan<int> target, string operation, string what)
    {
        if (index.Rank != target.Length)
            throw new ArgumentException(
                $"{operation} needs an index of the same rank as {what} (shape {ShapeText(target)}), but the index has shape {MtlTensor<int>.ShapeText(index.Shape)}.");
        for (int d = 0; d < target.Length; d++)
            if (d != axis && index.Shape[d] > target[d])
                throw new ArgumentException(
                    $"{operation} along axis {axis}: the index of shape {MtlTensor<int>.ShapeText(index.Shape)} is longer than {what} of shape {ShapeText(target)} on axis {d}.");
        ReadOnlySpan<int> picks = index.IsContiguous ? index.AsSpan() : index.ToArray();
        int size = target[axis];
        for (int f = 0; f < picks.Length; f++)
            if ((uint)picks[f] >= (uint)size)
                throw new ArgumentOutOfRangeException(nameof(index), picks[f],
                    $"{operation}: index value {picks[f]} at flat position {f} is outside axis {axis} of size {size}; values must lie in [0, {size}).");
        return picks;
    }

    /// <summary>
    /// One step of a row-major walk over the positions of <paramref name="shape"/> (an odometer: bump the last axis, carry
    /// into the ones before), keeping two storage offsets in step: each moves by its strides, except along its skipped axis
    /// (−1: none), whose position the caller adds itself.
    /// </summary>
    private static void Advance(Span<int> position, ReadOnlySpan<int> shape,
        ref int offsetA, ReadOnlySpan<int> stridesA, int skipA, ref int offsetB, ReadOnlySpan<int> stridesB, int skipB)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int stepA = d == skipA ? 0 : stridesA[d], stepB = d == skipB || stridesB.IsEmpty ? 0 : stridesB[d];
            offsetA += stepA;
            offsetB += stepB;
            if (++position[d] < shape[d]) return;
            offsetA -= stepA * shape[d];
            offsetB -= stepB * shape[d];
            position[d] = 0;
        }
    }
}
