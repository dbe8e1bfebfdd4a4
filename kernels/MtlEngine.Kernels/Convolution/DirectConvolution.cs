using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// Direct (implicit-GEMM) convolution at stride 1 with AVX-512 (and, for <see cref="Multiply{T}"/>, AVX2 + FMA on 256-bit
/// vectors: the Zen 3 path): the products of im2col + GEMM without the column matrix.
/// The image is copied once into a zero-padded plane per channel (Hp = Ho + dh·(kh − 1) rows, Wp = Wo + dw·(kw − 1)
/// columns), so that row k = (c, ki, kj) of the im2col matrix, at output position (oh, ow), is the padded image at
/// <c>offsets[k] + oh·Wp + ow</c> with <c>offsets[k] = c·Hp·Wp + ki·dh·Wp + kj·dw</c>: a run of L = Vector512&lt;T&gt;.Count (or Vector256's)
/// consecutive output columns is one vector load. A GEMM microkernel then reads B through the offsets instead of a packed
/// panel:
/// <list type="bullet">
/// <item><see cref="Multiply{T}"/>: Y (rows × Ho·Wo) = bias + A (rows × depth, packed by <see cref="PackRows{T}"/>) · B, the
/// forward pass (A = W, B = the padded input) and, with the upstream gradient padded instead and A = the flipped, transposed
/// weights (<see cref="PackFlippedTransposed{T}"/>), the input gradient (a stride-1 convolution's adjoint is again one);</item>
/// <item><see cref="AddWeightGradient{T}"/>: dWᵀ (depth × rows) += B · dYᵀ, vectorized over the output channels instead: the
/// upstream gradient transposed once per sample (<see cref="TransposeUpstream{T}"/>, positions × channels), each B element
/// broadcast (see DirectConvolution.WeightGradient.cs).</item>
/// </list>
/// Applies when the output rows are whole runs (Wo a multiple of L); <see cref="ConvolutionReference"/> is its textbook
/// twin and im2col + GEMM (<see cref="Im2Col"/>) handles every other geometry.
/// </summary>
public static unsafe partial class DirectConvolution
{
    /// <summary>Rows of the forward microkernel's tile (12 rows × two runs: 24 accumulators, as GEMM's 12×32).</summary>
    public const int MR = 12;

    /// <summary>
    /// The vector width in bits <see cref="Multiply{T}"/> runs with here for T: 512 with AVX-512, else 256 with AVX2 + FMA
    /// (the Zen 3 path), else 0 (none; T other than float and double: 0). The weight gradient runs with 512 only.
    /// </summary>
    public static int VectorBits<T>() => IsAvailable<T>(512) ? 512 : IsAvailable<T>(256) ? 256 : 0;

    /// <summary>Whether this machine runs <see cref="Multiply{T}"/> for T (AVX-512 or AVX2 + FMA; float or double).</summary>
    public static bool IsAvailable<T>() => VectorBits<T>() != 0;

