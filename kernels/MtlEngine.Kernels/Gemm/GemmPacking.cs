using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// Packing (Goto &amp; van de Geijn 2008): copies a block of A or B into the order the microkernel reads it,
/// so that the microkernel walks memory with unit stride whatever the strides of the user's views.
/// Partial panels at the edges are padded with zeros, so the microkernel always computes a full tile.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>The lines of A's source that <see cref="PrefetchA{T}"/> walks for an mc×kc block: its rows when depths are
    /// contiguous (csA = 1), its depths when rows are (rsA = 1), else none (other strides are not prefetched).</summary>
    public static int PrefetchRuns(int mc, int kc, nint rsA, nint csA) => csA == 1 ? mc : rsA == 1 ? kc : 0;

    /// <summary>
    /// Asks for runs [<paramref name="first"/>, first + <paramref name="count"/>) of the mc×kc block of A at
    /// <paramref name="a"/> (see <see cref="PrefetchRuns"/>) to be brought into L2, one prefetch per cache line: a later
    /// <see cref="PackA{T}"/> of the block then reads L2 instead of waiting on memory. Changes no value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchA<T>(int mc, int kc, T* a, nint rsA, nint csA, int first, int count) where T : unmanaged
    {
        int runs = PrefetchRuns(mc, kc, rsA, csA);
        if (!Sse.IsSupported || runs == 0) return;
        var (length, runStride) = csA == 1 ? (kc, rsA) : (mc, csA);
        int last = Math.Min(runs, first + count);
        for (int r = first; r < last; r++)
        {
            byte* start = (byte*)(a + r * runStride), end = (byte*)(a + r * runStride + length);
            for (byte* line = (byte*)((nint)start & ~(nint)63); line < end; line += 64) Sse.Prefetch1(line);
        }
    }

    /// <summary>
    /// Packs the mc×kc block A[i, p] = a[i·rsA + p·csA] into ⌈mc/MR⌉ micro-panels; micro-panel r holds,
    /// for each p, the MR values of rows r·MR .. r·MR + MR − 1: packed[r·MR·kc + p·MR + i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(int mc, int kc, int mr, T* a, nint rsA, nint csA, T* packed) where T : unmanaged, INumber<T>
    {
        if (rsA == 1 && csA != 1)
        {
            // Column-major A (A = Xᵀ of a row-major X): Group micro-panels at a time, depth by depth.
            for (int g = 0; g < mc; g += Group * mr, packed += Group * mr * kc)
                PackAColumnsGroup(Math.Min(Group * mr, mc - g), kc, mr, a + g, csA, packed);
            return;
        }
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* src = a + ir * rsA;
            if (csA == 1)
            {
                // Row-major A: rows are lines with contiguous depths, transposed 4 at a time in registers; of the rows
                // past a multiple of 4, two are interleaved as a pair and what is left copied one by one.
                int first = PackContiguousLines(src, rsA, rows, kc, packed, mr);
                if (first + 2 <= rows) first += PackLinePair(src + first * rsA, rsA, kc, packed + first, mr);
                for (int i = first; i < rows; i++)
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
                // General strides: for each p, the MR values are csA apart from rsA steps.
                for (int p = 0; p < kc; p++)
                {
                    T* col = src + p * csA;
                    T* dst = packed + p * mr;
                    int i = 0;
                    for (; i < rows; i++) dst[i] = col[i * rsA];
                    for (; i < mr; i++) dst[i] = T.Zero;
                }
            }
            packed += mr * kc;
        }
    }

    /// <summary>
    /// Packs two lines whose kc depths are contiguous (line 0 at src, line 1 at src + lineStride) into a panel of
    /// <paramref name="width"/> values per depth, packed[p·width + q] = line q's depth p: the lines are interleaved in
    /// registers (unpack low/high) and each depth's pair stored as one 64-bit (float) or 128-bit (double) piece; the last
    /// depths past a multiple of the vector are copied one by one. Returns the lines packed (2), or 0 when T is neither
    /// float nor double. For the AVX2 kernel's MR = 6 the 4×4 transposes leave rows 4 and 5, a third of A, which the
    /// scalar loop copied one value per store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PackLinePair<T>(T* src, nint lineStride, int kc, T* packed, int width) where T : unmanaged, INumber<T>
    {
        int p = 0;
        if (typeof(T) == typeof(float) && Sse.IsSupported)
        {
            float* l0 = (float*)src, l1 = (float*)(src + lineStride), d = (float*)packed;
            for (; p + 4 <= kc; p += 4)
            {
                Vector128<float> v0 = Sse.LoadVector128(l0 + p), v1 = Sse.LoadVector128(l1 + p);
                Vector128<float> lo = Sse.UnpackLow(v0, v1), hi = Sse.UnpackHigh(v0, v1);
                Sse.StoreLow(d + p * width, lo);
                Sse.StoreHigh(d + (p + 1) * width, lo);
                Sse.StoreLow(d + (p + 2) * width, hi);
                Sse.StoreHigh(d + (p + 3) * width, hi);
            }
        }
        else if (typeof(T) == typeof(double) && Sse2.IsSupported)
        {
            double* l0 = (double*)src, l1 = (double*)(src + lineStride), d = (double*)packed;
            for (; p + 2 <= kc; p += 2)
            {
                Vector128<double> v0 = Sse2.LoadVector128(l0 + p), v1 = Sse2.LoadVector128(l1 + p);
                Sse2.Store(d + p * width, Sse2.UnpackLow(v0, v1));
                Sse2.Store(d + (p + 1) * width, Sse2.UnpackHigh(v0, v1));
            }
        }
        else return 0;
        for (; p < kc; p++)
        {
            packed[p * width] = src[p];
            packed[p * width + 1] = src[lineStride + p];
        }
        return 2;
    }

    /// <summary>Micro-panels of a column-major A that <see cref="PackA{T}"/> packs together, depth by depth.</summary>
    private const int Group = 8;

    /// <summary>
    /// Packs the rows×kc block of a column-major A (A[i, p] = a[i + p·csA]; rows ≤ Group·MR) into ⌈rows/MR⌉ micro-panels,
    /// <see cref="PackA{T}"/>'s layout: depth by depth, so each depth's rows are read as one run of up to Group·MR values
    /// and written as MR-value pieces into the micro-panels. Micro-panel by micro-panel
    /// (<see cref="PackAColumnsByPanel{T}"/>, the twin) reads MR values kc lines apart, a new page for every piece at large
    /// strides: in the trailing update Vᵀ·C of QR (m = 2048, n = 512, 2 threads) that walk and its Span.CopyTo per piece
    /// took 16 % of the profile's samples.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackAColumnsGroup<T>(int rows, int kc, int mr, T* a, nint csA, T* packed) where T : unmanaged, INumber<T>
    {
        int full = rows / mr, rest = rows - full * mr;
        nint panelLength = (nint)mr * kc;
        for (int p = 0; p < kc; p++)
        {
            T* src = a + p * csA, dst = packed + p * mr;
            for (int s = 0; s < full; s++, src += mr, dst += panelLength) CopyPiece(src, dst, mr);
            if (rest == 0) continue;
            CopyPiece(src, dst, rest);
            for (int i = rest; i < mr; i++) dst[i] = T.Zero;
        }
    }

    /// <summary>Copies <paramref name="count"/> (an MR or less) values with the widest vectors that fit, then one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPiece<T>(T* src, T* dst, int count) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count) Vector256.Load(src + i).Store(dst + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + Vector128<T>.Count <= count; i += Vector128<T>.Count) Vector128.Load(src + i).Store(dst + i);
        for (; i < count; i++) dst[i] = src[i];
    }

    /// <summary>
    /// The twin of <see cref="PackA{T}"/> for a column-major A (A[i, p] = a[i + p·csA]): micro-panel by micro-panel, for each
    /// depth the MR values copied one by one (zero-padded past mc). Same values at the same places.
    /// </summary>
    internal static void PackAColumnsByPanel<T>(int mc, int kc, int mr, T* a, nint csA, T* packed) where T : unmanaged, INumber<T>
    {
        for (int ir = 0; ir < mc; ir += mr, packed += mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            for (int p = 0; p < kc; p++)
                for (int i = 0; i < mr; i++) packed[p * mr + i] = i < rows ? a[ir + i + p * csA] : T.Zero;
        }
    }

    /// <summary>
    /// Packs the kc×nc block B[p, j] = b[p·rsB + j·csB] into ⌈nc/NR⌉ micro-panels; micro-panel s holds,
    /// for each p, the NR values of columns s·NR .. s·NR + NR − 1: packed[s·NR·kc + p·NR + j].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(int kc, int nc, int nr, T* b, nint rsB, nint csB, T* packed) where T : unmanaged, INumber<T>
    {
        if (csB == 1)
        {
            PackBRows(kc, 0, kc, nc, nr, b, rsB, packed);
            return;
        }
        for (int jr = 0; jr < nc; jr += nr)
        {
            int columns = Math.Min(nr, nc - jr);
            PackBPanel(kc, columns, nr, b + jr * csB, rsB, csB, packed);
            packed += nr * kc;
        }
    }

    /// <summary>
    /// Rows [<paramref name="p0"/>, <paramref name="p1"/>) of the kc×nc row-major block B[p, j] = b[p·rsB + j] into
    /// <see cref="PackB{T}"/>'s layout (the same values at the same places, zero-padded past nc): row by row across every
    /// micro-panel, so B is read as sequential runs of nc values. Micro-panel by micro-panel (<see cref="PackBPanel{T}"/>'s
    /// walk) reads kc rows rsB apart for each one: at n = 2048 a new 4 KiB page every 128 bytes, out of reach of the
    /// prefetchers and the TLB (7 % of the float profile at n = 2048 on 1 thread, against 5 % row by row). A row range lets
    /// threads share the packing of one panel (GemmDriver's shared packed B).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBRows<T>(int kc, int p0, int p1, int nc, int nr, T* b, nint rsB, T* packed) where T : unmanaged, INumber<T>
    {
        int full = nc / nr, rest = nc - full * nr;
        if (full > 0 && Vector512.IsHardwareAccelerated && nr % Vector512<T>.Count == 0)
        {
            PackBRowsWide(kc, p0, p1, full, nr, b, rsB, packed);
            if (rest == 0) return;
            b += full * nr;
            packed += (nint)full * nr * kc;
            full = 0;
        }
        int w = Vector256<T>.Count;
        bool vectors = nr % w == 0 && Vector256.IsHardwareAccelerated;
        nint panelLength = (nint)nr * kc;
        for (int p = p0; p < p1; p++)
        {
            T* source = b + p * rsB, dst = packed + p * nr;
            for (int s = 0; s < full; s++, source += nr, dst += panelLength)
            {
                if (vectors)
                    for (int j = 0; j < nr; j += w) Vector256.Load(source + j).Store(dst + j);
                else
                    new ReadOnlySpan<T>(source, nr).CopyTo(new Span<T>(dst, nr));
            }
            if (rest == 0) continue;
            new ReadOnlySpan<T>(source, rest).CopyTo(new Span<T>(dst, rest));
            for (int j = rest; j < nr; j++) dst[j] = T.Zero;
        }
    }

    /// <summary>Rows ahead of the one being copied whose lines <see cref="PackBRowsWide{T}"/> prefetches.</summary>
    private const int PrefetchRowsAhead = 4;

    /// <summary>
    /// <see cref="PackBRows{T}"/> for the <paramref name="full"/> whole micro-panels when NR is a multiple of a 512-bit vector
    /// (the AVX-512 kernels' NR 32 float and 24 double): each piece of NR values moves as 512-bit loads and stores (one cache
    /// line each when B's rows are 64-byte aligned), and for each line copied the same line
    /// <see cref="PrefetchRowsAhead"/> rows further down is prefetched. Each row of B is a new run of nc values a page or more
    /// from the last (rsB·sizeof(T) = 8 KiB at n = 1024 double), which the stream prefetchers meet cold.
    /// Measured on Zen 5 (1 thread, in-process against the 256-bit copy, packing all of an n = 1024 B in the bench's KC×NC
    /// blocks, alternating, median of paired ratios of thread CPU time, load average 30–55): double 0.75 with B flushed from
    /// the caches before each pass (0.80 without the prefetch), 0.90 with B warm in L3; float 0.65–0.68 flushed, 0.90 warm.
    /// The prefetch alone is within the noise: at load average 1.6, flushed, no prefetch / 2 / 8 rows ahead against 4 gave
    /// double 1.007 / 1.033 / 0.994, float 1.018 / 0.981 / 1.023 (21 pairs each); it stays at 4, the best under load.
    /// In `mtl bench gemm --n 1024 --dtype f64 --threads 1` under perf, PackBRows fell from 1.3–1.4 % of the samples to
    /// 0.8–0.9 % (the microkernel 28–31 %); the whole product, with a change of PackContiguousLines since reverted (old and
    /// new builds alternating, 20 pairs, load average 1.5–2.4)
    /// 1.016 (quartiles 1.006–1.028), at n = 2048 0.99 (6 pairs, noise). Tried with AVX-512 off (AVX2 NR 16 float and 8
    /// double, NC 4096/2048): the same prefetch with 256-bit copies, and 8- or 16-row blocks copied panel by panel (a
    /// packed micro-panel's rows written together, fewer pages per row): 0.96–1.02, no gain. There the packed KC×NC block
    /// (1–2 MiB) overflows L2 and packing runs at about 9 GB/s warm or flushed, the rate of writing it out, which only
    /// GemmBlockSizes' NC could change.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackBRowsWide<T>(int kc, int p0, int p1, int full, int nr, T* b, nint rsB, T* packed) where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count;
        nint panelLength = (nint)nr * kc;
        for (int p = p0; p < p1; p++)
        {
            T* source = b + p * rsB, dst = packed + p * nr;
            // Past the range's last rows the prefetch reads the current row again (already in L1) rather than rows not packed here.
            nint ahead = p + PrefetchRowsAhead < p1 ? PrefetchRowsAhead * rsB : 0;
            for (int s = 0; s < full; s++, source += nr, dst += panelLength)
                for (int j = 0; j < nr; j += w)
                {
                    if (Sse.IsSupported) Sse.Prefetch0(source + j + ahead);
                    Vector512.Load(source + j).Store(dst + j);
                }
        }
    }

    /// <summary>Packs one kc×columns sliver of B into a kc×NR micro-panel (zero-padded past <paramref name="columns"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel<T>(int kc, int columns, int nr, T* b, nint rsB, nint csB, T* packed) where T : unmanaged, INumber<T>
    {
        if (csB == 1)
        {
            // Row-major B: each row of the sliver is one contiguous copy (whole vectors for a full sliver).
            int w = Vector256<T>.Count;
            if (columns == nr && nr % w == 0 && Vector256.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++)
                {
                    T* source = b + p * rsB, dst = packed + p * nr;
                    for (int j = 0; j < nr; j += w) Vector256.Load(source + j).Store(dst + j);
                }
                return;
            }
            for (int p = 0; p < kc; p++)
            {
                T* dst = packed + p * nr;
                new ReadOnlySpan<T>(b + p * rsB, columns).CopyTo(new Span<T>(dst, columns));
                for (int j = columns; j < nr; j++) dst[j] = T.Zero;
            }
        }
        else
        {
            // Column-major B (B = Xᵀ of a row-major X): columns are lines with contiguous depths (rows of X), packed as
            // for a row-major A; the rest is copied one by one.
            int firstScalarColumn = rsB == 1 ? PackContiguousLines(b, csB, columns, kc, packed, nr) : 0;
            for (int j = firstScalarColumn; j < columns; j++)
            {
                T* col = b + j * csB;
                T* dst = packed + j;
                for (int p = 0; p < kc; p++) dst[p * nr] = col[p * rsB];
            }
            for (int p = 0; p < kc; p++)
                for (int j = columns; j < nr; j++) packed[p * nr + j] = T.Zero;
        }
    }

    /// <summary>
    /// Packs the first multiple of 4 of <paramref name="count"/> lines whose kc depths are contiguous (line i at
    /// src + i·<paramref name="lineStride"/>) into a panel of <paramref name="width"/> values per depth,
    /// packed[p·width + i] = line i's depth p: 4×4 blocks are transposed in registers (lines i..i+3, depths p..p+3), one
    /// group of 4 lines after the other along all its depths, and the last kc mod 4 depths of those lines copied one by one.
    /// Tried and reverted: all the line groups' blocks of depths p..p+3 before the next depths (each depth's values written
    /// together). Packing alone (Zen 5, 1 thread, an n = 1024 row-major A in KC = 320 blocks, paired thread CPU time, load
    /// 30–55) it was 0.85–0.89 of this order flushed from the caches and 0.95 warm for double, and `mtl bench gemm` f64
    /// n = 1024 gained about 1.6 % with it and PackBRowsWide together; but it read MR lines a few depths at a time, and
    /// logistic regression's X·Wᵀ (A = X, 20000×256 double, streamed from memory, n = 10: packing A is most of that product)
    /// made `mtl bench logreg` logreg_synth on 1 thread 1.086 slower (6 paired runs of the published builds, idle, load
    /// 1.7–1.9; this order restored: 1.015). Also dropped: prefetching the next micro-panel's rows at each cache line of
    /// depths, 1.33 (double) and 1.75 (float) warm, 0.85 and 1.11 flushed; AVX-512 8×8 transposes for MR = 8 double,
    /// 0.97–1.00 (the copy is bound by reading A, not by shuffles). Returns the first line left to the caller (0 when the
    /// transposes are not supported for T).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PackContiguousLines<T>(T* src, nint lineStride, int count, int kc, T* packed, int width) where T : unmanaged, INumber<T>
    {
        int count4 = count & ~3, kc4 = kc & ~3;
        if (count4 == 0 || kc4 == 0 || !Transpose4x4.IsSupported<T>()) return 0;
        for (int i = 0; i < count4; i += 4)
        {
            T* line = src + i * lineStride;
            for (int p = 0; p < kc4; p += 4) Transpose4x4.Run(line + p, lineStride, packed + p * width + i, width);
            for (int q = 0; q < 4; q++)
                for (int p = kc4; p < kc; p++) packed[p * width + i + q] = line[q * lineStride + p];
        }
        return count4;
    }
}

