using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Layout;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem T = Z·Λ·Zᵀ, as in LAPACK's dstedc/dlaed0–dlaed4.
/// <para>
/// Tear T at the middle: T = diag(T₁, T₂) + ρ·u·uᵀ with ρ = |e_m|, u = e_{m−1} + sign(e_m)·e_m (the two diagonal entries
/// at the tear lose ρ). Solve T₁ = Q₁D₁Q₁ᵀ and T₂ = Q₂D₂Q₂ᵀ recursively (implicit QL below <see cref="LeafSize"/>), then
/// T = Q·(D + ρ·z·zᵀ)·Qᵀ with Q = diag(Q₁, Q₂) and z = Qᵀu (the last row of Q₁ and ±the first row of Q₂).
/// </para>
/// <para>The rank-one update D + ρ·z·zᵀ (dlaed2, dlaed3):</para>
/// <list type="bullet">
/// <item>Deflation: a component with ρ·|z_j| ≤ tol keeps (d_j, e_j); two close poles d_i, d_j are rotated so that one z
/// component vanishes when the rotation moves them by at most tol (tol = 8ε·max(|d|, |z|)).</item>
/// <item>The other K eigenvalues are the roots of the secular equation f(λ) = 1 + ρ·Σ z_j²/(d_j − λ) = 0, one in each
/// gap (d_i, d_{i+1}) and the last in (d_K, d_K + ρ‖z‖²), solved by <see cref="SecularEquation"/> relative to the nearer
/// pole so that every d_j − λ_i is accurate.</item>
/// <item>Gu–Eisenstat (Löwner): z is recomputed from the computed roots, ẑ_j² = Π_i(λ_i − d_j) / Π_{i≠j}(d_i − d_j) (up to ρ),
/// so the computed λ are the exact eigenvalues of D + ρ·ẑ·ẑᵀ and the vectors u_i = ẑ/(d − λ_i) come out orthogonal.</item>
/// <item>The merged vectors Q·U are two GEMMs: the rows of Q₁ times the rows of U that belong to Q₁'s columns, and the same
/// for Q₂ (a column mixed by a deflating rotation joins both).</item>
/// </list>
/// </summary>
internal static class TridiagonalDivideAndConquer
{
    /// <summary>Subproblems up to this size are solved by implicit QL (LAPACK's SMLSIZ is 25).</summary>
    internal const int LeafSize = 32;

    /// <summary>
    /// The length of the merge scratch for order n: 4n². The merge of the block [lo, lo + size) works in
    /// scratch[4·lo·n, 4·(lo + size)·n): blocks merged at the same time are disjoint, so their regions are too, and a
    /// region of 4·size·n ≥ 4·size² holds the merge's three buffers (<see cref="MergeRegions"/>).
    /// </summary>
    internal static long ScratchLength(int n) => 4L * n * n;

    /// <summary>
    /// Eigenvalues (ascending, into <paramref name="d"/>) and eigenvectors (columns of the row-major n×n matrix in
    /// <paramref name="z"/>[0, n²), row stride n = d.Length) of the tridiagonal with diagonal d and off-diagonal e (e[i] couples
    /// i and i + 1; e is destroyed). z must be zero on entry: only the diagonal blocks of the recursion are written.
    /// <paramref name="scratch"/> (at least <see cref="ScratchLength"/> elements, contents unspecified) holds the merges'
    /// temporaries: a caller's workspace, so that a loop of decompositions touches no fresh memory here.
    /// </summary>
    public static void Solve(double[] d, double[] e, double[] z, double[] scratch, Parallelism parallelism) =>
        Solve<NativeVectors>(d, e, z, scratch, parallelism);

