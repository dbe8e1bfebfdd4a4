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
/// A dense matrix as an <see cref="ILinearOperator"/>: A·x as one dot product per row, Aᵀ·x as one axpy per row, both on
/// the calling thread (not through the GEMV kernel, whose dot products round differently).
/// </summary>
/// <param name="Matrix">The matrix.</param>
/// <param name="Parallelism">Reserved for threaded products; the products run on the calling thread whatever it says, so it
/// changes nothing yet (a threaded form must keep each row's sums in this order to keep the results).</param>
public sealed record DenseOperator(DenseMatrix Matrix, Parallelism? Parallelism = null) : ILinearOperator
{
    /// <inheritdoc/>
    public int Rows => Matrix.Rows;

    /// <inheritdoc/>
    public int Columns => Matrix.Columns;

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < Matrix.Rows; i++) y[i] = Dense.Dot(Matrix.Row(i), x);
    }

    /// <inheritdoc/>
    public void ApplyTransposed(ReadOnlySpan<double> x, Span<double> y)
    {
        y[..Matrix.Columns].Clear();
        for (int i = 0; i < Matrix.Rows; i++) Dense.Axpy(x[i], Matrix.Row(i), y);
    }
}

/// <summary>What an iterative solver did: the solution, the iterations it ran, whether it met its tolerance, and the final residual norm.</summary>
/// <param name="Solution">The approximate solution x.</param>
/// <param name="Iterations">The iterations run.</param>
/// <param name="Converged">True when the tolerance was met within the iteration limit.</param>
/// <param name="ResidualNorm">‖b − A·x‖ (for LSQR with damping, of the damped problem; an estimate from the recurrences).</param>
public sealed record IterativeResult(double[] Solution, int Iterations, bool Converged, double ResidualNorm);
