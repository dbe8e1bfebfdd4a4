using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The fast Householder QR behind <see cref="Qr"/>: blocked over panels of nb columns, each panel factored by the
/// recursive algorithm of Elmroth and Gustavson (2000), which also yields the panel's compact WY factor T
/// (H₀·…·H_{nb−1} = I − V·T·Vᵀ) as a by-product:
/// <code>
/// panel(A = [A₁ A₂]):  (V₁, T₁₁) = panel(A₁)                            (left half)
///                      A₂ ← (I − V₁·T₁₁·V₁ᵀ)ᵀ·A₂ = A₂ − V₁·(T₁₁ᵀ·(V₁ᵀ·A₂))  (three GEMMs)
///                      (V₂, T₂₂) = panel(A₂ below the first half's rows)  (right half)
///                      T₁₂ = −T₁₁·(V₁ᵀ·V₂)·T₂₂                             (GEMMs)
/// leaf (≤ 8 columns):  one reflector at a time on a packed copy whose rows are one 8-wide vector each, two passes
///                      over the rows per column: w = Σᵢ vᵢ·rowᵢ (also giving V[:, 0..j]ᵀ·vⱼ for T), then
///                      rowᵢ −= τ·vᵢ·w fused with the squared norms of the next column.
/// trailing update:     A_trail ← A_trail − V·(Tᵀ·(Vᵀ·A_trail))             (three GEMMs)
/// </code>
/// While V feeds a GEMM its top triangle (which holds R) is swapped out for the unit lower form (ones on the
/// diagonal, zeros above) and swapped back after, so V is read in place without a copy.
/// The T factors of the panels are returned for forming Q (<see cref="Qr.ThinQ()"/>) and applying it.
/// </summary>
internal static class RecursiveQr
{
    /// <summary>Columns of a leaf: one Vector512 of doubles per row.</summary>
    public const int Leaf = 8;

