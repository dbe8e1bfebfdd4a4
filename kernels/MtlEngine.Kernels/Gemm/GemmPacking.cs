using System.Numerics;
using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// Packing (Goto &amp; van de Geijn 2008): copies a block of A or B into the order the microkernel reads it,
/// so that the microkernel walks memory with unit stride whatever the strides of the user's views.
/// Partial panels at the edges are padded with zeros, so the microkernel always computes a full tile.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc×kc block A[i, p] = a[i·rsA + p·csA] into ⌈mc/MR⌉ micro-panels; micro-panel r holds,
    /// for each p, the MR values of rows r·MR .. r·MR + MR − 1: packed[r·MR·kc + p·MR + i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(int mc, int kc, int mr, T* a, nint rsA, nint csA, T* packed) where T : unmanaged, INumber<T>
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* src = a + ir * rsA;
            if (csA == 1)
            {
                // Row-major A: each row is contiguous in p; write it with stride MR.
                for (int i = 0; i < rows; i++)
                {
                    T* row = src + i * rsA;
                    T* dst = packed + i;
                    for (int p = 0; p < kc; p++) dst[p * mr] = row[p];
                }
                for (int i = rows; i < mr; i++)
                    for (int p = 0; p < kc; p++) packed[p * mr + i] = T.Zero;
            }
            else
            {
                // Column-major (or general) A: for each p, the MR values are csA apart from rsA steps.
                for (int p = 0; p < kc; p++)
                {
                    T* col = src + p * csA;
                    T* dst = packed + p * mr;
                    int i = 0;
                    if (rsA == 1) { new ReadOnlySpan<T>(col, rows).CopyTo(new Span<T>(dst, rows)); i = rows; }
                    for (; i < rows; i++) dst[i] = col[i * rsA];
                    for (; i < mr; i++) dst[i] = T.Zero;
                }
            }
            packed += mr * kc;
        }
    }

    /// <summary>
    /// Packs the kc×nc block B[p, j] = b[p·rsB + j·csB] into ⌈nc/NR⌉ micro-panels; micro-panel s holds,
    /// for each p, the NR values of columns s·NR .. s·NR + NR − 1: packed[s·NR·kc + p·NR + j].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(int kc, int nc, int nr, T* b, nint rsB, nint csB, T* packed) where T : unmanaged, INumber<T>
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int columns = Math.Min(nr, nc - jr);
            PackBPanel(kc, columns, nr, b + jr * csB, rsB, csB, packed);
            packed += nr * kc;
        }
    }

    /// <summary>Packs one kc×columns sliver of B into a kc×NR micro-panel (zero-padded past <paramref name="columns"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel<T>(int kc, int columns, int nr, T* b, nint rsB, nint csB, T* packed) where T : unmanaged, INumber<T>
    {
        if (csB == 1)
        {
            // Row-major B: each row of the sliver is one contiguous copy.
            for (int p = 0; p < kc; p++)
            {
                T* dst = packed + p * nr;
                new ReadOnlySpan<T>(b + p * rsB, columns).CopyTo(new Span<T>(dst, columns));
                for (int j = columns; j < nr; j++) dst[j] = T.Zero;
            }
        }
        else
        {
            for (int j = 0; j < columns; j++)
            {
                T* col = b + j * csB;
                T* dst = packed + j;
                for (int p = 0; p < kc; p++) dst[p * nr] = col[p * rsB];
            }
            for (int p = 0; p < kc; p++)
                for (int j = columns; j < nr; j++) packed[p * nr + j] = T.Zero;
        }
    }
}
