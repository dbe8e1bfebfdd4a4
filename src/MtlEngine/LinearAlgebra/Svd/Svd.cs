using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The thin singular value decomposition A = U·Σ·Vᵀ of A of shape (m, n), k = min(m, n): U (m×k) and V (n×k) with
/// orthonormal columns, singular values σ₀ ≥ σ₁ ≥ … ≥ 0, signs fixed by <see cref="SignConvention"/> (largest-magnitude
/// entry of each column of U positive).
/// <para>
/// Algorithm (LAPACK's gesdd path, for m ≥ n; a wide A is transposed):
/// <code>
/// if m ≥ 1.6·n:  A = Q·R, continue on X = R (n×n)        Householder QR, mostly GEMM (<see cref="Qr"/>)
/// else:          X = A
/// X = Q_B·B·P_Bᵀ                                       Golub–Kahan, blocked as dgebrd/dlabrd: nb = 32 steps per panel,
///                                                      then two GEMMs on the trailing matrix (<see cref="GolubKahan"/>)
/// B = U_B·Σ·V_Bᵀ                                       divide and conquer on the bidiagonal (Gu–Eisenstat, dbdsdc):
///                                                      secular equations + Löwner vectors, merges by GEMM, deflation
/// V = P_B·V_B,  U = Q·(Q_B·U_B)                         reflectors applied in compact WY blocks (GEMMs)
/// </code>
/// </para>
/// <para>
/// Why this rather than one-sided Jacobi (which this class used before, preconditioned by the eigenvectors of R·Rᵀ): Jacobi
/// is level-1 work — each sweep over n×n costs ~7n³ flops in rotations of vector pairs, and even the preconditioned
/// start needs two sweeps plus a full symmetric eigendecomposition, which left it at ~0.5× LAPACK for 1024×512. The
/// bidiagonal route does ~2.3 GFLOP there like gesdd, most of it in GEMM (QR, WY back-transformations, the D&amp;C merges);
/// only half of the bidiagonalization is matrix–vector work. Divide and conquer rather than implicit-shift bidiagonal QR
/// (dbdsqr): QR applies ~12n³ flops of rotations to the vectors, D&amp;C's merges are GEMMs, and deflation (frequent for
/// clustered or low-rank spectra) makes them smaller still. Accuracy: normwise backward stable, ‖A − U·Σ·Vᵀ‖ = O(ε‖A‖),
/// with U and V orthogonal to O(nε): the Löwner recomputation of z (Gu–Eisenstat) is what keeps D&amp;C's vectors
/// orthogonal. Like gesdd (and unlike plain Jacobi, see <see cref="JacobiSvdTextbook"/>) it does not give high relative
/// accuracy for tiny singular values of graded matrices; they are accurate to O(ε·σ₀). Results do not depend on the thread
/// count: GEMM and the matrix–vector products split work on fixed boundaries, and the two halves of each D&amp;C split are
/// independent.
/// </para>
/// The textbook twin is <see cref="JacobiSvdTextbook"/> (plain cyclic one-sided Jacobi on A).
/// </summary>
public sealed class Svd
{
    internal Svd(DenseMatrix u, double[] singularValues, DenseMatrix v, int sweeps)
    {
        U = u;
        SingularValues = singularValues;
        V = v;
        Sweeps = sweeps;
    }

    /// <summary>The left singular vectors, shape (m, k).</summary>
    public DenseMatrix U { get; }

    /// <summary>The singular values in descending order, length k.</summary>
    public double[] SingularValues { get; }

    /// <summary>The right singular vectors, shape (n, k) (columns; <see cref="VTransposed"/> gives Vᵀ).</summary>
    public DenseMatrix V { get; }

    /// <summary>Vᵀ, shape (k, n), copied.</summary>
    public DenseMatrix VTransposed => V.Transpose();

    /// <summary>How many Jacobi sweeps ran: 0 for the bidiagonal divide-and-conquer path of <see cref="Compute(DenseMatrix, Parallelism?)"/> (kept for callers of the earlier Jacobi SVD).</summary>
    public int Sweeps { get; }

