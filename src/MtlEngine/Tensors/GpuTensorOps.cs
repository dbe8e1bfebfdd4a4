using System.Numerics;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Tensors;

/// <summary>
/// The element-wise tensor operations for tensors in device memory: the same operator structs as on the CPU,
/// run by <see cref="GpuElementwise"/>'s strided kernels. Results are new contiguous tensors on the operands'
/// device (release them with <see cref="MtlTensor{T}.ReleaseDeviceMemory"/> to recycle the buffers).
/// <para>Operands must live on one device. The one exception is a 0-d CPU tensor (a scalar operand such as the
/// 2 in <c>x * 2</c>), which is uploaded into a one-element pooled buffer; anything else on another device is
/// an error that says to move it with <c>To(device)</c>: no operation copies tensors between devices silently.</para>
/// </summary>
internal static class GpuTensorOps
{
    /// <summary>True when the operation must run on a GPU device (some operand lives there).</summary>
    public static bool OnDevice<T>(MtlTensor<T> x) where T : unmanaged, INumber<T> => x.Device.Kind != DeviceKind.Cpu;

    /// <summary>y = op(x) element-wise on x's device.</summary>
    public static MtlTensor<T> Map<T, TOp>(MtlTensor<T> x, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IUnarySpanOperator<T>
    {
        string operation = OperatorName(typeof(TOp));
        var source = (GpuStorage<T>)x.Storage;
        int[] shape = x.Shape.ToArray();
        var result = new GpuStorage<T>(x.Device, x.Length);
        try
        {
            if (x.IsContiguous && x.Length > 0)
                GpuElementwise.Unary(source.Context, source.View.SubView(x.Offset, x.Length), result.View, op);
            else
                GpuElementwise.Unary(source.Context, source.View, x.Offset, x.Strides, result.View, shape, op);
        }
        catch (GpuKernelCompilationException e)
        {
            result.Dispose();
            throw NoDeviceForm(operation, x.Device, e);
        }
        return new MtlTensor<T>(result, shape);
    }

    /// <summary>z = op(x, y) element-wise with broadcasting on the operands' device.</summary>
    public static MtlTensor<T> Zip<T, TOp>(MtlTensor<T> x, MtlTensor<T> y, TOp op, string operation)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinarySpanOperator<T>
    {
        var device = OperandDevice(x, y, operation);
        var gpu = GpuDevices.Get(device);
        int[] shape;
        try { shape = Broadcast.Shapes(x.Shape, y.Shape); }
        catch (ArgumentException e) { throw new ArgumentException($"{operation}: {e.Message}", e); }

        using var xScalar = UploadScalar(gpu, x);
        using var yScalar = UploadScalar(gpu, y);
        var xView = xScalar?.View ?? ((GpuStorage<T>)x.Storage).View;
        var yView = yScalar?.View ?? ((GpuStorage<T>)y.Storage).View;
        var result = new GpuStorage<T>(device, MtlTensor<T>.CheckedLength(shape));
        try
        {
            bool sameLayout = xScalar is null && yScalar is null && x.IsContiguous && y.IsContiguous
                && x.Shape.SequenceEqual(shape) && y.Shape.SequenceEqual(shape) && result.Length > 0;
            if (sameLayout) // no broadcasting, no strides: the contiguous kernel, without a layout upload
                GpuElementwise.Binary(gpu, xView.SubView(x.Offset, x.Length), yView.SubView(y.Offset, y.Length), result.View, op);
            else GpuElementwise.Binary(gpu,
                xView, xScalar is null ? x.Offset : 0, Broadcast.StridesTo(x.Shape, x.Strides, shape),
                yView, yScalar is null ? y.Offset : 0, Broadcast.StridesTo(y.Shape, y.Strides, shape),
                result.View, shape, op);
        }
        catch (GpuKernelCompilationException e)
        {
            result.Dispose();
            throw NoDeviceForm(operation, device, e);
        }
        return new MtlTensor<T>(result, shape);
    }

    /// <summary>
    /// Sum, mean, max or min of a device tensor over <paramref name="axes"/> (sorted, distinct, and adjacent:
    /// the tensor is read as (outer, n, inner) with the reduced block in the middle) by <see cref="GpuReduce"/>.
    /// A strided tensor is first gathered into a contiguous device buffer. Float and double only.
    /// </summary>
    /// <exception cref="NotSupportedException">For another reduction, element type, or axes that are not adjacent.</exception>
    public static MtlTensor<TResult> Reduce<T, TResult, TReducer>(MtlTensor<T> x, int[] axes, int[] outputShape, string operation)
        where T : unmanaged, INumber<T>
        where TResult : unmanaged, INumber<TResult>
    {
        for (int i = 1; i < axes.Length; i++)
            if (axes[i] != axes[i - 1] + 1)
                throw new NotSupportedException(
                    $"{operation} over the non-adjacent axes ({string.Join(", ", axes)}) runs on the cpu only so far; on {x.Device} reduce one block of adjacent axes at a time, or move the tensor with To(Device.Cpu).");
        if (typeof(TResult) != typeof(T) || (typeof(T) != typeof(float) && typeof(T) != typeof(double)))
            throw NotOnDevice(operation, typeof(T));
        return typeof(T) == typeof(float)
            ? (MtlTensor<TResult>)(object)ReduceFloating<float, TReducer>((MtlTensor<float>)(object)x, axes, outputShape, operation)
            : (MtlTensor<TResult>)(object)ReduceFloating<double, TReducer>((MtlTensor<double>)(object)x, axes, outputShape, operation);
    }

    private static NotSupportedException NotOnDevice(string operation, Type element) =>
        new($"{operation} of {element.Name} tensors runs on the cpu only so far; move the tensor with To(Device.Cpu) first.");

    private static MtlTensor<T> ReduceFloating<T, TReducer>(MtlTensor<T> x, int[] axes, int[] outputShape, string operation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(TReducer) != typeof(SumReducer<T>) && typeof(TReducer) != typeof(MeanReducer<T>)
            && typeof(TReducer) != typeof(MaxReducer<T>) && typeof(TReducer) != typeof(MinReducer<T>))
            throw NotOnDevice(operation, typeof(T));
        int outer = 1, n = 1, inner = 1;
        for (int d = 0; d < x.Rank; d++)
        {
            if (axes.Length > 0 && d < axes[0]) outer *= x.Shape[d];
            else if (axes.Length > 0 && d <= axes[^1]) n *= x.Shape[d];
            else inner *= x.Shape[d];
        }
        var gpu = GpuDevices.Get(x.Device);
        var source = (GpuStorage<T>)x.Storage;
        var result = new GpuStorage<T>(x.Device, (long)outer * inner);
        GpuBuffer<T>? gathered = null;
        try
        {
            var input = source.View.SubView(x.Offset, x.Length);
            if (!x.IsContiguous)
            {
                gathered = gpu.Pool.Rent<T>(x.Length);
                GpuElementwise.Unary(gpu, source.View, x.Offset, x.Strides, gathered.View, x.Shape, new VectorizedUnary<T, CopyOperator<T>>());
                input = gathered.View;
            }
            if (typeof(TReducer) == typeof(SumReducer<T>)) GpuReduce.Axis(gpu, input, outer, n, inner, result.View, default(SumReduction<T>));
            else if (typeof(TReducer) == typeof(MeanReducer<T>)) GpuReduce.Axis(gpu, input, outer, n, inner, result.View, default(MeanReduction<T>));
            else if (typeof(TReducer) == typeof(MaxReducer<T>)) GpuReduce.Axis(gpu, input, outer, n, inner, result.View, default(MaxReduction<T>));
            else GpuReduce.Axis(gpu, input, outer, n, inner, result.View, default(MinReduction<T>));
        }
        finally
        {
            gathered?.Dispose();
        }
        return new MtlTensor<T>(result, outputShape);
    }

