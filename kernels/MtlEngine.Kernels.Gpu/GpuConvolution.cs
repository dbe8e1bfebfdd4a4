using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// Convolution and pooling on the GPU, one thread per element, with the CPU's window arithmetic
/// (<see cref="ConvolutionGeometry"/>; the CPU twins are <see cref="Im2Col"/> and <see cref="Pooling"/>):
/// <list type="bullet">
/// <item>im2col for a batch of images: <c>columns[n, (c·kh + ki)·kw + kj, oh·Wo + ow] = image[n, c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw]</c>
/// (0 outside), so that a convolution is one GEMM per sample and group (the tiled <see cref="GpuGemm"/>);</item>
/// <item>col2im, its adjoint, written as a gather: each image element sums the column entries that read it, so no two
/// threads write one address (no atomics, and the sum's order is fixed);</item>
/// <item>max, average and adaptive-average pooling over planes (N·C of them), forward one thread per output, backward one
/// thread per input element gathering from the windows that hold it.</item>
/// </list>
/// Launches go on the accelerator's default stream, in order.
/// </summary>
public static class GpuConvolution
{
    /// <summary>columns (batch × C·kh·kw × Ho·Wo) = im2col of each of <paramref name="batch"/> C×H×W images.</summary>
    /// <exception cref="ArgumentException">When a view is shorter than the geometry needs.</exception>
    public static void Im2Col<T>(GpuContext gpu, ArrayView<T> images, ArrayView<T> columns, int batch, ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long needed = (long)batch * g.PatchLength * g.OutputPlane;
        Check(images.Length >= (long)batch * g.Channels * g.InputPlane && columns.Length >= needed, "im2col", g);
        if (needed == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry>)Im2ColKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry>(Im2ColKernel<T>));
        kernel((int)needed, images, columns, g);
    }

    /// <summary>images (batch × C×H×W) = col2im of the columns (batch × C·kh·kw × Ho·Wo): the adjoint of <see cref="Im2Col{T}"/>.</summary>
    /// <exception cref="ArgumentException">When a view is shorter than the geometry needs.</exception>
    public static void Col2Im<T>(GpuContext gpu, ArrayView<T> columns, ArrayView<T> images, int batch, ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long needed = (long)batch * g.Channels * g.InputPlane;
        Check(images.Length >= needed && columns.Length >= (long)batch * g.PatchLength * g.OutputPlane, "col2im", g);
        if (needed == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry>)Col2ImKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry>(Col2ImKernel<T>));
        kernel((int)needed, columns, images, g);
    }

    /// <summary>y[n, o, p] = b[o] for y of shape (batch, channels, plane): the bias broadcast, before a GEMM with β = 1 adds W·cols.</summary>
    public static void FillBias<T>(GpuContext gpu, ArrayView<T> bias, ArrayView<T> y, int channels, int plane) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (y.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int>)FillBiasKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int>(FillBiasKernel<T>));
        kernel((int)y.Length, bias, y, channels, plane);
    }

    /// <summary>db[o] = Σₙ Σₚ dy[n, o, p] for dy of shape (batch, channels, plane), one thread per channel in a fixed order.</summary>
    public static void BiasGradient<T>(GpuContext gpu, ArrayView<T> dy, ArrayView<T> db, int batch, int channels, int plane) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (channels == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>)BiasGradientKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>(BiasGradientKernel<T>));
        kernel(channels, dy, db, batch, channels, plane);
    }

    /// <summary>Max pooling of <paramref name="planes"/> H×W planes: y and the index in its plane of each window's first maximum.</summary>
    public static void MaxPoolForward<T>(GpuContext gpu, ArrayView<T> x, ArrayView<T> y, ArrayView<int> argmax, int planes, ConvolutionGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long outputs = (long)planes * g.OutputPlane;
        Check(y.Length >= outputs && argmax.Length >= outputs && x.Length >= (long)planes * g.InputPlane, "max pooling", g);
        if (outputs == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, ConvolutionGeometry>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, ConvolutionGeometry>)MaxPoolForwardKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, ConvolutionGeometry>(MaxPoolForwardKernel<T>));
        kernel((int)outputs, x, y, argmax, g);
    }

    /// <summary>dx of max pooling: each input element sums the dy of the windows whose saved maximum it is.</summary>
    public static void MaxPoolBackward<T>(GpuContext gpu, ArrayView<T> dy, ArrayView<int> argmax, ArrayView<T> dx, int planes, ConvolutionGeometry g)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long inputs = (long)planes * g.InputPlane;
        if (inputs == 0) return;
        PoolBackward(gpu, dx, g, new MaxShare<T>(dy, argmax), inputs);
    }

    /// <summary>Average pooling of <paramref name="planes"/> planes (the divisor counts padding when <paramref name="countIncludePad"/>, as PyTorch).</summary>
    public static void AvgPoolForward<T>(GpuContext gpu, ArrayView<T> x, ArrayView<T> y, int planes, ConvolutionGeometry g, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long outputs = (long)planes * g.OutputPlane;
        if (outputs == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry, int>)AvgPoolForwardKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvolutionGeometry, int>(AvgPoolForwardKernel<T>));
        kernel((int)outputs, x, y, g, countIncludePad ? 1 : 0);
    }

    /// <summary>dx of average pooling: each input element sums dy / divisor over the windows that hold it.</summary>
    public static void AvgPoolBackward<T>(GpuContext gpu, ArrayView<T> dy, ArrayView<T> dx, int planes, ConvolutionGeometry g, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long inputs = (long)planes * g.InputPlane;
        if (inputs == 0) return;
        PoolBackward(gpu, dx, g, new AverageShare<T>(dy, g, countIncludePad ? 1 : 0), inputs);
    }

    /// <summary>Adaptive average pooling of H×W planes to outHeight×outWidth (PyTorch's windows ⌊i·H/Ho⌋ .. ⌈(i + 1)·H/Ho⌉).</summary>
    public static void AdaptiveAvgPoolForward<T>(GpuContext gpu, ArrayView<T> x, ArrayView<T> y, int planes, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long outputs = (long)planes * outHeight * outWidth;
        if (outputs == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>)AdaptiveForwardKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>(AdaptiveForwardKernel<T>));
        kernel((int)outputs, x, y, height, width, outHeight, outWidth);
    }

    /// <summary>dx of adaptive average pooling: each input element sums dy / (window size) over the windows that hold it.</summary>
    public static void AdaptiveAvgPoolBackward<T>(GpuContext gpu, ArrayView<T> dy, ArrayView<T> dx, int planes, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long inputs = (long)planes * height * width;
        if (inputs == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>)AdaptiveBackwardKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>(AdaptiveBackwardKernel<T>));
        kernel((int)inputs, dy, dx, height, width, outHeight, outWidth);
    }

    private static void PoolBackward<T, TShare>(GpuContext gpu, ArrayView<T> dx, ConvolutionGeometry g, TShare share, long inputs)
        where T : unmanaged, INumber<T> where TShare : struct, IPoolShare<T>
    {
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ConvolutionGeometry, TShare>>(
            (Action<Index1D, ArrayView<T>, ConvolutionGeometry, TShare>)PoolBackwardKernel<T, TShare>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ConvolutionGeometry, TShare>(PoolBackwardKernel<T, TShare>));
        kernel((int)inputs, dx, g, share);
    }

    /// <summary>What output <c>o</c> (window (oh, ow)) gives back to the input element at index <c>at</c> of its plane.</summary>
    internal interface IPoolShare<T> where T : unmanaged, INumber<T>
    {
        T Share(long o, int oh, int ow, int ih, int iw, int at);
    }

    /// <summary>Max pooling: all of dy[o] when this element is the window's saved maximum, else nothing.</summary>
    internal readonly struct MaxShare<T>(ArrayView<T> dy, ArrayView<int> argmax) : IPoolShare<T> where T : unmanaged, INumber<T>
    {
        private readonly ArrayView<T> _dy = dy;
        private readonly ArrayView<int> _argmax = argmax;

        public T Share(long o, int oh, int ow, int ih, int iw, int at) => _argmax[o] == at ? _dy[o] : T.Zero;
    }

    /// <summary>Average pooling: dy[o] / divisor when the element lies in the window's clipped part (not a padded position).</summary>
    internal readonly struct AverageShare<T>(ArrayView<T> dy, ConvolutionGeometry g, int countIncludePad) : IPoolShare<T> where T : unmanaged, INumber<T>
    {
        private readonly ArrayView<T> _dy = dy;
        private readonly ConvolutionGeometry _g = g;
        private readonly int _countIncludePad = countIncludePad;

        public T Share(long o, int oh, int ow, int ih, int iw, int at)
        {
            AverageWindow(oh, ow, _g, _countIncludePad, out int hs, out int he, out int ws, out int we, out int divisor);
            return ih < hs || ih >= he || iw < ws || iw >= we ? T.Zero : _dy[o] / Count<T>(divisor);
        }
    }

    private static void Check(bool ok, string what, ConvolutionGeometry g)
    {
        if (!ok) throw new ArgumentException($"The device buffers of {what} are too short for {g}.");
    }

    // ---- kernels ----

    /// <summary>n as a T, by counting: a window holds a few dozen elements, and this keeps generic int → T conversions
    /// (which ILGPU does not compile for every device) out of the kernels.</summary>
    internal static T Count<T>(int n) where T : unmanaged, INumber<T>
    {
        T count = T.Zero;
        for (int k = 0; k < n; k++) count += T.One;
        return count;
    }

    internal static void Im2ColKernel<T>(Index1D index, ArrayView<T> images, ArrayView<T> columns, ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        long i = index;
        int wo = g.OutWidth, plane = g.OutHeight * wo, patch = g.Channels * g.KernelHeight * g.KernelWidth;
        int p = (int)(i % plane);
        long rest = i / plane;
        int row = (int)(rest % patch), n = (int)(rest / patch);
        int kj = row % g.KernelWidth, ki = row / g.KernelWidth % g.KernelHeight, c = row / (g.KernelWidth * g.KernelHeight);
        int ih = p / wo * g.StrideHeight - g.PadHeight + ki * g.DilationHeight;
        int iw = p % wo * g.StrideWidth - g.PadWidth + kj * g.DilationWidth;
        columns[i] = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width
            ? images[((long)n * g.Channels + c) * g.Height * g.Width + (long)ih * g.Width + iw]
            : T.Zero;
    }

    internal static void Col2ImKernel<T>(Index1D index, ArrayView<T> columns, ArrayView<T> images, ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        long i = index;
        int iw = (int)(i % g.Width), ih = (int)(i / g.Width % g.Height), c = (int)(i / ((long)g.Width * g.Height) % g.Channels);
        long n = i / ((long)g.Width * g.Height * g.Channels);
        int ho = g.OutHeight, wo = g.OutWidth, plane = ho * wo, patch = g.Channels * g.KernelHeight * g.KernelWidth;
        T sum = T.Zero;
        for (int ki = 0; ki < g.KernelHeight; ki++)
        {
            int y = ih + g.PadHeight - ki * g.DilationHeight; // = oh·sh for the output row oh that reads (ih) through kernel row ki
            if (y < 0 || y % g.StrideHeight != 0 || y / g.StrideHeight >= ho) continue;
            int oh = y / g.StrideHeight;
            for (int kj = 0; kj < g.KernelWidth; kj++)
            {
                int x = iw + g.PadWidth - kj * g.DilationWidth;
                if (x < 0 || x % g.StrideWidth != 0 || x / g.StrideWidth >= wo) continue;
                int row = (c * g.KernelHeight + ki) * g.KernelWidth + kj;
                sum += columns[(n * patch + row) * plane + oh * wo + x / g.StrideWidth];
            }
        }
        images[i] = sum;
    }

    internal static void FillBiasKernel<T>(Index1D index, ArrayView<T> bias, ArrayView<T> y, int channels, int plane) where T : unmanaged, INumber<T> =>
        y[index] = bias[(int)index / plane % channels];

    internal static void BiasGradientKernel<T>(Index1D index, ArrayView<T> dy, ArrayView<T> db, int batch, int channels, int plane) where T : unmanaged, INumber<T>
    {
        T sum = T.Zero;
        for (int n = 0; n < batch; n++)
        {
            long start = ((long)n * channels + index) * plane;
            for (int p = 0; p < plane; p++) sum += dy[start + p];
        }
        db[index] = sum;
    }

    internal static void MaxPoolForwardKernel<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, ArrayView<int> argmax, ConvolutionGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = index;
        int wo = g.OutWidth, plane = g.OutHeight * wo;
        int ow = (int)(i % wo), oh = (int)(i / wo % g.OutHeight);
        long start = i / plane * g.Height * g.Width;
        int h0 = oh * g.StrideHeight - g.PadHeight, w0 = ow * g.StrideWidth - g.PadWidth;
        int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KernelHeight, g.Height);
        int ws = Math.Max(w0, 0), we = Math.Min(w0 + g.KernelWidth, g.Width);
        int best = hs * g.Width + ws;
        T max = x[start + best];
        for (int h = hs; h < he; h++)
            for (int w = ws; w < we; w++)
            {
                T v = x[start + h * g.Width + w];
                if (v > max || T.IsNaN(v))
                {
                    max = v;
                    best = h * g.Width + w;
                }
            }
        y[i] = max;
        argmax[i] = best;
    }

    /// <summary>dx of a pooling: each input element sums what the windows that hold it give back (<typeparamref name="TShare"/>).</summary>
    internal static void PoolBackwardKernel<T, TShare>(Index1D index, ArrayView<T> dx, ConvolutionGeometry g, TShare share)
        where T : unmanaged, INumber<T> where TShare : struct, IPoolShare<T>
    {
        long i = index;
        int inPlane = g.Height * g.Width, at = (int)(i % inPlane), iw = at % g.Width, ih = at / g.Width;
        int ho = g.OutHeight, wo = g.OutWidth;
        long outStart = i / inPlane * ho * wo;
        T sum = T.Zero;
        for (int ki = 0; ki < g.KernelHeight; ki++)
        {
            int y = ih + g.PadHeight - ki; // = oh·sh for the window row oh that holds row ih at its kernel row ki
            if (y < 0 || y % g.StrideHeight != 0 || y / g.StrideHeight >= ho) continue;
            for (int kj = 0; kj < g.KernelWidth; kj++)
            {
                int x = iw + g.PadWidth - kj;
                if (x < 0 || x % g.StrideWidth != 0 || x / g.StrideWidth >= wo) continue;
                int oh = y / g.StrideHeight, ow = x / g.StrideWidth;
                sum += share.Share(outStart + oh * wo + ow, oh, ow, ih, iw, at);
            }
        }
        dx[i] = sum;
    }

    /// <summary>The clipped window of output (oh, ow) and its divisor, as <see cref="Pooling"/> computes them.</summary>
    internal static void AverageWindow(int oh, int ow, ConvolutionGeometry g, int countIncludePad, out int hs, out int he, out int ws, out int we, out int divisor)
    {
        hs = oh * g.StrideHeight - g.PadHeight;
        ws = ow * g.StrideWidth - g.PadWidth;
        he = Math.Min(hs + g.KernelHeight, g.Height + g.PadHeight);
        we = Math.Min(ws + g.KernelWidth, g.Width + g.PadWidth);
        int padded = (he - hs) * (we - ws);
        hs = Math.Max(hs, 0);
        ws = Math.Max(ws, 0);
        he = Math.Min(he, g.Height);
        we = Math.Min(we, g.Width);
        divisor = countIncludePad != 0 ? padded : (he - hs) * (we - ws);
    }

    internal static void AvgPoolForwardKernel<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, ConvolutionGeometry g, int countIncludePad)
        where T : unmanaged, INumber<T>
    {
        long i = index;
        int wo = g.OutWidth, plane = g.OutHeight * wo;
        int ow = (int)(i % wo), oh = (int)(i / wo % g.OutHeight);
        long start = i / plane * g.Height * g.Width;
        AverageWindow(oh, ow, g, countIncludePad, out int hs, out int he, out int ws, out int we, out int divisor);
        T sum = T.Zero;
        for (int h = hs; h < he; h++)
            for (int w = ws; w < we; w++) sum += x[start + h * g.Width + w];
        y[i] = sum / Count<T>(divisor);
    }

    internal static void AdaptiveForwardKernel<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        long i = index;
        int j = (int)(i % outWidth), r = (int)(i / outWidth % outHeight);
        long start = i / ((long)outHeight * outWidth) * height * width;
        int hs = r * height / outHeight, he = ((r + 1) * height + outHeight - 1) / outHeight;
        int ws = j * width / outWidth, we = ((j + 1) * width + outWidth - 1) / outWidth;
        T sum = T.Zero;
        for (int h = hs; h < he; h++)
            for (int w = ws; w < we; w++) sum += x[start + h * width + w];
        y[i] = sum / Count<T>((he - hs) * (we - ws));
    }

    internal static void AdaptiveBackwardKernel<T>(Index1D index, ArrayView<T> dy, ArrayView<T> dx, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        long i = index;
        int inPlane = height * width, at = (int)(i % inPlane), w0 = at % width, h0 = at / width;
        long outStart = i / inPlane * outHeight * outWidth;
        T sum = T.Zero;
        for (int r = 0; r < outHeight; r++)
        {
            int hs = r * height / outHeight, he = ((r + 1) * height + outHeight - 1) / outHeight;
            if (h0 < hs || h0 >= he) continue;
            for (int j = 0; j < outWidth; j++)
            {
                int ws = j * width / outWidth, we = ((j + 1) * width + outWidth - 1) / outWidth;
                if (w0 < ws || w0 >= we) continue;
                sum += dy[outStart + r * outWidth + j] / Count<T>((he - hs) * (we - ws));
            }
        }
        dx[i] = sum;
    }
}
