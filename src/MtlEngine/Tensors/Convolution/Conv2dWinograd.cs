using System.Numerics;
using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tensors;

/// <summary>
/// The forward pass and the input gradient of a 3×3, stride-1, undilated, ungrouped convolution by Winograd's
/// F(4×4, 3×3) (<see cref="WinogradConvolution"/>), for contiguous CPU tensors: the kernels transformed once per call
/// (the input gradient's flipped and transposed: a stride-1 convolution's adjoint is the convolution of dY padded by
/// 2 − padding with them), then the batch cut into chunks of samples (V and M of a chunk about
/// <see cref="ChunkBytes"/>), each claimed by whichever thread is free and run in that thread's scratch. Each output
/// element depends on its own tile alone, so the bits do not depend on the thread count or the chunks. Scratch comes
/// from the step's arena. The weight gradient stays on the direct path or im2col + GEMM.
/// </summary>
internal static class Conv2dWinograd
{
    /// <summary>
    /// A chunk's V and M (36 × tiles × (Cin + Cout) elements) stay about this size, within a core's L2 with the staged sample
    /// (conv2d_b: 3 samples, 48 tiles, 650 KiB of float).
    /// </summary>
    internal const int ChunkBytes = 768 << 10;

    /// <summary>
    /// Auto takes Winograd from this many input channels and this many output channels of the pass (the input gradient's
    /// are the layer's output and input channels): fewer leave the 2L-wide register tile mostly padding and the transforms
    /// outweigh the saved multiplies (see <see cref="Wins{T}"/>).
    /// </summary>
    internal const int MinChannels = 16;

    /// <summary>Whether F(4×4, 3×3) computes this convolution: 3×3, stride 1, dilation 1, one group, AVX-512 or AVX2 + FMA, float or double.</summary>
    public static bool Applies<T>(in ConvolutionGeometry g, int groups) => groups == 1 && WinogradConvolution.Applies<T>(g);

    /// <summary>Whether Auto prefers Winograd for a pass from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels.</summary>
    public static bool Wins<T>(int inChannels, int outChannels) => inChannels >= MinChannels && outChannels >= MinChannels;

    /// <summary>
    /// Whether <paramref name="algorithm"/> runs the forward pass (or, with <paramref name="inputGradient"/>, the input
    /// gradient) of this convolution by Winograd: forced, or Auto where it applies and wins. Throws when Winograd is forced
    /// where it does not apply.
    /// </summary>
    /// <exception cref="ArgumentException">Winograd forced on a geometry it does not compute.</exception>
    public static bool Chosen<T>(Conv2dAlgorithm algorithm, in ConvolutionGeometry g, int groups, int outChannels, bool inputGradient = false)
    {
        bool applies = Applies<T>(g, groups);
        if (algorithm == Conv2dAlgorithm.Winograd)
        {
            if (!applies)
                throw new ArgumentException(
                    $"The Winograd convolution needs a 3×3 kernel, stride 1, dilation 1, one group, AVX-512 or AVX2 + FMA and float or double ({typeof(T).Name}), but the geometry is {g} with {groups} groups.");
            return true;
        }
        return algorithm == Conv2dAlgorithm.Auto && applies &&
            (inputGradient ? Wins<T>(outChannels, g.Channels) : Wins<T>(g.Channels, outChannels));
    }

