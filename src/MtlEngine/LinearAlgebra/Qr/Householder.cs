using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Householder reflectors H = I − τ·v·vᵀ (v₀ = 1) and their compact WY blocks (Schreiber–Van Loan):
/// H₀·H₁·…·H_{b−1} = I − V·T·Vᵀ with T upper triangular, built column by column as
/// <c>T[0..i, i] = −τᵢ · T[0..i, 0..i] · (V[:, 0..i]ᵀ · vᵢ)</c>, <c>T[i, i] = τᵢ</c> (LAPACK's larft, forward, columnwise).
/// A block is applied with three GEMMs: W = Vᵀ·C, W = T·W (or Tᵀ·W), C −= V·W.
/// </summary>
internal static class Householder
{
    /// <summary>
    /// LAPACK's larfg on column <paramref name="j"/> of <paramref name="a"/>, rows [j, m): chooses β = −sign(α)·‖x‖ and
    /// τ = (β − α)/β so that H·x = β·e₀; stores v[1..] below the diagonal and β on it. Returns τ (0 when x[1..] is zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double MakeReflector(MatrixSpan<double> a, int row, int j)
    {
        int m = a.Rows;
        double alpha = a[row, j];
        double scale = 0;
        for (int i = row + 1; i < m; i++) scale = Math.Max(scale, Math.Abs(a[i, j]));
        if (scale == 0) return 0;
        double ss = 0;
        for (int i = row + 1; i < m; i++) { double t = a[i, j] / scale; ss += t * t; }
        double xnorm = scale * Math.Sqrt(ss);
        double beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
        double tau = (beta - alpha) / beta;
        double inv = 1.0 / (alpha - beta);
        for (int i = row + 1; i < m; i++) a[i, j] *= inv;
        a[row, j] = beta;
        return tau;
    }

    /// <summary>Applies H = I − τ·v·vᵀ (v in column <paramref name="j"/> below row <paramref name="row"/>, v₀ = 1) to columns [c0, c1) of rows [row, m), row by row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ApplyReflectorToColumns(MatrixSpan<double> a, int row, int j, double tau, int c0, int c1, Span<double> work)
    {
        if (tau == 0 || c1 <= c0) return;
        int m = a.Rows, width = c1 - c0;
        var w = work[..width];
        RowOf(a, row, c0, width).CopyTo(w);
        if (width < 16)
        {
            // Narrow (the bottom of a recursive panel): plain loops beat a vector call per row.
            for (int i = row + 1; i < m; i++)
            {
                double v = a[i, j];
                var r = RowOf(a, i, c0, width);
                for (int c = 0; c < width; c++) w[c] += v * r[c];
            }
            var r0 = RowOf(a, row, c0, width);
            for (int c = 0; c < width; c++) r0[c] -= tau * w[c];
            for (int i = row + 1; i < m; i++)
            {
                double tv = tau * a[i, j];
                var r = RowOf(a, i, c0, width);
                for (int c = 0; c < width; c++) r[c] -= tv * w[c];
            }
            return;
        }
        for (int i = row + 1; i < m; i++)
        {
            double v = a[i, j];
            if (v != 0) Dense.Axpy(v, RowOf(a, i, c0, width), w);
        }
        Dense.Axpy(-tau, w, RowOf(a, row, c0, width));
        for (int i = row + 1; i < m; i++)
        {
            double v = a[i, j];
            if (v != 0) Dense.Axpy(-tau * v, w, RowOf(a, i, c0, width));
        }
    }

    /// <summary>Copies the reflectors in columns [j0, j0 + b) (stored below row r0 + t of column j0 + t) into an explicit (m − r0)×b V: unit diagonal, zeros above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PooledMatrix ExplicitV(ReadOnlyMatrixSpan<double> a, int r0, int j0, int b)
    {
        int rows = a.Rows - r0;
        var v = new PooledMatrix(rows, b);
        for (int t = 0; t < b; t++)
        {
            v[t, t] = 1;
            for (int i = t + 1; i < rows; i++) v[i, t] = a[r0 + i, j0 + t];
        }
        return v;
    }

