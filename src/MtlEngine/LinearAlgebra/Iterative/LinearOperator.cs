using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// A linear map x ↦ A·x given only by its action (and that of Aᵀ): what the iterative solvers need, so a sparse or
/// implicit matrix (XᵀX + λI applied as two products, say) never has to be formed.
/// </summary>
public interface ILinearOperator
{
    /// <summary>The number of rows m (length of A·x).</summary>
    int Rows { get; }

    /// <summary>The number of columns n (length of x).</summary>
    int Columns { get; }

    /// <summary>y ← A·x (x of length n, y of length m).</summary>
    void Apply(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>y ← Aᵀ·x (x of length m, y of length n).</summary>
    void ApplyTransposed(ReadOnlySpan<double> x, Span<double> y);
}

/// <summary>
/// A dense matrix as an <see cref="ILinearOperator"/>: A·x as one dot product per row, Aᵀ·x as one axpy per row (not through
/// the GEMV kernel, whose dot products round differently). With more than one thread the rows of A·x, and the columns of
/// Aᵀ·x (in ranges that start on a multiple of the vector width, so every element takes the same vector or scalar path
/// as in one pass), are shared over the threads: each element is the same sum in the same order, so the results do not
/// depend on <paramref name="Parallelism"/>.
/// <para>Not merged with the Golub–Kahan bidiagonalization's y = Sᵀ·v (<c>GolubKahan.TransposeTimes</c>), the other
/// transposed product by rows: that one folds four rows of S into y per pass, y + ((v₀s₀ + v₁s₁) + (v₂s₂ + v₃s₃)), where
/// this one adds one row at a time, so the two round differently, and one routine for both would change the bits of
/// LSQR, Ridge and MultiTaskRidge (this side) or of every SVD (that side).</para>
/// </summary>
/// <param name="Matrix">The matrix.</param>
/// <param name="Parallelism">Threads for the products; null: all cores (see <see cref="MtlEngine.Parallelism"/>). Products
/// of fewer than <see cref="Kernels.ParallelThresholds.GemvMultiplyAddsPerThread"/> multiply-adds a thread run on fewer threads.</param>
public sealed record DenseOperator(DenseMatrix Matrix, Parallelism? Parallelism = null) : ILinearOperator
{
    /// <inheritdoc/>
    public int Rows => Matrix.Rows;

    /// <inheritdoc/>
    public int Columns => Matrix.Columns;

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        int m = Matrix.Rows, n = Matrix.Columns;
        int shares = Shares(m, n, m, Parallelism ?? TensorParallelism.Current);
        if (shares == 1)
        {
            RowsOf(Matrix.Data, n, x, y, 0, m);
            return;
        }
        unsafe
        {
            fixed (double* pa = Matrix.Data) fixed (double* px = x) fixed (double* py = y)
                ForkJoin.Run(shares, new Shared(pa, m, n, px, x.Length, py, y.Length, shares, transposed: false));
        }
    }

    /// <inheritdoc/>
    public void ApplyTransposed(ReadOnlySpan<double> x, Span<double> y)
    {
        int m = Matrix.Rows, n = Matrix.Columns;
        int shares = Shares(m, n, (n + Vector<double>.Count - 1) / Vector<double>.Count, Parallelism ?? TensorParallelism.Current);
        if (shares == 1)
        {
            ColumnsOf(Matrix.Data, m, n, x, y, 0, n);
            return;
        }
        unsafe
        {
            fixed (double* pa = Matrix.Data) fixed (double* px = x) fixed (double* py = y)
                ForkJoin.Run(shares, new Shared(pa, m, n, px, x.Length, py, y.Length, shares, transposed: true));
        }
    }

    /// <summary>
    /// How many shares an m×n product is split into: the degree, at most one a <see cref="Kernels.ParallelThresholds.GemvMultiplyAddsPerThread"/>
    /// multiply-adds and at most <paramref name="parts"/> (rows of A·x, vector-width column blocks of Aᵀ·x).
    /// </summary>
    internal static int Shares(int m, int n, int parts, Parallelism parallelism) =>
        (int)Math.Max(1, Math.Min(Math.Min(parallelism.Degree, parts), (long)m * n / Kernels.ParallelThresholds.GemvMultiplyAddsPerThread));

    /// <summary>Share t's first column of Aᵀ·x (a multiple of the vector width; n for t = shares).</summary>
    internal static int ColumnStart(int n, int t, int shares) =>
        t >= shares ? n : (int)((long)n * t / shares) / Vector<double>.Count * Vector<double>.Count;

    private static void RowsOf(ReadOnlySpan<double> a, int n, ReadOnlySpan<double> x, Span<double> y, int r0, int r1)
    {
        for (int i = r0; i < r1; i++) y[i] = Dense.Dot(a.Slice(i * n, n), x);
    }

    private static void ColumnsOf(ReadOnlySpan<double> a, int m, int n, ReadOnlySpan<double> x, Span<double> y, int c0, int c1)
    {
        var yc = y[c0..c1];
        yc.Clear();
        for (int i = 0; i < m; i++) Dense.Axpy(x[i], a.Slice(i * n + c0, c1 - c0), yc);
    }

    /// <summary>Share t of a product (rows of A·x or a column range of Aᵀ·x), the operands pinned by the caller.</summary>
    private readonly unsafe struct Shared(double* a, int m, int n, double* x, int xLength, double* y, int yLength, int shares, bool transposed) : IShareBody
    {
        public void Run(int t)
        {
            var matrix = new ReadOnlySpan<double>(a, m * n);
            var input = new ReadOnlySpan<double>(x, xLength);
            var output = new Span<double>(y, yLength);
            if (transposed)
                ColumnsOf(matrix, m, n, input, output, ColumnStart(n, t, shares), ColumnStart(n, t + 1, shares));
            else
                RowsOf(matrix, n, input, output, (int)((long)m * t / shares), (int)((long)m * (t + 1) / shares));
        }
    }
}

/// <summary>What an iterative solver did: the solution, the iterations it ran, whether it met its tolerance, and the final residual norm.</summary>
/// <param name="Solution">The approximate solution x.</param>
/// <param name="Iterations">The iterations run.</param>
/// <param name="Converged">True when the tolerance was met within the iteration limit.</param>
/// <param name="ResidualNorm">‖b − A·x‖ (for LSQR with damping, of the damped problem; an estimate from the recurrences).</param>
public sealed record IterativeResult(double[] Solution, int Iterations, bool Converged, double ResidualNorm);
