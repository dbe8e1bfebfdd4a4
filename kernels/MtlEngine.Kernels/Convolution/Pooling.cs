using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// 2-d pooling over independent H×W planes (the N·C planes of an NCHW tensor), as PyTorch defines it (floor mode).
/// Each method handles the planes [<c>first</c>, <c>first + count</c>) of contiguous input and output spans, so a
/// caller can split the planes over threads.
/// </summary>
public static class Pooling
{
    /// <summary>
    /// Max pooling: y[oh, ow] = max over the window of x (padding counts as −∞), and <paramref name="argmax"/> gets the
    /// index h·W + w inside the plane of the first maximal element in row-major window order (a NaN wins, as in PyTorch).
    /// </summary>
    /// <remarks>2×2 windows at stride 2 without padding (the usual pooling) take <see cref="MaxForward2x2{T}"/>.</remarks>
    public static void MaxForward<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int first, int count, in ConvolutionGeometry g)
        where T : unmanaged, INumber<T>
    {
        if (g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2 && g.PadHeight == 0 && g.PadWidth == 0
            && g.DilationHeight == 1 && g.DilationWidth == 1)
            MaxForward2x2(input, output, argmax, first, count, g);
        else
            MaxForwardAnyWindow(input, output, argmax, first, count, g);
    }

    /// <summary>
    /// <see cref="MaxForward{T}"/> for 2×2 windows at stride 2, unpadded: PyTorch's own loop (a later element wins when
    /// greater, or when NaN) over the window's four elements, unrolled, through refs. The general
    /// <see cref="MaxForwardAnyWindow{T}"/> is its twin in the tests.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxForward2x2<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int first, int count, in ConvolutionGeometry g)
        where T : unmanaged, INumber<T>
    {
        int width = g.Width, ho = g.OutHeight, wo = g.OutWidth, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        if (count <= 0) return;
        // Bounds: the last plane's spans (the windows lie inside each plane, so every access below is inside them).
        _ = input.Slice((first + count - 1) * inPlane, inPlane);
        _ = output.Slice((first + count - 1) * outPlane, outPlane);
        _ = argmax.Slice((first + count - 1) * outPlane, outPlane);
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T y = ref MemoryMarshal.GetReference(output);
        ref int index = ref MemoryMarshal.GetReference(argmax);
        int endOutput = (first + count) * outPlane;
        for (int p = first; p < first + count; p++)
        {
            ref T plane = ref Unsafe.Add(ref x, p * inPlane);
            int o = p * outPlane;
            for (int oh = 0; oh < ho; oh++)
            {
                int top = 2 * oh * width, ow = 0;
                if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && wo < 8
                    && (long)p * inPlane + top + width + 16 <= input.Length && o + 8 <= endOutput)
                {
                    // A row of fewer than eight windows (LeNet's second pooling: 10 → 5): eight windows from the row's start,
                    // whose lanes past Wo read on into the next rows and are written past the row, into outputs of this
                    // share's later rows, which overwrite them (rows go in order). The share's last row is never written
                    // so (its lanes past Wo belong to the next share), nor a row whose reads would leave the input.
                    MaxOf8Windows(ref Unsafe.As<T, float>(ref plane), top, width, ref Unsafe.As<T, float>(ref Unsafe.Add(ref y, o)), ref Unsafe.Add(ref index, o));
                    o += wo;
                    ow = wo;
                }
                if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && wo >= 8)
                {
                    // Whole groups of eight, then the last eight windows of the row (overlapping; they are written twice, alike).
                    for (; ow + 8 <= wo; ow += 8, o += 8)
                        MaxOf8Windows(ref Unsafe.As<T, float>(ref plane), top + 2 * ow, width, ref Unsafe.As<T, float>(ref Unsafe.Add(ref y, o)), ref Unsafe.Add(ref index, o));
                    if (ow < wo)
                    {
                        int back = wo - ow;
                        MaxOf8Windows(ref Unsafe.As<T, float>(ref plane), top + 2 * (wo - 8), width, ref Unsafe.As<T, float>(ref Unsafe.Add(ref y, o + back - 8)), ref Unsafe.Add(ref index, o + back - 8));
                        o += back;
                        ow = wo;
                    }
                }
                for (; ow < wo; ow++, o++)
                {
                    int i = top + 2 * ow, best = i;
                    T max = Unsafe.Add(ref plane, i), v = Unsafe.Add(ref plane, i + 1);
                    if (v > max || T.IsNaN(v)) { max = v; best = i + 1; }
                    v = Unsafe.Add(ref plane, i + width);
                    if (v > max || T.IsNaN(v)) { max = v; best = i + width; }
                    v = Unsafe.Add(ref plane, i + width + 1);
                    if (v > max || T.IsNaN(v)) { max = v; best = i + width + 1; }
                    Unsafe.Add(ref y, o) = max;
                    Unsafe.Add(ref index, o) = best;
                }
            }
        }
    }

    /// <summary>
    /// Eight neighbouring 2×2 windows of float, the first at plane[i], in vector lanes: the rows' even and odd columns
    /// split apart (a, b on top, c, d below), then PyTorch's loop lane by lane: a later element wins where greater, or
    /// where NaN, with no branch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxOf8Windows(ref float plane, int i, int width, ref float y, ref int index)
    {
        var even = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        var odd = Vector256.Create(1, 3, 5, 7, 1, 3, 5, 7);
        Vector256<float> t0 = Vector256.LoadUnsafe(ref plane, (nuint)i), t1 = Vector256.LoadUnsafe(ref plane, (nuint)(i + 8));
        Vector256<float> u0 = Vector256.LoadUnsafe(ref plane, (nuint)(i + width)), u1 = Vector256.LoadUnsafe(ref plane, (nuint)(i + width + 8));
        var a = Vector256.Create(Vector256.Shuffle(t0, even).GetLower(), Vector256.Shuffle(t1, even).GetLower());
        var b = Vector256.Create(Vector256.Shuffle(t0, odd).GetLower(), Vector256.Shuffle(t1, odd).GetLower());
        var c = Vector256.Create(Vector256.Shuffle(u0, even).GetLower(), Vector256.Shuffle(u1, even).GetLower());
        var d = Vector256.Create(Vector256.Shuffle(u0, odd).GetLower(), Vector256.Shuffle(u1, odd).GetLower());
        var max = a;
        var best = Vector256<int>.Zero;
        var take = (Vector256.GreaterThan(b, max) | ~Vector256.Equals(b, b)).AsInt32();
        max = Vector256.ConditionalSelect(take.AsSingle(), b, max);
        best = Vector256.ConditionalSelect(take, Vector256.Create(1), best);
        take = (Vector256.GreaterThan(c, max) | ~Vector256.Equals(c, c)).AsInt32();
        max = Vector256.ConditionalSelect(take.AsSingle(), c, max);
        best = Vector256.ConditionalSelect(take, Vector256.Create(width), best);
        take = (Vector256.GreaterThan(d, max) | ~Vector256.Equals(d, d)).AsInt32();
        max = Vector256.ConditionalSelect(take.AsSingle(), d, max);
        best = Vector256.ConditionalSelect(take, Vector256.Create(width + 1), best);
        max.StoreUnsafe(ref y);
        (best + Vector256.Create(i) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14)).StoreUnsafe(ref index);
    }

    /// <summary><see cref="MaxForward{T}"/> for any window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxForwardAnyWindow<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int first, int count, in ConvolutionGeometry g)
        where T : unmanaged, INumber<T>
    {
        // The geometry in locals (an `in` struct's fields are re-read through the reference in the inner loops).
        int height = g.Height, width = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int ph = g.PadHeight, pw = g.PadWidth, ho = g.OutHeight, wo = g.OutWidth, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        for (int p = first; p < first + count; p++)
        {
            var plane = input.Slice(p * inPlane, inPlane);
            var y = output.Slice(p * outPlane, outPlane);
            var index = argmax.Slice(p * outPlane, outPlane);
            for (int oh = 0; oh < ho; oh++)
            {
                int h0 = oh * sh - ph;
                int hs = Math.Max(h0, 0), he = Math.Min(h0 + kh, height);
                for (int ow = 0; ow < wo; ow++)
                {
                    int w0 = ow * sw - pw;
                    int ws = Math.Max(w0, 0), we = Math.Min(w0 + kw, width);
                    // The maximum first (T.Max: no data-dependent branch), then the first element equal to it: one
                    // unpredictable branch a window instead of one a comparison. A NaN maximum takes PyTorch's loop
                    // (the last NaN wins).
                    T max = plane[hs * width + ws];
                    for (int h = hs; h < he; h++)
                    {
                        var row = plane.Slice(h * width, width);
                        for (int w = ws; w < we; w++) max = T.Max(max, row[w]);
                    }
                    int best = hs * width + ws;
                    if (T.IsNaN(max))
                    {
                        for (int h = hs; h < he; h++)
                            for (int w = ws; w < we; w++)
                                if (T.IsNaN(plane[h * width + w])) best = h * width + w;
                    }
                    else
                    {
                        for (int h = hs; h < he; h++)
                        {
                            var row = plane.Slice(h * width, width);
                            int w = ws;
                            while (w < we && row[w] != max) w++;
                            if (w < we)
                            {
                                best = h * width + w;
                                max = row[w]; // the first maximal element itself (−0 before +0, as PyTorch's strict comparison keeps)
                                break;
                            }
                        }
                    }
                    y[oh * wo + ow] = max;
                    index[oh * wo + ow] = best;
                }
            }
        }
    }

    /// <summary>The gradient of max pooling: ∂L/∂x[argmax] += ∂L/∂y (the input gradient is cleared first).</summary>
    /// <remarks>2×2 windows at stride 2 without padding, eight or more a row, take <see cref="MaxBackward2x2"/> for float.</remarks>
    public static void MaxBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int first, int count, in ConvolutionGeometry g)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && Avx.IsSupported && g.OutWidth >= 8
            && g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2 && g.PadHeight == 0 && g.PadWidth == 0
            && g.DilationHeight == 1 && g.DilationWidth == 1)
            MaxBackward2x2(MemoryMarshal.Cast<T, float>(outputGradient), argmax, MemoryMarshal.Cast<T, float>(inputGradient), first, count, g);
        else
            MaxBackwardAnyWindow(outputGradient, argmax, inputGradient, first, count, g);
    }

    /// <summary>
    /// <see cref="MaxBackward{T}"/> for 2×2 windows at stride 2, unpadded, Wo ≥ 8, float: the windows are disjoint, so each
    /// input element gets the upstream gradient of at most one window, and dx is written once, without the clearing and the
    /// scatter: eight windows at a time, the element at offset (i, j) of a window gets 0 + dy where the window's argmax is
    /// there, else 0 (0 + dy: a −0 becomes +0, as the scatter's += onto a cleared plane makes it), and the columns and rows
    /// that no window covers (floor mode) get 0. The last eight windows of a row overlap the ones before (written twice,
    /// alike). The scatter, <see cref="MaxBackwardAnyWindow{T}"/>, is its twin in the tests.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxBackward2x2(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, int first, int count, in ConvolutionGeometry g)
    {
        int width = g.Width, ho = g.OutHeight, wo = g.OutWidth, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        if (count <= 0) return;
        if (wo < 8 || g.KernelHeight != 2 || g.KernelWidth != 2 || g.StrideHeight != 2 || g.StrideWidth != 2 || g.PadHeight != 0 || g.PadWidth != 0)
            throw new ArgumentException($"MaxBackward2x2 needs unpadded 2×2 windows at stride 2, eight or more a row, but the geometry is {g}.");
        // Bounds: the last plane's spans (every access below is inside its plane).
        _ = inputGradient.Slice((first + count - 1) * inPlane, inPlane);
        _ = outputGradient.Slice((first + count - 1) * outPlane, outPlane);
        _ = argmax.Slice((first + count - 1) * outPlane, outPlane);
        ref float dyStart = ref MemoryMarshal.GetReference(outputGradient);
        ref int indexStart = ref MemoryMarshal.GetReference(argmax);
        ref float dxStart = ref MemoryMarshal.GetReference(inputGradient);
        var lanes = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        for (int p = first; p < first + count; p++)
        {
            ref float dx = ref Unsafe.Add(ref dxStart, p * inPlane);
            int o = p * outPlane;
            for (int oh = 0; oh < ho; oh++, o += wo)
            {
                int top = 2 * oh * width;
                for (int ow = 0; ow < wo; ow += 8)
                {
                    if (ow + 8 > wo) ow = wo - 8; // the row's last eight windows
                    var d = Vector256.LoadUnsafe(ref Unsafe.Add(ref dyStart, o + ow)) + Vector256<float>.Zero;
                    var at = Vector256.LoadUnsafe(ref Unsafe.Add(ref indexStart, o + ow)) - (Vector256.Create(top + 2 * ow) + lanes); // the argmax's offset in its window
                    var a = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256<int>.Zero).AsSingle(), d, Vector256<float>.Zero);
                    var b = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256.Create(1)).AsSingle(), d, Vector256<float>.Zero);
                    var c = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256.Create(width)).AsSingle(), d, Vector256<float>.Zero);
                    var e = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256.Create(width + 1)).AsSingle(), d, Vector256<float>.Zero);
                    // a0 b0 a1 b1 … a7 b7 along the top row, c0 e0 … c7 e7 along the bottom one (unpack works in 128-bit halves).
                    Vector256<float> low = Avx.UnpackLow(a, b), high = Avx.UnpackHigh(a, b);
                    Avx.Permute2x128(low, high, 0x20).StoreUnsafe(ref Unsafe.Add(ref dx, top + 2 * ow));
                    Avx.Permute2x128(low, high, 0x31).StoreUnsafe(ref Unsafe.Add(ref dx, top + 2 * ow + 8));
                    low = Avx.UnpackLow(c, e);
                    high = Avx.UnpackHigh(c, e);
                    Avx.Permute2x128(low, high, 0x20).StoreUnsafe(ref Unsafe.Add(ref dx, top + width + 2 * ow));
                    Avx.Permute2x128(low, high, 0x31).StoreUnsafe(ref Unsafe.Add(ref dx, top + width + 2 * ow + 8));
                }
                for (int w = 2 * wo; w < width; w++)
                {
                    Unsafe.Add(ref dx, top + w) = 0f;
                    Unsafe.Add(ref dx, top + width + w) = 0f;
                }
            }
            for (int i = 2 * ho * width; i < inPlane; i++) Unsafe.Add(ref dx, i) = 0f;
        }
    }

    /// <summary><see cref="MaxBackward{T}"/> for any window: the plane cleared, then ∂L/∂x[argmax] += ∂L/∂y window by window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxBackwardAnyWindow<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int first, int count, in ConvolutionGeometry g)
        where T : unmanaged, INumber<T>
    {
        for (int p = first; p < first + count; p++)
        {
            var dx = inputGradient.Slice(p * g.InputPlane, g.InputPlane);
            var dy = outputGradient.Slice(p * g.OutputPlane, g.OutputPlane);
            var index = argmax.Slice(p * g.OutputPlane, g.OutputPlane);
            dx.Clear();
            for (int j = 0; j < dy.Length; j++) dx[index[j]] += dy[j];
        }
    }

    /// <summary>
    /// Average pooling: y = (Σ of the window's elements inside the image) / divisor, where the divisor counts the
    /// window's positions inside the padded image (<paramref name="countIncludePad"/>, PyTorch's default) or only those
    /// inside the image.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AverageForward<T>(ReadOnlySpan<T> input, Span<T> output, int first, int count, in ConvolutionGeometry g, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        for (int p = first; p < first + count; p++)
        {
            var plane = input.Slice(p * g.InputPlane, g.InputPlane);
            var y = output.Slice(p * g.OutputPlane, g.OutputPlane);
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    var (hs, he, ws, we, divisor) = AverageWindow<T>(oh, ow, g, countIncludePad);
                    T sum = T.Zero;
                    for (int h = hs; h < he; h++)
                        for (int w = ws; w < we; w++) sum += plane[h * g.Width + w];
                    y[oh * g.OutWidth + ow] = sum / divisor;
                }
        }
    }

    /// <summary>The gradient of average pooling: each window element gets ∂L/∂y / divisor (the input gradient is cleared first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AverageBackward<T>(ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int first, int count, in ConvolutionGeometry g, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        for (int p = first; p < first + count; p++)
        {
            var dx = inputGradient.Slice(p * g.InputPlane, g.InputPlane);
            var dy = outputGradient.Slice(p * g.OutputPlane, g.OutputPlane);
            dx.Clear();
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    var (hs, he, ws, we, divisor) = AverageWindow<T>(oh, ow, g, countIncludePad);
                    T share = dy[oh * g.OutWidth + ow] / divisor;
                    for (int h = hs; h < he; h++)
                        for (int w = ws; w < we; w++) dx[h * g.Width + w] += share;
                }
        }
    }

    /// <summary>The window of output (oh, ow) clipped to the image, and its divisor (PyTorch's avg_pool2d arithmetic).</summary>
    private static (int Hs, int He, int Ws, int We, T Divisor) AverageWindow<T>(int oh, int ow, in ConvolutionGeometry g, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        int hs = oh * g.StrideHeight - g.PadHeight, ws = ow * g.StrideWidth - g.PadWidth;
        int he = Math.Min(hs + g.KernelHeight, g.Height + g.PadHeight), we = Math.Min(ws + g.KernelWidth, g.Width + g.PadWidth);
        int padded = (he - hs) * (we - ws);
        hs = Math.Max(hs, 0); ws = Math.Max(ws, 0); he = Math.Min(he, g.Height); we = Math.Min(we, g.Width);
        return (hs, he, ws, we, T.CreateChecked(countIncludePad ? padded : (he - hs) * (we - ws)));
    }

    /// <summary>
    /// Adaptive average pooling of H×W planes to <paramref name="outHeight"/>×<paramref name="outWidth"/>: output row i
    /// averages input rows [⌊i·H/Ho⌋, ⌈(i + 1)·H/Ho⌉) (columns likewise), PyTorch's windows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AdaptiveAverageForward<T>(ReadOnlySpan<T> input, Span<T> output, int first, int count, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        for (int p = first; p < first + count; p++)
        {
            var plane = input.Slice(p * height * width, height * width);
            var y = output.Slice(p * outHeight * outWidth, outHeight * outWidth);
            for (int i = 0; i < outHeight; i++)
            {
                var (hs, he) = AdaptiveRange(i, height, outHeight);
                for (int j = 0; j < outWidth; j++)
                {
                    var (ws, we) = AdaptiveRange(j, width, outWidth);
                    T sum = T.Zero;
                    for (int h = hs; h < he; h++)
                        for (int w = ws; w < we; w++) sum += plane[h * width + w];
                    y[i * outWidth + j] = sum / T.CreateChecked((he - hs) * (we - ws));
                }
            }
        }
    }

    /// <summary>The gradient of adaptive average pooling: each window element gets ∂L/∂y / (window size); cleared first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AdaptiveAverageBackward<T>(ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int first, int count, int height, int width, int outHeight, int outWidth)
        where T : unmanaged, INumber<T>
    {
        for (int p = first; p < first + count; p++)
        {
            var dx = inputGradient.Slice(p * height * width, height * width);
            var dy = outputGradient.Slice(p * outHeight * outWidth, outHeight * outWidth);
            dx.Clear();
            for (int i = 0; i < outHeight; i++)
            {
                var (hs, he) = AdaptiveRange(i, height, outHeight);
                for (int j = 0; j < outWidth; j++)
                {
                    var (ws, we) = AdaptiveRange(j, width, outWidth);
                    T share = dy[i * outWidth + j] / T.CreateChecked((he - hs) * (we - ws));
                    for (int h = hs; h < he; h++)
                        for (int w = ws; w < we; w++) dx[h * width + w] += share;
                }
            }
        }
    }

    /// <summary>[⌊i·size/outSize⌋, ⌈(i + 1)·size/outSize⌉).</summary>
    internal static (int Start, int End) AdaptiveRange(int i, int size, int outSize) =>
        ((int)((long)i * size / outSize), (int)(((long)(i + 1) * size + outSize - 1) / outSize));
}