    /// <summary>Whether this machine runs the kernels for T with <paramref name="vectorBits"/>-bit vectors (512: AVX-512, 256: AVX2 + FMA).</summary>
    public static bool IsAvailable<T>(int vectorBits) =>
        (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && vectorBits switch
        {
            512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
            256 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported,
            _ => false,
        };

    /// <summary>L, the output columns of one run (one vector of T at the machine's width; 512 bits where there is none).</summary>
    public static int RunLength<T>() => VectorBits<T>() == 256 ? Vector256<T>.Count : Vector512<T>.Count;

    /// <summary>Whether the forward pass of <paramref name="g"/> runs here: stride 1 and Wo a multiple of L.</summary>
    public static bool Applies<T>(in ConvolutionGeometry g) =>
        IsAvailable<T>() && g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth % RunLength<T>() == 0;

    /// <summary>Whether the weight gradient of <paramref name="g"/> runs here: AVX-512 (its kernels have no 256-bit form), stride 1 and Wo a multiple of L.</summary>
    public static bool AppliesToWeightGradient<T>(in ConvolutionGeometry g) =>
        IsAvailable<T>(512) && g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth % Vector512<T>.Count == 0;

    /// <summary>Whether the input gradient of <paramref name="g"/> runs here: stride 1 and W a multiple of L (its output is the input).</summary>
    public static bool AppliesToInputGradient<T>(in ConvolutionGeometry g) =>
        IsAvailable<T>() && g.StrideHeight == 1 && g.StrideWidth == 1 && g.Width % RunLength<T>() == 0;

    /// <summary>The packed length of a rows × depth operand: ⌈rows/MR⌉·MR·depth.</summary>
    public static int PackedLength(int rows, int depth) => (rows + MR - 1) / MR * MR * depth;

    /// <summary>
    /// Packs A[i, k] = matrix[i·depth + k] (row-major, rows × depth) into micro-panels of MR rows: panel r holds, for each
    /// k, the MR values of rows r·MR .. r·MR + MR − 1 (zeros past the last row).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short.</exception>
    public static void PackRows<T>(ReadOnlySpan<T> matrix, int rows, int depth, Span<T> packed) where T : unmanaged, INumber<T>
    {
        CheckLength(matrix.Length, (long)rows * depth, nameof(matrix));
        CheckLength(packed.Length, PackedLength(rows, depth), nameof(packed));
        for (int panel = 0; panel < rows; panel += MR)
        {
            var target = packed.Slice(panel * depth, MR * depth);
            for (int k = 0; k < depth; k++)
                for (int i = 0; i < MR; i++)
                    target[k * MR + i] = panel + i < rows ? matrix[(panel + i) * depth + k] : T.Zero;
        }
    }

    /// <summary>
    /// Packs the input gradient's A[c, (o, ki, kj)] = w[o, c, kh − 1 − ki, kw − 1 − kj] from one group's weights w
    /// (outChannels × channels × kh × kw) as <see cref="PackRows{T}"/> does: rows c, depth outChannels·kh·kw.
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short.</exception>
    public static void PackFlippedTransposed<T>(ReadOnlySpan<T> weight, int outChannels, int channels, int kh, int kw, Span<T> packed)
        where T : unmanaged, INumber<T>
    {
        int depth = outChannels * kh * kw, window = kh * kw;
        CheckLength(weight.Length, (long)outChannels * channels * window, nameof(weight));
        CheckLength(packed.Length, PackedLength(channels, depth), nameof(packed));
        // With t = ki·kw + kj: k = o·kh·kw + t, and the flipped (kh − 1 − ki, kw − 1 − kj) is entry kh·kw − 1 − t of w[o, c].
        for (int c = 0; c < PackedLength(channels, depth) / depth; c++)
        {
            var row = packed[(c / MR * MR * depth + c % MR)..]; // A[c, k] at row[k·MR]
            if (c >= channels)
            {
                for (int k = 0; k < depth; k++) row[k * MR] = T.Zero;
                continue;
            }
            for (int o = 0; o < outChannels; o++)
            {
                var kernel = weight.Slice((o * channels + c) * window, window);
                for (int t = 0; t < window; t++) row[(o * window + t) * MR] = kernel[window - 1 - t];
            }
        }
    }

    /// <summary>offsets[(c·kh + ki)·kw + kj] = c·Hp·Wp + ki·dh·Wp + kj·dw: where im2col row k starts in the padded image.</summary>
    public static void Offsets(Span<int> offsets, int channels, int kh, int kw, int dh, int dw, int paddedHeight, int paddedWidth)
    {
        CheckLength(offsets.Length, (long)channels * kh * kw, nameof(offsets));
        for (int c = 0; c < channels; c++)
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++)
                    offsets[(c * kh + ki) * kw + kj] = c * paddedHeight * paddedWidth + ki * dh * paddedWidth + kj * dw;
    }

    /// <summary>
    /// target[c, i, j] = source[c, i − top, j − left] inside the source (channels × height × width), 0 elsewhere, for the
    /// channels × targetHeight × targetWidth target (top and left may be negative: the source is then cropped).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short.</exception>
    public static void Pad<T>(ReadOnlySpan<T> source, int channels, int height, int width, Span<T> target, int targetHeight, int targetWidth, int top, int left)
        where T : unmanaged, INumber<T> =>
        Pad<T, NativeVectors>(source, channels, height, width, target, targetHeight, targetWidth, top, left);

