using System.Numerics;
using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tensors;

/// <summary>Which CPU algorithm runs a 2-d convolution (tests force each; the layers take <see cref="Auto"/>).</summary>
internal enum Conv2dAlgorithm
{
    /// <summary>Direct where it applies (<see cref="DirectConvolution.Applies{T}"/>), im2col + GEMM elsewhere.</summary>
    Auto,
    /// <summary>im2col + GEMM (<see cref="Conv2dDriver"/>), every geometry.</summary>
    Im2Col,
    /// <summary>The direct convolution (<see cref="Conv2dDirect"/>); refused where it does not apply.</summary>
    Direct,
}

/// <summary>
/// The direct convolution (<see cref="DirectConvolution"/>: stride 1, output rows of whole vectors) over a batch, for
/// contiguous CPU tensors:
/// <list type="bullet">
/// <item>forward: per sample, x padded once (Hp = Ho + dh·(kh − 1), Wp = Wo + dw·(kw − 1)), then Y[g] = b[g] + W[g]·B per group
/// with W packed once for the batch;</item>
/// <item>input gradient: a stride-1 convolution's adjoint is the convolution of dY, padded by dh·(kh − 1) − ph rows
/// (dw·(kw − 1) − pw columns), with the flipped, transposed weights w'[c, o, ki, kj] = w[o, c, kh − 1 − ki, kw − 1 − kj];
/// written directly, no col2im and no zeroing;</item>
/// <item>weight gradient: dW[g]ᵀ = Σₙ B[n, g]·dY[n, g]ᵀ over chunks of samples, vectorized over the output channels (dY
/// transposed per sample), every block of 6 entries k owned by one thread, so any thread count sums each element in the
/// same order (the same bits).</item>
/// </list>
/// The samples of the forward pass and the input gradient are claimed by whichever thread is free (each is written by
/// one thread alone, so the bits do not depend on the threads either). Scratch comes from the step's arena.
/// </summary>
internal static class Conv2dDirect
{
    /// <summary>
    /// The weight gradient's chunk: samples whose padded input and transposed upstream gradient take about 1 MiB, staged
    /// between two parallel passes and read back from L2. Measured on conv2d_b (CPU time, min of 15, a loaded 2 MiB-L2
    /// Xeon): 1 thread 4.4–4.6 ms at 256–512 KiB, 4.9 at 2 MiB, 5.5 at 8 MiB; 2 threads alike from 512 KiB to 2 MiB. 1 MiB
    /// halves the parallel passes (thread wake-ups) of 512 KiB.
    /// </summary>
    internal const long ChunkBytes = 1 << 20;

    /// <summary>The k entries of one share unit of the weight gradient: the kernel's tile width (6).</summary>
    private const int WeightColumns = 6;

    /// <summary>Whether <paramref name="algorithm"/> runs the forward pass and weight gradient of this geometry directly (throws when Direct is forced where it does not apply).</summary>
    public static bool Chosen<T>(Conv2dAlgorithm algorithm, in ConvolutionGeometry g, bool inputGradient = false)
    {
        bool applies = inputGradient ? DirectConvolution.AppliesToInputGradient<T>(g) : DirectConvolution.Applies<T>(g);
        if (algorithm == Conv2dAlgorithm.Direct && !applies)
            throw new ArgumentException(
                $"The direct convolution needs stride 1, AVX-512 and {(inputGradient ? "input" : "output")} rows of whole vectors of {typeof(T).Name}, but the geometry is {g}.");
        return algorithm != Conv2dAlgorithm.Im2Col && applies;
    }