    /// <summary>
    /// <see cref="Solve(double[], double[], double[], double[], Parallelism)"/> with the vector width of
    /// <typeparamref name="TPath"/> in the secular solver (the merges' GEMMs choose their own).
    /// </summary>
    internal static void Solve<TPath>(double[] d, double[] e, double[] z, double[] scratch, Parallelism parallelism)
        where TPath : struct, IVectorPath
    {
        int n = d.Length;
        if (n == 0) return;
        // Scale to max |T| = 1 (dstedc), so that the tolerances and the secular solver see numbers near one.
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Abs(d[i]));
        for (int i = 0; i < n - 1; i++) scale = Math.Max(scale, Math.Abs(e[i]));
        if (scale == 0)
        {
            z.AsSpan(0, n * n).Clear();
            for (int i = 0; i < n; i++) z[i * n + i] = 1;
            return;
        }
        for (int i = 0; i < n; i++) d[i] /= scale;
        for (int i = 0; i < n - 1; i++) e[i] /= scale;
        if (scratch.LongLength < ScratchLength(n))
            throw new ArgumentException($"The merge scratch needs {ScratchLength(n)} elements for n = {n}, but has {scratch.Length}.", nameof(scratch));
        Recurse<TPath>(d, e, z, scratch, 0, n, parallelism);
        for (int i = 0; i < n; i++) d[i] *= scale;
    }

    private static void Recurse<TPath>(double[] d, double[] e, double[] z, double[] scratch, int lo, int size, Parallelism parallelism)
        where TPath : struct, IVectorPath
    {
        if (size <= LeafSize)
        {
            Leaf(d, e, z, lo, size);
            return;
        }
        int n1 = size / 2;
        int tear = lo + n1 - 1;
        double rho = e[tear];
        d[tear] -= Math.Abs(rho);
        d[tear + 1] -= Math.Abs(rho);
        int degree = parallelism.Degree;
        if (degree > 1 && size >= ParallelThresholds.TridiagonalHalvesOrder)
        {
            // The halves are independent (disjoint blocks of d, e and z): half the threads each. Every kernel below is
            // bitwise independent of its thread count, so this split does not change the result.
            var left = new Parallelism(Math.Max(1, degree / 2));
            var right = new Parallelism(Math.Max(1, degree - degree / 2));
            Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = 2 },
                () => Recurse<TPath>(d, e, z, scratch, lo, n1, left),
                () => Recurse<TPath>(d, e, z, scratch, lo + n1, size - n1, right));
        }
        else
        {
            Recurse<TPath>(d, e, z, scratch, lo, n1, parallelism);
            Recurse<TPath>(d, e, z, scratch, lo + n1, size - n1, parallelism);
        }
        Merge<TPath>(d, z, scratch, lo, n1, size, rho, parallelism);
    }

    /// <summary>Implicit QL on the block [lo, lo + size): values ascending into d, vectors into the block's columns of z.</summary>
    private static void Leaf(double[] d, double[] e, double[] z, int lo, int size)
    {
        var dl = d.AsSpan(lo, size).ToArray();
        var el = new double[size];
        for (int i = 0; i < size - 1; i++) el[i] = e[lo + i];
        var zt = DenseMatrix.Identity(size);
        SymmetricEigen.TridiagonalQl(dl, el, zt, default);
        var order = SortedOrder(dl);
        int n = d.Length;
        for (int c = 0; c < size; c++)
        {
            d[lo + c] = dl[order[c]];
            var src = zt.Row(order[c]);
            for (int r = 0; r < size; r++) z[(lo + r) * n + lo + c] = src[r];
        }
    }

    private static int[] SortedOrder(double[] values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) => { int c = values[x].CompareTo(values[y]); return c != 0 ? c : x.CompareTo(y); });
        return order;
    }

    /// <summary>
    /// The offsets in the scratch of the merge of [lo, lo + size) (n = the whole order): U, the k×k vectors of the rank-one
    /// update (k ≤ size), in [uAt, uAt + size·n); the merged size×k vectors in [mergedAt, mergedAt + size·n); and a shared
    /// region of 2·size·n, used in turn by the secular solver's k×k differences, the two products' gathered operands
    /// (at most (size/2 + 1)·size + size² elements) and the reordered size×size block.
    /// </summary>
    private static (int UAt, int MergedAt, int SharedAt) MergeRegions(int n, int lo, int size)
    {
        int at = 4 * lo * n;
        return (at, at + size * n, at + 2 * size * n);
    }

    /// <summary>Merges the solved halves [lo, lo + n1) and [lo + n1, lo + size) coupled by ρ (dlaed1: dlaed2 + dlaed3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge<TPath>(double[] d, double[] q, double[] scratch, int lo, int n1, int size, double rhoSigned, Parallelism parallelism)
        where TPath : struct, IVectorPath
    {
        int n = d.Length;
        var (uAt, mergedAt, sharedAt) = MergeRegions(n, lo, size);
        int n2 = size - n1;
        // z = (last row of Q₁, sign(ρ)·first row of Q₂)/√2, ρ ← 2|ρ| (so ‖z‖ = 1).
        double sign = rhoSigned < 0 ? -1 : 1;
        double rho = 2 * Math.Abs(rhoSigned);
        double invSqrt2 = 1 / Math.Sqrt(2);
        var zv = new double[size];
        for (int c = 0; c < n1; c++) zv[c] = q[(lo + n1 - 1) * n + lo + c] * invSqrt2;
        for (int c = n1; c < size; c++) zv[c] = sign * q[(lo + n1) * n + lo + c] * invSqrt2;

        // Sort the poles (both halves are ascending: a merge), carrying z and the column index.
        var perm = new int[size];
        {
            int a = 0, b = n1, t = 0;
            while (a < n1 && b < size) perm[t++] = d[lo + a] <= d[lo + b] ? a++ : b++;
            while (a < n1) perm[t++] = a++;
            while (b < size) perm[t++] = b++;
        }
        var dl = new double[size];
        var w = new double[size];
        var type = new byte[size]; // 1: column lives in the top rows only, 3: bottom only, 2: both
        for (int t = 0; t < size; t++)
        {
            dl[t] = d[lo + perm[t]];
            w[t] = zv[perm[t]];
            type[t] = perm[t] < n1 ? (byte)1 : (byte)3;
        }
        double dmax = 0, zmax = 0;
        for (int t = 0; t < size; t++) { dmax = Math.Max(dmax, Math.Abs(dl[t])); zmax = Math.Max(zmax, Math.Abs(w[t])); }
        double eps = MachineEpsilon.UnitRoundoff;
        double tol = 8 * eps * Math.Max(dmax, zmax);

        // Deflation (dlaed2).
        var kept = new List<int>(size);     // sorted positions that go to the secular equation
        var deflated = new List<int>(size); // sorted positions whose (dl, column) are final
        if (rho * zmax <= tol)
        {
            for (int t = 0; t < size; t++) deflated.Add(t);
        }
        else
        {
            int pj = -1;
            for (int t = 0; t < size; t++)
            {
                if (rho * Math.Abs(w[t]) <= tol) { deflated.Add(t); continue; }
                if (pj < 0) { pj = t; continue; }
                double s = w[pj], c = w[t];
                double tau = double.Hypot(c, s);
                double gap = dl[t] - dl[pj];
                c /= tau;
                s = -s / tau;
                if (Math.Abs(gap * c * s) <= tol)
                {
                    // Rotate columns pj and t so that z[pj] vanishes; pj deflates.
                    w[t] = tau;
                    w[pj] = 0;
                    RotateColumns(q, n, lo, size, lo + perm[pj], lo + perm[t], c, s);
                    if (type[pj] != type[t]) type[pj] = type[t] = 2;
                    double dpj = dl[pj] * c * c + dl[t] * s * s;
                    dl[t] = dl[pj] * s * s + dl[t] * c * c;
                    dl[pj] = dpj;
                    deflated.Add(pj);
                }
                else kept.Add(pj);
                pj = t;
            }
            if (pj >= 0) kept.Add(pj);
        }

        int k = kept.Count;
        var lambda = new double[k];
        // U in scratch[uAt, uAt + k²): u[j·k + i] = component j of the vector of root i.
        if (k > 0)
        {
            var poles = new double[k];
            var weights = new double[k];
            for (int i = 0; i < k; i++) { poles[i] = dl[kept[i]]; weights[i] = w[kept[i]]; }
            SecularEquation.SolveAll<TPath>(poles, weights, rho, lambda, scratch, uAt, scratch, sharedAt, parallelism);
        }

        // Q·U into scratch[mergedAt, mergedAt + size·k): top rows from the columns of type 1 and 2, bottom rows from those
        // of type 2 and 3.
        if (k > 0)
        {
            MultiplyPart(q, n, lo, 0, n1, kept, perm, type, scratch, uAt, k, wantTop: true, mergedAt, sharedAt, parallelism);
            MultiplyPart(q, n, lo, n1, n2, kept, perm, type, scratch, uAt, k, wantTop: false, mergedAt, sharedAt, parallelism);
        }

        // Final order: every value ascending (roots and deflated poles), columns to match.
        int total = k + deflated.Count;
        var values = new double[total];
        var source = new int[total]; // ≥ 0: root i; < 0: −1 − (column of the old block)
        for (int i = 0; i < k; i++) { values[i] = lambda[i]; source[i] = i; }
        for (int t = 0; t < deflated.Count; t++) { values[k + t] = dl[deflated[t]]; source[k + t] = -1 - perm[deflated[t]]; }
        var order = SortedOrder(values);
        var block = scratch.AsSpan(sharedAt, size * size);
        for (int r = 0; r < size; r++)
        {
            var dst = block.Slice(r * size, size);
            int rowBase = (lo + r) * n + lo;
            int mergedRow = mergedAt + r * k;
            for (int c = 0; c < total; c++)
            {
                int src = source[order[c]];
                dst[c] = src >= 0 ? scratch[mergedRow + src] : q[rowBase - 1 - src];
            }
        }
        for (int c = 0; c < total; c++) d[lo + c] = values[order[c]];
        for (int r = 0; r < size; r++) block.Slice(r * size, size).CopyTo(q.AsSpan((lo + r) * n + lo, size));
    }

    /// <summary>
    /// merged[rows r0..r0+rows) = Q[those rows, columns of the wanted types]·U[matching rows, :] — the top half uses the
    /// columns of type 1 and 2, the bottom half those of type 2 and 3 (the others are zero there). U (k×k) is at
    /// scratch[uAt], merged (size×k) at scratch[mergedAt]; the gathered operands go to scratch[sharedAt, ...).
    /// </summary>
    private static void MultiplyPart(double[] q, int n, int lo, int r0, int rows, List<int> kept, int[] perm, byte[] type, double[] scratch, int uAt, int k,
        bool wantTop, int mergedAt, int sharedAt, Parallelism parallelism)
    {
        var cols = new List<int>(k);
        for (int j = 0; j < k; j++)
        {
            byte ty = type[kept[j]];
            if (ty == 2 || ty == (wantTop ? 1 : 3)) cols.Add(j);
        }
        int ct = cols.Count;
        var result = new MatrixSpan<double>(scratch, mergedAt + r0 * k, rows, k, k, 1);
        if (ct == 0 || rows == 0)
        {
            scratch.AsSpan(mergedAt + r0 * k, rows * k).Clear();
            return;
        }
        // Q's gathered columns (rows×ct) at sharedAt, U's gathered rows (ct×k) right after them.
        int qcAt = sharedAt, ucAt = sharedAt + rows * ct;
        for (int r = 0; r < rows; r++)
        {
            int rowBase = (lo + r0 + r) * n + lo;
            var dst = scratch.AsSpan(qcAt + r * ct, ct);
            for (int c = 0; c < ct; c++) dst[c] = q[rowBase + perm[kept[cols[c]]]];
        }
        for (int c = 0; c < ct; c++) scratch.AsSpan(uAt + cols[c] * k, k).CopyTo(scratch.AsSpan(ucAt + c * k, k));
        Gemm.Multiply(1.0, new ReadOnlyMatrixSpan<double>(scratch, qcAt, rows, ct, ct, 1), new ReadOnlyMatrixSpan<double>(scratch, ucAt, ct, k, k, 1), 0.0, result, parallelism);
    }

    /// <summary>Columns x = Q[:, cx], y = Q[:, cy] of the block rows [lo, lo + size): (x, y) ← (c·x + s·y, c·y − s·x) (BLAS drot).</summary>
    private static void RotateColumns(double[] q, int n, int lo, int size, int cx, int cy, double c, double s)
    {
        for (int r = lo; r < lo + size; r++)
        {
            double x = q[r * n + cx], y = q[r * n + cy];
            q[r * n + cx] = c * x + s * y;
            q[r * n + cy] = c * y - s * x;
        }
    }
}

