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
    public static MtlTensor<T> Uninitialized<T>(int[] shape) where T : unmanaged, INumber<T> =>
        new(TensorArena.RentStorage<T>(MtlTensor<T>.CheckedLength(shape)), shape); // reused inside a TensorArena step (stamped with it)

    /// <summary>A 0-d tensor holding <paramref name="value"/>; it broadcasts against any shape.</summary>
    public static MtlTensor<T> Scalar<T>(T value) where T : unmanaged, INumber<T> =>
        new(new CpuStorage<T>([value]), ReadOnlySpan<int>.Empty);

    /// <summary>The tensor as the kernels see it, read as an array of <paramref name="target"/> shape.</summary>
    public static StridedArray<T> View<T>(MtlTensor<T> x, ReadOnlySpan<int> target) where T : unmanaged, INumber<T> =>
        x.Shape.SequenceEqual(target) ? View(x) : new(x.CpuStorage.Data, x.Offset, Broadcast.StridesTo(x.Shape, x.Strides, target));

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
        int[] shape = x.Shape.ToArray();
        var result = Uninitialized<T>(shape);
        StridedDriver.Unary(shape, View(x), View(result), op, parallelism ?? TensorParallelism.Current);
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
        int[] shape = BroadcastShapes(operation, x.Shape, y.Shape);
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

    private static int[] BroadcastShapes(string operation, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        try
        {
            return Broadcast.Shapes(a, b);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{operation}: {e.Message}", e);
        }
    }

    /// <summary>The distinct, sorted, non-negative axes named by <paramref name="axes"/> (all axes when null).</summary>
    public static int[] ResolveAxes(int[]? axes, int rank, ReadOnlySpan<int> shape, string operation)
    {
        if (axes is null) return Enumerable.Range(0, rank).ToArray();
        var resolved = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (axis < 0 || axis >= rank)
                throw new ArgumentOutOfRangeException(nameof(axes), axes[i],
                    $"{operation}: axis {axes[i]} is out of range for a tensor of shape {MtlTensor<int>.ShapeText(shape)} (rank {rank}); use an axis in [{-rank}, {rank}).");
            resolved[i] = axis;
        }
        Array.Sort(resolved);
        for (int i = 1; i < resolved.Length; i++)
            if (resolved[i] == resolved[i - 1])
                throw new ArgumentException($"{operation}: axis {resolved[i]} is named twice in ({string.Join(", ", axes)}); name each axis once.", nameof(axes));
        return resolved;
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
        int[] shape = OutputShape(x.Shape, resolved, keepDims);
        long runLength = 1;
        foreach (int axis in resolved) runLength *= x.Shape[axis];
        if (needsElements && runLength == 0 && MtlTensor<T>.CheckedLength(shape) > 0)
            throw new ArgumentException(
                $"{operation} of a tensor of shape {MtlTensor<T>.ShapeText(x.Shape)} over axes ({string.Join(", ", resolved)}) reduces zero elements, " +
                $"and {operation} has no identity. Reduce over non-empty axes, or check how the tensor was built.");
        if (GpuTensorOps.OnDevice(x)) return GpuTensorOps.Reduce<T, TResult, TReducer>(x, resolved, shape, operation);
        var result = Uninitialized<TResult>(shape);
        TResult[] output = result.CpuStorage.Data;
        AxisReduction.Reduce(x.Shape, View(x), resolved, output, reducer, parallelism ?? TensorParallelism.Current);
        return result;
    }

    /// <summary>The shape left after reducing <paramref name="axes"/> (sorted, distinct) of <paramref name="shape"/>.</summary>
    public static int[] OutputShape(ReadOnlySpan<int> shape, int[] axes, bool keepDims)
    {
        var result = new List<int>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (Array.BinarySearch(axes, d) < 0) result.Add(shape[d]);
            else if (keepDims) result.Add(1);
        }
        return result.ToArray();
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
