using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// im2col and its adjoint col2im (Chellapilla et al. 2006): a convolution becomes one GEMM once every
/// receptive field is laid out as a column. For a C×H×W image the column matrix has C·kh·kw rows, one per
/// (c, ki, kj), and Ho·Wo columns, one per output position:
/// <c>columns[(c·kh + ki)·kw + kj, oh·Wo + ow] = image[c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw]</c> (0 outside).
/// Rows are contiguous, so the output position is GEMM's large N dimension; with stride 1 each row segment is a
/// plain copy of an image row.
/// </summary>
public static class Im2Col
{
    /// <summary>Fills <paramref name="columns"/> (C·kh·kw × Ho·Wo, row-major) from the image (C×H×W, contiguous).</summary>
    /// <exception cref="ArgumentException">When a span is shorter than the geometry needs.</exception>
    public static void Gather<T>(ReadOnlySpan<T> image, Span<T> columns, in ConvolutionGeometry g) where T : unmanaged, INumber<T> =>
        Gather(image, columns, g, g.OutputPlane);

    /// <summary>
    /// As <see cref="Gather{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry)"/> into a column matrix whose rows are
    /// <paramref name="rowStride"/> (≥ Ho·Wo) apart: the block of one sample among several side by side, so that one GEMM
    /// covers a whole batch chunk.
    /// </summary>
    /// <exception cref="ArgumentException">When a span is shorter than the geometry needs or the stride is below Ho·Wo.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather<T>(ReadOnlySpan<T> image, Span<T> columns, in ConvolutionGeometry geometry, int rowStride) where T : unmanaged, INumber<T>
    {
        CheckLengths(image.Length, columns.Length, geometry, rowStride);
        var gather = new GatherRow<T>(geometry);
        ForEachRow(ref MemoryMarshal.GetReference(image), ref MemoryMarshal.GetReference(columns), geometry, rowStride, ref gather);
    }

    /// <summary>What <see cref="ForEachRow{T, TRow}"/> does with one column-matrix row: gather it from the image, or add it back.</summary>
    private interface IRowAction<T> where T : unmanaged
    {
        /// <summary>
        /// Row (c, ki, kj) of the column matrix against image channel c: rowOffset = ki·dh − ph, columnOffset = kj·dw, and
        /// [start, end) the output columns whose window column lies inside the image.
        /// </summary>
        void Run(ref T channel, ref T row, int rowOffset, int columnOffset, int start, int end);
    }

