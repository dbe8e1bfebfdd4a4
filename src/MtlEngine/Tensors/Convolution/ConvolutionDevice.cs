using System.Numerics;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Kernels.Gpu;

namespace MtlEngine.Tensors;

/// <summary>
/// The GPU twin of <see cref="Conv2dDriver"/> and of the pooling loops, for contiguous tensors on one device: im2col of
/// the whole batch into a pooled device scratch, then the tiled GPU GEMM per sample and group (the same three products as
/// on the CPU: Y = W·cols, dcols = Wᵀ·dY then col2im, dW = Σₙ dY·colsᵀ), and the pools as one-thread-per-element
/// kernels (<see cref="GpuConvolution"/>). Results are device tensors adopted by the current step or memory scope.
/// </summary>
internal static class ConvolutionDevice
{
    /// <summary>y = conv2d(x, w) + b on the device.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var device = SameDevice("Conv2d", x, w, b);
        var gpu = GpuDevices.Get(device);
        var geometry = s.Geometry(x.Shape, w.Shape);
        int batch = x.Shape[0], outChannels = w.Shape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane;
        var y = new GpuStorage<T>(device, (long)batch * outChannels * plane);
        T beta = T.Zero;
        if (b is not null)
        {
            GpuConvolution.FillBias(gpu, GpuTensorOps.ContiguousView(b), y.View, outChannels, plane);
            beta = T.One;
        }
        using var columns = Columns(gpu, x, geometry, batch);
        var cols = columns.View;
        var weight = GpuTensorOps.ContiguousView(w);
        for (int n = 0; n < batch; n++)
            for (int g = 0; g < groups; g++)
                GpuGemm.Multiply(gpu, T.One, new GpuMatrix<T>(weight, g * og * k, og, k, k, 1),
                    new GpuMatrix<T>(cols, (n * geometry.PatchLength + g * k) * plane, k, plane, plane, 1), beta,
                    new GpuMatrix<T>(y.View, (n * outChannels + g * og) * plane, og, plane, plane, 1));
        return new MtlTensor<T>(y, [batch, outChannels, geometry.OutHeight, geometry.OutWidth]);
    }

    /// <summary>∂L/∂x on the device: dcols = Wᵀ·dY per sample and group, then col2im.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var device = SameDevice("Conv2d backward", dy, w);
        var gpu = GpuDevices.Get(device);
        var geometry = s.Geometry(inputShape, w.Shape);
        int batch = inputShape[0], outChannels = w.Shape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane;
        var dx = new GpuStorage<T>(device, (long)batch * geometry.Channels * geometry.InputPlane);
        using var lease = geometry.IsPointwise ? null : gpu.Pool.Rent<T>((long)batch * geometry.PatchLength * plane);
        var target = lease?.View ?? dx.View; // pointwise: dx is the column matrix itself
        var weight = GpuTensorOps.ContiguousView(w);
        var upstream = GpuTensorOps.ContiguousView(dy);
        for (int n = 0; n < batch; n++)
            for (int g = 0; g < groups; g++)
                GpuGemm.Multiply(gpu, T.One, new GpuMatrix<T>(weight, g * og * k, k, og, 1, k),
                    new GpuMatrix<T>(upstream, (n * outChannels + g * og) * plane, og, plane, plane, 1), T.Zero,
                    new GpuMatrix<T>(target, (n * geometry.PatchLength + g * k) * plane, k, plane, plane, 1));
        if (lease is not null) GpuConvolution.Col2Im(gpu, lease.View, dx.View, batch, geometry);
        return new MtlTensor<T>(dx, inputShape);
    }

    /// <summary>∂L/∂W on the device: Σₙ dY[n]·cols(x[n])ᵀ per group, the sum in sample order.</summary>
    public static MtlTensor<T> WeightGradient<T>(MtlTensor<T> dy, MtlTensor<T> x, ReadOnlySpan<int> weightShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var device = SameDevice("Conv2d backward", dy, x);
        var gpu = GpuDevices.Get(device);
        var geometry = s.Geometry(x.Shape, weightShape);
        int batch = x.Shape[0], outChannels = weightShape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane;
        var dw = new GpuStorage<T>(device, (long)outChannels * k);
        using var columns = Columns(gpu, x, geometry, batch);
        var cols = columns.View;
        var upstream = GpuTensorOps.ContiguousView(dy);
        for (int n = 0; n < batch; n++)
            for (int g = 0; g < groups; g++)
                GpuGemm.Multiply(gpu, T.One, new GpuMatrix<T>(upstream, (n * outChannels + g * og) * plane, og, plane, plane, 1),
                    new GpuMatrix<T>(cols, (n * geometry.PatchLength + g * k) * plane, plane, k, 1, plane), n == 0 ? T.Zero : T.One,
                    new GpuMatrix<T>(dw.View, g * og * k, og, k, k, 1));
        return new MtlTensor<T>(dw, weightShape);
    }

    /// <summary>∂L/∂b[o] = Σₙ Σₚ dY[n, o, p] on the device.</summary>
    public static MtlTensor<T> BiasGradient<T>(MtlTensor<T> dy) where T : unmanaged, INumber<T>
    {
        int batch = dy.Shape[0], outChannels = dy.Shape[1], plane = dy.Shape[2] * dy.Shape[3];
        var db = new GpuStorage<T>(dy.Device, outChannels);
        GpuConvolution.BiasGradient(GpuDevices.Get(dy.Device), GpuTensorOps.ContiguousView(dy), db.View, batch, outChannels, plane);
        return new MtlTensor<T>(db, [outChannels]);
    }

    /// <summary>Max pooling on the device; the argmax (device ints, one per output) is returned for the backward pass.</summary>
    public static (MtlTensor<T> Output, GpuStorage<int> Argmax) MaxPool<T>(MtlTensor<T> x, int[] outputShape, int planes, ConvolutionGeometry geometry)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gpu = GpuDevices.Get(x.Device);
        long outputs = (long)planes * geometry.OutputPlane;
        var y = new GpuStorage<T>(x.Device, outputs);
        var argmax = new GpuStorage<int>(x.Device, Math.Max(1, outputs));
        GpuConvolution.MaxPoolForward(gpu, GpuTensorOps.ContiguousView(x), y.View, argmax.View, planes, geometry);
        return (new MtlTensor<T>(y, outputShape), argmax);
    }

    /// <summary>Average pooling on the device.</summary>
    public static MtlTensor<T> AvgPool<T>(MtlTensor<T> x, int[] outputShape, int planes, ConvolutionGeometry geometry, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        var y = new GpuStorage<T>(x.Device, (long)planes * geometry.OutputPlane);
        GpuConvolution.AvgPoolForward(GpuDevices.Get(x.Device), GpuTensorOps.ContiguousView(x), y.View, planes, geometry, countIncludePad);
        return new MtlTensor<T>(y, outputShape);
    }

    /// <summary>Adaptive average pooling on the device.</summary>
    public static MtlTensor<T> AdaptiveAvgPool<T>(MtlTensor<T> x, int[] outputShape, int planes, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        var y = new GpuStorage<T>(x.Device, (long)planes * outHeight * outWidth);
        GpuConvolution.AdaptiveAvgPoolForward(GpuDevices.Get(x.Device), GpuTensorOps.ContiguousView(x), y.View, planes, height, width, outHeight, outWidth);
        return new MtlTensor<T>(y, outputShape);
    }

    /// <summary>The input gradient of a pooling on the device, from the contiguous upstream gradient <paramref name="dy"/>.</summary>
    public static MtlTensor<T> PoolGradient<T>(MtlTensor<T> dy, int[] inputShape, PoolSaved saved, PoolKind kind) where T : unmanaged, INumber<T>
    {
        var gpu = GpuDevices.Get(dy.Device);
        var geometry = saved.Geometry;
        var dx = new GpuStorage<T>(dy.Device, (long)saved.Planes * geometry.InputPlane);
        var upstream = GpuTensorOps.ContiguousView(dy);
        switch (kind)
        {
            case PoolKind.Max:
                GpuConvolution.MaxPoolBackward(gpu, upstream, saved.DeviceArgmax!.View, dx.View, saved.Planes, geometry);
                break;
            case PoolKind.Average:
                GpuConvolution.AvgPoolBackward(gpu, upstream, dx.View, saved.Planes, geometry, saved.CountIncludePad);
                break;
            default:
                GpuConvolution.AdaptiveAvgPoolBackward(gpu, upstream, dx.View, saved.Planes, geometry.Height, geometry.Width, saved.OutHeight, saved.OutWidth);
                break;
        }
        return new MtlTensor<T>(dx, inputShape);
    }

    /// <summary>The im2col matrices of the batch in a pooled device buffer (for a pointwise kernel: a copy of the images).</summary>
    private static GpuBuffer<T> Columns<T>(GpuContext gpu, MtlTensor<T> x, ConvolutionGeometry geometry, int batch) where T : unmanaged, INumber<T>
    {
        var columns = gpu.Pool.Rent<T>(Math.Max(1, (long)batch * geometry.PatchLength * geometry.OutputPlane));
        GpuConvolution.Im2Col(gpu, GpuTensorOps.ContiguousView(x), columns.View, batch, geometry);
        return columns;
    }

    private static Device SameDevice<T>(string operation, MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T>? c = null) where T : unmanaged, INumber<T>
    {
        foreach (var t in new[] { b, c })
            if (t is not null && t.Device != a.Device)
                throw new InvalidOperationException($"{operation}: every operand must live on {a.Device}, but one is on {t.Device}; move the module and its input together with To(device).");
        return a.Device;
    }
}

/// <summary>Which pooling a device gradient undoes.</summary>
internal enum PoolKind
{
    /// <summary>MaxPool2d.</summary>
    Max,
    /// <summary>AvgPool2d.</summary>
    Average,
    /// <summary>AdaptiveAvgPool2d.</summary>
    Adaptive,
}
