using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Layout;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Triangular solves with many right-hand sides (TRSM) or one (TRSV, an n×1 view), blocked so that the bulk of the
/// flops run in the GEMM. Forward substitution for L·X = B by blocks of rows:
/// <code>
/// for each diagonal block k:   X_k = L_kk⁻¹ · B_k                  (substitution inside the block)
///                              B_{k+1..} −= L_{k+1..,k} · X_k       (GEMM)
/// </code>
/// and backward substitution for U·X = B the same way from the last block. Every other case is a view:
/// Lᵀ·X = B is <c>Upper</c> with <c>l.Transposed()</c>, and X·Lᵀ = B is <c>Lower</c> on <c>B.Transposed()</c>.
/// B is overwritten with X, in float64 or float32 (one generic implementation; the GEMM and the register kernel have
/// both widths). The textbook twin is <see cref="TriangularSolveTextbook"/>.
/// </summary>
public static class TriangularSolve
{
    /// <summary>The default block size (rows per diagonal block).</summary>
    public const int DefaultBlockSize = 64;

    /// <summary>Solves L·X = B in place (B ← X) for a lower-triangular L (only its lower triangle is read).</summary>
    /// <param name="l">The n×n lower-triangular matrix.</param>
    /// <param name="b">The n×r right-hand sides, overwritten with the solution.</param>
    /// <param name="unitDiagonal">True when L has an implicit unit diagonal (its stored diagonal is not read).</param>
    /// <param name="parallelism">Threads for the GEMM updates.</param>
    /// <exception cref="MatrixShapeException">When L is not square or B has a different number of rows.</exception>
    /// <exception cref="SingularMatrixException">When a diagonal entry of L is zero.</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static void Lower<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> b, bool unitDiagonal = false, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Lower(l, b, unitDiagonal, parallelism ?? TensorParallelism.Current, DefaultBlockSize);

    /// <summary>Solves U·X = B in place (B ← X) for an upper-triangular U (only its upper triangle is read).</summary>
    /// <inheritdoc cref="Lower{T}(ReadOnlyMatrixSpan{T}, MatrixSpan{T}, bool, Parallelism?)"/>
    public static void Upper<T>(ReadOnlyMatrixSpan<T> u, MatrixSpan<T> b, bool unitDiagonal = false, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Upper(u, b, unitDiagonal, parallelism ?? TensorParallelism.Current, DefaultBlockSize);

    internal static void Lower<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> b, bool unitDiagonal, Parallelism parallelism, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Check(l, b, unitDiagonal);
        int r = b.Columns;
        if (n == 0 || r == 0) return;
        if (b.RowStride == 1 && b.ColumnStride != 1 && l.ColumnStride == 1)
        {
            // B is the transpose of a row-major C: L·X = Cᵀ is C ← C·L⁻ᵀ, solved on C's contiguous rows.
            RightLowerTransposed(l, b.Transposed(), unitDiagonal, parallelism, blockSize);
            return;
        }
        for (int k0 = 0; k0 < n; k0 += blockSize)
        {
            int kb = Math.Min(blockSize, n - k0), k1 = k0 + kb;
            var bk = Dense.Sub(b, k0, 0, kb, r);
            SubstituteBlock(Dense.Sub(l, k0, k0, kb, kb), bk, unitDiagonal, lower: true);
            if (k1 < n)
                Gemm.Multiply(-T.One, Dense.Sub(l, k1, k0, n - k1, kb), bk, T.One, Dense.Sub(b, k1, 0, n - k1, r), parallelism);
        }
    }

    internal static void Upper<T>(ReadOnlyMatrixSpan<T> u, MatrixSpan<T> b, bool unitDiagonal, Parallelism parallelism, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Check(u, b, unitDiagonal);
        int r = b.Columns;
        if (n == 0 || r == 0) return;
        int blocks = (n + blockSize - 1) / blockSize;
        for (int blk = blocks - 1; blk >= 0; blk--)
        {
            int k0 = blk * blockSize, kb = Math.Min(blockSize, n - k0);
            var bk = Dense.Sub(b, k0, 0, kb, r);
            SubstituteBlock(Dense.Sub(u, k0, k0, kb, kb), bk, unitDiagonal, lower: false);
            if (k0 > 0)
                Gemm.Multiply(-T.One, Dense.Sub(u, 0, k0, k0, kb), bk, T.One, Dense.Sub(b, 0, 0, k0, r), parallelism);
        }
    }

