using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tensors;

/// <summary>The hyper-parameters of a 2-d convolution, saved on its autograd node.</summary>
internal sealed record Conv2dSettings(int StrideHeight, int StrideWidth, int PadHeight, int PadWidth, int DilationHeight, int DilationWidth, int Groups)
{
    /// <summary>The window geometry of this convolution over an input of shape (N, C, H, W) with a kh×kw kernel.</summary>
    public ConvolutionGeometry Geometry(ReadOnlySpan<int> input, ReadOnlySpan<int> weight) =>
        new(input[1], input[2], input[3], weight[2], weight[3], StrideHeight, StrideWidth, PadHeight, PadWidth, DilationHeight, DilationWidth);
}

/// <summary>
/// Convolution as im2col + GEMM over chunks of S samples side by side (Og = O/groups output and Cg = C/groups input
/// channels, K = Cg·kh·kw, P = Ho·Wo; cols is the K×(S·P) matrix whose column block s is the im2col of sample s, and
/// Y', dY' the S samples' outputs laid out the same way, O×(S·P)):
/// <list type="bullet">
/// <item>forward: Y'[g] (Og×S·P) = W[g] (Og×K) · cols[g] (K×S·P), then each block copied to its sample with the bias added;</item>
/// <item>input gradient: dcols[g] (K×S·P) = W[g]ᵀ · dY'[g], then dx[s] = col2im(block s) — Wᵀ is a view the GEMM reads by strides;</item>
/// <item>weight gradient: dW[g] (Og×K) = Σ_chunks dY'[g] · cols[g]ᵀ — colsᵀ is a view too;</item>
/// <item>bias gradient: db[o] = Σₙ Σₚ dY[n, o, p].</item>
/// </list>
/// Putting S samples side by side makes the output positions S·P GEMM's wide N dimension (a LeNet layer has P = 100:
/// per-sample products would be mostly edge tiles and packing); S is chosen so that cols stays about
/// <see cref="ChunkElements"/> elements (cache-sized). Each chunk is claimed by whichever thread is free and run in that
/// thread's scratch with a one-thread GEMM (the weight gradient adds up partial sums over fixed shares of the chunks, in
/// share order, so a given thread count always gives the same bits); a single chunk runs with a threaded GEMM instead.
/// Results and scratch come from the step's arena.
/// </summary>
internal static class Conv2dDriver
{
    /// <summary>
    /// The target size of a chunk's column matrix: 128 Ki elements (512 KiB of float) stay in a core's L2 beside the GEMM's
    /// packed blocks. Measured on a 2 MiB-L2 Xeon (CPU time, min of 30, a loaded machine): 1 Mi and whole-batch chunks
    /// were slower; 32 Ki to 512 Ki, and one sample a chunk, alike within the noise.
    /// </summary>
    internal const long ChunkElements = 1 << 17;

    /// <summary>
    /// Output planes of at least this many positions (a 16×16 image) make GEMMs wide enough one sample at a time; the
    /// sample's output and upstream gradient are then used in place, where side by side they are copied once more.
    /// </summary>
    internal const int WidePlane = 256;

    /// <summary>
    /// Below this many output channels (per group) the weight gradient is Og·K dot products of rows
    /// (<see cref="RowProducts"/>), not a GEMM: LeNet's first layer (6 × 25 from rows of 784) left GEMM's 12×32 register
    /// tile 60 % padding and packed every element of the long k into mostly-zero panels.
    /// </summary>
    internal const int RowProductsMaxChannels = 8;

