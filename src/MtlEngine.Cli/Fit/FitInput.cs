using System.Globalization;
using MtlEngine.Data;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// Reads and checks the array files of <c>mtl fit</c> and <c>mtl predict</c>. Every problem is a
/// <see cref="UsageException"/> whose message names the file and what is wrong (exit code 2).
/// </summary>
internal static class FitInput
{
    /// <summary>X: a float (or integer) .npy of rank 2, every value finite, as float64.</summary>
    public static MtlTensor<double> Features(string path, string option = "--x")
    {
        var array = ArrayFiles.ReadNpy(path, option);
        if (array.Rank != 2)
            throw new UsageException($"{path} ({option}): X must have shape (n_samples, n_features) but has shape {Shape(array)}");
        if (array.DType == DType.Bool)
            throw new UsageException($"{path} ({option}): X is boolean; pass a float array");
        // A float64 file's array becomes the tensor's storage (the NdArray is dropped here); only other dtypes are converted.
        // The finite check reads that storage in place: X is held once, not three times (X above RAM/3 used to fail).
        var x = array.Data is double[] data ? MtlTensor.FromArray(data, array.Shape.ToArray()) : array.ToTensor<double>();
        ReadOnlySpan<double> values = x.AsSpan();
        int columns = Math.Max(array.Shape[1], 1);
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new UsageException($"{path} ({option}): X[{i / columns}, {i % columns}] is {Text(values[i])}; remove or impute non-finite values first");
        return x;
    }

    /// <summary>Y: a float .npy of rank 1 or 2 whose rows match X's, every value finite, as float64.</summary>
    public static MtlTensor<double> Targets(string path, int rows, string option = "--y")
    {
        var array = ArrayFiles.ReadNpy(path, option);
        if (array.Rank is not (1 or 2))
            throw new UsageException($"{path} ({option}): y must have shape (n_samples,) or (n_samples, n_targets) but has shape {Shape(array)}");
        CheckRows(path, option, array.Shape[0], rows);
        var y = array.ToTensor<double>();
        var values = y.ToArray();
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new UsageException($"{path} ({option}): y has the non-finite value {Text(values[i])} at flat index {i}");
        return y;
    }

    /// <summary>
    /// Class labels: an integer .npy of rank 1 (or a float one whose values are all whole numbers) whose length
    /// matches X's rows.
    /// </summary>
    public static int[] Labels(string path, int rows, string option = "--y")
    {
        var array = ArrayFiles.ReadNpy(path, option);
        if (array.Rank != 1 && !(array.Rank == 2 && array.Shape[1] == 1))
            throw new UsageException($"{path} ({option}): labels must have shape (n_samples,) but have shape {Shape(array)}");
        CheckRows(path, option, array.Shape[0], rows);
        var values = array.ToTensor<double>().ToArray();
        var labels = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v) || v != Math.Floor(v) || Math.Abs(v) > int.MaxValue)
                throw new UsageException($"{path} ({option}): labels must be integers, but y[{i}] is {Text(v)}");
            labels[i] = (int)v;
        }
        return labels;
    }

    /// <summary>Per-sample weights: a float .npy of shape (n_samples,), finite and non-negative.</summary>
    public static double[] SampleWeights(string path, int rows, string option = "--sample-weight")
    {
        var array = ArrayFiles.ReadNpy(path, option);
        if (array.Rank != 1)
            throw new UsageException($"{path} ({option}): sample weights must have shape (n_samples,) but have shape {Shape(array)}");
        CheckRows(path, option, array.Shape[0], rows);
        var values = array.ToTensor<double>().ToArray();
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]) || values[i] < 0)
                throw new UsageException($"{path} ({option}): sample weights must be finite and non-negative, but w[{i}] is {Text(values[i])}");
        return values;
    }

    /// <summary>Parses "a,b,c" into positive finite numbers.</summary>
    public static double[] NumberList(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                throw new UsageException($"{option}: '{parts[i]}' is not a number (expected a comma-separated list such as 0.1,1,10)");
        return values;
    }

    /// <summary>Writes a float64 result as .npy.</summary>
    public static void WriteResult(string path, MtlTensor<double> result, string option = "--out")
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"{path} ({option}): the output must be a .npy file");
        Npy.Write(path, NdArray.FromTensor(result));
    }

    private static void CheckRows(string path, string option, int actual, int expected)
    {
        if (actual != expected)
            throw new UsageException($"{path} ({option}): has {actual} rows but X has {expected}; the rows of X and y must match");
    }

    private static string Shape(NdArray array) => "(" + string.Join(", ", array.Shape.ToArray()) + (array.Rank == 1 ? ",)" : ")");

    private static string Text(double v) => v.ToString(CultureInfo.InvariantCulture);
}
