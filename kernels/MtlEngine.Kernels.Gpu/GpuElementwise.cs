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
    /// d[i] = op(x[i], s) (or op(s, x[i]) when <paramref name="scalarOnLeft"/>) over contiguous views of equal length: a
    /// scalar operand (the 2 in x·2) passed as a kernel argument, so that nothing is copied to the device for it.
    /// </summary>
    /// <exception cref="ArgumentException">When the lengths differ.</exception>
    public static void BinaryScalar<T, TOp>(GpuContext gpu, ArrayView<T> x, T scalar, bool scalarOnLeft, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (x.Length != d.Length)
            throw new ArgumentException($"Element-wise input has {x.Length} elements but the output has {d.Length}; they must be equal.");
        if (d.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, T, int, ArrayView<T>, TOp>>(
            (Action<Index1D, ArrayView<T>, T, int, ArrayView<T>, TOp>)ScalarKernel<T, TOp>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, T, int, ArrayView<T>, TOp>(ScalarKernel<T, TOp>));
        kernel((int)d.Length, x, scalar, scalarOnLeft ? 1 : 0, d, op);
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
    /// d = op(a, b, c) where a, b and c are strided views of the output's <paramref name="shape"/> (stride 0 on a
    /// broadcast axis) and d is contiguous; with <see cref="SelectOperator{T}"/> this is NumPy's <c>where</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When the ranks disagree or d has the wrong length.</exception>
    public static void Ternary<T, TOp>(GpuContext gpu, GpuOperand<T> a, GpuOperand<T> b, GpuOperand<T> c,
        ArrayView<T> d, ReadOnlySpan<int> shape, TOp op)
        where T : unmanaged where TOp : struct, ITernarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long length = CheckLayout(shape, d.Length, a.Strides);
        CheckLayout(shape, d.Length, b.Strides);
        CheckLayout(shape, d.Length, c.Strides);
        if (length == 0) return;
        using var layout = UploadLayout(gpu, shape, a.Strides, b.Strides, c.Strides, [a.Offset, b.Offset, c.Offset]);
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<T>, TOp>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<T>, TOp>)StridedTernaryKernel<T, TOp>,
            l => l.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<T>, TOp>(StridedTernaryKernel<T, TOp>));
        kernel((int)length, a.Data, b.Data, c.Data, layout.View, d, op);
    }

    /// <summary>
    /// In place: d = op(d, x) over a strided destination d (any view that does not write one element twice) and a
    /// strided source x of the same <paramref name="shape"/> (stride 0 broadcasts). With
    /// <see cref="SecondOperator{T}"/> this is the strided-to-strided copy (and, with a one-element x of strides 0,
    /// a fill); with <see cref="AddOperator{T}"/> the accumulation of a gradient into its buffer.
    /// </summary>
    /// <exception cref="ArgumentException">When the shape and strides differ in rank.</exception>
    public static void Update<T, TOp>(GpuContext gpu, GpuOperand<T> d, GpuOperand<T> x, ReadOnlySpan<int> shape, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long length = 1;
        foreach (int size in shape) length *= size;
        CheckLayout(shape, length, d.Strides);
        CheckLayout(shape, length, x.Strides);
        if (length == 0) return;
        using var layout = UploadLayout(gpu, shape, d.Strides, x.Strides, [], [d.Offset, x.Offset], parts: 3);
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, TOp>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, TOp>)StridedUpdateKernel<T, TOp>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, TOp>(StridedUpdateKernel<T, TOp>));
        kernel((int)length, d.Data, x.Data, layout.View, op);
    }

    /// <summary>d[i] = <paramref name="value"/> for every element of the contiguous view d.</summary>
    public static void Fill<T>(GpuContext gpu, ArrayView<T> d, T value) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (d.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, T>>(
            (Action<Index1D, ArrayView<T>, T>)FillKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, T>(FillKernel<T>));
        kernel((int)d.Length, d, value);
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

    /// <summary>[shape..., x strides..., y strides...] in one small device buffer (rank = shape length; cached per context, see <see cref="GpuContext.Layout"/>).</summary>
    private static GpuLease<int> UploadLayout(GpuContext gpu, ReadOnlySpan<int> shape, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> yStrides) =>
        UploadLayout(gpu, shape, xStrides, yStrides, [], [], 3);

    /// <summary>
    /// [shape..., strides of each operand..., offsets...] in one small device buffer: <paramref name="parts"/>·rank ints
    /// (shape and up to three strides), then one offset per operand (the kernels read them from the end).
    /// </summary>
    private static GpuLease<int> UploadLayout(GpuContext gpu, ReadOnlySpan<int> shape, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> yStrides,
        ReadOnlySpan<int> zStrides, ReadOnlySpan<int> offsets, int parts = 4)
    {
        int rank = shape.Length;
        var host = new int[Math.Max(1, rank * parts + offsets.Length)];
        shape.CopyTo(host);
        xStrides.CopyTo(host.AsSpan(rank));
        yStrides.CopyTo(host.AsSpan(2 * rank));
        zStrides.CopyTo(host.AsSpan(3 * rank));
        offsets.CopyTo(host.AsSpan(parts * rank));
        return gpu.Layout(host);
    }

    // ---- kernels -------------------------------------------------------------------------------------------

    internal static void UnaryKernel<T, TOp>(Index1D i, ArrayView<T> x, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IUnarySpanOperator<T> => d[i] = op.Invoke(x[i]);

    internal static void ScalarKernel<T, TOp>(Index1D i, ArrayView<T> x, T s, int scalarOnLeft, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T> => d[i] = scalarOnLeft != 0 ? op.Invoke(s, x[i]) : op.Invoke(x[i], s);

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

    internal static void StridedTernaryKernel<T, TOp>(Index1D i, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c,
        ArrayView<int> layout, ArrayView<T> d, TOp op)
        where T : unmanaged where TOp : struct, ITernarySpanOperator<T>
    {
        int rank = (layout.IntLength - 3) / 4;
        long rest = i, ai = layout[4 * rank], bi = layout[4 * rank + 1], ci = layout[4 * rank + 2];
        for (int axis = rank - 1; axis >= 0; axis--)
        {
            int size = layout[axis];
            long coordinate = rest % size;
            rest /= size;
            ai += coordinate * layout[rank + axis];
            bi += coordinate * layout[2 * rank + axis];
            ci += coordinate * layout[3 * rank + axis];
        }
        d[i] = op.Invoke(a[ai], b[bi], c[ci]);
    }

    internal static void StridedUpdateKernel<T, TOp>(Index1D i, ArrayView<T> d, ArrayView<T> x, ArrayView<int> layout, TOp op)
        where T : unmanaged where TOp : struct, IBinarySpanOperator<T>
    {
        int rank = (layout.IntLength - 2) / 3;
        long rest = i, di = layout[3 * rank], xi = layout[3 * rank + 1];
        for (int axis = rank - 1; axis >= 0; axis--)
        {
            int size = layout[axis];
            long coordinate = rest % size;
            rest /= size;
            di += coordinate * layout[rank + axis];
            xi += coordinate * layout[2 * rank + axis];
        }
        d[di] = op.Invoke(d[di], x[xi]);
    }

    internal static void FillKernel<T>(Index1D i, ArrayView<T> d, T value) where T : unmanaged => d[i] = value;
}

/// <summary>
/// One operand of a strided GPU kernel: a device buffer, the index of its element at all-zero coordinates, and its
/// strides in elements (0 broadcasts; negative strides walk backwards from <see cref="Offset"/>).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Data">The buffer.</param>
/// <param name="Offset">The element at all-zero coordinates.</param>
/// <param name="Strides">The step per axis, in elements (0 broadcasts).</param>
public readonly record struct GpuOperand<T>(ArrayView<T> Data, int Offset, int[] Strides) where T : unmanaged;

/// <summary>f(x, y) = y: with <see cref="GpuElementwise.Update{T, TOp}"/>, a strided copy of y into x's place.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SecondOperator<T> : IBinarySpanOperator<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => y;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => y.CopyTo(d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => d.Fill(y);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => y.CopyTo(d);
}

/// <summary>
/// clamp(x, lo, hi) = min(max(x, lo), hi) for the device: written with comparisons (NaN passes through), since the
/// CPU's <see cref="ClampOperator{T}"/> calls T.Clamp, which throws on lo &gt; hi and so cannot be compiled by ILGPU.
/// The caller checks lo ≤ hi on the host.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="min">lo.</param>
/// <param name="max">hi.</param>
public readonly struct DeviceClampOperator<T>(T min, T max) : IUnarySpanOperator<T> where T : System.Numerics.INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => x < min ? min : x > max ? max : x;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d)
    {
        for (int i = 0; i < x.Length; i++) d[i] = Invoke(x[i]);
    }
}