    /// <summary>
    /// The matrix product of device tensors by the tiled GPU GEMM: (m, k) @ (k, n) → (m, n), with 1-D operands
    /// promoted as in NumPy ((k,) is (1, k) on the left and (k, 1) on the right, and the promoted axis is dropped).
    /// Transposed and sliced views are passed to the kernel as strides, never copied.
    /// </summary>
    /// <exception cref="ArgumentException">When the inner dimensions differ.</exception>
    /// <exception cref="NotSupportedException">For batched (rank &gt; 2) operands, which run on the CPU only so far.</exception>
    public static MtlTensor<T> Matmul<T>(MtlTensor<T> a, MtlTensor<T> b) where T : unmanaged, INumber<T>
    {
        var device = OperandDevice(a, b, "Matmul");
        if (a.Rank > 2 || b.Rank > 2)
            throw new NotSupportedException(
                $"Matmul of batched operands {MtlTensor<T>.ShapeText(a.Shape)} @ {MtlTensor<T>.ShapeText(b.Shape)} runs on the cpu only so far; on {device} multiply 2-D slices, or move the operands with To(Device.Cpu).");
        if (a.Device != device || b.Device != device)
            throw new InvalidOperationException($"Matmul: both operands must live on {device}; move the other with To(Device.Parse(\"{device}\")) first.");
        var left = ToMatrix(a, left: true);
        var right = ToMatrix(b, left: false);
        if (left.Columns != right.Rows)
            throw new ArgumentException(
                $"Matmul: the inner dimensions differ: {MtlTensor<T>.ShapeText(a.Shape)} @ {MtlTensor<T>.ShapeText(b.Shape)} contracts {left.Columns} with {right.Rows}; the last dimension of the left operand must equal the second-to-last of the right.");
        var gpu = GpuDevices.Get(device);
        int m = left.Rows, n = right.Columns;
        var result = new GpuStorage<T>(device, (long)m * n);
        GpuGemm.Multiply(gpu, T.One, left, right, T.Zero, GpuMatrix<T>.RowMajor(result.View, m, n));
        int[] shape = (a.Rank, b.Rank) switch
        {
            (1, 1) => [],
            (1, _) => [n],
            (_, 1) => [m],
            _ => [m, n],
        };
        return new MtlTensor<T>(result, shape);
    }