    /// <summary>The thin SVD of A (not changed).</summary>
    /// <exception cref="NoConvergenceException">When A holds NaN or infinite entries (the bidiagonal solver cannot converge).</exception>
    public static Svd Compute(DenseMatrix a, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        return Compute(a.ReadOnlySpan, parallelism ?? TensorParallelism.Current);
    }

    /// <summary>
    /// The thin SVD of A (not changed) with U written into <paramref name="u"/> (m×k) and V into <paramref name="v"/> (n×k),
    /// k = min(m, n): both overwritten, their old contents never read, and they become the result's <see cref="U"/> and
    /// <see cref="V"/>. The workspace form for loops: fresh U and V are fresh memory, whose first touch costs about 3 ms per
    /// MB on our machines (6 MB for 1024×512, a tenth of the decomposition); storage reused from call to call is already
    /// mapped (the working copies inside are pooled). The previous result in the same storage is overwritten. Bitwise the
    /// result of <see cref="Compute(DenseMatrix, Parallelism?)"/>.
    /// </summary>
    /// <exception cref="MatrixShapeException">When <paramref name="u"/> is not m×k or <paramref name="v"/> is not n×k.</exception>
    /// <exception cref="NoConvergenceException">When A holds NaN or infinite entries (the bidiagonal solver cannot converge).</exception>
    public static Svd Compute(DenseMatrix a, DenseMatrix u, DenseMatrix v, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(v);
        int m = a.Rows, n = a.Columns, k = Math.Min(m, n);
        if (u.Rows != m || u.Columns != k || v.Rows != n || v.Columns != k)
            throw new MatrixShapeException($"The SVD of a {a.ShapeText} matrix needs U storage of shape ({m}, {k}) and V storage of shape ({n}, {k}), " +
                $"but they have shapes {u.ShapeText} and {v.ShapeText}; pass (m, min(m, n)) and (n, min(m, n)) matrices.");
        var par = parallelism ?? TensorParallelism.Current;
        // Zero on entry, as the allocating path's fresh arrays are (U_B fills the top rows of U, Q·[U_B; 0] needs the rest 0).
        u.Data.AsSpan().Clear();
        v.Data.AsSpan().Clear();
        return ComputeZeroed(a.ReadOnlySpan, u, v, par);
    }

    /// <summary>The thin SVD of A given as a view (not changed; e.g. a pooled scratch matrix of the caller).</summary>
    internal static Svd Compute(ReadOnlyMatrixSpan<double> a, Parallelism parallelism)
    {
        int m = a.Rows, n = a.Columns, k = Math.Min(m, n);
        // The outputs are the only fresh arrays: the QR factors and the matrix that is bidiagonalized are pooled scratch.
        return ComputeZeroed(a, new DenseMatrix(m, k), new DenseMatrix(n, k), parallelism);
    }

    /// <summary>
    /// The thin SVD of A into U (m×k) and V (n×k), k = min(m, n), both zero on entry: U_B is written straight into the top
    /// rows of the tall factor (the rows below stay zero, as Q·[U_B; 0] needs), and the sign convention is applied.
    /// </summary>
    private static Svd ComputeZeroed(ReadOnlyMatrixSpan<double> a, DenseMatrix u, DenseMatrix v, Parallelism parallelism)
    {
        int m = a.Rows, n = a.Columns;
        if (Math.Min(m, n) == 0) return new Svd(u, [], v, 0);
        if (m < n)
        {
            // A = (Aᵀ)ᵀ = (U'·Σ·V'ᵀ)ᵀ = V'·Σ·U'ᵀ with U' (n×m) in v and V' (m×m) in u; Aᵀ is read through a transposed view
            // (its working copy is made anyway).
            var sigma = ComputeInto(a.Transposed(), v.Span, u.Span, parallelism);
            ApplySignConvention(v, u);
            SignConvention.Apply(u, v);
            return new Svd(u, sigma, v, 0);
        }
        var values = ComputeInto(a, u.Span, v.Span, parallelism);
        ApplySignConvention(u, v);
        return new Svd(u, values, v, 0);
    }