    /// <summary>y = conv2d(x, w) + b.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(x.Shape, w.Shape);
        int batch = x.Shape[0], outChannels = w.Shape[0];
        var result = TensorOps.Uninitialized<T>([batch, outChannels, g.OutHeight, g.OutWidth]);
        Run(x.CpuStorage.Data, x.Offset, batch, g.Channels, g.Height, g.Width, s.PadHeight, s.PadWidth, w, adjoint: false, outChannels,
            g.OutHeight, g.OutWidth, result.CpuStorage.Data, b?.CpuStorage.Data, b?.Offset ?? 0);
        return result;
    }

    /// <summary>∂L/∂x = conv2d(dY padded by 2 − padding, w flipped and transposed), from the contiguous upstream gradient dy.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(inputShape, w.Shape);
        int batch = inputShape[0], outChannels = w.Shape[0];
        var result = TensorOps.Uninitialized<T>(inputShape);
        Run(dy.CpuStorage.Data, dy.Offset, batch, outChannels, g.OutHeight, g.OutWidth, 2 - s.PadHeight, 2 - s.PadWidth, w, adjoint: true, g.Channels,
            g.Height, g.Width, result.CpuStorage.Data, null, 0);
        return result;
    }

    /// <summary>The convolution of the batch in <paramref name="source"/> (from <paramref name="offset"/>) with w's kernels (adjoint: flipped and transposed) into target.</summary>
    private static void Run<T>(T[] source, int offset, int batch, int inChannels, int height, int width, int top, int left, MtlTensor<T> w, bool adjoint,
        int outChannels, int outHeight, int outWidth, T[] target, T[]? bias, int biasOffset) where T : unmanaged, INumber<T>
    {
        int filterLength = WinogradConvolution.FilterLength<T>(inChannels, outChannels);
        T[] u = TensorArena.Rent<T>(filterLength);
        WinogradConvolution.TransformFilters<T>(w.CpuStorage.Data.AsSpan(w.Offset, w.Shape[0] * w.Shape[1] * 9), w.Shape[0], w.Shape[1], adjoint, u);
        int threads = TensorParallelism.Current.Degree;
        int samples = ChunkSamples<T>(batch, inChannels, outChannels, outHeight, outWidth, threads);
        int chunks = (batch + samples - 1) / samples, workers = Math.Min(threads, chunks);
        int scratchLength = WinogradConvolution.ScratchLength<T>(samples, inChannels, outChannels, outHeight, outWidth);
        T[] scratch = TensorArena.Rent<T>(workers * scratchLength);
        Conv2dDriver.ForEachShare(workers, chunks, chunks, new Chunks<T>(source, offset, batch, samples, inChannels, height, width, top, left, u, filterLength,
            outChannels, outHeight, outWidth, target, bias, biasOffset, scratch, scratchLength));
    }

    /// <summary>
    /// Samples per chunk: V and M about <see cref="ChunkBytes"/>, at most a thread's share of the batch, and where a smaller
    /// count (down to half) makes the tiles whole register tiles (12 tiles with AVX-512, 6 with AVX2), that count.
    /// </summary>
    internal static int ChunkSamples<T>(int batch, int inChannels, int outChannels, int outHeight, int outWidth, int threads) where T : unmanaged
    {
        int perSample = WinogradConvolution.TilesPerSample(outHeight, outWidth);
        long bytesPerSample = (long)WinogradConvolution.Positions * perSample *
            (WinogradConvolution.InputStride<T>(inChannels) + WinogradConvolution.OutputStride<T>(outChannels)) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        int samples = (int)Math.Clamp(ChunkBytes / bytesPerSample, 1, batch);
        if (threads > 1) samples = Math.Min(samples, (batch + threads - 1) / threads);
        for (int fewer = samples; fewer >= Math.Max(1, samples / 2); fewer--)
            if (fewer * perSample % WinogradConvolution.RegisterRows() == 0) return fewer;
        return samples;
    }

    /// <summary>Chunk <c>chunk</c>: samples [chunk·S, min(N, (chunk + 1)·S)) in worker's scratch.</summary>
    private readonly struct Chunks<T>(T[] source, int offset, int batch, int samples, int inChannels, int height, int width, int top, int left, T[] u,
        int filterLength, int outChannels, int outHeight, int outWidth, T[] target, T[]? bias, int biasOffset, T[] scratch, int scratchLength)
        : Conv2dDriver.IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int chunk, int firstChunk, int endChunk)
        {
            int first = chunk * samples, count = Math.Min(batch, first + samples) - first;
            int image = inChannels * height * width, outImage = outChannels * outHeight * outWidth;
            WinogradConvolution.Convolve<T>(source.AsSpan(offset + first * image, count * image), count, inChannels, height, width, top, left,
                u.AsSpan(0, filterLength), outChannels, outHeight, outWidth, target.AsSpan(first * outImage, count * outImage),
                bias is null ? default : bias.AsSpan(biasOffset, outChannels), scratch.AsSpan(worker * scratchLength, scratchLength));
        }
    }
}