    /// <summary>How a batch is cut: S samples per chunk, the chunk count, the worker count and the GEMM's threads.</summary>
    private readonly record struct Plan(int Samples, int Chunks, int Workers, Parallelism Gemm)
    {
        public static Plan For(int batch, int plane, long columnsPerSample, long chunkElements)
        {
            var threads = TensorParallelism.Current;
            int samples = (int)Math.Clamp(chunkElements / Math.Max(1, columnsPerSample), 1, batch);
            // Wide enough alone: no copies to and from the side-by-side layout (a chunk size other than the default, as tests
            // pass to force one layout or the other, is kept).
            if (plane >= WidePlane && chunkElements == ChunkElements) samples = 1;
            if (threads.Degree > 1) samples = Math.Min(samples, (batch + threads.Degree - 1) / threads.Degree); // a chunk per thread at least
            int chunks = (batch + samples - 1) / samples;
            int workers = Math.Min(threads.Degree, chunks);
            return workers > 1 ? new(samples, chunks, workers, Parallelism.Sequential) : new(samples, chunks, 1, threads);
        }

        /// <summary>The samples [first, end) of chunk <paramref name="chunk"/>.</summary>
        public (int First, int End) Range(int chunk, int batch) => (chunk * Samples, Math.Min(batch, (chunk + 1) * Samples));
    }

