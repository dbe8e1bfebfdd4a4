using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// C += A·Bᵀ as m·n dot products of rows, for A (m×k) and B (n×k) whose rows are contiguous: for a small C and a long k
/// (a convolution's weight gradient with few output channels: 6×25 from rows of 784), where GEMM's register tile would
/// be mostly padding and its packing would copy every element of k into a mostly-zero panel.
/// </summary>
public static class RowProducts
{
    /// <summary>
    /// c[i·ldc + j] += Σ_p a[i·lda + p]·b[j·ldb + p] for i &lt; m, j &lt; n: each sum in vector lanes over p (four rows of B
    /// at a time), the lanes added up, then the tail, then added to C. The order depends on the shapes alone.
    /// </summary>
    /// <exception cref="ArgumentException">When a span is shorter than the shapes and strides need.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddTo<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (m <= 0 || n <= 0) return;
        if (lda < k || ldb < k || ldc < n || a.Length < (long)(m - 1) * lda + k || b.Length < (long)(n - 1) * ldb + k || c.Length < (long)(m - 1) * ldc + n)
            throw new ArgumentException(
                $"C += A·Bᵀ with A {m}×{k} (row stride {lda}), B {n}×{k} (row stride {ldb}), C {m}×{n} (row stride {ldc}) needs strides of at least k and n and spans of {(long)(m - 1) * lda + k}, {(long)(n - 1) * ldb + k} and {(long)(m - 1) * ldc + n} elements, but got {a.Length}, {b.Length} and {c.Length}.");
        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref T c0 = ref MemoryMarshal.GetReference(c);
        bool vectors = Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;
        int w = Vector256<T>.Count, kv = vectors ? k / w * w : 0;
        for (int i = 0; i < m; i++)
        {
            ref T row = ref Unsafe.Add(ref a0, i * lda);
            ref T cRow = ref Unsafe.Add(ref c0, i * ldc);
            int j = 0;
            for (; j + 4 <= n && kv > 0; j += 4)
            {
                ref T b1 = ref Unsafe.Add(ref b0, j * ldb);
                ref T b2 = ref Unsafe.Add(ref b1, ldb);
                ref T b3 = ref Unsafe.Add(ref b2, ldb);
                ref T b4 = ref Unsafe.Add(ref b3, ldb);
                Vector256<T> s1 = Vector256<T>.Zero, s2 = s1, s3 = s1, s4 = s1;
                for (int p = 0; p < kv; p += w)
                {
                    var x = Vector256.LoadUnsafe(ref row, (nuint)p);
                    s1 += x * Vector256.LoadUnsafe(ref b1, (nuint)p);
                    s2 += x * Vector256.LoadUnsafe(ref b2, (nuint)p);
                    s3 += x * Vector256.LoadUnsafe(ref b3, (nuint)p);
                    s4 += x * Vector256.LoadUnsafe(ref b4, (nuint)p);
                }
                T t1 = Vector256.Sum(s1), t2 = Vector256.Sum(s2), t3 = Vector256.Sum(s3), t4 = Vector256.Sum(s4);
                for (int p = kv; p < k; p++)
                {
                    T x = Unsafe.Add(ref row, p);
                    t1 += x * Unsafe.Add(ref b1, p);
                    t2 += x * Unsafe.Add(ref b2, p);
                    t3 += x * Unsafe.Add(ref b3, p);
                    t4 += x * Unsafe.Add(ref b4, p);
                }
                Unsafe.Add(ref cRow, j) += t1;
                Unsafe.Add(ref cRow, j + 1) += t2;
                Unsafe.Add(ref cRow, j + 2) += t3;
                Unsafe.Add(ref cRow, j + 3) += t4;
            }
            for (; j < n; j++)
            {
                ref T bRow = ref Unsafe.Add(ref b0, j * ldb);
                Vector256<T> s = Vector256<T>.Zero;
                for (int p = 0; p < kv; p += w) s += Vector256.LoadUnsafe(ref row, (nuint)p) * Vector256.LoadUnsafe(ref bRow, (nuint)p);
                T t = kv > 0 ? Vector256.Sum(s) : T.Zero;
                for (int p = kv; p < k; p++) t += Unsafe.Add(ref row, p) * Unsafe.Add(ref bRow, p);
                Unsafe.Add(ref cRow, j) += t;
            }
        }
    }
}