    /// <summary>y = conv2d(x, w) + b.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(x.Shape, w.Shape);
        int batch = x.Shape[0], outChannels = w.Shape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, depth = cg * kh * kw, ho = g.OutHeight, wo = g.OutWidth, plane = ho * wo;
        int hp = ho + s.DilationHeight * (kh - 1), wp = wo + s.DilationWidth * (kw - 1), paddedPlane = hp * wp;
        int image = g.Channels * g.InputPlane, paddedImage = g.Channels * paddedPlane, packedLength = DirectConvolution.PackedLength(og, depth);
        var result = TensorOps.Uninitialized<T>([batch, outChannels, ho, wo]);
        T[] packed = TensorArena.Rent<T>(groups * packedLength);
        for (int group = 0; group < groups; group++)
            DirectConvolution.PackRows<T>(w.CpuStorage.Data.AsSpan(w.Offset + group * og * depth, og * depth), og, depth, packed.AsSpan(group * packedLength, packedLength));
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, cg, kh, kw, s.DilationHeight, s.DilationWidth, hp, wp);
        int workers = Math.Min(TensorParallelism.Current.Degree, batch);
        T[] scratch = TensorArena.Rent<T>(workers * paddedImage);
        T[] input = x.CpuStorage.Data, output = result.CpuStorage.Data;
        T[]? bias = b?.CpuStorage.Data;
        int xOffset = x.Offset, bOffset = b?.Offset ?? 0;
        Conv2dDriver.ForEachShare(workers, batch, batch, (worker, n, _, _) =>
        {
            var padded = scratch.AsSpan(worker * paddedImage, paddedImage);
            DirectConvolution.Pad<T>(input.AsSpan(xOffset + n * image, image), g.Channels, g.Height, g.Width, padded, hp, wp, s.PadHeight, s.PadWidth);
            for (int group = 0; group < groups; group++)
                DirectConvolution.Multiply<T>(og, depth, packed.AsSpan(group * packedLength, packedLength), offsets, padded[(group * cg * paddedPlane)..], wp, ho, wo,
                    output.AsSpan((n * outChannels + group * og) * plane, og * plane), bias is null ? default : bias.AsSpan(bOffset + group * og, og));
        });
        return result;
    }

    /// <summary>∂L/∂x = conv2d(dY padded, w flipped and transposed) per group, from the contiguous upstream gradient dy.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(inputShape, w.Shape);
        int batch = inputShape[0], outChannels = w.Shape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, dh = s.DilationHeight, dw = s.DilationWidth, depth = og * kh * kw;
        int height = g.Height, width = g.Width, ho = g.OutHeight, wo = g.OutWidth, outPlane = ho * wo;
        // dx[c, h, w] = Σ w[o, c, ki, kj]·dY[o, h + ph − ki·dh, …] = Σ w'[c, o, ki', kj']·dYpad[o, h + ki'·dh, w + kj'·dw] with ki' = kh − 1 − ki.
        int hq = height + dh * (kh - 1), wq = width + dw * (kw - 1), paddedPlane = hq * wq, top = dh * (kh - 1) - s.PadHeight, left = dw * (kw - 1) - s.PadWidth;
        int image = g.Channels * g.InputPlane, upstreamImage = outChannels * outPlane, paddedImage = outChannels * paddedPlane;
        int packedLength = DirectConvolution.PackedLength(cg, depth);
        var result = TensorOps.Uninitialized<T>(inputShape.ToArray());
        T[] packed = TensorArena.Rent<T>(groups * packedLength);
        int groupWeights = og * cg * kh * kw;
        for (int group = 0; group < groups; group++)
            DirectConvolution.PackFlippedTransposed<T>(w.CpuStorage.Data.AsSpan(w.Offset + group * groupWeights, groupWeights), og, cg, kh, kw,
                packed.AsSpan(group * packedLength, packedLength));
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, og, kh, kw, dh, dw, hq, wq);
        int workers = Math.Min(TensorParallelism.Current.Degree, batch);
        T[] scratch = TensorArena.Rent<T>(workers * paddedImage);
        T[] upstream = dy.CpuStorage.Data, dx = result.CpuStorage.Data;
        int dyOffset = dy.Offset;
        Conv2dDriver.ForEachShare(workers, batch, batch, (worker, n, _, _) =>
        {
            var padded = scratch.AsSpan(worker * paddedImage, paddedImage);
            DirectConvolution.Pad<T>(upstream.AsSpan(dyOffset + n * upstreamImage, upstreamImage), outChannels, ho, wo, padded, hq, wq, top, left);
            for (int group = 0; group < groups; group++)
                DirectConvolution.Multiply<T>(cg, depth, packed.AsSpan(group * packedLength, packedLength), offsets, padded[(group * og * paddedPlane)..], wq, height, width,
                    dx.AsSpan((n * g.Channels + group * cg) * g.InputPlane, cg * g.InputPlane), default);
        });
        return result;
    }

    /// <summary>
    /// ∂L/∂W[g]ᵀ = Σₙ B[n, g]·dY[n, g]ᵀ (B the padded input read through the offsets), from the contiguous dy and x, over
    /// chunks of samples of about <paramref name="chunkBytes"/> staged bytes: first each sample of the chunk is padded and its
    /// upstream gradient transposed (samples claimed by whichever thread is free), then the (group, 6 entries k) blocks of
    /// dWᵀ are shared in fixed contiguous shares, each summing the chunk's samples in order.
    /// </summary>
    public static MtlTensor<T> WeightGradient<T>(MtlTensor<T> dy, MtlTensor<T> x, ReadOnlySpan<int> weightShape, Conv2dSettings s, long chunkBytes = ChunkBytes)
        where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(x.Shape, weightShape);
        int batch = x.Shape[0], outChannels = weightShape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, depth = cg * kh * kw, ho = g.OutHeight, wo = g.OutWidth, plane = ho * wo;
        int hp = ho + s.DilationHeight * (kh - 1), wp = wo + s.DilationWidth * (kw - 1), paddedPlane = hp * wp;
        int image = g.Channels * g.InputPlane, paddedImage = g.Channels * paddedPlane, upstreamImage = outChannels * plane;
        int stride = DirectConvolution.TransposedStride<T>(og), transposedGroup = plane * stride, staged = paddedImage + groups * transposedGroup;
        var result = TensorOps.Uninitialized<T>(weightShape.ToArray());
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, cg, kh, kw, s.DilationHeight, s.DilationWidth, hp, wp);
        int gradientLength = groups * depth * stride, typeSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        T[] gradient = TensorArena.Rent<T>(gradientLength), input = x.CpuStorage.Data, upstream = dy.CpuStorage.Data;
        gradient.AsSpan(0, gradientLength).Clear();
        int chunk = (int)Math.Clamp(chunkBytes / ((long)staged * typeSize), 1, batch);
        T[] scratch = TensorArena.Rent<T>(chunk * staged);
        int xOffset = x.Offset, dyOffset = dy.Offset, threads = TensorParallelism.Current.Degree;
        int columnBlocks = (depth + WeightColumns - 1) / WeightColumns, units = groups * columnBlocks;
        for (int n0 = 0; n0 < batch; n0 += chunk)
        {
            int samples = Math.Min(chunk, batch - n0), first = n0;
            Conv2dDriver.ForEachShare(Math.Min(threads, samples), samples, (_, begin, end) =>
            {
                for (int n = begin; n < end; n++)
                {
                    var sample = scratch.AsSpan(n * staged, staged);
                    DirectConvolution.Pad<T>(input.AsSpan(xOffset + (first + n) * image, image), g.Channels, g.Height, g.Width, sample[..paddedImage], hp, wp, s.PadHeight, s.PadWidth);
                    for (int group = 0; group < groups; group++)
                        DirectConvolution.TransposeUpstream<T>(upstream.AsSpan(dyOffset + (first + n) * upstreamImage + group * og * plane, og * plane), og, plane,
                            sample.Slice(paddedImage + group * transposedGroup, transposedGroup), stride);
                }
            });
            Conv2dDriver.ForEachShare(Math.Min(threads, units), units, (_, firstUnit, endUnit) =>
            {
                for (int n = 0; n < samples; n++)
                {
                    var sample = scratch.AsSpan(n * staged, staged);
                    for (int unit = firstUnit; unit < endUnit;)
                    {
                        // The share's k blocks within this group at once.
                        int group = unit / columnBlocks, last = Math.Min(endUnit, (group + 1) * columnBlocks);
                        int firstColumn = unit % columnBlocks * WeightColumns, endColumn = Math.Min(depth, (last - group * columnBlocks) * WeightColumns);
                        DirectConvolution.AddWeightGradient<T>(stride, firstColumn, endColumn, sample.Slice(paddedImage + group * transposedGroup, transposedGroup),
                            sample[(group * cg * paddedPlane)..paddedImage], offsets.AsSpan(0, depth), wp, ho, wo, gradient.AsSpan(group * depth * stride, depth * stride));
                        unit = last;
                    }
                }
            });
        }
        var dw = result.CpuStorage.Data;
        for (int group = 0; group < groups; group++)
            for (int o = 0; o < og; o++)
                for (int k = 0; k < depth; k++) dw[(group * og + o) * depth + k] = gradient[(group * depth + k) * stride + o];
        return result;
    }
}