    /// <summary>
    /// The SVD of a tall A (m ≥ n) without the sign convention: U (m×n, zero on entry) and V (n×n) written into caller
    /// storage, σ returned. A is read, not changed; its working copy is pooled.
    /// </summary>
    internal static double[] ComputeInto(ReadOnlyMatrixSpan<double> a, MatrixSpan<double> u, MatrixSpan<double> v, Parallelism parallelism)
    {
        int m = a.Rows, n = a.Columns;
        // Tall enough: A = Q·R first, so that the bidiagonalization (half of it matrix–vector products) works on n×n.
        bool viaQr = 5L * m >= 8L * n;
        using var work = new PooledMatrix(m, n, clear: false);
        CopyRows(a, work.Span);
        if (!viaQr) return ComputeInPlace(work.Span, u, v, parallelism);
        var tau = new double[n];
        var blockT = Qr.FactorInPlace(work.Span, tau, parallelism);
        var values = ComputeTallFactoredInPlace(work.ReadOnlySpan, tau, blockT, u, v, parallelism);
        return values;
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same shape, contiguous rows), row by row.</summary>
    internal static void CopyRows(ReadOnlyMatrixSpan<double> source, MatrixSpan<double> destination)
    {
        for (int i = 0; i < source.Rows; i++)
            for (int j = 0; j < source.Columns; j++) destination[i, j] = source[i, j];
    }

    /// <summary>
    /// The SVD of a tall X (m ≥ n, rows contiguous) that may be overwritten (it is bidiagonalized in place), without the
    /// sign convention and without the QR step: U (m×n, zero on entry) and V (n×n) written into caller storage, σ returned.
    /// </summary>
    internal static double[] ComputeInPlace(MatrixSpan<double> x, MatrixSpan<double> u, MatrixSpan<double> v, Parallelism parallelism)
    {
        int n = x.Columns;
        var panels = n < ThreadedPanelOrder ? Parallelism.Sequential : parallelism;
        var (d, e, tauq, taup) = GolubKahan.Reduce(x, panels);
        var values = BidiagonalDivideAndConquer.Compute(d, e, Dense.Sub(u, 0, 0, n, n), v, parallelism);
        GolubKahan.ApplyP(x, taup, v, panels);
        GolubKahan.ApplyQ(x, tauq, u, panels);
        return values;
    }

    /// <summary>Below this order the panel reductions run on one thread (<see cref="ParallelThresholds.PanelReductionOrder"/>, measured there).</summary>
    internal const int ThreadedPanelOrder = ParallelThresholds.PanelReductionOrder;

    /// <summary>
    /// The SVD of A from its Householder QR (combined factors, τ and the panels' T): R = U_R·Σ·Vᵀ, then U = Q·[U_R; 0] in place
    /// in <paramref name="u"/> (m×n, zero on entry; only its top n rows are written before Q is applied).
    /// </summary>
    internal static double[] ComputeTallFactoredInPlace(ReadOnlyMatrixSpan<double> factors, ReadOnlySpan<double> tau, double[][] blockT, MatrixSpan<double> u, MatrixSpan<double> v, Parallelism parallelism)
    {
        int n = factors.Columns;
        using var r = new PooledMatrix(n, n, clear: false);
        Qr.CopyR(factors, r.Span);
        var values = ComputeInPlace(r.Span, Dense.Sub(u, 0, 0, n, n), v, parallelism);
        Qr.ApplyQ(factors, tau, blockT, Qr.DefaultBlockSize, u, transpose: false, parallelism);
        return values;
    }

    /// <summary>
    /// <see cref="SignConvention.Apply"/> (the same flips), walking the row-major U and V row by row: a column-by-column
    /// scan of a tall U touches a new cache line at every entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplySignConvention(DenseMatrix u, DenseMatrix v) => ApplySignConvention(u.Span, v.Span);

