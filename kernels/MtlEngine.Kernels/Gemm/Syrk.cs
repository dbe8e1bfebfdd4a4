using System.Buffers;
using System.Numerics;

namespace MtlEngine.Kernels.Gemm;

/// <summary>Which triangle of a symmetric result is computed.</summary>
public enum Triangle
{
    /// <summary>Elements (i, j) with i ≥ j.</summary>
    Lower,
    /// <summary>Elements (i, j) with i ≤ j.</summary>
    Upper,
}

/// <summary>What a symmetric rank-k update leaves in the triangle of C that it does not compute.</summary>
public enum OtherTriangle
{
    /// <summary>As it was: the diagonal blocks go through a scratch block of which one triangle is copied into C.</summary>
    Kept,
    /// <summary>The transpose of the computed triangle, so that C is exactly symmetric.</summary>
    Mirrored,
    /// <summary>
    /// Scratch within <see cref="Syrk.Leaf"/> of the diagonal (the diagonal blocks are computed whole, straight into C) and
    /// as it was beyond: for factorizations that never read it (Cholesky), which saves the copy through a scratch block.
    /// </summary>
    Clobbered,
}

/// <summary>
/// The engine's one symmetric rank-k update, for Gram matrices: <c>C = α·AᵀA + β·C</c> with A k×n (k samples of n
/// features) and C n×n, one triangle computed (about half the flops of GEMM). For C = α·A·Aᵀ + β·C pass
/// <c>a.Transposed()</c> (a view, no copy); the upper triangle is the lower one of <c>c.Transposed()</c>. With B = Aᵀ
/// (n×k), by recursive halving of C:
/// <code>
/// C₁₁ ← β·C₁₁ + α·B₁·B₁ᵀ     (recursively)
/// C₂₁ ← β·C₂₁ + α·B₂·B₁ᵀ     (GEMM)
/// C₂₂ ← β·C₂₂ + α·B₂·B₂ᵀ     (recursively)
/// </code>
/// Diagonal blocks of at most <see cref="Leaf"/> rows are one full GEMM (into C itself, or through a scratch block when
/// the other triangle is to be kept), so the flops beyond the triangle are n·Leaf/2·k instead of the half of a full
/// product. Every element of C is one GEMM element: the same k-sum whatever the blocking, the thread count or the triangle.
/// A small C of a long k whose Bᵀ rows are contiguous (a training step's Jacobian J = Bᵀ with a handful of rows) is
/// computed as dot products of those rows instead (<see cref="RowProductOrder"/>).
/// </summary>
public static class Syrk
{
    /// <summary>The order of the diagonal blocks computed whole (96 measured best among 48–128 in the n = 1024 Cholesky).</summary>
    public const int Leaf = 96;

    /// <summary>
    /// Up to this order of C and from <see cref="RowProductDepth"/> on, with the rows of B = Aᵀ contiguous, C is taken as
    /// dot products of B's rows (<see cref="RowProducts"/>): a training step's Jacobian has a handful of rows and up to
    /// millions of columns (an embedding table's), where the GEMM's register tile (about 16 × 16) would be almost all
    /// padding and its packing would copy all of B in thousands of thin panels (97 ms for a 2 × 915,000 J, against about
    /// 2 ms for the three dot products).
    /// </summary>
    internal const int RowProductOrder = 32;

    /// <summary>
    /// The least depth k for the row products: below, both ways cost microseconds, and the GEMM keeps the rounding that
    /// the aggregators' small-Jacobian tests and fixtures were written with (FairGrad's α = 20 near-singular cases are
    /// decided by the last bit of the Gramian).
    /// </summary>
    internal const int RowProductDepth = 4096;