/// <summary>
/// The secular equation of D + ρ·z·zᵀ (d ascending, distinct after deflation, ρ &gt; 0, z without zeros):
/// f(λ) = 1/ρ + Σ_j z_j²/(d_j − λ) = 0, one root λ_i in each (d_i, d_{i+1}) and λ_{K−1} in (d_{K−1}, d_{K−1} + ρ‖z‖²).
/// <para>
/// As LAPACK's dlaed4, each root is found as λ = d_o + τ relative to the nearer pole o (decided by the sign of f at the
/// middle of the gap), so that d_j − λ = (d_j − d_o) − τ keeps full relative accuracy even when λ is within a few ulps of
/// a pole. The iteration fits the two nearest poles, f(x) ≈ c + s/(δ_i − x) + S/(δ_{i+1} − x) with s, S matching the
/// derivatives of the two partial sums ψ (poles ≤ i) and φ (poles &gt; i) at the current τ (the "middle way" of Li), takes
/// the root of that model inside the bracket and otherwise bisects; f is monotone, so the bracket always holds the root.
/// </para>
/// </summary>
internal static class SecularEquation
{
    /// <summary>
    /// All K roots into <paramref name="lambda"/>, and the eigenvectors of D + ρ·z·zᵀ into the K×K row-major
    /// <paramref name="u"/>[uAt, uAt + K²) (column i for root i), from the Gu–Eisenstat recomputed ẑ. The K×K differences
    /// d_j − λ_i are kept in <paramref name="delta"/>[deltaAt, deltaAt + K²) (scratch; it must not overlap u's range).
    /// </summary>
    public static void SolveAll<TPath>(double[] d, double[] z, double rho, double[] lambda, double[] u, int uAt, double[] delta, int deltaAt, Parallelism parallelism)
        where TPath : struct, IVectorPath
    {
        int k = d.Length;
        if (k == 1)
        {
            lambda[0] = d[0] + rho * z[0] * z[0];
            u[uAt] = 1;
            return;
        }
        // delta[deltaAt + i·k + j] = d_j − λ_i, accurate.
        ForRange(k, parallelism, k * k >= ParallelThresholds.SecularRootsElements, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++) lambda[i] = Root<TPath>(d, z, rho, i, delta.AsSpan(deltaAt + i * k, k));
        });
        // ẑ_j = sign(z_j)·√(−(d_j − λ_j)·Π_{i≠j}(d_j − λ_i)/(d_j − d_i)), accumulated root by root (rows of delta, i ascending)
        // over fixed column ranges, so each product has the same order for any thread count.
        var product = new double[k];
        for (int j = 0; j < k; j++) product[j] = delta[deltaAt + j * k + j];
        ForRange(k, parallelism, k * k >= ParallelThresholds.SecularProductElements, (j0, j1) =>
        {
            for (int i = 0; i < k; i++)
            {
                var row = delta.AsSpan(deltaAt + i * k, k);
                double di = d[i];
                // Every j of the range but j = i.
                int split = Math.Clamp(i, j0, j1);
                MultiplyRatios<TPath>(product.AsSpan(j0, split - j0), row[j0..split], d.AsSpan(j0, split - j0), di);
                int after = Math.Clamp(i + 1, j0, j1);
                MultiplyRatios<TPath>(product.AsSpan(after, j1 - after), row[after..j1], d.AsSpan(after, j1 - after), di);
            }
        });
        var zhat = new double[k];
        for (int j = 0; j < k; j++) zhat[j] = Math.CopySign(Math.Sqrt(Math.Max(-product[j], 0)), z[j]);
        // u_i = ẑ/(d − λ_i), normalized: computed in row i of delta (in place), then transposed into u (row j = component j).
        ForRange(k, parallelism, k * k >= ParallelThresholds.SecularRootsElements, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                var row = delta.AsSpan(deltaAt + i * k, k);
                TensorPrimitives.Divide(zhat, row, row);
                Dense.Scale(1 / Math.Sqrt(TensorPrimitives.SumOfSquares(row)), row);
            }
        });
        // Element (i, j) of delta (strides (k, 1)) goes to u[j·k + i] (strides (1, k)): the kernels' tiled strided copy.
        StridedCopy.Copy<double>(delta, deltaAt, [k, 1], u, uAt, [1, k], [k, k], Parallelism.Sequential);
    }

    /// <summary>product[j] *= row[j] / (d[j] − dᵢ) for every j of the spans (vectorized; the same rounding as the scalar loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyRatios<TPath>(Span<double> product, ReadOnlySpan<double> row, ReadOnlySpan<double> d, double di)
        where TPath : struct, IVectorPath
    {
        int len = product.Length, j = 0;
        if (TPath.Wide && len >= Vector512<double>.Count)
        {
            var pv = MemoryMarshal.Cast<double, Vector512<double>>(product);
            var rv = MemoryMarshal.Cast<double, Vector512<double>>(row[..len]);
            var dv = MemoryMarshal.Cast<double, Vector512<double>>(d[..len]);
            var div = Vector512.Create(di);
            for (int q = 0; q < pv.Length; q++) pv[q] *= rv[q] / (dv[q] - div);
            j = pv.Length * Vector512<double>.Count;
        }
        else if (Vector.IsHardwareAccelerated && len >= Vector<double>.Count)
        {
            // The AVX2 path (elementwise operations: the same bits as the scalar loop, which it replaces there).
            var pv = MemoryMarshal.Cast<double, Vector<double>>(product);
            var rv = MemoryMarshal.Cast<double, Vector<double>>(row[..len]);
            var dv = MemoryMarshal.Cast<double, Vector<double>>(d[..len]);
            var div = new Vector<double>(di);
            for (int q = 0; q < pv.Length; q++) pv[q] *= rv[q] / (dv[q] - div);
            j = pv.Length * Vector<double>.Count;
        }
        for (; j < len; j++) product[j] *= row[j] / (d[j] - di);
    }

    private static void ForRange(int count, Parallelism parallelism, bool worthIt, Action<int, int> body)
    {
        int workers = worthIt ? Math.Min(parallelism.Degree, count) : 1;
        if (workers <= 1) { body(0, count); return; }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
            wk => body((int)((long)count * wk / workers), (int)((long)count * (wk + 1) / workers)));
    }

    /// <summary>Root i; fills <paramref name="delta"/> with d_j − λ_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Root<TPath>(double[] d, double[] z, double rho, int i, Span<double> delta)
        where TPath : struct, IVectorPath
    {
        int k = d.Length;
        double invRho = 1 / rho;
        bool last = i == k - 1;
        int origin;
        double lo, hi;
        if (!last)
        {
            double gap = d[i + 1] - d[i];
            double mid = 0.5 * gap;
            for (int j = 0; j < k; j++) delta[j] = d[j] - d[i];
            double fmid = invRho + Partial<TPath>(delta[..k], z, mid, out _);
            if (fmid >= 0) { origin = i; lo = 0; hi = mid; }
            else { origin = i + 1; lo = -mid; hi = 0; }
        }
        else
        {
            origin = i;
            double zz = 0;
            for (int j = 0; j < k; j++) zz += z[j] * z[j];
            lo = 0;
            hi = rho * zz;
        }
        double dOrigin = d[origin];
        for (int j = 0; j < k; j++) delta[j] = d[j] - dOrigin;
        // Poles around the root, relative to the origin.
        double pLeft = delta[i];
        double pRight = last ? double.NaN : delta[i + 1];
        double tau = 0.5 * (lo + hi);
        double eps = MachineEpsilon.UnitRoundoff;
        for (int iteration = 0; iteration < 200; iteration++)
        {
            Sums<TPath>(delta, z, tau, i, out double psi, out double dpsi, out double phi, out double dphi);
            double f = invRho + psi + phi;
            double bound = eps * (8 * (invRho + Math.Abs(psi) + Math.Abs(phi)) + 3 * Math.Abs(tau) * (dpsi + dphi));
            if (Math.Abs(f) <= bound) break;
            if (f < 0) lo = tau; else hi = tau;
            if (!(hi - lo > 2 * eps * Math.Max(Math.Abs(lo), Math.Abs(hi)))) break;
            double next = double.NaN;
            double a = pLeft - tau;
            if (last)
            {
                // f ≈ c + s/(a − η): η = a + s/c, with s = a²·ψ', c = f − a·ψ'.
                double s = a * a * dpsi;
                double c = f - a * dpsi;
                if (c > 0) next = tau + a + s / c;
            }
            else
            {
                double b = pRight - tau;
                double s = a * a * dpsi, sR = b * b * dphi;
                double c = f - a * dpsi - b * dphi;
                // c·η² − B·η + C = 0 with B = c(a + b) + s + S, C = a·b·f.
                double bq = c * (a + b) + s + sR, cq = a * b * f;
                if (c == 0) next = tau + cq / bq;
                else
                {
                    double disc = Math.Sqrt(Math.Max(bq * bq - 4 * c * cq, 0));
                    double eta1 = bq >= 0 ? 2 * cq / (bq + disc) : (bq - disc) / (2 * c);
                    double eta2 = bq >= 0 ? (bq + disc) / (2 * c) : 2 * cq / (bq - disc);
                    double x1 = tau + eta1, x2 = tau + eta2;
                    next = x1 > lo && x1 < hi ? x1 : x2;
                }
            }
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            if (next == tau) break;
            tau = next;
        }
        for (int j = 0; j < k; j++) delta[j] -= tau;
        return dOrigin + tau;
    }

    /// <summary>ψ = Σ_{j≤i} z_j²/(δ_j − τ) and φ = Σ_{j&gt;i}, with their derivatives.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sums<TPath>(ReadOnlySpan<double> delta, double[] z, double tau, int i, out double psi, out double dpsi, out double phi, out double dphi)
        where TPath : struct, IVectorPath
    {
        psi = Partial<TPath>(delta[..(i + 1)], z.AsSpan(0, i + 1), tau, out dpsi);
        phi = Partial<TPath>(delta[(i + 1)..], z.AsSpan(i + 1), tau, out dphi);
    }

    /// <summary>Σ_j z_j²/(δ_j − τ), and its derivative Σ_j z_j²/(δ_j − τ)² into <paramref name="derivative"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Partial<TPath>(ReadOnlySpan<double> delta, ReadOnlySpan<double> z, double tau, out double derivative)
        where TPath : struct, IVectorPath
    {
        int len = delta.Length, j = 0;
        double s = 0, ds = 0;
        if (TPath.Wide && len >= Vector512<double>.Count)
            (j, s, ds) = Partial<Vector512<double>, SimdLanes512<double>>(delta, z, tau);
        else if (Vector256.IsHardwareAccelerated && len >= Vector256<double>.Count)
            (j, s, ds) = Partial<Vector256<double>, SimdLanes256<double>>(delta, z, tau);
        for (; j < len; j++)
        {
            double inv = 1 / (delta[j] - tau);
            double t = z[j] * z[j] * inv;
            s += t;
            ds += t * inv;
        }
        derivative = ds;
        return s;
    }

    /// <summary>The vector part of <see cref="Partial{TPath}"/> on vectors <typeparamref name="TV"/>: the sum and the derivative's
    /// sum over whole vectors (one lane per accumulator, lanes added at the end), and where the scalar tail starts. The JIT compiles it
    /// once per width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int End, double Sum, double Derivative) Partial<TV, TL>(ReadOnlySpan<double> delta, ReadOnlySpan<double> z, double tau)
        where TV : struct where TL : struct, ISimdLanes<double, TV>
    {
        int vectors = delta.Length / TL.Count;
        _ = z[vectors * TL.Count - 1];
        ref double dr = ref MemoryMarshal.GetReference(delta);
        ref double zr = ref MemoryMarshal.GetReference(z);
        TV tv = TL.Broadcast(tau), one = TL.Broadcast(1);
        TV acc = TL.Broadcast(0), dacc = TL.Broadcast(0);
        for (int q = 0; q < vectors; q++)
        {
            nuint o = (nuint)(q * TL.Count);
            TV zq = TL.Load(ref zr, o);
            TV inv = TL.Divide(one, TL.Subtract(TL.Load(ref dr, o), tv));
            TV t = TL.Multiply(TL.Multiply(zq, zq), inv);
            acc = TL.Add(acc, t);
            dacc = TL.Add(dacc, TL.Multiply(t, inv));
        }
        return (vectors * TL.Count, TL.Sum(acc), TL.Sum(dacc));
    }
}
