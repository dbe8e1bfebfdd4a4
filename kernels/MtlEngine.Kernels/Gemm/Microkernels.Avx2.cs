using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

// AVX2 + FMA3 microkernel (16 ymm registers): 6 rows × 2 vectors = 12 accumulators, 2 loads of B, 1 broadcast.

/// <summary>6×(2·W): float 6×16, double 6×8.</summary>
internal readonly unsafe struct Avx2Microkernel<T> : IMicrokernel<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public static int MR => 6;
    /// <inheritdoc />
    public static int NR => 2 * Vector256<T>.Count;

    private static int W => Vector256<T>.Count;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        Vector256<T> c0_0 = default, c0_1 = default;
        Vector256<T> c1_0 = default, c1_1 = default;
        Vector256<T> c2_0 = default, c2_1 = default;
        Vector256<T> c3_0 = default, c3_1 = default;
        Vector256<T> c4_0 = default, c4_1 = default;
        Vector256<T> c5_0 = default, c5_1 = default;
        // Touch the C tile early (first and last value of each row: one or two cache lines): its cache misses overlap the
        // k loop instead of stalling the final update, as in the AVX-512 kernels.
        Sse.Prefetch0(c + 0 * ldc); Sse.Prefetch0(c + 0 * ldc + 2 * W - 1);
        Sse.Prefetch0(c + 1 * ldc); Sse.Prefetch0(c + 1 * ldc + 2 * W - 1);
        Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + 2 * W - 1);
        Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + 2 * W - 1);
        Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + 2 * W - 1);
        Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + 2 * W - 1);
        for (int p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Simd256.Load(b), b1 = Simd256.Load(b + W);
            Vector256<T> ai;
            ai = Simd256.Broadcast(a[0]); c0_0 = Simd256.Fma(ai, b0, c0_0); c0_1 = Simd256.Fma(ai, b1, c0_1);
            ai = Simd256.Broadcast(a[1]); c1_0 = Simd256.Fma(ai, b0, c1_0); c1_1 = Simd256.Fma(ai, b1, c1_1);
            ai = Simd256.Broadcast(a[2]); c2_0 = Simd256.Fma(ai, b0, c2_0); c2_1 = Simd256.Fma(ai, b1, c2_1);
            ai = Simd256.Broadcast(a[3]); c3_0 = Simd256.Fma(ai, b0, c3_0); c3_1 = Simd256.Fma(ai, b1, c3_1);
            ai = Simd256.Broadcast(a[4]); c4_0 = Simd256.Fma(ai, b0, c4_0); c4_1 = Simd256.Fma(ai, b1, c4_1);
            ai = Simd256.Broadcast(a[5]); c5_0 = Simd256.Fma(ai, b0, c5_0); c5_1 = Simd256.Fma(ai, b1, c5_1);
            a += 6;
            b += ldb;
        }
        Vector256<T> va = Simd256.Broadcast(alpha);
        if (beta == T.Zero)
        {
            Simd256.Store(va * c0_0, c + 0 * ldc); Simd256.Store(va * c0_1, c + 0 * ldc + W);
            Simd256.Store(va * c1_0, c + 1 * ldc); Simd256.Store(va * c1_1, c + 1 * ldc + W);
            Simd256.Store(va * c2_0, c + 2 * ldc); Simd256.Store(va * c2_1, c + 2 * ldc + W);
            Simd256.Store(va * c3_0, c + 3 * ldc); Simd256.Store(va * c3_1, c + 3 * ldc + W);
            Simd256.Store(va * c4_0, c + 4 * ldc); Simd256.Store(va * c4_1, c + 4 * ldc + W);
            Simd256.Store(va * c5_0, c + 5 * ldc); Simd256.Store(va * c5_1, c + 5 * ldc + W);
        }
        else
        {
            Vector256<T> vb = Simd256.Broadcast(beta);
            Simd256.Store(Simd256.Fma(va, c0_0, vb * Simd256.Load(c + 0 * ldc)), c + 0 * ldc); Simd256.Store(Simd256.Fma(va, c0_1, vb * Simd256.Load(c + 0 * ldc + W)), c + 0 * ldc + W);
            Simd256.Store(Simd256.Fma(va, c1_0, vb * Simd256.Load(c + 1 * ldc)), c + 1 * ldc); Simd256.Store(Simd256.Fma(va, c1_1, vb * Simd256.Load(c + 1 * ldc + W)), c + 1 * ldc + W);
            Simd256.Store(Simd256.Fma(va, c2_0, vb * Simd256.Load(c + 2 * ldc)), c + 2 * ldc); Simd256.Store(Simd256.Fma(va, c2_1, vb * Simd256.Load(c + 2 * ldc + W)), c + 2 * ldc + W);
            Simd256.Store(Simd256.Fma(va, c3_0, vb * Simd256.Load(c + 3 * ldc)), c + 3 * ldc); Simd256.Store(Simd256.Fma(va, c3_1, vb * Simd256.Load(c + 3 * ldc + W)), c + 3 * ldc + W);
            Simd256.Store(Simd256.Fma(va, c4_0, vb * Simd256.Load(c + 4 * ldc)), c + 4 * ldc); Simd256.Store(Simd256.Fma(va, c4_1, vb * Simd256.Load(c + 4 * ldc + W)), c + 4 * ldc + W);
            Simd256.Store(Simd256.Fma(va, c5_0, vb * Simd256.Load(c + 5 * ldc)), c + 5 * ldc); Simd256.Store(Simd256.Fma(va, c5_1, vb * Simd256.Load(c + 5 * ldc + W)), c + 5 * ldc + W);
        }
    }
}