    /// <summary>
    /// The diagonal block's substitution: <see cref="TriangularSolveTextbook"/>'s row form for row-major B (C ← B), with
    /// each element's multiply-adds accumulated in a register instead of one axpy per earlier row: row i of X is
    /// (row i of B − Σₚ tᵢₚ·row p of X)·(1/tᵢᵢ), p ascending over the rows solved before it (p &lt; i for lower, p &gt; i
    /// for upper), zero tᵢₚ skipped, as the twin does. Row i is then read and written once, not once per p: the
    /// textbook's short axpys (rows of 32 values inside LU's recursion) were 10 % of the float32 solve's samples at
    /// n = 1024. Other layouts go to the twin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SubstituteBlock<T>(ReadOnlyMatrixSpan<T> t, MatrixSpan<T> b, bool unitDiagonal, bool lower)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = t.Rows, r = b.Columns;
        if (b.ColumnStride != 1 || n > MaxSubstituteOrder)
        {
            if (lower) TriangularSolveTextbook.Lower(t, b, unitDiagonal);
            else TriangularSolveTextbook.Upper(t, b, unitDiagonal);
            return;
        }
        Span<int> rows = stackalloc int[n];
        var coefficients = ArrayPool<T>.Shared.Rent(n);
        try
        {
            fixed (T* pb = &MemoryMarshal.GetReference(b.Data))
            fixed (T* c = coefficients)
            {
                T* b0 = pb + b.Offset;
                nint stride = b.RowStride;
                for (int step = 0; step < n; step++)
                {
                    int i = lower ? step : n - 1 - step;
                    // The earlier rows p with tᵢₚ ≠ 0 and their −tᵢₚ, p ascending.
                    int count = 0;
                    int p0 = lower ? 0 : i + 1, p1 = lower ? i : n;
                    for (int p = p0; p < p1; p++)
                    {
                        T v = t[i, p];
                        if (T.IsZero(v)) continue;
                        rows[count] = p;
                        c[count++] = -v;
                    }
                    T scale = unitDiagonal ? T.One : T.One / t[i, i];
                    AccumulateRow(b0 + i * stride, b0, stride, r, rows[..count], c, scale, !unitDiagonal);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(coefficients);
        }
    }

    /// <summary>The largest diagonal block <see cref="SubstituteBlock{T}"/> solves itself (its row lists live on the stack).</summary>
    private const int MaxSubstituteOrder = 1024;

    /// <summary>
    /// y ← (y + Σₖ cₖ·row rowsₖ)·scale over r values (rows of <paramref name="b0"/>, <paramref name="stride"/> apart), the
    /// multiply-adds of each element fused and in the order of <paramref name="rows"/>, the scale applied when
    /// <paramref name="scaled"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AccumulateRow<T>(T* y, T* b0, nint stride, int r, ReadOnlySpan<int> rows, T* c, T scale, bool scaled)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<T>.Count;
            var s = new Vector<T>(scale);
            for (; j + 4 * width <= r; j += 4 * width)
            {
                var a0 = Vector.Load(y + j);
                var a1 = Vector.Load(y + j + width);
                var a2 = Vector.Load(y + j + 2 * width);
                var a3 = Vector.Load(y + j + 3 * width);
                for (int k = 0; k < rows.Length; k++)
                {
                    T* x = b0 + rows[k] * stride + j;
                    var ck = new Vector<T>(c[k]);
                    a0 = Dense.FusedMultiplyAdd(Vector.Load(x), ck, a0);
                    a1 = Dense.FusedMultiplyAdd(Vector.Load(x + width), ck, a1);
                    a2 = Dense.FusedMultiplyAdd(Vector.Load(x + 2 * width), ck, a2);
                    a3 = Dense.FusedMultiplyAdd(Vector.Load(x + 3 * width), ck, a3);
                }
                if (scaled) { a0 *= s; a1 *= s; a2 *= s; a3 *= s; }
                a0.Store(y + j);
                a1.Store(y + j + width);
                a2.Store(y + j + 2 * width);
                a3.Store(y + j + 3 * width);
            }
            for (; j + width <= r; j += width)
            {
                var a = Vector.Load(y + j);
                for (int k = 0; k < rows.Length; k++) a = Dense.FusedMultiplyAdd(Vector.Load(b0 + rows[k] * stride + j), new Vector<T>(c[k]), a);
                if (scaled) a *= s;
                a.Store(y + j);
            }
        }
        for (; j < r; j++)
        {
            T a = y[j];
            for (int k = 0; k < rows.Length; k++) a = T.FusedMultiplyAdd(b0[rows[k] * stride + j], c[k], a);
            y[j] = scaled ? a * scale : a;
        }
    }

    /// <summary>
    /// C ← C·L⁻ᵀ (the solution X of X·Lᵀ = C) for row-major C, by recursive halving of L (GEMM for the off-diagonal
    /// block); below the block size the block is transposed and solved as L·Xᵀ = Cᵀ with long row axpys.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RightLowerTransposed<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> c, bool unitDiagonal, Parallelism parallelism, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = l.Rows, rows = c.Rows;
        if (n <= blockSize && Vector512.IsHardwareAccelerated && c.ColumnStride == 1 && l.ColumnStride == 1 && n <= MaxKernelOrder)
        {
            RightLowerTransposedKernel(l, c, unitDiagonal, parallelism);
            return;
        }
        if (n <= blockSize)
        {
            // Transpose the block so that L·Xᵀ = Cᵀ runs as row axpys of length `rows` (long, contiguous vectors).
            // The scratch comes from the shared pool: a fresh large array per call would land on the large object heap.
            T[] scratch = ArrayPool<T>.Shared.Rent(n * rows);
            try
            {
                for (int i = 0; i < rows; i++)
                {
                    var ci = c.Data.Slice(c.Offset + i * c.RowStride, n);
                    for (int j = 0; j < n; j++) scratch[j * rows + i] = ci[j];
                }
                TriangularSolveTextbook.Lower(l, new MatrixSpan<T>(scratch, 0, n, rows, rows, 1), unitDiagonal);
                for (int i = 0; i < rows; i++)
                {
                    var ci = c.Data.Slice(c.Offset + i * c.RowStride, n);
                    for (int j = 0; j < n; j++) ci[j] = scratch[j * rows + i];
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
            return;
        }
        // Recursive halving: X₁·L₁₁ᵀ = C₁;  C₂ −= X₁·L₂₁ᵀ;  X₂·L₂₂ᵀ = C₂.
        int n1 = n / 2, n2 = n - n1;
        var c1 = Dense.Sub(c, 0, 0, rows, n1);
        RightLowerTransposed(Dense.Sub(l, 0, 0, n1, n1), c1, unitDiagonal, parallelism, blockSize);
        var c2 = Dense.Sub(c, 0, n1, rows, n2);
        Gemm.Multiply(-T.One, c1, Dense.Sub(l, n1, 0, n2, n1).Transposed(), T.One, c2, parallelism);
        RightLowerTransposed(Dense.Sub(l, n1, n1, n2, n2), c2, unitDiagonal, parallelism, blockSize);
    }

    /// <summary>The largest diagonal block the register kernel takes (its transposed scratch lives on the stack).</summary>
    private const int MaxKernelOrder = 128;

    /// <summary>
    /// C ← C·L⁻ᵀ for a small L (n ≤ 128) and row-major C: rows of C are independent (xᵀ·Lᵀ = cᵀ is L·x = c), so 24 of
    /// them at a time are transposed into a scratch of n rows of three Vector512 each and solved together by
    /// left-looking forward substitution, xⱼ = (cⱼ − Σ_{p&lt;j} lⱼₚ·xₚ)·(1/lⱼⱼ), with the sum split into even and odd p
    /// (six independent FMA chains). A last group of fewer than 24 rows is padded with zeros, so every row sees the
    /// same operations wherever it falls; that is why the rows can be split over threads (a fixed contiguous share
    /// each) without changing a bit of the result.
    /// </summary>
    private static unsafe void RightLowerTransposedKernel<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> c, bool unitDiagonal, Parallelism parallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = l.Rows, rows = c.Rows;
        int g = KernelRows<T>();
        int workers = (int)Math.Min(Math.Min(parallelism.Degree, (rows + g - 1) / g), Math.Max(1, (long)rows * n * n / ParallelThresholds.TriangularSolveFlopsPerWorker));
        if (workers <= 1)
        {
            RightLowerTransposedKernel(l, c, unitDiagonal);
            return;
        }
        fixed (T* pl = &MemoryMarshal.GetReference(l.Data))
        fixed (T* pc = &MemoryMarshal.GetReference(c.Data))
        {
            nint lp = (nint)pl, cp = (nint)pc;
            int lLength = l.Data.Length, lOffset = l.Offset, lRowStride = l.RowStride;
            int cLength = c.Data.Length, cOffset = c.Offset, cRowStride = c.RowStride;
            int groups = (rows + g - 1) / g;
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                int r0 = Math.Min(rows, groups * w / workers * g), r1 = Math.Min(rows, groups * (w + 1) / workers * g);
                var lv = new ReadOnlyMatrixSpan<T>(new ReadOnlySpan<T>((T*)lp, lLength), lOffset, n, n, lRowStride, 1);
                var cv = new MatrixSpan<T>(new Span<T>((T*)cp, cLength), cOffset + r0 * cRowStride, r1 - r0, n, cRowStride, 1);
                RightLowerTransposedKernel(lv, cv, unitDiagonal);
            });
        }
    }

    /// <summary>Rows of C solved together by the kernel: three Vector512 (24 float64 rows, 48 float32 rows).</summary>
    private static int KernelRows<T>() => 3 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RightLowerTransposedKernel<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> c, bool unitDiagonal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int V = Vector512<T>.Count, G = KernelRows<T>();
        int n = l.Rows, rows = c.Rows;
        Span<T> scratch = stackalloc T[MaxKernelOrder * 3 * Vector512<T>.Count];
        Span<T> inverse = stackalloc T[MaxKernelOrder];
        for (int j = 0; j < n; j++) inverse[j] = unitDiagonal ? T.One : T.One / l[j, j];
        ref T x0 = ref scratch[0];
        ref T l0 = ref MemoryMarshal.GetReference(l.Data);
        for (int r0 = 0; r0 < rows; r0 += G)
        {
            int g = Math.Min(G, rows - r0);
            bool blocks = CanTransposeInRegisters<T>() && g == G && n % 8 == 0;
            if (blocks)
            {
                // Whole 8×8 blocks are transposed in registers (a scalar gather costs as much as the solve itself).
                ref T c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(c.Data), c.Offset + r0 * c.RowStride);
                for (int rb = 0; rb < G; rb += 8)
                    for (int j0 = 0; j0 < n; j0 += 8)
                        Transpose8x8(ref Unsafe.Add(ref c0, rb * c.RowStride + j0), c.RowStride, ref Unsafe.Add(ref x0, j0 * G + rb), G);
            }
            else
            {
                if (g < G) scratch[..(n * G)].Clear();
                for (int r = 0; r < g; r++)
                {
                    var ci = c.Data.Slice(c.Offset + (r0 + r) * c.RowStride, n);
                    for (int j = 0; j < n; j++) scratch[j * G + r] = ci[j];
                }
            }
            nuint v1 = (nuint)V, v2 = (nuint)(2 * V);
            for (int j = 0; j < n; j++)
            {
                nuint xj = (nuint)(j * G);
                var a0 = Vector512.LoadUnsafe(ref x0, xj);
                var a1 = Vector512.LoadUnsafe(ref x0, xj + v1);
                var a2 = Vector512.LoadUnsafe(ref x0, xj + v2);
                var b0 = Vector512<T>.Zero;
                var b1 = Vector512<T>.Zero;
                var b2 = Vector512<T>.Zero;
                int rowJ = l.Offset + j * l.RowStride;
                int p = 0;
                for (; p + 1 < j; p += 2)
                {
                    var le = Vector512.Create(Unsafe.Add(ref l0, rowJ + p));
                    var lo = Vector512.Create(Unsafe.Add(ref l0, rowJ + p + 1));
                    nuint xe = (nuint)(p * G), xo = xe + (nuint)G;
                    a0 = Dense.FusedMultiplyAdd(-le, Vector512.LoadUnsafe(ref x0, xe), a0);
                    a1 = Dense.FusedMultiplyAdd(-le, Vector512.LoadUnsafe(ref x0, xe + v1), a1);
                    a2 = Dense.FusedMultiplyAdd(-le, Vector512.LoadUnsafe(ref x0, xe + v2), a2);
                    b0 = Dense.FusedMultiplyAdd(-lo, Vector512.LoadUnsafe(ref x0, xo), b0);
                    b1 = Dense.FusedMultiplyAdd(-lo, Vector512.LoadUnsafe(ref x0, xo + v1), b1);
                    b2 = Dense.FusedMultiplyAdd(-lo, Vector512.LoadUnsafe(ref x0, xo + v2), b2);
                }
                if (p < j)
                {
                    var le = Vector512.Create(Unsafe.Add(ref l0, rowJ + p));
                    nuint xe = (nuint)(p * G);
                    a0 = Dense.FusedMultiplyAdd(-le, Vector512.LoadUnsafe(ref x0, xe), a0);
                    a1 = Dense.FusedMultiplyAdd(-le, Vector512.LoadUnsafe(ref x0, xe + v1), a1);
                    a2 = Dense.FusedMultiplyAdd(-le, Vector512.LoadUnsafe(ref x0, xe + v2), a2);
                }
                var d = Vector512.Create(inverse[j]);
                ((a0 + b0) * d).StoreUnsafe(ref x0, xj);
                ((a1 + b1) * d).StoreUnsafe(ref x0, xj + v1);
                ((a2 + b2) * d).StoreUnsafe(ref x0, xj + v2);
            }
            if (blocks)
            {
                ref T c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(c.Data), c.Offset + r0 * c.RowStride);
                for (int rb = 0; rb < G; rb += 8)
                    for (int j0 = 0; j0 < n; j0 += 8)
                        Transpose8x8(ref Unsafe.Add(ref x0, j0 * G + rb), G, ref Unsafe.Add(ref c0, rb * c.RowStride + j0), c.RowStride);
                continue;
            }
            for (int r = 0; r < g; r++)
            {
                var ci = c.Data.Slice(c.Offset + (r0 + r) * c.RowStride, n);
                for (int j = 0; j < n; j++) ci[j] = scratch[j * G + r];
            }
        }
    }

    /// <summary>
    /// Whether <see cref="Transpose8x8{T}"/> has a register kernel for T on this machine (AVX-512 or AVX for float64, AVX
    /// for float32).
    /// </summary>
    internal static bool CanTransposeInRegisters<T>() =>
        typeof(T) == typeof(double) ? Avx512F.IsSupported || Avx.IsSupported : typeof(T) == typeof(float) && Avx.IsSupported;

    /// <summary>
    /// The 8×8 register transpose for float64 or float32, the kernels' <see cref="RegisterTranspose"/> (the casts fold
    /// away in the JIT): used by the kernel above and by the LU panel's copies. float64 without AVX-512 (AVX2) runs
    /// four 4×4 transposes (block (p, q) of the source to block (q, p) of the destination); before it, the AVX2 LU
    /// panel copied element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8<T>(ref T source, int sourceStride, ref T destination, int destinationStride)
    {
        if (typeof(T) == typeof(double) && Avx512F.IsSupported)
            RegisterTranspose.Double8x8(ref Unsafe.As<T, double>(ref source), sourceStride, ref Unsafe.As<T, double>(ref destination), destinationStride);
        else if (typeof(T) == typeof(double))
            Double8x8By4x4(ref Unsafe.As<T, double>(ref source), sourceStride, ref Unsafe.As<T, double>(ref destination), destinationStride);
        else
            RegisterTranspose.Float8x8(ref Unsafe.As<T, float>(ref source), sourceStride, ref Unsafe.As<T, float>(ref destination), destinationStride);
    }

    /// <summary>
    /// The float64 8×8 transpose as four 4×4 register transposes, block (p, q) of the source to block (q, p) of the
    /// destination: <see cref="Transpose8x8{T}"/> without AVX-512 (and callable on any machine, for the tests).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Double8x8By4x4(ref double s, nint ss, ref double t, nint ts)
    {
        RegisterTranspose.Double4x4(ref s, ss, ref t, ts);
        RegisterTranspose.Double4x4(ref Unsafe.Add(ref s, 4), ss, ref Unsafe.Add(ref t, 4 * ts), ts);
        RegisterTranspose.Double4x4(ref Unsafe.Add(ref s, 4 * ss), ss, ref Unsafe.Add(ref t, 4), ts);
        RegisterTranspose.Double4x4(ref Unsafe.Add(ref s, 4 * ss + 4), ss, ref Unsafe.Add(ref t, 4 * ts + 4), ts);
    }

    private static int Check<T>(ReadOnlyMatrixSpan<T> t, MatrixSpan<T> b, bool unitDiagonal) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (t.Rows != t.Columns)
            throw new MatrixShapeException($"A triangular solve needs a square matrix, but got shape ({t.Rows}, {t.Columns}).");
        if (b.Rows != t.Rows)
            throw new MatrixShapeException($"A triangular solve with a ({t.Rows}, {t.Columns}) matrix needs right-hand sides with {t.Rows} rows, but got shape ({b.Rows}, {b.Columns}).");
        if (!unitDiagonal)
            for (int i = 0; i < t.Rows; i++)
                if (T.IsZero(t[i, i])) throw new SingularMatrixException(i, "triangular");
        return t.Rows;
    }
}

