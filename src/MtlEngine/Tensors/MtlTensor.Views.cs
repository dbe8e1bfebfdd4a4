using MtlEngine.Autograd;
namespace MtlEngine.Tensors;

// Views: new offset/shape/strides over the same storage, never a copy (except Reshape when the
// layout forbids a view, which it documents).
public sealed partial class MtlTensor<T>
{
    private MtlTensor<T> ViewOfStorage(int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides) =>
        Create(Storage, offset, shape, strides);

    /// <summary>A view of the indices <paramref name="start"/>:<paramref name="stop"/>:<paramref name="step"/> of
    /// <paramref name="axis"/>, with Python's slice semantics (negative indices count from the end, out-of-range
    /// bounds are clamped, a negative step walks backwards, an empty range gives a size-0 axis).</summary>
    /// <remarks>With integer bounds a backwards slice cannot reach index 0 from a positive start (Python's
    /// <c>a[3:-1:-1]</c> is empty too); use <see cref="Slice(int, SliceRange)"/> with a null stop for that.</remarks>
    /// <exception cref="ArgumentException">When <paramref name="step"/> is 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="axis"/> is out of range.</exception>
    public MtlTensor<T> Slice(int axis, int start, int stop, int step = 1) => Slice(axis, new SliceRange(start, stop, step));

    /// <summary>A view of <paramref name="axis"/> restricted to <paramref name="range"/> (Python semantics).</summary>
    /// <exception cref="ArgumentException">When the step is 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="axis"/> is out of range.</exception>
    public MtlTensor<T> Slice(int axis, SliceRange range)
    {
        int a = NormalizeAxis(axis, Rank);
        (int first, int count) = range.Resolve(_shape[a]);
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        shape[a] = count;
        // With fewer than 2 elements the stride is never used; keeping the old one avoids overflow for huge steps.
        if (count > 1) strides[a] = _strides[a] * range.Step;
        int offset = count > 0 ? Offset + first * _strides[a] : Offset;
        return Graph.Record(ViewOfStorage(offset, shape, strides), GradientRules.Slice, this, saved: (Func<MtlTensor<T>, MtlTensor<T>>)(t => t.Slice(a, range)));
    }