    /// <summary><see cref="Pad{T}"/> on the vectors of <typeparamref name="TPath"/> (the tests run the 256-bit form here too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Pad<T, TPath>(ReadOnlySpan<T> source, int channels, int height, int width, Span<T> target, int targetHeight, int targetWidth, int top, int left)
        where T : unmanaged, INumber<T>
        where TPath : struct, IVectorPath =>
        Pad<T, TPath>(source, channels, height, width, target, targetHeight, targetWidth, top, left, zeros: true);

    /// <summary>
    /// <see cref="Pad{T}"/> without the zeros: only target[c, i, j] = source[c, i − top, j − left] inside the source, for a
    /// target that an earlier <see cref="Pad{T}"/> of the same geometry left zero elsewhere (a worker's scratch, padded for its
    /// first sample and copied into for the next ones: the zeroing was half of Pad's time).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short.</exception>
    public static void PadInterior<T>(ReadOnlySpan<T> source, int channels, int height, int width, Span<T> target, int targetHeight, int targetWidth, int top, int left)
        where T : unmanaged, INumber<T> =>
        PadInterior<T, NativeVectors>(source, channels, height, width, target, targetHeight, targetWidth, top, left);

    /// <summary><see cref="PadInterior{T}"/> on the vectors of <typeparamref name="TPath"/> (the tests run the 256-bit form here too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PadInterior<T, TPath>(ReadOnlySpan<T> source, int channels, int height, int width, Span<T> target, int targetHeight, int targetWidth, int top, int left)
        where T : unmanaged, INumber<T>
        where TPath : struct, IVectorPath =>
        Pad<T, TPath>(source, channels, height, width, target, targetHeight, targetWidth, top, left, zeros: false);

