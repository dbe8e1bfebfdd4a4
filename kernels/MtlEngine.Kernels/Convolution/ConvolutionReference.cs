using System.Numerics;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// The textbook direct convolution, the oracle of the im2col + GEMM path (slow and obviously correct):
/// <c>y[n, o, oh, ow] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj] · x[n, g·Cg + c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw]</c>
/// over the Cg = C/groups input channels of output channel o's group g = o / (O/groups), zero outside the image.
/// </summary>
public static class ConvolutionReference
{
    /// <summary>Writes the convolution of the NCHW <paramref name="input"/> into the N×O×Ho×Wo <paramref name="output"/>.</summary>
    /// <param name="input">x, N×C×H×W contiguous, C = <paramref name="g"/>.Channels.</param>
    /// <param name="weight">w, O×(C/groups)×kh×kw contiguous.</param>
    /// <param name="bias">b, O values, or empty for none.</param>
    /// <param name="output">y, N×O×Ho×Wo.</param>
    /// <param name="batch">N.</param>
    /// <param name="outChannels">O.</param>
    /// <param name="groups">The number of channel groups (C and O divisible by it).</param>
    /// <param name="g">The window geometry over the whole image (all C channels).</param>
    public static void Conv2d<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> output,
        int batch, int outChannels, int groups, in ConvolutionGeometry g) where T : unmanaged, INumber<T>
    {
        int cg = g.Channels / groups, og = outChannels / groups, ho = g.OutHeight, wo = g.OutWidth;
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++)
                    {
                        T sum = bias.IsEmpty ? T.Zero : bias[o];
                        for (int c = 0; c < cg; c++)
                            for (int ki = 0; ki < g.KernelHeight; ki++)
                                for (int kj = 0; kj < g.KernelWidth; kj++)
                                {
                                    int ih = oh * g.StrideHeight - g.PadHeight + ki * g.DilationHeight;
                                    int iw = ow * g.StrideWidth - g.PadWidth + kj * g.DilationWidth;
                                    if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                                    int channel = o / og * cg + c;
                                    sum += weight[((o * cg + c) * g.KernelHeight + ki) * g.KernelWidth + kj]
                                         * input[((n * g.Channels + channel) * g.Height + ih) * g.Width + iw];
                                }
                        output[((n * outChannels + o) * ho + oh) * wo + ow] = sum;
                    }
    }
}
