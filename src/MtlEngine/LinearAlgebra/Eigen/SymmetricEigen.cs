using System.Buffers;
using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The symmetric eigendecomposition A = V·Λ·Vᵀ (only A's lower triangle is read): eigenvalues in ascending order,
/// orthonormal eigenvectors in the columns of V, signs fixed by <see cref="SignConvention"/>.
/// <para>Three stages, as LAPACK's dsyevd:</para>
/// <list type="number">
/// <item>Blocked Householder tridiagonalization Qᵀ·A·Q = T (dsytrd/dlatrd, see <see cref="Tridiagonalization"/>):
/// panels of 24 columns build V and W with one symmetric matrix-vector product per column (the stored triangle read
/// once), and the trailing block takes each panel as a rank-48 update A₂₂ −= V·Wᵀ + W·Vᵀ in GEMMs.</item>
/// <item>The tridiagonal eigenproblem. With vectors: Cuppen's divide and conquer (<see cref="TridiagonalDivideAndConquer"/>:
/// deflation, the secular equation solved relative to the nearer pole as in dlaed4, Gu–Eisenstat's recomputed z for
/// orthogonal vectors, merged vectors by GEMM), with implicit QL (EISPACK tql2) on blocks of at most 32. Chosen over
/// QL for the vectors because QL's vector work is ~6n³ flops of plane rotations (memory-bound), while divide and conquer
/// puts ~(4/3)n³ flops, fewer with deflation, into GEMM; chosen over MRRR because it is simpler to make robust and its
/// accuracy (orthogonality ~nε) does not depend on relative gaps. Values only: implicit QL without vectors, O(n²).
/// A few extreme eigenpairs (<see cref="Largest"/>, <see cref="Smallest"/>): the k wanted values by bisection on Sturm
/// counts (<see cref="TridiagonalBisection"/>), then inverse iteration on T for their vectors only
/// (<see cref="TridiagonalInverseIteration"/>), O(n·k) instead of O(n²) values and O(n³) vectors.</item>
/// <item>Back-transformation V = Q·Z with the reflectors in compact WY blocks (three GEMMs per block).</item>
/// </list>
/// Every stage splits work by a fixed partition (GEMM's, fixed row chunks, independent roots), so the result is bitwise
/// the same for any thread count. The temporaries (the n×n reduced matrix, the panel buffers, the merge buffers) are
/// rented from <see cref="ArrayPool{T}.Shared"/> unless a <see cref="SymmetricEigenWorkspace"/> is passed, so repeated
/// calls reuse memory that is already mapped; only the results (values, vectors) are new arrays. The textbook twin is
/// <see cref="JacobiEigenTextbook"/> (cyclic Jacobi); the tests also hold divide and conquer against QL, bisection against
/// QL, and the blocked tridiagonalization against the unblocked one.
/// </summary>
public sealed class SymmetricEigen
{
    private SymmetricEigen(double[] values, DenseMatrix? vectors)
    {
        Values = values;
        Vectors = vectors;
    }

    /// <summary>The eigenvalues in ascending order.</summary>
    public double[] Values { get; }

    /// <summary>The eigenvectors as the columns of an n×k matrix (column j belongs to <c>Values[j]</c>), or null when only values were asked for.</summary>
    public DenseMatrix? Vectors { get; }

    /// <summary>Which tridiagonal eigensolver computes the vectors (tests compare them).</summary>
    internal enum TridiagonalSolver
    {
        DivideAndConquer,
        Ql,
    }

    /// <summary>All eigenvalues and (unless <paramref name="computeVectors"/> is false) eigenvectors of a symmetric matrix.</summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NoConvergenceException">When the QL iteration does not converge (not seen for finite input).</exception>
    public static SymmetricEigen Compute(DenseMatrix a, bool computeVectors = true, Parallelism? parallelism = null) =>
        Compute(a, computeVectors, parallelism ?? TensorParallelism.Current, TridiagonalSolver.DivideAndConquer);

    internal static SymmetricEigen Compute(DenseMatrix a, bool computeVectors, Parallelism parallelism, TridiagonalSolver solver,
        SymmetricEigenWorkspace? workspace = null, DenseMatrix? vectorStorage = null) =>
        Compute<NativeVectors>(a, computeVectors, parallelism, solver, workspace, vectorStorage);

    /// <summary>
    /// The decomposition with the vector width of <typeparamref name="TPath"/> in the tridiagonalization's panel kernels and
    /// the secular solver (the tests force <see cref="Avx2Vectors"/> on AVX-512 machines; GEMM chooses its own).
    /// </summary>
    internal static SymmetricEigen Compute<TPath>(DenseMatrix a, bool computeVectors, Parallelism parallelism, TridiagonalSolver solver,
        SymmetricEigenWorkspace? workspace = null, DenseMatrix? vectorStorage = null)
        where TPath : struct, IVectorPath
    {
        MatrixShapeException.ThrowIfNotSquare(a, "The symmetric eigendecomposition");
        var ws = workspace ?? SymmetricEigenWorkspace.Rented();
        try
        {
            return Decompose<TPath>(a, computeVectors, parallelism, solver, ws, vectorStorage);
        }
        finally
        {
            if (workspace is null) ws.ReturnRented();
        }
    }

    private static SymmetricEigen Decompose<TPath>(DenseMatrix a, bool computeVectors, Parallelism parallelism, TridiagonalSolver solver, SymmetricEigenWorkspace ws,
        DenseMatrix? vectorStorage)
        where TPath : struct, IVectorPath
    {
        int n = a.Rows;
        var reduction = PanelParallelism(a.Rows, parallelism);
        // The tridiagonal's eigenvectors go straight into the result, which the back-transformation then turns into A's.
        // Divide and conquer fills block-diagonal parts and relies on the zeros elsewhere, so the storage is cleared first.
        // When the reduction runs on one thread and the caller has more, a second thread clears it meanwhile: that is the
        // first touch of a fresh result (its page faults, ~3 ms per MB) or the memset of reused storage, off the critical path.
        DenseMatrix? z = null;
        Task? clearing = null;
        if (computeVectors && solver == TridiagonalSolver.DivideAndConquer)
        {
            z = vectorStorage ?? new DenseMatrix(n, n);
            if (reduction.Degree == 1 && parallelism.Degree > 1) clearing = FirstTouch.ClearInBackground(z.Data, parallelism);
            else if (vectorStorage is not null) z.Data.AsSpan().Clear();
        }
        double[] work, d, e, tau;
        try
        {
            (work, d, e, tau) = Reduce<TPath>(a, reduction, ws);
        }
        finally
        {
            clearing?.Wait();
        }
        if (!computeVectors)
        {
            TridiagonalQl(d, e, null, parallelism);
            Array.Sort(d);
            return new SymmetricEigen(d, null);
        }
        if (z is not null) TridiagonalDivideAndConquer.Solve<TPath>(d, e, z.Data, ws.MergeScratch(n), parallelism);
        else
        {
            var zt = DenseMatrix.Identity(n);
            TridiagonalQl(d, e, zt, parallelism);
            var order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Array.Sort((double[])d.Clone(), order);
            z = new DenseMatrix(n, n);
            var sorted = new double[n];
            for (int j = 0; j < n; j++)
            {
                sorted[j] = d[order[j]];
                var src = zt.Row(order[j]);
                for (int i = 0; i < n; i++) z[i, j] = src[i];
            }
            d = sorted;
        }
        BackTransform(work, tau, z.Span, PanelParallelism(n, parallelism));
        ApplySignConvention(z);
        return new SymmetricEigen(d, z);
    }

    /// <summary>
    /// As <see cref="Compute(DenseMatrix, bool, Parallelism?)"/>, taking the n×n reduced matrix and the panel buffers from
    /// <paramref name="workspace"/> (grown on first use, reused afterwards), so that repeated decompositions of one size
    /// allocate little more than their results. A workspace serves one call at a time.
    /// </summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NoConvergenceException">When the QL iteration does not converge (not seen for finite input).</exception>
    public static SymmetricEigen Compute(DenseMatrix a, SymmetricEigenWorkspace workspace, bool computeVectors = true, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return Compute(a, computeVectors, parallelism ?? TensorParallelism.Current, TridiagonalSolver.DivideAndConquer, workspace);
    }

    /// <summary>
    /// As <see cref="Compute(DenseMatrix, SymmetricEigenWorkspace, bool, Parallelism?)"/> with the eigenvectors written into
    /// <paramref name="vectors"/> (n×n, overwritten; it becomes the result's <see cref="Vectors"/>): the workspace form for
    /// loops. A fresh n×n result is fresh memory, whose first touch costs about 3 ms per MB on our machines (for n = 512 a
    /// fifth of the whole decomposition); storage and workspace reused from call to call are already mapped. The previous
    /// result in the same storage is overwritten.
    /// </summary>
    /// <exception cref="MatrixShapeException">When A is not square or <paramref name="vectors"/> is not n×n.</exception>
    public static SymmetricEigen Compute(DenseMatrix a, SymmetricEigenWorkspace workspace, DenseMatrix vectors, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(vectors);
        MatrixShapeException.ThrowIfNotSquare(a, "The symmetric eigendecomposition");
        if (vectors.Rows != a.Rows || vectors.Columns != a.Columns)
            throw new MatrixShapeException($"The eigenvector storage must have A's shape {a.ShapeText}, but has shape {vectors.ShapeText}; pass an n×n matrix.");
        return Compute(a, true, parallelism ?? TensorParallelism.Current, TridiagonalSolver.DivideAndConquer, workspace, vectors);
    }

    /// <summary>
    /// The <paramref name="k"/> largest eigenpairs, in ascending order (the last is the largest). For k up to n/4 only
    /// those k eigenpairs are computed (bisection and inverse iteration on the tridiagonal, then k back-transformed columns);
    /// otherwise divide and conquer solves the whole tridiagonal and only the k wanted columns are back-transformed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When k is not in [0, n].</exception>
    public static SymmetricEigen Largest(DenseMatrix a, int k, Parallelism? parallelism = null) => Extreme(a, k, largest: true, parallelism ?? TensorParallelism.Current);

    /// <summary>The <paramref name="k"/> smallest eigenpairs, in ascending order (the first is the smallest); see <see cref="Largest"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When k is not in [0, n].</exception>
    public static SymmetricEigen Smallest(DenseMatrix a, int k, Parallelism? parallelism = null) => Extreme(a, k, largest: false, parallelism ?? TensorParallelism.Current);

    private static SymmetricEigen Extreme(DenseMatrix a, int k, bool largest, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(a);
        MatrixShapeException.ThrowIfNotSquare(a, "The symmetric eigendecomposition");
        if (k < 0 || k > a.Rows)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 0 and n = {a.Rows} for a matrix of shape {a.ShapeText}.");
        var ws = SymmetricEigenWorkspace.Rented();
        try
        {
            return Extreme(a, k, largest, parallelism, ws);
        }
        finally
        {
            ws.ReturnRented();
        }
    }

    private static SymmetricEigen Extreme(DenseMatrix a, int k, bool largest, Parallelism parallelism, SymmetricEigenWorkspace ws)
    {
        int n = a.Rows;
        int first = largest ? n - k : 0;
        var (work, d, e, tau) = Reduce<NativeVectors>(a, PanelParallelism(a.Rows, parallelism), ws);
        if (4 * k <= n)
        {
            var values = TridiagonalBisection.Values(d, e, first, k);
            var z = TridiagonalInverseIteration.Vectors(d, e, values);
            if (z is not null)
            {
                BackTransform(work, tau, z.Span, PanelParallelism(n, parallelism));
                ApplySignConvention(z);
                return new SymmetricEigen(values, z);
            }
        }
        // All eigenpairs of T by divide and conquer (in scratch), then only the k wanted columns back-transformed:
        // each column of V = Q·Z depends on its own column of Z only, and the sign convention is per column too.
        using var zAll = new PooledMatrix(n, n);
        TridiagonalDivideAndConquer.Solve(d, e, zAll.Data, ws.MergeScratch(n), parallelism);
        var vectors = new DenseMatrix(n, k);
        for (int i = 0; i < n; i++) zAll.Elements.Slice(i * n + first, k).CopyTo(vectors.Data.AsSpan(i * k, k));
        BackTransform(work, tau, vectors.Span, PanelParallelism(n, parallelism));
        ApplySignConvention(vectors);
        return new SymmetricEigen(d[first..(first + k)], vectors);
    }

    /// <summary>V·Λ·Vᵀ, which equals A up to rounding (needs the vectors of a full decomposition).</summary>
    /// <exception cref="InvalidOperationException">When the vectors were not computed.</exception>
    public DenseMatrix Reconstruct(Parallelism? parallelism = null)
    {
        var v = Vectors ?? throw new InvalidOperationException("Reconstruct needs the eigenvectors; compute with computeVectors: true.");
        var vl = v.Clone();
        for (int i = 0; i < vl.Rows; i++)
            for (int j = 0; j < vl.Columns; j++) vl[i, j] *= Values[j];
        return DenseMatrix.Multiply(vl, v, MatrixOp.None, MatrixOp.Transpose, parallelism);
    }

    /// <summary>
    /// Below order 1024 the tridiagonalization and the back-transformation run on one thread whatever the caller's
    /// parallelism: each panel step reads what the previous one wrote, so on our 2-core machines a second thread mostly
    /// moves cache lines between cores (see <see cref="Svd.ThreadedPanelOrder"/> for the same effect in the SVD).
    /// </summary>
    private static Parallelism PanelParallelism(int n, Parallelism parallelism) =>
        n < Svd.ThreadedPanelOrder ? Parallelism.Sequential : parallelism;

    /// <summary>
    /// Qᵀ·A·Q = T: the upper triangle of the returned n×n work matrix (A's lower triangle transposed; it lives in
    /// <paramref name="workspace"/>) holds the reflectors.
    /// </summary>
    private static (double[] Work, double[] D, double[] E, double[] Tau) Reduce<TPath>(DenseMatrix a, Parallelism parallelism, SymmetricEigenWorkspace workspace)
        where TPath : struct, IVectorPath
    {
        int n = a.Rows;
        // Only the upper triangle is read from here on (the lower one is scratch), so the buffer need not be cleared.
        var work = workspace.Buffer(ref workspace.ReducedBuffer, n * n);
        // The upper triangle of work is A's lower triangle transposed, copied in tiles so that both sides stay in cache.
        const int tile = 32;
        for (int i0 = 0; i0 < n; i0 += tile)
            for (int j0 = i0; j0 < n; j0 += tile)
            {
                int i1 = Math.Min(n, i0 + tile), j1 = Math.Min(n, j0 + tile);
                for (int j = j0; j < j1; j++)
                    for (int i = i0; i < Math.Min(i1, j + 1); i++) work[i * n + j] = a.Data[j * n + i];
            }
        var d = new double[n];
        var e = new double[n];
        var tau = new double[Math.Max(n - 2, 0)];
        Tridiagonalization.Blocked<TPath>(work, n, d, e, tau, parallelism, workspace);
        return (work, d, e, tau);
    }

    /// <summary>
    /// Implicit QL with Wilkinson's shift (EISPACK tql2, as in JAMA) on the tridiagonal (d, e); on return d holds the
    /// eigenvalues (unsorted) and the rows of <paramref name="zt"/> (if given) the eigenvectors of T.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TridiagonalQl(double[] d, double[] e, DenseMatrix? zt, Parallelism parallelism)
    {
        int n = d.Length;
        if (n == 0) return;
        e[n - 1] = 0;
        var rowX = new int[n];
        var rowY = new int[n];
        var cs = new double[n];
        var sn = new double[n];
        double f = 0, tst1 = 0, eps = MachineEpsilon.Double;
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > eps * tst1) m++;
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 60)
                        throw new NoConvergenceException($"The tridiagonal QL iteration did not converge for eigenvalue {l} of {n} in 60 iterations; check the matrix for NaN or infinite entries.");
                    // Wilkinson shift from the leading 2×2 block.
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Pythag(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    // The implicit QL sweep from the bottom of the unreduced block up to l.
                    p = d[m];
                    double c = 1, c2 = c, c3 = c, el1 = e[l + 1], s = 0, s2 = 0;
                    int count = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Pythag(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        // Column pair (i, i+1) of Z: z_{i+1} ← s·z_i + c·z_{i+1}, z_i ← c·z_i − s·z_{i+1}.
                        rowX[count] = i; rowY[count] = i + 1; cs[count] = c; sn[count] = s;
                        count++;
                    }
                    if (zt is not null)
                        Rotations.ApplySequence(zt.Data, n, rowX.AsSpan(0, count), rowY.AsSpan(0, count), cs.AsSpan(0, count), sn.AsSpan(0, count), parallelism);
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    /// <summary>
    /// <see cref="SignConvention.Apply"/> (each column's largest-magnitude entry, the first on a tie, made positive) in two
    /// row-major passes instead of one strided walk per column: same result, cache-friendly for large n.
    /// </summary>
    private static void ApplySignConvention(DenseMatrix v)
    {
        int rows = v.Rows, columns = v.Columns;
        if (rows == 0) return;
        var best = new double[columns];
        var sign = new double[columns];
        Array.Fill(best, -1.0);
        for (int i = 0; i < rows; i++)
        {
            var row = v.Row(i);
            for (int j = 0; j < columns; j++)
            {
                double a = Math.Abs(row[j]);
                if (a > best[j]) { best[j] = a; sign[j] = row[j] < 0 ? -1 : 1; }
            }
        }
        bool any = false;
        foreach (double s in sign) any |= s < 0;
        if (!any) return;
        for (int i = 0; i < rows; i++)
        {
            var row = v.Row(i);
            for (int j = 0; j < columns; j++) row[j] *= sign[j];
        }
    }

    /// <summary>√(a² + b²): the plain formula when the squares neither overflow nor underflow (the common case), else <see cref="double.Hypot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pythag(double a, double b)
    {
        double s = a * a + b * b;
        return s > 1e-290 && s < 1e290 ? Math.Sqrt(s) : double.Hypot(a, b);
    }

    /// <summary>
    /// Z ← Q·Z: the reflectors (row j of the row-major n×n matrix in <paramref name="reflectors"/>[0, n²), n = Z's row count,
    /// holds v_j[j + 2..], v_j[j + 1] = 1) applied from the last block to the first, as compact WY blocks (GEMMs on Z's rows;
    /// Z may have any number of columns).
    /// </summary>
    internal static void BackTransform(double[] reflectors, double[] tau, MatrixSpan<double> z, Parallelism parallelism)
    {
        int n = z.Rows, count = tau.Length, columns = z.Columns;
        if (count == 0 || columns == 0) return;
        const int block = 64;
        var hv = new ReadOnlyMatrixSpan<double>(reflectors, 0, n, n, n, 1).Transposed();
        int blocks = (count + block - 1) / block;
        for (int blk = blocks - 1; blk >= 0; blk--)
        {
            int j0 = blk * block, jb = Math.Min(block, count - j0);
            // V read in place (only its jb×jb unit-lower top is copied).
            using var t = new PooledMatrix(jb, jb);   // pooled: a fresh T per block cost ~130 page faults per n = 512 call
            Householder.BuildTInPlace(hv, j0 + 1, j0, jb, tau.AsSpan(j0, jb), t.Elements);
            Householder.ApplyBlockInPlace(hv, j0 + 1, j0, jb, t.ReadOnlySpan, Dense.Sub(z, j0 + 1, 0, n - j0 - 1, columns), parallelism);
        }
    }
}

/// <summary>
/// Reusable scratch for <see cref="SymmetricEigen.Compute(DenseMatrix, SymmetricEigenWorkspace, bool, Parallelism?)"/>: the n×n
/// matrix that the tridiagonalization reduces in place (and that keeps the reflectors for the back-transformation),
/// the panel buffers of the blocked reduction, and the divide-and-conquer merges' buffers (4n² elements). It grows to the largest n it has seen; use one per thread. Without one,
/// each call rents the same buffers from <see cref="ArrayPool{T}.Shared"/> and gives them back when it returns.
/// </summary>
public sealed class SymmetricEigenWorkspace
{
    /// <summary>True when the buffers are rented for one call (and given back by <see cref="ReturnRented"/>).</summary>
    private readonly bool _rented;
    internal double[]? ReducedBuffer;
    internal double[]? PanelBuffer;
    internal double[]? SwappedPanelBuffer;
    internal double[]? PartialBuffer;
    internal double[]? VectorBuffer;
    internal double[]? MergeBuffer;

    /// <summary>An empty workspace; buffers are made on first use.</summary>
    public SymmetricEigenWorkspace()
    {
    }

    private SymmetricEigenWorkspace(bool rented) => _rented = rented;

    /// <summary>A workspace for one call: its buffers come from <see cref="ArrayPool{T}.Shared"/>; call <see cref="ReturnRented"/> when done.</summary>
    internal static SymmetricEigenWorkspace Rented() => new(rented: true);

    /// <summary>
    /// Buffers longer than this (n above ~4096 for the reduced matrix) are not rented: the pool rounds lengths up to a power
    /// of two (up to twice the memory), and at that size the O(n³) arithmetic dwarfs the first-touch cost anyway.
    /// </summary>
    private const int MaxRentedLength = 1 << 24;

    /// <summary>A buffer of at least <paramref name="length"/> elements, kept in <paramref name="slot"/> (contents unspecified).</summary>
    internal double[] Buffer(ref double[]? slot, int length)
    {
        if (slot is not null && slot.Length >= length) return slot;
        if (_rented && slot is not null) Return(ref slot);
        slot = _rented && length <= MaxRentedLength ? ArrayPool<double>.Shared.Rent(Math.Max(length, 1)) : new double[length];
        return slot;
    }

    /// <summary>Gives the rented buffers back to the pool (nothing for a user's workspace); the workspace is empty afterwards.</summary>
    internal void ReturnRented()
    {
        if (!_rented) return;
        Return(ref ReducedBuffer);
        Return(ref PanelBuffer);
        Return(ref SwappedPanelBuffer);
        Return(ref PartialBuffer);
        Return(ref VectorBuffer);
        Return(ref MergeBuffer);
    }

    /// <summary>The divide-and-conquer merges' scratch for order n (<see cref="TridiagonalDivideAndConquer.ScratchLength"/>).</summary>
    internal double[] MergeScratch(int n) => Buffer(ref MergeBuffer, checked((int)TridiagonalDivideAndConquer.ScratchLength(n)));

    /// <summary>Gives a rented buffer back (one longer than <see cref="MaxRentedLength"/> was made by <c>new</c> and is just dropped).</summary>
    private static void Return(ref double[]? slot)
    {
        if (slot is not null && slot.Length <= MaxRentedLength) ArrayPool<double>.Shared.Return(slot);
        slot = null;
    }
}

/// <summary>
/// The textbook cyclic Jacobi eigenvalue algorithm: sweep over all pairs (p, q), each time applying the rotation
/// A ← Jᵀ·A·J that zeroes a_pq (θ = (a_qq − a_pp)/(2a_pq), t = sign(θ)/(|θ| + √(θ² + 1)), c = 1/√(1 + t²), s = t·c),
/// until the off-diagonal mass is negligible. Slow (O(n³) per sweep) and very accurate: the twin of <see cref="SymmetricEigen"/>.
/// </summary>
/// <remarks>
/// Not merged with GramianSpectrum's one-sided Jacobi (MultiTask/Aggregation), whose rotation loops look alike: that one
/// rotates the rows of a factor X of a positive semidefinite G = X·Xᵀ (Hestenes), never forming G, in double-double
/// (<see cref="DoubleDouble"/>); this one rotates both sides of any symmetric A (indefinite included) in double, and as
/// the textbook twin it must stay independent of the code it checks. DoubleDouble cannot serve a generic version: it has
/// only the four operations and the square root, not the exponential, trigonometric, parsing and formatting members of <c>IFloatingPointIeee754&lt;T&gt;</c>.
/// </remarks>
public static class JacobiEigenTextbook
{
    /// <summary>Eigenvalues (ascending) and eigenvectors (columns, <see cref="SignConvention"/> applied) of a symmetric matrix (lower triangle read).</summary>
    public static (double[] Values, DenseMatrix Vectors) Compute(DenseMatrix a)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "The symmetric eigendecomposition");
        int n = a.Rows;
        var w = a.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) w[j, i] = w[i, j];
        var v = DenseMatrix.Identity(n);
        double total = w.FrobeniusNorm();
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += w[p, q] * w[p, q];
            if (Math.Sqrt(off) <= 1e-17 * total || off == 0) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (w[p, q] == 0) continue;
                    double theta = (w[q, q] - w[p, p]) / (2 * w[p, q]);
                    double t = Math.CopySign(1, theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(1 + t * t), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double x = w[k, p], y = w[k, q];
                        w[k, p] = c * x - s * y;
                        w[k, q] = s * x + c * y;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double x = w[p, k], y = w[q, k];
                        w[p, k] = c * x - s * y;
                        w[q, k] = s * x + c * y;
                    }
                    w[p, q] = w[q, p] = 0;
                    for (int k = 0; k < n; k++)
                    {
                        double x = v[k, p], y = v[k, q];
                        v[k, p] = c * x - s * y;
                        v[k, q] = s * x + c * y;
                    }
                }
        }
        var order = new int[n];
        var diag = new double[n];
        for (int i = 0; i < n; i++) { order[i] = i; diag[i] = w[i, i]; }
        Array.Sort((double[])diag.Clone(), order);
        var values = new double[n];
        var vectors = new DenseMatrix(n, n);
        for (int j = 0; j < n; j++)
        {
            values[j] = diag[order[j]];
            for (int i = 0; i < n; i++) vectors[i, j] = v[i, order[j]];
        }
        SignConvention.Apply(vectors);
        return (values, vectors);
    }
}
