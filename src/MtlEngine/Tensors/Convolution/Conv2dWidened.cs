using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tensors;

/// <summary>
/// The direct convolution (<see cref="DirectConvolution"/>) for stride-1 geometries whose rows are not whole vectors:
/// the forward pass on output rows widened to whole vectors, Wv = ⌈Wo/L⌉·L (LeNet's 28 → 32 and 10 → 16 of float), and
/// the input gradient on input rows widened the same way (14 → 16). Per sample, the source is padded into rows of
/// Wv + dw·(kw − 1) (zeros past the image), the kernel computes the Wv-wide rows into the worker's scratch, and their first
/// Wo columns are copied out: the columns past Wo are computed from the zero padding and the next row's values and
/// dropped, so they never reach a result (a non-finite input there changes nothing). It replaces im2col + GEMM, whose
/// column matrix and packed copy of it cost more than the widened rows' spare lanes where at least
/// <see cref="MinimumFillEighths"/>/8 of the lanes hold outputs.
/// <list type="bullet">
/// <item>forward: Y[g] = b[g] + W[g]·B per group and sample, W packed once for the batch (as <see cref="Conv2dDirect"/>);</item>
/// <item>input gradient: the convolution of dY, padded by dh·(kh − 1) − ph rows and dw·(kw − 1) − pw columns, with the
/// flipped, transposed weights (as <see cref="Conv2dDirect"/>).</item>
/// </list>
/// The batch is cut into contiguous shares of samples claimed by whichever thread is free, and each sample is written by
/// one thread alone in a fixed order, so the bits do not depend on the thread count. The weight gradient stays with
/// <see cref="Conv2dDriver"/> (widened rows would multiply the padding by zeros of dY, and a non-finite input would turn
/// them into NaN). <see cref="ConvolutionReference"/> is the textbook twin in the tests.
/// </summary>
internal static class Conv2dWidened
{
    /// <summary>
    /// The widened rows must be at least this many eighths full (Wo/Wv ≥ 5/8): 28 of 32 and 10 of 16 lanes take this path,
    /// 7 of 16 does not (im2col + GEMM fills its tiles whatever the width).
    /// </summary>
    internal const int MinimumFillEighths = 5;

    /// <summary>Whether this geometry's forward pass (or input gradient) runs on widened rows under <paramref name="algorithm"/> (throws when Widened is forced where it does not apply).</summary>
    public static bool Chosen<T>(Conv2dAlgorithm algorithm, in ConvolutionGeometry g, bool inputGradient = false)
    {
        if (algorithm is not (Conv2dAlgorithm.Auto or Conv2dAlgorithm.Widened)) return false;
        bool forced = algorithm == Conv2dAlgorithm.Widened;
        int width = inputGradient ? g.Width : g.OutWidth;
        bool runs = DirectConvolution.IsAvailable<T>() && g.StrideHeight == 1 && g.StrideWidth == 1;
        if (forced)
        {
            if (!runs)
                throw new ArgumentException($"The widened direct convolution needs stride 1, AVX-512 or AVX2 + FMA and float or double ({typeof(T).Name}), but the geometry is {g}.");
            return true;
        }
        if (!runs || width % DirectConvolution.RunLength<T>() == 0) return false; // whole runs: the direct convolution proper
        return 8L * width >= (long)MinimumFillEighths * Widen<T>(width);
    }

    /// <summary>Wv = ⌈width/L⌉·L.</summary>
    internal static int Widen<T>(int width)
    {
        int lanes = DirectConvolution.RunLength<T>();
        return (width + lanes - 1) / lanes * lanes;
    }

