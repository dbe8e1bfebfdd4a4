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

    /// <summary>
    /// A rank-2 float64 tensor's elements without a copy where it can: (rows, columns, array, offset) with element
    /// (i, j) at <c>offset + i·columns + j</c>. A contiguous tensor on the CPU gives its own storage (read it, never
    /// write it); any other a row-major copy at offset 0. Large inputs are not copied because fresh memory is slow.
    /// </summary>
    public static (int Rows, int Columns, double[] Values, int Offset) MatrixView(MtlTensor<double> x, string name = "X")
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Rank != 2)
            throw new LearnInputException($"{name} must be of shape (n_samples, n_features), but has shape {MtlTensor<double>.ShapeText(x.Shape)}; reshape a single feature to (n, 1).");
        var (values, offset) = Elements(x);
        return (x.Dim(0), x.Dim(1), values, offset);
    }

    /// <summary>
    /// The one "contiguous data" helper of Learn: a float64 tensor's row-major elements, any rank, as (array, start):
    /// its own storage when it is contiguous on the CPU (read it, never write it), else a copy at start 0.
    /// </summary>
    public static (double[] Values, int Start) Elements(MtlTensor<double> x) =>
        x.Storage is CpuStorage<double> cpu && x.IsContiguous ? (cpu.Data, x.Offset) : (x.ToArray(), 0);

    /// <summary><see cref="Elements"/> as a span of exactly the tensor's elements.</summary>
    public static ReadOnlySpan<double> ElementSpan(MtlTensor<double> x)
    {
        var (values, start) = Elements(x);
        return values.AsSpan(start, x.Length);
    }

    /// <summary>
    /// <see cref="Finite"/> (the same exception for the same first non-finite value), fast: x·0 is 0 for finite x and NaN
    /// for ±∞ and NaN, so a chunk whose dot product with zeros is not 0 holds one; only that chunk is searched.
    /// </summary>
    public static void FiniteByChunks(ReadOnlySpan<double> values, int columns, string name)
    {
        const int chunk = 4096;
        Span<double> zeros = stackalloc double[chunk];
        zeros.Clear();
        for (int start = 0; start < values.Length; start += chunk)
        {
            int length = Math.Min(chunk, values.Length - start);
            if (System.Numerics.Tensors.TensorPrimitives.Dot(values.Slice(start, length), zeros[..length]) != 0)
            {
                int width = Math.Max(columns, 1);
                for (int i = start; i < start + length; i++)
                    if (!double.IsFinite(values[i]))
                        throw new LearnInputException($"{name}[{i / width}, {i % width}] is {values[i]}; remove or impute non-finite values first (SimpleImputer).");
            }
        }
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
