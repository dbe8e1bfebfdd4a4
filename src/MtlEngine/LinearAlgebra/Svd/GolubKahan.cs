using System.Numerics;
using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Golub–Kahan bidiagonalization A = Q_B·B·P_Bᵀ of A of shape (m, n), m ≥ n: B upper bidiagonal (diagonal d, superdiagonal e),
/// Q_B = H₀·H₁·…·H_{n−1} and P_B = G₀·G₁·…·G_{n−2} products of Householder reflectors, H = I − τ·v·vᵀ:
/// <code>
/// for i = 0 .. n−1:
///   Hᵢ zeroes A[i+1.., i]      (from the left;  d_i = β, vᵢ stored below the diagonal of column i)
///   Gᵢ zeroes A[i, i+2..]      (from the right; e_i = β, uᵢ stored right of the superdiagonal of row i)
/// </code>
/// Blocked as LAPACK's dgebrd/dlabrd: a panel of nb steps updates only its own rows and columns, keeping X (m×nb) and
/// Y (n×nb) with the trailing matrix equal to A − V·Yᵀ − X·Uᵀ; the trailing matrix is then updated by two GEMMs. Half of
/// the 8n³/3 flops (for a square A) stay in the matrix–vector products Aᵀ·v and A·u of each step, which is what makes
/// bidiagonalization slower per flop than QR. The textbook twin is <see cref="GolubKahanTextbook"/>.
/// </summary>
internal static class GolubKahan
{
    /// <summary>The panel width nb.</summary>
    public const int BlockSize = 32;

    /// <summary>Below this many remaining columns the unblocked steps finish (the GEMM update no longer pays).</summary>
    private const int Crossover = 64;

    /// <summary>Bidiagonalizes <paramref name="a"/> (m ≥ n) in place: reflectors in A, the bidiagonal in d and e.</summary>
    public static (double[] D, double[] E, double[] TauQ, double[] TauP) Reduce(DenseMatrix a, Parallelism parallelism) => Reduce(a.Span, parallelism);

