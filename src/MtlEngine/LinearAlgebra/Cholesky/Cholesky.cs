using System.Numerics;
using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The Cholesky factorization A = L·Lᵀ of a symmetric positive definite matrix (only A's lower triangle is read),
/// with solve, inverse, log-determinant and reconstruction. Blocked and right-looking, the trailing update in SYRK/GEMM:
/// <code>
/// for each block column k (width nb):
///   L_kk          = chol(A_kk)                         (unblocked, Cholesky–Crout by rows)
///   L_{k+1..,k}   = A_{k+1..,k} · L_kk⁻ᵀ               (TRSM: L_kk · Xᵀ = A_{k+1..,k}ᵀ)
///   A_{k+1..,k+1..} −= L_{k+1..,k} · L_{k+1..,k}ᵀ      (SYRK, lower: almost all of the n³/3 flops)
/// </code>
/// run recursively (see <see cref="FactorInPlace{T}(MatrixSpan{T}, Parallelism, int, int)"/>): the TRSM is recursive halving on the GEMM with 32×32 diagonal
/// blocks in a Vector512 register kernel, the SYRK recursive halving on the GEMM (<see cref="Syrk"/>). Every part
/// is split over threads by a fixed partition, so L does not depend on the thread count.
/// The textbook twin is <see cref="CholeskyTextbook"/>. This class is float64; the same generic code computes in float32
/// through <see cref="Linalg.Cholesky{T}"/>.
/// </summary>
public sealed class Cholesky
{
    /// <summary>The default block width nb.</summary>
    public const int DefaultBlockSize = 96;

    /// <summary>
    /// The diagonal blocks of the TRSM L₂₁ = A₂₁·L₁₁⁻ᵀ solved by the register kernel (the rest is GEMM); measured at
    /// n = 1024 (thread CPU time): 32 ≈ 16 ≥ 64 ≥ 128, within a few percent.
    /// </summary>
    internal const int TrsmBlockSize = 32;

    private readonly Parallelism _parallelism;

    private Cholesky(DenseMatrix l, Parallelism parallelism)
    {
        L = l;
        _parallelism = parallelism;
    }

    /// <summary>The lower-triangular factor L (zeros above the diagonal), n×n.</summary>
    public DenseMatrix L { get; }

    /// <summary>The order n.</summary>
    public int Order => L.Rows;

    /// <summary>Factors a symmetric positive definite matrix (its lower triangle is read; the input is not changed).</summary>
    /// <param name="a">The n×n matrix.</param>
    /// <param name="parallelism">Threads for the GEMM updates (and for later solves with this factorization).</param>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive (carries its index).</exception>
    public static Cholesky Factor(DenseMatrix a, Parallelism? parallelism = null) => Factor(a, parallelism ?? TensorParallelism.Current, DefaultBlockSize);

    /// <summary>Factors an n×n array.</summary>
    /// <inheritdoc cref="Factor(DenseMatrix, Parallelism?)"/>
    public static Cholesky Factor(double[,] a, Parallelism? parallelism = null) => Factor(DenseMatrix.FromArray(a), parallelism);

    /// <summary>
    /// Factors in place, as LAPACK's potrf: the lower triangle of <paramref name="a"/> is overwritten with L and its
    /// strict upper triangle with zeros, and the returned factorization holds <paramref name="a"/> itself as
    /// <see cref="L"/> (no n×n copy; use it for large matrices whose original is no longer needed).
    /// </summary>
    /// <param name="a">The n×n matrix; only its lower triangle is read. On a <see cref="NotPositiveDefiniteException"/> its contents are unspecified.</param>
    /// <param name="parallelism">Threads for the GEMM updates (and for later solves with this factorization).</param>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive (carries its index).</exception>
    public static Cholesky FactorInPlace(DenseMatrix a, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        MatrixShapeException.ThrowIfNotSquare(a, "Cholesky");
        FactorInPlace(a.Span, parallelism ?? TensorParallelism.Current, DefaultBlockSize);
        ZeroUpper(a);
        return new Cholesky(a, parallelism ?? TensorParallelism.Current);
    }

    /// <summary>
    /// Factors a symmetric positive definite matrix into <paramref name="storage"/> (n×n, overwritten; it becomes the
    /// returned factorization's <see cref="L"/>), the input unchanged. The workspace form for loops: a fresh n×n factor is
    /// fresh memory, whose first touch costs about 3 ms per MB on our machines (an 8 MB factor of n = 1024 is a tenth of
    /// the factorization); storage reused from call to call is already mapped. The previous factor in the same storage is
    /// overwritten; its old contents are never read.
    /// </summary>
    /// <exception cref="MatrixShapeException">When A is not square or the storage is not n×n.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive (carries its index; the storage's contents are then unspecified).</exception>
    public static Cholesky Factor(DenseMatrix a, DenseMatrix storage, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(storage);
        MatrixShapeException.ThrowIfNotSquare(a, "Cholesky");
        if (storage.Rows != a.Rows || storage.Columns != a.Columns)
            throw new MatrixShapeException($"Cholesky storage must have A's shape {a.ShapeText}, but has shape {storage.ShapeText}; pass an n×n matrix.");
        return FactorOwned(a, storage, parallelism ?? TensorParallelism.Current, DefaultBlockSize);
    }

    internal static Cholesky Factor(DenseMatrix a, Parallelism parallelism, int blockSize)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "Cholesky");
        // Every element of the new factor is written by the copy below, so the array need not be zeroed first.
        return FactorOwned(a, new DenseMatrix(a.Rows, a.Columns, GC.AllocateUninitializedArray<double>(a.Rows * a.Columns)), parallelism, blockSize);
    }

    /// <summary>
    /// A's lower triangle copied into <paramref name="l"/> with zeros above it (one pass: A's upper triangle is not read),
    /// factored in place, then the strict upper triangle cleared where the factorization writes scratch (the diagonal
    /// blocks of at most <see cref="Kernels.Gemm.Syrk.Leaf"/> rows that the SYRK computes whole; see <see cref="ZeroUpperBand"/>).
    /// </summary>
    private static Cholesky FactorOwned(DenseMatrix a, DenseMatrix l, Parallelism parallelism, int blockSize)
    {
        int n = a.Rows;
        for (int i = 0; i < n; i++)
        {
            a.Data.AsSpan(i * n, i + 1).CopyTo(l.Data.AsSpan(i * n, i + 1));
            l.Data.AsSpan(i * n + i + 1, n - i - 1).Clear();
        }
        FactorInPlace(l.Span, parallelism, blockSize);
        ZeroUpperBand(l);
        return new Cholesky(l, parallelism);
    }

    /// <summary>
    /// Clears the strict upper triangle of a factor whose upper triangle was zero before <see cref="FactorInPlace{T}(MatrixSpan{T}, Parallelism, int, int)"/>:
    /// the factorization writes above the diagonal only inside its diagonal SYRK blocks (at most <see cref="Kernels.Gemm.Syrk.Leaf"/>
    /// rows each, computed by one full GEMM), so only the band of that width above the diagonal can hold scratch; the
    /// rest of the upper triangle (more than half of it for n = 1024) is not written again.
    /// </summary>
    private static void ZeroUpperBand(DenseMatrix l)
    {
        int n = l.Rows;
        for (int i = 0; i < n; i++)
            l.Data.AsSpan(i * n + i + 1, Math.Min(n - i - 1, Kernels.Gemm.Syrk.Leaf)).Clear();
    }

    /// <summary>
    /// Overwrites the lower triangle of the n×n view with L (the strict upper triangle is left as garbage). Recursive
    /// form of the right-looking blocked algorithm (Gustavson 1997): halving keeps the GEMM/SYRK operands large,
    /// and blocks of at most <paramref name="blockSize"/> are factored unblocked.
    /// <code>
    /// L₁₁ = chol(A₁₁);  L₂₁ = A₂₁·L₁₁⁻ᵀ (TRSM);  A₂₂ −= L₂₁·L₂₁ᵀ (SYRK);  L₂₂ = chol(A₂₂)
    /// </code>
    /// </summary>
    internal static unsafe void FactorInPlace<T>(MatrixSpan<T> a, Parallelism parallelism, int blockSize, int offset = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Rows, n1 = n / 2, n2 = n - n1;
        if (parallelism.Degree == 1 || n <= blockSize || (long)n2 * n1 * n1 < ParallelUpdateFlops)
        {
            Factor(a, null, blockSize, offset);
            return;
        }
        // Threaded levels: one team for the whole recursion (its phases start without waking a thread each time).
        fixed (T* p = &System.Runtime.InteropServices.MemoryMarshal.GetReference(a.Data))
        {
            var pinned = new PinnedMatrix<T>(p, a);
            WorkerTeam.Run(parallelism.Degree, team => Factor(pinned.View, team, blockSize, offset));
        }
    }

    /// <summary>The recursion of <see cref="FactorInPlace{T}(MatrixSpan{T}, Parallelism, int, int)"/>; levels with a large enough update split it over <paramref name="team"/>.</summary>
    private static void Factor<T>(MatrixSpan<T> a, WorkerTeam? team, int blockSize, int offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Rows;
        if (n <= blockSize)
        {
            FactorDiagonalBlock(a, offset);
            return;
        }
        int n1 = n / 2, n2 = n - n1;
        var a11 = Dense.Sub(a, 0, 0, n1, n1);
        Factor(a11, team, blockSize, offset);
        var a21 = Dense.Sub(a, n1, 0, n2, n1);
        var a22 = Dense.Sub(a, n1, n1, n2, n2);
        if (team is not null && (long)n2 * n1 * n1 >= ParallelUpdateFlops)
            UpdateByRowShares(a, n1, team);
        else
        {
            TriangularSolve.Lower(a11, a21.Transposed(), unitDiagonal: false, Parallelism.Sequential, TrsmBlockSize);
            Syrk.Update(-T.One, a21.Transposed(), T.One, a22, OtherTriangle.Clobbered, Parallelism.Sequential);   // A₂₂ −= L₂₁·L₂₁ᵀ
        }
        Factor(a22, team, blockSize, offset + n1);
    }

    /// <summary>Below this many multiply-adds in the TRSM (n₂·n₁²), a recursion level runs its updates on the calling thread's kernels.</summary>
    private const long ParallelUpdateFlops = ParallelThresholds.CholeskyUpdateFlops;

    /// <summary>
    /// The TRSM and the SYRK of one recursion level split once over the team's members, each share running
    /// sequentially (one phase per level instead of one fork per small GEMM deep in the recursions):
    /// rows of A₂₁ are independent in L₂₁ = A₂₁·L₁₁⁻ᵀ, and rows of the lower triangle of A₂₂ −= L₂₁·L₂₁ᵀ are cut
    /// into strips of equal area (boundaries at n₂·√(w/workers)), each a GEMM left of the diagonal and a SYRK on it.
    /// Every element is computed by the same kernel operations as on one thread, so L does not depend on the count.
    /// </summary>
    private static unsafe void UpdateByRowShares<T>(MatrixSpan<T> a, int n1, WorkerTeam team) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Rows, n2 = n - n1, workers = team.Size;
        fixed (T* p = &System.Runtime.InteropServices.MemoryMarshal.GetReference(a.Data))
        {
            var pinned = new PinnedMatrix<T>(p, a);
            int group = 3 * System.Runtime.Intrinsics.Vector512<T>.Count; // the TRSM kernel's rows per pass (24 float64, 48 float32)
            int groups = (n2 + group - 1) / group;
            team.ForEachShare(workers, w =>
            {
                int r0 = Math.Min(n2, groups * w / workers * group), r1 = Math.Min(n2, groups * (w + 1) / workers * group);
                if (r1 <= r0) return;
                var view = pinned.View;
                TriangularSolve.Lower(Dense.Sub(view, 0, 0, n1, n1), Dense.Sub(view, n1 + r0, 0, r1 - r0, n1).Transposed(),
                    unitDiagonal: false, Parallelism.Sequential, TrsmBlockSize);
            });
            team.ForEachShare(workers, w =>
            {
                int s0 = StripStart(n2, w, workers), s1 = StripStart(n2, w + 1, workers);
                if (s1 <= s0) return;
                var view = pinned.View;
                var strip = Dense.Sub(view, n1 + s0, 0, s1 - s0, n1);
                if (s0 > 0)
                    Gemm.Multiply(-T.One, strip, Dense.Sub(view, n1, 0, s0, n1).Transposed(), T.One, Dense.Sub(view, n1 + s0, n1, s1 - s0, s0), Parallelism.Sequential);
                Syrk.Update(-T.One, strip.Transposed(), T.One, Dense.Sub(view, n1 + s0, n1 + s0, s1 - s0, s1 - s0), OtherTriangle.Clobbered, Parallelism.Sequential);
            });
        }
    }

    /// <summary>The first row of strip <paramref name="w"/>: a lower triangle of order n split into strips of equal area, at multiples of 8.</summary>
    private static int StripStart(int n, int w, int workers) =>
        w >= workers ? n : Math.Min(n, (int)(n * Math.Sqrt((double)w / workers)) / 8 * 8);

    /// <summary>Unblocked Cholesky–Crout on a diagonal block: lⱼⱼ = √(aⱼⱼ − Σₚ lⱼₚ²), lᵢⱼ = (aᵢⱼ − Σₚ lᵢₚ·lⱼₚ) / lⱼⱼ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FactorDiagonalBlock<T>(MatrixSpan<T> a, int offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Rows;
        for (int j = 0; j < n; j++)
        {
            var lj = a.Data.Slice(a.Offset + j * a.RowStride, j);
            T d = a[j, j] - Dense.Dot<T>(lj, lj);
            if (!(d > T.Zero)) throw new NotPositiveDefiniteException(offset + j, double.CreateChecked(d));
            T ljj = T.Sqrt(d);
            a[j, j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                var li = a.Data.Slice(a.Offset + i * a.RowStride, j);
                a[i, j] = (a[i, j] - Dense.Dot(li, lj)) / ljj;
            }
        }
    }

    internal static void ZeroUpper(DenseMatrix l)
    {
        for (int i = 0; i < l.Rows; i++) l.Row(i)[(i + 1)..].Clear();
    }

    /// <summary>Solves A·X = B: L·Y = B, then Lᵀ·X = Y. B (n×r) is not changed.</summary>
    /// <exception cref="MatrixShapeException">When B does not have n rows.</exception>
    public DenseMatrix Solve(DenseMatrix b)
    {
        MatrixShapeException.ThrowIfRowsDiffer(L, b, "Cholesky solve");
        var x = b.Clone();
        SolveInPlace(x.Span);
        return x;
    }

    /// <summary>Solves A·x = b for one right-hand side of length n.</summary>
    /// <exception cref="MatrixShapeException">When b does not have length n.</exception>
    public double[] Solve(ReadOnlySpan<double> b)
    {
        if (b.Length != Order)
            throw new MatrixShapeException($"Cholesky solve: the matrix has shape {L.ShapeText} but the right-hand side has length {b.Length}.");
        var x = b.ToArray();
        SolveInPlace(new MatrixSpan<double>(x, x.Length, 1));
        return x;
    }

    private void SolveInPlace(MatrixSpan<double> x)
    {
        TriangularSolve.Lower(L.ReadOnlySpan, x, false, _parallelism);
        TriangularSolve.Upper(L.ReadOnlySpan.Transposed(), x, false, _parallelism);
    }

    /// <summary>A⁻¹ = L⁻ᵀ·L⁻¹ (symmetric).</summary>
    public DenseMatrix Inverse()
    {
        var x = DenseMatrix.Identity(Order);
        SolveInPlace(x.Span);
        return x;
    }

    /// <summary>log det A = 2·Σ log lᵢᵢ (no overflow for large n).</summary>
    public double LogDeterminant()
    {
        double s = 0;
        for (int i = 0; i < Order; i++) s += Math.Log(L[i, i]);
        return 2 * s;
    }

    /// <summary>L·Lᵀ, which equals A up to rounding.</summary>
    public DenseMatrix Reconstruct() => DenseMatrix.Multiply(L, L, MatrixOp.None, MatrixOp.Transpose, _parallelism);
}
