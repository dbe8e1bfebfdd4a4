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

/// <summary>
/// Symmetric rank-k update for Gram matrices: <c>C = α·AᵀA + β·C</c> with A k×n (k samples of n features) and
/// C n×n. Only one triangle is computed (about half the flops of GEMM); the other is left untouched, or
/// overwritten with the mirror image when asked, so that C is exactly symmetric. For C = α·A·Aᵀ + β·C pass
/// <c>a.Transposed()</c> (a view, no copy).
/// </summary>
public static class Syrk
{
    /// <summary>
    /// The block width: C is cut into NB×NB blocks; blocks strictly inside the triangle go through GEMM in one strip
    /// per block row, diagonal blocks through GEMM into a scratch block of which one triangle is kept.
    /// </summary>
    private const int NB = 192;

    /// <summary>C = α·AᵀA + β·C on <paramref name="triangle"/>; with <paramref name="mirror"/> the other triangle becomes its transpose.</summary>
    /// <param name="alpha">Scale of AᵀA.</param>
    /// <param name="a">A, k×n.</param>
    /// <param name="beta">Scale of C's old triangle (0: ignore it, NaN included).</param>
    /// <param name="c">C, n×n.</param>
    /// <param name="triangle">The triangle to compute.</param>
    /// <param name="mirror">Copy the computed triangle onto the other one.</param>
    /// <param name="parallelism">Threads for the GEMM calls.</param>
    /// <param name="instructionSet">The microkernel family (see <see cref="GemmInstructionSet"/>).</param>
    /// <exception cref="ArgumentException">When C is not n×n for A k×n.</exception>
    public static void Update<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Triangle triangle = Triangle.Lower, bool mirror = false,
        Parallelism? parallelism = null, GemmInstructionSet instructionSet = GemmInstructionSet.Auto)
        where T : unmanaged, INumber<T>
    {
        int n = a.Columns, k = a.Rows;
        if (c.Rows != n || c.Columns != n)
            throw new ArgumentException($"SYRK needs C of shape {n}×{n} for A of shape {k}×{n} (C = α·AᵀA + β·C), but C is {c.Rows}×{c.Columns}.");
        Gemm.ResolveFor<T>(instructionSet);
        var at = a.Transposed();
        var scratch = ArrayPool<T>.Shared.Rent(Math.Min(NB, Math.Max(n, 1)) * Math.Min(NB, Math.Max(n, 1)));
        try
        {
            for (int i0 = 0; i0 < n; i0 += NB)
            {
                int nb = Math.Min(NB, n - i0);
                var aI = Columns(at, i0, nb, rows: true);
                // The off-diagonal strip of this block row: columns after the block (upper) or before it (lower).
                int j0 = triangle == Triangle.Upper ? i0 + nb : 0, j1 = triangle == Triangle.Upper ? n : i0;
                if (j1 > j0)
                    Gemm.Multiply(alpha, aI, Columns(a, j0, j1 - j0, rows: false), beta, Block(c, i0, nb, j0, j1 - j0), parallelism, instructionSet);
                // The diagonal block: computed whole into scratch, one triangle merged into C.
                var d = new MatrixSpan<T>(scratch.AsSpan(0, nb * nb), nb, nb);
                Gemm.Multiply(T.One, aI, Columns(a, i0, nb, rows: false), T.Zero, d, parallelism, instructionSet);
                for (int i = 0; i < nb; i++)
                {
                    int jFirst = triangle == Triangle.Upper ? i : 0, jLast = triangle == Triangle.Upper ? nb - 1 : i;
                    for (int j = jFirst; j <= jLast; j++)
                    {
                        ref T cij = ref c[i0 + i, i0 + j];
                        cij = beta == T.Zero ? alpha * d[i, j] : ScalarMath.FusedMultiplyAdd(alpha, d[i, j], beta * cij);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
        if (mirror)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    if (triangle == Triangle.Upper) c[j, i] = c[i, j]; else c[i, j] = c[j, i];
    }

    /// <summary>The textbook twin: C[i, j] = α·Σ_p A[p, i]·A[p, j] + β·C[i, j] on one triangle.</summary>
    public static void UpdateReference<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Triangle triangle = Triangle.Lower, bool mirror = false)
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
        if (mirror)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    if (triangle == Triangle.Upper) c[j, i] = c[i, j]; else c[i, j] = c[j, i];
    }

    private static ReadOnlyMatrixSpan<T> Columns<T>(ReadOnlyMatrixSpan<T> m, int start, int count, bool rows) =>
        rows
            ? new(m.Data, m.Offset + start * m.RowStride, count, m.Columns, m.RowStride, m.ColumnStride)
            : new(m.Data, m.Offset + start * m.ColumnStride, m.Rows, count, m.RowStride, m.ColumnStride);

    private static MatrixSpan<T> Block<T>(MatrixSpan<T> m, int i0, int rows, int j0, int columns) =>
        new(m.Data, m.Offset + i0 * m.RowStride + j0 * m.ColumnStride, rows, columns, m.RowStride, m.ColumnStride);
}
