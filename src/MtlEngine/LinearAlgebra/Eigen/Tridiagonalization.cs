using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Householder tridiagonalization Qᵀ·A·Q = T of a symmetric matrix, Q = H₀·H₁·…·H_{n−3}, H_j = I − τ_j·v_j·v_jᵀ with
/// v_j zero before index j + 1 and v_j[j + 1] = 1. The matrix is held row-major with only its <b>upper</b> triangle
/// meaningful (row j, columns j..n−1 — by symmetry the lower column j, but contiguous), and reflector j is stored in
/// row j after the step (v_j[j + 2..] in columns j + 2..).
/// <para>
/// <see cref="Blocked(double[], int, double[], double[], double[], Parallelism, SymmetricEigenWorkspace?)"/> is LAPACK's dsytrd/dlatrd: a panel of NB columns is reduced using A₂₂ as it was before the
/// panel, corrected on the fly, while it builds W (row i: w_i = τ·A₂₂·v_i − τ/2·(…)·v_i minus the corrections of the
/// earlier panel columns); then the trailing block takes the whole panel at once in a symmetric rank-2k update
/// A₂₂ −= V·Wᵀ + W·Vᵀ, computed as GEMMs with inner dimension 2·NB on strips of the upper triangle. Half the flops
/// are in that update; the other half are the products A₂₂·v, done by <see cref="SymmetricMultiply{TPath}"/> which reads the
/// stored triangle once (each element used for a row dot product and a column update).
/// </para>
/// <see cref="Unblocked"/> (LAPACK's sytd2 on a full symmetric matrix: one rank-2 update per column) is the textbook twin.
/// </summary>
internal static class Tridiagonalization
{
    /// <summary>
    /// Panel width. LAPACK's ilaenv default for dsytrd is 32; at n = 512 on one thread 24 measured best (reduction 6.7 ms,
    /// against 7.4 for 32, 7.8 for 16 and 8.6 for 48): the panel's corrections re-read V and W, which grow with the width.
    /// </summary>
    private const int NB = 24;

    /// <summary>The last columns are one panel without a trailing update once at most NB + NX of them are left.</summary>
    private const int NX = 64;

    /// <summary>Row strip height of the trailing rank-2k update (each strip is one GEMM over its part of the upper triangle).</summary>
    private const int Strip = 96;

    /// <summary>Fixed row-chunk size of <see cref="SymmetricMultiply{TPath}"/>; the partition (and so the rounding) does not depend on the thread count.</summary>
    private const int Chunk = 64;

    /// <summary>
    /// Reduces the upper triangle of the row-major n×n <paramref name="a"/> to T (diagonal <paramref name="d"/>, off-diagonal
    /// <paramref name="e"/>, e[j] couples j and j + 1); reflector j ends in row j (see the class summary), τ_j in <paramref name="tau"/> (length n − 2).
    /// The lower triangle of <paramref name="a"/> is scratch (it need not hold anything on entry). The panel buffers come
    /// from <paramref name="workspace"/>, or are rented from the array pool for this call when it is null.
    /// </summary>
    public static void Blocked(double[] a, int n, double[] d, double[] e, double[] tau, Parallelism parallelism, SymmetricEigenWorkspace? workspace = null) =>
        Blocked<NativeVectors>(a, n, d, e, tau, parallelism, workspace);

    /// <summary>
    /// <see cref="Blocked(double[], int, double[], double[], double[], Parallelism, SymmetricEigenWorkspace?)"/> with the
    /// vector width of <typeparamref name="TPath"/> in every kernel of the panel (the trailing GEMMs choose their own).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Blocked<TPath>(double[] a, int n, double[] d, double[] e, double[] tau, Parallelism parallelism, SymmetricEigenWorkspace? workspace = null)
        where TPath : struct, IVectorPath
    {
        if (n == 0) return;
        var ws = workspace ?? SymmetricEigenWorkspace.Rented();
        try
        {
            int maxWidth = Math.Min(n, NB + NX);
            // Panel buffers: rows [0, w) of vw are V, rows [w, 2w) are W; wv is the same two stacked the other way round.
            // None needs clearing: Panel clears the part of vw it uses, and wv and partial are written before they are read.
            var vw = ws.Buffer(ref ws.PanelBuffer, 2 * maxWidth * n);
            var wv = ws.Buffer(ref ws.SwappedPanelBuffer, 2 * NB * n);
            var partial = ws.Buffer(ref ws.PartialBuffer, ((n + Chunk - 1) / Chunk) * n);
            // y, then the two length-n vectors of the threaded symmetric product.
            var vectors = ws.Buffer(ref ws.VectorBuffer, 3 * n);
            var t1 = new double[maxWidth];
            var t2 = new double[maxWidth];
            for (int k = 0; k < n;)
            {
                int width = n - k > NB + NX ? NB : n - k;
                Panel<TPath>(a, n, k, width, d, e, tau, vw, vectors, partial, t1, t2, parallelism);
                int s = k + width;
                if (s < n)
                    TrailingUpdate(a, n, s, width, vw, wv, parallelism);
                k = s;
            }
        }
        finally
        {
            if (workspace is null) ws.ReturnRented();
        }
    }

