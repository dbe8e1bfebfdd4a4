using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

/// <summary>The operands of C = α·A·B + β·C as raw pointers and element strides (A: m×k, B: k×n, C: m×n).</summary>
internal unsafe struct GemmOperands<T> where T : unmanaged
{
    public int M, N, K;
    public T* A; public nint RsA, CsA;
    public T* B; public nint RsB, CsB;
    public T* C; public nint RsC, CsC;
    public T Alpha, Beta;

    /// <summary>Rows [i0, i0 + rows) of A and C.</summary>
    public readonly GemmOperands<T> Rows(int i0, int rows)
    {
        var part = this;
        part.M = rows; part.A += i0 * RsA; part.C += i0 * RsC;
        return part;
    }

    /// <summary>Columns [j0, j0 + columns) of B and C.</summary>
    public readonly GemmOperands<T> Columns(int j0, int columns)
    {
        var part = this;
        part.N = columns; part.B += j0 * CsB; part.C += j0 * CsC;
        return part;
    }
}

/// <summary>
/// B packed once for every thread of a row-split threaded product (either loop order): all of B in
/// <see cref="GemmPacking.PackB{T}"/>'s layout, the depth block at row pc at <see cref="Packed"/> + pc·<see cref="PaddedColumns"/>
/// and its micro-panel s at + s·NR·kc. Each (depth block, column panel) is packed in chunks of <see cref="ChunkRows"/> rows,
/// each claimed by the first thread to reach it (<see cref="Claims"/>: 0 free, 1 being packed, 2 packed), so two threads
/// at the same panel pack half of it each, and a thread waits only for a chunk another thread is packing at that moment
/// (never for a thread that has not started: ForkJoin may run the shares one after the other). Profile (Emerald Rapids,
/// 2 threads, perf cpu-clock samples): B packing fell from 7.2 % to 2.7 % of the samples at float n = 1024 and from 4.7 % to
/// 2.2 % at double n = 2048; waiting for the other thread's chunks took under 0.3 %.
/// Tried (branch ring14, commit fe23f6b): a ring of two KC×NC panel slots instead of all of B (panel q in slot q mod 2;
/// per-share progress words, a share waiting before it refills a slot until every started share has finished the panel
/// there, marking a share not yet started late so that it packs privately), where every share walks the panels once each
/// (BLIS's order, and the resident-A order with each share's rows in one A block): 8 MiB instead of 32 for double n = 2048
/// on AVX2, and B shared at any size. Published builds alternating (`mtl bench gemm`, 2 threads, wall GFLOPS, median of
/// paired ratios ring/whole, load average 1.7–10, median 3.7): AVX2 (18 pairs) float n = 1024/2048 1.005/1.001, double
/// 0.999/0.995; AVX-512 (12 pairs) float 1.001/1.007, double 1.003/1.001; pairs spread 0.92–1.08. In one process, the two
/// modes alternating (8 rounds, load 4): medians 0.94–1.23, the noise. Double n = 4096 on AVX2 (B packed by each thread on
/// its own before, the ring after): 110.5 and 108.2 against 110.4 and 107.2 GFLOPS, so even packing all of B twice costs
/// nothing this machine shows. 1 thread (untouched) 0.99–1.01. Not kept: no gain beyond the noise for the protocol's cost.
/// </summary>
internal unsafe struct SharedPackedB<T> where T : unmanaged
{
    /// <summary>Rows of B per claim.</summary>
    public const int ChunkRows = 16;

    /// <summary>The packed B (null: every thread packs its own panels).</summary>
    public T* Packed;
    /// <summary>One flag per chunk: [depth block][column panel][chunk].</summary>
    public int* Claims;
    /// <summary>B's columns rounded up to a multiple of NR.</summary>
    public int PaddedColumns;
    /// <summary>Column panels (of NC) per depth block.</summary>
    public int ColumnPanels;
    /// <summary>Chunks per panel (⌈KC / ChunkRows⌉).</summary>
    public int ChunksPerPanel;
}

