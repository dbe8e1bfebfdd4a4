using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels.Layout;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// One L-lane vector of T at one width, and that width's own pieces of <see cref="WinogradConvolution"/>: the register
/// transposes, the store of an output tile and the multiply's register tile. The transforms are written once, over this
/// interface (<see cref="WinogradTransforms{T, TVector}"/>); the JIT compiles them for each width's struct
/// (<see cref="WinogradVectors512{T}"/>, <see cref="WinogradVectors256{T}"/>), so they run on Vector512 or Vector256
/// registers directly. Both compute the same formulas in the same order per lane, so a lane's result does not
/// depend on the width; only the register tile's height differs (how many accumulators the registers hold).
/// </summary>
internal unsafe interface IWinogradVectors<TSelf, T> : IAdditionOperators<TSelf, TSelf, TSelf>, ISubtractionOperators<TSelf, TSelf, TSelf>,
    IMultiplyOperators<TSelf, TSelf, TSelf>, IUnaryNegationOperators<TSelf, TSelf>
    where TSelf : unmanaged, IWinogradVectors<TSelf, T> where T : unmanaged, INumber<T>
{
    /// <summary>L: the T lanes of a vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>The register tile's rows (tiles), each two vectors of output channels: 12 or 6 (<see cref="Tile"/>).</summary>
    static abstract int Rows { get; }

    /// <summary>The L values at <paramref name="source"/>.</summary>
    static abstract TSelf Load(T* source);

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TSelf Create(T value);

    /// <summary>Writes the L lanes to <paramref name="target"/>.</summary>
    void Store(T* target);

    /// <summary>
    /// A whole 4×4 output tile of <paramref name="count"/> ≤ L channels: result[p·L + l] (position p = 4i + j, channel l)
    /// transposed into temporary[l·16 + p], then each channel's four rows of four stored at plane[l·planeStride + i·rowStride]
    /// with the bias (null: none).
    /// </summary>
    static abstract void StoreTile(T* result, T* temporary, int count, T* bias, T* plane, nint planeStride, nint rowStride);

    /// <summary>target[j·targetStride + i] = source[i·sourceStride + j] for i, j &lt; L.</summary>
    static abstract void Transpose(T* source, nint sourceStride, T* target, nint targetStride);

    /// <summary>
    /// The register tile of the Winograd multiply: c[i·ldc .. + 2L] = Σ_p a[i·lda + p]·b[p·ldb .. + 2L] for i &lt; <see cref="Rows"/>
    /// (two accumulators per row): <see cref="WinogradTile.Multiply"/> on this width's raw vectors.
    /// </summary>
    static abstract void Tile(int depth, T* a, nint lda, T* b, nint ldb, T* c, nint ldc);
}

/// <summary>
/// The filter, input and output transforms of <see cref="WinogradConvolution"/>, once for both widths: TVector is
/// <see cref="WinogradVectors512{T}"/> or <see cref="WinogradVectors256{T}"/> (a struct, so each width gets its own
/// compiled copy, with the vector operations inlined).
/// </summary>
internal static unsafe class WinogradTransforms<T, TVector> where T : unmanaged, INumber<T> where TVector : unmanaged, IWinogradVectors<TVector, T>
{
    /// <summary>G·g·Gᵀ for L kernels at once: g[t·L + l] entry t of kernel l; position ξ to target[ξ·positionStride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FilterTile(T* g, T* target, long positionStride)
    {
        int lanes = TVector.Lanes;
        TVector* gg = stackalloc TVector[18]; // G·g, 6×3
        TVector* row = stackalloc TVector[WinogradConvolution.WindowSize];
        for (int j = 0; j < 3; j++)
            FilterColumn(TVector.Load(g + j * lanes), TVector.Load(g + (3 + j) * lanes), TVector.Load(g + (6 + j) * lanes), gg + j, 3);
        for (int i = 0; i < WinogradConvolution.WindowSize; i++)
        {
            FilterColumn(gg[i * 3], gg[i * 3 + 1], gg[i * 3 + 2], row, 1);
            for (int j = 0; j < WinogradConvolution.WindowSize; j++) row[j].Store(target + (i * WinogradConvolution.WindowSize + j) * positionStride);
        }
    }