    /// <summary>y = conv2d(x, w) + b for contiguous CPU tensors, stride 1.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(x.Shape, w.Shape);
        int batch = x.Shape[0], outChannels = w.Shape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, depth = cg * kh * kw, ho = g.OutHeight, wo = g.OutWidth, wide = Widen<T>(wo);
        int hp = ho + s.DilationHeight * (kh - 1), wp = wide + s.DilationWidth * (kw - 1);
        int packedLength = DirectConvolution.PackedLength(og, depth);
        var result = TensorOps.Uninitialized<T>([batch, outChannels, ho, wo]);
        T[] packed = Conv2dDirect.PackWeights(w, groups, og, depth, packedLength);
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, cg, kh, kw, s.DilationHeight, s.DilationWidth, hp, wp);
        var pass = new WidePass<T>(x.CpuStorage.Data, x.Offset, g.Channels, g.Height, g.Width, s.PadHeight, s.PadWidth, hp, wp, groups, og, cg, depth,
            packed, packedLength, offsets, ho, wo, wide, result.CpuStorage.Data, b?.CpuStorage.Data, b?.Offset ?? 0);
        Run(pass, batch, g.Channels * hp * wp, outChannels * ho * wide);
        return result;
    }

    /// <summary>∂L/∂x = conv2d(dY padded, w flipped and transposed) per group, from the contiguous upstream gradient dy, stride 1.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var g = s.Geometry(inputShape, w.Shape);
        int batch = inputShape[0], outChannels = w.Shape[0], groups = s.Groups, og = outChannels / groups, cg = g.Channels / groups;
        int kh = g.KernelHeight, kw = g.KernelWidth, dh = s.DilationHeight, dw = s.DilationWidth, depth = og * kh * kw;
        int height = g.Height, width = g.Width, wide = Widen<T>(width);
        // dx[c, h, w] = Σ w'[c, o, ki', kj']·dYpad[o, h + ki'·dh, w + kj'·dw] with ki' = kh − 1 − ki (as Conv2dDirect.InputGradient).
        int hq = height + dh * (kh - 1), wq = wide + dw * (kw - 1), top = dh * (kh - 1) - s.PadHeight, left = dw * (kw - 1) - s.PadWidth;
        int packedLength = DirectConvolution.PackedLength(cg, depth);
        var result = TensorOps.Uninitialized<T>(inputShape);
        T[] packed = Conv2dDirect.PackFlippedTransposedWeights(w, groups, og, cg, kh, kw, packedLength);
        int[] offsets = TensorArena.Rent<int>(depth);
        DirectConvolution.Offsets(offsets, og, kh, kw, dh, dw, hq, wq);
        var pass = new WidePass<T>(dy.CpuStorage.Data, dy.Offset, outChannels, g.OutHeight, g.OutWidth, top, left, hq, wq, groups, cg, og, depth,
            packed, packedLength, offsets, height, width, wide, result.CpuStorage.Data, null, 0);
        Run(pass, batch, outChannels * hq * wq, g.Channels * height * wide);
        return result;
    }

    /// <summary>The pass over the batch: shares of samples (8 a thread for 16 or more samples a thread, else one), each worker with its padded source and wide output.</summary>
    private static void Run<T>(WidePass<T> pass, int batch, int paddedImage, int wideImage) where T : unmanaged, INumber<T>
    {
        int workers = Math.Min(TensorParallelism.Current.Degree, batch);
        int shares = workers <= 1 ? 1 : Math.Min(batch, batch >= 16 * workers ? 8 * workers : workers);
        int[] padding = TensorArena.Rent<int>(workers);
        padding.AsSpan(0, workers).Clear();
        Conv2dDriver.ForEachShare(workers, shares, batch, pass with { Scratch = TensorArena.Rent<T>(workers * (paddedImage + wideImage)), Padding = padding });
    }

    /// <summary>
    /// output[r·width + j] = wide[r·wideWidth + j] for j &lt; width, r &lt; rows: whole Wv-wide rows of vectors, whose columns past
    /// the row land in the next rows' outputs and are overwritten by them (rows go in order), while they stay inside the
    /// output; the rest row by row exactly (a row of a few vectors: one span copy each cost as much as the convolution).
    /// Vectors of <typeparamref name="TPath"/>: production runs <see cref="NativeVectors"/>, the tests the 256-bit form too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void CopyRows<T, TPath>(ReadOnlySpan<T> wide, int wideWidth, Span<T> output, int width, int rows)
        where T : unmanaged, INumber<T>
        where TPath : struct, IVectorPath
    {
        int lanes = TPath.Wide ? Vector512<T>.Count : Vector256<T>.Count;
        if (wide.Length < (long)rows * wideWidth || output.Length < (long)rows * width || width > wideWidth || wideWidth % lanes != 0)
            throw new ArgumentException($"CopyRows needs {rows} rows of {wideWidth} (a multiple of {lanes}) into rows of {width} ≤ {wideWidth}.");
        ref T from = ref MemoryMarshal.GetReference(wide);
        ref T to = ref MemoryMarshal.GetReference(output);
        int row = 0;
        for (; row < rows && (long)row * width + wideWidth <= (long)rows * width; row++)
            for (int j = 0; j < wideWidth; j += lanes)
                if (TPath.Wide)
                    Vector512.LoadUnsafe(ref from, (nuint)(row * wideWidth + j)).StoreUnsafe(ref to, (nuint)(row * width + j));
                else Vector256.LoadUnsafe(ref from, (nuint)(row * wideWidth + j)).StoreUnsafe(ref to, (nuint)(row * width + j));
        for (; row < rows; row++) wide.Slice(row * wideWidth, width).CopyTo(output.Slice(row * width, width));
    }

    /// <summary>
    /// One share of samples (worker: the index of its scratch): per sample the source (x, or dY) padded into the worker's
    /// scratch (the zero borders written for the worker's first sample only: padding[worker] is 0 until then), the
    /// Wv-wide rows target[g] = bias[g] + A[g]·B per group computed into the scratch after it, and their first Wo columns
    /// copied to the sample's output.
    /// </summary>
    private readonly record struct WidePass<T>(T[] Source, int SourceOffset, int Channels, int Height, int Width, int Top, int Left, int PaddedHeight,
        int PaddedWidth, int Groups, int Rows, int GroupChannels, int Depth, T[] Packed, int PackedLength, int[] Offsets, int OutHeight, int OutWidth,
        int WideWidth, T[] Target, T[]? Bias, int BiasOffset) : Conv2dDriver.IShare where T : unmanaged, INumber<T>
    {
        public T[] Scratch { get; init; } = [];

        public int[] Padding { get; init; } = [];

        public void Run(int worker, int share, int first, int end)
        {
            int image = Channels * Height * Width, paddedPlane = PaddedHeight * PaddedWidth, paddedImage = Channels * paddedPlane;
            int outRows = Groups * Rows * OutHeight, widePlane = OutHeight * WideWidth, wideImage = Groups * Rows * widePlane;
            var padded = Scratch.AsSpan(worker * (paddedImage + wideImage), paddedImage);
            var wide = Scratch.AsSpan(worker * (paddedImage + wideImage) + paddedImage, wideImage);
            int groupImage = image / Groups;
            for (int n = first; n < end; n++)
            {
                var sample = Source.AsSpan(SourceOffset + n * image, image);
                if (Padding[worker] == 0)
                {
                    DirectConvolution.Pad<T>(sample, Channels, Height, Width, padded, PaddedHeight, PaddedWidth, Top, Left);
                    Padding[worker] = 1; // the worker's borders (and the columns past the image) are zero from now on
                }
                else DirectConvolution.PadInterior<T>(sample, Channels, Height, Width, padded, PaddedHeight, PaddedWidth, Top, Left);
                for (int group = 0; group < Groups; group++)
                    DirectConvolution.Multiply<T>(Rows, Depth, Packed.AsSpan(group * PackedLength, PackedLength), Offsets, padded[(group * GroupChannels * paddedPlane)..],
                        PaddedWidth, OutHeight, WideWidth, wide.Slice(group * Rows * widePlane, Rows * widePlane),
                        Bias is null ? default : Bias.AsSpan(BiasOffset + group * Rows, Rows),
                        n + 1 < end ? Source.AsSpan(SourceOffset + (n + 1) * image + group * groupImage, groupImage) : default);
                CopyRows<T, NativeVectors>(wide, WideWidth, Target.AsSpan(n * outRows * OutWidth, outRows * OutWidth), OutWidth, outRows);
            }
        }
    }
}
