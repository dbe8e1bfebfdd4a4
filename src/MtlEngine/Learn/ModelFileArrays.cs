using System.Globalization;
using MtlEngine.Data;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn;

/// <summary>
/// Checked reads of a model file's tensors and metadata for the <c>Load</c> methods: every shape or value that does not
/// fit is a <see cref="DataFormatException"/> naming the file, the model kind, the entry and what was expected.
/// </summary>
internal static class ModelFileArrays
{
    /// <summary>A float tensor of rank 1 (length <paramref name="length"/> when given) as float64.</summary>
    public static double[] Vector(this ModelFileContents file, string name, int? length = null)
    {
        var tensor = file.Tensor(name);
        if (tensor.Rank != 1)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has rank {tensor.Rank}; expected a vector{Expected(length)}");
        var values = tensor.ToDoubleArray();
        if (length is int n && values.Length != n)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has {values.Length} values where {n} were expected");
        return values;
    }

    /// <summary>A float tensor of rank 2 (of the given rows and columns when given) as a float64 matrix.</summary>
    public static DenseMatrix Matrix(this ModelFileContents file, string name, int? rows = null, int? columns = null)
    {
        var tensor = file.Tensor(name);
        if (tensor.Rank != 2)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has rank {tensor.Rank}; expected a matrix of shape ({rows?.ToString(CultureInfo.InvariantCulture) ?? "rows"}, {columns?.ToString(CultureInfo.InvariantCulture) ?? "columns"})");
        int r = tensor.Shape[0], c = tensor.Shape[1];
        if ((rows is int er && er != r) || (columns is int ec && ec != c))
            throw new DataFormatException(file.Path,
                $"the '{file.Kind}' model's {name} has shape ({r}, {c}) where ({rows?.ToString(CultureInfo.InvariantCulture) ?? r.ToString(CultureInfo.InvariantCulture)}, {columns?.ToString(CultureInfo.InvariantCulture) ?? c.ToString(CultureInfo.InvariantCulture)}) was expected");
        return new DenseMatrix(r, c, tensor.ToDoubleArray());
    }

    /// <summary>Whole numbers of an integer (or whole-valued float) tensor of rank 1.</summary>
    public static long[] Integers(this ModelFileContents file, string name, int? length = null)
    {
        var values = file.Vector(name, length);
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != Math.Floor(values[i]) || Math.Abs(values[i]) > long.MaxValue / 2.0)
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name}[{i}] is {values[i].ToString(CultureInfo.InvariantCulture)}; expected whole numbers");
            result[i] = (long)values[i];
        }
        return result;
    }

    /// <summary>A metadata flag written as "true" or "false".</summary>
    public static bool Flag(this ModelFileContents file, string key) => file.Text(key) switch
    {
        "true" => true,
        "false" => false,
        var other => throw new DataFormatException(file.Path, $"the '{file.Kind}' model's metadata entry '{key}' is '{other}'; expected true or false"),
    };

    /// <summary>A metadata entry that must be a whole number in [<paramref name="min"/>, int.MaxValue].</summary>
    public static int Integer(this ModelFileContents file, string key, int min = 0)
    {
        string text = file.Text(key);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's metadata entry '{key}' is '{text}'; expected a whole number ≥ {min}");
        return value;
    }

    /// <summary>A metadata number that must not be NaN.</summary>
    public static double Real(this ModelFileContents file, string key)
    {
        double value = file.Number(key);
        if (double.IsNaN(value))
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's metadata entry '{key}' is NaN");
        return value;
    }

    /// <summary>A double as metadata text that reads back to the same bits ("R", invariant; ±Infinity spelled out).</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An int as invariant metadata text.</summary>
    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A flag as metadata text.</summary>
    public static string Text(bool value) => value ? "true" : "false";

    private static string Expected(int? length) => length is int n ? $" of length {n}" : "";
}