    /// <summary>G·(g0, g1, g2) into target[i·step], i = 0 .. 5 (G of F(4×4, 3×3), points 0, ±1, ±2, ∞: rows 1/4 (1, 0, 0),
    /// −1/6 (1, 1, 1), −1/6 (1, −1, 1), 1/24 (1, 2, 4), 1/24 (1, −2, 4), (0, 0, 1)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterColumn(TVector g0, TVector g1, TVector g2, TVector* target, int step)
    {
        var quarter = TVector.Create(T.One / T.CreateTruncating(4));
        var sixth = TVector.Create(T.One / T.CreateTruncating(6));
        var twentyFourth = TVector.Create(T.One / T.CreateTruncating(24));
        var two = TVector.Create(T.CreateTruncating(2));
        var four = TVector.Create(T.CreateTruncating(4));
        TVector even = g0 + g2, even4 = g0 + four * g2, odd2 = two * g1;
        target[0] = quarter * g0;
        target[step] = -sixth * (even + g1);
        target[2 * step] = -sixth * (even - g1);
        target[3 * step] = twentyFourth * (even4 + odd2);
        target[4 * step] = twentyFourth * (even4 - odd2);
        target[5 * step] = g2;
    }

    /// <summary>Bᵀ·d·B for one tile, L channels at once: d[r][q] = window[r·rowStride + q·pixelStride], V[ξ] to target[ξ·positionStride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputTile(T* window, nint rowStride, nint pixelStride, T* target, long positionStride, T* temporary)
    {
        int lanes = TVector.Lanes;
        const int size = WinogradConvolution.WindowSize;
        // Columns: temporary[i][q] = (Bᵀ·d)[i][q].
        for (int q = 0; q < size; q++)
        {
            T* column = window + q * pixelStride;
            InputTransform(TVector.Load(column), TVector.Load(column + rowStride), TVector.Load(column + 2 * rowStride),
                TVector.Load(column + 3 * rowStride), TVector.Load(column + 4 * rowStride), TVector.Load(column + 5 * rowStride),
                temporary + q * lanes, size * lanes);
        }
        // Rows: V[i][j] = ((Bᵀ·d)·B)[i][j].
        for (int i = 0; i < size; i++)
        {
            T* row = temporary + i * size * lanes;
            InputTransform(TVector.Load(row), TVector.Load(row + lanes), TVector.Load(row + 2 * lanes), TVector.Load(row + 3 * lanes),
                TVector.Load(row + 4 * lanes), TVector.Load(row + 5 * lanes), target + i * size * positionStride, (nint)positionStride);
        }
    }

    /// <summary>Bᵀ·(d0 .. d5) into target[i·step], i = 0 .. 5; Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(TVector d0, TVector d1, TVector d2, TVector d3, TVector d4, TVector d5, T* target, nint step)
    {
        var four = TVector.Create(T.CreateTruncating(4)); var five = TVector.Create(T.CreateTruncating(5));
        var two = TVector.Create(T.CreateTruncating(2));
        TVector d1Times4 = four * d1; // used twice; named, so that the JIT keeps it in a register instead of copying it (one move per call on both widths)
        TVector a = d4 - four * d2, c = d1Times4 - d3, e = d4 - d2, f = two * (d1 - d3);
        (four * d0 - five * d2 + d4).Store(target);
        (a - c).Store(target + step);
        (a + c).Store(target + 2 * step);
        (e - f).Store(target + 3 * step);
        (e + f).Store(target + 4 * step);
        (d1Times4 - five * d3 + d5).Store(target + 5 * step);
    }

    /// <summary>Aᵀ·M·A for one tile, L channels at once: M[ξ] = source[ξ·positionStride], Y[i][j] to result[(4i + j)·L].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OutputTile(T* source, long positionStride, T* temporary, T* result)
    {
        int lanes = TVector.Lanes;
        const int size = WinogradConvolution.WindowSize, tile = WinogradConvolution.TileSize;
        // Columns: temporary[i][j] = (Aᵀ·M)[i][j], i < 4.
        for (int j = 0; j < size; j++)
        {
            T* column = source + j * positionStride;
            long rowStride = size * positionStride;
            OutputTransform(TVector.Load(column), TVector.Load(column + rowStride), TVector.Load(column + 2 * rowStride),
                TVector.Load(column + 3 * rowStride), TVector.Load(column + 4 * rowStride), TVector.Load(column + 5 * rowStride),
                temporary + j * lanes, size * lanes);
        }
        // Rows: Y[i][j] = ((Aᵀ·M)·A)[i][j].
        for (int i = 0; i < tile; i++)
        {
            T* row = temporary + i * size * lanes;
            OutputTransform(TVector.Load(row), TVector.Load(row + lanes), TVector.Load(row + 2 * lanes), TVector.Load(row + 3 * lanes),
                TVector.Load(row + 4 * lanes), TVector.Load(row + 5 * lanes), result + i * tile * lanes, lanes);
        }
    }

