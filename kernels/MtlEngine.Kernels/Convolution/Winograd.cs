using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels.Layout;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015)
/// for a 3×3, stride-1, undilated convolution with AVX-512: each 4×4 output tile of each channel pair costs 36 multiplies
/// instead of 144. With d a 6×6 input window, g a 3×3 kernel and ⊙ the elementwise product,
/// <c>Y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A</c>, and summed over the input channels the 36 products at each of the 36 positions
/// ξ of the 6×6 transformed tile are one matrix product per ξ:
/// <c>M[ξ] (tiles × Cout) = V[ξ] (tiles × Cin) · U[ξ] (Cin × Cout)</c>, V = the transformed input tiles, U = the transformed
/// kernels (<see cref="TransformFilters{T}"/>). A chunk of samples (<see cref="Convolve{T}"/>) is
/// <list type="number">
/// <item>staged sample by sample: the sample padded into a channels-last buffer (its channels padded to whole vectors),
/// so that one vector holds L = Vector512&lt;T&gt;.Count channels of one pixel;</item>
/// <item>input-transformed tile by tile, L channels per vector: V[ξ][tile][c];</item>
/// <item>multiplied, 36 products with a 12-tile × 2L-channel register tile (as <see cref="DirectConvolution"/>'s);</item>
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

    /// <summary>Tiles (rows of V and M) per register tile: 12 rows × two vectors, 24 accumulators.</summary>
    public const int MR = 12;

    /// <summary>Whether this machine runs the kernel for T (AVX-512; float or double).</summary>
    public static bool IsAvailable<T>() => DirectConvolution.IsAvailable<T>();

    /// <summary>Whether F(4×4, 3×3) computes <paramref name="g"/> (3×3 kernel, stride 1, dilation 1; any padding) on this machine.</summary>
    public static bool Applies<T>(in ConvolutionGeometry g) =>
        IsAvailable<T>() && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1 &&
        g.DilationHeight == 1 && g.DilationWidth == 1;

    /// <summary>The input channels rounded up to whole vectors: the row stride of V and the pixel stride of the staged input.</summary>
    public static int InputStride<T>(int channels) => RoundUp(channels, Vector512<T>.Count);

    /// <summary>The output channels rounded up to the register tile's 2L: the row stride of U and M.</summary>
    public static int OutputStride<T>(int channels) => RoundUp(channels, 2 * Vector512<T>.Count);

    /// <summary>The elements of the transformed kernels U: 36 · inChannels · <see cref="OutputStride{T}"/>(outChannels).</summary>
    public static int FilterLength<T>(int inChannels, int outChannels) => Positions * inChannels * OutputStride<T>(outChannels);

    /// <summary>The output tiles of one sample: ⌈Ho/4⌉·⌈Wo/4⌉.</summary>
    public static int TilesPerSample(int outHeight, int outWidth) => (outHeight + TileSize - 1) / TileSize * ((outWidth + TileSize - 1) / TileSize);

    /// <summary>The scratch <see cref="Convolve{T}"/> needs for <paramref name="samples"/> samples: the staged sample, V and M.</summary>
    public static int ScratchLength<T>(int samples, int inChannels, int outChannels, int outHeight, int outWidth)
    {
        int tilesHigh = (outHeight + TileSize - 1) / TileSize, tilesWide = (outWidth + TileSize - 1) / TileSize;
        long rows = RoundUp(samples * tilesHigh * tilesWide, MR);
        long length = (long)(TileSize * tilesHigh + 2) * (TileSize * tilesWide + 2) * InputStride<T>(inChannels) +
            Positions * rows * (InputStride<T>(inChannels) + OutputStride<T>(outChannels));
        if (length > int.MaxValue) throw new ArgumentException($"A Winograd chunk of {samples} samples needs {length} elements of scratch; use fewer samples a chunk.");
        return (int)length;
    }

    /// <summary>
    /// U[ξ][ci][co] = (G·k[co, ci]·Gᵀ)[ξ] for the kernels k of the convolution the weights w (weightOut × weightIn × 3 × 3)
    /// define: k = w (inChannels = weightIn, outChannels = weightOut), or with <paramref name="adjoint"/> the flipped,
    /// transposed k[c, o] = w[o, c] rotated by 180° (the input gradient's: inChannels = weightOut, outChannels = weightIn).
    /// Columns past outChannels are zero. L output channels at once, in T.
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short.</exception>
    /// <exception cref="PlatformNotSupportedException">Without AVX-512, or for T other than float and double.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformFilters<T>(ReadOnlySpan<T> weight, int weightOut, int weightIn, bool adjoint, Span<T> u) where T : unmanaged, INumber<T>
    {
        if (!IsAvailable<T>()) throw new PlatformNotSupportedException($"The Winograd convolution needs AVX-512 and float or double; this machine or {typeof(T).Name} has not.");
        int inChannels = adjoint ? weightOut : weightIn, outChannels = adjoint ? weightIn : weightOut, stride = OutputStride<T>(outChannels);
        int lanes = Vector512<T>.Count;
        CheckLength(weight.Length, (long)weightOut * weightIn * 9, nameof(weight));
        CheckLength(u.Length, FilterLength<T>(inChannels, outChannels), nameof(u));
        T* g = stackalloc T[9 * 16]; // g[t·L + l]: entry t of the kernel of output channel co + l
        Vector512<T>* gg = stackalloc Vector512<T>[18]; // G·g, 6×3
        Vector512<T>* row = stackalloc Vector512<T>[WindowSize];
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
                    for (int j = 0; j < 3; j++)
                        FilterColumn(Vector512.Load(g + j * lanes), Vector512.Load(g + (3 + j) * lanes), Vector512.Load(g + (6 + j) * lanes), gg + j, 3);
                    for (int i = 0; i < WindowSize; i++)
                    {
                        FilterColumn(gg[i * 3], gg[i * 3 + 1], gg[i * 3 + 2], row, 1);
                        for (int j = 0; j < WindowSize; j++) row[j].Store(target + ((long)(i * WindowSize + j) * inChannels + ci) * stride + co);
                    }
                }
        }
    }

    /// <summary>G·(g0, g1, g2) into target[i·step], i = 0 .. 5 (G of F(4×4, 3×3), points 0, ±1, ±2, ∞: rows 1/4 (1, 0, 0),
    /// −1/6 (1, 1, 1), −1/6 (1, −1, 1), 1/24 (1, 2, 4), 1/24 (1, −2, 4), (0, 0, 1)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterColumn<T>(Vector512<T> g0, Vector512<T> g1, Vector512<T> g2, Vector512<T>* target, int step) where T : unmanaged, INumber<T>
    {
        var quarter = Vector512.Create(T.One / T.CreateTruncating(4));
        var sixth = Vector512.Create(T.One / T.CreateTruncating(6));
        var twentyFourth = Vector512.Create(T.One / T.CreateTruncating(24));
        var two = Vector512.Create(T.CreateTruncating(2));
        var four = Vector512.Create(T.CreateTruncating(4));
        Vector512<T> even = g0 + g2, even4 = g0 + four * g2, odd2 = two * g1;
        target[0] = quarter * g0;
        target[step] = -sixth * (even + g1);
        target[2 * step] = -sixth * (even - g1);
        target[3 * step] = twentyFourth * (even4 + odd2);
        target[4 * step] = twentyFourth * (even4 - odd2);
        target[5 * step] = g2;
    }

    /// <summary>
    /// out[s, o, i, j] = bias[o] + Σ_{c, ki, kj} k[o, c, ki, kj]·source[s, c, i + ki − top, j + kj − left] for the
    /// <paramref name="samples"/> samples of <paramref name="source"/> (samples × inChannels × height × width, NCHW) into
    /// <paramref name="output"/> (samples × outChannels × outHeight × outWidth), k given transformed as U
    /// (<see cref="TransformFilters{T}"/>); bias empty: none. <paramref name="scratch"/>: <see cref="ScratchLength{T}"/> elements.
    /// </summary>
    /// <exception cref="ArgumentException">When a span is too short or a size is not positive.</exception>
    /// <exception cref="PlatformNotSupportedException">Without AVX-512, or for T other than float and double.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Convolve<T>(ReadOnlySpan<T> source, int samples, int inChannels, int height, int width, int top, int left,
        ReadOnlySpan<T> u, int outChannels, int outHeight, int outWidth, Span<T> output, ReadOnlySpan<T> bias, Span<T> scratch)
        where T : unmanaged, INumber<T>
    {
        if (!IsAvailable<T>()) throw new PlatformNotSupportedException($"The Winograd convolution needs AVX-512 and float or double; this machine or {typeof(T).Name} has not.");
        if (samples < 1 || inChannels < 1 || height < 1 || width < 1 || outChannels < 1 || outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"The Winograd convolution needs positive sizes, but got {samples} samples of {inChannels}×{height}×{width} to {outChannels}×{outHeight}×{outWidth}.");
        int lanes = Vector512<T>.Count, cp = InputStride<T>(inChannels), op = OutputStride<T>(outChannels);
        int tilesHigh = (outHeight + TileSize - 1) / TileSize, tilesWide = (outWidth + TileSize - 1) / TileSize, perSample = tilesHigh * tilesWide;
        int tiles = samples * perSample, rows = RoundUp(tiles, MR);
        int stagedHeight = TileSize * tilesHigh + 2, stagedWidth = TileSize * tilesWide + 2, staged = stagedHeight * stagedWidth * cp;
        int image = inChannels * height * width, outImage = outChannels * outHeight * outWidth;
        CheckLength(source.Length, (long)samples * image, nameof(source));
        CheckLength(u.Length, FilterLength<T>(inChannels, outChannels), nameof(u));
        CheckLength(output.Length, (long)samples * outImage, nameof(output));
        CheckLength(scratch.Length, ScratchLength<T>(samples, inChannels, outChannels, outHeight, outWidth), nameof(scratch));
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
                Stage(src + (long)s * image, inChannels, height, width, top, left, stage, stagedHeight, stagedWidth, cp);
                for (int ti = 0; ti < tilesHigh; ti++)
                    for (int tj = 0; tj < tilesWide; tj++)
                    {
                        int tile = s * perSample + ti * tilesWide + tj;
                        T* window = stage + ((long)TileSize * ti * stagedWidth + TileSize * tj) * cp;
                        for (int block = 0; block < cp; block += lanes)
                            InputTile(window + block, (nint)stagedWidth * cp, cp, v + (long)tile * cp + block, vStride, temporary);
                    }
            }
            for (int xi = 0; xi < Positions; xi++) new Span<T>(v + xi * vStride + (long)tiles * cp, (rows - tiles) * cp).Clear();
            // 3: M[ξ] = V[ξ]·U[ξ].
            for (int xi = 0; xi < Positions; xi++)
                Multiply(rows, inChannels, v + xi * vStride, cp, filters + (long)xi * inChannels * op, op, m + xi * mStride, op);
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
                            OutputTile(m + (long)tile * op + block, mStride, temporary, result);
                            int count = Math.Min(lanes, outChannels - block);
                            T* plane = dst + (long)s * outImage + ((long)block * outHeight + TileSize * ti) * outWidth + TileSize * tj;
                            if (heightLeft == TileSize && widthLeft == TileSize) StoreTile(result, temporary, count, b is null ? null : b + block, plane, outHeight * outWidth, outWidth);
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
    private static void Stage<T>(T* source, int channels, int height, int width, int top, int left, T* stage, int stagedHeight, int stagedWidth, int stride)
        where T : unmanaged, INumber<T>
    {
        int lanes = Vector512<T>.Count, plane = height * width;
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
                    Transpose(source + ((long)c * height + r) * width + q, plane, to + (long)q * stride + c, stride);
            for (int c = 0; c < wholeChannels; c++) // the columns past the last whole block
                for (int column = q; column < endColumn; column++) to[(long)column * stride + c] = source[((long)c * height + r) * width + column];
            for (int c = wholeChannels; c < channels; c++) // the channels past the last whole vector
                for (int column = firstColumn; column < endColumn; column++) to[(long)column * stride + c] = source[((long)c * height + r) * width + column];
        }
    }

    /// <summary>
    /// target[j·targetStride + i] = source[i·sourceStride + j] for i, j &lt; L: an L×L block transposed in registers (the
    /// 16×16 float and 8×8 double unpack-and-shuffle networks of AVX-512).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose<T>(T* source, nint sourceStride, T* target, nint targetStride) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) RegisterTranspose.Float16x16((float*)source, sourceStride, (float*)target, targetStride);
        else if (typeof(T) == typeof(double)) RegisterTranspose.Double8x8((double*)source, sourceStride, (double*)target, targetStride);
        else throw new PlatformNotSupportedException($"The Winograd convolution transposes float and double, not {typeof(T).Name}.");
    }

    /// <summary>
    /// A whole 4×4 output tile of <paramref name="count"/> ≤ L channels: result[p·L + l] (position p = 4i + j, channel l)
    /// transposed into temporary[l·16 + p], then each channel's four rows of four stored at
    /// plane[l·planeStride + i·rowStride] with the bias (null: none).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile<T>(T* result, T* temporary, int count, T* bias, T* plane, nint planeStride, nint rowStride) where T : unmanaged, INumber<T>
    {
        const int positions = TileSize * TileSize;
        if (typeof(T) == typeof(float))
        {
            RegisterTranspose.Float16x16((float*)result, 16, (float*)temporary, positions);
            for (int l = 0; l < count; l++)
            {
                var row = Vector512.Load((float*)temporary + l * positions);
                if (bias is not null) row += Vector512.Create(((float*)bias)[l]);
                float* to = (float*)plane + l * planeStride;
                row.GetLower().GetLower().Store(to);
                row.GetLower().GetUpper().Store(to + rowStride);
                row.GetUpper().GetLower().Store(to + 2 * rowStride);
                row.GetUpper().GetUpper().Store(to + 3 * rowStride);
            }
        }
        else
        {
            RegisterTranspose.Double8x8((double*)result, 8, (double*)temporary, positions);
            RegisterTranspose.Double8x8((double*)result + 8 * 8, 8, (double*)temporary + 8, positions);
            for (int l = 0; l < count; l++)
            {
                Vector512<double> upper = Vector512.Load((double*)temporary + l * positions), lower = Vector512.Load((double*)temporary + l * positions + 8);
                if (bias is not null)
                {
                    var add = Vector512.Create(((double*)bias)[l]);
                    upper += add;
                    lower += add;
                }
                double* to = (double*)plane + l * planeStride;
                upper.GetLower().Store(to);
                upper.GetUpper().Store(to + rowStride);
                lower.GetLower().Store(to + 2 * rowStride);
                lower.GetUpper().Store(to + 3 * rowStride);
            }
        }
    }

    /// <summary>
    /// Bᵀ·d·B for one tile, L channels at once: d[r][q] = window[r·rowStride + q·pixelStride] (vectors), V[ξ = 6i + j] to
    /// target[ξ·positionStride]. Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTile<T>(T* window, nint rowStride, nint pixelStride, T* target, long positionStride, T* temporary)
        where T : unmanaged, INumber<T>
    {
        int lanes = Vector512<T>.Count;
        // Columns: temporary[i][q] = (Bᵀ·d)[i][q].
        for (int q = 0; q < WindowSize; q++)
        {
            T* column = window + q * pixelStride;
            InputTransform(Vector512.Load(column), Vector512.Load(column + rowStride), Vector512.Load(column + 2 * rowStride),
                Vector512.Load(column + 3 * rowStride), Vector512.Load(column + 4 * rowStride), Vector512.Load(column + 5 * rowStride),
                temporary + q * lanes, WindowSize * lanes);
        }
        // Rows: V[i][j] = ((Bᵀ·d)·B)[i][j].
        for (int i = 0; i < WindowSize; i++)
        {
            T* row = temporary + i * WindowSize * lanes;
            InputTransform(Vector512.Load(row), Vector512.Load(row + lanes), Vector512.Load(row + 2 * lanes), Vector512.Load(row + 3 * lanes),
                Vector512.Load(row + 4 * lanes), Vector512.Load(row + 5 * lanes), target + i * WindowSize * positionStride, (nint)positionStride);
        }
    }

    /// <summary>Bᵀ·(d0 .. d5) into target[i·step], i = 0 .. 5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform<T>(Vector512<T> d0, Vector512<T> d1, Vector512<T> d2, Vector512<T> d3, Vector512<T> d4, Vector512<T> d5,
        T* target, nint step) where T : unmanaged, INumber<T>
    {
        var four = Vector512.Create(T.CreateTruncating(4)); var five = Vector512.Create(T.CreateTruncating(5));
        var two = Vector512.Create(T.CreateTruncating(2));
        Vector512<T> a = d4 - four * d2, c = four * d1 - d3, e = d4 - d2, f = two * (d1 - d3);
        (four * d0 - five * d2 + d4).Store(target);
        (a - c).Store(target + step);
        (a + c).Store(target + 2 * step);
        (e - f).Store(target + 3 * step);
        (e + f).Store(target + 4 * step);
        (four * d1 - five * d3 + d5).Store(target + 5 * step);
    }

    /// <summary>
    /// Aᵀ·M·A for one tile, L channels at once: M[ξ] = source[ξ·positionStride] (vectors), Y[i][j] to result[(4i + j)·L].
    /// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile<T>(T* source, long positionStride, T* temporary, T* result) where T : unmanaged, INumber<T>
    {
        int lanes = Vector512<T>.Count;
        // Columns: temporary[i][j] = (Aᵀ·M)[i][j], i < 4.
        for (int j = 0; j < WindowSize; j++)
        {
            T* column = source + j * positionStride;
            long rowStride = WindowSize * positionStride;
            OutputTransform(Vector512.Load(column), Vector512.Load(column + rowStride), Vector512.Load(column + 2 * rowStride),
                Vector512.Load(column + 3 * rowStride), Vector512.Load(column + 4 * rowStride), Vector512.Load(column + 5 * rowStride),
                temporary + j * lanes, WindowSize * lanes);
        }
        // Rows: Y[i][j] = ((Aᵀ·M)·A)[i][j].
        for (int i = 0; i < TileSize; i++)
        {
            T* row = temporary + i * WindowSize * lanes;
            OutputTransform(Vector512.Load(row), Vector512.Load(row + lanes), Vector512.Load(row + 2 * lanes), Vector512.Load(row + 3 * lanes),
                Vector512.Load(row + 4 * lanes), Vector512.Load(row + 5 * lanes), result + i * TileSize * lanes, lanes);
        }
    }

    /// <summary>Aᵀ·(m0 .. m5) into target[i·step], i = 0 .. 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform<T>(Vector512<T> m0, Vector512<T> m1, Vector512<T> m2, Vector512<T> m3, Vector512<T> m4, Vector512<T> m5,
        T* target, int step) where T : unmanaged, INumber<T>
    {
        var two = Vector512.Create(T.CreateTruncating(2)); var four = Vector512.Create(T.CreateTruncating(4));
        var eight = Vector512.Create(T.CreateTruncating(8));
        Vector512<T> s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
        (m0 + s12 + s34).Store(target);
        (d12 + two * d34).Store(target + step);
        (s12 + four * s34).Store(target + 2 * step);
        (d12 + eight * d34 + m5).Store(target + 3 * step);
    }

    /// <summary>
    /// C (rows × op) = A (rows × depth, row stride lda) · B (depth × op, row stride ldb), rows a multiple of <see cref="MR"/>
    /// and op of 2L: tiles of 12 rows × 2L columns, the row tiles inner (B's 2L-column block stays in L1).
    /// </summary>
    private static void Multiply<T>(int rows, int depth, T* a, int lda, T* b, int ldb, T* c, int ldc) where T : unmanaged, INumber<T>
    {
        int width = 2 * Vector512<T>.Count;
        for (int column = 0; column < ldc; column += width)
            for (int row = 0; row < rows; row += MR)
                Tile(depth, a + (long)row * lda, lda, b + column, ldb, c + (long)row * ldc + column, ldc);
    }

    /// <summary>c0/c1[i·ldc] = Σ_p a[i·lda + p]·b[p·ldb .. + 2L] for the tile's 12 rows (24 accumulators, as DirectConvolution's tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T>(int depth, T* a, nint lda, T* b, nint ldb, T* c, nint ldc) where T : unmanaged, INumber<T>
    {
        nint lanes = Vector512<T>.Count;
        Vector512<T> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default;
        Vector512<T> c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        Vector512<T> c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default;
        Vector512<T> c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        T* a0 = a, a3 = a + 3 * lda, a6 = a + 6 * lda, a9 = a + 9 * lda;
        for (int p = 0; p < depth; p++)
        {
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + lanes);
            Vector512<T> ai;
            ai = Vector512.Create(a0[p]); c0_0 = Fma(ai, b0, c0_0); c0_1 = Fma(ai, b1, c0_1);
            ai = Vector512.Create(a0[lda + p]); c1_0 = Fma(ai, b0, c1_0); c1_1 = Fma(ai, b1, c1_1);
            ai = Vector512.Create(a0[2 * lda + p]); c2_0 = Fma(ai, b0, c2_0); c2_1 = Fma(ai, b1, c2_1);
            ai = Vector512.Create(a3[p]); c3_0 = Fma(ai, b0, c3_0); c3_1 = Fma(ai, b1, c3_1);
            ai = Vector512.Create(a3[lda + p]); c4_0 = Fma(ai, b0, c4_0); c4_1 = Fma(ai, b1, c4_1);
            ai = Vector512.Create(a3[2 * lda + p]); c5_0 = Fma(ai, b0, c5_0); c5_1 = Fma(ai, b1, c5_1);
            ai = Vector512.Create(a6[p]); c6_0 = Fma(ai, b0, c6_0); c6_1 = Fma(ai, b1, c6_1);
            ai = Vector512.Create(a6[lda + p]); c7_0 = Fma(ai, b0, c7_0); c7_1 = Fma(ai, b1, c7_1);
            ai = Vector512.Create(a6[2 * lda + p]); c8_0 = Fma(ai, b0, c8_0); c8_1 = Fma(ai, b1, c8_1);
            ai = Vector512.Create(a9[p]); c9_0 = Fma(ai, b0, c9_0); c9_1 = Fma(ai, b1, c9_1);
            ai = Vector512.Create(a9[lda + p]); c10_0 = Fma(ai, b0, c10_0); c10_1 = Fma(ai, b1, c10_1);
            ai = Vector512.Create(a9[2 * lda + p]); c11_0 = Fma(ai, b0, c11_0); c11_1 = Fma(ai, b1, c11_1);
            b += ldb;
        }
        c0_0.Store(c); c0_1.Store(c + lanes); c += ldc;
        c1_0.Store(c); c1_1.Store(c + lanes); c += ldc;
        c2_0.Store(c); c2_1.Store(c + lanes); c += ldc;
        c3_0.Store(c); c3_1.Store(c + lanes); c += ldc;
        c4_0.Store(c); c4_1.Store(c + lanes); c += ldc;
        c5_0.Store(c); c5_1.Store(c + lanes); c += ldc;
        c6_0.Store(c); c6_1.Store(c + lanes); c += ldc;
        c7_0.Store(c); c7_1.Store(c + lanes); c += ldc;
        c8_0.Store(c); c8_1.Store(c + lanes); c += ldc;
        c9_0.Store(c); c9_1.Store(c + lanes); c += ldc;
        c10_0.Store(c); c10_1.Store(c + lanes); c += ldc;
        c11_0.Store(c); c11_1.Store(c + lanes);
    }

    /// <summary>c + a·b with one rounding (vfmadd231ps/pd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void CheckLength(long length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"The Winograd convolution needs {needed} elements in {name}, but it has {length}.", name);
    }
}
