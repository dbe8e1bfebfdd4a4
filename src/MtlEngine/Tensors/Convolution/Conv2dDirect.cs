using System.Numerics;
using System.Numerics.Tensors;
using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tensors;

/// <summary>Which CPU algorithm runs a 2-d convolution (tests force each; the layers take <see cref="Auto"/>).</summary>
internal enum Conv2dAlgorithm
{
    /// <summary>Winograd where it applies and wins (<see cref="Conv2dWinograd.Chosen{T}"/>; forward and input gradient), else direct
    /// where it applies (<see cref="DirectConvolution.Applies{T}"/>), else the direct convolution on widened rows where
    /// <see cref="Conv2dWidened.Chosen{T}"/> takes it (forward and input gradient), im2col + GEMM elsewhere.</summary>
    Auto,
    /// <summary>im2col + GEMM (<see cref="Conv2dDriver"/>), every geometry.</summary>
    Im2Col,
    /// <summary>The direct convolution (<see cref="Conv2dDirect"/>); refused where it does not apply.</summary>
    Direct,
    /// <summary>Winograd F(4×4, 3×3) (<see cref="Conv2dWinograd"/>) for the forward pass and the input gradient, refused where it
    /// does not apply; the weight gradient as Auto.</summary>
    Winograd,
    /// <summary>The direct convolution on widened rows (<see cref="Conv2dWidened"/>) for the forward pass and input gradient, refused where it does not apply; the weight gradient as Auto.</summary>
    Widened,
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
/// <item>weight gradient: dW[g]ᵀ = Σₙ B[n, g]·dY[n, g]ᵀ sample by sample, vectorized over the output channels (dY
/// transposed per sample), in partial sums over fixed runs of samples added in run order, so any thread count sums each
/// element in the same order (the same bits).</item>
/// </list>
/// The forward pass and the input gradient cut the batch into contiguous shares of samples, claimed by whichever thread is
/// free (each sample is written by one thread alone, so the bits do not depend on the threads either); each sample's
/// products prefetch the share's next sample into L2. Scratch comes from the step's arena.
/// </summary>
internal static class Conv2dDirect
{
    /// <summary>The k entries of one share unit of the weight gradient: the kernel's tile width (6).</summary>
    private const int WeightColumns = 6;

    /// <summary>
    /// Whether <paramref name="algorithm"/> runs the forward pass (the input gradient, the weight gradient) of this geometry
    /// directly (throws when Direct is forced where it does not apply). The weight gradient's kernels are AVX-512 only: on
    /// an AVX2 machine it runs as Auto (im2col + GEMM) even with Direct forced, as the Winograd and widened paths leave it.
    /// </summary>
    public static bool Chosen<T>(Conv2dAlgorithm algorithm, in ConvolutionGeometry g, bool inputGradient = false, bool weightGradient = false)
    {
        bool applies = inputGradient ? DirectConvolution.AppliesToInputGradient<T>(g) : DirectConvolution.Applies<T>(g);
        if (algorithm == Conv2dAlgorithm.Direct && !applies)
            throw new ArgumentException(
                $"The direct convolution needs stride 1, AVX-512 or AVX2 + FMA and {(inputGradient ? "input" : "output")} rows of whole vectors of {typeof(T).Name}, but the geometry is {g}.");
        if (weightGradient) applies = DirectConvolution.AppliesToWeightGradient<T>(g);
        return algorithm is Conv2dAlgorithm.Auto or Conv2dAlgorithm.Direct && applies;
    }

    /// <summary>Each group's weights (og rows of depth) packed for <see cref="DirectConvolution"/>'s forward kernel, in the step's arena.</summary>
    internal static T[] PackWeights<T>(MtlTensor<T> w, int groups, int og, int depth, int packedLength) where T : unmanaged, INumber<T>
    {
        T[] packed = TensorArena.Rent<T>(groups * packedLength);
        for (int group = 0; group < groups; group++)
            DirectConvolution.PackRows<T>(w.CpuStorage.Data.AsSpan(w.Offset + group * og * depth, og * depth), og, depth, packed.AsSpan(group * packedLength, packedLength));
        return packed;
    }