    /// <summary>
    /// Factors f (m×n) in place: R on and above the diagonal, the reflectors below, τ in <paramref name="tau"/>.
    /// Returns the T factor (jb×jb, upper triangular) of each panel of <paramref name="blockSize"/> columns.
    /// </summary>
    public static double[][] FactorInPlace(MatrixSpan<double> f, Span<double> tau, Parallelism parallelism, int blockSize)
    {
        int m = f.Rows, n = f.Columns, k = Math.Min(m, n);
        int blocks = k == 0 ? 0 : (k + blockSize - 1) / blockSize;
        var ts = new double[blocks][];
        if (k == 0) return ts;
        double[] leaf = ArrayPool<double>.Shared.Rent(m * Leaf);
        double[] saved = ArrayPool<double>.Shared.Rent(blockSize * blockSize);
        try
        {
            for (int b = 0; b < blocks; b++)
            {
                int j0 = b * blockSize, jb = Math.Min(blockSize, k - j0), j1 = j0 + jb;
                var t = new double[jb * jb];
                var tv = new MatrixSpan<double>(t, jb, jb);
                Panel(f, j0, j0, jb, tau, tv, parallelism, leaf);
                ts[b] = t;
                if (j1 < n)
                {
                    var v = Dense.Sub(f, j0, j0, m - j0, jb);
                    UnitTop(v, saved);
                    ApplyTransposedBlock(v, tv, Dense.Sub(f, j0, j1, m - j0, n - j1), parallelism);
                    Restore(v, saved);
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(leaf);
            ArrayPool<double>.Shared.Return(saved);
        }
        return ts;
    }

    /// <summary>C ← (I − V·T·Vᵀ)ᵀ·C = C − V·(Tᵀ·(Vᵀ·C)) with V in unit form (m'×b), T b×b, C m'×r.</summary>
    public static void ApplyTransposedBlock(ReadOnlyMatrixSpan<double> v, ReadOnlyMatrixSpan<double> t, MatrixSpan<double> c, Parallelism parallelism) =>
        ApplyBlock(v, t.Transposed(), c, parallelism);

    /// <summary>C ← (I − V·T·Vᵀ)·C = C − V·(T·(Vᵀ·C)) with V in unit form (m'×b), T b×b (or its transpose view), C m'×r.</summary>
    public static void ApplyBlock(ReadOnlyMatrixSpan<double> v, ReadOnlyMatrixSpan<double> t, MatrixSpan<double> c, Parallelism parallelism)
    {
        int b = v.Columns, r = c.Columns;
        if (b == 0 || r == 0 || c.Rows == 0) return;
        double[] buf = ArrayPool<double>.Shared.Rent(2 * b * r);
        try
        {
            var w = new MatrixSpan<double>(buf, 0, b, r, r, 1);
            var tw = new MatrixSpan<double>(buf, b * r, b, r, r, 1);
            Gemm.Multiply(1.0, v.Transposed(), c, 0.0, w, parallelism);
            Gemm.Multiply(1.0, t, w, 0.0, tw, parallelism);
            Gemm.Multiply(-1.0, v, tw, 1.0, c, parallelism);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buf);
        }
    }

    /// <summary>
    /// Factors columns [c0, c0 + w) of rows [r0, m) (r0 = c0 inside the outer loop; w ≤ m − r0) and writes the panel's
    /// T into <paramref name="t"/> (w×w, upper triangular, zeros below).
    /// </summary>
    private static void Panel(MatrixSpan<double> f, int r0, int c0, int w, Span<double> tau, MatrixSpan<double> t, Parallelism parallelism, double[] leaf)
    {
        int m = f.Rows;
        if (w <= Leaf)
        {
            LeafFactor(f, r0, c0, w, tau, t, leaf);
            return;
        }
        int w1 = w / 2 >= Leaf ? w / 2 / Leaf * Leaf : w / 2, w2 = w - w1;
        var t11 = Dense.Sub(t, 0, 0, w1, w1);
        var t22 = Dense.Sub(t, w1, w1, w2, w2);
        var t12 = Dense.Sub(t, 0, w1, w1, w2);
        Panel(f, r0, c0, w1, tau, t11, parallelism, leaf);
        double[] saved1 = ArrayPool<double>.Shared.Rent(w1 * w1), saved2 = ArrayPool<double>.Shared.Rent(w2 * w2);
        double[] buf = ArrayPool<double>.Shared.Rent(2 * w1 * w2);
        try
        {
            // A₂ ← A₂ − V₁·(T₁₁ᵀ·(V₁ᵀ·A₂))
            var v1 = Dense.Sub(f, r0, c0, m - r0, w1);
            UnitTop(v1, saved1);
            ApplyTransposedBlock(v1, t11, Dense.Sub(f, r0, c0 + w1, m - r0, w2), parallelism);
            Restore(v1, saved1);
            Panel(f, r0 + w1, c0 + w1, w2, tau, t22, parallelism, leaf);
            // T₁₂ = −T₁₁·(V₁ᵀ·V₂)·T₂₂, where V₂ starts w1 rows below V₁ (V₁'s rows there are plain reflector entries).
            var v2 = Dense.Sub(f, r0 + w1, c0 + w1, m - r0 - w1, w2);
            UnitTop(v2, saved2);
            var x = new MatrixSpan<double>(buf, 0, w1, w2, w2, 1);
            var y = new MatrixSpan<double>(buf, w1 * w2, w1, w2, w2, 1);
            Gemm.Multiply(1.0, Dense.Sub(f, r0 + w1, c0, m - r0 - w1, w1).AsReadOnly().Transposed(), v2, 0.0, x, parallelism);
            Restore(v2, saved2);
            Gemm.Multiply(1.0, t11, x, 0.0, y, parallelism);
            Gemm.Multiply(-1.0, y, t22, 0.0, t12, parallelism);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(saved1);
            ArrayPool<double>.Shared.Return(saved2);
            ArrayPool<double>.Shared.Return(buf);
        }
    }

    /// <summary>Stores the top w×w upper triangle of <paramref name="v"/> (R) in <paramref name="saved"/> and writes the unit form there.</summary>
    public static void UnitTop(MatrixSpan<double> v, Span<double> saved)
    {
        int b = v.Columns;
        for (int i = 0; i < b; i++)
        {
            ref double d = ref v[i, i];
            saved[i * b + i] = d;
            d = 1;
            for (int j = i + 1; j < b; j++)
            {
                ref double x = ref v[i, j];
                saved[i * b + j] = x;
                x = 0;
            }
        }
    }

    /// <summary>Puts back the triangle saved by <see cref="UnitTop"/>.</summary>
    public static void Restore(MatrixSpan<double> v, ReadOnlySpan<double> saved)
    {
        int b = v.Columns;
        for (int i = 0; i < b; i++)
            for (int j = i; j < b; j++) v[i, j] = saved[i * b + j];
    }

    /// <summary>
    /// The leaf: columns [c0, c0 + w) of rows [r0, m), w ≤ 8, one reflector at a time (LAPACK's geqr2 with larfg) on a
    /// packed copy with one 8-wide vector per row, and the leaf's T from the same passes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LeafFactor(MatrixSpan<double> f, int r0, int c0, int w, Span<double> tau, MatrixSpan<double> t, double[] buffer)
    {
        int rows = f.Rows - r0;
        var p = buffer.AsSpan(0, rows * Leaf);
        // Pack: row i of the leaf is p[8i .. 8i + 8), lanes ≥ w zero.
        for (int i = 0; i < rows; i++)
        {
            var src = f.Data.Slice(f.Offset + (r0 + i) * f.RowStride + c0 * f.ColumnStride);
            var dst = p.Slice(i * Leaf, Leaf);
            // A full contiguous leaf row is one vector load (a CopyTo per 8-element row cost ~4% of QR in memmove calls).
            if (f.ColumnStride == 1 && w == Leaf) Vector512.Create<double>(src).CopyTo(dst);
            else
            {
                for (int c = 0; c < w; c++) dst[c] = src[c * f.ColumnStride];
                dst[w..].Clear();
            }
        }
        ref double p0 = ref p[0];
        // sq: lane j holds Σ_{i > j} p[i, j]² for the next column j (rows below its diagonal).
        var sq = Vector512<double>.Zero;
        for (int i = 1; i < rows; i++)
        {
            var r = Vector512.LoadUnsafe(ref p0, (nuint)(i * Leaf));
            sq = Vector512.FusedMultiplyAdd(r, r, sq);
        }
        Span<double> z = stackalloc double[Leaf];
        for (int j = 0; j < w; j++)
        {
            double alpha = p[j * Leaf + j];
            double ss = sq.GetElement(j);
            double xnorm = ss is > 1e-280 and < 1e280 ? Math.Sqrt(ss) : ScaledColumnNorm(p, j, rows);
            var lanesAfterJ = Vector512.GreaterThan(Vector512.Create(0.0, 1, 2, 3, 4, 5, 6, 7), Vector512.Create((double)j));
            if (xnorm == 0)
            {
                // H = I: τ = 0, nothing to update; T's column j is zero (and τ on the diagonal is 0).
                tau[j + c0] = 0;
                for (int q = 0; q <= j; q++) t[q, j] = 0;
                sq = Vector512<double>.Zero;
                for (int i = j + 2; i < rows; i++)
                {
                    var r = Vector512.LoadUnsafe(ref p0, (nuint)(i * Leaf));
                    sq = Vector512.FusedMultiplyAdd(r, r, sq);
                }
                continue;
            }
            double beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
            double tj = (beta - alpha) / beta;
            double inv = 1.0 / (alpha - beta);
            tau[j + c0] = tj;
            // Pass 1: vᵢ = xᵢ/(α − β) stored in lane j; acc = row_j + Σ_{i>j} vᵢ·rowᵢ, whose lanes > j are
            // vⱼᵀ·A[:, lanes] and whose lanes < j are V[:, lanes]ᵀ·vⱼ (the column of VᵀV that T needs).
            var acc = Vector512.LoadUnsafe(ref p0, (nuint)(j * Leaf));
            var acc2 = Vector512<double>.Zero;
            int ii = j + 1;
            for (; ii + 1 < rows; ii += 2)
            {
                var ra = Vector512.LoadUnsafe(ref p0, (nuint)(ii * Leaf));
                var rb = Vector512.LoadUnsafe(ref p0, (nuint)((ii + 1) * Leaf));
                double va = p[ii * Leaf + j] * inv, vb = p[(ii + 1) * Leaf + j] * inv;
                acc = Vector512.FusedMultiplyAdd(Vector512.Create(va), ra, acc);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(vb), rb, acc2);
                p[ii * Leaf + j] = va;
                p[(ii + 1) * Leaf + j] = vb;
            }
            if (ii < rows)
            {
                var ra = Vector512.LoadUnsafe(ref p0, (nuint)(ii * Leaf));
                double va = p[ii * Leaf + j] * inv;
                acc = Vector512.FusedMultiplyAdd(Vector512.Create(va), ra, acc);
                p[ii * Leaf + j] = va;
            }
            acc += acc2;
            // T[0..j, j] = −τⱼ·T[0..j, 0..j]·(V[:, 0..j]ᵀ·vⱼ), T[j, j] = τⱼ (larft, forward, columnwise).
            for (int q = 0; q < j; q++) z[q] = acc.GetElement(q);
            for (int q = 0; q < j; q++)
            {
                double s = 0;
                for (int u = q; u < j; u++) s += t[q, u] * z[u];
                t[q, j] = -tj * s;
            }
            t[j, j] = tj;
            for (int q = j + 1; q < w; q++) t[q, j] = 0;
            // Pass 2: rowᵢ −= vᵢ·(τ·acc) on lanes > j (row j's v is 1), with the next column's squared norm.
            var wv = Vector512.ConditionalSelect(lanesAfterJ, acc * tj, Vector512<double>.Zero);
            var rowJ = Vector512.LoadUnsafe(ref p0, (nuint)(j * Leaf)) - wv;
            rowJ.StoreUnsafe(ref p0, (nuint)(j * Leaf));
            p[j * Leaf + j] = beta;
            var s0 = Vector512<double>.Zero;
            var s1 = Vector512<double>.Zero;
            if (j + 1 < rows)
            {
                var r = Vector512.LoadUnsafe(ref p0, (nuint)((j + 1) * Leaf));
                r = Vector512.FusedMultiplyAdd(-Vector512.Create(p[(j + 1) * Leaf + j]), wv, r);
                r.StoreUnsafe(ref p0, (nuint)((j + 1) * Leaf));
            }
            ii = j + 2;
            for (; ii + 1 < rows; ii += 2)
            {
                var ra = Vector512.LoadUnsafe(ref p0, (nuint)(ii * Leaf));
                var rb = Vector512.LoadUnsafe(ref p0, (nuint)((ii + 1) * Leaf));
                ra = Vector512.FusedMultiplyAdd(-Vector512.Create(p[ii * Leaf + j]), wv, ra);
                rb = Vector512.FusedMultiplyAdd(-Vector512.Create(p[(ii + 1) * Leaf + j]), wv, rb);
                ra.StoreUnsafe(ref p0, (nuint)(ii * Leaf));
                rb.StoreUnsafe(ref p0, (nuint)((ii + 1) * Leaf));
                s0 = Vector512.FusedMultiplyAdd(ra, ra, s0);
                s1 = Vector512.FusedMultiplyAdd(rb, rb, s1);
            }
            if (ii < rows)
            {
                var ra = Vector512.LoadUnsafe(ref p0, (nuint)(ii * Leaf));
                ra = Vector512.FusedMultiplyAdd(-Vector512.Create(p[ii * Leaf + j]), wv, ra);
                ra.StoreUnsafe(ref p0, (nuint)(ii * Leaf));
                s0 = Vector512.FusedMultiplyAdd(ra, ra, s0);
            }
            sq = s0 + s1;
        }
        // Unpack.
        for (int i = 0; i < rows; i++)
        {
            var dst = f.Data.Slice(f.Offset + (r0 + i) * f.RowStride + c0 * f.ColumnStride);
            var src = p.Slice(i * Leaf, w);
            if (f.ColumnStride == 1 && w == Leaf) Vector512.Create<double>(src).CopyTo(dst);
            else for (int c = 0; c < w; c++) dst[c * f.ColumnStride] = src[c];
        }
    }

    /// <summary>‖x‖ of lane j below row j, scaled by the largest magnitude so that squares neither overflow nor underflow.</summary>
    private static double ScaledColumnNorm(Span<double> p, int j, int rows)
    {
        double scale = 0;
        for (int i = j + 1; i < rows; i++) scale = Math.Max(scale, Math.Abs(p[i * Leaf + j]));
        if (scale == 0 || !double.IsFinite(scale)) return scale == 0 ? 0 : double.IsNaN(scale) ? double.NaN : double.PositiveInfinity;
        double s = 0;
        for (int i = j + 1; i < rows; i++) { double x = p[i * Leaf + j] / scale; s += x * x; }
        return scale * Math.Sqrt(s);
    }
}
