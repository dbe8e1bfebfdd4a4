using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>An estimator was given input it cannot use (shapes that disagree, NaN where none may be, unknown categories); the message says which and how to fix it.</summary>
public sealed class LearnInputException : ArgumentException
{
    /// <summary>Creates the exception with its message.</summary>
    public LearnInputException(string message) : base(message) { }
}

/// <summary>Input checks and conversions shared by the estimators.</summary>
internal static class LearnInput
{
    /// <summary>A rank-2 float64 tensor as (rows, columns, row-major copy).</summary>
    public static (int Rows, int Columns, double[] Values) Matrix(MtlTensor<double> x, string name = "X")
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Rank != 2)
            throw new LearnInputException($"{name} must be of shape (n_samples, n_features), but has shape {MtlTensor<double>.ShapeText(x.Shape)}; reshape a single feature to (n, 1).");
        return (x.Dim(0), x.Dim(1), x.ToArray());
    }

    /// <summary>A float64 tensor of rank 1 (one target, returned as one column) or 2 (n_samples, n_targets).</summary>
    public static (int Rows, int Columns, double[] Values) Targets(MtlTensor<double> y, string name = "y")
    {
        ArgumentNullException.ThrowIfNull(y, name);
        return y.Rank switch
        {
            1 => (y.Dim(0), 1, y.ToArray()),
            2 => (y.Dim(0), y.Dim(1), y.ToArray()),
            _ => throw new LearnInputException($"{name} must be of shape (n_samples,) or (n_samples, n_targets), but has shape {MtlTensor<double>.ShapeText(y.Shape)}."),
        };
    }

    public static void Features(int expected, int actual, string what)
    {
        if (expected != actual)
            throw new LearnInputException($"{what} was fitted on {expected} features but X has {actual} columns; pass X with the columns it was fitted on.");
    }

    public static void Finite(ReadOnlySpan<double> values, int columns, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new LearnInputException($"{name}[{i / Math.Max(columns, 1)}, {i % Math.Max(columns, 1)}] is {values[i]}; remove or impute non-finite values first (SimpleImputer).");
    }

    public static void NotEmpty(int rows, string name)
    {
        if (rows == 0)
            throw new LearnInputException($"{name} has no samples; fitting needs at least one row.");
    }

    /// <summary>Rows <paramref name="indices"/> of a rank-1 or rank-2 tensor, in that order (repeats allowed).</summary>
    public static MtlTensor<double> TakeRows(MtlTensor<double> x, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        int n = x.Dim(0), width = x.Rank == 1 ? 1 : x.Dim(1);
        var source = x.ToArray();
        var result = new double[indices.Length * width];
        for (int r = 0; r < indices.Length; r++)
        {
            if ((uint)indices[r] >= (uint)n)
                throw new LearnInputException($"Row index {indices[r]} is out of range for {n} samples.");
            Array.Copy(source, indices[r] * width, result, r * width, width);
        }
        return x.Rank == 1 ? MtlTensor.FromArray(result, indices.Length) : MtlTensor.FromArray(result, indices.Length, width);
    }
}
