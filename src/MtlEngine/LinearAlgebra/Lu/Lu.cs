using System.Numerics;
using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// LU with partial pivoting, P·A = L·U (L unit lower triangular, U upper triangular), with solve (many right-hand
/// sides), determinant and inverse. Right-looking in steps of 4·nb columns with a look-ahead of one step
/// (<see cref="FactorLookAhead{T}"/>: the next step's columns are factored while the trailing ones are updated), and
/// each step's columns by recursive halving (Toledo 1997), so the updates are large GEMMs:
/// <code>
/// LU(columns [c0, c1)):   if narrow: unblocked panel with row pivoting
///                         LU(left half)
///                         U₁₂ = L₁₁⁻¹ · A₁₂                 (TRSM, unit lower)
///                         A₂₂ −= L₂₁ · U₁₂                  (GEMM)
///                         LU(right half)
/// </code>
/// A zero pivot does not stop the factorization (the column is left as it is, like LAPACK); <see cref="IsSingular"/>
/// reports it, the determinant is then 0, and <see cref="Solve(DenseMatrix)"/> and <see cref="Inverse"/> throw
/// <see cref="SingularMatrixException"/>. The textbook twin is <see cref="LuTextbook"/>. This class is float64; the same
/// generic code computes in float32 through <see cref="Linalg.Solve{T}"/>.
/// </summary>
public sealed class Lu
{
    /// <summary>The default block width nb.</summary>
    public const int DefaultBlockSize = 32;

    private readonly Parallelism _parallelism;

    private Lu(DenseMatrix factors, int[] permutation, int swaps, int firstZeroPivot, Parallelism parallelism)
    {
        Factors = factors;
        Permutation = permutation;
        _swaps = swaps;
        FirstZeroPivot = firstZeroPivot;
        _parallelism = parallelism;
    }

    private readonly int _swaps;

    /// <summary>L (strictly below the diagonal, unit diagonal implied) and U (on and above it) in one n×n matrix.</summary>
    public DenseMatrix Factors { get; }

    /// <summary>Row i of P·A is row <c>Permutation[i]</c> of A.</summary>
    public int[] Permutation { get; }

    /// <summary>The index of the first exactly-zero pivot, or −1 when every pivot is non-zero.</summary>
    public int FirstZeroPivot { get; }

    /// <summary>True when a pivot is exactly zero (A is singular to working precision).</summary>
    public bool IsSingular => FirstZeroPivot >= 0;

    /// <summary>The order n.</summary>
    public int Order => Factors.Rows;

    /// <summary>Factors a square matrix (the input is not changed).</summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    public static Lu Factor(DenseMatrix a, Parallelism? parallelism = null) => Factor(a, parallelism ?? TensorParallelism.Current, DefaultBlockSize);

    /// <summary>Factors an n×n array.</summary>
    /// <inheritdoc cref="Factor(DenseMatrix, Parallelism?)"/>
    public static Lu Factor(double[,] a, Parallelism? parallelism = null) => Factor(DenseMatrix.FromArray(a), parallelism);

    /// <summary>
    /// Factors a square matrix into <paramref name="storage"/> (n×n, overwritten; it becomes the returned factorization's
    /// <see cref="Factors"/>), the input unchanged. The workspace form for loops: a fresh n×n result is fresh memory, whose
    /// first touch costs about 3 ms per MB on our machines (an 8 MB factor of n = 1024 paid more in page faults than in
    /// arithmetic); storage reused from call to call is already mapped. The previous factorization in the same storage is
    /// overwritten.
    /// </summary>
    /// <exception cref="MatrixShapeException">When A is not square or the storage is not n×n.</exception>
    public static Lu Factor(DenseMatrix a, DenseMatrix storage, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        MatrixShapeException.ThrowIfNotSquare(a, "LU");
        if (storage.Rows != a.Rows || storage.Columns != a.Columns)
            throw new MatrixShapeException($"LU storage must have A's shape {a.ShapeText}, but has shape {storage.ShapeText}; pass an n×n matrix.");
        return FactorOwned(a.Data, storage, parallelism ?? TensorParallelism.Current, DefaultBlockSize);
    }