    /// <summary>
    /// The b×b unit-lower top V₁ of the block whose reflector t sits in column j0 + t of <paramref name="a"/> below row
    /// r0 + t (unit diagonal, zeros above, the reflector entries below): the only part of V that
    /// <see cref="ApplyBlockInPlace"/> and <see cref="BuildTInPlace"/> copy (LAPACK's larfb multiplies it in place with a TRMM).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static PooledMatrix UnitLowerTop(ReadOnlyMatrixSpan<double> a, int r0, int j0, int b)
    {
        var v1 = new PooledMatrix(b, b);
        for (int i = 0; i < b; i++)
        {
            for (int t = 0; t < i; t++) v1[i, t] = a[r0 + i, j0 + t];
            v1[i, i] = 1;
        }
        return v1;
    }

    /// <summary>
    /// C ← (I − V·T·Vᵀ)·C with V read where the factorization left it (LAPACK's larfb), reflector t of the block in
    /// column j0 + t of <paramref name="a"/> below row r0 + t. V = [V₁; V₂] splits into its b×b unit-lower top V₁ (a
    /// small explicit copy, <see cref="UnitLowerTop"/>) and the rows below, V₂, which the GEMMs read in place:
    /// <code>
    /// W = V₁ᵀ·C₁ + V₂ᵀ·C₂,   W ← T·W,   C₂ −= V₂·W,   C₁ −= V₁·W
    /// </code>
    /// Pass T's transposed view for Hᵀ·C. C has a.Rows − r0 ≥ b rows (C₁ its first b); its twin is
    /// <see cref="ApplyBlock(PooledMatrix, ReadOnlyMatrixSpan{double}, bool, MatrixSpan{double}, Parallelism)"/> on <see cref="ExplicitV"/>.
    /// </summary>
    internal static void ApplyBlockInPlace(ReadOnlyMatrixSpan<double> a, int r0, int j0, int b, ReadOnlyMatrixSpan<double> t, MatrixSpan<double> c, Parallelism parallelism)
    {
        int rows = a.Rows - r0, r = c.Columns;
        if (b == 0 || r == 0 || rows == 0) return;
        if (c.Rows != rows || rows < b)
            throw new MatrixShapeException($"A block of {b} reflectors over {rows} rows applies to C with {rows} ≥ {b} rows, but C has shape ({c.Rows}, {c.Columns}).");
        using var v1 = UnitLowerTop(a, r0, j0, b);
        var v2 = Dense.Sub(a, r0 + b, j0, rows - b, b);
        var c1 = Dense.Sub(c, 0, 0, b, r);
        var c2 = Dense.Sub(c, b, 0, rows - b, r);
        using var w = new PooledMatrix(b, r, clear: false);
        using var tw = new PooledMatrix(b, r, clear: false);
        Gemm.Multiply(1.0, v1.ReadOnlySpan.Transposed(), c1, 0.0, w.Span, parallelism);
        if (rows > b) Gemm.Multiply(1.0, v2.Transposed(), c2, 1.0, w.Span, parallelism);
        Gemm.Multiply(1.0, t, w.ReadOnlySpan, 0.0, tw.Span, parallelism);
        if (rows > b) Gemm.Multiply(-1.0, v2, tw.ReadOnlySpan, 1.0, c2, parallelism);
        Gemm.Multiply(-1.0, v1.ReadOnlySpan, tw.ReadOnlySpan, 1.0, c1, parallelism);
    }

    /// <summary>
    /// T (b×b row-major, zero on entry) of the block read in place as in <see cref="ApplyBlockInPlace"/>: the Gram matrix
    /// VᵀV = V₁ᵀ·V₁ + V₂ᵀ·V₂ without copying V₂, then larft's recurrence (<see cref="BuildT(PooledMatrix, ReadOnlySpan{double}, Span{double})"/>, its twin).
    /// </summary>
    internal static void BuildTInPlace(ReadOnlyMatrixSpan<double> a, int r0, int j0, int b, ReadOnlySpan<double> tau, Span<double> t)
    {
        int rows = a.Rows - r0;
        using var v1 = UnitLowerTop(a, r0, j0, b);
        using var gram = new PooledMatrix(b, b, clear: false);
        Gemm.Multiply(1.0, v1.ReadOnlySpan.Transposed(), v1.ReadOnlySpan, 0.0, gram.Span, Parallelism.Sequential);
        if (rows > b)
        {
            var v2 = Dense.Sub(a, r0 + b, j0, rows - b, b);
            Gemm.Multiply(1.0, v2.Transposed(), v2, 1.0, gram.Span, Parallelism.Sequential);
        }
        TFromGram(gram, tau, t);
    }

