using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

// Portable microkernel over Vector<T> (any hardware the runtime vectorizes): 4 rows × 2 vectors. Its body, BroadcastTile,
// is also the AVX2 kernel's (6 rows × 2 vectors of 256 bits, Microkernels.Avx2.cs).

/// <summary>4×(2·W) over Vector&lt;T&gt;.</summary>
internal readonly unsafe struct PortableMicrokernel<T> : IMicrokernel<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public static int MR => 4;
    /// <inheritdoc />
    public static int NR => 2 * Vector<T>.Count;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) =>
        BroadcastTile<T, Vector<T>, SimdLanesPortable<T>, Rows4>.Run(kc, a, MR, b, ldb, c, ldc, alpha, beta);
}

/// <summary>
/// The body of the broadcast microkernels: a tile of <typeparamref name="TRows"/> rows (4 or 6) × 2 vectors, each k step
/// two loads of B, one broadcast of A per row and two fused multiply-adds per row (<see cref="IMicrokernel{T}"/>'s formula);
/// rows 4 and 5 are compiled only for six rows. The AVX2 kernel (6 rows, 256-bit, and its 4-row short tile) and the
/// portable kernel (4 rows, <see cref="Vector{T}"/>) are this one body. A advances by <c>aStep</c> values per k (the
/// packing's MR: the short tile reads the first 4 rows of 6-row micro-panels).
/// </summary>
internal static unsafe class BroadcastTile<T, TV, TLanes, TRows>
    where T : unmanaged, INumber<T>
    where TV : struct
    where TLanes : ISimdLanes<T, TV>
    where TRows : ITileRows
{
    /// <summary>C[i, j] = α·Σ_p a[p·aStep + i]·b[p·ldb + j] + β·C[i, j] for the tile's rows i and 2·W columns j (β = 0: C not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int kc, T* a, nint aStep, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        bool six = TRows.Count == 6;
        int w = TLanes.Count;
        TV c0_0 = default, c0_1 = default;
        TV c1_0 = default, c1_1 = default;
        TV c2_0 = default, c2_1 = default;
        TV c3_0 = default, c3_1 = default;
        TV c4_0 = default, c4_1 = default;
        TV c5_0 = default, c5_1 = default;
        if (Sse.IsSupported)
        {
            // Touch the C tile early (first and last value of each row: one or two cache lines): its cache misses overlap the
            // k loop instead of stalling the final update, as in the AVX-512 kernels.
            Sse.Prefetch0(c + 0 * ldc); Sse.Prefetch0(c + 0 * ldc + 2 * w - 1);
            Sse.Prefetch0(c + 1 * ldc); Sse.Prefetch0(c + 1 * ldc + 2 * w - 1);
            Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + 2 * w - 1);
            Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + 2 * w - 1);
            if (six)
            {
                Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + 2 * w - 1);
                Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + 2 * w - 1);
            }
        }
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TLanes.Load(b), b1 = TLanes.Load(b + w);
            TV ai;
            ai = TLanes.Broadcast(a[0]); c0_0 = TLanes.MultiplyAdd(ai, b0, c0_0); c0_1 = TLanes.MultiplyAdd(ai, b1, c0_1);
            ai = TLanes.Broadcast(a[1]); c1_0 = TLanes.MultiplyAdd(ai, b0, c1_0); c1_1 = TLanes.MultiplyAdd(ai, b1, c1_1);
            ai = TLanes.Broadcast(a[2]); c2_0 = TLanes.MultiplyAdd(ai, b0, c2_0); c2_1 = TLanes.MultiplyAdd(ai, b1, c2_1);
            ai = TLanes.Broadcast(a[3]); c3_0 = TLanes.MultiplyAdd(ai, b0, c3_0); c3_1 = TLanes.MultiplyAdd(ai, b1, c3_1);
            if (six)
            {
                ai = TLanes.Broadcast(a[4]); c4_0 = TLanes.MultiplyAdd(ai, b0, c4_0); c4_1 = TLanes.MultiplyAdd(ai, b1, c4_1);
                ai = TLanes.Broadcast(a[5]); c5_0 = TLanes.MultiplyAdd(ai, b0, c5_0); c5_1 = TLanes.MultiplyAdd(ai, b1, c5_1);
            }
            a += aStep;
            b += ldb;
        }
        TV va = TLanes.Broadcast(alpha);
        if (beta == T.Zero)
        {
            TLanes.Store(TLanes.Multiply(va, c0_0), c + 0 * ldc); TLanes.Store(TLanes.Multiply(va, c0_1), c + 0 * ldc + w);
            TLanes.Store(TLanes.Multiply(va, c1_0), c + 1 * ldc); TLanes.Store(TLanes.Multiply(va, c1_1), c + 1 * ldc + w);
            TLanes.Store(TLanes.Multiply(va, c2_0), c + 2 * ldc); TLanes.Store(TLanes.Multiply(va, c2_1), c + 2 * ldc + w);
            TLanes.Store(TLanes.Multiply(va, c3_0), c + 3 * ldc); TLanes.Store(TLanes.Multiply(va, c3_1), c + 3 * ldc + w);
            if (six)
            {
                TLanes.Store(TLanes.Multiply(va, c4_0), c + 4 * ldc); TLanes.Store(TLanes.Multiply(va, c4_1), c + 4 * ldc + w);
                TLanes.Store(TLanes.Multiply(va, c5_0), c + 5 * ldc); TLanes.Store(TLanes.Multiply(va, c5_1), c + 5 * ldc + w);
            }
        }
        else
        {
            TV vb = TLanes.Broadcast(beta);
            Update(c + 0 * ldc, c0_0, c0_1, va, vb, w);
            Update(c + 1 * ldc, c1_0, c1_1, va, vb, w);
            Update(c + 2 * ldc, c2_0, c2_1, va, vb, w);
            Update(c + 3 * ldc, c3_0, c3_1, va, vb, w);
            if (six)
            {
                Update(c + 4 * ldc, c4_0, c4_1, va, vb, w);
                Update(c + 5 * ldc, c5_0, c5_1, va, vb, w);
            }
        }
    }

    /// <summary>One row of the tile: C = α·acc + β·C, fused (one rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(T* row, TV acc0, TV acc1, TV va, TV vb, int w)
    {
        TLanes.Store(TLanes.MultiplyAdd(va, acc0, TLanes.Multiply(vb, TLanes.Load(row))), row);
        TLanes.Store(TLanes.MultiplyAdd(va, acc1, TLanes.Multiply(vb, TLanes.Load(row + w))), row + w);
    }
}