    /// <summary>Bidiagonalizes <paramref name="a"/> (m ≥ n, rows contiguous) in place: reflectors in A, the bidiagonal in d and e.</summary>
    public static (double[] D, double[] E, double[] TauQ, double[] TauP) Reduce(MatrixSpan<double> a, Parallelism parallelism)
    {
        int m = a.Rows, n = a.Columns;
        if (m < n) throw new ArgumentException($"Golub–Kahan bidiagonalization here needs m ≥ n, but A has shape ({m}, {n}); transpose it first.");
        if (a.ColumnStride != 1) throw new ArgumentException("Golub–Kahan bidiagonalization needs a matrix whose rows are contiguous (column stride 1).");
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        var tauq = new double[n];
        var taup = new double[Math.Max(n - 1, 0)];
        int nb = BlockSize;
        int p = 0;
        if (n - p > Crossover)
        {
            // Xᵀ and Yᵀ on rented arrays (zeroed, as fresh ones would be): at m = 1024 they are large-object-heap sized.
            var pool = System.Buffers.ArrayPool<double>.Shared;
            var xt = pool.Rent(nb * m);
            var yt = pool.Rent(nb * n);
            var work = pool.Rent(Math.Max(m, n));
            xt.AsSpan(0, nb * m).Clear();
            yt.AsSpan(0, nb * n).Clear();
            work.AsSpan(0, Math.Max(m, n)).Clear();
            try
            {
                for (; n - p > Crossover; p += nb)
                {
                    int rows = m - p, cols = n - p;
                    var x = new MatrixSpan<double>(xt, 0, nb, rows, rows, 1);   // Xᵀ: row j = column j of X
                    var y = new MatrixSpan<double>(yt, 0, nb, cols, cols, 1);   // Yᵀ
                    Panel(a, p, nb, d, e, tauq, taup, x, y, work, parallelism);
                    // A22 ← A22 − V·Yᵀ − X·Uᵀ, A22 = A[p+nb.., p+nb..].
                    var a22 = Dense.Sub(a, p + nb, p + nb, rows - nb, cols - nb);
                    var v = Dense.Sub(a.AsReadOnly(), p + nb, p, rows - nb, nb);
                    var u = Dense.Sub(a.AsReadOnly(), p, p + nb, nb, cols - nb);
                    Gemm.Multiply(-1.0, v, Dense.Sub((ReadOnlyMatrixSpan<double>)y, 0, nb, nb, cols - nb), 1.0, a22, parallelism);
                    Gemm.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)x, 0, nb, nb, rows - nb).Transposed(), u, 1.0, a22, parallelism);
                    for (int j = p; j < p + nb; j++)
                    {
                        a[j, j] = d[j];
                        a[j, j + 1] = e[j];
                    }
                }
            }
            finally
            {
                pool.Return(xt);
                pool.Return(yt);
                pool.Return(work);
            }
        }
        Unblocked(a, p, d, e, tauq, taup);
        return (d, e, tauq, taup);
    }

    /// <summary>The unblocked steps i = p .. n−1 (LAPACK's dgebd2) with rank-one updates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Unblocked(MatrixSpan<double> a, int p, double[] d, double[] e, double[] tauq, double[] taup)
    {
        int m = a.Rows, n = a.Columns;
        var w = new double[Math.Max(m, n)];
        var v = new double[m];
        for (int i = p; i < n; i++)
        {
            // Left reflector on column i.
            for (int r = i; r < m; r++) v[r - i] = a[r, i];
            double tq = MakeReflector(v.AsSpan(0, m - i), out double beta);
            d[i] = beta;
            tauq[i] = tq;
            for (int r = i + 1; r < m; r++) a[r, i] = v[r - i];
            a[i, i] = beta;
            v[0] = 1;
            if (tq != 0 && i + 1 < n)
            {
                // A[i.., i+1..] ← (I − τ·v·vᵀ)·A[i.., i+1..]:  w = A[i.., i+1..]ᵀ·v;  A −= τ·v·wᵀ.
                var wi = w.AsSpan(0, n - i - 1);
                wi.Clear();
                for (int r = i; r < m; r++) Dense.Axpy(v[r - i], Row(a, r).Slice(i + 1, n - i - 1), wi);
                for (int r = i; r < m; r++) Dense.Axpy(-tq * v[r - i], wi, Row(a, r).Slice(i + 1, n - i - 1));
            }
            if (i + 1 >= n) continue;
            // Right reflector on row i, columns i+1..
            var row = Row(a, i).Slice(i + 1, n - i - 1);
            double tp = MakeReflector(row, out double betaP);
            e[i] = betaP;
            taup[i] = tp;
            row[0] = 1;
            if (tp != 0)
            {
                // A[i+1.., i+1..] ← A·(I − τ·u·uᵀ):  x_r = A[r, i+1..]·u;  A[r, i+1..] −= τ·x_r·u.
                for (int r = i + 1; r < m; r++)
                {
                    var ar = Row(a, r).Slice(i + 1, n - i - 1);
                    Dense.Axpy(-tp * Dense.Dot(ar, row), row, ar);
                }
            }
            row[0] = betaP;
        }
    }

    /// <summary>Row r of a matrix with contiguous rows.</summary>
    private static Span<double> Row(MatrixSpan<double> a, int r) => a.Data.Slice(a.Offset + r * a.RowStride, a.Columns);

    /// <summary>
    /// One dlabrd panel at (p, p): nb left and right reflectors; columns/rows of the panel are updated as they are reached,
    /// the rest of A is left for the caller's GEMMs. x holds Xᵀ (nb × (m−p)), y holds Yᵀ (nb × (n−p)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel(MatrixSpan<double> a, int p, int nb, double[] d, double[] e, double[] tauq, double[] taup,
        MatrixSpan<double> x, MatrixSpan<double> y, double[] work, Parallelism parallelism)
    {
        int lda = a.RowStride, origin = a.Offset;
        int rowCount = a.Rows - p, colCount = a.Columns - p;   // M, N of the local view S = A[p.., p..]
        var s = Dense.Sub(a, p, p, rowCount, colCount);
        var data = a.Data;
        int S(int r, int c) => origin + (p + r) * lda + p + c;
        var t = new double[nb + 1];
        for (int i = 0; i < nb; i++)
        {
            // S[i.., i] −= S[i.., 0..i]·Y[i, 0..i]ᵀ + X[i.., 0..i]·S[0..i, i]
            if (i > 0)
            {
                // Both corrections into work first (S·t as row dots, X·c as axpys over Xᵀ's contiguous rows), then one
                // pass down the column.
                var correction = work.AsSpan(0, rowCount - i);
                for (int j = 0; j < i; j++) t[j] = y[j, i];
                Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, i, 0, rowCount - i, i), MatrixOp.None, t.AsSpan(0, i), 0.0, correction, Parallelism.Sequential);
                for (int j = 0; j < i; j++) t[j] = data[S(j, i)];
                Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)x, 0, i, i, rowCount - i), MatrixOp.Transpose, t.AsSpan(0, i), 1.0, correction, Parallelism.Sequential);
                for (int r = i; r < rowCount; r++) data[S(r, i)] -= correction[r - i];
            }
            var v = work.AsSpan(0, rowCount - i);
            for (int r = i; r < rowCount; r++) v[r - i] = data[S(r, i)];
            tauq[p + i] = MakeReflector(v, out double beta);
            d[p + i] = beta;
            v[0] = 1;
            for (int r = i; r < rowCount; r++) data[S(r, i)] = v[r - i];
            double tq = tauq[p + i];

            // Y[i+1.., i] = τ·( S[i.., i+1..]ᵀ·v − Y[i+1.., 0..i]·(S[i.., 0..i]ᵀ·v) − S[0..i, i+1..]ᵀ·(X[i.., 0..i]ᵀ·v) )
            int wide = colCount - i - 1;
            var yi = y.Data.Slice(y.Offset + i * y.RowStride + i + 1, wide);
            TransposeTimes(Dense.Sub((ReadOnlyMatrixSpan<double>)s, i, i + 1, rowCount - i, wide), v, yi, parallelism);
            if (i > 0)
            {
                var t1 = t.AsSpan(0, i);
                Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, i, 0, rowCount - i, i), MatrixOp.Transpose, v, 0.0, t1, Parallelism.Sequential);
                Gemv.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)y, 0, i + 1, i, wide), MatrixOp.Transpose, t1, 1.0, yi, Parallelism.Sequential);
                Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)x, 0, i, i, rowCount - i), MatrixOp.None, v, 0.0, t1, Parallelism.Sequential);
                Gemv.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, 0, i + 1, i, wide), MatrixOp.Transpose, t1, 1.0, yi, Parallelism.Sequential);
            }
            Dense.Scale(tq, yi);

            // S[i, i+1..] −= Y[i+1.., 0..i+1]·S[i, 0..i+1]ᵀ + S[0..i, i+1..]ᵀ·X[i, 0..i]ᵀ
            var rowI = data.Slice(S(i, i + 1), wide);
            for (int j = 0; j <= i; j++) t[j] = data[S(i, j)];
            Gemv.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)y, 0, i + 1, i + 1, wide), MatrixOp.Transpose, t.AsSpan(0, i + 1), 1.0, rowI, Parallelism.Sequential);
            if (i > 0)
            {
                for (int j = 0; j < i; j++) t[j] = x[j, i];
                Gemv.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, 0, i + 1, i, wide), MatrixOp.Transpose, t.AsSpan(0, i), 1.0, rowI, Parallelism.Sequential);
            }
            taup[p + i] = MakeReflector(rowI, out double betaP);
            e[p + i] = betaP;
            rowI[0] = 1;
            double tp = taup[p + i];

            // X[i+1.., i] = τ·( S[i+1.., i+1..]·u − S[i+1.., 0..i+1]·(Y[i+1.., 0..i+1]ᵀ·u) − X[i+1.., 0..i]·(S[0..i, i+1..]·u) )
            int tall = rowCount - i - 1;
            var xi = x.Data.Slice(x.Offset + i * x.RowStride + i + 1, tall);
            Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, i + 1, i + 1, tall, wide), MatrixOp.None, rowI, 0.0, xi, parallelism);
            var t3 = t.AsSpan(0, i + 1);
            Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)y, 0, i + 1, i + 1, wide), MatrixOp.None, rowI, 0.0, t3, Parallelism.Sequential);
            Gemv.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, i + 1, 0, tall, i + 1), MatrixOp.None, t3, 1.0, xi, Parallelism.Sequential);
            if (i > 0)
            {
                var t4 = t.AsSpan(0, i);
                Gemv.Multiply(1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)s, 0, i + 1, i, wide), MatrixOp.None, rowI, 0.0, t4, Parallelism.Sequential);
                Gemv.Multiply(-1.0, Dense.Sub((ReadOnlyMatrixSpan<double>)x, 0, i + 1, i, tall), MatrixOp.Transpose, t4, 1.0, xi, Parallelism.Sequential);
            }
            Dense.Scale(tp, xi);
        }
    }

    /// <summary>
    /// y = Sᵀ·v for a row-major S (the big matrix–vector product of each step): four rows of S at a time are folded into y,
    /// so y is read and written once per four rows; threads take fixed column ranges (same sums for any thread count).
    /// Not merged with <see cref="DenseOperator.ApplyTransposed"/> (the Aᵀ·x of LSQR, Ridge and MultiTaskRidge), which adds one row at a time:
    /// the two sums round differently, so one routine for both would change the bits of every SVD or of those solvers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TransposeTimes(ReadOnlyMatrixSpan<double> s, ReadOnlySpan<double> v, Span<double> y, Parallelism parallelism)
    {
        int rows = s.Rows, cols = s.Columns;
        y.Clear();
        if (rows == 0 || cols == 0) return;
        int threads = (long)rows * cols < ParallelThresholds.GolubKahanTransposeTimesElements ? 1 : Math.Min(parallelism.Degree, Math.Max(1, cols / ParallelThresholds.GolubKahanColumnsPerThread));
        if (threads == 1) { TransposeTimesRange(s, v, y, 0, cols); return; }
        unsafe
        {
            fixed (double* ps = s.Data) fixed (double* pv = v) fixed (double* py = y)
            {
                // One fork-join per call (a struct body: no closure or options allocated per row of the bidiagonalization).
                ForkJoin.Run(threads, new TransposeTimesShares(ps, s.Data.Length, s.Offset, rows, cols, s.RowStride, pv, v.Length, py, y.Length, threads));
            }
        }
    }

    /// <summary>Thread t's columns of <see cref="TransposeTimes"/> (on 8-element boundaries), the operands pinned by the caller.</summary>
    private readonly unsafe struct TransposeTimesShares : IShareBody
    {
        private readonly double* _s, _v, _y;
        private readonly int _length, _offset, _rows, _cols, _stride, _vLength, _yLength, _threads;

        public TransposeTimesShares(double* s, int length, int offset, int rows, int cols, int stride, double* v, int vLength, double* y, int yLength, int threads)
        {
            _s = s;
            _v = v;
            _y = y;
            (_length, _offset, _rows, _cols, _stride) = (length, offset, rows, cols, stride);
            (_vLength, _yLength, _threads) = (vLength, yLength, threads);
        }

        public void Run(int t)
        {
            var view = new ReadOnlyMatrixSpan<double>(new ReadOnlySpan<double>(_s, _length), _offset, _rows, _cols, _stride, 1);
            int c0 = (int)((long)_cols * t / _threads) & ~7, c1 = t == _threads - 1 ? _cols : (int)((long)_cols * (t + 1) / _threads) & ~7;
            TransposeTimesRange(view, new ReadOnlySpan<double>(_v, _vLength), new Span<double>(_y, _yLength), c0, c1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeTimesRange(ReadOnlyMatrixSpan<double> s, ReadOnlySpan<double> v, Span<double> y, int c0, int c1)
    {
        int rows = s.Rows, width = c1 - c0;
        if (width <= 0) return;
        var data = s.Data;
        int stride = s.RowStride, baseOffset = s.Offset + c0;
        var yr = y.Slice(c0, width);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            var r0 = data.Slice(baseOffset + r * stride, width);
            var r1 = data.Slice(baseOffset + (r + 1) * stride, width);
            var r2 = data.Slice(baseOffset + (r + 2) * stride, width);
            var r3 = data.Slice(baseOffset + (r + 3) * stride, width);
            double v0 = v[r], v1 = v[r + 1], v2 = v[r + 2], v3 = v[r + 3];
            int c = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var a0 = new Vector<double>(v0);
                var a1 = new Vector<double>(v1);
                var a2 = new Vector<double>(v2);
                var a3 = new Vector<double>(v3);
                for (; c + Vector<double>.Count <= width; c += Vector<double>.Count)
                {
                    var acc = new Vector<double>(yr[c..]);
                    acc += a0 * new Vector<double>(r0[c..]) + a1 * new Vector<double>(r1[c..]);
                    acc += a2 * new Vector<double>(r2[c..]) + a3 * new Vector<double>(r3[c..]);
                    acc.CopyTo(yr[c..]);
                }
            }
            for (; c < width; c++) yr[c] += v0 * r0[c] + v1 * r1[c] + v2 * r2[c] + v3 * r3[c];
        }
        for (; r < rows; r++) Dense.Axpy(v[r], data.Slice(baseOffset + r * stride, width), yr);
    }

    /// <summary>
    /// LAPACK's dlarfg on x (in place): H·x = β·e₀ with H = I − τ·v·vᵀ, v₀ = 1; v[1..] overwrites x[1..], x[0] is left as is.
    /// Returns τ (0 when x[1..] is zero, then β = x[0]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double MakeReflector(Span<double> x, out double beta)
    {
        double alpha = x[0];
        beta = alpha;
        if (x.Length <= 1) return 0;
        double xnorm = Dense.Norm2(x[1..]);
        if (xnorm == 0) return 0;
        beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
        double tau = (beta - alpha) / beta;
        Dense.Scale(1.0 / (alpha - beta), x[1..]);
        return tau;
    }

    /// <summary>C ← Q_B·C for C of shape (m, r), reflectors in the columns of <paramref name="f"/>.</summary>
    public static void ApplyQ(DenseMatrix f, double[] tauq, DenseMatrix c, Parallelism parallelism) => ApplyQ(f.ReadOnlySpan, tauq, c.Span, parallelism);

    /// <summary>C ← P_B·C for C of shape (n, r), reflectors in the rows of <paramref name="f"/>.</summary>
    public static void ApplyP(DenseMatrix f, double[] taup, DenseMatrix c, Parallelism parallelism) => ApplyP(f.ReadOnlySpan, taup, c.Span, parallelism);

    /// <summary>C ← Q_B·C for C of shape (m, r): the left reflectors (columns of <paramref name="f"/>) in compact WY blocks, last block first.</summary>
    public static void ApplyQ(ReadOnlyMatrixSpan<double> f, double[] tauq, MatrixSpan<double> c, Parallelism parallelism)
    {
        int k = tauq.Length;
        for (int j0 = (k - 1) / BlockSize * BlockSize; j0 >= 0 && k > 0; j0 -= BlockSize)
        {
            int b = Math.Min(BlockSize, k - j0);
            ApplyBlock(f, j0, j0, b, tauq.AsSpan(j0, b), Dense.Sub(c, j0, 0, c.Rows - j0, c.Columns), parallelism);
        }
    }

    /// <summary>C ← P_B·C for C of shape (n, r): the right reflectors (rows of <paramref name="f"/>) in compact WY blocks, last block first.</summary>
    public static void ApplyP(ReadOnlyMatrixSpan<double> f, double[] taup, MatrixSpan<double> c, Parallelism parallelism)
    {
        int k = taup.Length;
        var ft = f.Transposed();
        for (int j0 = (k - 1) / BlockSize * BlockSize; j0 >= 0 && k > 0; j0 -= BlockSize)
        {
            int b = Math.Min(BlockSize, k - j0);
            ApplyBlock(ft, j0 + 1, j0, b, taup.AsSpan(j0, b), Dense.Sub(c, j0 + 1, 0, c.Rows - j0 - 1, c.Columns), parallelism);
        }
    }

    /// <summary>
    /// C ← (I − V·T·Vᵀ)·C with V the b reflectors stored in columns [j0, j0 + b) of <paramref name="f"/> from row r0 + t of column j0 + t
    /// (unit first entry implied) and T upper triangular from τ (larft: T[0..i, i] = −τᵢ·T[0..i, 0..i]·(V[:, 0..i]ᵀ·vᵢ), T[i, i] = τᵢ),
    /// V read in place (<see cref="Householder.ApplyBlockInPlace"/>: only its b×b unit-lower top is copied).
    /// </summary>
    private static void ApplyBlock(ReadOnlyMatrixSpan<double> f, int r0, int j0, int b, ReadOnlySpan<double> tau, MatrixSpan<double> c, Parallelism parallelism)
    {
        int rows = f.Rows - r0;
        if (rows <= 0 || c.Columns == 0) return;
        using var t = new PooledMatrix(b, b);
        Householder.BuildTInPlace(f, r0, j0, b, tau, t.Elements);
        Householder.ApplyBlockInPlace(f, r0, j0, b, t.ReadOnlySpan, c, parallelism);
    }
}

/// <summary>
/// The textbook Golub–Kahan bidiagonalization (LAPACK's dgebd2, one reflector at a time with scalar loops), the twin of
/// <see cref="GolubKahan"/>: returns the same d, e (up to rounding) for A of shape (m, n), m ≥ n.
/// </summary>
internal static class GolubKahanTextbook
{
    /// <summary>The diagonal and superdiagonal of B = Q_Bᵀ·A·P_B.</summary>
    public static (double[] D, double[] E) Reduce(DenseMatrix a)
    {
        var f = a.Clone();
        int n = f.Columns;
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        GolubKahan.Unblocked(f.Span, 0, d, e, new double[n], new double[Math.Max(n - 1, 0)]);
        return (d, e);
    }
}
