using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Tensors;

/// <summary>
/// The plumbing between tensors and the span kernels: every element-wise and reduction method of
/// <see cref="MtlTensor{T}"/> validates its arguments and makes one call here. Results are new contiguous
/// tensors; inputs may be any strided view on the CPU.
/// </summary>
internal static class TensorOps
{
    /// <summary>A new contiguous tensor whose elements are about to be overwritten.</summary>
    public static MtlTensor<T> Uninitialized<T>(ReadOnlySpan<int> shape) where T : unmanaged, INumber<T> =>
        MtlTensor<T>.Create(TensorArena.RentStorage<T>(MtlTensor<T>.CheckedLength(shape)), shape); // reused inside a TensorArena step (stamped with it)

    /// <summary>A 0-d tensor holding <paramref name="value"/>; it broadcasts against any shape.</summary>
    /// <remarks>Inside a <see cref="TensorArena"/> step its one element comes from the arena, like any result's.</remarks>
    public static MtlTensor<T> Scalar<T>(T value) where T : unmanaged, INumber<T>
    {
        var storage = TensorArena.RentStorage<T>(1);
        storage.Data[0] = value;
        return MtlTensor<T>.Create(storage, ReadOnlySpan<int>.Empty);
    }

    /// <summary>The tensor as the kernels see it, read as an array of <paramref name="target"/> shape.</summary>
    public static StridedArray<T> View<T>(MtlTensor<T> x, ReadOnlySpan<int> target) where T : unmanaged, INumber<T> =>
        x.Shape.SequenceEqual(target) ? View(x) : new(x.CpuStorage.Data, x.Offset, BroadcastStrides(x, target));

    /// <summary><see cref="Broadcast.StridesTo"/> as an interned array (a broadcast operand of every step: a bias, a scalar).</summary>
    private static int[] BroadcastStrides<T>(MtlTensor<T> x, ReadOnlySpan<int> target) where T : unmanaged, INumber<T>
    {
        if (target.Length > 16) return Broadcast.StridesTo(x.Shape, x.Strides, target);
        Span<int> strides = stackalloc int[target.Length];
        Broadcast.StridesInto(x.Shape, x.Strides, target, strides);
        return ShapeCache.Intern(strides);
    }

    /// <summary>The tensor as the kernels see it, with its own shape (its strides array itself: the kernels only read it).</summary>
    public static StridedArray<T> View<T>(MtlTensor<T> x) where T : unmanaged, INumber<T> =>
        new(x.CpuStorage.Data, x.Offset, x.StridesArray);