/// <summary>
/// The textbook triangular solves: plain forward substitution xᵢ = (bᵢ − Σ_{p&lt;i} lᵢₚ·xₚ) / lᵢᵢ and backward substitution.
/// The twin of <see cref="TriangularSolve"/> (and its diagonal-block kernel).
/// </summary>
public static class TriangularSolveTextbook
{
    /// <summary>Solves L·X = B in place by forward substitution (no checks beyond the spans' own).</summary>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Lower<T>(ReadOnlyMatrixSpan<T> l, MatrixSpan<T> b, bool unitDiagonal = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = l.Rows, r = b.Columns;
        if (n == 0 || r == 0) return;
        if (b.ColumnStride == 1)
        {
            // Row form: row i of X is row i of B minus a combination of the rows above it.
            for (int i = 0; i < n; i++)
            {
                var bi = RowOf(b, i);
                for (int p = 0; p < i; p++)
                {
                    T t = l[i, p];
                    if (!T.IsZero(t)) Dense.Axpy(-t, RowOf(b, p), bi);
                }
                if (!unitDiagonal) Dense.Scale(T.One / l[i, i], bi);
            }
        }
        else if (b.RowStride == 1 && l.ColumnStride == 1)
        {
            // Column form: each column of B is contiguous, each row of L too: xᵢ = (bᵢ − lᵢ,₀..ᵢ · x₀..ᵢ) / lᵢᵢ.
            for (int j = 0; j < r; j++)
            {
                var x = b.Data.Slice(b.Offset + j * b.ColumnStride, n);
                for (int i = 0; i < n; i++)
                {
                    T s = x[i] - Dense.Dot(l.Data.Slice(l.Offset + i * l.RowStride, i), x[..i]);
                    x[i] = unitDiagonal ? s : s / l[i, i];
                }
            }
        }
        else
        {
            for (int j = 0; j < r; j++)
                for (int i = 0; i < n; i++)
                {
                    T s = b[i, j];
                    for (int p = 0; p < i; p++) s -= l[i, p] * b[p, j];
                    b[i, j] = unitDiagonal ? s : s / l[i, i];
                }
        }
    }

    /// <summary>Solves U·X = B in place by backward substitution (no checks beyond the spans' own).</summary>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Upper<T>(ReadOnlyMatrixSpan<T> u, MatrixSpan<T> b, bool unitDiagonal = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = u.Rows, r = b.Columns;
        if (n == 0 || r == 0) return;
        if (b.ColumnStride == 1)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                var bi = RowOf(b, i);
                for (int p = i + 1; p < n; p++)
                {
                    T t = u[i, p];
                    if (!T.IsZero(t)) Dense.Axpy(-t, RowOf(b, p), bi);
                }
                if (!unitDiagonal) Dense.Scale(T.One / u[i, i], bi);
            }
        }
        else if (b.RowStride == 1 && u.ColumnStride == 1)
        {
            for (int j = 0; j < r; j++)
            {
                var x = b.Data.Slice(b.Offset + j * b.ColumnStride, n);
                for (int i = n - 1; i >= 0; i--)
                {
                    T s = x[i] - Dense.Dot(u.Data.Slice(u.Offset + i * u.RowStride + i + 1, n - i - 1), x[(i + 1)..]);
                    x[i] = unitDiagonal ? s : s / u[i, i];
                }
            }
        }
        else
        {
            for (int j = 0; j < r; j++)
                for (int i = n - 1; i >= 0; i--)
                {
                    T s = b[i, j];
                    for (int p = i + 1; p < n; p++) s -= u[i, p] * b[p, j];
                    b[i, j] = unitDiagonal ? s : s / u[i, i];
                }
        }
    }

    private static Span<T> RowOf<T>(MatrixSpan<T> b, int i) => b.Data.Slice(b.Offset + i * b.RowStride, b.Columns);
}