    /// <summary>Each group's weights flipped and transposed (w'[c, o, ki', kj']) and packed for the input gradient's kernel, in the step's arena.</summary>
    internal static T[] PackFlippedTransposedWeights<T>(MtlTensor<T> w, int groups, int og, int cg, int kh, int kw, int packedLength) where T : unmanaged, INumber<T>
    {
        T[] packed = TensorArena.Rent<T>(groups * packedLength);
        int groupWeights = og * cg * kh * kw;
        for (int group = 0; group < groups; group++)
            DirectConvolution.PackFlippedTransposed<T>(w.CpuStorage.Data.AsSpan(w.Offset + group * groupWeights, groupWeights), og, cg, kh, kw,
                packed.AsSpan(group * packedLength, packedLength));
        return packed;
    }

    /// <summary>y = conv2d(x, w) + b.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(x.Shape, w.Shape);
        int batch = x.Shape[0], outChannels = w.Shape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, depth = cg * kh * kw, ho = g.OutHeight, wo = g.OutWidth;
        int hp = ho + s.DilationHeight * (kh - 1), wp = wo + s.DilationWidth * (kw - 1);
        int paddedImage = g.Channels * hp * wp, packedLength = DirectConvolution.PackedLength(og, depth);
        var result = TensorOps.Uninitialized<T>([batch, outChannels, ho, wo]);
        T[] packed = PackWeights(w, groups, og, depth, packedLength);
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, cg, kh, kw, s.DilationHeight, s.DilationWidth, hp, wp);
        int workers = Math.Min(TensorParallelism.Current.Degree, batch);
        var pass = new SamplePass<T>(x.CpuStorage.Data, x.Offset, g.Channels, g.Height, g.Width, s.PadHeight, s.PadWidth, hp, wp,
            TensorArena.Rent<T>(workers * paddedImage), Unpadded(workers), groups, og, cg, depth, packed, packedLength, offsets, ho, wo, result.CpuStorage.Data, b?.CpuStorage.Data, b?.Offset ?? 0);
        Conv2dDriver.ForEachShare(workers, SampleShares(workers, batch), batch, pass);
        return result;
    }

    /// <summary>∂L/∂x = conv2d(dY padded, w flipped and transposed) per group, from the contiguous upstream gradient dy.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(inputShape, w.Shape);
        int batch = inputShape[0], outChannels = w.Shape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, dh = s.DilationHeight, dw = s.DilationWidth, depth = og * kh * kw;
        int height = g.Height, width = g.Width, ho = g.OutHeight, wo = g.OutWidth;
        // dx[c, h, w] = Σ w[o, c, ki, kj]·dY[o, h + ph − ki·dh, …] = Σ w'[c, o, ki', kj']·dYpad[o, h + ki'·dh, w + kj'·dw] with ki' = kh − 1 − ki.
        int hq = height + dh * (kh - 1), wq = width + dw * (kw - 1), top = dh * (kh - 1) - s.PadHeight, left = dw * (kw - 1) - s.PadWidth;
        int paddedImage = outChannels * hq * wq;
        int packedLength = DirectConvolution.PackedLength(cg, depth);
        var result = TensorOps.Uninitialized<T>(inputShape);
        T[] packed = PackFlippedTransposedWeights(w, groups, og, cg, kh, kw, packedLength);
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, og, kh, kw, dh, dw, hq, wq);
        int workers = Math.Min(TensorParallelism.Current.Degree, batch);
        var pass = new SamplePass<T>(dy.CpuStorage.Data, dy.Offset, outChannels, ho, wo, top, left, hq, wq,
            TensorArena.Rent<T>(workers * paddedImage), Unpadded(workers), groups, cg, og, depth, packed, packedLength, offsets, height, width, result.CpuStorage.Data, null, 0);
        Conv2dDriver.ForEachShare(workers, SampleShares(workers, batch), batch, pass);
        return result;
    }

    /// <summary>
    /// The forward pass and input gradient cut the batch into this many contiguous shares (claimed by whichever thread is
    /// free): 8 a thread (4 samples each for conv2d_b's 64 on 2 threads: the threads end at most a share apart), or one a
    /// thread for batches of up to 16 per thread, so that a share has a next sample to prefetch for most of its samples.
    /// </summary>
    private static int SampleShares(int workers, int batch) => workers <= 1 ? 1 : Math.Min(batch, batch >= 16 * workers ? 8 * workers : workers);

    /// <summary>Zeros, one per worker: no worker's scratch is padded yet.</summary>
    private static int[] Unpadded(int workers)
    {
        int[] padding = TensorArena.Rent<int>(workers);
        padding.AsSpan(0, workers).Clear();
        return padding;
    }

    /// <summary>
    /// The weight gradient sums the batch in at most this many fixed runs of samples, one partial sum each, added in run
    /// order at the end: the runs are the units the threads claim (each run's upstream gradient transposed and its input
    /// padded once), and they depend on the batch alone, so any thread count gives the same bits.
    /// </summary>
    private const int WeightSampleRuns = 8;

    /// <summary>The most elements the weight gradient's partial sums take (fewer runs for a larger gradient).</summary>
    private const long WeightPartialElements = 1 << 20;

    /// <summary>
    /// ∂L/∂W[g]ᵀ = Σₙ B[n, g]·dY[n, g]ᵀ (B the padded input read through the offsets), from the contiguous dy and x: the
    /// batch is cut into fixed runs of samples (<see cref="WeightSampleRuns"/>), each summed in order into its own partial
    /// dWᵀ, and the partial sums are added in run order. A unit of work is a run of samples × a range of (group, 6 entries k)
    /// blocks (one range for up to 2 threads; more ranges, and so more units, for more threads), claimed by whichever thread
    /// is free: per sample it pads the input channels its blocks read (the zero borders for the first sample only) and
    /// transposes the upstream gradient of its groups into the worker's scratch (L2-resident), then adds the sample into its
    /// blocks. With one range every sample is padded and transposed once, on whichever thread; a thread that wakes late
    /// leaves its runs to the other (one share a thread, each thread transposing all of dY, held up conv2d_b on 2 threads).
    /// </summary>
    public static MtlTensor<T> WeightGradient<T>(MtlTensor<T> dy, MtlTensor<T> x, ReadOnlySpan<int> weightShape, Conv2dSettings s)
        where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(x.Shape, weightShape);
        int batch = x.Shape[0], outChannels = weightShape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, depth = cg * kh * kw, ho = g.OutHeight, wo = g.OutWidth, plane = ho * wo;
        int hp = ho + s.DilationHeight * (kh - 1), wp = wo + s.DilationWidth * (kw - 1), paddedPlane = hp * wp;
        int paddedImage = g.Channels * paddedPlane;
        int stride = DirectConvolution.TransposedStride<T>(og), transposedGroup = plane * stride, staged = paddedImage + groups * transposedGroup;
        var result = TensorOps.Uninitialized<T>(weightShape);
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, cg, kh, kw, s.DilationHeight, s.DilationWidth, hp, wp);
        int gradientLength = groups * depth * stride;
        int runs = (int)Math.Clamp(WeightPartialElements / gradientLength, 1, Math.Min(batch, WeightSampleRuns));
        T[] gradient = TensorArena.Rent<T>(runs * gradientLength);
        gradient.AsSpan(0, runs * gradientLength).Clear();
        int columnBlocks = (depth + WeightColumns - 1) / WeightColumns, blocks = groups * columnBlocks;
        int threads = TensorParallelism.Current.Degree;
        int ranges = threads == 1 ? 1 : Math.Clamp((4 * threads + runs - 1) / runs, 1, blocks); // about 4 units a thread
        int units = runs * ranges, workers = Math.Min(threads, units);
        Conv2dDriver.ForEachShare(workers, units, units, new WeightShare<T>(x.CpuStorage.Data, x.Offset, dy.CpuStorage.Data, dy.Offset, TensorArena.Rent<T>(workers * staged),
            batch, runs, ranges, blocks, g.Channels, g.Height, g.Width, s.PadHeight, s.PadWidth, hp, wp, groups, og, cg, kh * kw, plane, stride, columnBlocks, depth,
            offsets, ho, wo, gradient, gradientLength));
        var whole = gradient.AsSpan(0, gradientLength);
        for (int run = 1; run < runs; run++) TensorPrimitives.Add(whole, gradient.AsSpan(run * gradientLength, gradientLength), whole);
        var dw = result.CpuStorage.Data;
        for (int group = 0; group < groups; group++)
            for (int o = 0; o < og; o++)
                for (int k = 0; k < depth; k++) dw[(group * og + o) * depth + k] = gradient[(group * depth + k) * stride + o];
        return result;
    }

    /// <summary>
    /// One sample of the forward pass or the input gradient (worker: the index of its scratch): the sample's source
    /// (x, or dY) padded into the worker's scratch (its zero borders written for the worker's first sample only:
    /// padding[worker] is 0 until then), then target[g] = bias[g] + A[g]·B per group.
    /// </summary>
    private readonly struct SamplePass<T>(T[] source, int sourceOffset, int channels, int height, int width, int top, int left, int paddedHeight,
        int paddedWidth, T[] scratch, int[] padding, int groups, int rows, int groupChannels, int depth, T[] packed, int packedLength, int[] offsets,
        int outHeight, int outWidth, T[] target, T[]? bias, int biasOffset) : Conv2dDriver.IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int share, int first, int end)
        {
            int image = channels * height * width, paddedPlane = paddedHeight * paddedWidth, paddedImage = channels * paddedPlane, outPlane = outHeight * outWidth;
            var padded = scratch.AsSpan(worker * paddedImage, paddedImage);
            for (int n = first; n < end; n++)
            {
                var sample = source.AsSpan(sourceOffset + n * image, image);
                if (padding[worker] == 0)
                {
                    DirectConvolution.Pad<T>(sample, channels, height, width, padded, paddedHeight, paddedWidth, top, left);
                    padding[worker] = 1; // the worker's borders are zero from now on
                }
                else DirectConvolution.PadInterior<T>(sample, channels, height, width, padded, paddedHeight, paddedWidth, top, left);
                // The share's next sample comes into L2 while this one is multiplied (a group's share of it per group).
                int groupImage = image / groups;
                for (int group = 0; group < groups; group++)
                    DirectConvolution.Multiply<T>(rows, depth, packed.AsSpan(group * packedLength, packedLength), offsets, padded[(group * groupChannels * paddedPlane)..],
                        paddedWidth, outHeight, outWidth, target.AsSpan(((n * groups + group) * rows) * outPlane, rows * outPlane),
                        bias is null ? default : bias.AsSpan(biasOffset + group * rows, rows),
                        n + 1 < end ? source.AsSpan(sourceOffset + (n + 1) * image + group * groupImage, groupImage) : default);
            }
        }
    }

    /// <summary>
    /// One unit of the weight gradient: the samples of run unit / ranges and the (group, 6 entries k) blocks of range
    /// unit % ranges, summed sample by sample in order into the run's partial dWᵀ (gradient[run·gradientLength ..]; what a
    /// unit computes does not depend on the thread that runs it). Per sample it pads the input channels its blocks read (the
    /// zero borders for the unit's first sample only) and transposes the upstream gradient of its groups into its scratch;
    /// the products fetch the next sample's upstream gradient into L2 on the way (the transposition reads 16 rows at once).
    /// </summary>
    private readonly struct WeightShare<T>(T[] input, int xOffset, T[] upstream, int dyOffset, T[] scratch, int batch, int runs, int ranges, int blocks,
        int channels, int height, int width, int padHeight, int padWidth, int paddedHeight, int paddedWidth, int groups, int rows, int groupChannels,
        int window, int plane, int stride, int columnBlocks, int depth, int[] offsets, int outHeight, int outWidth, T[] gradient, int gradientLength)
        : Conv2dDriver.IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int unit, int firstShare, int endShare)
        {
            int run = unit / ranges, range = unit % ranges;
            int firstUnit = (int)((long)blocks * range / ranges), endUnit = (int)((long)blocks * (range + 1) / ranges);
            int firstSample = (int)((long)batch * run / runs), endSample = (int)((long)batch * (run + 1) / runs);
            if (firstUnit >= endUnit || firstSample >= endSample) return;
            var target = gradient.AsSpan(run * gradientLength, gradientLength);
            int inputPlane = height * width, image = channels * inputPlane, paddedPlane = paddedHeight * paddedWidth, paddedImage = channels * paddedPlane;
            int transposedGroup = plane * stride, staged = paddedImage + groups * transposedGroup, upstreamImage = groups * rows * plane;
            // The groups and input channels the unit's k blocks read (k = (c, ki, kj) within a group, so c = k / (kh·kw)).
            int firstGroup = firstUnit / columnBlocks, lastGroup = (endUnit - 1) / columnBlocks;
            int firstChannel = firstGroup * groupChannels + firstUnit % columnBlocks * WeightColumns / window;
            int endChannel = lastGroup * groupChannels + (Math.Min(depth, ((endUnit - 1) % columnBlocks + 1) * WeightColumns) - 1) / window + 1;
            var sample = scratch.AsSpan(worker * staged, staged);
            var padded = sample.Slice(firstChannel * paddedPlane, (endChannel - firstChannel) * paddedPlane);
            for (int n = firstSample; n < endSample; n++)
            {
                var channelsRead = input.AsSpan(xOffset + n * image + firstChannel * inputPlane, (endChannel - firstChannel) * inputPlane);
                if (n == firstSample) DirectConvolution.Pad<T>(channelsRead, endChannel - firstChannel, height, width, padded, paddedHeight, paddedWidth, padHeight, padWidth);
                else DirectConvolution.PadInterior<T>(channelsRead, endChannel - firstChannel, height, width, padded, paddedHeight, paddedWidth, padHeight, padWidth);
                for (int group = firstGroup; group <= lastGroup; group++)
                    DirectConvolution.TransposeUpstream<T>(upstream.AsSpan(dyOffset + n * upstreamImage + group * rows * plane, rows * plane), rows, plane,
                        sample.Slice(paddedImage + group * transposedGroup, transposedGroup), stride);
                for (int unitBlock = firstUnit; unitBlock < endUnit;)
                {
                    // The unit's k blocks within this group at once.
                    int group = unitBlock / columnBlocks, last = Math.Min(endUnit, (group + 1) * columnBlocks);
                    int firstColumn = unitBlock % columnBlocks * WeightColumns, endColumn = Math.Min(depth, (last - group * columnBlocks) * WeightColumns);
                    DirectConvolution.AddWeightGradient<T>(stride, firstColumn, endColumn, sample.Slice(paddedImage + group * transposedGroup, transposedGroup),
                        sample[(group * groupChannels * paddedPlane)..paddedImage], offsets.AsSpan(0, depth), paddedWidth, outHeight, outWidth,
                        target.Slice(group * depth * stride, depth * stride),
                        n + 1 < endSample ? upstream.AsSpan(dyOffset + (n + 1) * upstreamImage + group * rows * plane, rows * plane) : default);
                    unitBlock = last;
                }
            }
        }
    }
}