    /// <summary>y = op(x) element-wise.</summary>
    public static MtlTensor<T> Map<T, TOp>(MtlTensor<T> x, TOp op, Parallelism? parallelism)
        where T : unmanaged, INumber<T>
        where TOp : struct, IUnarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (GpuTensorOps.OnDevice(x)) return GpuTensorOps.Map(x, op);
        var result = Uninitialized<T>(x.Shape);
        StridedDriver.Unary(x.Shape, View(x), View(result), op, parallelism ?? TensorParallelism.Current);
        return result;
    }

    /// <summary>z = op(x, y) element-wise with broadcasting.</summary>
    public static MtlTensor<T> Zip<T, TOp>(MtlTensor<T> x, MtlTensor<T> y, TOp op, Parallelism? parallelism, string operation)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (GpuTensorOps.OnDevice(x) || GpuTensorOps.OnDevice(y)) return GpuTensorOps.Zip(x, y, op, operation);
        int rank = Math.Max(x.Rank, y.Rank);
        Span<int> shape = rank <= 16 ? stackalloc int[rank] : new int[rank];
        BroadcastShapes(operation, x.Shape, y.Shape, shape);
        var result = Uninitialized<T>(shape);
        StridedDriver.Binary(shape, View(x, shape), View(y, shape), View(result), op, parallelism ?? TensorParallelism.Current);
        return result;
    }

    /// <summary>d = op(a, b, c) element-wise with broadcasting.</summary>
    public static MtlTensor<T> Zip3<T, TOp>(MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T> c, TOp op, Parallelism? parallelism, string operation)
        where T : unmanaged, INumber<T>
        where TOp : struct, ITernarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (GpuTensorOps.OnDevice(a) || GpuTensorOps.OnDevice(b) || GpuTensorOps.OnDevice(c)) return GpuTensorOps.Zip3(a, b, c, op, operation);
        int[] shape;
        try
        {
            shape = Broadcast.Shapes(a.Shape.ToArray(), b.Shape.ToArray(), c.Shape.ToArray());
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{operation}: the operands of shapes {MtlTensor<T>.ShapeText(a.Shape)}, {MtlTensor<T>.ShapeText(b.Shape)} and {MtlTensor<T>.ShapeText(c.Shape)} do not broadcast together. {e.Message}", e);
        }
        var result = Uninitialized<T>(shape);
        StridedDriver.Ternary(shape, View(a, shape), View(b, shape), View(c, shape), View(result), op, parallelism ?? TensorParallelism.Current);
        return result;
    }

    private static void BroadcastShapes(string operation, ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> result)
    {
        try
        {
            Broadcast.ShapesInto(a, b, result);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{operation}: {e.Message}", e);
        }
    }

    /// <summary>0, 1, ..., rank − 1 (interned: a full reduction per step need not allocate it).</summary>
    private static int[] AllAxes(int rank)
    {
        if (rank > 16) return Enumerable.Range(0, rank).ToArray();
        Span<int> axes = stackalloc int[rank];
        for (int d = 0; d < rank; d++) axes[d] = d;
        return ShapeCache.Intern(axes);
    }

    /// <summary>The distinct, sorted, non-negative axes named by <paramref name="axes"/> (all axes when null).</summary>
    public static int[] ResolveAxes(int[]? axes, int rank, ReadOnlySpan<int> shape, string operation)
    {
        if (axes is null) return AllAxes(rank);
        Span<int> resolved = axes.Length <= 16 ? stackalloc int[axes.Length] : new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (axis < 0 || axis >= rank)
                throw new ArgumentOutOfRangeException(nameof(axes), axes[i],
                    $"{operation}: axis {axes[i]} is out of range for a tensor of shape {MtlTensor<int>.ShapeText(shape)} (rank {rank}); use an axis in [{-rank}, {rank}).");
            resolved[i] = axis;
        }
        resolved.Sort();
        for (int i = 1; i < resolved.Length; i++)
            if (resolved[i] == resolved[i - 1])
                throw new ArgumentException($"{operation}: axis {resolved[i]} is named twice in ({string.Join(", ", axes)}); name each axis once.", nameof(axes));
        return ShapeCache.Intern(resolved); // shared: callers only read it
    }

    /// <summary>
    /// Reduces <paramref name="x"/> over <paramref name="axes"/> (all when null) with <paramref name="reducer"/>.
    /// The result has the kept dimensions, plus size-1 dimensions in place of the reduced ones when
    /// <paramref name="keepDims"/> is set. With <paramref name="needsElements"/>, reducing over zero elements
    /// is an error naming the operation and the shape (NumPy's rule for max, min and arg-reductions).
    /// </summary>
    public static MtlTensor<TResult> Reduce<T, TResult, TReducer>(MtlTensor<T> x, int[]? axes, bool keepDims, TReducer reducer,
        Parallelism? parallelism, string operation, bool needsElements)
        where T : unmanaged, INumber<T>
        where TResult : unmanaged, INumber<TResult>
        where TReducer : struct, ISpanReducer<T, TResult>
    {
        ArgumentNullException.ThrowIfNull(x);
        int rank = x.Rank;
        int[] resolved = ResolveAxes(axes, rank, x.Shape, operation);
        Span<int> shape = rank <= 16 ? stackalloc int[rank] : new int[rank];
        shape = shape[..OutputShapeInto(x.Shape, resolved, keepDims, shape)];
        long runLength = 1;
        foreach (int axis in resolved) runLength *= x.Shape[axis];
        if (needsElements && runLength == 0 && MtlTensor<T>.CheckedLength(shape) > 0)
            throw new ArgumentException(
                $"{operation} of a tensor of shape {MtlTensor<T>.ShapeText(x.Shape)} over axes ({string.Join(", ", resolved)}) reduces zero elements, " +
                $"and {operation} has no identity. Reduce over non-empty axes, or check how the tensor was built.");
        if (GpuTensorOps.OnDevice(x)) return GpuTensorOps.Reduce<T, TResult, TReducer>(x, resolved, shape.ToArray(), operation);
        var result = Uninitialized<TResult>(shape);
        TResult[] output = result.CpuStorage.Data;
        AxisReduction.Reduce(x.Shape, View(x), resolved, output, reducer, parallelism ?? TensorParallelism.Current);
        return result;
    }

    /// <summary>The shape left after reducing <paramref name="axes"/> (sorted, distinct) of <paramref name="shape"/>.</summary>
    public static int[] OutputShape(ReadOnlySpan<int> shape, int[] axes, bool keepDims)
    {
        var result = new int[shape.Length];
        return result[..OutputShapeInto(shape, axes, keepDims, result)];
    }

    /// <summary><see cref="OutputShape"/> written into <paramref name="result"/> (at least as long as the shape); returns its rank.</summary>
    private static int OutputShapeInto(ReadOnlySpan<int> shape, int[] axes, bool keepDims, Span<int> result)
    {
        int rank = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (Array.BinarySearch(axes, d) < 0) result[rank++] = shape[d];
            else if (keepDims) result[rank++] = 1;
        }
        return rank;
    }

    /// <summary>Σ over every element, in the pairwise order of the contiguous kernel, with the tree split over threads.</summary>
    public static T SumAll<T>(MtlTensor<T> x, Parallelism? parallelism) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length == 0) return T.Zero;
        T[] data;
        int start;
        if (x.IsContiguous)
        {
            data = x.CpuStorage.Data;
            start = x.Offset;
        }
        else
        {
            // Gather in row-major order: the same values in the same order, so the same sum.
            var copy = Map(x, new VectorizedUnary<T, CopyOperator<T>>(default), parallelism);
            data = copy.CpuStorage.Data;
            start = 0;
        }
        return ReductionKernels.Sum(new ReadOnlyMemory<T>(data, start, x.Length), parallelism ?? TensorParallelism.Current);
    }
}
