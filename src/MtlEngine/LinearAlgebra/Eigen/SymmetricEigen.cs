using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The symmetric eigendecomposition A = V·Λ·Vᵀ (only A's lower triangle is read): eigenvalues in ascending order,
/// orthonormal eigenvectors in the columns of V, signs fixed by <see cref="SignConvention"/>.
/// <para>Three stages:</para>
/// <list type="number">
/// <item>Householder tridiagonalization Qᵀ·A·Q = T (LAPACK's sytd2, unblocked): for each column k, a reflector
/// H = I − τ·v·vᵀ zeroes A[k+2.., k]; with p = τ·A₂₂·v and w = p − (τ/2)(pᵀv)·v the trailing block becomes
/// A₂₂ − v·wᵀ − w·vᵀ (a symmetric rank-2 update, both triangles kept so every access is a contiguous row).</item>
/// <item>The tridiagonal eigenproblem by implicit QL with Wilkinson's shift (EISPACK tql2). Chosen over divide and conquer
/// and MRRR because it is short, robust and backward stable, and its cost for the vectors is a stream of plane
/// rotations that vectorizes well: each sweep's rotations are recorded and applied to the rows of Zᵀ in cache-sized
/// column chunks, split over threads. (Divide and conquer would be faster for n ≳ 1000; it is the upgrade path.)</item>
/// <item>Back-transformation V = Q·Z with the reflectors in compact WY blocks (three GEMMs per block).</item>
/// </list>
/// The textbook twin is <see cref="JacobiEigenTextbook"/> (cyclic Jacobi).
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

    /// <summary>All eigenvalues and (unless <paramref name="computeVectors"/> is false) eigenvectors of a symmetric matrix.</summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NoConvergenceException">When the QL iteration does not converge (not seen for finite input).</exception>
    public static SymmetricEigen Compute(DenseMatrix a, bool computeVectors = true, Parallelism parallelism = default)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "The symmetric eigendecomposition");
        int n = a.Rows;
        var work = a.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) work[j, i] = work[i, j];
        var d = new double[n];
        var e = new double[n];
        var reflectors = new DenseMatrix(Math.Max(n - 2, 0), n);
        var tau = new double[Math.Max(n - 2, 0)];
        Tridiagonalize(work, d, e, reflectors, tau, parallelism);
        DenseMatrix? zt = computeVectors ? DenseMatrix.Identity(n) : null;
        TridiagonalQl(d, e, zt, parallelism);

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort((double[])d.Clone(), order);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = d[order[i]];
        if (zt is null) return new SymmetricEigen(values, null);

        // Z (columns = eigenvectors of T), row-major so that the GEMMs of the back-transformation write contiguous rows.
        var z = zt.Transpose();
        BackTransform(reflectors, tau, z, parallelism);
        var vectors = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
        {
            var src = z.Row(i);
            var dst = vectors.Row(i);
            for (int j = 0; j < n; j++) dst[j] = src[order[j]];
        }
        SignConvention.Apply(vectors);
        return new SymmetricEigen(values, vectors);
    }

    /// <summary>Eigenpairs of a float64 tensor of shape (n, n).</summary>
    public static SymmetricEigen Compute(MtlTensor<double> a, bool computeVectors = true, Parallelism parallelism = default) =>
        Compute(DenseMatrix.FromTensor(a), computeVectors, parallelism);

    /// <summary>
    /// The <paramref name="k"/> largest eigenpairs, in ascending order (the last is the largest). Computes the full
    /// decomposition and keeps the top k (a partial tridiagonal solver is future work).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When k is not in [0, n].</exception>
    public static SymmetricEigen Largest(DenseMatrix a, int k, Parallelism parallelism = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (k < 0 || k > a.Rows)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 0 and n = {a.Rows} for a matrix of shape {a.ShapeText}.");
        var all = Compute(a, true, parallelism);
        int n = a.Rows;
        return new SymmetricEigen(all.Values[(n - k)..], all.Vectors!.SliceColumns(n - k, k));
    }

    /// <summary>V·Λ·Vᵀ, which equals A up to rounding (needs the vectors of a full decomposition).</summary>
    /// <exception cref="InvalidOperationException">When the vectors were not computed.</exception>
    public DenseMatrix Reconstruct(Parallelism parallelism = default)
    {
        var v = Vectors ?? throw new InvalidOperationException("Reconstruct needs the eigenvectors; compute with computeVectors: true.");
        var vl = v.Clone();
        for (int i = 0; i < vl.Rows; i++)
            for (int j = 0; j < vl.Columns; j++) vl[i, j] *= Values[j];
        return DenseMatrix.Multiply(vl, v, MatrixOp.None, MatrixOp.Transpose, parallelism);
    }

    /// <summary>Qᵀ·A·Q = T with diagonal d and sub-diagonal e (e[k] couples k and k + 1); reflector k is stored in row k of <paramref name="reflectors"/> (v[k + 1] = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tridiagonalize(DenseMatrix a, double[] d, double[] e, DenseMatrix reflectors, double[] tau, Parallelism parallelism)
    {
        int n = a.Rows;
        var p = new double[n];
        for (int k = 0; k < n; k++)
        {
            d[k] = a[k, k];
            if (k == n - 1) break;
            int len = n - k - 1;
            if (len == 1) { e[k] = a[k, k + 1]; continue; }
            // The reflector from row k (= column k by symmetry): x = A[k, k+1..].
            var x = a.Data.AsSpan(k * n + k + 1, len);
            double alpha = x[0], xnorm = Dense.Norm2(x[1..]);
            var v = reflectors.Data.AsSpan(k * n + k + 1, len);
            v[0] = 1;
            if (xnorm == 0)
            {
                e[k] = alpha;
                tau[k] = 0;
                continue;
            }
            double beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
            double t = (beta - alpha) / beta;
            double inv = 1.0 / (alpha - beta);
            for (int i = 1; i < len; i++) v[i] = x[i] * inv;
            tau[k] = t;
            e[k] = beta;
            // p = τ·A₂₂·v, w = p − (τ/2)(pᵀv)·v, A₂₂ −= v·wᵀ + w·vᵀ.
            int offset = k + 1;
            var pv = p.AsSpan(0, len);
            double[] data = a.Data, vArr = reflectors.Data, pArr = p;
            int vStart = k * n + k + 1;
            ForRows(len, parallelism, (i0, i1) =>
            {
                var vs = vArr.AsSpan(vStart, len);
                for (int i = i0; i < i1; i++) pArr[i] = t * Dense.Dot(data.AsSpan((offset + i) * n + offset, len), vs);
            });
            double kk = -0.5 * t * Dense.Dot(pv, v);
            Dense.Axpy(kk, v, pv);
            ForRows(len, parallelism, (i0, i1) =>
            {
                var vs = vArr.AsSpan(vStart, len);
                var ws = pArr.AsSpan(0, len);
                for (int i = i0; i < i1; i++)
                {
                    var row = data.AsSpan((offset + i) * n + offset, len);
                    Dense.Axpy(-vs[i], ws, row);
                    Dense.Axpy(-ws[i], vs, row);
                }
            });
        }
    }

    private static void ForRows(int rows, Parallelism parallelism, Action<int, int> body)
    {
        int workers = rows >= 192 ? Math.Min(parallelism.Degree, rows / 96) : 1;
        if (workers <= 1) { body(0, rows); return; }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
            w => body(rows * w / workers, rows * (w + 1) / workers));
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
        double f = 0, tst1 = 0, eps = Math.ScaleB(1.0, -52);
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
                    double r = double.Hypot(p, 1);
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
                        r = double.Hypot(p, e[i]);
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

    /// <summary>Z ← Q·Z: the reflectors applied from the last block to the first, as compact WY blocks (GEMMs on Z's rows).</summary>
    private static void BackTransform(DenseMatrix reflectors, double[] tau, DenseMatrix z, Parallelism parallelism)
    {
        int n = z.Rows, count = reflectors.Rows;
        if (count == 0) return;
        const int block = 32;
        var hv = reflectors.ReadOnlySpan.Transposed();
        int blocks = (count + block - 1) / block;
        for (int blk = blocks - 1; blk >= 0; blk--)
        {
            int j0 = blk * block, jb = Math.Min(block, count - j0);
            using var v = Householder.ExplicitV(hv, j0 + 1, j0, jb);
            var t = Householder.BuildT(v, tau.AsSpan(j0, jb));
            Householder.ApplyBlock(v, t, transpose: false, Dense.Sub(z, j0 + 1, 0, n - j0 - 1, n), parallelism);
        }
    }
}

/// <summary>
/// The textbook cyclic Jacobi eigenvalue algorithm: sweep over all pairs (p, q), each time applying the rotation
/// A ← Jᵀ·A·J that zeroes a_pq (θ = (a_qq − a_pp)/(2a_pq), t = sign(θ)/(|θ| + √(θ² + 1)), c = 1/√(1 + t²), s = t·c),
/// until the off-diagonal mass is negligible. Slow (O(n³) per sweep) and very accurate: the twin of <see cref="SymmetricEigen"/>.
/// </summary>
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