    /// <summary>
    /// <see cref="Pad{T}"/> and <see cref="PadInterior{T}"/> in one body (inlined into both, <paramref name="zeros"/> a constant
    /// there): target[c, i, j] = source[c, i − top, j − left] inside the source and, with <paramref name="zeros"/>, 0 elsewhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pad<T, TPath>(ReadOnlySpan<T> source, int channels, int height, int width, Span<T> target, int targetHeight, int targetWidth, int top, int left,
        bool zeros)
        where T : unmanaged, INumber<T>
        where TPath : struct, IVectorPath
    {
        CheckLength(source.Length, (long)channels * height * width, nameof(source));
        CheckLength(target.Length, (long)channels * targetHeight * targetWidth, nameof(target));
        int first = Math.Clamp(left, 0, targetWidth), end = Math.Clamp(width + left, first, targetWidth); // target columns with a source
        int rowFirst = Math.Clamp(top, 0, targetHeight), rowEnd = Math.Clamp(height + top, rowFirst, targetHeight); // target rows with a source
        int plane = targetHeight * targetWidth, length = end - first;
        // Refs in the loops (the lengths were checked above): rows are a few vectors long, and a span slice, Clear and CopyTo
        // per row cost more than the copy itself.
        ref T from = ref MemoryMarshal.GetReference(source);
        ref T to = ref MemoryMarshal.GetReference(target);
        for (int c = 0; c < channels; c++)
        {
            ref T sourcePlane = ref Unsafe.Add(ref from, c * height * width + first - left);
            ref T targetPlane = ref Unsafe.Add(ref to, c * plane + first); // column `first` of row 0
            if (zeros)
            {
                Clear<T, TPath>(ref Unsafe.Subtract(ref targetPlane, first), rowFirst * targetWidth);
                Clear<T, TPath>(ref Unsafe.Add(ref targetPlane, rowEnd * targetWidth - first), (targetHeight - rowEnd) * targetWidth);
            }
            for (int i = rowFirst; i < rowEnd; i++)
            {
                ref T row = ref Unsafe.Add(ref targetPlane, i * targetWidth);
                if (zeros) Clear<T, TPath>(ref Unsafe.Subtract(ref row, first), first);
                Copy<T, TPath>(ref Unsafe.Add(ref sourcePlane, (i - top) * width), ref row, length);
                if (zeros) Clear<T, TPath>(ref Unsafe.Add(ref row, length), targetWidth - end);
            }
        }
    }

    /// <summary>Writes <paramref name="count"/> zeros from <paramref name="target"/> on: whole vectors, then one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear<T, TPath>(ref T target, int count) where T : unmanaged, INumber<T> where TPath : struct, IVectorPath
    {
        int i = 0;
        if (TPath.Wide)
            for (; i <= count - Vector512<T>.Count; i += Vector512<T>.Count) Vector512<T>.Zero.StoreUnsafe(ref target, (nuint)i);
        else
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count) Vector256<T>.Zero.StoreUnsafe(ref target, (nuint)i);
        for (; i < count; i++) Unsafe.Add(ref target, i) = T.Zero;
    }

    /// <summary>Copies <paramref name="count"/> elements (no overlap): whole vectors, then one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T, TPath>(ref T source, ref T target, int count) where T : unmanaged, INumber<T> where TPath : struct, IVectorPath
    {
        int i = 0;
        if (TPath.Wide)
            for (; i <= count - Vector512<T>.Count; i += Vector512<T>.Count) Vector512.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref target, (nuint)i);
        else
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count) Vector256.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref target, (nuint)i);
        for (; i < count; i++) Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
    }

    /// <summary>
    /// output[i, oh·Wo + ow] = bias[i] + Σ_k A[i, k]·padded[offsets[k] + oh·Wp + ow] for rows i &lt; <paramref name="rows"/>,
    /// A packed by <see cref="PackRows{T}"/> or <see cref="PackFlippedTransposed{T}"/> (bias empty: none). The memory the
    /// caller reads next (<paramref name="prefetch"/>: the next sample's unpadded image; empty: none) is fetched into L2 a few
    /// cache lines after each tile, so that the copy that pads it does not wait on L3 or DRAM; it changes no result.
    /// <paramref name="vectorBits"/>: 512 (tiles of 12 rows × two runs of L = Vector512&lt;T&gt;.Count), 256 (AVX2: tiles of 6 rows ×
    /// two runs of Vector256&lt;T&gt;.Count, each 12-row panel as two), or 0, the machine's best. Every output element is the same
    /// sum in the same order at either width (the same bits).
    /// </summary>
    /// <exception cref="ArgumentException">When Wo is not a multiple of L, Wp &lt; Wo, an offset is negative or a span is too short.</exception>
    /// <exception cref="PlatformNotSupportedException">When this machine does not run the width (or T is not float or double).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(int rows, int depth, ReadOnlySpan<T> packed, ReadOnlySpan<int> offsets, ReadOnlySpan<T> padded, int paddedWidth,
        int outHeight, int outWidth, Span<T> output, ReadOnlySpan<T> bias, ReadOnlySpan<T> prefetch = default, int vectorBits = 0) where T : unmanaged, INumber<T>
    {
        int bits = vectorBits == 0 ? VectorBits<T>() : vectorBits;
        if (!IsAvailable<T>(bits))
            throw new PlatformNotSupportedException(
                $"The direct convolution needs AVX-512 or AVX2 + FMA and float or double; this machine or {typeof(T).Name} has not{(vectorBits == 0 ? "" : $" {vectorBits}-bit vectors")} (use im2col + GEMM).");
        bool wide = bits == 512;
        int lanes = wide ? Vector512<T>.Count : Vector256<T>.Count, plane = outHeight * outWidth;
        CheckRuns<T>(outWidth, paddedWidth, lanes);
        CheckLength(packed.Length, PackedLength(rows, depth), nameof(packed));
        CheckLength(padded.Length, Reach(offsets, depth) + (long)(outHeight - 1) * paddedWidth + outWidth, nameof(padded));
        CheckLength(output.Length, (long)rows * plane, nameof(output));
        if (!bias.IsEmpty) CheckLength(bias.Length, rows, nameof(bias));
        if (rows <= 0 || plane <= 0) return;
        int runs = plane / lanes;
        T* spare = stackalloc T[MR * Vector512<T>.Count]; // the second run of a lone last run
        fixed (T* a = packed)
        fixed (int* k = offsets)
        fixed (T* x = padded)
        fixed (T* y = output)
        fixed (T* b = bias)
        fixed (T* next = prefetch)
        {
            // The prefetched lines spread evenly over the tiles: tile t fetches lines [t·lines/tiles, (t + 1)·lines/tiles).
            long lines = (long)prefetch.Length * sizeof(T) / 64;
            int tiles = (runs + 1) / 2 * ((rows + MR - 1) / MR), tile = 0;
            // Runs outer, row panels inner: the image window of a pair of runs (every channel, the rows the kernel reaches)
            // stays in L1 for all the panels, and the packed A, read in order, streams from L2. (Panels outer swept the
            // whole padded image per panel: 83 KB for conv2d_b's input gradient, more than L1.)
            for (int run = 0; run < runs; run += 2)
            {
                int p0 = run * lanes;
                bool pair = run + 1 < runs;
                T* source0 = x + Source(p0, outWidth, paddedWidth), source1 = pair ? x + Source(p0 + lanes, outWidth, paddedWidth) : source0;
                nint ldc1 = pair ? plane : lanes;
                for (int r = 0; r < rows; r += MR)
                {
                    int count = Math.Min(MR, rows - r);
                    T* panel = a + r * depth, c = y + r * plane, rowBias = bias.IsEmpty ? null : b + r;
                    T* c1 = pair ? c + p0 + lanes : spare;
                    if (!wide)
                    {
                        // AVX2: the panel's rows 0-5, then 6-11, each a tile of 6 (16 registers hold 12 accumulators, not 24).
                        Tile<T, Vector256<T>, SimdLanes256<T>, Rows6>(depth, panel, k, source0, source1, c + p0, c1, plane, ldc1, Math.Min(count, 6), rowBias);
                        if (count > 6)
                            Tile<T, Vector256<T>, SimdLanes256<T>, Rows6>(depth, panel + 6, k, source0, source1, c + p0 + 6 * plane, c1 + 6 * ldc1, plane, ldc1, count - 6, rowBias is null ? null : rowBias + 6);
                    }
                    else if (count <= 4) Tile<T, Vector512<T>, SimdLanes512<T>, Rows4>(depth, panel, k, source0, source1, c + p0, c1, plane, ldc1, count, rowBias);
                    else if (count <= 8) Tile<T, Vector512<T>, SimdLanes512<T>, Rows8>(depth, panel, k, source0, source1, c + p0, c1, plane, ldc1, count, rowBias);
                    else Tile<T, Vector512<T>, SimdLanes512<T>, Rows12>(depth, panel, k, source0, source1, c + p0, c1, plane, ldc1, count, rowBias);
                    if (lines > 0 && Sse.IsSupported)
                    {
                        for (long line = tile * lines / tiles, end = (tile + 1) * lines / tiles; line < end; line++)
                            Sse.Prefetch1((byte*)next + line * 64);
                        tile++;
                    }
                }
            }
        }
    }

    /// <summary>Where output position p = oh·Wo + ow reads the padded image: oh·Wp + ow.</summary>
    private static int Source(int p, int outWidth, int paddedWidth) => p / outWidth * paddedWidth + p % outWidth;

    /// <summary>The largest offset (every offset must be ≥ 0): vectors of offsets, then the tail (a call per sample; one by one cost 1 % of conv2d_b).</summary>
    private static long Reach(ReadOnlySpan<int> offsets, int depth)
    {
        CheckLength(offsets.Length, depth, nameof(offsets));
        var used = offsets[..depth];
        int reach = 0, lowest = 0, i = 0;
        if (Vector512.IsHardwareAccelerated && used.Length >= Vector512<int>.Count)
        {
            Vector512<int> most = Vector512<int>.Zero, least = Vector512<int>.Zero;
            for (; i <= used.Length - Vector512<int>.Count; i += Vector512<int>.Count)
            {
                var v = Vector512.Create(used.Slice(i, Vector512<int>.Count));
                most = Vector512.Max(most, v);
                least = Vector512.Min(least, v);
            }
            for (int lane = 0; lane < Vector512<int>.Count; lane++)
            {
                reach = Math.Max(reach, most[lane]);
                lowest = Math.Min(lowest, least[lane]);
            }
        }
        for (; i < used.Length; i++)
        {
            reach = Math.Max(reach, used[i]);
            lowest = Math.Min(lowest, used[i]);
        }
        if (lowest < 0) throw new ArgumentException($"The direct convolution's offsets must be ≥ 0, but one is {lowest}.", nameof(offsets));
        return reach;
    }

    private static void CheckRuns<T>(int outWidth, int paddedWidth, int lanes)
    {
        if (outWidth <= 0 || outWidth % lanes != 0 || paddedWidth < outWidth)
            throw new ArgumentException(
                $"The direct convolution needs output rows of whole runs of {lanes} (Wo = {outWidth}) inside the padded rows (Wp = {paddedWidth}); use im2col + GEMM for this geometry.");
    }

    private static void CheckLength(int length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"The direct convolution needs {needed} elements in {name}, but it has {length}.", name);
    }

    /// <summary>Rows i of the two runs' accumulators to c0/c1 + i·ldc, plus bias[i] when there is a bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T, TV, TLanes>(TV v0, TV v1, int i, T* c0, T* c1, nint ldc0, nint ldc1, T* bias)
        where T : unmanaged where TV : struct where TLanes : ISimdLanes<T, TV>
    {
        if (bias is not null)
        {
            var b = TLanes.Broadcast(bias[i]);
            v0 = TLanes.Add(v0, b);
            v1 = TLanes.Add(v1, b);
        }
        TLanes.Store(v0, c0 + i * ldc0);
        TLanes.Store(v1, c1 + i * ldc1);
    }

    /// <summary>c + a·b with one rounding (vfmadd231ps/pd), for the weight gradient's kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged => SimdLanes512<T>.MultiplyAdd(a, b, c);

    // The microkernel, unrolled so that the accumulators stay in registers (as GEMM's Microkernels.Avx512).

    /// <summary>
    /// A tile of TRows.Count rows (4, 8 or 12 with AVX-512's 32 registers; 6 with AVX2's 16, each 12-row panel as two) of two
    /// runs of TLanes.Count: c0/c1[i·ldc + j] = bias[i] + Σ_p a[p·MR + i]·source0/1[offsets[p] + j], the first
    /// <paramref name="rows"/> rows stored; each element the same sum in the same order at either width. The rows past
    /// TRows.Count are constant-false branches, gone from the smaller kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T, TV, TLanes, TRows>(int depth, T* a, int* offsets, T* source0, T* source1, T* c0, T* c1, nint ldc0, nint ldc1, int rows, T* bias)
        where T : unmanaged, INumber<T> where TV : struct where TLanes : ISimdLanes<T, TV> where TRows : struct, ITileRows
    {
        TV c0_0 = default, c0_1 = default;
        TV c1_0 = default, c1_1 = default;
        TV c2_0 = default, c2_1 = default;
        TV c3_0 = default, c3_1 = default;
        TV c4_0 = default, c4_1 = default;
        TV c5_0 = default, c5_1 = default;
        TV c6_0 = default, c6_1 = default;
        TV c7_0 = default, c7_1 = default;
        TV c8_0 = default, c8_1 = default;
        TV c9_0 = default, c9_1 = default;
        TV c10_0 = default, c10_1 = default;
        TV c11_0 = default, c11_1 = default;
        for (int p = 0; p < depth; p++)
        {
            nint offset = offsets[p];
            TV b0 = TLanes.Load(source0 + offset), b1 = TLanes.Load(source1 + offset);
            TV ai;
            ai = TLanes.Broadcast(a[0]); c0_0 = TLanes.MultiplyAdd(ai, b0, c0_0); c0_1 = TLanes.MultiplyAdd(ai, b1, c0_1);
            ai = TLanes.Broadcast(a[1]); c1_0 = TLanes.MultiplyAdd(ai, b0, c1_0); c1_1 = TLanes.MultiplyAdd(ai, b1, c1_1);
            ai = TLanes.Broadcast(a[2]); c2_0 = TLanes.MultiplyAdd(ai, b0, c2_0); c2_1 = TLanes.MultiplyAdd(ai, b1, c2_1);
            ai = TLanes.Broadcast(a[3]); c3_0 = TLanes.MultiplyAdd(ai, b0, c3_0); c3_1 = TLanes.MultiplyAdd(ai, b1, c3_1);
            if (TRows.Count > 4)
            {
                ai = TLanes.Broadcast(a[4]); c4_0 = TLanes.MultiplyAdd(ai, b0, c4_0); c4_1 = TLanes.MultiplyAdd(ai, b1, c4_1);
                ai = TLanes.Broadcast(a[5]); c5_0 = TLanes.MultiplyAdd(ai, b0, c5_0); c5_1 = TLanes.MultiplyAdd(ai, b1, c5_1);
            }
            if (TRows.Count > 6)
            {
                ai = TLanes.Broadcast(a[6]); c6_0 = TLanes.MultiplyAdd(ai, b0, c6_0); c6_1 = TLanes.MultiplyAdd(ai, b1, c6_1);
                ai = TLanes.Broadcast(a[7]); c7_0 = TLanes.MultiplyAdd(ai, b0, c7_0); c7_1 = TLanes.MultiplyAdd(ai, b1, c7_1);
            }
            if (TRows.Count > 8)
            {
                ai = TLanes.Broadcast(a[8]); c8_0 = TLanes.MultiplyAdd(ai, b0, c8_0); c8_1 = TLanes.MultiplyAdd(ai, b1, c8_1);
                ai = TLanes.Broadcast(a[9]); c9_0 = TLanes.MultiplyAdd(ai, b0, c9_0); c9_1 = TLanes.MultiplyAdd(ai, b1, c9_1);
                ai = TLanes.Broadcast(a[10]); c10_0 = TLanes.MultiplyAdd(ai, b0, c10_0); c10_1 = TLanes.MultiplyAdd(ai, b1, c10_1);
                ai = TLanes.Broadcast(a[11]); c11_0 = TLanes.MultiplyAdd(ai, b0, c11_0); c11_1 = TLanes.MultiplyAdd(ai, b1, c11_1);
            }
            a += MR;
        }
        Put<T, TV, TLanes>(c0_0, c0_1, 0, c0, c1, ldc0, ldc1, bias);
        if (rows > 1) Put<T, TV, TLanes>(c1_0, c1_1, 1, c0, c1, ldc0, ldc1, bias);
        if (rows > 2) Put<T, TV, TLanes>(c2_0, c2_1, 2, c0, c1, ldc0, ldc1, bias);
        if (rows > 3) Put<T, TV, TLanes>(c3_0, c3_1, 3, c0, c1, ldc0, ldc1, bias);
        if (TRows.Count > 4)
        {
            if (rows > 4) Put<T, TV, TLanes>(c4_0, c4_1, 4, c0, c1, ldc0, ldc1, bias);
            if (rows > 5) Put<T, TV, TLanes>(c5_0, c5_1, 5, c0, c1, ldc0, ldc1, bias);
        }
        if (TRows.Count > 6)
        {
            if (rows > 6) Put<T, TV, TLanes>(c6_0, c6_1, 6, c0, c1, ldc0, ldc1, bias);
            if (rows > 7) Put<T, TV, TLanes>(c7_0, c7_1, 7, c0, c1, ldc0, ldc1, bias);
        }
        if (TRows.Count > 8)
        {
            if (rows > 8) Put<T, TV, TLanes>(c8_0, c8_1, 8, c0, c1, ldc0, ldc1, bias);
            if (rows > 9) Put<T, TV, TLanes>(c9_0, c9_1, 9, c0, c1, ldc0, ldc1, bias);
            if (rows > 10) Put<T, TV, TLanes>(c10_0, c10_1, 10, c0, c1, ldc0, ldc1, bias);
            if (rows > 11) Put<T, TV, TLanes>(c11_0, c11_1, 11, c0, c1, ldc0, ldc1, bias);
        }
    }
}