    /// <summary>C = α·AᵀA + β·C on <paramref name="triangle"/>; <paramref name="other"/> says what becomes of the other triangle.</summary>
    /// <param name="alpha">Scale of AᵀA.</param>
    /// <param name="a">A, k×n.</param>
    /// <param name="beta">Scale of C's old triangle (0: ignore it, NaN included).</param>
    /// <param name="c">C, n×n.</param>
    /// <param name="triangle">The triangle to compute.</param>
    /// <param name="other">What the other triangle holds afterwards (see <see cref="OtherTriangle"/>).</param>
    /// <param name="parallelism">Threads for the GEMM calls (the row products run on the calling thread).</param>
    /// <param name="instructionSet">The microkernel family (see <see cref="GemmInstructionSet"/>).</param>
    /// <exception cref="ArgumentException">When C is not n×n for A k×n.</exception>
    public static void Update<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Triangle triangle = Triangle.Lower,
        OtherTriangle other = OtherTriangle.Kept, Parallelism? parallelism = null, GemmInstructionSet instructionSet = GemmInstructionSet.Auto)
        where T : unmanaged, INumber<T>
    {
        int n = a.Columns, k = a.Rows;
        if (c.Rows != n || c.Columns != n)
            throw new ArgumentException($"SYRK needs C of shape {n}×{n} for A of shape {k}×{n} (C = α·AᵀA + β·C), but C is {c.Rows}×{c.Columns}.");
        var set = Gemm.ResolveFor<T>(instructionSet);
        // The upper triangle of C is the lower triangle of Cᵀ, and AᵀA is symmetric: one recursion serves both.
        var lower = triangle == Triangle.Upper ? c.Transposed() : c;
        var b = a.Transposed();
        if (n <= RowProductOrder && k >= RowProductDepth && b.ColumnStride == 1 && (n == 1 || b.RowStride >= k) && set != GemmInstructionSet.Reference)
            LowerByRowProducts(alpha, b, beta, lower);
        else
        {
            T[]? scratch = other == OtherTriangle.Kept ? ArrayPool<T>.Shared.Rent(Math.Min(Leaf, Math.Max(n, 1)) * Math.Min(Leaf, Math.Max(n, 1))) : null;
            try
            {
                LowerOfRows(alpha, b, beta, lower, scratch, parallelism ?? Parallelism.Default, instructionSet);
            }
            finally
            {
                if (scratch is not null) ArrayPool<T>.Shared.Return(scratch);
            }
        }
        if (other == OtherTriangle.Mirrored)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) lower[i, j] = lower[j, i];
    }

    /// <summary>The textbook twin: C[i, j] = α·Σ_p A[p, i]·A[p, j] + β·C[i, j] on one triangle (the other kept, or mirrored).</summary>
    public static void UpdateReference<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Triangle triangle = Triangle.Lower,
        OtherTriangle other = OtherTriangle.Kept)
        where T : INumber<T>
    {
        int n = a.Columns;
        if (c.Rows != n || c.Columns != n)
            throw new ArgumentException($"SYRK needs C of shape {n}×{n} for A of shape {a.Rows}×{n}, but C is {c.Rows}×{c.Columns}.");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (triangle == Triangle.Upper ? j < i : j > i) continue;
                T sum = T.Zero;
                for (int p = 0; p < a.Rows; p++) sum += a[p, i] * a[p, j];
                c[i, j] = beta == T.Zero ? alpha * sum : alpha * sum + beta * c[i, j];
            }
        if (other == OtherTriangle.Mirrored)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    if (triangle == Triangle.Upper) c[j, i] = c[i, j]; else c[i, j] = c[j, i];
    }

    /// <summary>
    /// C ← β·C + α·B·Bᵀ on the lower triangle, B = Aᵀ (n×k): the recursion. A leaf GEMM writes C's diagonal block whole,
    /// or, given <paramref name="scratch"/>, a copy of it (the old block when β ≠ 0, so each element is the same GEMM
    /// element) of which the lower triangle is copied back.
    /// </summary>
    private static void LowerOfRows<T>(T alpha, ReadOnlyMatrixSpan<T> b, T beta, MatrixSpan<T> c, T[]? scratch, Parallelism parallelism,
        GemmInstructionSet instructionSet) where T : unmanaged, INumber<T>
    {
        int n = c.Rows, k = b.Columns;
        if (n <= Leaf)
        {
            if (scratch is null)
            {
                Gemm.Multiply(alpha, b, b.Transposed(), beta, c, parallelism, instructionSet);
                return;
            }
            var d = new MatrixSpan<T>(scratch.AsSpan(0, n * n), n, n);
            if (beta != T.Zero)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++) d[i, j] = c[i, j];
            Gemm.Multiply(alpha, b, b.Transposed(), beta, d, parallelism, instructionSet);
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) c[i, j] = d[i, j];
            return;
        }
        int n1 = n / 2 >= 16 ? n / 2 / 8 * 8 : n / 2, n2 = n - n1;
        var b1 = Rows(b, 0, n1);
        var b2 = Rows(b, n1, n2);
        LowerOfRows(alpha, b1, beta, Block(c, 0, n1, 0, n1), scratch, parallelism, instructionSet);
        Gemm.Multiply(alpha, b2, b1.Transposed(), beta, Block(c, n1, n2, 0, n1), parallelism, instructionSet);
        LowerOfRows(alpha, b2, beta, Block(c, n1, n2, n1, n2), scratch, parallelism, instructionSet);
    }

    /// <summary>
    /// C ← β·C + α·B·Bᵀ on the lower triangle as dot products of B's contiguous rows: row i of the triangle is
    /// C[i, 0..i] = B[i, :]·B[0..i, :]ᵀ, into a row of sums and then scaled into C (α·s when β = 0, else α·s + β·c fused).
    /// </summary>
    private static void LowerByRowProducts<T>(T alpha, ReadOnlyMatrixSpan<T> b, T beta, MatrixSpan<T> c) where T : unmanaged, INumber<T>
    {
        int n = b.Rows, k = b.Columns, ldb = n == 1 ? k : b.RowStride;   // one row: any stride
        Span<T> sums = stackalloc T[RowProductOrder];
        var rows = b.Data[b.Offset..];
        for (int i = 0; i < n; i++)
        {
            sums.Clear();
            RowProducts.AddTo<T>(1, i + 1, k, rows[(i * ldb)..], ldb, rows, ldb, sums, RowProductOrder);
            for (int j = 0; j <= i; j++)
            {
                ref T cij = ref c[i, j];
                cij = beta == T.Zero ? alpha * sums[j] : ScalarMath.FusedMultiplyAdd(alpha, sums[j], beta * cij);
            }
        }
    }

    private static ReadOnlyMatrixSpan<T> Rows<T>(ReadOnlyMatrixSpan<T> m, int start, int count) =>
        new(m.Data, m.Offset + start * m.RowStride, count, m.Columns, m.RowStride, m.ColumnStride);

    private static MatrixSpan<T> Block<T>(MatrixSpan<T> m, int i0, int rows, int j0, int columns) =>
        new(m.Data, m.Offset + i0 * m.RowStride + j0 * m.ColumnStride, rows, columns, m.RowStride, m.ColumnStride);
}
