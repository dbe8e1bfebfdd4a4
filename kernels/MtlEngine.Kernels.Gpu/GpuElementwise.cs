using ILGPU;
using ILGPU.Runtime;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// The element-wise driver on the GPU: one thread per output element, the operation passed as a generic
/// struct. The operator structs are the CPU's own (<see cref="IUnarySpanOperator{T}"/>,
/// <see cref="IBinarySpanOperator{T}"/>, e.g. <see cref="AddOperator{T}"/>, <see cref="ExpOperator{T}"/>):
/// kernels call only their scalar <c>Invoke</c>, which ILGPU compiles for the device. Operators written
/// against the vector interfaces (<see cref="IUnaryOperator{T}"/>, e.g. <see cref="ReluOperator{T}"/>) are
/// passed wrapped in <see cref="VectorizedUnary{T, TOp}"/>. An operator whose scalar form can throw cannot
/// run on the device (ILGPU compiles no <c>throw</c>): <see cref="ClampOperator{T}"/> (T.Clamp checks min ≤ max)
/// is one; such an operation needs a device twin.
/// <para>Strided forms read any view (slices, transposes, stride-0 broadcast axes) and write a contiguous
/// output: the linear output index i is split into coordinates by the shape (last axis fastest), and each
/// input's element is offset + Σ coordinate·stride.</para>
/// <para>All launches go on the accelerator's default stream, so they run in the order they were issued;
/// call <see cref="GpuContext.Synchronize"/> before reading results on the host.</para>
/// </summary>
public static class GpuElementwise
{
    /// <summary>d[i] = op(x[i]) over two contiguous views of equal length (d may be x).</summary>
    /// <exception cref="ArgumentException">When the lengths differ.</exception>
    public static void Unary<T, TOp>(GpuContext gpu, ArrayView<T> x, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IUnarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (x.Length != d.Length)
            throw new ArgumentException($"Element-wise input has {x.Length} elements but the output has {d.Length}; they must be equal.");
        if (d.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, TOp>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, TOp>)UnaryKernel<T, TOp>, a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, TOp>(UnaryKernel<T, TOp>));
        kernel((int)d.Length, x, d, op);
    }

    /// <summary>d[i] = op(x[i], y[i]) over contiguous views of equal length.</summary>
    /// <exception cref="ArgumentException">When the lengths differ.</exception>
    public static void Binary<T, TOp>(GpuContext gpu, ArrayView<T> x, ArrayView<T> y, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (x.Length != d.Length || y.Length != d.Length)
            throw new ArgumentException($"Element-wise inputs have {x.Length} and {y.Length} elements but the output has {d.Length}; they must be equal (use the strided form to broadcast).");
        if (d.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, TOp>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, TOp>)BinaryKernel<T, TOp>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, TOp>(BinaryKernel<T, TOp>));
        kernel((int)d.Length, x, y, d, op);
    }

    /// <summary>
    /// d = op(x) where x is any strided view (offset and strides in elements, stride 0 broadcasts) of
    /// <paramref name="shape"/> and d is contiguous. With <see cref="CopyOperator{T}"/> this is the
    /// strided-to-contiguous copy.
    /// </summary>
    /// <exception cref="ArgumentException">When the shape and strides differ in rank or d has the wrong length.</exception>
    public static void Unary<T, TOp>(GpuContext gpu, ArrayView<T> x, int xOffset, ReadOnlySpan<int> xStrides,
        ArrayView<T> d, ReadOnlySpan<int> shape, TOp op)
        where T : unmanaged where TOp : struct, IUnarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long length = CheckLayout(shape, d.Length, xStrides);
        if (length == 0) return;
        using var layout = UploadLayout(gpu, shape, xStrides, []);
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, int, ArrayView<int>, ArrayView<T>, TOp>>(
            (Action<Index1D, ArrayView<T>, int, ArrayView<int>, ArrayView<T>, TOp>)StridedUnaryKernel<T, TOp>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, int, ArrayView<int>, ArrayView<T>, TOp>(StridedUnaryKernel<T, TOp>));
        kernel((int)length, x, xOffset, layout.View, d, op);
    }

    /// <summary>
    /// d = op(x, y) where x and y are strided views of the output's <paramref name="shape"/> (a broadcast
    /// input has stride 0 on the axes it is repeated along; see <see cref="BroadcastStrides"/>) and d is contiguous.
    /// </summary>
    /// <exception cref="ArgumentException">When the ranks disagree or d has the wrong length.</exception>
    public static void Binary<T, TOp>(GpuContext gpu, ArrayView<T> x, int xOffset, ReadOnlySpan<int> xStrides,
        ArrayView<T> y, int yOffset, ReadOnlySpan<int> yStrides, ArrayView<T> d, ReadOnlySpan<int> shape, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long length = CheckLayout(shape, d.Length, xStrides);
        CheckLayout(shape, d.Length, yStrides);
        if (length == 0) return;
        using var layout = UploadLayout(gpu, shape, xStrides, yStrides);
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, int, ArrayView<T>, int, ArrayView<int>, ArrayView<T>, TOp>>(
            (Action<Index1D, ArrayView<T>, int, ArrayView<T>, int, ArrayView<int>, ArrayView<T>, TOp>)StridedBinaryKernel<T, TOp>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, int, ArrayView<T>, int, ArrayView<int>, ArrayView<T>, TOp>(StridedBinaryKernel<T, TOp>));
        kernel((int)length, x, xOffset, y, yOffset, layout.View, d, op);
    }

    /// <summary>
    /// NumPy broadcasting of a contiguous input of <paramref name="inputShape"/> to <paramref name="outputShape"/>:
    /// the input's axes align with the output's last axes; an axis of size 1 (or a missing leading axis) gets stride 0.
    /// </summary>
    /// <exception cref="ArgumentException">When the input cannot be broadcast to the output shape.</exception>
    public static int[] BroadcastStrides(ReadOnlySpan<int> inputShape, ReadOnlySpan<int> outputShape)
    {
        if (inputShape.Length > outputShape.Length)
            throw new ArgumentException($"Cannot broadcast shape ({string.Join(", ", inputShape.ToArray())}) to the lower-rank shape ({string.Join(", ", outputShape.ToArray())}).");
        var strides = new int[outputShape.Length];
        int stride = 1, shift = outputShape.Length - inputShape.Length;
        for (int axis = inputShape.Length - 1; axis >= 0; axis--)
        {
            int size = inputShape[axis], target = outputShape[axis + shift];
            if (size != target && size != 1)
                throw new ArgumentException($"Cannot broadcast shape ({string.Join(", ", inputShape.ToArray())}) to ({string.Join(", ", outputShape.ToArray())}): axis {axis} has size {size}, expected {target} or 1.");
            strides[axis + shift] = size == 1 ? 0 : stride;
            stride *= size;
        }
        return strides;
    }

    private static long CheckLayout(ReadOnlySpan<int> shape, long outputLength, ReadOnlySpan<int> strides)
    {
        if (shape.Length != strides.Length)
            throw new ArgumentException($"A shape of rank {shape.Length} was given {strides.Length} strides.");
        long length = 1;
        foreach (int size in shape)
        {
            if (size < 0) throw new ArgumentException("A shape has a negative dimension.");
            length *= size;
        }
        if (length != outputLength)
            throw new ArgumentException($"The shape holds {length} elements but the output view has {outputLength}.");
        return length;
    }

    /// <summary>[shape..., x strides..., y strides...] in one small device buffer (rank = shape length).</summary>
    private static GpuBuffer<int> UploadLayout(GpuContext gpu, ReadOnlySpan<int> shape, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> yStrides)
    {
        int rank = shape.Length;
        var host = new int[Math.Max(1, rank * 3)];
        shape.CopyTo(host);
        xStrides.CopyTo(host.AsSpan(rank));
        yStrides.CopyTo(host.AsSpan(2 * rank));
        var buffer = gpu.Pool.Rent<int>(host.Length);
        buffer.CopyFromHost(host);
        return buffer;
    }

    // ---- kernels -------------------------------------------------------------------------------------------

    internal static void UnaryKernel<T, TOp>(Index1D i, ArrayView<T> x, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IUnarySpanOperator<T> => d[i] = op.Invoke(x[i]);

    internal static void BinaryKernel<T, TOp>(Index1D i, ArrayView<T> x, ArrayView<T> y, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T> => d[i] = op.Invoke(x[i], y[i]);

    internal static void StridedUnaryKernel<T, TOp>(Index1D i, ArrayView<T> x, int xOffset, ArrayView<int> layout, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IUnarySpanOperator<T>
    {
        int rank = layout.IntLength / 3;
        long rest = i, xi = xOffset;
        for (int axis = rank - 1; axis >= 0; axis--)
        {
            int size = layout[axis];
            long coordinate = rest % size;
            rest /= size;
            xi += coordinate * layout[rank + axis];
        }
        d[i] = op.Invoke(x[xi]);
    }

    internal static void StridedBinaryKernel<T, TOp>(Index1D i, ArrayView<T> x, int xOffset, ArrayView<T> y, int yOffset,
        ArrayView<int> layout, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T>
    {
        int rank = layout.IntLength / 3;
        long rest = i, xi = xOffset, yi = yOffset;
        for (int axis = rank - 1; axis >= 0; axis--)
        {
            int size = layout[axis];
            long coordinate = rest % size;
            rest /= size;
            xi += coordinate * layout[rank + axis];
            yi += coordinate * layout[2 * rank + axis];
        }
        d[i] = op.Invoke(x[xi], y[yi]);
    }
}
