using System.Numerics;
using System.Numerics.Tensors;

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
    public static void Gather<T>(ReadOnlySpan<T> image, Span<T> columns, in ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        CheckLengths(image.Length, columns.Length, g);
        int kh = g.KernelHeight, kw = g.KernelWidth, ho = g.OutHeight, wo = g.OutWidth, plane = g.OutputPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            var channel = image.Slice(c * g.InputPlane, g.InputPlane);
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    var row = columns.Slice(((c * kh + ki) * kw + kj) * plane, plane);
                    int columnOffset = kj * g.DilationWidth;
                    var (start, end) = g.ValidColumns(columnOffset);
                    for (int oh = 0; oh < ho; oh++)
                    {
                        var segment = row.Slice(oh * wo, wo);
                        int ih = oh * g.StrideHeight - g.PadHeight + ki * g.DilationHeight;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            segment.Clear();
                            continue;
                        }
                        segment[..start].Clear();
                        segment[end..].Clear();
                        var source = channel.Slice(ih * g.Width, g.Width);
                        int iw = start * g.StrideWidth - g.PadWidth + columnOffset;
                        if (g.StrideWidth == 1)
                        {
                            source.Slice(iw, end - start).CopyTo(segment[start..end]);
                            continue;
                        }
                        for (int ow = start; ow < end; ow++, iw += g.StrideWidth) segment[ow] = source[iw];
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Gather{T}"/>: adds every column entry back into the image element it was read from
    /// (<paramref name="image"/> += col2im(<paramref name="columns"/>); clear it first for a plain col2im).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is shorter than the geometry needs.</exception>
    public static void ScatterAdd<T>(ReadOnlySpan<T> columns, Span<T> image, in ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        CheckLengths(image.Length, columns.Length, g);
        int kh = g.KernelHeight, kw = g.KernelWidth, ho = g.OutHeight, wo = g.OutWidth, plane = g.OutputPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            var channel = image.Slice(c * g.InputPlane, g.InputPlane);
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    var row = columns.Slice(((c * kh + ki) * kw + kj) * plane, plane);
                    int columnOffset = kj * g.DilationWidth;
                    var (start, end) = g.ValidColumns(columnOffset);
                    if (start >= end) continue;
                    for (int oh = 0; oh < ho; oh++)
                    {
                        int ih = oh * g.StrideHeight - g.PadHeight + ki * g.DilationHeight;
                        if ((uint)ih >= (uint)g.Height) continue;
                        var segment = row.Slice(oh * wo, wo);
                        var target = channel.Slice(ih * g.Width, g.Width);
                        int iw = start * g.StrideWidth - g.PadWidth + columnOffset;
                        if (g.StrideWidth == 1)
                        {
                            var window = target.Slice(iw, end - start);
                            TensorPrimitives.Add(window, segment[start..end], window);
                            continue;
                        }
                        for (int ow = start; ow < end; ow++, iw += g.StrideWidth) target[iw] += segment[ow];
                    }
                }
            }
        }
    }

    private static void CheckLengths(int image, int columns, in ConvolutionGeometry g)
    {
        if (image < (long)g.Channels * g.InputPlane || columns < (long)g.PatchLength * g.OutputPlane)
            throw new ArgumentException(
                $"im2col of a {g.Channels}×{g.Height}×{g.Width} image with a {g.KernelHeight}×{g.KernelWidth} kernel needs {g.Channels * g.InputPlane} image and {(long)g.PatchLength * g.OutputPlane} column elements, but got {image} and {columns}.");
    }
}