    private static GpuMatrix<T> ToMatrix<T>(MtlTensor<T> x, bool left) where T : unmanaged, INumber<T>
    {
        var view = ((GpuStorage<T>)x.Storage).View;
        if (x.Rank == 1)
            return left ? new GpuMatrix<T>(view, x.Offset, 1, x.Shape[0], 0, x.Strides[0])
                        : new GpuMatrix<T>(view, x.Offset, x.Shape[0], 1, x.Strides[0], 0);
        return new GpuMatrix<T>(view, x.Offset, x.Shape[0], x.Shape[1], x.Strides[0], x.Strides[1]);
    }

    /// <summary>The device both operands live on (a 0-d CPU tensor goes with any device).</summary>
    private static Device OperandDevice<T>(MtlTensor<T> x, MtlTensor<T> y, string operation) where T : unmanaged, INumber<T>
    {
        bool xFollows = x.Device.Kind == DeviceKind.Cpu && x.Rank == 0;
        bool yFollows = y.Device.Kind == DeviceKind.Cpu && y.Rank == 0;
        if (xFollows) return y.Device;
        if (yFollows || x.Device == y.Device) return x.Device;
        throw new InvalidOperationException(
            $"{operation}: the operands live on different devices ({x.Device} and {y.Device}); move one with To(Device.Parse(\"{x.Device}\")) first (copies between devices are always explicit).");
    }

    /// <summary>A one-element device copy of a 0-d CPU operand; null when the operand already lives on the device.</summary>
    private static GpuBuffer<T>? UploadScalar<T>(GpuContext gpu, MtlTensor<T> x) where T : unmanaged, INumber<T>
    {
        if (x.Device.Kind != DeviceKind.Cpu) return null;
        var buffer = gpu.Pool.Rent<T>(1);
        buffer.CopyFromHost([x.CpuStorage.Data[x.Offset]]);
        return buffer;
    }

    /// <summary>"Exp" for ExpOperator&lt;T&gt;, "Relu" for VectorizedUnary&lt;T, ReluOperator&lt;T&gt;&gt;.</summary>
    private static string OperatorName(Type op)
    {
        if (op.IsGenericType && op.Name.StartsWith("Vectorized", StringComparison.Ordinal)) op = op.GetGenericArguments()[^1];
        string name = op.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        return name.EndsWith("Operator", StringComparison.Ordinal) ? name[..^"Operator".Length] : name;
    }

    private static NotSupportedException NoDeviceForm(string operation, Device device, GpuKernelCompilationException inner) =>
        new($"{operation} has no device form yet: its operator cannot be compiled for {device} (kernel {inner.Kernel}). " +
            "Move the tensor to the CPU with To(Device.Cpu) for this operation.", inner);
}