    /// <summary>The same flips on U and V given as views with contiguous rows (pooled or caller storage).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ApplySignConvention(MatrixSpan<double> u, MatrixSpan<double> v)
    {
        int k = u.Columns;
        var best = new double[k];
        var at = new int[k];
        Array.Fill(best, -1.0);
        for (int i = 0; i < u.Rows; i++)
        {
            var row = RowOf(u, i);
            for (int j = 0; j < k; j++)
            {
                double a = Math.Abs(row[j]);
                if (a > best[j]) { best[j] = a; at[j] = i; }
            }
        }
        var sign = new double[k];
        bool any = false;
        for (int j = 0; j < k; j++)
        {
            sign[j] = u.Rows > 0 && u[at[j], j] < 0 ? -1 : 1;
            any |= sign[j] < 0;
        }
        if (!any) return;
        for (int i = 0; i < u.Rows; i++) System.Numerics.Tensors.TensorPrimitives.Multiply(RowOf(u, i), sign, RowOf(u, i));
        for (int i = 0; i < v.Rows; i++) System.Numerics.Tensors.TensorPrimitives.Multiply(RowOf(v, i), sign, RowOf(v, i));
    }

    private static Span<double> RowOf(MatrixSpan<double> a, int i) => a.Data.Slice(a.Offset + i * a.RowStride, a.Columns);

    /// <summary>The thin SVD of an m×n array.</summary>
    public static Svd Compute(double[,] a, Parallelism? parallelism = null) => Compute(DenseMatrix.FromArray(a), parallelism);

