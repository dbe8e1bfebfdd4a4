using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015)
/// for a 3×3, stride-1, undilated convolution with AVX-512 or AVX2 + FMA (the same algorithm on L-lane vectors, L =
/// Vector512&lt;T&gt;.Count or Vector256&lt;T&gt;.Count: <see cref="WinogradVectors512{T}"/>, <see cref="WinogradVectors256{T}"/>;
/// the machine's best width unless a caller forces one, as the tests do): each 4×4 output tile of each channel pair costs 36 multiplies
/// instead of 144. With d a 6×6 input window, g a 3×3 kernel and ⊙ the elementwise product,
/// <c>Y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A</c>, and summed over the input channels the 36 products at each of the 36 positions
/// ξ of the 6×6 transformed tile are one matrix product per ξ:
/// <c>M[ξ] (tiles × Cout) = V[ξ] (tiles × Cin) · U[ξ] (Cin × Cout)</c>, V = the transformed input tiles, U = the transformed
/// kernels (<see cref="TransformFilters{T}"/>). A chunk of samples (<see cref="Convolve{T}"/>) is
/// <list type="number">
/// <item>staged sample by sample: the sample padded into a channels-last buffer (its channels padded to whole vectors),
/// so that one vector holds L channels of one pixel;</item>
/// <item>input-transformed tile by tile, L channels per vector: V[ξ][tile][c];</item>
/// <item>multiplied, 36 products with a register tile of <see cref="RegisterRows"/> tiles × 2L channels (12 with AVX-512's
/// 32 registers, as <see cref="DirectConvolution"/>'s; 6 with AVX2's 16, as GEMM's AVX2 microkernel);</item>
/// <item>output-transformed (Aᵀ·M·A) and written to the NCHW output with the bias, the tiles past the output cropped.</item>
/// </list>
/// The kernel computes <c>out[s, o, i, j] = bias[o] + Σ_{c, ki, kj} k[o, c, ki, kj]·src[s, c, i + ki − top, j + kj − left]</c>
/// (zero outside the source): the forward pass (k = w, top/left = the padding) and, with the flipped, transposed kernels
/// k[c, o, ki, kj] = w[o, c, 2 − ki, 2 − kj] and top/left = 2 − padding, the input gradient. Every output element depends
/// only on its own tile (never on how the samples are cut into chunks), so any thread count gives the same bits.
/// Rounding: the transforms multiply by up to 5 (Bᵀ), 1/4 (G) and 8 (Aᵀ), so float32's error is some 10× the direct
/// convolution's (relative to Σ|k|·|src|; the tests bound it); <see cref="ConvolutionReference"/> is the textbook twin.
/// </summary>
public static unsafe class WinogradConvolution
{
    /// <summary>m: the output tile is m×m.</summary>
    public const int TileSize = 4;

    /// <summary>α = m + r − 1: the input window (and transformed tile) is α×α.</summary>
    public const int WindowSize = 6;

    /// <summary>α²: the products per chunk.</summary>
    public const int Positions = WindowSize * WindowSize;

    /// <summary>
    /// The vector width in bits the kernels run with here for T: 512 with AVX-512, else 256 with AVX2 + FMA, else 0 (none;
    /// T other than float and double: 0).
    /// </summary>
    public static int VectorBits<T>() => IsAvailable<T>(512) ? 512 : IsAvailable<T>(256) ? 256 : 0;

    /// <summary>Whether this machine runs the kernel for T at its best width (AVX-512 or AVX2 + FMA; float or double).</summary>
    public static bool IsAvailable<T>() => VectorBits<T>() != 0;