    /// <summary>Aᵀ·(m0 .. m5) into target[i·step], i = 0 .. 3; Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(TVector m0, TVector m1, TVector m2, TVector m3, TVector m4, TVector m5, T* target, int step)
    {
        var two = TVector.Create(T.CreateTruncating(2)); var four = TVector.Create(T.CreateTruncating(4));
        var eight = TVector.Create(T.CreateTruncating(8));
        TVector s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
        (m0 + s12 + s34).Store(target);
        (d12 + two * d34).Store(target + step);
        (s12 + four * s34).Store(target + 2 * step);
        (d12 + eight * d34 + m5).Store(target + 3 * step);
    }
}


/// <summary>The Winograd multiply's register tile, once for both widths.</summary>
internal static unsafe class WinogradTile
{
    /// <summary>
    /// c[i·ldc .. + 2L] = Σ_p a[i·lda + p]·b[p·ldb .. + 2L] for i &lt; TVectors.Rows, two accumulators a row: 12 rows with
    /// AVX-512's 32 registers (24 accumulators, as DirectConvolution's tile), 6 with AVX2's 16 (as GEMM's AVX2 microkernel).
    /// The rows past TVectors.Rows are constant-false branches, gone from the 6-row kernel. On the raw vectors TV
    /// (<see cref="ISimdLanes{T, TV}"/>), not on the wrapper struct TVectors the transforms use.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T, TV, TLanes, TVectors>(int depth, T* a, nint lda, T* b, nint ldb, T* c, nint ldc)
        where T : unmanaged, INumber<T> where TV : struct where TLanes : ISimdLanes<T, TV> where TVectors : unmanaged, IWinogradVectors<TVectors, T>
    {
        nint lanes = TLanes.Count;
        TV c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default;
        TV c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        TV c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default;
        TV c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        T* a0 = a, a3 = a + 3 * lda, a6 = a + 6 * lda, a9 = a + 9 * lda;
        for (int p = 0; p < depth; p++)
        {
            TV b0 = TLanes.Load(b), b1 = TLanes.Load(b + lanes);
            TV ai;
            ai = TLanes.Broadcast(a0[p]); c0_0 = TLanes.MultiplyAdd(ai, b0, c0_0); c0_1 = TLanes.MultiplyAdd(ai, b1, c0_1);
            ai = TLanes.Broadcast(a0[lda + p]); c1_0 = TLanes.MultiplyAdd(ai, b0, c1_0); c1_1 = TLanes.MultiplyAdd(ai, b1, c1_1);
            ai = TLanes.Broadcast(a0[2 * lda + p]); c2_0 = TLanes.MultiplyAdd(ai, b0, c2_0); c2_1 = TLanes.MultiplyAdd(ai, b1, c2_1);
            ai = TLanes.Broadcast(a3[p]); c3_0 = TLanes.MultiplyAdd(ai, b0, c3_0); c3_1 = TLanes.MultiplyAdd(ai, b1, c3_1);
            ai = TLanes.Broadcast(a3[lda + p]); c4_0 = TLanes.MultiplyAdd(ai, b0, c4_0); c4_1 = TLanes.MultiplyAdd(ai, b1, c4_1);
            ai = TLanes.Broadcast(a3[2 * lda + p]); c5_0 = TLanes.MultiplyAdd(ai, b0, c5_0); c5_1 = TLanes.MultiplyAdd(ai, b1, c5_1);
            if (TVectors.Rows > 6)
            {
                ai = TLanes.Broadcast(a6[p]); c6_0 = TLanes.MultiplyAdd(ai, b0, c6_0); c6_1 = TLanes.MultiplyAdd(ai, b1, c6_1);
                ai = TLanes.Broadcast(a6[lda + p]); c7_0 = TLanes.MultiplyAdd(ai, b0, c7_0); c7_1 = TLanes.MultiplyAdd(ai, b1, c7_1);
                ai = TLanes.Broadcast(a6[2 * lda + p]); c8_0 = TLanes.MultiplyAdd(ai, b0, c8_0); c8_1 = TLanes.MultiplyAdd(ai, b1, c8_1);
                ai = TLanes.Broadcast(a9[p]); c9_0 = TLanes.MultiplyAdd(ai, b0, c9_0); c9_1 = TLanes.MultiplyAdd(ai, b1, c9_1);
                ai = TLanes.Broadcast(a9[lda + p]); c10_0 = TLanes.MultiplyAdd(ai, b0, c10_0); c10_1 = TLanes.MultiplyAdd(ai, b1, c10_1);
                ai = TLanes.Broadcast(a9[2 * lda + p]); c11_0 = TLanes.MultiplyAdd(ai, b0, c11_0); c11_1 = TLanes.MultiplyAdd(ai, b1, c11_1);
            }
            b += ldb;
        }
        TLanes.Store(c0_0, c); TLanes.Store(c0_1, c + lanes); c += ldc;
        TLanes.Store(c1_0, c); TLanes.Store(c1_1, c + lanes); c += ldc;
        TLanes.Store(c2_0, c); TLanes.Store(c2_1, c + lanes); c += ldc;
        TLanes.Store(c3_0, c); TLanes.Store(c3_1, c + lanes); c += ldc;
        TLanes.Store(c4_0, c); TLanes.Store(c4_1, c + lanes); c += ldc;
        TLanes.Store(c5_0, c); TLanes.Store(c5_1, c + lanes);
        if (TVectors.Rows > 6)
        {
            c += ldc;
            TLanes.Store(c6_0, c); TLanes.Store(c6_1, c + lanes); c += ldc;
            TLanes.Store(c7_0, c); TLanes.Store(c7_1, c + lanes); c += ldc;
            TLanes.Store(c8_0, c); TLanes.Store(c8_1, c + lanes); c += ldc;
            TLanes.Store(c9_0, c); TLanes.Store(c9_1, c + lanes); c += ldc;
            TLanes.Store(c10_0, c); TLanes.Store(c10_1, c + lanes); c += ldc;
            TLanes.Store(c11_0, c); TLanes.Store(c11_1, c + lanes);
        }
    }
}