    /// <summary>A view sliced on the leading axes: <paramref name="ranges"/>[k] applies to axis k; axes past the
    /// last range are kept whole. <c>t.Slice(new SliceRange(1, null), SliceRange.Reverse)</c> is NumPy's <c>t[1:, ::-1]</c>.</summary>
    /// <exception cref="ArgumentException">When more ranges than axes are given, or a step is 0.</exception>
    public MtlTensor<T> Slice(params SliceRange[] ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.Length > Rank)
            throw new ArgumentException($"{ranges.Length} slice ranges were given for a tensor of shape {ShapeText(Shape)} (rank {Rank}).");
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        long offset = Offset;
        bool empty = false;
        for (int a = 0; a < ranges.Length; a++)
        {
            (int first, int count) = ranges[a].Resolve(_shape[a]);
            shape[a] = count;
            if (count > 1) strides[a] = _strides[a] * ranges[a].Step;
            if (count == 0) empty = true; else offset += (long)first * _strides[a];
        }
        return Graph.Record(ViewOfStorage(empty ? Offset : (int)offset, shape, strides), GradientRules.Slice, this, saved: (Func<MtlTensor<T>, MtlTensor<T>>)(t => t.Slice(ranges)));
    }

    /// <summary>A view sliced with C# ranges on the leading axes, step 1: <c>t[1.., ..^1]</c> is NumPy's <c>t[1:, :-1]</c>.</summary>
    // Named so that the indexers do not clash with the Item() method (an indexer compiles to a property "Item").
    [System.Runtime.CompilerServices.IndexerName("ItemAt")]
    public MtlTensor<T> this[params Range[] ranges]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(ranges);
            var slices = new SliceRange[ranges.Length];
            for (int i = 0; i < ranges.Length; i++) slices[i] = ranges[i];
            return Slice(slices);
        }
    }

    /// <summary>A view of index <paramref name="index"/> along <paramref name="axis"/>, with that axis removed
    /// (rank − 1). Negative indices count from the end.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the axis or the index is out of range.</exception>
    public MtlTensor<T> Select(int axis, int index)
    {
        int a = NormalizeAxis(axis, Rank);
        int i = index < 0 ? index + _shape[a] : index;
        if (i < 0 || i >= _shape[a])
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"Index {index} is out of range for axis {a} of size {_shape[a]} in a tensor of shape {ShapeText(Shape)}.");
        return Graph.Record(ViewOfStorage(Offset + i * _strides[a], ShapeEdits.Remove(_shape, a), ShapeEdits.Remove(_strides, a)), GradientRules.Slice, this, saved: (Func<MtlTensor<T>, MtlTensor<T>>)(t => t.Select(a, i)));
    }

    /// <summary>The view with the axes in reverse order (for a matrix, its transpose; a vector or scalar is returned as a view of itself).</summary>
    public MtlTensor<T> Transpose()
    {
        Span<int> axes = Rank <= 16 ? stackalloc int[Rank] : new int[Rank];
        for (int d = 0; d < Rank; d++) axes[d] = Rank - 1 - d;
        return Permute(ShapeCache.Intern(axes)); // interned: a layer transposes its weight every step
    }

    /// <summary>The view with axes <paramref name="axis0"/> and <paramref name="axis1"/> swapped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When an axis is out of range.</exception>
    public MtlTensor<T> Transpose(int axis0, int axis1)
    {
        int a = NormalizeAxis(axis0, Rank), b = NormalizeAxis(axis1, Rank);
        var axes = new int[Rank];
        for (int d = 0; d < Rank; d++) axes[d] = d;
        (axes[a], axes[b]) = (axes[b], axes[a]);
        return Permute(axes);
    }

    /// <summary>The view whose axis d is axis <paramref name="axes"/>[d] of this tensor (NumPy's <c>transpose(axes)</c>).</summary>
    /// <exception cref="ArgumentException">When <paramref name="axes"/> is not a permutation of 0 .. rank−1 (negative axes allowed).</exception>
    public MtlTensor<T> Permute(params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Length != Rank)
            throw new ArgumentException($"Permute got {axes.Length} axes ({ShapeText(axes)}) for a tensor of shape {ShapeText(Shape)}; give each of its {Rank} axes once.");
        Span<bool> seen = Rank <= 16 ? stackalloc bool[Rank] : new bool[Rank];
        Span<int> shape = Rank <= 16 ? stackalloc int[Rank] : new int[Rank];
        Span<int> strides = Rank <= 16 ? stackalloc int[Rank] : new int[Rank];
        for (int d = 0; d < Rank; d++)
        {
            int a = axes[d] < 0 ? axes[d] + Rank : axes[d];
            if (a < 0 || a >= Rank || seen[a])
                throw new ArgumentException($"Axes {ShapeText(axes)} are not a permutation of the {Rank} axes of a tensor of shape {ShapeText(Shape)}.");
            seen[a] = true;
            shape[d] = _shape[a];
            strides[d] = _strides[a];
        }
        return Graph.Record(ViewOfStorage(Offset, shape, strides), GradientRules.Permute, this, axes: axes);
    }

    /// <summary>The tensor with a new shape holding the same elements in row-major order. One dimension may
    /// be −1 and is then inferred. Returns a view when the strides allow one — always for contiguous data, and
    /// for many strided views (see <see cref="View(int[])"/>) — and otherwise a contiguous copy; use
    /// <see cref="View(int[])"/> to require a view.</summary>
    /// <exception cref="ArgumentException">When the shape does not hold <see cref="Length"/> elements or has more than one −1.</exception>
    public MtlTensor<T> Reshape(params int[] shape)
    {
        int[] target = InferReshapeTarget(shape);
        int[]? strides = StridesForView(target);
        var result = strides is not null ? ViewOfStorage(Offset, target, strides)
            : GpuTensorOps.OnDevice(this) ? new MtlTensor<T>(GpuTensorOps.Clone(this).Storage, target)
            : new MtlTensor<T>(new CpuStorage<T>(ToArray()), target);
        return Graph.Record(result, GradientRules.Reshape, this);
    }

    /// <summary>Like <see cref="Reshape(int[])"/>, but always a view: a group of axes may be split or merged only
    /// when those axes are laid out as one run in storage (stride of each = size × stride of the next). This
    /// holds for contiguous tensors; a transposed matrix, for example, cannot be flattened as a view.</summary>
    /// <exception cref="ArgumentException">When the shape does not fit, or no view with that shape exists (call <c>Contiguous()</c> or <c>Reshape</c>).</exception>
    public MtlTensor<T> View(params int[] shape)
    {
        int[] target = InferReshapeTarget(shape);
        int[] strides = StridesForView(target) ?? throw new ArgumentException(
            $"A tensor of shape {ShapeText(Shape)} with strides {ShapeText(Strides)} cannot be viewed as shape {ShapeText(target)} without a copy; call Reshape (which copies) or Contiguous() first.");
        return Graph.Record(ViewOfStorage(Offset, target, strides), GradientRules.Reshape, this);
    }

    /// <summary>The elements as a 1-d tensor of <see cref="Length"/> elements (a view when possible, else a copy; see <see cref="Reshape(int[])"/>).</summary>
    public MtlTensor<T> Flatten() => Reshape(Length);

    /// <summary>A view broadcast to <paramref name="shape"/> with NumPy's rules: dimensions are matched from the
    /// right, new leading dimensions may be added, and a size-1 dimension may be stretched to any size (its
    /// stride becomes 0, so every index reads the same element). Writing into a broadcast view writes that shared element.</summary>
    /// <exception cref="ArgumentException">When a dimension is neither equal to the target nor 1, or the target has fewer dimensions.</exception>
    public MtlTensor<T> BroadcastTo(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        CheckedLength(shape);
        if (shape.Length < Rank)
            throw new ArgumentException($"Cannot broadcast a tensor of shape {ShapeText(Shape)} to shape {ShapeText(shape)}, which has fewer dimensions.");
        var strides = new int[shape.Length];
        int lead = shape.Length - Rank;
        for (int d = 0; d < Rank; d++)
        {
            int from = _shape[d], to = shape[lead + d];
            if (from == to) strides[lead + d] = _strides[d];
            else if (from == 1) strides[lead + d] = 0;
            else throw new ArgumentException(
                $"Cannot broadcast a tensor of shape {ShapeText(Shape)} to shape {ShapeText(shape)}: dimension {d} has size {from}, which is neither {to} nor 1.");
        }
        return Graph.Record(ViewOfStorage(Offset, shape, strides), GradientRules.BroadcastTo, this);
    }

    /// <summary>PyTorch's name for <see cref="BroadcastTo(int[])"/>; a −1 in <paramref name="shape"/> keeps that (matched) dimension's size.</summary>
    /// <exception cref="ArgumentException">As for <see cref="BroadcastTo(int[])"/>, or when −1 is given for a new leading dimension.</exception>
    public MtlTensor<T> Expand(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var target = (int[])shape.Clone();
        int lead = target.Length - Rank;
        for (int d = 0; d < target.Length; d++)
        {
            if (target[d] != -1) continue;
            if (d < lead)
                throw new ArgumentException($"Expand to {ShapeText(shape)}: −1 is not allowed for a new leading dimension of a tensor of shape {ShapeText(Shape)}.");
            target[d] = _shape[d - lead];
        }
        return BroadcastTo(target);
    }

    /// <summary>A view with every size-1 dimension removed.</summary>
    public MtlTensor<T> Squeeze()
    {
        var shape = new List<int>(Rank);
        var strides = new List<int>(Rank);
        for (int d = 0; d < Rank; d++)
        {
            if (_shape[d] == 1) continue;
            shape.Add(_shape[d]);
            strides.Add(_strides[d]);
        }
        return Graph.Record(ViewOfStorage(Offset, shape.ToArray(), strides.ToArray()), GradientRules.Reshape, this);
    }

    /// <summary>A view with dimension <paramref name="axis"/> removed; it must have size 1.</summary>
    /// <exception cref="ArgumentException">When that dimension's size is not 1.</exception>
    public MtlTensor<T> Squeeze(int axis)
    {
        int a = NormalizeAxis(axis, Rank);
        if (_shape[a] != 1)
            throw new ArgumentException($"Cannot squeeze axis {a} of a tensor of shape {ShapeText(Shape)}: its size is {_shape[a]}, not 1.");
        return Graph.Record(ViewOfStorage(Offset, ShapeEdits.Remove(_shape, a), ShapeEdits.Remove(_strides, a)), GradientRules.Reshape, this);
    }

    /// <summary>A view with a new size-1 dimension at position <paramref name="axis"/> of the result
    /// (in [−rank−1, rank]; −1 appends).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the axis is out of range.</exception>
    public MtlTensor<T> Unsqueeze(int axis)
    {
        int a = NormalizeAxis(axis, Rank + 1);
        // The new axis's stride is irrelevant to addressing; use the one a contiguous layout would have.
        int stride = a < Rank ? _shape[a] * _strides[a] : 1;
        return Graph.Record(ViewOfStorage(Offset, ShapeEdits.Insert(_shape, a, 1), ShapeEdits.Insert(_strides, a, stride)), GradientRules.Reshape, this);
    }

    /// <summary>A view with <paramref name="axis"/> reversed (NumPy's <c>flip</c>, a negative stride).</summary>
    public MtlTensor<T> Flip(int axis) => Slice(axis, SliceRange.Reverse);

    /// <summary>Resolves one −1 and checks that <paramref name="shape"/> holds <see cref="Length"/> elements.</summary>
    private int[] InferReshapeTarget(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Span<int> target = shape.Length <= 16 ? stackalloc int[shape.Length] : new int[shape.Length];
        shape.CopyTo(target);
        int unknown = -1;
        long known = 1;
        for (int d = 0; d < target.Length; d++)
        {
            if (target[d] == -1)
            {
                if (unknown >= 0)
                    throw new ArgumentException($"Shape {ShapeText(shape)} has more than one −1; at most one dimension can be inferred.");
                unknown = d;
            }
            else if (target[d] < 0)
                throw new ArgumentException($"Shape {ShapeText(shape)} has a negative dimension.");
            else known *= target[d];
        }
        if (unknown >= 0)
        {
            if (known == 0 || Length % known != 0)
                throw new ArgumentException($"Cannot reshape a tensor of shape {ShapeText(Shape)} ({Length} elements) to {ShapeText(shape)}: the −1 cannot be inferred.");
            target[unknown] = (int)(Length / known);
        }
        else if (known != Length)
            throw new ArgumentException($"Cannot reshape a tensor of shape {ShapeText(Shape)} ({Length} elements) to {ShapeText(shape)} ({known} elements).");
        return ShapeCache.Intern(target); // shared, read only
    }

    /// <summary>
    /// Strides that address this tensor's elements in row-major order under <paramref name="target"/>, or
    /// null when none exist. PyTorch's <c>computeStride</c>: walk the old dimensions from the right, grouping
    /// them into "chunks" that are one run in storage (stride_{d-1} = size_d · stride_d); each chunk must be
    /// covered exactly by a group of new dimensions, which get strides inside that run.
    /// </summary>
    private int[]? StridesForView(int[] target)
    {
        if (Length == 0 || Rank == 0) return ShapeCache.ContiguousStrides(target);
        Span<int> strides = target.Length <= 16 ? stackalloc int[target.Length] : new int[target.Length];
        int viewD = target.Length - 1;
        long chunkBase = _strides[Rank - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = Rank - 1; d >= 0; d--)
        {
            tensorNumel *= _shape[d];
            bool chunkEnds = d == 0 || (_shape[d - 1] != 1 && _strides[d - 1] != tensorNumel * chunkBase);
            if (!chunkEnds) continue;
            while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] == 1))
            {
                strides[viewD] = (int)(viewNumel * chunkBase);
                viewNumel *= target[viewD];
                viewD--;
            }
            if (viewNumel != tensorNumel) return null;
            if (d > 0)
            {
                chunkBase = _strides[d - 1];
                tensorNumel = 1;
                viewNumel = 1;
            }
        }
        return viewD == -1 ? ShapeCache.Intern(strides) : null; // shared, read only
    }
}

file static class ShapeEdits
{
    internal static int[] Remove(int[] values, int at)
    {
        var result = new int[values.Length - 1];
        Array.Copy(values, 0, result, 0, at);
        Array.Copy(values, at + 1, result, at, values.Length - at - 1);
        return result;
    }

    internal static int[] Insert(int[] values, int at, int value)
    {
        var result = new int[values.Length + 1];
        Array.Copy(values, 0, result, 0, at);
        result[at] = value;
        Array.Copy(values, at, result, at + 1, values.Length - at);
        return result;
    }
}
