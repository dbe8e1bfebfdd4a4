using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// The BLIS block sizes for one microkernel: the register tile MR×NR, and the cache blocks
/// MC (rows of the packed A block, kept in L2), KC (the shared k depth; a KC×NR micro-panel of B stays in L1)
/// and NC (columns of the packed B panel, kept in L3). MC is a multiple of MR and NC of NR.
/// </summary>
/// <param name="MR">Rows of the register tile.</param>
/// <param name="NR">Columns of the register tile.</param>
/// <param name="MC">Rows of a packed A block.</param>
/// <param name="KC">Depth of a packed block.</param>
/// <param name="NC">Columns of a packed B panel.</param>
/// <param name="UnpackedBMaxColumns">When B is row-major with at most this many columns and k ≤ KC, B is read in place
/// (only A is packed): for small matrices packing B costs more than it saves.</param>
/// <param name="MinFlopsPerThread">Below this much work (2·m·n·k flops) per thread, extra threads cost more to wake than they save
/// (4 Mflop ≈ 20 µs of one core: on a shared 2-core machine a 128³ product was faster on one thread than on two).</param>
/// <param name="ResidentA">The loop order. False (BLIS's): a KC×NR micro-panel of B stays in L1 while the MR×KC micro-panels of
/// an L2-resident MC×KC block of A stream past it, and the KC×NC panel of B lives in L3. True: an MR×KC micro-panel of A stays in
/// L1 while the KC×NR micro-panels of an L2-resident KC×NC panel of B stream past it, and the MC×KC block of A lives in L3
/// (see GemmDriver.RunResidentA). With the wide B micro-panels of the AVX-512 float kernel (NR = 32) the L1-resident panel is
/// then the narrow one, so KC can be deeper and C is read and written fewer times. Results are bitwise the same either way
/// for the same KC.</param>
/// <param name="PrefetchMinABytes">With few B micro-panels, the least A (the rows one thread computes, times k, in bytes) whose
/// next block is prefetched while the current one computes (see GemmDriver.PrefetchMaxPanels and
/// <see cref="DefaultPrefetchMinABytes"/>); tests make it 0. Affects speed only.</param>
public readonly record struct GemmBlockSizes(int MR, int NR, int MC, int KC, int NC, int UnpackedBMaxColumns, long MinFlopsPerThread, bool ResidentA = false,
    long PrefetchMinABytes = GemmBlockSizes.DefaultPrefetchMinABytes)
{
    /// <summary>
    /// The least A that is prefetched block by block: 8 MiB, more than any L2 and a good part of an L3. A smaller A is read
    /// from cache by then, and the prefetch loop only costs: in-process on Zen 4 (1 thread, p10 of 100–3000 calls), time
    /// without over time with, double m×42×512 with A 1 MiB 0.97 (AVX2) and 0.98 (AVX-512), 4 MiB 0.995 and 0.98, 16 MiB
    /// 1.09 and 1.06; logistic regression's products on the digits (X 1797×64, 0.9 MiB) X·Wᵀ 0.94 and 0.96, Gᵀ·X 0.96 and 1.00.
    /// </summary>
    public const long DefaultPrefetchMinABytes = 8L << 20;

    /// <summary>The table's block sizes for <paramref name="set"/> on this machine's processor (<see cref="CpuDescription.Current"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmBlockSizes For<T>(GemmInstructionSet set) => For<T>(set, CpuDescription.Current.Kind);

    /// <summary>The table's block sizes for an m×k by k×n product on this machine's processor (see the shape rule of
    /// <see cref="For{T}(GemmInstructionSet, Microarchitecture, int, int, int)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmBlockSizes For<T>(GemmInstructionSet set, int m, int n, int k) => For<T>(set, CpuDescription.Current.Kind, m, n, k);

    /// <summary>The least depth k of the products that Zen 5 runs on its <see cref="ResidentA"/> rows: 1024.</summary>
    public const int ResidentAMinDepth = 1024;

    /// <summary>The greatest depth k of the products that Zen 5 runs on its <see cref="ResidentA"/> rows: 4096. Deeper
    /// products are in practice Gram matrices and gradients over samples (k = the sample count, m and n the features or
    /// classes: the SYRK of PCA's and the moments' XᵀX, logistic regression's Gᵀ·X), where resident-A was never faster.</summary>
    public const int ResidentAMaxDepth = 4096;

    /// <summary>
    /// The block sizes for an m×k by k×n product (<paramref name="m"/>, <paramref name="n"/>, <paramref name="k"/>): the
    /// row of <see cref="For{T}(GemmInstructionSet, Microarchitecture)"/>, except one shape rule. AVX-512 on
    /// <see cref="Microarchitecture.Zen5"/> (and on <see cref="Microarchitecture.Zen4"/>, which runs Zen 5's rows) runs the <see cref="ResidentA"/> row only when <see cref="ResidentAMinDepth"/> ≤ k ≤
    /// <see cref="ResidentAMaxDepth"/>, and the generic AVX-512 row (BLIS's order, the row Zen 5 ran before) otherwise. The rule
    /// reads k alone because the rows' KC differ (512 against 256; 320 when the rule was made) and so does the k-blocking of every element: the factorizations split one update into
    /// different products on 1 and 2 threads (the Cholesky's row strips against its SYRK's halves, the TRSM's row shares),
    /// always along m and n and never along k, so a rule on k gives every element the same blocking on any number of
    /// threads. A rule on m and n did not: with m ≥ 512, n ≥ 512 and k ≥ 1024 (gemm9), the Cholesky's L for n = 3000
    /// differed between 1 and 2 threads in 400,451 of its 9·10⁶ elements (n = 700, 1024, 2048 agreed), and with "m and n ≥
    /// 64, m ≤ 1024" added for the Cholesky's products, at n = 700 and 3000.
    /// Resident-A gains by the deeper KC (fewer passes over a large C), by reusing each A micro-panel across many B
    /// micro-panels, and by keeping its B panel in L2 (two threads that each run a product, as the 2-thread Cholesky's row
    /// shares do, share less of L3); it loses where B is narrow and A tall, because its MC×KC block of A is packed into L3
    /// (5 MiB for double at m ≥ 2048) where BLIS's order keeps it in L2, and each A micro-panel then feeds only a few B
    /// micro-panels. Measured on the 2-core Zen 5 (in-process, the two rows alternating, median of 6–9 paired ratios of
    /// thread CPU time (1 thread) or process CPU time (2); resident-A's speed over generic's; double unless said):
    /// <list type="bullet">
    /// <item>Logistic regression (load average 15–30): X·Wᵀ (m 20000, n 10, k 256, B transposed) 0.83 (2 threads 0.86),
    /// its gradient Gᵀ·X (m 10, n 256, k 20000) 1.00 and 0.99 (load 13); X·Wᵀ two at once 0.93 (load 10); the whole logreg_synth fit with every product on
    /// one row or the other 0.91 on 1 thread and on 2 (load 11–14). With 1024 features, X·Wᵀ (m 20000, n 10, k 1024)
    /// 0.88: this rule's cost (load 12).</item>
    /// <item>m 4096, k 512: n 48/96/192/384 0.93/0.95/0.99/0.99, float n 64/128/256/512/1024 0.92/0.97/1.05/0.99/0.99;
    /// m 4096, n 96, k 1024 1.00 (load 11); square 768 0.98 (float) and 0.99; k 2048 with m or n 512 and the other 2048
    /// 1.04–1.09; square 1024 float 1.05, 2048 1.06–1.07 (the rows' own notes).</item>
    /// <item>The Cholesky's products (recursive halving: m and n 64–720, k the block width 64–1024, B transposed): each
    /// alone on 1 thread 0.97–1.05, the noise (152×360×512 0.98, 184×176×512 1.02, 304×720×1024 1.00, 520×512×512 1.02,
    /// load 10–15); two at once, one per core as the 2-thread factorization runs them, 304×720×1024 1.08, 360×360×1024
    /// 1.05, 520×512×512 1.05, 520×256×256 1.01, 184×176×1024 1.00, 152×360×512 0.99, 88×88×512 1.02 (load 9–27). The whole
    /// factorization with every product on resident-A over every one on generic, process CPU time: n = 2048 on 2 threads
    /// 1.08 and 1.08 (two runs), n = 1024 on 2 threads 1.04 and 1.01, on 1 thread 1.03 and 0.96, float n = 1024 on 2
    /// threads 1.02 and 0.95 (load 11–17). Here n = 2048's top level (k 1024, 30 % of its flops) runs resident-A.</item>
    /// <item>PCA, full solver (20000×512, 32 components, 1 thread; its products are 96×n×20000 and 20000×n×96, n ≤ 416):
    /// whole fit 0.99 (load 12). PCA's covariance solver: the SYRK of XᵀX (k 20000, n 512: pieces 256×256, 2 of 128×128, 12
    /// of 64×64, A transposed) 0.87 (7 paired ratios of thread CPU time, load 25), the same with resident-A at KC 256 (0.99 of
    /// KC 320): the loop order loses there, not the depth; its pieces alone 256×256×20000 0.95, 64×64×20000 0.88 (5 pairs,
    /// load 20–29). With k ≥ 1024 alone this SYRK ran resident-A and mtl bench pca's pca_covariance lost about 5 % on 1
    /// thread; hence <see cref="ResidentAMaxDepth"/>. Its cost: a square-ish deep product, 1024×1024×8192, runs generic at
    /// 1.05 of resident-A's time (5 pairs, load 28).</item>
    /// <item>Tried: both Zen 5 rows at KC 256 (resident-A at the generic row's depth blocks, so that a rule could read m and
    /// n without changing any element's blocking). Resident-A at KC 256 over KC 320, time: 1 thread double n = 2048 1.00,
    /// float n = 2048 1.005, float n = 1024 1.00, double 1024×1024×8192 0.97; 2 threads double n = 2048 1.03 (5 pairs, every
    /// one above 1; load 17–25). Not taken: a GEMM bench cell would be slower.</item>
    /// </list>
    /// Results depend on the shape alone (never on the thread count), so a product is bitwise the same on any number of threads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmBlockSizes For<T>(GemmInstructionSet set, Microarchitecture microarchitecture, int m, int n, int k)
    {
        if (set == GemmInstructionSet.Avx512 && microarchitecture is Microarchitecture.Zen5 or Microarchitecture.Zen4
            && (k < ResidentAMinDepth || k > ResidentAMaxDepth))
            return For<T>(set, Microarchitecture.Unknown);
        return For<T>(set, microarchitecture);
    }

    /// <summary>
    /// The one table of block sizes, per instruction set, microarchitecture and element type. The rules: KC·NR·sizeof(T)
    /// of B micro-panel at most about 2/3 of L1d, MC·KC·sizeof(T) of A block about 1/3–1/2 of L2, KC·NC·sizeof(T) of B
    /// panel a few MiB of L3.
    /// <list type="bullet">
    /// <item>AVX-512, generic: tuned on Zen 5 (48 KiB L1d, 1 MiB L2, 32 MiB L3) before Zen 5 moved to the resident-A rows,
    /// by thread CPU time (a shared machine's wall clock is too noisy): near the optimum neighbouring values differed by
    /// less than the noise (±3 %), except double KC = 256 over 192 at n = 2048. Float n = 512 on Zen 5 (1 thread, in-process,
    /// median of 25 paired ratios, load 8–9; the row's 199 GFLOPS of thread CPU time against OpenBLAS's 192): MC 264/516/192
    /// 0.997/0.994/1.000 of 360, MC 240 with KC 512 1.006, resident-A with KC 256 or 512 (NC 4096/256) 0.996/1.013.</item>
    /// <item>AVX-512 on <see cref="Microarchitecture.Zen5"/>, for deep products (the shape rule of
    /// <see cref="For{T}(GemmInstructionSet, Microarchitecture, int, int, int)"/>: 1024 ≤ k ≤ 4096; shallower and deeper ones run the generic
    /// row): the Intel rows below (<see cref="ResidentA"/>; float KC 320,
    /// NC 640, MC 3072; double KC 320, NC 384, MC 2048), as BLIS's Zen 4 sgemm blocking does in its own terms (its L1-resident operand is the broadcast one,
    /// 12×480, its 512×480 vector-operand block sits in the 1 MiB L2). In the generic row the 32 KiB B micro-panel filled
    /// two thirds of the 48 KiB L1, KC stayed at 256 and C (16 MiB at n = 2048) was read and
    /// written eight times: 1 thread n = 2048 ran at 80–84 % of the FMA peak against 86–90 % at n = 1024. Measured on the
    /// 2-core Zen 5 (in-process, the two rows alternating, median of 8 paired ratios, thread CPU time on 1 thread and
    /// process CPU time on 2, load average 35–45): 1 thread n = 2048 1.060 (KC 384/NC 512 1.067, KC 480/NC 512 1.060: the
    /// same within the noise), n = 1024 1.054, n = 512 1.011; 2 threads n = 2048 1.070. Double, the same way (6–8 pairs,
    /// load average 30–40): 1 thread n = 2048 1.071 (KC 480/NC 144 1.057), n = 1024 1.008, n = 512 0.981 (noise);
    /// 2 threads n = 2048 1.086. Zen 5's NC is then halved (double 192, float 320; the Intel rows keep 384 and 640): the
    /// KC×NC panel of B (960 and 800 KiB) filled the 1 MiB L2 that also holds A's micro-panels and C's lines. The resident-A
    /// loop alone with A and C fixed (B streaming only, double) ran at 99 % of the FMA peak with NC 96, 96 % with 192, 91 %
    /// with 384 (median of 7 alternating rounds). The whole product, double n = 2048 over the former kernel at NC 384: the
    /// kernels' next-A prefetch (see Microkernels.Avx512.cs) alone 1.021, with NC 192 1.043; NC 96/144/240 0.99 of 192,
    /// KC 256/384/512 with NC 192 0.99–1.01; float NC 320 over 640 1.01 (9 pairs, load 7–25). Zen 5's float KC is then
    /// 512 (the Intel row keeps 320): k = 1024 runs 2 depth blocks of 512 instead of 4 of 256 (DepthBlock evens KC 320 to
    /// 256), k = 2048 4 of 512 instead of 7 of 293, so C is read and written half as often; the A micro-panel (12×512, 24
    /// KiB) takes half of L1, B's 512×320 panel 640 KiB of L2. In-process (the harness calls GemmDriver with each row),
    /// alternating, median of paired ratios of thread CPU time, 1 thread, load average 6–11, over KC 320: n = 1024 1.020,
    /// 1.031, 1.017 (KC 384 1.020, 1.013; 448 1.014; KC 512 NC 256 1.019, 1.028), n = 2048 1.009, 1.009 (448 1.011; KC 704
    /// (3 blocks of 683, a 32 KiB A micro-panel) 1.031 in a noisy run where 512 read 1.053), n = 512 (generic row) untouched;
    /// 2 threads (process CPU time, load 11–20) 0.997 at n = 1024 and 0.998 at 2048: the noise. Then (load 3–8) the row ran
    /// n = 1024 at 190–202 GFLOPS of thread CPU time, n = 2048 at 202–205; OpenBLAS (its Cooperlake core) 186–190 and 193–203
    /// (gemm_peer.py --clock thread). Whole `mtl bench gemm` runs on 1 thread, the builds before and after alternating (5–7
    /// pairs, load 2.5–5, wall time): n = 1024 1.007 and 0.999, n = 2048 0.994 and 1.001: across processes the machine's two speed
    /// states swamp it. In one process through Gemm.Multiply (the table against the same row at KC 320, alternating, load
    /// 0.9–1.1, the machine in its slow state, 165–172 GFLOPS): n = 1024 1.022 and 1.024, n = 2048 1.027 and 1.026.
    /// Zen 5's double KC is then 512 and its NC 96 (the Intel row keeps 320 and 384): k = 1024 runs 2 depth blocks of 512
    /// instead of 4 of 256, k = 2048 4 of 512 instead of 7 of 293; the A micro-panel (8×512, 32 KiB) takes two thirds of
    /// L1, B's 512×96 panel 384 KiB of L2. Where n = 1024 lost its 12–15 % to the FMA peak (in-process harness, 1 thread,
    /// thread CPU time, KC 320, load average 3–8; each part's speed over the whole product's, median of 7–15 alternating
    /// rounds): the 8×24 kernel alone, its panels in L1 and one C tile (kc 256), 1.09–1.10, 93–95 % of the peak (107–108
    /// GFLOPS; best round 97 %); the resident-A loop over A and B packed beforehand (no packing) 1.03, with B's panel fixed in L2 1.05,
    /// with C fixed to one row panel 1.06, both 1.085: packing (including B's first trip from L3) and C's passes about 3 %
    /// each, the kernel's own 5 %. Kernel prefetches (a copy of the 8×24 tile in the harness, 1.00 of this one), not taken:
    /// at KC 320 the C tile into L2 over 24 steps before its L1 prefetch 1.007 (31 pairs), C into L1 32 steps before the
    /// end 1.000 of 24, B 12 steps ahead 0.99 of 8; at KC 512, NC 96 (load 13–21) A's L1 prefetch off or 32 steps ahead
    /// 1.001 and 1.001 of 16, B 6 or 12 steps ahead 1.003 and 1.002 of 8, C into L2 first n = 1024 1.007 (q1 1.002),
    /// n = 2048 1.010 (q1 0.968) but n = 512 on the generic row 0.979. KC 512 at NC 192 read 0.999
    /// at n = 1024 (KC 384 0.997), at n = 2048 0.978: the 512×192 B panel (768 KiB) crowded the 1 MiB L2 that also
    /// takes A's and C's lines. KC 512 with NC 96 over the former row (KC 320, NC 192), median of 15–31 paired ratios, load average 2–8:
    /// 1 thread n = 1024 1.017, 1.021, 1.022, 1.014, 1.010 (NC 72/120/144 1.009/1.020/0.999; KC 448 1.000), n = 2048 0.998,
    /// 1.007 (KC 448 1.007), n = 1536 1.008, 1024×1024×4096 1.013, 512×2048×2048 1.004, 4096×96×1024 1.031, 304×720×1024
    /// (a Cholesky product) 1.014, 20000×10×1024 (logistic regression's X·Wᵀ) 1.048; 2 threads (process CPU time) n = 1024
    /// 1.001 (31 pairs; a first run of 15 read 1.29, noise), n = 2048 1.013 and 1.007; again at load 7–11 (15–31 pairs): 1 thread n = 1024 1.029 (q1 1.026), 2048 1.007;
    /// 2 threads 1024 0.999, 2048 1.004. The row then ran n = 1024 at 0.91 of the kernel alone (loop without packing 0.94,
    /// without packing and with B and C fixed 0.98): packing is the larger share left. KC 512 and NC 96 keep k alone
    /// choosing every element's depth blocks (the shape rule above).</item>
    /// <item>AVX-512 on <see cref="Microarchitecture.Zen4"/> (EPYC Genoa, CPUID 19h model 11h: 32 KiB L1d, 1 MiB L2, 32 MiB L3):
    /// Zen 5's rows and shape rule. The generic row, tuned on Zen 5's 48 KiB L1, fills Zen 4's 32 KiB L1 with its float
    /// B micro-panel (256×32) and overflows it with the double one (256×24, 48 KiB); there `mtl bench gemm` on 1 thread ran
    /// n = 1024 at 84 % of the FMA peak for both types and 0.98–1.01 of OpenBLAS's Cooperlake core. Measured on a 2-core
    /// Zen 4 VM (in-process, the rows alternating, median of 8–12 paired ratios, thread CPU time on 1 thread, process CPU
    /// or wall time on 2, load average 1–2), speed over the generic row: float KC 512, NC 320 (Zen 5's row) n = 1024 1.042
    /// (KC 320/384 1.008/1.014, KC 320 with NC 640 1.016; the generic row with KC 192, its B micro-panel at 24 KiB, 0.967),
    /// n = 2048 1.046 (KC 448 1.042); 2 threads n = 2048 1.036 (process CPU), n = 1024 1.088 (wall, q1 0.991). Double KC 512,
    /// NC 96 n = 2048 1.018 (in a first run KC 256/320/384 with NC 96 1.026/1.022/1.029, KC 320 with NC 192 1.017; the
    /// generic row with KC 128 0.956), n = 1024 1.023 (KC 256/320/384 1.022/1.012/1.019); 2 threads n = 2048 1.025
    /// (process CPU), n = 1024 1.014 (wall, q1 0.973). The double A micro-panel (8×512, 32 KiB) fills Zen 4's L1, but
    /// it measured no slower than the shallower ones: the B micro-panels stream past it from L2 either way. Zen 4's double
    /// MC is then 1024 (an A block of 4 MiB in L3 at KC 512; Zen 5's 2048 makes it 8 MiB): over MC 2048, 1 thread n = 2048
    /// 1.021, 1.030, 1.033, 1.013 (10–16 pairs), n = 1536 1.010, 4096×1024×1024 1.009; 2 threads 4096×4096×1024 1.027
    /// (process CPU; at n = 2048 each thread's 1024 rows are one block either way). With MC 2048, NC 48/72/144/192 read
    /// 1.021/1.006/1.006/1.005 of NC 96, with MC 1024 NC 48/72 0.997/0.997 of NC 96: NC stays. Float MC 1536/1020 read
    /// 0.998/0.986 of 3072 at n = 2048: float keeps Zen 5's row whole. With both, `benchmarks/peers/gemm.sh` (n = 512, 1024,
    /// 2048; 1 and 2 threads; three passes) read 0.94–1.10 of OpenBLAS, 33 of the 36 cells at 1.00 or above and one pass all
    /// of them, and 84.5–92.3 % of the FMA peak on 1 thread at n ≥ 1024 (before, one pass: 0.97–1.06, 84.0–87.6 %).</item>
    /// <item>AVX-512 on <see cref="Microarchitecture.IntelAvx512"/> (Emerald Rapids: 48 KiB L1d, 2 MiB L2, large shared L3):
    /// the <see cref="ResidentA"/> order. The float kernel alone runs at about 97 % of the FMA peak with A and B in L1/L2,
    /// but the blocked loops lost 15–25 % at n = 2048 with the generic row: its 32 KiB B micro-panel fills two thirds of L1
    /// (KC 256 at most, so C is read and written k/256 times) and its 2 MiB B panel spills from L2. Kept in L1 is now the
    /// 15 KiB A micro-panel (float 12×320, double 8×320 = 20 KiB), B's KC×NC panel (800 and 960 KiB) in L2, A's MC×KC block
    /// in L3. Measured on a loaded 2-core Emerald Rapids VM (thread CPU time, best of 3 alternating, 1 thread, n = 2048):
    /// float 141 against 130 GFLOPS for the generic row, double 65 against 61; the blocked loop alone (one 720-row block,
    /// real C, best of 30 interleaved) float 147 against 120. Before, MC doubled in the generic order (float 720, double
    /// 480) had measured no gain. In this order B's panel is packed again for every A block, and the double A block
    /// (480×320, 1.2 MiB) did not share the 2 MiB L2 with B's panel anyway: double MC is now 2048 (5 MiB of L3; the driver
    /// evens the blocks, see GemmDriver.RowBlock), so an n = 2048 product packs B once instead of five times (PackBPanel
    /// fell from 9 % to 2 % of the profile's samples; thread CPU time 64–66 against 62–65 GFLOPS, within the noise of
    /// a machine at load average 35). Float MC is 3072 for the same reason (it was 720, three A
    /// blocks at n = 2048): with B packed row by row (GemmPacking.PackBRows) packing B took 5.2 % of the 1-thread n = 2048
    /// profile with MC 720 and 1.8 % with 3072; GFLOPS (thread CPU time, best of 10, load average 17–40) 134–143 against
    /// 134–141, no difference the noise can show. A 2-thread product splits the rows and packs B once for both threads
    /// (GemmDriver's SharedPackedB).</item>
    /// <item>AVX2 on <see cref="Microarchitecture.Zen3"/> (32 KiB L1d, 512 KiB L2, 32 MiB L3 per 8 cores): BLIS's Zen
    /// blocking, float MC 144 and double MC 72 with KC 256 (A blocks of 144 KiB: the double block of the generic row,
    /// 288 KiB, crowds a 512 KiB L2 that also holds the B micro-panel and C), NC 4080. Not measured on a Zen 3 here.</item>
    /// <item>AVX2 on <see cref="Microarchitecture.Zen4"/> (AVX-512 switched off): the generic row below, float KC 384 (a
    /// 384×16 B micro-panel, 24 KiB of the 32 KiB L1; k = 1024 and 2048 run depth blocks of 342). On the 2-core Zen 4 VM
    /// (in-process, alternating, median of 10–14 paired ratios, thread CPU time on 1 thread, wall on 2, load 1–2), over KC
    /// 256: 1 thread n = 2048 1.014 and 1.009, n = 1024 1.021; 2 threads n = 2048 1.015 and 1.031 (MC 96 with KC 384: 1.016,
    /// 1.018 and 0.990 on 2 threads). Double KC 384 read 0.998 (n = 2048) and 0.992 (n = 1024): double keeps KC 256. Neither
    /// NC 512/1024 (0.97/0.98), MC 72/192/288 (1.016/1.028/0.972, quartiles on either side of 1), KC 192/320 (1.008/0.967) nor
    /// the resident-A order (MC 1026, KC 256, NC 384: 0.949) did better for float at n = 2048, nor, for double, MC 72 or NC 256
    /// (0.989, 0.966). Before it, `mtl bench gemm` ran 1 thread at 70–87 % of the FMA peak (Zen 4's 256-bit FMA peak is
    /// its AVX-512 one) and at 0.91–1.06 of OpenBLAS Haswell, 2 threads at 0.87–1.01 (`benchmarks/peers/gemm.sh`, two
    /// passes): both sides' rates swing by up to 20 % between runs there.</item>
    /// <item>AVX2 elsewhere (Intel client cores, or AVX-512 machines with AVX-512 switched off): the generic row. On the
    /// 2-core Zen 5 with AVX-512 switched off (in-process, rows alternating, median of 10 paired ratios of thread CPU time, 1
    /// thread, load average 7–12) no other double blocking beat it beyond the noise at n = 1024: KC 320/384/512 0.998/1.003/1.022
    /// of its time, MC 72/288 0.999/1.019, MC 192 with KC 384 1.025; the resident-A order (MC 1026, NC 256/384, KC 256)
    /// 1.019/1.021. There the kernel alone, its panels in L1 and L2, runs at 94–100 % of the FMA peak and the whole product
    /// at 84–94 %; the rest is packing (3–5 % of the profile) and the kernel's waits on C and on each new B micro-panel from
    /// L3 (a kernel that wrote to a fixed C tile, or read a fixed L1-resident B, ran 2–5 % faster).
    /// The peer, OpenBLAS 0.3.21's Haswell path, in this code's terms (its M is our n): the float kernel is our 6×16 tile, KC 320
    /// and a 320-column block of B in L2; the double kernel is 12 rows (three loaded vectors of A) × 4 columns (broadcasts of
    /// B), a 12×256 A micro-panel in L1 against a 256×512 (1 MiB) block of B in L2: the resident-A order. It packs A's
    /// micro-panels 24 (double) or 12 (float) rows at a time just before their first kernel call, scales C by β in a pass of
    /// its own first, and on 2 threads splits the columns, each thread packing its own B blocks and half of a shared A panel
    /// (yield loops between them). perf cpu-clock at n = 1024, 4 interleaved rounds (load 11–31), packing time as a share of
    /// microkernel time, ours/OpenBLAS: double 1 thread 4.8–5.2/3.8–4.2 %, 2 threads 5.5–6.8/4.9–5.3 % (its β pass another
    /// 1.8 %, its yields 0.4–4.6 %); float 5.4–6.8/4.4–5.6 % and 7.0–7.9/5.6–5.9 % (β 1.3–1.7 %, yields 1–6 %). Our B packing
    /// doubles from 1 to 2 threads (2.5–2.7 to 5.5–5.8 % of the kernel: the shared packed B is all of K×N, 4–8 MiB written once,
    /// where 1 thread rewrites one 1–2 MiB KC×NC block), OpenBLAS's stays near 2 %. Neither cause alone shows in isolation
    /// (PackBRows packing all of an n = 1024 or 2048 B, 1 thread, thread CPU time, load 30–46: into the whole K×N buffer
    /// 0.98–1.06 of the time into one reused KC×N block, 5.2–5.7 GB/s either way; two threads packing alternate 16-row
    /// chunks at once 0.99–1.06 of one thread's CPU time); in the product the rest of its traffic (A, C, B's source rows,
    /// 32 MiB in all for double) presumably pushes B's rows out of L3 (not measured further). The overheads, packing plus β
    /// and yields, come out even, and the kernels' own rates (flops per kernel sample: 40–48 GFLOPS a core double, 81–97
    /// float, ours and OpenBLAS's) agree within this load's noise.
    /// Tried after it (in-process, alternating, median of 8–16 paired ratios, load 8–44): the resident-A order on 2 threads
    /// (bitwise BLIS's for the same KC, so choosable by thread count), double NC 128/192/256 wall 0.95–1.06 and process CPU
    /// 0.98–1.01 of this row's time over n = 512–2048, float NC 256/512 0.98–1.05; with A packed 24 rows at a time inside
    /// the first column block as OpenBLAS does, 1 thread double 1.02, 2 threads 0.96–1.05; in BLIS's order, B's micro-panels
    /// packed one at a time inside the first row block, each straight before its tiles (on 2 threads claimed per micro-panel
    /// in the shared B), thread CPU time 1 thread double/float 1.000/1.017, process CPU 2 threads n = 512–2048 1.00–1.03 (load
    /// 34–61); again at load 6–12, 2 threads n = 1024/2048, 14 pairs: process CPU double 0.994/1.006, float 1.009/1.012, best
    /// wall 94.2/102.5 against 91.3/103.1 GFLOPS double, 202.3/207.2 against 204.5/208.0 float; double NC 1024/512 at
    /// n = 2048 (12 pairs, load 3): 1 thread 1.003/1.023, 2 threads 1.004/1.006 (process CPU). None kept. In the same runs
    /// this row's double n = 2048 ran at 51.5 GFLOPS of thread CPU time on 1 thread (97 % of the 53.3 peak) and 95 on 2.
    /// Then (issue 19, double n = 2048, 1 thread; a harness calling a copy of the BLIS loop with copies of the 6×8 tile,
    /// every variant bitwise this row's, alternating, median of 10–24 paired ratios of thread CPU time, load 1.4–5.5; the
    /// copy itself 0.997–1.021 of GemmDriver's time). What the loss is: the tiles all reading one B micro-panel instead
    /// of each its own 1.023–1.059 (n = 1024 1.031), cycling through 16 micro-panels (256 KiB, in L2) 1.027–1.055, all
    /// writing one C tile 1.019; so about 4 % goes to bringing each B micro-panel from beyond L2. What it is not: with the
    /// 16 L2-resident micro-panels computed on, prefetching the real next micro-panels as well (all their lines, or one
    /// line per 4 KiB page) cost the whole 4 % again (1.001–1.010 of the plain loop), and the packed B on transparent huge
    /// pages (madvise, 4 MiB of AnonHugePages) gained 1.009: the fetch traffic itself costs, not its latency or the TLB.
    /// None of these recovered it, none kept: prefetcht0 of B D steps ahead inside the k loop (into the next micro-panel
    /// at each tile's end, as OpenBLAS's Haswell kernels do), D = 8/16/24/32/48/64/96/128/192/256: 0.986–1.031, the same
    /// D from run to run on either side of 1 (96: 1.031 and 1.008 and 0.994–1.005 in later runs); the next micro-panel's
    /// lines spread over the current one's tiles (about 11 a tile), prefetcht0/t1/t2/nta, 1, 2, 4 or 8 micro-panels
    /// ahead: 0.970–1.019; the C tile prefetched 12/24/48/96 steps before the end instead of at the start:
    /// 0.999–1.010; C's rows padded by 8 values (no 16 KiB row stride): no change across processes; the k loop unrolled by
    /// 2 (the same FMAs in the same order): 1.006–1.013 over 5 runs (n = 1024 1.011), about the copy's own 0.5 %. JIT
    /// listing of the 6×8 k loop with AVX-512 off: VEX encoding, 16 ymm registers (12 accumulators, 2 of B, 1 broadcast),
    /// the 6 broadcasts folded as memory operands, no spills, 24 instructions per 12 FMAs. perf (cpu-clock): the tile
    /// 84 % of the samples, PackA 1.1 %, PackBRows 1.1 %, the driver 0.5 %, the hypervisor's interrupts 4.6 %. In the
    /// same runs OpenBLAS Haswell read 48.6–49.7 GFLOPS of thread CPU time (gemm_peer.py --clock thread), ours 46.2–47.8
    /// median and 48.1–50.9 best; mtl bench gemm (wall, median) 47.3–48.1 against 48.2–49.3 (load 3.5–4).
    /// What did recover part of it: B's KC×NC panel narrowed to about L2's size (double NC 512, 1 MiB; it was 2048, 4 MiB,
    /// in L3), so that its micro-panels come from L2 for every A block after the
    /// first, with GemmDriver.Run packing A once per depth block for a super-block of rows (4 MiB) and reading each A block
    /// from there for every column panel (so a narrow NC does not pack A n/NC times). Bitwise the same (KC unchanged).
    /// Double n = 2048 over the former loop and NC, 1 thread, thread CPU time: the harness's version of the loop NC
    /// 384/512/768 1.044/1.044/1.029 (12 pairs, load 3), again 1.039/1.053; GemmDriver itself NC 512 1.037 (q1 1.023, 12
    /// pairs, load 2–3), 1.014 and 1.012 (load 3–16); n = 1024 1.005 (30 pairs, load 15); 2 threads (Execute, wall time,
    /// the shared packed B) n = 2048 1.011 (10 pairs, load 15). Float n = 2048 NC 512/768/1024 1.006/1.017/1.009 (load 20:
    /// the noise); NC 1024 again 0.993–0.998 (in-process, 14–20 pairs, load 2), so float keeps NC 4096. With the
    /// super-block at 8 MiB and evened (GemmDriver.ASuperBlockBytes; one super-block at m = 2048): double n = 2048 1.009 and 1.021 (14
    /// and 30 pairs, load 2), n = 1024 0.987 and 0.995. The gain shrinks as the machine's other load grows. The Zen 3 row keeps NC 4080 (not measured there;
    /// its L2-sized panel would be NC 256 double, 512 float).</item>
    /// </list>
    /// MR and NR restate the microkernel's register tile (the driver takes them from the microkernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmBlockSizes For<T>(GemmInstructionSet set, Microarchitecture microarchitecture)
    {
        bool f32 = typeof(T) == typeof(float);
        bool zen3 = microarchitecture == Microarchitecture.Zen3;
        bool intel = microarchitecture == Microarchitecture.IntelAvx512;
        bool zen4 = microarchitecture == Microarchitecture.Zen4;
        bool zen5 = zen4 || microarchitecture == Microarchitecture.Zen5;   // Zen 4 runs Zen 5's rows, its double A block halved (see above)
        return set switch
        {
            GemmInstructionSet.Avx512 when f32 && (intel || zen5) => new(MR: 12, NR: 32, MC: 3072, KC: zen5 ? 512 : 320, NC: zen5 ? 320 : 640, UnpackedBMaxColumns: 256, MinFlopsPerThread: 1L << 22, ResidentA: true),
            GemmInstructionSet.Avx512 when intel || zen5 => new(MR: 8, NR: 24, MC: zen4 ? 1024 : 2048, KC: zen5 ? 512 : 320, NC: zen5 ? 96 : 384, UnpackedBMaxColumns: 192, MinFlopsPerThread: 1L << 22, ResidentA: true),
            GemmInstructionSet.Avx512 when f32 => new(MR: 12, NR: 32, MC: 360, KC: 256, NC: 4096, UnpackedBMaxColumns: 256, MinFlopsPerThread: 1L << 22),
            GemmInstructionSet.Avx512 => new(MR: 8, NR: 24, MC: 240, KC: 256, NC: 3072, UnpackedBMaxColumns: 192, MinFlopsPerThread: 1L << 22),
            GemmInstructionSet.Avx2 when f32 => new(MR: 6, NR: 16, MC: 144, KC: zen4 ? 384 : 256, NC: zen3 ? 4080 : 4096, UnpackedBMaxColumns: 128, MinFlopsPerThread: 1L << 22),
            GemmInstructionSet.Avx2 => new(MR: 6, NR: 8, MC: zen3 ? 72 : 144, KC: 256, NC: zen3 ? 4080 : 512, UnpackedBMaxColumns: 128, MinFlopsPerThread: 1L << 22),
            _ => new(MR: 4, NR: 2 * System.Numerics.Vector<T>.Count, MC: 128, KC: 256, NC: 2048, UnpackedBMaxColumns: 0, MinFlopsPerThread: 1L << 22),
        };
    }
}
