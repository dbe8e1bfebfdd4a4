using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Gemm;

// AVX2 + FMA3 microkernel (16 ymm registers): 6 rows × 2 vectors = 12 accumulators, 2 loads of B, 1 broadcast.
// The body is the portable kernel's (BroadcastTile, Microkernels.Portable.cs) on 256-bit vectors. Each tile is a method of
// its own (NoInlining), as when the bodies were separate: the wrappers are small enough that the JIT would otherwise inline
// them, k loop and all, into every call site of GemmDriver.Tile (one driver method of 4 KB of code).

/// <summary>6×(2·W): float 6×16, double 6×8; and a 4×(2·W) short tile for the last row panel of 1 to 4 rows.</summary>
internal readonly unsafe struct Avx2Microkernel<T> : IMicrokernel<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public static int MR => 6;
    /// <inheritdoc />
    public static int NR => 2 * Vector256<T>.Count;
    /// <inheritdoc />
    public static int ShortMR => 4;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) =>
        BroadcastTile<T, Vector256<T>, SimdLanes256<T>, Rows6>.Run(kc, a, MR, b, ldb, c, ldc, alpha, beta);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void RunShort(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) =>
        BroadcastTile<T, Vector256<T>, SimdLanes256<T>, Rows4>.Run(kc, a, MR, b, ldb, c, ldc, alpha, beta);
}