    /// <summary>The upper-triangular T of the compact WY form of H₀…H_{b−1} = I − V·T·Vᵀ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DenseMatrix BuildT(PooledMatrix v, ReadOnlySpan<double> tau)
    {
        var t = new DenseMatrix(v.Columns, v.Columns);
        BuildT(v, tau, t.Data);
        return t;
    }

    /// <summary>
    /// <see cref="BuildT(PooledMatrix, ReadOnlySpan{double})"/> into <paramref name="t"/> (b×b row-major, zero on entry),
    /// its scratch pooled: for callers that build a T per block and drop it (fresh small arrays each block cost page
    /// faults when the collector hands out new memory).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BuildT(PooledMatrix v, ReadOnlySpan<double> tau, Span<double> t)
    {
        int b = v.Columns;
        // S = Vᵀ·V in one GEMM (β = 0: the pooled contents are not read); then z = V[:, 0..i]ᵀ·vᵢ is S[0..i, i].
        using var gram = new PooledMatrix(b, b, clear: false);
        Gemm.Multiply(1.0, v.ReadOnlySpan, MatrixOp.Transpose, v.ReadOnlySpan, MatrixOp.None, 0.0, gram.Span, Parallelism.Sequential);
        TFromGram(gram, tau, t);
    }

    /// <summary>larft's recurrence on the Gram matrix S = VᵀV: T[0..i, i] = −τᵢ · T[0..i, 0..i] · S[0..i, i], T[i, i] = τᵢ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TFromGram(PooledMatrix gram, ReadOnlySpan<double> tau, Span<double> t)
    {
        int b = gram.Columns;
        using var columnScratch = new PooledMatrix(1, b, clear: false);
        var column = columnScratch.Elements;
        for (int i = 0; i < b; i++)
        {
            t[i * b + i] = tau[i];
            if (tau[i] == 0) continue;
            // T[0..i, i] = −τᵢ · T[0..i, 0..i] · S[0..i, i]: row p of the upper-triangular T against S[p..i, i].
            for (int q = 0; q < i; q++) column[q] = gram[q, i];
            for (int p = 0; p < i; p++)
                t[p * b + i] = -tau[i] * Dense.Dot<double>(t.Slice(p * b + p, i - p), column.Slice(p, i - p));
        }
    }

    /// <summary>C ← (I − V·T·Vᵀ)·C, or with Tᵀ when <paramref name="transpose"/> (that is, C ← Hᵀ·C). C has V.Rows rows.</summary>
    public static void ApplyBlock(PooledMatrix v, DenseMatrix t, bool transpose, MatrixSpan<double> c, Parallelism parallelism) =>
        ApplyBlock(v, t.ReadOnlySpan, transpose, c, parallelism);

    /// <summary>C ← (I − V·T·Vᵀ)·C with T given as a view (e.g. pooled scratch); see <see cref="ApplyBlock(PooledMatrix, DenseMatrix, bool, MatrixSpan{double}, Parallelism)"/>.</summary>
    internal static void ApplyBlock(PooledMatrix v, ReadOnlyMatrixSpan<double> t, bool transpose, MatrixSpan<double> c, Parallelism parallelism)
    {
        int b = v.Columns, r = c.Columns;
        if (b == 0 || r == 0 || c.Rows == 0) return;
        using var w = new PooledMatrix(b, r);
        Gemm.Multiply(1.0, v.ReadOnlySpan, MatrixOp.Transpose, c, MatrixOp.None, 0.0, w.Span, parallelism);
        using var tw = new PooledMatrix(b, r);
        Gemm.Multiply(1.0, t, transpose ? MatrixOp.Transpose : MatrixOp.None, w.ReadOnlySpan, MatrixOp.None, 0.0, tw.Span, parallelism);
        Gemm.Multiply(-1.0, v.ReadOnlySpan, tw.ReadOnlySpan, 1.0, c, parallelism);
    }

    private static Span<double> RowOf(MatrixSpan<double> a, int i, int c0, int width) => a.Data.Slice(a.Offset + i * a.RowStride + c0 * a.ColumnStride, width);
}