    internal static Lu Factor(DenseMatrix a, Parallelism parallelism, int blockSize)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "LU");
        // Not zeroed by the runtime: the factorization copies A into every element (on the team's threads).
        return FactorOwned(a.Data, new DenseMatrix(a.Rows, a.Rows, GC.AllocateUninitializedArray<double>(a.Data.Length)), parallelism, blockSize);
    }

    /// <summary>Factors A (<paramref name="source"/>, rows contiguous) into <paramref name="f"/>, which the factorization owns.</summary>
    private static Lu FactorOwned(double[] source, DenseMatrix f, Parallelism parallelism, int blockSize)
    {
        int n = f.Rows;
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        int swaps = 0, zero = -1;
        FactorInPlace(f.Span, perm, blockSize, parallelism, ref swaps, ref zero, source);
        return new Lu(f, perm, swaps, zero, parallelism);
    }

    /// <summary>
    /// Overwrites the n×n view (rows contiguous) with L and U, applies the row exchanges to <paramref name="perm"/>
    /// (which starts as the identity), counts them in <paramref name="swaps"/> and records the first zero pivot in
    /// <paramref name="zero"/> (start it at −1). float32 or float64. With a <paramref name="source"/> (n×n, rows
    /// contiguous, as f), f's contents are ignored: A is copied from the source column block by column block, each just
    /// before its first update, on the thread that updates it (the copy of a fresh f is also its first touch).
    /// </summary>
    internal static unsafe void FactorInPlace<T>(MatrixSpan<T> f, int[] perm, int blockSize, Parallelism parallelism, ref int swaps, ref int zero, T[]? source = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = f.Rows, step = StepWidth(blockSize);
        if (source is not null && (source.Length != n * n || f.RowStride != n || f.ColumnStride != 1))
            throw new ArgumentException("LU: the source must be n×n with f's layout (rows contiguous).", nameof(source));
        var pivots = new PivotCount { Zero = zero };
        if (n <= step)
        {
            if (source is not null) CopyColumns(source, f, 0, n);
            FactorRecursive(f, perm, null, 0, n, blockSize, 0, n, pivots);
        }
        else
        {
            fixed (T* p = &System.Runtime.InteropServices.MemoryMarshal.GetReference(f.Data))
            {
                var pinned = new PinnedMatrix<T>(p, f);
                // The same steps and shares on any number of threads: only who runs a share changes with the team.
                if (parallelism.Degree == 1 || n < TeamOrder)
                    FactorLookAhead(pinned, source, perm, blockSize, step, null, pivots);
                else
                    WorkerTeam.Run(parallelism.Degree, team => FactorLookAhead(pinned, source, perm, blockSize, step, team, pivots));
            }
        }
        swaps += pivots.Swaps;
        zero = pivots.Zero;
    }

    /// <summary>The column width of one step of <see cref="FactorLookAhead{T}"/> for the leaf width <paramref name="blockSize"/>.</summary>
    internal static int StepWidth(int blockSize) => 4 * blockSize;

    /// <summary>From this order the steps' shares go to a team (<see cref="ParallelThresholds.LuTeamOrder"/>).</summary>
    internal const int TeamOrder = ParallelThresholds.LuTeamOrder;

    /// <summary>The row swaps made and the first zero pivot (−1 while none), carried through the recursion.</summary>
    private sealed class PivotCount
    {
        public int Swaps;
        public int Zero = -1;
    }

    /// <summary>
    /// Right-looking LU in steps of <paramref name="step"/> columns with a look-ahead of one step (LAPACK's blocked
    /// getrf, the pivot exchanges deferred as its laswp):
    /// <code>
    /// factor step 0's columns (recursive LU, exchanges inside those columns only)
    /// for each step k, one phase of shares:
    ///   share 0:      update step k+1's columns with step k (exchanges, U₁₂ = L₁₁⁻¹A₁₂, A₂₂ −= L₂₁U₁₂), factor them
    ///   share 1:      step k's exchanges in the columns left of it (the L of earlier steps)
    ///   share 2 + c:  update the c-th block of 2·step columns right of step k+1 with step k (the same three operations)
    /// </code>
    /// On two threads one factors the next panel while the other updates the trailing columns (then takes the rest of
    /// them), instead of the second thread idling through every panel. The trailing blocks are two steps wide: blocks
    /// of one step took 16 % more process CPU time than Toledo's recursion over all columns on one thread (n = 1024, AVX2
    /// path; our guess: each block's GEMM packs L₂₁ again). With a source, each share copies its columns of A the first time it
    /// meets them (phase 0), so the copy runs on the team too. Each share touches its own columns only (the
    /// shares read step k's L, which no share writes), and its columns and operations are fixed by n and the step width,
    /// not by the team: the factors are the same on any number of threads. Columns inside a step are factored by
    /// <see cref="FactorRecursive{T}"/>.
    /// </summary>
    private static void FactorLookAhead<T>(PinnedMatrix<T> pinned, T[]? source, int[] perm, int blockSize, int step, WorkerTeam? team, PivotCount pivots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var f0 = pinned.View;
        int n = f0.Rows, chunk = 2 * step;
        // pivotRow[j]: the row exchanged with row j when column j was factored (LAPACK's ipiv).
        var pivotRow = new int[n];
        if (source is not null) CopyColumns(source, f0, 0, step);
        FactorRecursive(f0, perm, pivotRow, 0, step, blockSize, 0, step, pivots);
        for (int k0 = 0; ; k0 += step)
        {
            int k1 = Math.Min(k0 + step, n);
            if (k1 == n)
            {
                ExchangeRows(f0, pivotRow, k0, k1, 0, k0);
                return;
            }
            int k2 = Math.Min(k1 + step, n), chunks = (n - k2 + chunk - 1) / chunk, from = k0;
            void Share(int s)
            {
                var f = pinned.View;
                if (s == 0)
                {
                    if (source is not null && from == 0) CopyColumns(source, f, k1, k2);
                    UpdateColumns(f, pivotRow, from, k1, k1, k2);
                    FactorRecursive(f, perm, pivotRow, k1, k2, blockSize, k1, k2, pivots);
                }
                else if (s == 1)
                    ExchangeRows(f, pivotRow, from, k1, 0, from);
                else
                {
                    int c0 = k2 + (s - 2) * chunk, c1 = Math.Min(c0 + chunk, n);
                    if (source is not null && from == 0) CopyColumns(source, f, c0, c1);
                    UpdateColumns(f, pivotRow, from, k1, c0, c1);
                }
            }
            if (team is null)
                for (int s = 0; s < 2 + chunks; s++) Share(s);
            else
                team.ForEachShare(2 + chunks, Share);
        }
    }

    /// <summary>
    /// Columns [c0, c1) receive step [k0, k1)'s factorization: its row exchanges, U₁₂ = L₁₁⁻¹·A₁₂ (rows k0..k1) and
    /// A₂₂ −= L₂₁·U₁₂ (rows k1..), on the calling thread.
    /// </summary>
    private static void UpdateColumns<T>(MatrixSpan<T> f, int[] pivotRow, int k0, int k1, int c0, int c1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = f.Rows, k = k1 - k0;
        ExchangeRows(f, pivotRow, k0, k1, c0, c1);
        var u12 = Dense.Sub(f, k0, c0, k, c1 - c0);
        SolveUnitLower(Dense.Sub(f, k0, k0, k, k), u12);
        if (k1 < n)
            Gemm.Multiply(-T.One, Dense.Sub(f, k1, k0, n - k1, k), u12, T.One, Dense.Sub(f, k1, c0, n - k1, c1 - c0), Parallelism.Sequential);
    }

    /// <summary>Columns [c0, c1) of every row of the n×n <paramref name="source"/> (rows contiguous) into f.</summary>
    private static void CopyColumns<T>(T[] source, MatrixSpan<T> f, int c0, int c1)
    {
        int n = f.Rows;
        for (int i = 0; i < n; i++) source.AsSpan(i * n + c0, c1 - c0).CopyTo(f.Data.Slice(f.Offset + i * f.RowStride + c0, c1 - c0));
    }

    /// <summary>Rows j and <c>pivotRow[j]</c> exchanged for j = k0..k1−1 in that order, in columns [c0, c1) only.</summary>
    private static void ExchangeRows<T>(MatrixSpan<T> f, int[] pivotRow, int k0, int k1, int c0, int c1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c1 <= c0) return;
        for (int j = k0; j < k1; j++)
        {
            int p = pivotRow[j];
            if (p != j) Dense.SwapVectorized(RowOf(f, j)[c0..c1], RowOf(f, p)[c0..c1]);
        }
    }

    /// <summary>
    /// Columns [c0, c1) of the rows c0.. (Toledo's recursive LU): factor the left half, U₁₂ = L₁₁⁻¹·A₁₂ (TRSM),
    /// A₂₂ −= L₂₁·U₁₂ (GEMM), factor the right half, on the calling thread. Row exchanges reach the columns
    /// [<paramref name="s0"/>, <paramref name="s1"/>) (which contain [c0, c1)) at once, and are recorded in
    /// <paramref name="pivotRow"/> when it is not null.
    /// </summary>
    private static void FactorRecursive<T>(MatrixSpan<T> f, int[] perm, int[]? pivotRow, int c0, int c1, int blockSize, int s0, int s1, PivotCount pivots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = f.Rows, width = c1 - c0;
        if (width <= blockSize)
        {
            FactorPanel(f, perm, pivotRow, c0, c1, s0, s1, ref pivots.Swaps, ref pivots.Zero);
            return;
        }
        int mid = c0 + width / 2;
        FactorRecursive(f, perm, pivotRow, c0, mid, blockSize, s0, s1, pivots);
        var u12 = Dense.Sub(f, c0, mid, mid - c0, c1 - mid);
        SolveUnitLower(Dense.Sub(f, c0, c0, mid - c0, mid - c0), u12);
        Gemm.Multiply(-T.One, Dense.Sub(f, mid, c0, n - mid, mid - c0), u12, T.One, Dense.Sub(f, mid, mid, n - mid, c1 - mid), Parallelism.Sequential);
        FactorRecursive(f, perm, pivotRow, mid, c1, blockSize, s0, s1, pivots);
    }

    /// <summary>
    /// U₁₂ = L₁₁⁻¹·U₁₂ in place for the unit lower L₁₁, on the calling thread, by recursive halving (split at a multiple
    /// of 8): X₁ = L₁₁⁻¹·B₁, B₂ −= L₂₁·X₁ (one GEMM with k = half the order), X₂ = L₂₂⁻¹·B₂; from
    /// <see cref="TrsmBaseOrder"/> down the register-accumulating substitution of <see cref="TriangularSolve"/>. Against
    /// TriangularSolve.Lower's 64-row blocks (substitution inside each, rank-64 GEMM updates below), the substitution's
    /// share of the flops (half-speed row accumulations) shrinks fourfold and the GEMMs get deeper: the TRSMs carry a
    /// quarter of the recursive LU's multiply-adds. Measured at n = 1024, 16 right-hand sides, one thread, LU + solve,
    /// both forms alternating call by call in one process (thread CPU time, median of paired ratios), load 8–15:
    /// 0.93× on the AVX2 path, 0.87× with AVX-512.
    /// </summary>
    internal static void SolveUnitLower<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = l.Rows;
        if (n <= TrsmBaseOrder)
        {
            TriangularSolve.Lower(l, b, unitDiagonal: true, Parallelism.Sequential, TrsmBaseOrder);
            return;
        }
        int h = n / 2 / 8 * 8;
        var b1 = Dense.Sub(b, 0, 0, h, b.Columns);
        SolveUnitLower(Dense.Sub(l, 0, 0, h, h), b1);
        Gemm.Multiply(-T.One, Dense.Sub(l, h, 0, n - h, h), b1, T.One, Dense.Sub(b, h, 0, n - h, b.Columns), Parallelism.Sequential);
        SolveUnitLower(Dense.Sub(l, h, h, n - h, n - h), Dense.Sub(b, h, 0, n - h, b.Columns));
    }

    /// <summary>The order from which <see cref="SolveUnitLower{T}"/> substitutes instead of halving (16 for the powers of two).</summary>
    internal const int TrsmBaseOrder = 24;

    /// <summary>
    /// Unblocked LU of the panel rows k0.., columns [k0, k1), left-looking (Crout order): for each column j, first the
    /// updates of all earlier columns reach it at once (<see cref="ApplyEarlierColumns{T}"/>), then pivot, swap, scale.
    /// The panel is factored in a column-major copy (pooled), so that the pivot search, the scaling and the updates run
    /// down whole columns (long vectors) instead of one short row segment per row; swaps exchange the rest of the two
    /// rows of f at once, and the factored panel is copied back at the end. Each element is updated by the same
    /// products in the same order as in the right-looking form (rank-1 update after every column; all of them fused
    /// multiply-adds here), but column j is read and written once instead of once per earlier column: the right-looking
    /// panel's axpys (two loads and a store per multiply-add) were 16 % of the float32 solve's samples at n = 1024.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FactorPanel<T>(MatrixSpan<T> f, int[] perm, int[]? pivotRow, int k0, int k1, int s0, int s1, ref int swaps, ref int zero)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = f.Rows, m = n - k0, w = k1 - k0;
        if (m <= 0 || w <= 0) return;
        // The column-major panel, then (after it) the negated multipliers −u_tj of the current column.
        var buffer = System.Buffers.ArrayPool<T>.Shared.Rent(w * m + w);
        var active = w <= 256 ? stackalloc int[w] : new int[w];
        try
        {
            // P[c·m + i] = f[k0 + i, k0 + c].
            var panel = buffer.AsSpan(0, w * m);
            CopyPanel(f, k0, m, w, panel, toPanel: true);
            // The earlier columns whose pivot was not zero (a zero pivot's column updates nothing, as in LAPACK).
            int activeCount = 0;
            fixed (T* p0 = buffer)
            {
                for (int j = 0; j < w; j++)
                {
                    ApplyEarlierColumns(p0, m, j, active[..activeCount], p0 + w * m);
                    var column = panel.Slice(j * m, m);
                    int p = j + PivotIndex(column[j..]);
                    if (pivotRow is not null) pivotRow[k0 + j] = k0 + p;
                    if (p != j)
                    {
                        for (int c = 0; c < w; c++) (panel[c * m + j], panel[c * m + p]) = (panel[c * m + p], panel[c * m + j]);
                        // The two rows of f in the columns [s0, s1) outside the panel's (those live in P until the end).
                        var rowJ = RowOf(f, k0 + j);
                        var rowP = RowOf(f, k0 + p);
                        Dense.SwapVectorized(rowJ[s0..k0], rowP[s0..k0]);
                        Dense.SwapVectorized(rowJ[k1..s1], rowP[k1..s1]);
                        (perm[k0 + j], perm[k0 + p]) = (perm[k0 + p], perm[k0 + j]);
                        swaps++;
                    }
                    T pivot = column[j];
                    if (T.IsZero(pivot))
                    {
                        if (zero < 0) zero = k0 + j;
                        continue;
                    }
                    // l = column below the pivot / pivot.
                    Dense.Scale(T.One / pivot, column[(j + 1)..]);
                    active[activeCount++] = j;
                }
            }
            CopyPanel(f, k0, m, w, panel, toPanel: false);
        }
        finally
        {
            System.Buffers.ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Copies rows k0.., columns [k0, k0 + w) of f into the column-major panel (P[c·m + i] = f[k0 + i, k0 + c]) or back:
    /// 8×8 blocks transposed in registers where the machine has them (the element-by-element copies, in and out, were
    /// most of the panel's own samples), the rest one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyPanel<T>(MatrixSpan<T> f, int k0, int m, int w, Span<T> panel, bool toPanel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int stride = f.RowStride;
        ref T corner = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(f.Data.Slice(f.Offset + k0 * stride + k0));
        ref T p0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(panel);
        // The bounds of what the blocks may touch, checked once.
        _ = f.Data.Slice(f.Offset + k0 * stride + k0, (m - 1) * stride + w);
        _ = panel[..(m * w)];
        int rows8 = 0, columns8 = 0;
        if (TriangularSolve.CanTransposeInRegisters<T>())
        {
            rows8 = m / 8 * 8;
            columns8 = w / 8 * 8;
            for (int c = 0; c < columns8; c += 8)
                for (int i = 0; i < rows8; i += 8)
                {
                    ref T matrix = ref Unsafe.Add(ref corner, i * stride + c);
                    ref T column = ref Unsafe.Add(ref p0, c * m + i);
                    if (toPanel) TriangularSolve.Transpose8x8(ref matrix, stride, ref column, m);
                    else TriangularSolve.Transpose8x8(ref column, m, ref matrix, stride);
                }
        }
        for (int i = 0; i < m; i++)
            for (int c = i < rows8 ? columns8 : 0; c < w; c++)
            {
                ref T matrix = ref Unsafe.Add(ref corner, i * stride + c);
                ref T column = ref Unsafe.Add(ref p0, c * m + i);
                if (toPanel) column = matrix;
                else matrix = column;
            }
    }

    /// <summary>
    /// Column j of the column-major panel (m rows) receives the rank-1 updates of the earlier columns t in
    /// <paramref name="active"/> (ascending), as the right-looking panel would have applied them one after another:
    /// first rows t+1..j−1 (the U part, a small forward substitution that gives u_tj), then rows j.. all at once,
    /// each element's multiply-adds in ascending t in a register (one load and store of the column, one load of each
    /// l column). <paramref name="negated"/> (at least j values) receives −u_tj.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ApplyEarlierColumns<T>(T* panel, int m, int j, ReadOnlySpan<int> active, T* negated) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (active.IsEmpty) return;
        T* column = panel + (nint)j * m;
        foreach (int t in active)
        {
            T* l = panel + (nint)t * m;
            T u = -column[t];
            negated[t] = u;
            for (int i = t + 1; i < j; i++) column[i] = T.FusedMultiplyAdd(l[i], u, column[i]);
        }
        int r = j;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<T>.Count;
            for (; r + 4 * width <= m; r += 4 * width)
            {
                T* y = column + r;
                var a0 = Vector.Load(y);
                var a1 = Vector.Load(y + width);
                var a2 = Vector.Load(y + 2 * width);
                var a3 = Vector.Load(y + 3 * width);
                foreach (int t in active)
                {
                    T* l = panel + (nint)t * m + r;
                    var u = new Vector<T>(negated[t]);
                    a0 = Dense.FusedMultiplyAdd(Vector.Load(l), u, a0);
                    a1 = Dense.FusedMultiplyAdd(Vector.Load(l + width), u, a1);
                    a2 = Dense.FusedMultiplyAdd(Vector.Load(l + 2 * width), u, a2);
                    a3 = Dense.FusedMultiplyAdd(Vector.Load(l + 3 * width), u, a3);
                }
                a0.Store(y);
                a1.Store(y + width);
                a2.Store(y + 2 * width);
                a3.Store(y + 3 * width);
            }
            for (; r + width <= m; r += width)
            {
                var a = Vector.Load(column + r);
                foreach (int t in active) a = Dense.FusedMultiplyAdd(Vector.Load(panel + (nint)t * m + r), new Vector<T>(negated[t]), a);
                a.Store(column + r);
            }
        }
        for (; r < m; r++)
        {
            T a = column[r];
            foreach (int t in active) a = T.FusedMultiplyAdd(panel[(nint)t * m + r], negated[t], a);
            column[r] = a;
        }
    }

    /// <summary>
    /// The index of the first entry of largest magnitude (LAPACK's i_amax); NaN never wins, 0 when all are NaN or zero
    /// (or when the first is NaN, as in the scalar scan). In vectors: the largest magnitude first (a NaN never compares
    /// greater), then the first entry that reaches it — the same index as the one-by-one scan, which the scalar search at
    /// 3 % of the float32 solve's samples was.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int PivotIndex<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T first = T.Abs(x[0]);
        if (!Vector.IsHardwareAccelerated || x.Length < 2 * Vector<T>.Count || T.IsNaN(first)) return PivotIndexScalar(x);
        var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(x);
        var best = new Vector<T>(first);
        foreach (var v in vectors)
        {
            var magnitude = Vector.Abs(v);
            best = Vector.ConditionalSelect(Vector.GreaterThan(magnitude, best), magnitude, best);
        }
        T max = first;
        for (int k = 0; k < Vector<T>.Count; k++) if (best[k] > max) max = best[k];
        for (int i = vectors.Length * Vector<T>.Count; i < x.Length; i++) if (T.Abs(x[i]) > max) max = T.Abs(x[i]);
        var target = new Vector<T>(max);
        for (int k = 0; k < vectors.Length; k++)
        {
            if (!Vector.EqualsAny(Vector.Abs(vectors[k]), target)) continue;
            for (int i = k * Vector<T>.Count; ; i++) if (T.Abs(x[i]) == max) return i;
        }
        for (int i = vectors.Length * Vector<T>.Count; ; i++) if (T.Abs(x[i]) == max) return i;
    }

    /// <summary>The one-by-one scan of <see cref="PivotIndex{T}"/> (short columns, no vectors).</summary>
    internal static int PivotIndexScalar<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T best = T.Abs(x[0]);
        int p = 0;
        for (int i = 1; i < x.Length; i++)
        {
            T v = T.Abs(x[i]);
            if (v > best) { best = v; p = i; }
        }
        return p;
    }

    private static Span<T> RowOf<T>(MatrixSpan<T> f, int i) => f.Data.Slice(f.Offset + i * f.RowStride, f.Columns);

    /// <summary>The unit lower-triangular factor L, copied.</summary>
    public DenseMatrix L
    {
        get
        {
            var l = Factors.Clone();
            for (int i = 0; i < Order; i++) { l.Row(i)[i..].Clear(); l[i, i] = 1; }
            return l;
        }
    }

    /// <summary>The upper-triangular factor U, copied.</summary>
    public DenseMatrix U
    {
        get
        {
            var u = Factors.Clone();
            for (int i = 0; i < Order; i++) u.Row(i)[..i].Clear();
            return u;
        }
    }

    /// <summary>Solves A·X = B for B of shape (n, r): X = U⁻¹·L⁻¹·P·B. B is not changed.</summary>
    /// <exception cref="MatrixShapeException">When B does not have n rows.</exception>
    /// <exception cref="SingularMatrixException">When A is singular.</exception>
    public DenseMatrix Solve(DenseMatrix b)
    {
        MatrixShapeException.ThrowIfRowsDiffer(Factors, b, "LU solve");
        ThrowIfSingular();
        var x = new DenseMatrix(b.Rows, b.Columns);
        for (int i = 0; i < Order; i++) b.Row(Permutation[i]).CopyTo(x.Row(i));
        TriangularSolve.Lower(Factors.ReadOnlySpan, x.Span, unitDiagonal: true, _parallelism);
        TriangularSolve.Upper(Factors.ReadOnlySpan, x.Span, unitDiagonal: false, _parallelism);
        return x;
    }

    /// <summary>Solves A·x = b for one right-hand side of length n.</summary>
    /// <exception cref="MatrixShapeException">When b does not have length n.</exception>
    /// <exception cref="SingularMatrixException">When A is singular.</exception>
    public double[] Solve(ReadOnlySpan<double> b)
    {
        if (b.Length != Order)
            throw new MatrixShapeException($"LU solve: the matrix has shape {Factors.ShapeText} but the right-hand side has length {b.Length}.");
        return Solve(DenseMatrix.Column(b)).Data;
    }

    /// <summary>Solves Aᵀ·x = b: Uᵀ·y = b, Lᵀ·z = y, x = Pᵀ·z.</summary>
    /// <exception cref="MatrixShapeException">When b does not have length n.</exception>
    /// <exception cref="SingularMatrixException">When A is singular.</exception>
    public double[] SolveTransposed(ReadOnlySpan<double> b)
    {
        if (b.Length != Order)
            throw new MatrixShapeException($"LU solve: the matrix has shape {Factors.ShapeText} but the right-hand side has length {b.Length}.");
        ThrowIfSingular();
        var z = b.ToArray();
        var view = new MatrixSpan<double>(z, z.Length, 1);
        TriangularSolve.Lower(Factors.ReadOnlySpan.Transposed(), view, unitDiagonal: false, _parallelism);
        TriangularSolve.Upper(Factors.ReadOnlySpan.Transposed(), view, unitDiagonal: true, _parallelism);
        var x = new double[Order];
        for (int i = 0; i < Order; i++) x[Permutation[i]] = z[i];
        return x;
    }

    /// <summary>A⁻¹, by solving A·X = I.</summary>
    /// <exception cref="SingularMatrixException">When A is singular.</exception>
    public DenseMatrix Inverse() => Solve(DenseMatrix.Identity(Order));

    /// <summary>det A = (−1)^swaps · Π uᵢᵢ (may overflow for large n: prefer <see cref="LogAbsDeterminant"/>).</summary>
    public double Determinant()
    {
        double d = _swaps % 2 == 0 ? 1 : -1;
        for (int i = 0; i < Order; i++) d *= Factors[i, i];
        return d;
    }

    /// <summary>log |det A| = Σ log |uᵢᵢ| (−∞ when singular).</summary>
    public double LogAbsDeterminant()
    {
        double s = 0;
        for (int i = 0; i < Order; i++) s += Math.Log(Math.Abs(Factors[i, i]));
        return s;
    }

    /// <summary>The sign of det A: −1, 0 or 1.</summary>
    public int DeterminantSign()
    {
        if (IsSingular) return 0;
        int s = _swaps % 2 == 0 ? 1 : -1;
        for (int i = 0; i < Order; i++) if (Factors[i, i] < 0) s = -s;
        return s;
    }

    /// <summary>Pᵀ·L·U, which equals A up to rounding.</summary>
    public DenseMatrix Reconstruct()
    {
        var lu = DenseMatrix.Multiply(L, U, MatrixOp.None, MatrixOp.None, _parallelism);
        var a = new DenseMatrix(Order, Order);
        for (int i = 0; i < Order; i++) lu.Row(i).CopyTo(a.Row(Permutation[i]));
        return a;
    }

    private void ThrowIfSingular()
    {
        if (IsSingular) throw new SingularMatrixException(FirstZeroPivot, "LU");
    }
}

