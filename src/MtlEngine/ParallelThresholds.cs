namespace MtlEngine;

/// <summary>
/// When the engine's numerics fork: the work below which a step runs on the calling thread, whatever the caller's
/// <see cref="Parallelism"/>. One table for the whole engine assembly, by concern, as the GEMM's block sizes are one table
/// (the span kernels' own thresholds are <c>MtlEngine.Kernels.ParallelThresholds</c>). Each entry says where it is
/// used and, where it was measured, what was measured. Results never depend on these (splits are fixed by size and degree).
/// </summary>
internal static class ParallelThresholds
{
    // Linear algebra.

    /// <summary>Cholesky: below this many multiply-adds in a recursion level's TRSM (n₂·n₁²) its updates run on the calling thread's kernels.</summary>
    public const long CholeskyUpdateFlops = 1L << 22;

    /// <summary>
    /// LU: from this order the look-ahead steps run on the caller's threads (one <c>WorkerTeam</c> for the whole
    /// factorization); below it on the calling thread. The factors are the same either way.
    /// </summary>
    public const int LuTeamOrder = 512;

    /// <summary>
    /// SVD and symmetric eigen: below this order the bidiagonalization / tridiagonalization and their back-transformations
    /// run on one thread: their GEMMs have k = 32 and each panel step reads what the previous one wrote, so a second
    /// thread mostly moves cache lines between cores. Measured at n = 512 (the R of the 1024×512 benchmark) on our
    /// 2-core machines: bidiagonalization 25–26 ms on one thread against 31–39 ms on two, back-transformations 10–12
    /// against 13–15.
    /// </summary>
    public const int PanelReductionOrder = 1024;

    /// <summary>FirstTouch: arrays shorter than this (1 MiB of doubles) are cleared or copied on the calling thread (a fork
    /// costs more than it saves), and longer ones get at most one thread per half of it.</summary>
    public const int FirstTouchElements = 1 << 17;
    /// <summary>Golub–Kahan's y = Sᵀ·v: below this many elements of S it runs on one thread.</summary>
    public const long GolubKahanTransposeTimesElements = 1L << 15;

    /// <summary>Plane rotations applied to column chunks (eigen, SVD): below this many rotated elements, one thread.</summary>
    public const long RotationElements = 1L << 16;

    /// <summary>Triangular solve X·Lᵀ = C: one worker per this many multiply-adds (rows·n²).</summary>
    public const long TriangularSolveFlopsPerWorker = 1L << 21;

    /// <summary>Golub–Kahan's y = Sᵀ·v: at least this many columns of S a thread.</summary>
    public const int GolubKahanColumnsPerThread = 64;

    /// <summary>One-sided Jacobi (the small SVD): from this order the rotations of a round are shared over threads.</summary>
    public const int JacobiOrder = 128;

    /// <summary>Bidiagonal divide and conquer: from this order the two independent halves run on two threads.</summary>
    public const int BidiagonalHalvesOrder = 128;

    /// <summary>Tridiagonal divide and conquer: from this order the two independent halves run on two threads (4 leaves of 32).</summary>
    public const int TridiagonalHalvesOrder = 128;

    /// <summary>Tridiagonalization's symmetric matrix-vector product: from this trailing order m a column's product is shared
    /// over threads (a parallel region per column costs a wake-up and a barrier; m ≥ 256 carries 7/8 of the whole reduction's work).</summary>
    public const int TridiagonalProductOrder = 256;

    /// <summary>Tridiagonal divide and conquer: the secular roots and the eigenvectors (k² elements of d − λ) are shared over
    /// threads from this many elements.</summary>
    public const int SecularRootsElements = 1 << 12;

    /// <summary>Tridiagonal divide and conquer: the Löwner products for ẑ (k² ratios) are shared over threads from this many.</summary>
    public const int SecularProductElements = 1 << 14;

    // Tensors and neural networks.

    /// <summary>Per-plane convolution helpers: about this many input elements a thread.</summary>
    public const long ConvolutionPlaneElementsPerThread = 1 << 16;

    // Classical estimators.

    /// <summary>Sparse (CSR) row passes: at least this many rows a thread.</summary>
    public const int SparseRowsPerThread = 64;

    /// <summary>
    /// Logistic regression: below this many multiply-adds in X·Wᵀ an evaluation of the loss runs on one thread (a fork-join
    /// per GEMM and per row pass costs more than it saves; digits: 1.2M, the synthetic benchmark: 51M).
    /// </summary>
    public const long LogisticMultiplyAdds = 4_000_000;
}
