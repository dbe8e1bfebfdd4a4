using System.Numerics;
using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

// Portable microkernel over Vector<T> (any hardware the runtime vectorizes): 4 rows × 2 vectors.

/// <summary>4×(2·W) over Vector&lt;T&gt;.</summary>
internal readonly unsafe struct PortableMicrokernel<T> : IMicrokernel<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public static int MR => 4;
    /// <inheritdoc />
    public static int NR => 2 * Vector<T>.Count;

    private static int W => Vector<T>.Count;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        Vector<T> c0_0 = default, c0_1 = default;
        Vector<T> c1_0 = default, c1_1 = default;
        Vector<T> c2_0 = default, c2_1 = default;
        Vector<T> c3_0 = default, c3_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector<T> b0 = SimdPortable.Load(b), b1 = SimdPortable.Load(b + W);
            Vector<T> ai;
            ai = SimdPortable.Broadcast(a[0]); c0_0 = SimdPortable.Fma(ai, b0, c0_0); c0_1 = SimdPortable.Fma(ai, b1, c0_1);
            ai = SimdPortable.Broadcast(a[1]); c1_0 = SimdPortable.Fma(ai, b0, c1_0); c1_1 = SimdPortable.Fma(ai, b1, c1_1);
            ai = SimdPortable.Broadcast(a[2]); c2_0 = SimdPortable.Fma(ai, b0, c2_0); c2_1 = SimdPortable.Fma(ai, b1, c2_1);
            ai = SimdPortable.Broadcast(a[3]); c3_0 = SimdPortable.Fma(ai, b0, c3_0); c3_1 = SimdPortable.Fma(ai, b1, c3_1);
            a += 4;
            b += ldb;
        }
        Vector<T> va = SimdPortable.Broadcast(alpha);
        if (beta == T.Zero)
        {
            SimdPortable.Store(va * c0_0, c + 0 * ldc); SimdPortable.Store(va * c0_1, c + 0 * ldc + W);
            SimdPortable.Store(va * c1_0, c + 1 * ldc); SimdPortable.Store(va * c1_1, c + 1 * ldc + W);
            SimdPortable.Store(va * c2_0, c + 2 * ldc); SimdPortable.Store(va * c2_1, c + 2 * ldc + W);
            SimdPortable.Store(va * c3_0, c + 3 * ldc); SimdPortable.Store(va * c3_1, c + 3 * ldc + W);
        }
        else
        {
            Vector<T> vb = SimdPortable.Broadcast(beta);
            SimdPortable.Store(SimdPortable.Fma(va, c0_0, vb * SimdPortable.Load(c + 0 * ldc)), c + 0 * ldc); SimdPortable.Store(SimdPortable.Fma(va, c0_1, vb * SimdPortable.Load(c + 0 * ldc + W)), c + 0 * ldc + W);
            SimdPortable.Store(SimdPortable.Fma(va, c1_0, vb * SimdPortable.Load(c + 1 * ldc)), c + 1 * ldc); SimdPortable.Store(SimdPortable.Fma(va, c1_1, vb * SimdPortable.Load(c + 1 * ldc + W)), c + 1 * ldc + W);
            SimdPortable.Store(SimdPortable.Fma(va, c2_0, vb * SimdPortable.Load(c + 2 * ldc)), c + 2 * ldc); SimdPortable.Store(SimdPortable.Fma(va, c2_1, vb * SimdPortable.Load(c + 2 * ldc + W)), c + 2 * ldc + W);
            SimdPortable.Store(SimdPortable.Fma(va, c3_0, vb * SimdPortable.Load(c + 3 * ldc)), c + 3 * ldc); SimdPortable.Store(SimdPortable.Fma(va, c3_1, vb * SimdPortable.Load(c + 3 * ldc + W)), c + 3 * ldc + W);
        }
    }
}