/// <summary>
/// The textbook LU with partial pivoting (Doolittle, right-looking, one column at a time with scalar loops):
/// for each column j, pick the row with the largest |aᵢⱼ|, swap, lᵢⱼ = aᵢⱼ / aⱼⱼ, aᵢₖ −= lᵢⱼ·aⱼₖ. The twin of <see cref="Lu"/>.
/// </summary>
public static class LuTextbook
{
    /// <summary>Returns the combined factors (L strictly below, U on and above the diagonal) and the row permutation.</summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    public static (DenseMatrix Factors, int[] Permutation) Factor(DenseMatrix a)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "LU");
        var f = a.Clone();
        var perm = new int[a.Rows];
        FactorInPlace(f.Span, perm);
        return (f, perm);
    }

    /// <summary>
    /// Overwrites the n×n view with the combined factors and fills <paramref name="permutation"/> (length n) with the
    /// row permutation, in float32 or float64.
    /// </summary>
    /// <exception cref="MatrixShapeException">When the view is not square or the permutation has another length.</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static void FactorInPlace<T>(MatrixSpan<T> f, int[] permutation) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(permutation);
        int n = f.Rows;
        if (f.Columns != n || permutation.Length != n)
            throw new MatrixShapeException($"LU needs a square matrix and a permutation of its order, but got shape ({f.Rows}, {f.Columns}) and length {permutation.Length}.");
        var perm = permutation;
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int j = 0; j < n; j++)
        {
            int p = j;
            for (int i = j + 1; i < n; i++) if (T.Abs(f[i, j]) > T.Abs(f[p, j])) p = i;
            if (p != j)
            {
                for (int k = 0; k < n; k++) (f[j, k], f[p, k]) = (f[p, k], f[j, k]);
                (perm[j], perm[p]) = (perm[p], perm[j]);
            }
            if (T.IsZero(f[j, j])) continue;
            for (int i = j + 1; i < n; i++)
            {
                f[i, j] /= f[j, j];
                for (int k = j + 1; k < n; k++) f[i, k] -= f[i, j] * f[j, k];
            }
        }
    }
}