    /// <summary>
    /// One-sided Jacobi on the rows of <paramref name="yt"/> (the columns of X), accumulating the rotations into the rows of
    /// <paramref name="jt"/>; round-robin ordering, n/2 disjoint pairs per round. Returns the number of sweeps.
    /// </summary>
    internal static int OneSidedJacobi(DenseMatrix yt, DenseMatrix jt, Parallelism parallelism, int maxSweeps = 60)
    {
        int n = yt.Rows;
        if (n < 2) return 0;
        double tol = Math.Sqrt(yt.Columns) * MachineEpsilon.Double;
        var norms = new double[n];
        int players = n % 2 == 0 ? n : n + 1;
        int pairsPerRound = players / 2;
        var ps = new int[pairsPerRound];
        var qs = new int[pairsPerRound];
        int workers = n >= ParallelThresholds.JacobiOrder ? Math.Min(parallelism.Degree, pairsPerRound) : 1;
        for (int sweep = 1; sweep <= maxSweeps; sweep++)
        {
            for (int i = 0; i < n; i++) norms[i] = Dense.Dot(yt.Row(i), yt.Row(i));
            ZeroNegligibleColumns(yt, norms);
            long rotated = 0;
            for (int round = 0; round < players - 1; round++)
            {
                // Circle method: player players−1 is fixed, the others rotate.
                for (int k = 0; k < pairsPerRound; k++)
                {
                    int a = k == 0 ? players - 1 : (round + k) % (players - 1);
                    int b = (round - k + players - 1) % (players - 1);
                    ps[k] = Math.Min(a, b);
                    qs[k] = Math.Max(a, b);
                }
                if (workers <= 1)
                {
                    rotated += RotatePairs(yt, jt, norms, ps, qs, 0, pairsPerRound, tol);
                }
                else
                {
                    long count = 0;
                    Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
                    {
                        long c = RotatePairs(yt, jt, norms, ps, qs, pairsPerRound * w / workers, pairsPerRound * (w + 1) / workers, tol);
                        Interlocked.Add(ref count, c);
                    });
                    rotated += count;
                }
            }
            if (rotated == 0) return sweep;
        }
        throw new NoConvergenceException($"The one-sided Jacobi SVD did not converge in {maxSweeps} sweeps for a matrix with {n} columns; check the input for NaN or infinite entries.");
    }

    /// <summary>
    /// Sets to zero every column whose norm is below ε·‖X‖_F. Such a column (from a rank-deficient input, e.g. a
    /// column of zeros in A) is rounding noise: its angle with the other columns cannot be driven below the
    /// convergence tolerance in floating point, so rotating it would never converge. Zeroing it changes X by at most
    /// ε·‖X‖_F (backward stable) and gives it an exact zero singular value.
    /// </summary>
    private static void ZeroNegligibleColumns(DenseMatrix yt, double[] norms)
    {
        double total = 0;
        foreach (double norm in norms) total += norm;
        double negligible = total * MachineEpsilon.Double * MachineEpsilon.Double;
        for (int i = 0; i < norms.Length; i++)
        {
            if (norms[i] == 0 || norms[i] > negligible) continue;
            yt.Row(i).Clear();
            norms[i] = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long RotatePairs(DenseMatrix yt, DenseMatrix jt, double[] norms, int[] ps, int[] qs, int k0, int k1, double tol)
    {
        long rotated = 0;
        int n = yt.Rows;
        for (int k = k0; k < k1; k++)
        {
            int p = ps[k], q = qs[k];
            if (q >= n) continue; // the dummy player of an odd n
            double alpha = norms[p], beta = norms[q];
            if (alpha == 0 || beta == 0) continue;
            var yp = yt.Row(p);
            var yq = yt.Row(q);
            double gamma = Dense.Dot(yp, yq);
            if (Math.Abs(gamma) <= tol * Math.Sqrt(alpha) * Math.Sqrt(beta)) continue;
            double zeta = (beta - alpha) / (2 * gamma);
            double t = Math.CopySign(1, zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
            double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
            Rotations.Rotate(yp, yq, c, s);
            Rotations.Rotate(jt.Row(p), jt.Row(q), c, s);
            // The updated squared norms; alpha − t·gamma can round below zero when column p is at rounding level
            // (a rank-deficient R), and a negative "norm" would make the next test NaN and the sweep never converge.
            norms[p] = Math.Max(alpha - t * gamma, 0);
            norms[q] = Math.Max(beta + t * gamma, 0);
            rotated++;
        }
        return rotated;
    }

    /// <summary>Fills the listed columns (which belong to zero singular values) with unit vectors orthogonal to every other column (Gram–Schmidt, twice).</summary>
    internal static void CompleteOrthonormalColumns(DenseMatrix v, List<int> missing)
    {
        if (missing.Count == 0) return;
        int n = v.Rows, k = v.Columns;
        var filled = new bool[k];
        for (int j = 0; j < k; j++) filled[j] = !missing.Contains(j);
        var x = new double[n];
        int candidate = 0;
        foreach (int j in missing)
        {
            for (; candidate < n; candidate++)
            {
                Array.Clear(x);
                x[candidate] = 1;
                for (int pass = 0; pass < 2; pass++)
                    for (int c = 0; c < k; c++)
                    {
                        if (!filled[c]) continue;
                        double d = 0;
                        for (int i = 0; i < n; i++) d += v[i, c] * x[i];
                        for (int i = 0; i < n; i++) x[i] -= d * v[i, c];
                    }
                double norm = Dense.Norm2(x);
                if (norm > 0.5)
                {
                    for (int i = 0; i < n; i++) v[i, j] = x[i] / norm;
                    filled[j] = true;
                    candidate++;
                    break;
                }
            }
        }
    }

    /// <summary>U·Σ·Vᵀ, which equals A up to rounding.</summary>
    public DenseMatrix Reconstruct(Parallelism? parallelism = null)
    {
        var us = U.Clone();
        for (int i = 0; i < us.Rows; i++)
            for (int j = 0; j < us.Columns; j++) us[i, j] *= SingularValues[j];
        return DenseMatrix.Multiply(us, V, MatrixOp.None, MatrixOp.Transpose, parallelism);
    }

    /// <summary>The numerical rank: the number of σᵢ &gt; tolerance (default σ₀·max(m, n)·ε, NumPy's matrix_rank).</summary>
    public int Rank(double? tolerance = null)
    {
        if (SingularValues.Length == 0) return 0;
        double tol = tolerance ?? SingularValues[0] * Math.Max(U.Rows, V.Rows) * MachineEpsilon.Double;
        return SingularValues.Count(s => s > tol);
    }

    /// <summary>The 2-norm condition number σ_max / σ_min (∞ when σ_min = 0, NaN for the zero matrix, 1 for an empty one).</summary>
    public double ConditionNumber() =>
        SingularValues.Length == 0 ? 1 : SingularValues[0] / SingularValues[^1];

    /// <summary>
    /// The minimum-norm least-squares solution X = V·Σ⁺·Uᵀ·B (σᵢ at or below the rank tolerance treated as zero), for B of shape (m, r).
    /// </summary>
    /// <exception cref="MatrixShapeException">When B does not have m rows.</exception>
    public DenseMatrix LeastSquares(DenseMatrix b, double? tolerance = null)
    {
        MatrixShapeException.ThrowIfRowsDiffer(U, b, "SVD least squares");
        int rank = Rank(tolerance);
        var utb = DenseMatrix.Multiply(U.SliceColumns(0, rank), b, MatrixOp.Transpose, MatrixOp.None, Parallelism.Sequential);
        for (int i = 0; i < rank; i++) Dense.Scale(1.0 / SingularValues[i], utb.Row(i));
        return DenseMatrix.Multiply(V.SliceColumns(0, rank), utb, MatrixOp.None, MatrixOp.None, Parallelism.Sequential);
    }
}

/// <summary>
/// The textbook one-sided Jacobi SVD (Hestenes 1958) straight on A's columns, cyclic order p &lt; q, scalar loops:
/// rotate columns (p, q) of A and of V until every pair is orthogonal; σᵢ = ‖aᵢ‖, uᵢ = aᵢ/σᵢ. The twin of <see cref="Svd"/>.
/// </summary>
public static class JacobiSvdTextbook
{
    /// <summary>U (m×k), σ (descending) and V (n×k) with <see cref="SignConvention"/> applied.</summary>
    public static (DenseMatrix U, double[] SingularValues, DenseMatrix V) Compute(DenseMatrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.Rows < a.Columns)
        {
            var (ut, st, vt) = Compute(a.Transpose());
            SignConvention.Apply(vt, ut);
            return (vt, st, ut);
        }
        int m = a.Rows, n = a.Columns;
        var w = a.Clone();
        var v = DenseMatrix.Identity(n);
        for (int sweep = 0; sweep < 100; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < m; i++) { alpha += w[i, p] * w[i, p]; beta += w[i, q] * w[i, q]; gamma += w[i, p] * w[i, q]; }
                    if (alpha == 0 || beta == 0 || Math.Abs(gamma) <= 1e-15 * Math.Sqrt(alpha * beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.CopySign(1, zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    for (int i = 0; i < m; i++) { double x = w[i, p], y = w[i, q]; w[i, p] = c * x - s * y; w[i, q] = s * x + c * y; }
                    for (int i = 0; i < n; i++) { double x = v[i, p], y = v[i, q]; v[i, p] = c * x - s * y; v[i, q] = s * x + c * y; }
                }
            if (!rotated) break;
        }
        var sigma = new double[n];
        for (int j = 0; j < n; j++) { double s = 0; for (int i = 0; i < m; i++) s += w[i, j] * w[i, j]; sigma[j] = Math.Sqrt(s); }
        var order = Enumerable.Range(0, n).OrderByDescending(j => sigma[j]).ThenBy(j => j).ToArray();
        var u = new DenseMatrix(m, n);
        var vs = new DenseMatrix(n, n);
        var values = new double[n];
        for (int j = 0; j < n; j++)
        {
            int src = order[j];
            values[j] = sigma[src];
            for (int i = 0; i < m; i++) u[i, j] = sigma[src] == 0 ? 0 : w[i, src] / sigma[src];
            for (int i = 0; i < n; i++) vs[i, j] = v[i, src];
        }
        SignConvention.Apply(u, vs);
        return (u, values, vs);
    }
}