    /// <summary>y = conv2d(x, w) + b for contiguous CPU tensors.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s, long chunkElements = ChunkElements,
        Conv2dAlgorithm algorithm = Conv2dAlgorithm.Auto) where T : unmanaged, INumber<T>
    {
        var geometry = s.Geometry(x.Shape, w.Shape);
        if (Conv2dWinograd.Chosen<T>(algorithm, geometry, s.Groups, w.Shape[0])) return Conv2dWinograd.Forward(x, w, b, s);
        if (Conv2dDirect.Chosen<T>(algorithm, geometry)) return Conv2dDirect.Forward(x, w, b, s);
        if (Conv2dWidened.Chosen<T>(algorithm, geometry)) return Conv2dWidened.Forward(x, w, b, s);
        int batch = x.Shape[0], outChannels = w.Shape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane, image = geometry.Channels * geometry.InputPlane;
        var result = TensorOps.Uninitialized<T>([batch, outChannels, geometry.OutHeight, geometry.OutWidth]);
        var plan = Plan.For(batch, plane, (long)geometry.PatchLength * plane, chunkElements);
        int width = plan.Samples * plane, columns = geometry.PatchLength * width, outputs = outChannels * width;
        T[] scratch = TensorArena.Rent<T>(plan.Workers * (columns + outputs));
        T[] input = x.CpuStorage.Data, weight = w.CpuStorage.Data, output = result.CpuStorage.Data;
        T[]? bias = b?.CpuStorage.Data;
        int xOffset = x.Offset, wOffset = w.Offset, bOffset = b?.Offset ?? 0;
        ForEachShare(plan.Workers, plan.Chunks, plan.Chunks, new ForwardChunks<T>(plan, batch, plane, columns, outputs, width, scratch, input, xOffset, image,
            geometry, groups, weight, wOffset, og, k, output, outChannels, bias, bOffset));
        return result;
    }

    /// <summary>∂L/∂x from the contiguous upstream gradient dy: dcols = Wᵀ·dY' per group, then col2im per sample.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s, long chunkElements = ChunkElements,
        Conv2dAlgorithm algorithm = Conv2dAlgorithm.Auto) where T : unmanaged, INumber<T>
    {
        var geometry = s.Geometry(inputShape, w.Shape);
        if (Conv2dWinograd.Chosen<T>(algorithm, geometry, s.Groups, w.Shape[0], inputGradient: true)) return Conv2dWinograd.InputGradient(dy, w, inputShape, s);
        if (Conv2dDirect.Chosen<T>(algorithm, geometry, inputGradient: true)) return Conv2dDirect.InputGradient(dy, w, inputShape, s);
        if (Conv2dWidened.Chosen<T>(algorithm, geometry, inputGradient: true)) return Conv2dWidened.InputGradient(dy, w, inputShape, s);
        int batch = inputShape[0], outChannels = w.Shape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane, image = geometry.Channels * geometry.InputPlane;
        var result = TensorOps.Uninitialized<T>(inputShape);
        var plan = Plan.For(batch, plane, (long)geometry.PatchLength * plane, chunkElements);
        int width = plan.Samples * plane, columns = geometry.PatchLength * width, outputs = outChannels * width;
        T[] scratch = TensorArena.Rent<T>(plan.Workers * (columns + outputs));
        T[] upstream = dy.CpuStorage.Data, weight = w.CpuStorage.Data, dx = result.CpuStorage.Data;
        int dyOffset = dy.Offset, wOffset = w.Offset;
        ForEachShare(plan.Workers, plan.Chunks, plan.Chunks, new InputGradientChunks<T>(plan, batch, plane, columns, outputs, width, scratch, upstream, dyOffset,
            outChannels, groups, weight, wOffset, og, k, dx, image, geometry));
        return result;
    }

    /// <summary>∂L/∂W = Σ_chunks dY'·colsᵀ per group, from the contiguous upstream gradient and input.</summary>
    public static MtlTensor<T> WeightGradient<T>(MtlTensor<T> dy, MtlTensor<T> x, ReadOnlySpan<int> weightShape, Conv2dSettings s, long chunkElements = ChunkElements,
        Conv2dAlgorithm algorithm = Conv2dAlgorithm.Auto) where T : unmanaged, INumber<T>
    {
        var geometry = s.Geometry(x.Shape, weightShape);
        if (algorithm is Conv2dAlgorithm.Winograd or Conv2dAlgorithm.Widened) algorithm = Conv2dAlgorithm.Auto; // they cover the forward pass and input gradient only
        if (Conv2dDirect.Chosen<T>(algorithm, geometry, weightGradient: true)) return Conv2dDirect.WeightGradient(dy, x, weightShape, s);
        int batch = x.Shape[0], outChannels = weightShape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane, image = geometry.Channels * geometry.InputPlane;
        var result = TensorOps.Uninitialized<T>(weightShape);
        var plan = Plan.For(batch, plane, (long)geometry.PatchLength * plane, chunkElements);
        int width = plan.Samples * plane, columns = geometry.PatchLength * width, outputs = outChannels * width, weights = outChannels * k;
        T[] scratch = TensorArena.Rent<T>(plan.Workers * (columns + outputs));
        int shares = plan.Workers > 1 ? Math.Min(plan.Chunks, SharesPerWorker * plan.Workers) : 1;
        T[] partials = TensorArena.Rent<T>(Math.Max(1, (shares - 1) * weights)); // shares 1.. sum here, share 0 into the result
        T[] upstream = dy.CpuStorage.Data, input = x.CpuStorage.Data, dw = result.CpuStorage.Data;
        int dyOffset = dy.Offset, xOffset = x.Offset;
        ForEachShare(plan.Workers, shares, plan.Chunks, new WeightGradientShares<T>(plan, batch, plane, columns, outputs, width, weights, scratch, partials, dw,
            input, xOffset, image, geometry, upstream, dyOffset, outChannels, groups, og, k));
        for (int share = 1; share < shares; share++)
            TensorPrimitives.Add(dw.AsSpan(0, weights), partials.AsSpan((share - 1) * weights, weights), dw.AsSpan(0, weights));
        return result;
    }

    /// <summary>∂L/∂b[o] = Σₙ Σₚ dY[n, o, p] from the contiguous upstream gradient of shape (N, O, Ho, Wo).</summary>
    public static MtlTensor<T> BiasGradient<T>(MtlTensor<T> dy) where T : unmanaged, INumber<T>
    {
        int batch = dy.Shape[0], outChannels = dy.Shape[1], plane = dy.Shape[2] * dy.Shape[3];
        var result = TensorOps.Uninitialized<T>([outChannels]);
        // Channels shared among the threads (each summed by one thread in the same order: the bits do not depend on the
        // thread count), when there is enough to read (conv2d_b's 4 MB took 0.25 ms on one thread).
        int threads = TensorParallelism.Current.Degree;
        int workers = (int)Math.Clamp((long)batch * outChannels * plane / ParallelThresholds.ConvolutionPlaneElementsPerThread, 1, Math.Min(threads, outChannels));
        ForEachShare(workers, outChannels, new BiasSums<T>(dy.CpuStorage.Data, dy.Offset, batch, outChannels, plane, result.CpuStorage.Data));
        return result;
    }

    /// <summary>
    /// db[o] = Σₙ Σₚ dY[n, o, p] for the share's channels o, read sample by sample: a sample's channels of the share lie side
    /// by side, one run of memory that the prefetchers follow (channel by channel read one plane per sample, O·P elements
    /// apart). Each db[o] still starts at 0 and adds its samples' plane sums in sample order, as a channel-by-channel loop.
    /// </summary>
    private readonly struct BiasSums<T>(T[] upstream, int offset, int batch, int outChannels, int plane, T[] db) : IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int share, int first, int end)
        {
            db.AsSpan(first, end - first).Clear();
            for (int n = 0; n < batch; n++)
            {
                int start = offset + (n * outChannels + first) * plane;
                for (int o = first; o < end; o++) db[o] += SumOf(upstream.AsSpan(start + (o - first) * plane, plane));
            }
        }
    }

    /// <summary>Σ values, in four vector accumulators (independent add chains, so the loop runs at load speed, not add latency) then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T SumOf<T>(ReadOnlySpan<T> values) where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count, j = 0;
        Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, s2 = Vector<T>.Zero, s3 = Vector<T>.Zero;
        for (; j <= values.Length - 4 * w; j += 4 * w)
        {
            s0 += new Vector<T>(values.Slice(j));
            s1 += new Vector<T>(values.Slice(j + w));
            s2 += new Vector<T>(values.Slice(j + 2 * w));
            s3 += new Vector<T>(values.Slice(j + 3 * w));
        }
        for (; j <= values.Length - w; j += w) s0 += new Vector<T>(values.Slice(j));
        T sum = Vector.Sum((s0 + s1) + (s2 + s3));
        for (; j < values.Length; j++) sum += values[j];
        return sum;
    }

    /// <summary>
    /// Samples [first, end) of an (N, O, P) tensor in the O × (S·P) layout, sample s in column block s: copied into the
    /// target, or, with one sample a chunk (width = P: already an O × P matrix), the source itself. Returns where the layout starts.
    /// </summary>
    private static (T[] Array, int Offset) SideBySide<T>(T[] source, int offset, int first, int end, int channels, int plane, T[] target, int targetOffset, int width)
    {
        if (width == plane) return (source, offset + first * channels * plane); // one sample a chunk
        for (int i = first; i < end; i++)
            for (int o = 0; o < channels; o++)
                source.AsSpan(offset + (i * channels + o) * plane, plane).CopyTo(target.AsSpan(targetOffset + o * width + (i - first) * plane, plane));
        return (target, targetOffset);
    }

    /// <summary>The tensor's elements as a contiguous CPU tensor (itself when it already is one).</summary>
    internal static MtlTensor<T> Dense<T>(MtlTensor<T> x) where T : unmanaged, INumber<T> => x.IsContiguous ? x : x.Detach().Contiguous();

    /// <summary>One share [first, end) of a threaded convolution loop, run by <c>worker</c> (the index of its scratch): a struct, so that a loop allocates no closure.</summary>
    internal interface IShare
    {
        /// <summary>Runs share <paramref name="share"/>, the elements [<paramref name="first"/>, <paramref name="end"/>), on worker <paramref name="worker"/>'s scratch.</summary>
        void Run(int worker, int share, int first, int end);
    }

    /// <summary>A plane loop's share: a run of planes (a struct, as <see cref="IShare"/>).</summary>
    internal interface IPlaneShare
    {
        /// <summary>Runs the planes [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>).</summary>
        void Run(int first, int count);
    }

    /// <summary>Splits the planes over the current threads when there is enough work (about 64 K input elements a thread).</summary>
    internal static void ForEachPlaneShare<TBody>(int planes, int planeLength, TBody body) where TBody : struct, IPlaneShare
    {
        int threads = TensorParallelism.Current.Degree;
        int workers = (int)Math.Clamp((long)planes * planeLength / ParallelThresholds.ConvolutionPlaneElementsPerThread, 1, Math.Min(threads, Math.Max(1, planes)));
        ForEachShare(workers, planes, new PlaneShares<TBody>(body));
    }

    /// <summary><see cref="IPlaneShare"/> as an <see cref="IShare"/>.</summary>
    private readonly struct PlaneShares<TBody>(TBody body) : IShare where TBody : struct, IPlaneShare
    {
        public void Run(int worker, int share, int first, int end) => body.Run(first, end - first);
    }

    /// <summary>Runs body.Run(worker, share, first, end) over fixed contiguous shares of [0, count), one per worker, on the caller's thread when there is one.</summary>
    internal static void ForEachShare<TBody>(int workers, int count, TBody body) where TBody : struct, IShare =>
        ForEachShare(workers, workers, count, body);

    /// <summary>
    /// The weight gradient's partial sums per share: more shares than threads, so that a thread that wakes late (a busy
    /// machine, a sleeping pool worker) leaves its shares to the others instead of holding up the whole product.
    /// </summary>
    private const int SharesPerWorker = 4;

    /// <summary>
    /// Runs body.Run(worker, share, first, end) over <paramref name="shares"/> fixed contiguous shares [first, end) of
    /// [0, count), each share claimed by whichever of the <paramref name="workers"/> threads is free (worker: the index of
    /// the thread's scratch). What a share computes depends on its bounds alone, never on the thread that runs it. The
    /// body is a struct and the claim counter comes from the step's arena, so a call allocates nothing inside a step.
    /// </summary>
    internal static void ForEachShare<TBody>(int workers, int shares, int count, TBody body) where TBody : struct, IShare
    {
        if (workers <= 1 || shares <= 1)
        {
            for (int share = 0; share < shares; share++)
                body.Run(0, share, (int)((long)count * share / shares), (int)((long)count * (share + 1) / shares));
            return;
        }
        int[] next = TensorArena.Rent<int>(1);
        next[0] = 0;
        Kernels.ForkJoin.Run(Math.Min(workers, shares), new Claims<TBody>(body, shares, count, next)); // no Parallel.For allocations per call
    }

    /// <summary>Worker w of <see cref="ForEachShare{TBody}(int, int, int, TBody)"/>: claims shares until none is left.</summary>
    private readonly struct Claims<TBody>(TBody body, int shares, int count, int[] next) : Kernels.IShareBody where TBody : struct, IShare
    {
        public void Run(int worker)
        {
            int share;
            while ((share = Interlocked.Increment(ref next[0]) - 1) < shares)
                body.Run(worker, share, (int)((long)count * share / shares), (int)((long)count * (share + 1) / shares));
        }
    }

    /// <summary>One chunk of the im2col forward pass (worker: the index of its scratch).</summary>
    private readonly struct ForwardChunks<T>(Plan plan, int batch, int plane, int columns, int outputs, int width, T[] scratch, T[] input, int xOffset,
        int image, ConvolutionGeometry geometry, int groups, T[] weight, int wOffset, int og, int k, T[] output, int outChannels, T[]? bias, int bOffset)
        : IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int chunk, int firstChunk, int endChunk)
        {
            int colsOffset = worker * (columns + outputs), yOffset = colsOffset + columns;
            var (first, end) = plan.Range(chunk, batch);
            int n = (end - first) * plane; // this chunk's width (the last may be narrower)
            for (int i = first; i < end; i++)
                Im2Col.Gather<T>(input.AsSpan(xOffset + i * image, image), scratch.AsSpan(colsOffset + (i - first) * plane), geometry, width);
            // One sample per chunk: Y' is the sample's own (O, P) output, written in place (no copy back).
            bool direct = plan.Samples == 1; // (then width = P)
            T[] yArray = direct ? output : scratch;
            int yStart = direct ? first * outChannels * plane : yOffset;
            for (int g = 0; g < groups; g++)
                Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(weight, wOffset + g * og * k, og, k, k, 1),
                    new ReadOnlyMatrixSpan<T>(scratch, colsOffset + g * k * width, k, n, width, 1), T.Zero,
                    new MatrixSpan<T>(yArray, yStart + g * og * width, og, n, width, 1), plan.Gemm);
            if (direct)
            {
                if (bias is not null)
                    for (int o = 0; o < outChannels; o++)
                    {
                        var row = output.AsSpan(yStart + o * plane, plane);
                        TensorPrimitives.Add(row, bias[bOffset + o], row);
                    }
                return;
            }
            // Y' (O × S·P) back to (S, O, P), the bias added on the way.
            for (int i = first; i < end; i++)
                for (int o = 0; o < outChannels; o++)
                {
                    var source = scratch.AsSpan(yOffset + o * width + (i - first) * plane, plane);
                    var target = output.AsSpan((i * outChannels + o) * plane, plane);
                    if (bias is null) source.CopyTo(target);
                    else TensorPrimitives.Add(source, bias[bOffset + o], target);
                }
        }
    }

    /// <summary>One chunk of the im2col input gradient (worker: the index of its scratch).</summary>
    private readonly struct InputGradientChunks<T>(Plan plan, int batch, int plane, int columns, int outputs, int width, T[] scratch, T[] upstream,
        int dyOffset, int outChannels, int groups, T[] weight, int wOffset, int og, int k, T[] dx, int image, ConvolutionGeometry geometry)
        : IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int chunk, int firstChunk, int endChunk)
        {
            int colsOffset = worker * (columns + outputs), dyChunk = colsOffset + columns;
            var (first, end) = plan.Range(chunk, batch);
            int n = (end - first) * plane;
            var (dyArray, dyStart) = SideBySide(upstream, dyOffset, first, end, outChannels, plane, scratch, dyChunk, width);
            for (int g = 0; g < groups; g++)
                Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(weight, wOffset + g * og * k, k, og, 1, k),
                    new ReadOnlyMatrixSpan<T>(dyArray, dyStart + g * og * width, og, n, width, 1), T.Zero,
                    new MatrixSpan<T>(scratch, colsOffset + g * k * width, k, n, width, 1), plan.Gemm);
            for (int i = first; i < end; i++)
            {
                var sample = dx.AsSpan(i * image, image);
                sample.Clear();
                Im2Col.ScatterAdd<T>(scratch.AsSpan(colsOffset + (i - first) * plane), sample, geometry, width);
            }
        }
    }

    /// <summary>One share of chunks of the im2col weight gradient, summed into the result (share 0) or its partial sums.</summary>
    private readonly struct WeightGradientShares<T>(Plan plan, int batch, int plane, int columns, int outputs, int width, int weights, T[] scratch,
        T[] partials, T[] dw, T[] input, int xOffset, int image, ConvolutionGeometry geometry, T[] upstream, int dyOffset, int outChannels,
        int groups, int og, int k) : IShare where T : unmanaged, INumber<T>
    {
        public void Run(int worker, int share, int firstChunk, int endChunk)
        {
            T[] target = share == 0 ? dw : partials;
            int targetOffset = share == 0 ? 0 : (share - 1) * weights;
            int colsOffset = worker * (columns + outputs), dyChunk = colsOffset + columns;
            target.AsSpan(targetOffset, weights).Clear();
            for (int chunk = firstChunk; chunk < endChunk; chunk++)
            {
                var (first, end) = plan.Range(chunk, batch);
                int n = (end - first) * plane;
                for (int i = first; i < end; i++)
                    Im2Col.Gather<T>(input.AsSpan(xOffset + i * image, image), scratch.AsSpan(colsOffset + (i - first) * plane), geometry, width);
                var (dyArray, dyStart) = SideBySide(upstream, dyOffset, first, end, outChannels, plane, scratch, dyChunk, width);
                for (int g = 0; g < groups; g++)
                {
                    if (og < RowProductsMaxChannels)
                        RowProducts.AddTo<T>(og, k, n, dyArray.AsSpan(dyStart + g * og * width), width, scratch.AsSpan(colsOffset + g * k * width), width,
                            target.AsSpan(targetOffset + g * og * k), k);
                    else
                        Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(dyArray, dyStart + g * og * width, og, n, width, 1),
                            new ReadOnlyMatrixSpan<T>(scratch, colsOffset + g * k * width, n, k, 1, width), T.One,
                            new MatrixSpan<T>(target, targetOffset + g * og * k, og, k, k, 1), plan.Gemm);
                }
            }
        }
    }
}