/// <summary>
/// The five loops of Goto/BLIS around the microkernel <typeparamref name="TKernel"/>, in BLIS's order:
/// <code>
/// for jc in 0..n step NC            B panel (KC×NC) packed once per (jc, pc)
///   for pc in 0..k step KC
///     pack B[pc.., jc..]
///     for ic in 0..m step MC        A block (MC×KC) packed once per (jc, pc, ic), lives in L2
///       pack A[ic.., pc..]
///       for jr in 0..nc step NR     a KC×NR micro-panel of B, lives in L1
///         for ir in 0..mc step MR
///           C[ic+ir.., jc+jr..] = α·Ã·B̃ + (pc == 0 ? β : 1)·C     (microkernel)
/// </code>
/// With several column panels and several A blocks (n > NC, m > MC), pc comes first and A is packed once per depth block for
/// a super-block of rows (see <see cref="Run(GemmOperands{T}, GemmBlockSizes, bool, SharedPackedB{T}, long)"/>); and there is
/// the resident-A order (<see cref="GemmBlockSizes.ResidentA"/>, see RunResidentA).
/// Every element of C sees the same sequence of operations whatever the partition into threads or tiles
/// (the k sum is split at the same KC boundaries; edge tiles finish with the same fused α·acc + β·C),
/// so results are bitwise reproducible.
/// </summary>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : IMicrokernel<T>
{
    /// <summary>Runs the problem on <paramref name="threads"/> threads, each taking a fixed contiguous share of the columns (jc) or rows (ic).</summary>
    /// <remarks>Fully optimized from the first call (as is everything on the per-call path): small products are over in
    /// microseconds, and tiered compilation left this path at tier 0 for the whole of a short run.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Execute(GemmOperands<T> op, GemmBlockSizes blocks, int threads) => Execute(op, blocks, threads, queue: null);

    /// <summary>As <see cref="Execute(GemmOperands{T}, GemmBlockSizes, int)"/>, the threads' work items handed to
    /// <paramref name="queue"/> (null: the thread pool; tests hold them back to start shares late, see ForkJoin).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Execute(GemmOperands<T> op, GemmBlockSizes blocks, int threads, Action<IThreadPoolWorkItem>? queue)
    {
        if (op.M == 0 || op.N == 0) return;
        if (op.K == 0 || op.Alpha == T.Zero)
        {
            ScaleC(op);
            return;
        }
        int mr = TKernel.MR, nr = TKernel.NR;
        blocks = blocks with { KC = DepthBlock(op.K, blocks.KC) };
        // B is read in place (only A packed) when it is row-major, narrow and shallow: packing would cost more than it saves.
        bool unpackedB = op.CsB == 1 && op.N <= blocks.UnpackedBMaxColumns && op.K <= blocks.KC;
        long flops = 2L * op.M * op.N * op.K;
        int rowUnits = (op.M + mr - 1) / mr, columnUnits = (op.N + nr - 1) / nr;
        bool splitColumns = columnUnits >= rowUnits;
        int units = splitColumns ? columnUnits : rowUnits;
        int workers = (int)Math.Min(Math.Min(threads, units), Math.Max(1, flops / blocks.MinFlopsPerThread));
        if (workers <= 1)
        {
            Run(op, blocks, unpackedB);
            return;
        }
        ExecuteParallel(op, blocks, unpackedB, workers, units, splitColumns, queue);
    }

    /// <summary>
    /// The depth of the k blocks for a depth of <paramref name="k"/>: at most <paramref name="kc"/> and as even as can be
    /// (k = 288 with KC = 256 runs two blocks of 144, not 256 then a thin 32 whose C pass costs nearly as much as a full
    /// one); up to KC·9/8 one block. Depends on k alone, so any thread count sums in the same order.
    /// </summary>
    internal static int DepthBlock(int k, int kc)
    {
        if (k <= kc + kc / 8) return Math.Max(k, 1);
        int count = (k + kc - 1) / kc;
        return (k + count - 1) / count;
    }

    /// <summary>
    /// The rows of the A blocks of the resident-A order for <paramref name="m"/> rows: at most <paramref name="mc"/>, a
    /// multiple of <paramref name="mr"/>, and as even as can be (m = 2100 with MC = 2048 runs two blocks of 1056, not 2048
    /// then a thin 52, for which the whole B panel would be packed again). Only which rows share a block changes, never an
    /// element's sum, so results are bitwise the same for any MC.
    /// </summary>
    internal static int RowBlock(int m, int mc, int mr)
    {
        int count = (m + mc - 1) / mc;
        int rows = (m + count - 1) / count;
        return Math.Min(mc, (rows + mr - 1) / mr * mr);
    }

    /// <summary>The most bytes of A packed at once in BLIS's order with more than one column panel (see <see cref="Run(GemmOperands{T}, GemmBlockSizes, bool, SharedPackedB{T}, long)"/>):
    /// one super-block of A's rows, read from L3 for every column panel. AVX2 double n = 2048 on Zen 5 (1 thread, in-process,
    /// alternating, median of 10–30 paired ratios of thread CPU time against one column panel, load 2–7): 8 MiB (one
    /// super-block of 2160 rows) 1.025, 1.035, 1.042, 1.009, 1.021; 4 MiB (2016 rows, then 32) 0.996, 1.017, 1.030, 0.999,
    /// 1.009; n = 1024 (one super-block either way) 8 MiB 0.987 and 0.995, 4 MiB 0.994 and 0.998; m = 5000 (two super-blocks)
    /// 8 MiB evened 1.017, 4 MiB 1.021.</summary>
    internal const long ASuperBlockBytes = 8L << 20;

    /// <summary>
    /// The rows of A's super-blocks (BLIS's order with more than one column panel) for <paramref name="m"/> rows: whole blocks
    /// of <paramref name="mc"/> rows, at most <paramref name="maxBytes"/> of packed A at depth <paramref name="kc"/> (at least
    /// one block), the blocks split as evenly as can be between the super-blocks. B's panels are packed again for each one:
    /// with 4 MiB and no evening, double m = 2048 (15 blocks of 144) ran a super-block of 2016 rows and then one of 32 that
    /// packed all of B again. Only which tiles run together changes, never an element's sum.
    /// </summary>
    internal static int SuperBlockRows(int m, int mc, int kc, long maxBytes)
    {
        int aBlocks = (m + mc - 1) / mc;
        int perSuperBlock = (int)Math.Min(aBlocks, Math.Max(1, maxBytes / ((long)mc * kc * Unsafe.SizeOf<T>())));
        int superBlocks = (aBlocks + perSuperBlock - 1) / perSuperBlock;
        return (aBlocks + superBlocks - 1) / superBlocks * mc;
    }

    /// <summary>The most bytes of B packed once for all threads (<see cref="SharedPackedB{T}"/>): a 2048×2048 double B (33 MiB
    /// with its columns padded to 2064). Larger B is packed per thread (the buffer stays with the workspace spares).</summary>
    internal const long SharedBMaxBytes = 36L << 20;

    /// <summary>
    /// Whether a threaded product packs B once for all threads (<see cref="SharedPackedB{T}"/>): rows split over threads
    /// (each thread would otherwise pack all of B), a packed row-major B of at most <see cref="SharedBMaxBytes"/>, in either
    /// loop order (<see cref="GemmBlockSizes.ResidentA"/> or BLIS's).
    /// </summary>
    internal static bool SharesPackedB(in GemmOperands<T> op, bool unpackedB, bool splitColumns) =>
        !splitColumns && !unpackedB && op.CsB == 1 &&
        (long)op.K * ((op.N + TKernel.NR - 1) / TKernel.NR * TKernel.NR) * Unsafe.SizeOf<T>() <= SharedBMaxBytes;

    /// <summary>The threaded part of <see cref="Execute(GemmOperands{T}, GemmBlockSizes, int)"/>: worker t takes a fixed run of row or column units (no allocation per call).</summary>
    private static void ExecuteParallel(GemmOperands<T> op, GemmBlockSizes blocks, bool unpackedB, int workers, int units, bool splitColumns, Action<IThreadPoolWorkItem>? queue)
    {
        if (!SharesPackedB(op, unpackedB, splitColumns))
        {
            ForkJoin.Run(workers, new Share(op, blocks, unpackedB, workers, units, splitColumns, default), queue);
            return;
        }
        int padded = (op.N + TKernel.NR - 1) / TKernel.NR * TKernel.NR;
        var shared = new SharedPackedB<T>
        {
            PaddedColumns = padded,
            ColumnPanels = (op.N + blocks.NC - 1) / blocks.NC,
            ChunksPerPanel = (blocks.KC + SharedPackedB<T>.ChunkRows - 1) / SharedPackedB<T>.ChunkRows,
        };
        int claims = (op.K + blocks.KC - 1) / blocks.KC * shared.ColumnPanels * shared.ChunksPerPanel;
        var workspace = GemmWorkspace<T>.Rent(0, op.K * padded, 0, claims);
        shared.Packed = workspace.B;
        shared.Claims = workspace.Claims;
        new Span<int>(shared.Claims, claims).Clear();
        ForkJoin.Run(workers, new Share(op, blocks, unpackedB, workers, units, splitColumns, shared), queue);
        GemmWorkspace<T>.Return(workspace);
    }

    private readonly struct Share(GemmOperands<T> op, GemmBlockSizes blocks, bool unpackedB, int workers, int units, bool splitColumns, SharedPackedB<T> shared) : IShareBody
    {
        public void Run(int t)
        {
            if (splitColumns)
            {
                int nr = TKernel.NR, first = (int)((long)units * t / workers), last = (int)((long)units * (t + 1) / workers);
                int j0 = first * nr, j1 = Math.Min(op.N, last * nr);
                GemmDriver<T, TKernel>.Run(op.Columns(j0, j1 - j0), blocks, unpackedB);
            }
            else
            {
                int i0 = RowShareStart(op.M, t, workers), i1 = RowShareStart(op.M, t + 1, workers);
                GemmDriver<T, TKernel>.Run(op.Rows(i0, i1 - i0), blocks, unpackedB, shared);
            }
        }
    }

    /// <summary>
    /// The first row of worker <paramref name="t"/>'s share when <paramref name="workers"/> workers split <paramref name="m"/>
    /// rows (t = workers: m). Each boundary lies within MR rows of the even one, where the costlier of the share before it and
    /// an even part of the rows after it (<see cref="RowsComputed"/>) is least, the nearest to the even one on ties. Shares in
    /// whole MR-row units left the last panel's cost to one worker: float n = 512 with MR 12 split 252 + 260 rows (21 tiles
    /// against 21 and an 8-row panel on the full tile, 22); at 256 each is 21 tiles and a 4-row panel on the short tile.
    /// Which rows share a worker never changes an element's sum, so results stay bitwise those of one thread.
    /// </summary>
    internal static int RowShareStart(int m, int t, int workers)
    {
        int mr = TKernel.MR, shortMr = TKernel.ShortMR, start = 0;
        for (int s = 1; s <= t; s++)
        {
            if (s >= workers) return m;
            int ideal = (int)((long)m * s / workers), best = ideal, bestDistance = int.MaxValue;
            long bestCost = long.MaxValue;
            for (int b = Math.Max(start, ideal - mr); b <= Math.Min(m, ideal + mr); b++)
            {
                // This share against an even part of the rest, both scaled by workers - s (the rest whole).
                long cost = Math.Max(RowsComputed(b - start, mr, shortMr) * (workers - s), RowsComputed(m - b, mr, shortMr));
                int distance = Math.Abs(b - ideal);
                if (cost < bestCost || (cost == bestCost && distance < bestDistance)) (best, bestCost, bestDistance) = (b, cost, distance);
            }
            start = best;
        }
        return start;
    }

    /// <summary>The rows of tiles that <paramref name="rows"/> rows cost: whole MR-row tiles, then a last panel on the short
    /// tile (ShortMR rows) or on the full tile through the scratch tile (MR, and one row's worth for the merge).</summary>
    internal static long RowsComputed(int rows, int mr, int shortMr)
    {
        int edge = rows % mr;
        return rows - edge + (edge == 0 ? 0 : edge <= shortMr ? shortMr : mr + 1);
    }

    /// <summary>The sequential five loops over the whole (sub-)problem.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(GemmOperands<T> op, GemmBlockSizes blocks, bool unpackedB) => Run(op, blocks, unpackedB, default);

    /// <summary>The sequential five loops over the whole (sub-)problem, B's panels taken from <paramref name="shared"/> when it
    /// holds one, A packed in super-blocks of at most <paramref name="aSuperBlockBytes"/> (tests make it small).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(GemmOperands<T> op, GemmBlockSizes blocks, bool unpackedB, SharedPackedB<T> shared, long aSuperBlockBytes = ASuperBlockBytes)
    {
        int MR = TKernel.MR, NR = TKernel.NR, MC = blocks.MC, KC = blocks.KC, NC = blocks.NC;
        int m = op.M, n = op.N, k = op.K;
        if (m <= 0 || n <= 0) return;
        if (blocks.ResidentA && !unpackedB)
        {
            MC = RowBlock(m, MC, MR);
            blocks = blocks with { MC = MC };
        }
        // BLIS's order packs A for a super-block of rows at a time, once per depth block, when there are both several column
        // panels (n > NC) and several A blocks (m > MC): each A block is then read from there for every column panel, where
        // jc outermost packs all of A again for each column panel (n/NC times; the AVX2 double row's NC is L2-sized, 512). A
        // super-block is at most aSuperBlockBytes (SuperBlockRows). Otherwise jc stays outermost: a wide product with few rows
        // (a convolution's im2col product, m ≤ MC, n ≫ NC) then keeps its C panel in cache across the depth blocks, where depth
        // outermost sweeps all of C once per depth block. That was a guess from one old-against-new run (conv2d_a on 1 thread
        // 1.16 slower with depth outermost everywhere); the recheck (published builds, 6 rounds, load 0–2) read conv2d_a 0.85 and
        // cnn_step 0.97 of the old time with it, and 0.84 and 0.98 with this rule: noise either way. The rule stays because it
        // runs the old order for every shape the new one was not measured on. Only the order of the tiles changes, never an
        // element's k blocks: results are bitwise the same either way and for any NC.
        int superRows = m;
        bool packAOnce = false;
        if (!blocks.ResidentA && !unpackedB && n > NC)
        {
            int rows = SuperBlockRows(m, MC, KC, aSuperBlockBytes);
            if (rows > MC) (superRows, packAOnce) = (rows, true);
        }
        // A's block holds at most the problem's rows (the resident-A rows' MC is sized for L3, megabytes).
        var workspace = GemmWorkspace<T>.Rent(Math.Min(packAOnce ? superRows : MC, (m + MR - 1) / MR * MR) * KC, unpackedB ? KC * NR : shared.Packed != null ? 0 : KC * NC, MR * NR);
        T* aPacked = workspace.A, bPacked = workspace.B, tile = workspace.Tile;

        if (blocks.ResidentA && !unpackedB)
        {
            RunResidentA(op, blocks, aPacked, bPacked, tile, shared);
            GemmWorkspace<T>.Return(workspace);
            return;
        }
        if (packAOnce)
        {
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                for (int @is = 0; @is < m; @is += superRows)
                {
                    int ms = Math.Min(superRows, m - @is);
                    // A's rows [is, is + ms) at this depth, packed once for every column panel (its MC blocks lie at (ic − is)·kc).
                    GemmPacking.PackA(ms, kc, MR, op.A + @is * op.RsA + pc * op.CsA, op.RsA, op.CsA, aPacked);
                    for (int jc = 0; jc < n; jc += NC)
                        PanelProduct(op, blocks, unpackedB, shared, pc, kc, jc, Math.Min(NC, n - jc), @is, ms, aPacked, aPackedAlready: true, bPacked, tile);
                }
            }
        }
        else
        {
            for (int jc = 0; jc < n; jc += NC)
                for (int pc = 0; pc < k; pc += KC)
                    PanelProduct(op, blocks, unpackedB, shared, pc, Math.Min(KC, k - pc), jc, Math.Min(NC, n - jc), 0, m, aPacked, aPackedAlready: false, bPacked, tile);
        }
        GemmWorkspace<T>.Return(workspace); // not on an exception: then it is simply left to the collector
    }

    /// <summary>
    /// BLIS's inner loops for rows [<paramref name="i0"/>, i0 + <paramref name="rows"/>) of C's columns [jc, jc + nc) at the
    /// depth block pc (kc deep): B's KC×NC panel (packed here, read in place, or taken from the B packed once for all threads),
    /// then for each MC block of A (packed here just before its tiles, or when <paramref name="aPackedAlready"/> read from
    /// <paramref name="aPacked"/>, which holds A's rows from i0 at this depth) the jr and ir loops. With few B micro-panels
    /// (<see cref="PrefetchMaxPanels"/>) and a large A (<see cref="GemmBlockSizes.PrefetchMinABytes"/>) each tile first asks
    /// for a slice of the next A block's source.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelProduct(in GemmOperands<T> op, in GemmBlockSizes blocks, bool unpackedB, in SharedPackedB<T> shared,
        int pc, int kc, int jc, int nc, int i0, int rows, T* aPacked, bool aPackedAlready, T* bPacked, T* tile)
    {
        int MR = TKernel.MR, NR = TKernel.NR, MC = blocks.MC;
        T alpha = op.Alpha, beta = pc == 0 ? op.Beta : T.One;
        T* bBlock = op.B + pc * op.RsB + jc * op.CsB;
        // The packed KC×NC panel: this thread's own, or its place in the B packed once for all threads.
        T* bPanels = bPacked;
        if (shared.Packed != null) bPanels = SharedPanel(op, shared, pc, kc, pc / blocks.KC, jc, nc, jc / blocks.NC);
        else if (!unpackedB) GemmPacking.PackB(kc, nc, NR, bBlock, op.RsB, op.CsB, bPacked);
        int panels = (nc + NR - 1) / NR;
        bool prefetch = !aPackedAlready && panels <= PrefetchMaxPanels && (long)op.M * op.K * Unsafe.SizeOf<T>() >= blocks.PrefetchMinABytes;
        for (int ic = i0; ic < i0 + rows; ic += MC)
        {
            int mc = Math.Min(MC, i0 + rows - ic);
            T* aBlock = aPackedAlready ? aPacked + (ic - i0) * kc : aPacked;
            if (!aPackedAlready) GemmPacking.PackA(mc, kc, MR, op.A + ic * op.RsA + pc * op.CsA, op.RsA, op.CsA, aPacked);
            // The next A block this thread packs (the next rows at this depth, else the first rows at the next depth), asked
            // into L2 a slice per tile while this block's tiles run.
            T* next = null;
            int nextRows = 0, nextDepth = 0, runs = 0, tiles = panels * ((mc + MR - 1) / MR), tileIndex = 0;
            if (prefetch)
            {
                if (ic + MC < i0 + rows)
                {
                    next = op.A + (ic + MC) * op.RsA + pc * op.CsA;
                    (nextRows, nextDepth) = (Math.Min(MC, i0 + rows - ic - MC), kc);
                }
                else if (pc + kc < op.K)
                {
                    next = op.A + i0 * op.RsA + (pc + kc) * op.CsA;
                    (nextRows, nextDepth) = (Math.Min(MC, rows), Math.Min(blocks.KC, op.K - pc - kc));
                }
                if (next != null) runs = GemmPacking.PrefetchRuns(nextRows, nextDepth, op.RsA, op.CsA);
            }
            for (int jr = 0; jr < nc; jr += NR)
            {
                int nr = Math.Min(NR, nc - jr);
                // The last panel, when narrow enough, runs the microkernel's narrower tile (less padding to compute).
                bool narrow = nr <= TKernel.NarrowNR;
                int tileColumns = narrow ? TKernel.NarrowNR : NR;
                T* bPanel;
                nint ldb;
                if (!unpackedB) { bPanel = bPanels + jr * kc; ldb = NR; }
                else if (nr == tileColumns) { bPanel = bBlock + jr; ldb = op.RsB; }
                else
                {
                    GemmPacking.PackBPanel(kc, nr, NR, bBlock + jr, op.RsB, 1, bPacked);
                    bPanel = bPacked; ldb = NR;
                }
                if (runs == 0)
                    for (int ir = 0; ir < mc; ir += MR)
                        Tile(kc, Math.Min(MR, mc - ir), nr, aBlock + ir * kc, bPanel, ldb, op.C + (ic + ir) * op.RsC + (jc + jr) * op.CsC, op.RsC, op.CsC, alpha, beta, tile);
                else
                    tileIndex = TilesPrefetching(op, kc, mc, nr, aBlock, bPanel, ldb, op.C + ic * op.RsC + (jc + jr) * op.CsC, alpha, beta, tile,
                        next, nextRows, nextDepth, runs, tiles, tileIndex);
            }
        }
    }

    /// <summary>
    /// <see cref="PanelProduct"/>'s ir loop (one B micro-panel against an A block's tiles, C at <paramref name="c"/>), each
    /// tile first asking for its slice of the next A block (<paramref name="tileIndex"/> of <paramref name="tiles"/>);
    /// returns the next tile's index. A loop of its own, so that PanelProduct's loop is the same code when nothing is
    /// prefetched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TilesPrefetching(in GemmOperands<T> op, int kc, int mc, int nr, T* aBlock, T* bPanel, nint ldb, T* c, T alpha, T beta, T* tile,
        T* next, int nextRows, int nextDepth, int runs, int tiles, int tileIndex)
    {
        for (int ir = 0; ir < mc; ir += TKernel.MR)
        {
            var (from, count) = PrefetchSlice(runs, tiles, tileIndex++);
            GemmPacking.PrefetchA(nextRows, nextDepth, next, op.RsA, op.CsA, from, count);
            Tile(kc, Math.Min(TKernel.MR, mc - ir), nr, aBlock + ir * kc, bPanel, ldb, c + ir * op.RsC, op.RsC, op.CsC, alpha, beta, tile);
        }
        return tileIndex;
    }

    /// <summary>
    /// The most B micro-panels (⌈nc/NR⌉) at which <see cref="PanelProduct"/> asks for the next A block while the current one
    /// computes. With few panels each A value feeds only a few tiles, so a block's tiles are over in about the time its
    /// source takes to arrive from memory, and packing it then waited on memory: perf put 32 % of a 20000×42×512 double
    /// product (AVX-512, 1 thread) in PackA. Prefetched a slice per tile, the next block is in L2 when it is packed.
    /// In-process, alternating call by call on the 2-core Zen 4 (p10 of 20–100 calls, load 1–4), time without over time
    /// with, 1 thread: AVX2 double 20000×42×512 (randomized PCA's X·Z) 1.05 and 1.18, 512×42×20000 with A transposed (its
    /// Xᵀ·Q) 1.26 and 1.22; float 20000×42×512 1.31, 4096×64×784 1.19, 784×64×4096 (A transposed) 1.32; AVX-512 double Xᵀ·Q
    /// 1.21, X·Z 0.99, float 4096×64×784 1.17, 20000×42×512 1.05, 784×64×4096 1.00. 2 threads: AVX2 X·Z 1.12, Xᵀ·Q 1.18,
    /// 20000×10×1024 with B transposed 1.15; AVX-512 Xᵀ·Q 1.04, 1.11 and 1.08, X·Z 1.04, 0.99 and 1.08. Products with more
    /// panels (n > 128 on AVX2 double) are untouched; prefetching at any panel count read 0.99–1.01 on square ones (n = 512
    /// and 1024, both types and paths). On AVX-512 X·Z the prefetches only moved the wait: PackA fell to 15 % and the prefetch
    /// loop took 12 % (a tile of 8×24 asks for 128 lines at once, more than the core keeps in flight).
    /// </summary>
    internal const int PrefetchMaxPanels = 16;

    /// <summary>Tile <paramref name="tile"/>'s slice [From, From + Count) of <paramref name="runs"/> prefetch runs spread
    /// evenly over <paramref name="tiles"/> tiles (together the slices cover every run once, in order).</summary>
    internal static (int From, int Count) PrefetchSlice(int runs, int tiles, int tile)
    {
        int from = (int)((long)runs * tile / tiles), to = (int)((long)runs * (tile + 1) / tiles);
        return (from, to - from);
    }

    /// <summary>
    /// The loops of <see cref="GemmBlockSizes.ResidentA"/>: an MR×KC micro-panel of A stays in L1 while the KC×NR
    /// micro-panels of an L2-resident KC×NC panel of B stream past it, and the MC×KC block of A lives in L3:
    /// <code>
    /// for pc in 0..k step KC
    ///   for ic in 0..m step MC        pack A[ic.., pc..] (MC×KC, L3)
    ///     for jc in 0..n step NC      pack B[pc.., jc..] (KC×NC, L2)
    ///       for ir in 0..mc step MR   a micro-panel of A, L1
    ///         for jr in 0..nc step NR
    /// </code>
    /// Each C tile sees the same k blocks, each with the same operations, as in the other order (bitwise the same results).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunResidentA(GemmOperands<T> op, GemmBlockSizes blocks, T* aPacked, T* bPacked, T* tile, SharedPackedB<T> shared)
    {
        int MR = TKernel.MR, NR = TKernel.NR, MC = blocks.MC, KC = blocks.KC, NC = blocks.NC;
        int m = op.M, n = op.N, k = op.K;
        T alpha = op.Alpha;
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            T beta = pc == 0 ? op.Beta : T.One;
            for (int ic = 0; ic < m; ic += MC)
            {
                int mc = Math.Min(MC, m - ic);
                GemmPacking.PackA(mc, kc, MR, op.A + ic * op.RsA + pc * op.CsA, op.RsA, op.CsA, aPacked);
                for (int jc = 0; jc < n; jc += NC)
                {
                    int nc = Math.Min(NC, n - jc);
                    T* bPanel = bPacked;
                    if (shared.Packed == null) GemmPacking.PackB(kc, nc, NR, op.B + pc * op.RsB + jc * op.CsB, op.RsB, op.CsB, bPacked);
                    else bPanel = SharedPanel(op, shared, pc, kc, pc / KC, jc, nc, jc / NC);
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mr = Math.Min(MR, mc - ir);
                        T* aPanel = aPacked + ir * kc;
                        T* cRow = op.C + (ic + ir) * op.RsC + jc * op.CsC;
                        for (int jr = 0; jr < nc; jr += NR)
                            Tile(kc, mr, Math.Min(NR, nc - jr), aPanel, bPanel + jr * kc, NR, cRow + jr * op.CsC, op.RsC, op.CsC, alpha, beta, tile);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The packed kc×nc panel of B at depth pc and column jc in <paramref name="shared"/>: packs the chunks of rows no thread
    /// has claimed yet (claiming each first), then waits for those another thread is packing. The packed values are the same
    /// whoever packs them, so results are bitwise those of per-thread packing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T* SharedPanel(in GemmOperands<T> op, in SharedPackedB<T> shared, int pc, int kc, int depthBlock, int jc, int nc, int columnPanel)
    {
        const int rows = SharedPackedB<T>.ChunkRows;
        T* panel = shared.Packed + (nint)pc * shared.PaddedColumns + (nint)jc * kc;
        int* claims = shared.Claims + ((nint)depthBlock * shared.ColumnPanels + columnPanel) * shared.ChunksPerPanel;
        int chunks = (kc + rows - 1) / rows;
        T* b = op.B + pc * op.RsB + jc;
        for (int c = 0; c < chunks; c++)
            if (Volatile.Read(ref claims[c]) == 0 && Interlocked.CompareExchange(ref claims[c], 1, 0) == 0)
            {
                GemmPacking.PackBRows(kc, c * rows, Math.Min(kc, (c + 1) * rows), nc, TKernel.NR, b, op.RsB, panel);
                Volatile.Write(ref claims[c], 2);
            }
        for (int c = 0; c < chunks; c++)
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref claims[c]) != 2) spin.SpinOnce(sleep1Threshold: -1);
        }
        return panel;
    }

    /// <summary>
    /// One mr×nr tile of C (at most MR×NR) from a packed micro-panel of A and a micro-panel of B: the full, narrow or short
    /// microkernel straight into C, or (edge tile, or C not row-major) into the scratch tile, merged as the microkernel would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(int kc, int mr, int nr, T* aPanel, T* bPanel, nint ldb, T* c, nint rsC, nint csC, T alpha, T beta, T* tile)
    {
        int NR = TKernel.NR;
        // The last panel, when narrow enough, runs the microkernel's narrower tile (less padding to compute).
        bool narrow = nr <= TKernel.NarrowNR;
        int tileColumns = narrow ? TKernel.NarrowNR : NR;
        // The last row panel, when short enough (and the panel not narrow), runs the microkernel's shorter tile.
        bool shortTile = !narrow && mr <= TKernel.ShortMR;
        int tileRows = shortTile ? TKernel.ShortMR : TKernel.MR;
        if (mr == tileRows && nr == tileColumns && csC == 1)
        {
            if (narrow) TKernel.RunNarrow(kc, aPanel, bPanel, ldb, c, rsC, alpha, beta);
            else if (shortTile) TKernel.RunShort(kc, aPanel, bPanel, ldb, c, rsC, alpha, beta);
            else TKernel.Run(kc, aPanel, bPanel, ldb, c, rsC, alpha, beta);
        }
        else
        {
            // Edge tile (or C not row-major): the raw sum goes to a scratch tile and is merged exactly as the microkernel would.
            if (narrow) TKernel.RunNarrow(kc, aPanel, bPanel, ldb, tile, NR, T.One, T.Zero);
            else if (shortTile) TKernel.RunShort(kc, aPanel, bPanel, ldb, tile, NR, T.One, T.Zero);
            else TKernel.Run(kc, aPanel, bPanel, ldb, tile, NR, T.One, T.Zero);
            MergeTile(mr, nr, tile, NR, c, rsC, csC, alpha, beta);
        }
    }

    /// <summary>C[i, j] = α·tile[i, j] + β·C[i, j] with one rounding (fused), β = 0 not reading C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeTile(int rows, int columns, T* tile, nint ldt, T* c, nint rsC, nint csC, T alpha, T beta)
    {
        // Whole vectors where C's row is contiguous (the same fused operation as the scalar loop, so bitwise the same).
        int w = Vector256<T>.Count, vectorColumns = csC == 1 && Fma.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double)) ? columns / w * w : 0;
        Vector256<T> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        for (int i = 0; i < rows; i++)
        {
            T* cRow = c + i * rsC, tRow = tile + i * ldt;
            for (int j = 0; j < vectorColumns; j += w)
            {
                Vector256<T> t = Vector256.Load(tRow + j);
                (beta == T.Zero ? va * t : Simd256.Fma(va, t, vb * Vector256.Load(cRow + j))).Store(cRow + j);
            }
            for (int j = vectorColumns; j < columns; j++)
            {
                ref T cij = ref cRow[j * csC];
                cij = beta == T.Zero ? alpha * tRow[j] : ScalarMath.FusedMultiplyAdd(alpha, tRow[j], beta * cij);
            }
        }
    }

    /// <summary>C = β·C (β = 0 writes zeros without reading C): the whole product when k = 0 or α = 0.</summary>
    private static void ScaleC(GemmOperands<T> op)
    {
        for (int i = 0; i < op.M; i++)
            for (int j = 0; j < op.N; j++)
            {
                ref T cij = ref op.C[i * op.RsC + j * op.CsC];
                cij = op.Beta == T.Zero ? T.Zero : op.Beta * cij;
            }
    }
}

/// <summary>Scalar helpers shared by the GEMM drivers.</summary>
internal static class ScalarMath
{
    /// <summary>a·b + c with a single rounding for float and double (as the SIMD microkernels do).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FusedMultiplyAdd<T>(T a, T b, T c) where T : INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            float r = MathF.FusedMultiplyAdd(Unsafe.As<T, float>(ref a), Unsafe.As<T, float>(ref b), Unsafe.As<T, float>(ref c));
            return Unsafe.As<float, T>(ref r);
        }
        if (typeof(T) == typeof(double))
        {
            double r = Math.FusedMultiplyAdd(Unsafe.As<T, double>(ref a), Unsafe.As<T, double>(ref b), Unsafe.As<T, double>(ref c));
            return Unsafe.As<double, T>(ref r);
        }
        return a * b + c;
    }
}
