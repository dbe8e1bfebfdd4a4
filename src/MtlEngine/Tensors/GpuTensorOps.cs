using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Kernels.Optimizers;
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

        bool xHost = x.Device.Kind == DeviceKind.Cpu, yHost = y.Device.Kind == DeviceKind.Cpu;
        if (xHost != yHost && (yHost ? x : y).IsContiguous && (yHost ? x : y).Length == MtlTensor<T>.CheckedLength(shape))
        {
            // One operand is a host scalar and the other fills the output: the scalar goes as a kernel argument (no upload).
            var tensor = yHost ? x : y;
            T scalar = (yHost ? y : x).CpuStorage.Data[(yHost ? y : x).Offset];
            var output = new GpuStorage<T>(device, tensor.Length);
            try
            {
                if (tensor.Length > 0)
                    GpuElementwise.BinaryScalar(gpu, ((GpuStorage<T>)tensor.Storage).View.SubView(tensor.Offset, tensor.Length), scalar, scalarOnLeft: xHost, output.View, op);
            }
            catch (GpuKernelCompilationException e)
            {
                output.Dispose();
                throw NoDeviceForm(operation, device, e);
            }
            return new MtlTensor<T>(output, shape);
        }
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

    /// <summary>d = op(a, b, c) element-wise with broadcasting on the operands' device (<c>Where</c>).</summary>
    public static MtlTensor<T> Zip3<T, TOp>(MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T> c, TOp op, string operation)
        where T : unmanaged, INumber<T>
        where TOp : struct, ITernarySpanOperator<T>
    {
        var device = OperandDevice(operation, a, b, c);
        var gpu = GpuDevices.Get(device);
        int[] shape;
        try { shape = Broadcast.Shapes(a.Shape.ToArray(), b.Shape.ToArray(), c.Shape.ToArray()); }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{operation}: the operands of shapes {MtlTensor<T>.ShapeText(a.Shape)}, {MtlTensor<T>.ShapeText(b.Shape)} and {MtlTensor<T>.ShapeText(c.Shape)} do not broadcast together. {e.Message}", e);
        }
        using var aScalar = UploadScalar(gpu, a);
        using var bScalar = UploadScalar(gpu, b);
        using var cScalar = UploadScalar(gpu, c);
        var result = new GpuStorage<T>(device, MtlTensor<T>.CheckedLength(shape));
        try
        {
            GpuElementwise.Ternary(gpu, Operand(a, aScalar, shape), Operand(b, bScalar, shape), Operand(c, cScalar, shape), result.View, shape, op);
        }
        catch (GpuKernelCompilationException e)
        {
            result.Dispose();
            throw NoDeviceForm(operation, device, e);
        }
        return new MtlTensor<T>(result, shape);
    }

    /// <summary>
    /// A reduction of a device tensor over <paramref name="axes"/> (sorted, distinct; any set). Adjacent axes are
    /// read in place as (outer, n, inner) with the reduced block in the middle; otherwise (or for a strided view)
    /// the tensor is first gathered on the device with the kept axes first and the reduced ones last, so that
    /// (outer, n, inner) = (Π kept, Π reduced, 1). Sum, mean, max and min run <see cref="GpuReduce.Axis{T, TReduction}"/>;
    /// arg-max and arg-min <see cref="GpuReduce.ArgAxis{T}"/>; variance, log-sum-exp and the p-norms are composed
    /// from those and element-wise kernels (two passes each). Float and double only.
    /// </summary>
    /// <exception cref="NotSupportedException">For another reduction or element type.</exception>
    public static MtlTensor<TResult> Reduce<T, TResult, TReducer>(MtlTensor<T> x, int[] axes, int[] outputShape, string operation)
        where T : unmanaged, INumber<T>
        where TResult : unmanaged, INumber<TResult>
    {
        if (typeof(T) == typeof(float))
            return (MtlTensor<TResult>)(object)ReduceFloating<float, TReducer>((MtlTensor<float>)(object)x, axes, outputShape, operation, typeof(TResult));
        if (typeof(T) == typeof(double))
            return (MtlTensor<TResult>)(object)ReduceFloating<double, TReducer>((MtlTensor<double>)(object)x, axes, outputShape, operation, typeof(TResult));
        throw NotOnDevice(operation, typeof(T));
    }

    private static NotSupportedException NotOnDevice(string operation, Type element) =>
        new($"{operation} of {element.Name} tensors runs on the cpu only so far; move the tensor with To(Device.Cpu) first.");

    private static object ReduceFloating<T, TReducer>(MtlTensor<T> x, int[] axes, int[] outputShape, string operation, Type resultType)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var kind = typeof(TReducer);
        if (kind == typeof(ArgMaxReducer<T>) || kind == typeof(ArgMinReducer<T>))
            return ArgReduce(x, axes, outputShape, max: kind == typeof(ArgMaxReducer<T>));
        if (resultType != typeof(T)) throw NotOnDevice(operation, typeof(T));
        if (kind == typeof(SumReducer<T>)) return AxisReduce(x, axes, outputShape, default(SumReduction<T>));
        if (kind == typeof(MeanReducer<T>)) return AxisReduce(x, axes, outputShape, default(MeanReduction<T>));
        if (kind == typeof(MaxReducer<T>)) return AxisReduce(x, axes, outputShape, default(MaxReduction<T>));
        if (kind == typeof(MinReducer<T>)) return AxisReduce(x, axes, outputShape, default(MinReduction<T>));
        if (kind == typeof(LogSumExpReducer<T>)) return LogSumExp(x, axes, outputShape);
        // Variance and Norm carry a parameter (ddof, p) and come through Variance / Norm below.
        throw NotOnDevice(operation, typeof(T));
    }

    /// <summary>The input as (outer, n, inner) over contiguous device memory: a view of x, or a gathered copy (returned for disposal).</summary>
    private static (ArrayView<T> Input, int Outer, int N, int Inner, GpuBuffer<T>? Gathered) Blocked<T>(MtlTensor<T> x, int[] axes, GpuContext gpu)
        where T : unmanaged, INumber<T>
    {
        bool adjacent = true;
        for (int i = 1; i < axes.Length; i++) adjacent &= axes[i] == axes[i - 1] + 1;
        var source = (GpuStorage<T>)x.Storage;
        int outer = 1, n = 1, inner = 1;
        if (adjacent && x.IsContiguous)
        {
            for (int d = 0; d < x.Rank; d++)
            {
                if (axes.Length > 0 && d < axes[0]) outer *= x.Shape[d];
                else if (axes.Length > 0 && d <= axes[^1]) n *= x.Shape[d];
                else inner *= x.Shape[d];
            }
            return (x.Length == 0 ? source.View.SubView(0, 0) : source.View.SubView(x.Offset, x.Length), outer, n, inner, null);
        }
        // Gather with the kept axes first (in order) and the reduced axes last: (Π kept, Π reduced, 1).
        var order = new List<int>(x.Rank);
        for (int d = 0; d < x.Rank; d++) if (Array.BinarySearch(axes, d) < 0) { order.Add(d); outer *= x.Shape[d]; }
        foreach (int axis in axes) { order.Add(axis); n *= x.Shape[axis]; }
        int[] shape = order.Select(d => x.Shape[d]).ToArray(), strides = order.Select(d => x.Strides[d]).ToArray();
        var gathered = gpu.Pool.Rent<T>(x.Length);
        GpuElementwise.Unary(gpu, source.View, x.Offset, strides, gathered.View, shape, new VectorizedUnary<T, CopyOperator<T>>());
        return (gathered.View, outer, n, 1, gathered);
    }

    private static MtlTensor<T> AxisReduce<T, TReduction>(MtlTensor<T> x, int[] axes, int[] outputShape, TReduction reduction)
        where T : unmanaged, IFloatingPointIeee754<T> where TReduction : struct, IGpuReduction<T>
    {
        var gpu = GpuDevices.Get(x.Device);
        var (input, outer, n, inner, gathered) = Blocked(x, axes, gpu);
        using (gathered)
        {
            var result = new GpuStorage<T>(x.Device, (long)outer * inner);
            GpuReduce.Axis(gpu, input, outer, n, inner, result.View, reduction);
            return new MtlTensor<T>(result, outputShape);
        }
    }

    private static MtlTensor<int> ArgReduce<T>(MtlTensor<T> x, int[] axes, int[] outputShape, bool max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gpu = GpuDevices.Get(x.Device);
        var (input, outer, n, inner, gathered) = Blocked(x, axes, gpu);
        using (gathered)
        {
            var result = new GpuStorage<int>(x.Device, (long)outer * inner);
            GpuReduce.ArgAxis(gpu, input, outer, n, inner, result.View, max);
            return new MtlTensor<int>(result, outputShape);
        }
    }

    /// <summary>Σ (x − μ)² / (N − ddof) over sorted <paramref name="axes"/> by two passes (the mean, then the centred squares); NaN where N − ddof ≤ 0.</summary>
    public static MtlTensor<T> Variance<T>(MtlTensor<T> x, int[] axes, int[] outputShape, int ddof) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long count = 1;
        foreach (int axis in axes) count *= x.Shape[axis];
        T factor = count - ddof > 0 ? T.One / T.CreateChecked(count - ddof) : T.NaN;
        int[] kept = TensorOps.OutputShape(x.Shape, axes, keepDims: true);
        var mean = AxisReduce(x, axes, kept, default(MeanReduction<T>));
        var centered = Zip(x, mean, default(SubtractOperator<T>), "Variance");
        var squares = Map(centered, new VectorizedUnary<T, SquareOperator<T>>());
        var sum = AxisReduce(squares, axes, outputShape, default(SumReduction<T>));
        var result = Zip(sum, MtlTensor.Scalar(factor), default(MultiplyOperator<T>), "Variance");
        Release(mean, centered, squares, sum);
        return result;
    }

    /// <summary>m + log Σ exp(x − m) with m the maximum (−∞ over zero elements).</summary>
    private static MtlTensor<T> LogSumExp<T>(MtlTensor<T> x, int[] axes, int[] outputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] kept = TensorOps.OutputShape(x.Shape, axes, keepDims: true);
        var max = AxisReduce(x, axes, kept, default(MaxReduction<T>));
        var shifted = Zip(x, max, default(SubtractOperator<T>), "LogSumExp");
        var exp = Map(shifted, default(ExpOperator<T>));
        var sum = AxisReduce(exp, axes, kept, default(SumReduction<T>));
        var log = Map(sum, default(LogOperator<T>));
        var result = Zip(log, max, default(AddOperator<T>), "LogSumExp");
        Release(max, shifted, exp, sum, log);
        return new MtlTensor<T>(result.Storage, outputShape);
    }

    /// <summary>(Σ |x|ᵖ)^(1/p): Σ |x| for p = 1, √Σ x² for p = 2 (not rescaled: squares of |x| &gt; ~1e19 overflow in float), max |x| for p = ∞.</summary>
    public static MtlTensor<T> Norm<T>(MtlTensor<T> x, int[] axes, int[] outputShape, T p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var abs = Map(x, default(AbsOperator<T>));
        if (T.IsPositiveInfinity(p))
        {
            long count = 1;
            foreach (int axis in axes) count *= x.Shape[axis];
            var largest = count == 0 ? Full(x.Device, outputShape, T.Zero) : AxisReduce(abs, axes, outputShape, default(MaxReduction<T>));
            Release(abs);
            return largest;
        }
        if (p == T.One)
        {
            var sum = AxisReduce(abs, axes, outputShape, default(SumReduction<T>));
            Release(abs);
            return sum;
        }
        var powers = Map(abs, new PowScalarOperator<T>(p));
        var total = AxisReduce(powers, axes, outputShape, default(SumReduction<T>));
        var result = Map(total, new PowScalarOperator<T>(T.One / p));
        Release(abs, powers, total);
        return result;
    }

    private static void Release<T>(params MtlTensor<T>[] tensors) where T : unmanaged, INumber<T>
    {
        foreach (var t in tensors) t.ReleaseDeviceMemory();
    }

    /// <summary>
    /// The matrix product of device tensors by the tiled GPU GEMM with NumPy matmul semantics: (..., m, k) @ (..., k, n)
    /// → (broadcast(...), m, n), with 1-D operands promoted as in NumPy ((k,) is (1, k) on the left and (k, 1) on the
    /// right, and the promoted axis is dropped). Transposed, sliced and broadcast views are passed to the kernel as
    /// strides, never copied; a batch runs one GEMM launch per matrix.
    /// </summary>
    /// <exception cref="ArgumentException">When the inner dimensions differ or the batch dimensions do not broadcast.</exception>
    public static MtlTensor<T> Matmul<T>(MtlTensor<T> a, MtlTensor<T> b) where T : unmanaged, INumber<T>
    {
        var device = OperandDevice("Matmul", a, b);
        if (a.Device != device || b.Device != device)
            throw new InvalidOperationException($"Matmul: both operands must live on {device}; move the other with To(Device.Parse(\"{device}\")) first.");
        if (a.Rank <= 2 && b.Rank <= 2) return Matmul2D(a, b, device);

        var layout = MatmulLayout.Of(a, b);
        int m = layout.M, k = layout.K, n = layout.N;
        var gpu = GpuDevices.Get(device);
        var result = new GpuStorage<T>(device, (long)layout.Batch * m * n);
        var aView = ((GpuStorage<T>)a.Storage).View;
        var bView = ((GpuStorage<T>)b.Storage).View;
        for (int t = 0; t < layout.Batch; t++)
            GpuGemm.Multiply(gpu, T.One,
                new GpuMatrix<T>(aView, layout.OffsetsA[t], m, k, layout.RowStrideA, layout.ColumnStrideA),
                new GpuMatrix<T>(bView, layout.OffsetsB[t], k, n, layout.RowStrideB, layout.ColumnStrideB), T.Zero,
                new GpuMatrix<T>(result.View, t * m * n, m, n, n, 1));
        return new MtlTensor<T>(result, layout.ResultShape);
    }

    private static MtlTensor<T> Matmul2D<T>(MtlTensor<T> a, MtlTensor<T> b, Device device) where T : unmanaged, INumber<T>
    {
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

    // ---- creation, copies and in-place updates of device tensors ----

    /// <summary>The elements of a contiguous device tensor as one view.</summary>
    /// <exception cref="InvalidOperationException">When the tensor is not contiguous.</exception>
    public static ArrayView<T> ContiguousView<T>(MtlTensor<T> x) where T : unmanaged, INumber<T>
    {
        if (!x.IsContiguous)
            throw new InvalidOperationException($"A device tensor of shape {MtlTensor<T>.ShapeText(x.Shape)} with strides {MtlTensor<T>.ShapeText(x.Strides)} is not contiguous; call Contiguous() first.");
        var view = ((GpuStorage<T>)x.Storage).View;
        return x.Length == 0 ? view.SubView(0, 0) : view.SubView(x.Offset, x.Length);
    }

    /// <summary>One SGD step of a contiguous device parameter p from its gradient g (and momentum buffer), in place.</summary>
    public static void SgdStep<T>(MtlTensor<T> p, MtlTensor<T> g, MtlTensor<T>? momentum, SgdStep<T> step) where T : unmanaged, IFloatingPointIeee754<T> =>
        GpuOptimizers.Sgd(GpuDevices.Get(p.Device), ContiguousView(p), ContiguousView(g), momentum is null ? ContiguousView(p) : ContiguousView(momentum), step);

    /// <summary>One Adam/AdamW step of a contiguous device parameter p from its gradient g and moments m, v, in place.</summary>
    public static void AdamStep<T>(MtlTensor<T> p, MtlTensor<T> g, MtlTensor<T> m, MtlTensor<T> v, AdamStep<T> step) where T : unmanaged, IFloatingPointIeee754<T> =>
        GpuOptimizers.Adam(GpuDevices.Get(p.Device), ContiguousView(p), ContiguousView(g), ContiguousView(m), ContiguousView(v), step);

    /// <summary>One RMSprop step of a contiguous device parameter p from its gradient g, square average v, momentum buffer and gradient average (null when unused), in place.</summary>
    public static void RmsPropStep<T>(MtlTensor<T> p, MtlTensor<T> g, MtlTensor<T> v, MtlTensor<T>? momentum, MtlTensor<T>? gradientAverage, RmsPropStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GpuOptimizers.RmsProp(GpuDevices.Get(p.Device), ContiguousView(p), ContiguousView(g), ContiguousView(v),
            ContiguousView(momentum ?? p), ContiguousView(gradientAverage ?? p), step);

    /// <summary>
    /// A new contiguous tensor on <paramref name="device"/> with every element <paramref name="value"/>. With
    /// <paramref name="scoped"/> false the storage is not adopted by a <see cref="DeviceMemoryScope"/> or arena step
    /// (parameters, gradients and optimizer state outlive them).
    /// </summary>
    public static MtlTensor<T> Full<T>(Device device, int[] shape, T value, bool scoped = true) where T : unmanaged, INumber<T>
    {
        var storage = new GpuStorage<T>(device, MtlTensor<T>.CheckedLength(shape), scoped);
        GpuElementwise.Fill(storage.Context, storage.View, value);
        return new MtlTensor<T>(storage, shape);
    }

    /// <summary>A contiguous copy of a device tensor on its device (<paramref name="scoped"/> as for <see cref="Full{T}"/>).</summary>
    public static MtlTensor<T> Clone<T>(MtlTensor<T> x, bool scoped = true) where T : unmanaged, INumber<T>
    {
        var source = (GpuStorage<T>)x.Storage;
        var result = new GpuStorage<T>(x.Device, x.Length, scoped);
        int[] shape = x.Shape.ToArray();
        if (x.Length > 0)
            GpuElementwise.Unary(source.Context, source.View, x.Offset, x.Strides, result.View, shape, new VectorizedUnary<T, CopyOperator<T>>());
        return new MtlTensor<T>(result, shape);
    }

    /// <summary>
    /// destination = op(destination, source) in place, element by element over the destination's shape (the source
    /// broadcast to it). The destination lives on a device; the source on the same device or is a 0-d CPU scalar.
    /// </summary>
    public static void Update<T, TOp>(MtlTensor<T> destination, MtlTensor<T> source, TOp op, string operation)
        where T : unmanaged, INumber<T> where TOp : struct, IBinarySpanOperator<T>
    {
        var device = destination.Device;
        if (source.Device != device && !(source.Device.Kind == DeviceKind.Cpu && source.Rank == 0))
            throw new InvalidOperationException(
                $"{operation}: the tensors live on different devices ({destination.Device} and {source.Device}); move one with To(Device.Parse(\"{destination.Device}\")) first (copies between devices are always explicit).");
        var gpu = GpuDevices.Get(device);
        int[] shape = destination.Shape.ToArray();
        if (source.Device.Kind == DeviceKind.Cpu && destination.IsContiguous)
        {
            // A host scalar into a contiguous destination (a scaling, a fill): the scalar goes as a kernel argument.
            var view = ContiguousView(destination);
            if (view.Length > 0) GpuElementwise.BinaryScalar(gpu, view, source.CpuStorage.Data[source.Offset], scalarOnLeft: false, view, op);
            return;
        }
        using var scalar = UploadScalar(gpu, source);
        var target = new GpuOperand<T>(((GpuStorage<T>)destination.Storage).View, destination.Offset, destination.Strides.ToArray());
        GpuElementwise.Update(gpu, target, Operand(source, scalar, shape), shape, op);
    }

    /// <summary>destination = value in place (any view of a device tensor).</summary>
    public static void Fill<T>(MtlTensor<T> destination, T value) where T : unmanaged, INumber<T>
    {
        var storage = (GpuStorage<T>)destination.Storage;
        if (destination.Length == 0) return;
        if (destination.IsContiguous) GpuElementwise.Fill(storage.Context, storage.View.SubView(destination.Offset, destination.Length), value);
        else Update(destination, MtlTensor.Scalar(value), default(SecondOperator<T>), "Fill");
    }

    /// <summary>One element of a device tensor, read back to the host (waits for the queued kernels).</summary>
    public static T Read<T>(MtlTensor<T> x, int storageIndex) where T : unmanaged, INumber<T>
    {
        var storage = (GpuStorage<T>)x.Storage;
        storage.Context.Synchronize();
        Span<T> value = stackalloc T[1];
        storage.Buffer.CopyToHost(storageIndex, value);
        return value[0];
    }

    /// <summary>Writes one element of a device tensor from the host.</summary>
    public static void Write<T>(MtlTensor<T> x, int storageIndex, T value) where T : unmanaged, INumber<T>
    {
        var storage = (GpuStorage<T>)x.Storage;
        storage.View.SubView(storageIndex, 1).CopyFromCPU([value]);
    }

    /// <summary>
    /// The fused softmax cross-entropy of device logits (rows, classes) against host labels (negative = missing):
    /// the per-row losses and ∂loss/∂logits in one kernel, with loss = Σ losses / (number of labelled rows), 0 when
    /// none is labelled. Returns the 0-d loss and the gradient of the loss (already divided by the count).
    /// The labels are uploaded (rows ints): the one host→device copy, as the labels come from the host.
    /// </summary>
    public static (MtlTensor<T> Loss, MtlTensor<T> Gradient) SoftmaxCrossEntropy<T>(MtlTensor<T> logits, ReadOnlySpan<int> labels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = logits.Shape[0], classes = logits.Shape[1];
        int counted = 0;
        foreach (int label in labels) if (label >= 0) counted++;
        var gpu = GpuDevices.Get(logits.Device);
        var input = logits.IsContiguous ? logits : Clone(logits);
        using var labelBuffer = gpu.Pool.Rent<int>(rows);
        labelBuffer.CopyFromHost(labels);
        var losses = new GpuStorage<T>(logits.Device, rows);
        var gradient = new GpuStorage<T>(logits.Device, (long)rows * classes);
        T scale = counted == 0 ? T.Zero : T.One / T.CreateChecked(counted);
        var inputView = rows * classes == 0 ? ((GpuStorage<T>)input.Storage).View.SubView(0, 0) : ((GpuStorage<T>)input.Storage).View.SubView(input.Offset, input.Length);
        GpuSoftmax.CrossEntropy(gpu, inputView, labelBuffer.View, rows, classes, losses.View, gradient.View, scale);
        var lossRows = new MtlTensor<T>(losses, [rows]);
        var sum = AxisReduce(lossRows, [0], [], default(SumReduction<T>));
        var loss = Zip(sum, MtlTensor.Scalar(scale), default(MultiplyOperator<T>), "CrossEntropy");
        Release(lossRows, sum);
        if (!ReferenceEquals(input, logits)) input.ReleaseDeviceMemory();
        return (loss, new MtlTensor<T>(gradient, [rows, classes]));
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
    private static Device OperandDevice<T>(MtlTensor<T> x, MtlTensor<T> y, string operation) where T : unmanaged, INumber<T> =>
        OperandDevice(operation, x, y);

    /// <summary>The device the operands live on: a 0-d CPU tensor (a scalar) goes with any device; anything else must agree.</summary>
    private static Device OperandDevice<T>(string operation, params MtlTensor<T>[] operands) where T : unmanaged, INumber<T>
    {
        Device? found = null;
        foreach (var x in operands)
        {
            if (x.Device.Kind == DeviceKind.Cpu && x.Rank == 0) continue;
            if (found is null) found = x.Device;
            else if (found.Value != x.Device)
                throw new InvalidOperationException(
                    $"{operation}: the operands live on different devices ({found.Value} and {x.Device}); move one with To(Device.Parse(\"{found.Value}\")) first (copies between devices are always explicit).");
        }
        return found ?? operands[0].Device;
    }

    /// <summary>The kernel operand of x broadcast to <paramref name="shape"/> (its uploaded copy when x is a 0-d CPU scalar).</summary>
    private static GpuOperand<T> Operand<T>(MtlTensor<T> x, GpuLease<T>? scalar, int[] shape) where T : unmanaged, INumber<T> =>
        scalar is { } lease
            ? new GpuOperand<T>(lease.View, 0, new int[shape.Length])
            : new GpuOperand<T>(((GpuStorage<T>)x.Storage).View, x.Offset, Broadcast.StridesTo(x.Shape, x.Strides, shape));

    /// <summary>A one-element device copy of a 0-d CPU operand (cached per value by the context); null when the operand already lives on the device.</summary>
    private static GpuLease<T>? UploadScalar<T>(GpuContext gpu, MtlTensor<T> x) where T : unmanaged, INumber<T> =>
        x.Device.Kind != DeviceKind.Cpu ? null : gpu.Constant(x.CpuStorage.Data[x.Offset]);

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
