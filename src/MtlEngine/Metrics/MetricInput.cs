using MtlEngine.Tensors;

namespace MtlEngine.Metrics;

/// <summary>A metric was called with inputs that do not fit together (lengths, shapes, label sets); the message says which and how to fix it.</summary>
public sealed class MetricInputException : ArgumentException
{
    /// <summary>Creates the exception with its message.</summary>
    public MetricInputException(string message) : base(message) { }
}

/// <summary>Input checks and conversions shared by the metrics.</summary>
internal static class MetricInput
{
    public static void SameLength(int expected, int actual, string expectedName, string actualName)
    {
        if (expected != actual)
            throw new MetricInputException($"{expectedName} has length {expected} but {actualName} has length {actual}; pass one value per sample in both.");
    }

    public static void NotEmpty(int length, string name)
    {
        if (length == 0)
            throw new MetricInputException($"{name} is empty; a metric needs at least one sample.");
    }

    /// <summary>The sorted distinct labels of one or two label arrays (scikit-learn's unique_labels).</summary>
    public static int[] UniqueLabels(ReadOnlySpan<int> a, ReadOnlySpan<int> b = default)
    {
        var set = new SortedSet<int>();
        foreach (int v in a) set.Add(v);
        foreach (int v in b) set.Add(v);
        return [.. set];
    }

    /// <summary>A float64 tensor of rank 1 or 2 as (rows, columns, row-major values); a vector is one column.</summary>
    public static (int Rows, int Columns, double[] Values) Matrix(MtlTensor<double> t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        return t.Rank switch
        {
            1 => (t.Dim(0), 1, t.ToArray()),
            2 => (t.Dim(0), t.Dim(1), t.ToArray()),
            _ => throw new MetricInputException($"{name} must be of shape (n_samples,) or (n_samples, n_outputs), but has shape {MtlTensor<double>.ShapeText(t.Shape)}."),
        };
    }
}