    /// <summary>
    /// Calls <paramref name="action"/> on every row (c, ki, kj) of the column matrix (rows <paramref name="rowStride"/> apart)
    /// with its image channel (from <paramref name="imageStart"/> and <paramref name="columnsStart"/>), the one walk of <see cref="Gather{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry, int)"/>
    /// and <see cref="ScatterAdd{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry, int)"/>. The lengths must have been checked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForEachRow<T, TRow>(ref T imageStart, ref T columnsStart, in ConvolutionGeometry g, int rowStride, ref TRow action)
        where T : unmanaged where TRow : IRowAction<T>, allows ref struct
    {
        // Refs, not spans (the caller's CheckLengths bounded every access): a row segment is a few vectors long, and slicing
        // and bounds checks per segment cost as much as the copy.
        int kh = g.KernelHeight, kw = g.KernelWidth, inPlane = g.InputPlane, dh = g.DilationHeight, dw = g.DilationWidth, ph = g.PadHeight;
        for (int c = 0; c < g.Channels; c++)
        {
            ref T channel = ref Unsafe.Add(ref imageStart, c * inPlane);
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++)
                {
                    int columnOffset = kj * dw;
                    var (start, end) = g.ValidColumns(columnOffset);
                    action.Run(ref channel, ref Unsafe.Add(ref columnsStart, ((c * kh + ki) * kw + kj) * rowStride), ki * dh - ph, columnOffset, start, end);
                }
        }
    }

    /// <summary>One row of <see cref="Gather{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry, int)"/>: the image's values, zeros where the window leaves the image.</summary>
    private readonly struct GatherRow<T>(ConvolutionGeometry g) : IRowAction<T> where T : unmanaged, INumber<T>
    {
        // The geometry in fields computed once: the rows below must not recompute Ho and Wo.
        private readonly ConvolutionGeometry _g = g;
        private readonly int _ho = g.OutHeight, _wo = g.OutWidth;
        private readonly bool _sameWidth = IsSameWidth(g);

        public void Run(ref T channel, ref T row, int rowOffset, int columnOffset, int start, int end)
        {
            int ho = _ho, wo = _wo, height = _g.Height, width = _g.Width, sh = _g.StrideHeight, sw = _g.StrideWidth, pw = _g.PadWidth;
            if (_sameWidth)
            {
                GatherSameWidth(ref channel, ref row, _g, rowOffset, columnOffset - pw, start, end);
                return;
            }
            if (sh == 1 && sw == 1 && start < end)
            {
                GatherUnitStride(ref channel, ref row, _g, rowOffset, columnOffset - pw, start, end);
                return;
            }
            for (int oh = 0, o0 = 0; oh < ho; oh++, o0 += wo)
            {
                ref T segment = ref Unsafe.Add(ref row, o0);
                int ih = oh * sh + rowOffset;
                if ((uint)ih >= (uint)height || start >= end)
                {
                    for (int ow = 0; ow < wo; ow++) Unsafe.Add(ref segment, ow) = T.Zero;
                    continue;
                }
                for (int ow = 0; ow < start; ow++) Unsafe.Add(ref segment, ow) = T.Zero;
                for (int ow = end; ow < wo; ow++) Unsafe.Add(ref segment, ow) = T.Zero;
                int iw = ih * width + start * sw - pw + columnOffset;
                if (sw == 1)
                    Copy(ref Unsafe.Add(ref channel, iw), ref Unsafe.Add(ref segment, start), end - start);
                else
                    for (int ow = start; ow < end; ow++, iw += sw) Unsafe.Add(ref segment, ow) = Unsafe.Add(ref channel, iw);
            }
        }
    }

    /// <summary>
    /// Whether rows of the column matrix are the image's rows shifted: unit strides and Wo = W (the
    /// "same" padding of a stride-1 convolution). Then a column-matrix row is one copy of consecutive image rows, all
    /// but the padding columns, instead of a copy per image row.
    /// </summary>
    private static bool IsSameWidth(in ConvolutionGeometry g) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth == g.Width;

    /// <summary>
    /// One column-matrix row (Ho·W elements) of a same-width geometry: row[oh·W + ow] = channel[(oh + rowOffset)·W + ow + shift]
    /// where inside the image, 0 elsewhere. The valid rows are one contiguous copy from the first valid element to the
    /// last; the columns outside [start, end) picked up a neighbouring row's values on the way and are zeroed after.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherSameWidth<T>(ref T channel, ref T row, in ConvolutionGeometry g, int rowOffset, int shift, int start, int end)
        where T : unmanaged, INumber<T>
    {
        int ho = g.OutHeight, width = g.Width;
        int first = Math.Clamp(-rowOffset, 0, ho), last = Math.Clamp(g.Height - rowOffset, first, ho); // valid rows [first, last)
        if (start >= end) first = last = ho;
        Clear(ref row, first * width);
        Clear(ref Unsafe.Add(ref row, last * width), (ho - last) * width);
        if (first == last) return;
        int q0 = first * width + start, q1 = (last - 1) * width + end;
        Copy(ref Unsafe.Add(ref channel, (first + rowOffset) * width + start + shift), ref Unsafe.Add(ref row, q0), q1 - q0);
        if (start == 0 && end == width) return;
        for (int oh = first; oh < last; oh++)
        {
            ref T segment = ref Unsafe.Add(ref row, oh * width);
            for (int ow = 0; ow < start; ow++) Unsafe.Add(ref segment, ow) = T.Zero;
            for (int ow = end; ow < width; ow++) Unsafe.Add(ref segment, ow) = T.Zero;
        }
    }

    /// <summary>
    /// One column-matrix row of a stride-1 geometry (any widths): row[oh·Wo + ow] = channel[(oh + rowOffset)·W + ow + shift]
    /// where inside the image, 0 elsewhere. The rows wholly inside the image are found once, so each of their segments is
    /// a bare copy of end − start elements (LeNet's 10); the padding is zeroed around them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherUnitStride<T>(ref T channel, ref T row, in ConvolutionGeometry g, int rowOffset, int shift, int start, int end)
        where T : unmanaged, INumber<T>
    {
        int ho = g.OutHeight, wo = g.OutWidth, width = g.Width, length = end - start;
        int first = Math.Clamp(-rowOffset, 0, ho), last = Math.Clamp(g.Height - rowOffset, first, ho);
        Clear(ref row, first * wo);
        Clear(ref Unsafe.Add(ref row, last * wo), (ho - last) * wo);
        ref T source = ref Unsafe.Add(ref channel, (first + rowOffset) * width + start + shift);
        ref T target = ref Unsafe.Add(ref row, first * wo);
        for (int oh = first; oh < last; oh++)
        {
            for (int ow = 0; ow < start; ow++) Unsafe.Add(ref target, ow) = T.Zero;
            Copy(ref source, ref Unsafe.Add(ref target, start), length);
            for (int ow = end; ow < wo; ow++) Unsafe.Add(ref target, ow) = T.Zero;
            source = ref Unsafe.Add(ref source, width);
            target = ref Unsafe.Add(ref target, wo);
        }
    }

    /// <summary>The adjoint of <see cref="GatherUnitStride{T}"/>: a bare add of end − start elements per valid row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterAddUnitStride<T>(ref T row, ref T channel, in ConvolutionGeometry g, int rowOffset, int shift, int start, int end)
        where T : unmanaged, INumber<T>
    {
        int ho = g.OutHeight, wo = g.OutWidth, width = g.Width, length = end - start;
        int first = Math.Clamp(-rowOffset, 0, ho), last = Math.Clamp(g.Height - rowOffset, first, ho);
        ref T target = ref Unsafe.Add(ref channel, (first + rowOffset) * width + start + shift);
        ref T source = ref Unsafe.Add(ref row, first * wo + start);
        for (int oh = first; oh < last; oh++)
        {
            AddInto(ref source, ref target, length);
            source = ref Unsafe.Add(ref source, wo);
            target = ref Unsafe.Add(ref target, width);
        }
    }

    /// <summary>The most image elements <see cref="ScatterAddSameWidth{T}"/> saves (on the stack); larger geometries add row by row.</summary>
    private const int SavedLimit = 1024;

    /// <summary>
    /// The adjoint of <see cref="GatherSameWidth{T}"/>: channel[(oh + rowOffset)·W + ow + shift] += row[oh·W + ow] for the
    /// valid rows and columns [start, end), as one contiguous add from the first valid element to the last. On the way the
    /// columns outside [start, end) land in a neighbouring image row, in the image columns this row never targets
    /// ([0, start + shift) and [end + shift, W)): those are saved first and put back, so every element ends as if added
    /// row by row (bitwise).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterAddSameWidth<T>(ref T row, ref T channel, in ConvolutionGeometry g, int rowOffset, int shift, int start, int end, Span<T> saved)
        where T : unmanaged, INumber<T>
    {
        int ho = g.OutHeight, width = g.Width;
        int first = Math.Clamp(-rowOffset, 0, ho), last = Math.Clamp(g.Height - rowOffset, first, ho);
        if (first == last) return;
        int left = start + shift, right = end + shift; // the targeted image columns [left, right)
        bool wraps = start > 0 || end < width;
        ref T target = ref Unsafe.Add(ref channel, (first + rowOffset) * width);
        int n = 0;
        if (wraps)
            for (int r = 0; r < last - first; r++)
            {
                ref T imageRow = ref Unsafe.Add(ref target, r * width);
                for (int w = 0; w < left; w++) saved[n++] = Unsafe.Add(ref imageRow, w);
                for (int w = right; w < width; w++) saved[n++] = Unsafe.Add(ref imageRow, w);
            }
        int q0 = first * width + start, q1 = (last - 1) * width + end;
        AddInto(ref Unsafe.Add(ref row, q0), ref Unsafe.Add(ref target, left), q1 - q0);
        if (!wraps) return;
        n = 0;
        for (int r = 0; r < last - first; r++)
        {
            ref T imageRow = ref Unsafe.Add(ref target, r * width);
            for (int w = 0; w < left; w++) Unsafe.Add(ref imageRow, w) = saved[n++];
            for (int w = right; w < width; w++) Unsafe.Add(ref imageRow, w) = saved[n++];
        }
    }

    /// <summary>target[0 .. length) = 0.</summary>
    private static void Clear<T>(ref T target, int length) where T : unmanaged
    {
        if (length > 0) MemoryMarshal.CreateSpan(ref target, length).Clear();
    }

    /// <summary>
    /// The adjoint of <see cref="Gather{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry)"/>: adds every column entry back into the image element it was read from
    /// (<paramref name="image"/> += col2im(<paramref name="columns"/>); clear it first for a plain col2im).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is shorter than the geometry needs.</exception>
    public static void ScatterAdd<T>(ReadOnlySpan<T> columns, Span<T> image, in ConvolutionGeometry g) where T : unmanaged, INumber<T> =>
        ScatterAdd(columns, image, g, g.OutputPlane);

    /// <summary>As <see cref="ScatterAdd{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry)"/> from a column matrix whose rows are <paramref name="rowStride"/> apart.</summary>
    /// <exception cref="ArgumentException">When a span is shorter than the geometry needs or the stride is below Ho·Wo.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterAdd<T>(ReadOnlySpan<T> columns, Span<T> image, in ConvolutionGeometry geometry, int rowStride) where T : unmanaged, INumber<T>
    {
        var g = geometry;
        CheckLengths(image.Length, columns.Length, g, rowStride);
        // Same width: one add per column-matrix row, the image columns it must not touch saved before and put back after.
        int untouched = g.Height * Math.Max(g.PadWidth, (g.KernelWidth - 1) * g.DilationWidth - g.PadWidth);
        Span<T> saved = IsSameWidth(g) && untouched <= SavedLimit ? stackalloc T[SavedLimit] : default;
        var scatter = new ScatterRow<T>(g, saved);
        ForEachRow(ref MemoryMarshal.GetReference(image), ref MemoryMarshal.GetReference(columns), g, rowStride, ref scatter);
    }

    /// <summary>One row of <see cref="ScatterAdd{T}(ReadOnlySpan{T}, Span{T}, in ConvolutionGeometry, int)"/> (saved: the same-width path's stack space, or empty).</summary>
    private readonly ref struct ScatterRow<T>(ConvolutionGeometry g, Span<T> saved) : IRowAction<T> where T : unmanaged, INumber<T>
    {
        private readonly ConvolutionGeometry _g = g;
        private readonly int _ho = g.OutHeight, _wo = g.OutWidth;
        private readonly Span<T> _saved = saved;

        public void Run(ref T channel, ref T row, int rowOffset, int columnOffset, int start, int end)
        {
            int ho = _ho, wo = _wo, height = _g.Height, width = _g.Width, sh = _g.StrideHeight, sw = _g.StrideWidth, pw = _g.PadWidth;
            if (start >= end) return;
            if (!_saved.IsEmpty)
            {
                ScatterAddSameWidth(ref row, ref channel, _g, rowOffset, columnOffset - pw, start, end, _saved);
                return;
            }
            if (sh == 1 && sw == 1)
            {
                ScatterAddUnitStride(ref row, ref channel, _g, rowOffset, columnOffset - pw, start, end);
                return;
            }
            for (int oh = 0, o0 = 0; oh < ho; oh++, o0 += wo)
            {
                int ih = oh * sh + rowOffset;
                if ((uint)ih >= (uint)height) continue;
                int iw = ih * width + start * sw - pw + columnOffset;
                ref T segment = ref Unsafe.Add(ref row, o0);
                if (sw == 1)
                    AddInto(ref Unsafe.Add(ref segment, start), ref Unsafe.Add(ref channel, iw), end - start);
                else
                    for (int ow = start; ow < end; ow++, iw += sw) Unsafe.Add(ref channel, iw) += Unsafe.Add(ref segment, ow);
            }
        }
    }

    // Row segments are short (16 for a 16×16 image, 10 in LeNet): inline vector loops, not a library call per segment
    // (a call per 16 floats made im2col cost as much as the GEMM after it).

    /// <summary>target[i] = source[i] for i &lt; length: whole vectors, the tail as one more vector ending at the last element (overlapping the one before).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(ref T source, ref T target, int length) where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count, i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && length >= w)
        {
            for (; i <= length - w; i += w) Vector256.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref target, (nuint)i);
            if (i < length) Vector256.LoadUnsafe(ref source, (nuint)(length - w)).StoreUnsafe(ref target, (nuint)(length - w));
            return;
        }
        for (; i < length; i++) Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
    }

    /// <summary>target[i] += source[i] for i &lt; length: whole vectors, then the tail one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInto<T>(ref T source, ref T target, int length) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            int w = Vector256<T>.Count;
            for (; i <= length - w; i += w)
                (Vector256.LoadUnsafe(ref target, (nuint)i) + Vector256.LoadUnsafe(ref source, (nuint)i)).StoreUnsafe(ref target, (nuint)i);
        }
        for (; i < length; i++) Unsafe.Add(ref target, i) += Unsafe.Add(ref source, i);
    }

    private static void CheckLengths(int image, int columns, in ConvolutionGeometry g, int rowStride)
    {
        long needed = (long)(g.PatchLength - 1) * rowStride + g.OutputPlane;
        if (rowStride < g.OutputPlane || image < (long)g.Channels * g.InputPlane || columns < needed)
            throw new ArgumentException(
                $"im2col of a {g.Channels}×{g.Height}×{g.Width} image with a {g.KernelHeight}×{g.KernelWidth} kernel needs {g.Channels * g.InputPlane} image and {needed} column elements with rows {rowStride} ≥ {g.OutputPlane} apart, but got {image} and {columns}.");
    }
}