/// <summary>
/// An in-register 4×4 transpose for packing a row-major A: reads rows r, r + ld, r + 2ld, r + 3ld at depths 0..3 and
/// writes depth q's four values to dst + q·ldd. SSE for float (unpack + movlh/movhl), AVX for double (unpack + permute2f128).
/// </summary>
internal static unsafe class Transpose4x4
{
    public static bool IsSupported<T>() =>
        (typeof(T) == typeof(float) && Sse.IsSupported) || (typeof(T) == typeof(double) && Avx.IsSupported);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<T>(T* r, nint ld, T* dst, nint ldd) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)r, d = (float*)dst;
            Vector128<float> r0 = Sse.LoadVector128(s), r1 = Sse.LoadVector128(s + ld), r2 = Sse.LoadVector128(s + 2 * ld), r3 = Sse.LoadVector128(s + 3 * ld);
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackLow(r2, r3), t2 = Sse.UnpackHigh(r0, r1), t3 = Sse.UnpackHigh(r2, r3);
            Sse.Store(d, Sse.MoveLowToHigh(t0, t1));
            Sse.Store(d + ldd, Sse.MoveHighToLow(t1, t0));
            Sse.Store(d + 2 * ldd, Sse.MoveLowToHigh(t2, t3));
            Sse.Store(d + 3 * ldd, Sse.MoveHighToLow(t3, t2));
        }
        else if (typeof(T) == typeof(double))
        {
            double* s = (double*)r, d = (double*)dst;
            Vector256<double> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld), r2 = Avx.LoadVector256(s + 2 * ld), r3 = Avx.LoadVector256(s + 3 * ld);
            Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
            Avx.Store(d + ldd, Avx.Permute2x128(t1, t3, 0x20));
            Avx.Store(d + 2 * ldd, Avx.Permute2x128(t0, t2, 0x31));
            Avx.Store(d + 3 * ldd, Avx.Permute2x128(t1, t3, 0x31));
        }
    }
}