    /// <summary>Whether this machine runs the kernel for T with <paramref name="vectorBits"/>-bit vectors (512: AVX-512, 256: AVX2 + FMA).</summary>
    public static bool IsAvailable<T>(int vectorBits) =>
        (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && vectorBits switch
        {
            512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
            256 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
            _ => false,
        };

    /// <summary>Whether F(4×4, 3×3) computes <paramref name="g"/> (3×3 kernel, stride 1, dilation 1; any padding) on this machine.</summary>
    public static bool Applies<T>(in ConvolutionGeometry g) =>
        IsAvailable<T>() && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1 &&
        g.DilationHeight == 1 && g.DilationWidth == 1;

    /// <summary>Tiles (rows of V and M) per register tile: 12 rows × two vectors with 512 bits (24 of the 32 registers), 6 with 256 (12 of 16).</summary>
    public static int RegisterRows(int vectorBits = 0) => Width(vectorBits) == 256 ? 6 : 12;

    /// <summary>The input channels rounded up to whole vectors: the row stride of V and the pixel stride of the staged input.</summary>
    public static int InputStride<T>(int channels, int vectorBits = 0) => RoundUp(channels, Lanes<T>(vectorBits));

    /// <summary>The output channels rounded up to the register tile's 2L: the row stride of U and M.</summary>
    public static int OutputStride<T>(int channels, int vectorBits = 0) => RoundUp(channels, 2 * Lanes<T>(vectorBits));

    /// <summary>The elements of the transformed kernels U: 36 · inChannels · <see cref="OutputStride{T}"/>(outChannels).</summary>
    public static int FilterLength<T>(int inChannels, int outChannels, int vectorBits = 0) => Positions * inChannels * OutputStride<T>(outChannels, vectorBits);

    /// <summary>The output tiles of one sample: ⌈Ho/4⌉·⌈Wo/4⌉.</summary>
    public static int TilesPerSample(int outHeight, int outWidth) => (outHeight + TileSize - 1) / TileSize * ((outWidth + TileSize - 1) / TileSize);

    /// <summary>The scratch <see cref="Convolve{T}"/> needs for <paramref name="samples"/> samples: the staged sample, V and M.</summary>
    public static int ScratchLength<T>(int samples, int inChannels, int outChannels, int outHeight, int outWidth, int vectorBits = 0)
    {
        int tilesHigh = (outHeight + TileSize - 1) / TileSize, tilesWide = (outWidth + TileSize - 1) / TileSize;
        long rows = RoundUp(samples * tilesHigh * tilesWide, RegisterRows(vectorBits));
        long length = (long)(TileSize * tilesHigh + 2) * (TileSize * tilesWide + 2) * InputStride<T>(inChannels, vectorBits) +
            Positions * rows * (InputStride<T>(inChannels, vectorBits) + OutputStride<T>(outChannels, vectorBits));
        if (length > int.MaxValue) throw new ArgumentException($"A Winograd chunk of {samples} samples needs {length} elements of scratch; use fewer samples a chunk.");
        return (int)length;
    }

    /// <summary>The width a call runs with: <paramref name="vectorBits"/>, or where it is 0 the machine's best (512 for the sizes where there is none).</summary>
    private static int Width(int vectorBits) => vectorBits != 0 ? vectorBits : VectorBits<float>() == 256 ? 256 : 512;

    /// <summary>L: the T lanes of one vector of the width a call runs with.</summary>
    /// <exception cref="ArgumentException">For a width other than 0, 256 and 512.</exception>
    private static int Lanes<T>(int vectorBits)
    {
        int bits = Width(vectorBits);
        if (bits is not (256 or 512)) throw new ArgumentException($"The Winograd convolution runs 256- or 512-bit vectors, not {vectorBits}.", nameof(vectorBits));
        return bits / 8 / Unsafe.SizeOf<T>();
    }

    /// <summary>The width a kernel call runs with, checked against the machine.</summary>
    /// <exception cref="PlatformNotSupportedException">When this machine does not run that width for T.</exception>
    private static int Checked<T>(int vectorBits)
    {
        int bits = vectorBits == 0 ? VectorBits<T>() : vectorBits;
        if (!IsAvailable<T>(bits))
            throw new PlatformNotSupportedException(
                $"The Winograd convolution needs AVX-512 or AVX2 + FMA and float or double; this machine or {typeof(T).Name} has not{(vectorBits == 0 ? "" : $" {vectorBits}-bit vectors")}.");
        return bits;
    }

    /// <summary>
    /// U[ξ][ci][co] = (G·k[co, ci]·Gᵀ)[ξ] for the kernels k of the convolution the weights w (weightOut × weightIn × 3 × 3)
    /// define: k = w (inChannels = weightIn, outChannels = weightOut), or with <paramref name="adjoint"/> the flipped,
    /// transposed k[c, o] = w[o, c] rotated by 180° (the input gradient's: inChannels = weightOut, outChannels = weightIn).
    /// Columns past outChannels are zero. L output channels at once, in T; <paramref name="vectorBits"/> 0: the machine's best
    /// width (U's layout depends on it: pass the same width to <see cref="Convolve{T}"/>).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short.</exception>
    /// <exception cref="PlatformNotSupportedException">Without AVX-512 or AVX2 + FMA (or the forced width), or for T other than float and double.</exception>
    public static void TransformFilters<T>(ReadOnlySpan<T> weight, int weightOut, int weightIn, bool adjoint, Span<T> u, int vectorBits = 0) where T : unmanaged, INumber<T>
    {
        if (Checked<T>(vectorBits) == 512) TransformFilters<T, WinogradVectors512<T>>(weight, weightOut, weightIn, adjoint, u);
        else TransformFilters<T, WinogradVectors256<T>>(weight, weightOut, weightIn, adjoint, u);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformFilters<T, TVectors>(ReadOnlySpan<T> weight, int weightOut, int weightIn, bool adjoint, Span<T> u)
        where T : unmanaged, INumber<T> where TVectors : unmanaged, IWinogradVectors<TVectors, T>
    {
        int lanes = TVectors.Lanes, bits = lanes * 8 * Unsafe.SizeOf<T>();
        int inChannels = adjoint ? weightOut : weightIn, outChannels = adjoint ? weightIn : weightOut, stride = OutputStride<T>(outChannels, bits);
        CheckLength(weight.Length, (long)weightOut * weightIn * 9, nameof(weight));
        CheckLength(u.Length, FilterLength<T>(inChannels, outChannels, bits), nameof(u));
        T* g = stackalloc T[9 * 16]; // g[t·L + l]: entry t of the kernel of output channel co + l
        fixed (T* w = weight)
        fixed (T* target = u)
        {
            for (int ci = 0; ci < inChannels; ci++)
                for (int co = 0; co < stride; co += lanes)
                {
                    for (int l = 0; l < lanes; l++)
                    {
                        int output = co + l;
                        if (output >= outChannels)
                        {
                            for (int t = 0; t < 9; t++) g[t * lanes + l] = T.Zero;
                            continue;
                        }
                        int o = adjoint ? ci : output, c = adjoint ? output : ci;
                        T* kernel = w + ((long)o * weightIn + c) * 9;
                        for (int t = 0; t < 9; t++) g[t * lanes + l] = kernel[adjoint ? 8 - t : t];
                    }
                    WinogradTransforms<T, TVectors>.FilterTile(g, target + (long)ci * stride + co, (long)inChannels * stride);
                }
        }
    }

    /// <summary>
    /// out[s, o, i, j] = bias[o] + Σ_{c, ki, kj} k[o, c, ki, kj]·source[s, c, i + ki − top, j + kj − left] for the
    /// <paramref name="samples"/> samples of <paramref name="source"/> (samples × inChannels × height × width, NCHW) into
    /// <paramref name="output"/> (samples × outChannels × outHeight × outWidth), k given transformed as U
    /// (<see cref="TransformFilters{T}"/>, with the same <paramref name="vectorBits"/>); bias empty: none.
    /// <paramref name="scratch"/>: <see cref="ScratchLength{T}"/> elements. <paramref name="vectorBits"/> 0: the machine's best width.
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short or a size is not positive.</exception>
    /// <exception cref="PlatformNotSupportedException">Without AVX-512 or AVX2 + FMA (or the forced width), or for T other than float and double.</exception>
    public static void Convolve<T>(ReadOnlySpan<T> source, int samples, int inChannels, int height, int width, int top, int left,
        ReadOnlySpan<T> u, int outChannels, int outHeight, int outWidth, Span<T> output, ReadOnlySpan<T> bias, Span<T> scratch, int vectorBits = 0)
        where T : unmanaged, INumber<T>
    {
        if (Checked<T>(vectorBits) == 512)
            Convolve<T, WinogradVectors512<T>>(source, samples, inChannels, height, width, top, left, u, outChannels, outHeight, outWidth, output, bias, scratch);
        else Convolve<T, WinogradVectors256<T>>(source, samples, inChannels, height, width, top, left, u, outChannels, outHeight, outWidth, output, bias, scratch);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Convolve<T, TVectors>(ReadOnlySpan<T> source, int samples, int inChannels, int height, int width, int top, int left,
        ReadOnlySpan<T> u, int outChannels, int outHeight, int outWidth, Span<T> output, ReadOnlySpan<T> bias, Span<T> scratch)
        where T : unmanaged, INumber<T> where TVectors : unmanaged, IWinogradVectors<TVectors, T>
    {
        if (samples < 1 || inChannels < 1 || height < 1 || width < 1 || outChannels < 1 || outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"The Winograd convolution needs positive sizes, but got {samples} samples of {inChannels}×{height}×{width} to {outChannels}×{outHeight}×{outWidth}.");
        int lanes = TVectors.Lanes, bits = lanes * 8 * Unsafe.SizeOf<T>(), cp = InputStride<T>(inChannels, bits), op = OutputStride<T>(outChannels, bits);
        int tilesHigh = (outHeight + TileSize - 1) / TileSize, tilesWide = (outWidth + TileSize - 1) / TileSize, perSample = tilesHigh * tilesWide;
        int tiles = samples * perSample, rows = RoundUp(tiles, TVectors.Rows);
        int stagedHeight = TileSize * tilesHigh + 2, stagedWidth = TileSize * tilesWide + 2, staged = stagedHeight * stagedWidth * cp;
        int image = inChannels * height * width, outImage = outChannels * outHeight * outWidth;
        CheckLength(source.Length, (long)samples * image, nameof(source));
        CheckLength(u.Length, FilterLength<T>(inChannels, outChannels, bits), nameof(u));
        CheckLength(output.Length, (long)samples * outImage, nameof(output));
        CheckLength(scratch.Length, ScratchLength<T>(samples, inChannels, outChannels, outHeight, outWidth, bits), nameof(scratch));
        if (!bias.IsEmpty) CheckLength(bias.Length, outChannels, nameof(bias));
        long vStride = (long)rows * cp, mStride = (long)rows * op; // one position ξ's V and M
        fixed (T* src = source)
        fixed (T* filters = u)
        fixed (T* dst = output)
        fixed (T* b = bias)
        fixed (T* work = scratch)
        {
            T* stage = work, v = work + staged, m = v + Positions * vStride;
            T* temporary = stackalloc T[Positions * 16]; // one tile's 6×6 vectors between the two passes of a transform (L ≤ 16)
            // 1, 2: stage and transform the input; the rows past the last tile are zero.
            for (int s = 0; s < samples; s++)
            {
                Stage<T, TVectors>(src + (long)s * image, inChannels, height, width, top, left, stage, stagedHeight, stagedWidth, cp);
                for (int ti = 0; ti < tilesHigh; ti++)
                    for (int tj = 0; tj < tilesWide; tj++)
                    {
                        int tile = s * perSample + ti * tilesWide + tj;
                        T* window = stage + ((long)TileSize * ti * stagedWidth + TileSize * tj) * cp;
                        for (int block = 0; block < cp; block += lanes)
                            WinogradTransforms<T, TVectors>.InputTile(window + block, (nint)stagedWidth * cp, cp, v + (long)tile * cp + block, vStride, temporary);
                    }
            }
            for (int xi = 0; xi < Positions; xi++) new Span<T>(v + xi * vStride + (long)tiles * cp, (rows - tiles) * cp).Clear();
            // 3: M[ξ] = V[ξ]·U[ξ]: register tiles of Rows rows × 2L columns, the row tiles inner (U's 2L-column block stays in L1).
            for (int xi = 0; xi < Positions; xi++)
            {
                T* a = v + xi * vStride, bx = filters + (long)xi * inChannels * op, c = m + xi * mStride;
                for (int column = 0; column < op; column += 2 * lanes)
                    for (int row = 0; row < rows; row += TVectors.Rows)
                        TVectors.Tile(inChannels, a + (long)row * cp, cp, bx + column, op, c + (long)row * op + column, op);
            }
            // 4: Y = Aᵀ·M·A per tile, cropped, plus the bias.
            T* result = stackalloc T[TileSize * TileSize * 16];
            for (int s = 0; s < samples; s++)
                for (int ti = 0; ti < tilesHigh; ti++)
                    for (int tj = 0; tj < tilesWide; tj++)
                    {
                        int tile = s * perSample + ti * tilesWide + tj;
                        int heightLeft = Math.Min(TileSize, outHeight - TileSize * ti), widthLeft = Math.Min(TileSize, outWidth - TileSize * tj);
                        for (int block = 0; block < outChannels; block += lanes)
                        {
                            WinogradTransforms<T, TVectors>.OutputTile(m + (long)tile * op + block, mStride, temporary, result);
                            int count = Math.Min(lanes, outChannels - block);
                            T* plane = dst + (long)s * outImage + ((long)block * outHeight + TileSize * ti) * outWidth + TileSize * tj;
                            if (heightLeft == TileSize && widthLeft == TileSize) TVectors.StoreTile(result, temporary, count, b is null ? null : b + block, plane, outHeight * outWidth, outWidth);
                            else
                                for (int l = 0; l < count; l++)
                                {
                                    T add = b is null ? T.Zero : b[block + l];
                                    for (int i = 0; i < heightLeft; i++)
                                        for (int j = 0; j < widthLeft; j++)
                                            plane[(long)l * outHeight * outWidth + i * outWidth + j] = result[(i * TileSize + j) * lanes + l] + add;
                                }
                        }
                    }
        }
    }

    /// <summary>
    /// The sample (channels × height × width) channels-last into stage[(r·stagedWidth + q)·stride + c] = source[c, r − top, q − left]
    /// inside the source, 0 elsewhere (channels past the last too): blocks of L channels × L columns transposed in registers,
    /// the rest one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stage<T, TVectors>(T* source, int channels, int height, int width, int top, int left, T* stage, int stagedHeight, int stagedWidth, int stride)
        where T : unmanaged, INumber<T> where TVectors : unmanaged, IWinogradVectors<TVectors, T>
    {
        int lanes = TVectors.Lanes, plane = height * width;
        new Span<T>(stage, stagedHeight * stagedWidth * stride).Clear();
        int firstRow = Math.Max(0, -top), endRow = Math.Min(height, stagedHeight - top);
        int firstColumn = Math.Max(0, -left), endColumn = Math.Min(width, stagedWidth - left);
        int wholeChannels = channels / lanes * lanes;
        for (int r = firstRow; r < endRow; r++)
        {
            T* to = stage + ((long)(r + top) * stagedWidth + left) * stride;
            int q = firstColumn;
            for (; q <= endColumn - lanes; q += lanes)
                for (int c = 0; c < wholeChannels; c += lanes)
                    TVectors.Transpose(source + ((long)c * height + r) * width + q, plane, to + (long)q * stride + c, stride);
            for (int c = 0; c < wholeChannels; c++) // the columns past the last whole block
                for (int column = q; column < endColumn; column++) to[(long)column * stride + c] = source[((long)c * height + r) * width + column];
            for (int c = wholeChannels; c < channels; c++) // the channels past the last whole vector
                for (int column = firstColumn; column < endColumn; column++) to[(long)column * stride + c] = source[((long)c * height + r) * width + column];
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void CheckLength(long length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"The Winograd convolution needs {needed} elements in {name}, but it has {length}.", name);
    }
}
