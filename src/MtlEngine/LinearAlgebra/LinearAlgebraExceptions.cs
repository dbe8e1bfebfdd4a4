namespace MtlEngine.LinearAlgebra;

/// <summary>The base of the numerical failures of the factorizations (not of wrong arguments: those are <see cref="MatrixShapeException"/>).</summary>
public class LinearAlgebraException : Exception
{
    /// <summary>Creates the exception with a message saying what failed and how to fix it.</summary>
    public LinearAlgebraException(string message) : base(message) { }
}

/// <summary>
/// Cholesky found a pivot that is not positive: the leading (<see cref="PivotIndex"/> + 1)×(<see cref="PivotIndex"/> + 1)
/// block of the matrix is not positive definite.
/// </summary>
public sealed class NotPositiveDefiniteException : LinearAlgebraException
{
    /// <summary>Creates the exception for the failing pivot.</summary>
    public NotPositiveDefiniteException(int pivotIndex, double pivotValue)
        : base($"The matrix is not positive definite: Cholesky pivot {pivotIndex} is {pivotValue:G6} (must be > 0). "
            + "Check that the matrix is symmetric positive definite, add a small ridge (A + λI), or use the LU or eigen decomposition.")
    {
        PivotIndex = pivotIndex;
        PivotValue = pivotValue;
    }

    /// <summary>The index (0-based) of the first non-positive pivot.</summary>
    public int PivotIndex { get; }

    /// <summary>The value d = aₖₖ − Σ lₖⱼ² found at the pivot.</summary>
    public double PivotValue { get; }
}

/// <summary>The matrix is singular (exactly, to working precision): a pivot of LU or a diagonal entry of a triangular factor is zero.</summary>
public sealed class SingularMatrixException : LinearAlgebraException
{
    /// <summary>Creates the exception for the zero pivot.</summary>
    public SingularMatrixException(int pivotIndex, string factorization)
        : base($"The matrix is singular: {factorization} pivot {pivotIndex} is zero. "
            + "Solve a least-squares problem instead (column-pivoted QR or the SVD), or regularize the matrix.")
    {
        PivotIndex = pivotIndex;
    }

    /// <summary>The index (0-based) of the zero pivot.</summary>
    public int PivotIndex { get; }
}

/// <summary>An iteration (the tridiagonal QL, the Jacobi SVD) did not converge in its iteration budget.</summary>
public sealed class NoConvergenceException : LinearAlgebraException
{
    /// <summary>Creates the exception.</summary>
    public NoConvergenceException(string message) : base(message) { }
}

/// <summary>The shapes of the arguments do not fit the operation (the message names them).</summary>
public sealed class MatrixShapeException : ArgumentException
{
    /// <summary>Creates the exception with a message naming the shapes.</summary>
    public MatrixShapeException(string message) : base(message) { }

    /// <summary>Throws unless <paramref name="a"/> is square.</summary>
    internal static void ThrowIfNotSquare(DenseMatrix a, string operation)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.Rows != a.Columns)
            throw new MatrixShapeException($"{operation} needs a square matrix, but got shape {a.ShapeText}.");
    }

    /// <summary>Throws unless the right-hand side has as many rows as the matrix.</summary>
    internal static void ThrowIfRowsDiffer(DenseMatrix a, DenseMatrix b, string operation)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rows != b.Rows)
            throw new MatrixShapeException($"{operation}: the matrix has shape {a.ShapeText} but the right-hand side has shape {b.ShapeText}; they need the same number of rows.");
    }
}