/// <summary>The Winograd convolution's AVX-512 vector: 512 bits, a 12-row register tile (24 accumulators of 32 registers).</summary>
internal readonly unsafe struct WinogradVectors512<T> : IWinogradVectors<WinogradVectors512<T>, T> where T : unmanaged, INumber<T>
{
    private readonly Vector512<T> _value;

    private WinogradVectors512(Vector512<T> value) => _value = value;

    public static int Lanes => Vector512<T>.Count;

    public static int Rows => 12;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors512<T> Load(T* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors512<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(T* target) => _value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors512<T> operator +(WinogradVectors512<T> left, WinogradVectors512<T> right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors512<T> operator -(WinogradVectors512<T> left, WinogradVectors512<T> right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors512<T> operator *(WinogradVectors512<T> left, WinogradVectors512<T> right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors512<T> operator -(WinogradVectors512<T> value) => new(-value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTile(T* result, T* temporary, int count, T* bias, T* plane, nint planeStride, nint rowStride)
    {
        const int positions = WinogradConvolution.TileSize * WinogradConvolution.TileSize;
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

    /// <summary>The 16×16 float and 8×8 double transposes of AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(T* source, nint sourceStride, T* target, nint targetStride)
    {
        if (typeof(T) == typeof(float)) RegisterTranspose.Float16x16((float*)source, sourceStride, (float*)target, targetStride);
        else if (typeof(T) == typeof(double)) RegisterTranspose.Double8x8((double*)source, sourceStride, (double*)target, targetStride);
        else throw new PlatformNotSupportedException($"The Winograd convolution transposes float and double, not {typeof(T).Name}.");
    }


    /// <summary>12 rows × 2 vectors (<see cref="WinogradTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int depth, T* a, nint lda, T* b, nint ldb, T* c, nint ldc) =>
        WinogradTile.Multiply<T, Vector512<T>, SimdLanes512<T>, WinogradVectors512<T>>(depth, a, lda, b, ldb, c, ldc);
}

/// <summary>
/// The Winograd convolution's AVX2 + FMA vector (the Zen 3 path): 256 bits, a 6-row register tile (12 accumulators, two
/// loads and a broadcast in AVX2's 16 registers, as GEMM's AVX2 microkernel).
/// </summary>
internal readonly unsafe struct WinogradVectors256<T> : IWinogradVectors<WinogradVectors256<T>, T> where T : unmanaged, INumber<T>
{
    private readonly Vector256<T> _value;

    private WinogradVectors256(Vector256<T> value) => _value = value;

    public static int Lanes => Vector256<T>.Count;

    public static int Rows => 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors256<T> Load(T* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors256<T> Create(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(T* target) => _value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors256<T> operator +(WinogradVectors256<T> left, WinogradVectors256<T> right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors256<T> operator -(WinogradVectors256<T> left, WinogradVectors256<T> right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors256<T> operator *(WinogradVectors256<T> left, WinogradVectors256<T> right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WinogradVectors256<T> operator -(WinogradVectors256<T> value) => new(-value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTile(T* result, T* temporary, int count, T* bias, T* plane, nint planeStride, nint rowStride)
    {
        const int positions = WinogradConvolution.TileSize * WinogradConvolution.TileSize;
        if (typeof(T) == typeof(float))
        {
            // 16 positions × 8 channels: two 8×8 blocks (positions 0-7, rows 0-1 of the tile; positions 8-15, rows 2-3).
            RegisterTranspose.Float8x8((float*)result, 8, (float*)temporary, positions);
            RegisterTranspose.Float8x8((float*)result + 8 * 8, 8, (float*)temporary + 8, positions);
            for (int l = 0; l < count; l++)
            {
                Vector256<float> upper = Vector256.Load((float*)temporary + l * positions), lower = Vector256.Load((float*)temporary + l * positions + 8);
                if (bias is not null)
                {
                    var add = Vector256.Create(((float*)bias)[l]);
                    upper += add;
                    lower += add;
                }
                float* to = (float*)plane + l * planeStride;
                upper.GetLower().Store(to);
                upper.GetUpper().Store(to + rowStride);
                lower.GetLower().Store(to + 2 * rowStride);
                lower.GetUpper().Store(to + 3 * rowStride);
            }
        }
        else
        {
            // 16 positions × 4 channels: four 4×4 blocks, one per row of the tile.
            for (int i = 0; i < WinogradConvolution.TileSize; i++)
                RegisterTranspose.Double4x4((double*)result + i * 4 * 4, 4, (double*)temporary + i * 4, positions);
            for (int l = 0; l < count; l++)
            {
                var add = bias is null ? Vector256<double>.Zero : Vector256.Create(((double*)bias)[l]);
                double* to = (double*)plane + l * planeStride;
                for (int i = 0; i < WinogradConvolution.TileSize; i++)
                {
                    var row = Vector256.Load((double*)temporary + l * positions + i * 4);
                    (bias is null ? row : row + add).Store(to + i * rowStride);
                }
            }
        }
    }

    /// <summary>The 8×8 float and 4×4 double transposes of AVX.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(T* source, nint sourceStride, T* target, nint targetStride)
    {
        if (typeof(T) == typeof(float)) RegisterTranspose.Float8x8((float*)source, sourceStride, (float*)target, targetStride);
        else if (typeof(T) == typeof(double)) RegisterTranspose.Double4x4((double*)source, sourceStride, (double*)target, targetStride);
        else throw new PlatformNotSupportedException($"The Winograd convolution transposes float and double, not {typeof(T).Name}.");
    }


    /// <summary>6 rows × 2 vectors (<see cref="WinogradTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int depth, T* a, nint lda, T* b, nint ldb, T* c, nint ldc) =>
        WinogradTile.Multiply<T, Vector256<T>, SimdLanes256<T>, WinogradVectors256<T>>(depth, a, lda, b, ldb, c, ldc);
}