    /// <summary>
    /// Reduces rows k..k + width − 1 against the stale trailing block, filling V (rows 0..width) and W (rows width..2·width) of
    /// <paramref name="vw"/>. <paramref name="vectors"/> (3n): y = A₂₂·v in [0, n), the threaded product's scratch after it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel<TPath>(double[] a, int n, int k, int width, double[] d, double[] e, double[] tau, double[] vw, double[] vectors,
        double[] partial, double[] t1, double[] t2, Parallelism parallelism)
        where TPath : struct, IVectorPath
    {
        int wOffset = width * n;
        Array.Clear(vw, 0, 2 * width * n);
        for (int i = 0; i < width; i++)
        {
            int j = k + i;
            // Row j of the current matrix: A[j, j..] −= Σ_{c<i} V_c[j..]·W_c[j] + W_c[j..]·V_c[j].
            var row = a.AsSpan(j * n + j, n - j);
            for (int c = 0; c < i; c++)
            {
                t1[c] = vw[wOffset + c * n + j];
                t2[c] = vw[c * n + j];
            }
            SubtractPanel<TPath>(row, vw, n, wOffset, i, j, t1, t2);
            d[j] = row[0];
            if (j == n - 1) break;
            int len = n - j - 1;
            var x = row[1..];
            var v = vw.AsSpan(i * n + j + 1, len);
            var w = vw.AsSpan(wOffset + i * n + j + 1, len);
            // The reflector (larfg): β = −sign(α)·‖x‖, τ = (β − α)/β, v = [1, x[1..]/(α − β)].
            double alpha = x[0], xnorm = Dense.Norm2(x[1..]);
            v[0] = 1;
            if (xnorm == 0)
            {
                e[j] = alpha;
                if (j < n - 2) tau[j] = 0;
                continue; // H = I: v = e_{j+1} with w = 0 adds nothing to later rows.
            }
            double beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
            double t = (beta - alpha) / beta;
            double inv = 1.0 / (alpha - beta);
            for (int p = 1; p < len; p++) v[p] = x[p] * inv;
            v[1..].CopyTo(x[1..]);
            x[0] = beta;
            e[j] = beta;
            tau[j] = t;
            // w = A₂₂·v with the stale A₂₂, then the panel's corrections: − Σ V_c·(W_cᵀv) − W_c·(V_cᵀv).
            var yv = vectors.AsSpan(0, len);
            SymmetricMultiply<TPath>(a, n, j + 1, v, yv, partial, vectors, n, parallelism);
            PanelDots<TPath>(vw, n, wOffset, i, j + 1, v, t1, t2);
            SubtractPanel<TPath>(yv, vw, n, wOffset, i, j + 1, t1, t2);
            // w = τ·y − (τ/2)(τ·yᵀv)·v.
            Dense.Scale(t, yv);
            double half = -0.5 * t * Dense.Dot(yv, v);
            yv.CopyTo(w);
            Dense.Axpy(half, v, w);
        }
    }

    /// <summary>
    /// y[p] −= Σ_{c&lt;count} (α_c·V_c[start + p] + β_c·W_c[start + p]) with V_c row c and W_c row <paramref name="wOffset"/>/n + c of
    /// <paramref name="vw"/> (row stride n): a column-major GEMV over the panel, y loaded and stored once per vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SubtractPanel<TPath>(Span<double> y, double[] vw, int n, int wOffset, int count, int start, ReadOnlySpan<double> alpha, ReadOnlySpan<double> beta)
        where TPath : struct, IVectorPath
    {
        if (count == 0) return;
        int len = y.Length, p = 0;
        // The last row read is count − 1 of each part; its bounds are checked once here (the loop reads unchecked).
        _ = vw[wOffset + (count - 1) * n + start + len - 1];
        _ = alpha[count - 1];
        _ = beta[count - 1];
        ref double v0r = ref vw[start];
        ref double w0r = ref vw[wOffset + start];
        if (TPath.Wide)
            p = SubtractPanel<Vector512<double>, SimdLanes512<double>>(y, ref v0r, ref w0r, n, count, alpha, beta);
        else if (TPath.Fma256)
            p = SubtractPanel<Vector256<double>, SimdLanes256<double>>(y, ref v0r, ref w0r, n, count, alpha, beta);
        for (; p < len; p++)
        {
            double acc = y[p];
            for (int c = 0; c < count; c++)
                acc = Math.FusedMultiplyAdd(vw[c * n + start + p], -alpha[c], Math.FusedMultiplyAdd(vw[wOffset + c * n + start + p], -beta[c], acc));
            y[p] = acc;
        }
    }

    /// <summary>
    /// The vector part of <see cref="SubtractPanel{TPath}"/> on vectors <typeparamref name="TV"/>: y[p..] −= Σ_c α_c·V_c + β_c·W_c
    /// with V_c at <paramref name="v0r"/> + c·n and W_c at <paramref name="w0r"/> + c·n, four vectors at a time in eight
    /// independent accumulators (V and W parts apart, so that FMA latency does not bind), then one vector at a time; returns
    /// where the scalar tail starts. The JIT compiles it once per width. Without the 256-bit form this loop ran scalar on AVX2
    /// and was the largest AVX2 cost of the n = 512 decomposition (12 % of its samples, 11× the AVX-512 loop's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int SubtractPanel<TV, TL>(Span<double> y, ref double v0r, ref double w0r, int n, int count, ReadOnlySpan<double> alpha, ReadOnlySpan<double> beta)
        where TV : struct where TL : struct, ISimdLanes<double, TV>
    {
        int len = y.Length, p = 0, width = TL.Count;
        ref double yp = ref MemoryMarshal.GetReference(y);
        for (; p + 4 * width <= len; p += 4 * width)
        {
            TV v0 = TL.Broadcast(0), v1 = TL.Broadcast(0), v2 = TL.Broadcast(0), v3 = TL.Broadcast(0);
            TV w0 = TL.Broadcast(0), w1 = TL.Broadcast(0), w2 = TL.Broadcast(0), w3 = TL.Broadcast(0);
            for (int c = 0; c < count; c++)
            {
                var a = TL.Broadcast(alpha[c]);
                var b = TL.Broadcast(beta[c]);
                nuint o = (nuint)(c * n + p);
                v0 = TL.MultiplyAdd(TL.Load(ref v0r, o), a, v0);
                v1 = TL.MultiplyAdd(TL.Load(ref v0r, o + (nuint)width), a, v1);
                v2 = TL.MultiplyAdd(TL.Load(ref v0r, o + (nuint)(2 * width)), a, v2);
                v3 = TL.MultiplyAdd(TL.Load(ref v0r, o + (nuint)(3 * width)), a, v3);
                w0 = TL.MultiplyAdd(TL.Load(ref w0r, o), b, w0);
                w1 = TL.MultiplyAdd(TL.Load(ref w0r, o + (nuint)width), b, w1);
                w2 = TL.MultiplyAdd(TL.Load(ref w0r, o + (nuint)(2 * width)), b, w2);
                w3 = TL.MultiplyAdd(TL.Load(ref w0r, o + (nuint)(3 * width)), b, w3);
            }
            nuint q = (nuint)p;
            TL.Store(TL.Subtract(TL.Load(ref yp, q), TL.Add(v0, w0)), ref yp, q);
            TL.Store(TL.Subtract(TL.Load(ref yp, q + (nuint)width), TL.Add(v1, w1)), ref yp, q + (nuint)width);
            TL.Store(TL.Subtract(TL.Load(ref yp, q + (nuint)(2 * width)), TL.Add(v2, w2)), ref yp, q + (nuint)(2 * width));
            TL.Store(TL.Subtract(TL.Load(ref yp, q + (nuint)(3 * width)), TL.Add(v3, w3)), ref yp, q + (nuint)(3 * width));
        }
        for (; p + width <= len; p += width)
        {
            TV v0 = TL.Broadcast(0), w0 = TL.Broadcast(0);
            for (int c = 0; c < count; c++)
            {
                nuint o = (nuint)(c * n + p);
                v0 = TL.MultiplyAdd(TL.Load(ref v0r, o), TL.Broadcast(alpha[c]), v0);
                w0 = TL.MultiplyAdd(TL.Load(ref w0r, o), TL.Broadcast(beta[c]), w0);
            }
            TL.Store(TL.Subtract(TL.Load(ref yp, (nuint)p), TL.Add(v0, w0)), ref yp, (nuint)p);
        }
        return p;
    }

    /// <summary>
    /// t1[c] = W_c[start..]·v and t2[c] = V_c[start..]·v for c &lt; <paramref name="count"/> (rows of <paramref name="vw"/> as in
    /// <see cref="SubtractPanel{TPath}"/>): two panel columns (four rows) per pass, so v is loaded once for four dot products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PanelDots<TPath>(double[] vw, int n, int wOffset, int count, int start, ReadOnlySpan<double> v, Span<double> t1, Span<double> t2)
        where TPath : struct, IVectorPath
    {
        int len = v.Length, c = 0;
        bool wide = TPath.Wide && len >= Vector512<double>.Count;
        if (count >= 2 && (wide || (TPath.Fma256 && len >= Vector256<double>.Count)))
        {
            // The last row read is count − 1 of each part; its bounds are checked once here (the loop reads unchecked).
            _ = vw[wOffset + (count - 1) * n + start + len - 1];
            _ = t1[count - 1];
            _ = t2[count - 1];
            ref double v0r = ref vw[start];
            ref double w0r = ref vw[wOffset + start];
            c = wide
                ? PanelDots<Vector512<double>, SimdLanes512<double>>(ref v0r, ref w0r, n, count, v, t1, t2)
                : PanelDots<Vector256<double>, SimdLanes256<double>>(ref v0r, ref w0r, n, count, v, t1, t2);
        }
        for (; c < count; c++)
        {
            t1[c] = Dense.Dot(vw.AsSpan(wOffset + c * n + start, len), v);
            t2[c] = Dense.Dot(vw.AsSpan(c * n + start, len), v);
        }
    }

    /// <summary>
    /// The vector part of <see cref="PanelDots{TPath}"/> on vectors <typeparamref name="TV"/>, two columns c, c + 1 per pass
    /// (V_c at <paramref name="v0r"/> + c·n, W_c at <paramref name="w0r"/> + c·n), each dot product in its own accumulator and its
    /// tail added in order; returns the first column left to the caller (count is odd). The JIT compiles it once per width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int PanelDots<TV, TL>(ref double v0r, ref double w0r, int n, int count, ReadOnlySpan<double> v, Span<double> t1, Span<double> t2)
        where TV : struct where TL : struct, ISimdLanes<double, TV>
    {
        int len = v.Length, c = 0, width = TL.Count;
        ref double rv = ref MemoryMarshal.GetReference(v);
        nuint next = (nuint)n;
        for (; c + 2 <= count; c += 2)
        {
            ref double va = ref Unsafe.Add(ref v0r, (nuint)(c * n));
            ref double wa = ref Unsafe.Add(ref w0r, (nuint)(c * n));
            TV sv0 = TL.Broadcast(0), sw0 = TL.Broadcast(0), sv1 = TL.Broadcast(0), sw1 = TL.Broadcast(0);
            int p = 0;
            for (; p + width <= len; p += width)
            {
                nuint o = (nuint)p;
                var x = TL.Load(ref rv, o);
                sv0 = TL.MultiplyAdd(TL.Load(ref va, o), x, sv0);
                sw0 = TL.MultiplyAdd(TL.Load(ref wa, o), x, sw0);
                sv1 = TL.MultiplyAdd(TL.Load(ref va, o + next), x, sv1);
                sw1 = TL.MultiplyAdd(TL.Load(ref wa, o + next), x, sw1);
            }
            double dv0 = TL.Sum(sv0), dw0 = TL.Sum(sw0), dv1 = TL.Sum(sv1), dw1 = TL.Sum(sw1);
            for (; p < len; p++)
            {
                nuint o = (nuint)p;
                double x = Unsafe.Add(ref rv, o);
                dv0 += Unsafe.Add(ref va, o) * x;
                dw0 += Unsafe.Add(ref wa, o) * x;
                dv1 += Unsafe.Add(ref va, o + next) * x;
                dw1 += Unsafe.Add(ref wa, o + next) * x;
            }
            t1[c] = dw0;
            t2[c] = dv0;
            t1[c + 1] = dw1;
            t2[c + 1] = dv1;
        }
        return c;
    }

    /// <summary>A[s.., s..] −= V·Wᵀ + W·Vᵀ on the upper triangle: per row strip, C = −[V; W]ᵀ[strip]·[W; V][strip..] + C.</summary>
    private static void TrailingUpdate(double[] a, int n, int s, int width, double[] vw, double[] wv, Parallelism parallelism)
    {
        int m = n - s;
        // [W; V] from [V; W], columns s.. only.
        for (int r = 0; r < width; r++)
        {
            vw.AsSpan(width * n + r * n + s, m).CopyTo(wv.AsSpan(r * n + s, m));
            vw.AsSpan(r * n + s, m).CopyTo(wv.AsSpan((width + r) * n + s, m));
        }
        var left = new ReadOnlyMatrixSpan<double>(vw, 0, 2 * width, n, n, 1);
        var right = new ReadOnlyMatrixSpan<double>(wv, 0, 2 * width, n, n, 1);
        var all = new MatrixSpan<double>(a, 0, n, n, n, 1);
        for (int r0 = s; r0 < n; r0 += Strip)
        {
            int rows = Math.Min(Strip, n - r0);
            var lhs = Dense.Sub(left, 0, r0, 2 * width, rows).Transposed();
            var rhs = Dense.Sub(right, 0, r0, 2 * width, n - r0);
            Gemm.Multiply(-1.0, lhs, rhs, 1.0, Dense.Sub(all, r0, r0, rows, n - r0), parallelism);
        }
    }

    /// <summary>
    /// y = A[s.., s..]·x for the symmetric trailing block whose upper triangle is stored (row-major, row stride n).
    /// Row r contributes y_r += Σ_{c≥r} a_rc·x_c and, for c &gt; r, y_c += a_rc·x_r: one pass over the triangle.
    /// Rows are cut into fixed chunks of <see cref="Chunk"/>; chunk q writes its column updates into its own partial
    /// vector, and the partials are added in chunk order, so the rounding is the same for any thread count.
    /// With more than one worker, x and y are staged in <paramref name="scratch"/>[offset .. offset + 2(n − s)) (the workers cannot share spans).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SymmetricMultiply<TPath>(double[] a, int n, int s, ReadOnlySpan<double> x, Span<double> y, double[] partial,
        double[] scratch, int offset, Parallelism parallelism)
        where TPath : struct, IVectorPath
    {
        int m = n - s;
        int chunks = (m + Chunk - 1) / Chunk;
        int workers = m >= ParallelThresholds.TridiagonalProductOrder ? Math.Min(parallelism.Degree, chunks) : 1;
        if (workers <= 1)
        {
            for (int q = 0; q < chunks; q++) SymmetricChunk<TPath>(a, n, s, q, x, y, partial);
        }
        else
        {
            x.CopyTo(scratch.AsSpan(offset, m));
            // One fork-join per column (a struct body: no closure, options or bounds array allocated per call, as
            // Parallel.For did about 260 times per n = 512 reduction).
            ForkJoin.Run(workers, new SymmetricShares<TPath>(a, n, s, partial, scratch, offset, workers));
            scratch.AsSpan(offset + m, m).CopyTo(y);
        }
        // y_c += Σ_q partial_q[c] over the chunks that start before c, in chunk order.
        for (int q = 0; q < chunks; q++)
        {
            int r0 = q * Chunk, r1 = Math.Min(m, r0 + Chunk);
            if (r1 >= m) break;
            Add(partial.AsSpan(q * n + r1, m - r1), y[r1..]);
        }
    }

    /// <summary>
    /// Worker <c>share</c>'s chunks of <see cref="SymmetricMultiply{TPath}"/>, x and y staged in scratch[offset ..] (see there).
    /// </summary>
    private readonly struct SymmetricShares<TPath>(double[] a, int n, int s, double[] partial, double[] scratch, int offset, int workers) : IShareBody
        where TPath : struct, IVectorPath
    {
        public void Run(int share)
        {
            int m = n - s;
            for (int q = ChunkBound(m, workers, share), last = ChunkBound(m, workers, share + 1); q < last; q++)
                SymmetricChunk<TPath>(a, n, s, q, scratch.AsSpan(offset, m), scratch.AsSpan(offset + m, m), partial);
        }
    }

    /// <summary>
    /// The first chunk of worker <paramref name="worker"/> (<paramref name="workers"/> for the end): chunk q holds rows of
    /// length m − r, so the chunks are split where the elements done so far first reach worker/workers of the triangle's
    /// (which worker runs a chunk does not change what it computes).
    /// </summary>
    internal static int ChunkBound(int m, int workers, int worker)
    {
        int chunks = (m + Chunk - 1) / Chunk;
        if (worker <= 0) return 0;
        if (worker >= workers) return chunks;
        double total = 0.5 * m * (m + 1.0), done = 0;
        for (int q = 0; q < chunks; q++)
        {
            int r0 = q * Chunk, r1 = Math.Min(m, r0 + Chunk);
            done += (r1 - r0) * (m - 0.5 * (r0 + r1 - 1));
            if (done >= total * worker / workers) return q + 1;
        }
        return chunks;
    }

    /// <summary>
    /// Rows [q·Chunk, …) of the trailing block: y_r for those rows (dots and the in-chunk column updates), and the column
    /// updates beyond the chunk into partial row q. With Vector512 or AVX2, rows go four at a time (<see cref="DotAxpy4{TPath}"/>): x
    /// and the updated vector are loaded and stored once for four rows of A, which halves the memory operations per element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SymmetricChunk<TPath>(double[] a, int n, int s, int q, ReadOnlySpan<double> x, Span<double> y, double[] partial)
        where TPath : struct, IVectorPath
    {
        int m = n - s, r0 = q * Chunk, r1 = Math.Min(m, r0 + Chunk);
        // Column updates that land inside the chunk go to y directly (their rows come later in the same chunk).
        var part = partial.AsSpan(q * n + r1, m - r1);
        part.Clear();
        for (int r = r0; r < r1; r++) y[r] = 0;
        int r4 = r0;
        if (TPath.Wide || TPath.Fma256)
        {
            for (; r4 + 4 <= r1; r4 += 4)
            {
                int row0 = (s + r4) * n + s;
                // The 4×4 triangle on the diagonal, element by element.
                for (int k = 0; k < 4; k++)
                {
                    double xk = x[r4 + k], sum = 0;
                    for (int c = r4 + k; c < r4 + 4; c++)
                    {
                        double v = a[row0 + k * n + c];
                        sum += v * x[c];
                        if (c > r4 + k) y[c] += v * xk;
                    }
                    y[r4 + k] += sum;
                }
                // Columns past it: inside the chunk into y, beyond it into the partial.
                var inside = DotAxpy4<TPath>(a, row0, n, r4 + 4, r1 - r4 - 4, x, y, r4, r4 + 4);
                var beyond = DotAxpy4<TPath>(a, row0, n, r1, m - r1, x, part, r4, 0);
                for (int k = 0; k < 4; k++) y[r4 + k] += inside.GetElement(k) + beyond.GetElement(k);
            }
        }
        for (int r = r4; r < r1; r++)
        {
            var row = a.AsSpan((s + r) * n + s + r, m - r);
            double xr = x[r];
            double sum = row[0] * xr;
            // Within the chunk (columns r + 1 .. r1 − 1) the column updates go straight to y, beyond it to the partial.
            int inner = r1 - r - 1;
            sum += DotAxpy<TPath>(row.Slice(1, inner), x.Slice(r + 1, inner), y.Slice(r + 1, inner), xr);
            sum += DotAxpy<TPath>(row[(inner + 1)..], x[r1..], part, xr);
            y[r] += sum;
        }
    }

    /// <summary>
    /// For the four rows starting at <paramref name="row0"/> (stride <paramref name="n"/>), columns [c0, c0 + len):
    /// returns their dots with x[c0..] and does p[p0 + i] += Σ_k a[row0 + k·n + c0 + i]·x[xr + k] — one pass over the four rows,
    /// on 512-bit vectors where <typeparamref name="TPath"/> is wide, else on 256-bit ones (AVX2 + FMA).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<double> DotAxpy4<TPath>(double[] a, int row0, int n, int c0, int len, ReadOnlySpan<double> x, Span<double> p, int xr, int p0)
        where TPath : struct, IVectorPath
    {
        if (len <= 0) return Vector256<double>.Zero;
        return TPath.Wide
            ? DotAxpy4<Vector512<double>, SimdLanes512<double>>(a, row0, n, c0, len, x, p, xr, p0)
            : DotAxpy4<Vector256<double>, SimdLanes256<double>>(a, row0, n, c0, len, x, p, xr, p0);
    }

    /// <summary>
    /// <see cref="DotAxpy4{TPath}"/> on vectors <typeparamref name="TV"/> (len ≥ 1): the four rows' dots in four accumulators and
    /// the update of p, one vector of columns at a time, then the tail in scalars. The JIT compiles it once per width. Before
    /// the four-row form, AVX2 went row by row (<see cref="DotAxpy{TPath}"/>, x and the updated vector loaded and stored once
    /// per row), 10 % of the n = 512 decomposition's samples against 6 % for the four-row pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<double> DotAxpy4<TV, TL>(double[] a, int row0, int n, int c0, int len, ReadOnlySpan<double> x, Span<double> p, int xr, int p0)
        where TV : struct where TL : struct, ISimdLanes<double, TV>
    {
        // The bounds of everything touched, checked once (the loop below reads through unchecked references).
        _ = a[row0 + 3 * n + c0 + len - 1];
        _ = x[c0 + len - 1];
        _ = p[p0 + len - 1];
        double x0 = x[xr], x1 = x[xr + 1], x2 = x[xr + 2], x3 = x[xr + 3];
        ref double ra = ref a[row0 + c0];
        ref double rx = ref MemoryMarshal.GetReference(x.Slice(c0));
        ref double rp = ref MemoryMarshal.GetReference(p.Slice(p0));
        nuint n1 = (nuint)n, n2 = 2 * (nuint)n, n3 = 3 * (nuint)n;
        var v0 = TL.Broadcast(x0);
        var v1 = TL.Broadcast(x1);
        var v2 = TL.Broadcast(x2);
        var v3 = TL.Broadcast(x3);
        var s0 = TL.Broadcast(0);
        var s1 = TL.Broadcast(0);
        var s2 = TL.Broadcast(0);
        var s3 = TL.Broadcast(0);
        int i = 0;
        for (; i + TL.Count <= len; i += TL.Count)
        {
            nuint o = (nuint)i;
            var xv = TL.Load(ref rx, o);
            var a0 = TL.Load(ref ra, o);
            var a1 = TL.Load(ref ra, o + n1);
            var a2 = TL.Load(ref ra, o + n2);
            var a3 = TL.Load(ref ra, o + n3);
            s0 = TL.MultiplyAdd(a0, xv, s0);
            s1 = TL.MultiplyAdd(a1, xv, s1);
            s2 = TL.MultiplyAdd(a2, xv, s2);
            s3 = TL.MultiplyAdd(a3, xv, s3);
            var pv = TL.Load(ref rp, o);
            pv = TL.MultiplyAdd(a0, v0, pv);
            pv = TL.MultiplyAdd(a1, v1, pv);
            pv = TL.MultiplyAdd(a2, v2, pv);
            pv = TL.MultiplyAdd(a3, v3, pv);
            TL.Store(pv, ref rp, o);
        }
        double d0 = TL.Sum(s0), d1 = TL.Sum(s1), d2 = TL.Sum(s2), d3 = TL.Sum(s3);
        for (; i < len; i++)
        {
            nuint o = (nuint)i;
            double xv = Unsafe.Add(ref rx, o);
            double a0 = Unsafe.Add(ref ra, o), a1 = Unsafe.Add(ref ra, o + n1), a2 = Unsafe.Add(ref ra, o + n2), a3 = Unsafe.Add(ref ra, o + n3);
            d0 += a0 * xv;
            d1 += a1 * xv;
            d2 += a2 * xv;
            d3 += a3 * xv;
            Unsafe.Add(ref rp, o) += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
        }
        return Vector256.Create(d0, d1, d2, d3);
    }

    /// <summary>Returns Σ row·x and does p += α·row, in one pass over row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double DotAxpy<TPath>(ReadOnlySpan<double> row, ReadOnlySpan<double> x, Span<double> p, double alpha)
        where TPath : struct, IVectorPath
    {
        int len = row.Length, i = 0;
        x = x[..len];
        p = p[..len];
        double sum = 0;
        if (TPath.Wide && len >= Vector512<double>.Count)
        {
            var rv = MemoryMarshal.Cast<double, Vector512<double>>(row);
            var xv = MemoryMarshal.Cast<double, Vector512<double>>(x);
            var pv = MemoryMarshal.Cast<double, Vector512<double>>(p);
            var av = Vector512.Create(alpha);
            var s0 = Vector512<double>.Zero;
            var s1 = Vector512<double>.Zero;
            int k = 0;
            for (; k + 1 < rv.Length; k += 2)
            {
                var r0 = rv[k];
                var r1 = rv[k + 1];
                s0 = Vector512.FusedMultiplyAdd(r0, xv[k], s0);
                s1 = Vector512.FusedMultiplyAdd(r1, xv[k + 1], s1);
                pv[k] = Vector512.FusedMultiplyAdd(r0, av, pv[k]);
                pv[k + 1] = Vector512.FusedMultiplyAdd(r1, av, pv[k + 1]);
            }
            if (k < rv.Length)
            {
                var r0 = rv[k];
                s0 = Vector512.FusedMultiplyAdd(r0, xv[k], s0);
                pv[k] = Vector512.FusedMultiplyAdd(r0, av, pv[k]);
            }
            sum = Vector512.Sum(s0 + s1);
            i = rv.Length * Vector512<double>.Count;
        }
        else if (Vector.IsHardwareAccelerated && len >= Vector<double>.Count)
        {
            var rv = MemoryMarshal.Cast<double, Vector<double>>(row);
            var xv = MemoryMarshal.Cast<double, Vector<double>>(x);
            var pv = MemoryMarshal.Cast<double, Vector<double>>(p);
            var av = new Vector<double>(alpha);
            var s0 = Vector<double>.Zero;
            for (int k = 0; k < rv.Length; k++)
            {
                s0 = Vector.FusedMultiplyAdd(rv[k], xv[k], s0);
                pv[k] = Vector.FusedMultiplyAdd(rv[k], av, pv[k]);
            }
            sum = Vector.Sum(s0);
            i = rv.Length * Vector<double>.Count;
        }
        for (; i < len; i++)
        {
            sum += row[i] * x[i];
            p[i] += alpha * row[i];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add(ReadOnlySpan<double> x, Span<double> y) => Dense.Axpy(1.0, x, y);

    /// <summary>
    /// The textbook twin (LAPACK's sytd2) on a full symmetric row-major matrix: for each column k, the reflector of
    /// A[k + 1.., k], p = τ·A₂₂·v, w = p − (τ/2)(pᵀv)·v, A₂₂ −= v·wᵀ + w·vᵀ. Same storage of the reflectors as <see cref="Blocked(double[], int, double[], double[], double[], Parallelism, SymmetricEigenWorkspace?)"/>.
    /// </summary>
    public static void Unblocked(double[] a, int n, double[] d, double[] e, double[] tau)
    {
        var p = new double[n];
        for (int k = 0; k < n; k++)
        {
            d[k] = a[k * n + k];
            if (k == n - 1) break;
            int len = n - k - 1;
            var x = a.AsSpan(k * n + k + 1, len);
            double alpha = x[0], xnorm = Dense.Norm2(x[1..]);
            if (xnorm == 0)
            {
                e[k] = alpha;
                if (k < n - 2) tau[k] = 0;
                continue;
            }
            double beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
            double t = (beta - alpha) / beta;
            double inv = 1.0 / (alpha - beta);
            var v = new double[len];
            v[0] = 1;
            for (int i = 1; i < len; i++) v[i] = x[i] * inv;
            v.AsSpan(1).CopyTo(x[1..]);
            x[0] = beta;
            tau[k] = t;
            e[k] = beta;
            int o = k + 1;
            for (int i = 0; i < len; i++) p[i] = t * Dense.Dot(a.AsSpan((o + i) * n + o, len), v);
            double kk = -0.5 * t * Dense.Dot(p.AsSpan(0, len), v);
            for (int i = 0; i < len; i++) p[i] += kk * v[i];
            for (int i = 0; i < len; i++)
                for (int c = 0; c < len; c++) a[(o + i) * n + o + c] -= v[i] * p[c] + p[i] * v[c];
        }
    }
}
