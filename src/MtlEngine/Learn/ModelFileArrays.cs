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
    /// <summary>
    /// A float tensor (float32 or float64) of rank 1 (length <paramref name="length"/> when given) as float64, every value
    /// finite unless <paramref name="allowNonFinite"/>: a NaN or infinite coefficient would give finite-looking wrong predictions.
    /// </summary>
    public static double[] Vector(this ModelFileContents file, string name, int? length = null, bool allowNonFinite = false)
    {
        var tensor = FloatTensor(file, name);
        if (tensor.Rank != 1)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has shape {ShapeOf(tensor)}; expected a vector{Expected(length)}");
        var values = tensor.ToDoubleArray();
        if (length is int n && values.Length != n)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has {values.Length} values where {n} were expected");
        if (!allowNonFinite) Finite(file, name, values, 1);
        return values;
    }

    /// <summary>A float tensor of rank 2 (of the given rows and columns when given) as a float64 matrix, every value finite.</summary>
    public static DenseMatrix Matrix(this ModelFileContents file, string name, int? rows = null, int? columns = null)
    {
        var tensor = FloatTensor(file, name);
        if (tensor.Rank != 2)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has shape {ShapeOf(tensor)}; expected a matrix of shape ({rows?.ToString(CultureInfo.InvariantCulture) ?? "rows"}, {columns?.ToString(CultureInfo.InvariantCulture) ?? "columns"})");
        int r = tensor.Shape[0], c = tensor.Shape[1];
        if ((rows is int er && er != r) || (columns is int ec && ec != c))
            throw new DataFormatException(file.Path,
                $"the '{file.Kind}' model's {name} has shape ({r}, {c}) where ({rows?.ToString(CultureInfo.InvariantCulture) ?? r.ToString(CultureInfo.InvariantCulture)}, {columns?.ToString(CultureInfo.InvariantCulture) ?? c.ToString(CultureInfo.InvariantCulture)}) was expected");
        var values = tensor.ToDoubleArray();
        Finite(file, name, values, c);
        return new DenseMatrix(r, c, values);
    }

    /// <summary>
    /// Whole numbers of a rank-1 integer tensor (int64, int32 or uint8, read exactly) or of a whole-valued float tensor
    /// (|value| ≤ 2⁵³, where every whole number is exact).
    /// </summary>
    public static long[] Integers(this ModelFileContents file, string name, int? length = null)
    {
        var tensor = file.Tensor(name);
        if (tensor.Rank != 1)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has shape {ShapeOf(tensor)}; expected a vector of whole numbers{Expected(length)}");
        if (length is int n && tensor.Length != n)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} has {tensor.Length} values where {n} were expected");
        switch (tensor.Data)
        {
            case long[] longs: return (long[])longs.Clone();
            case int[] ints: return Array.ConvertAll(ints, v => (long)v);
            case byte[] bytes: return Array.ConvertAll(bytes, v => (long)v);
            case bool[]:
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} is bool; expected whole numbers");
        }
        var values = tensor.ToDoubleArray();
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != Math.Floor(values[i]) || Math.Abs(values[i]) > 9007199254740992.0)
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name}[{i}] is {values[i].ToString(CultureInfo.InvariantCulture)}; expected whole numbers");
            result[i] = (long)values[i];
        }
        return result;
    }

    /// <summary>One of <paramref name="allowed"/>, spelled exactly.</summary>
    public static string Choice(this ModelFileContents file, string key, params string[] allowed)
    {
        string text = file.Text(key);
        if (!allowed.Contains(text, StringComparer.Ordinal))
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's metadata entry '{key}' is '{text}'; expected one of {string.Join(", ", allowed)}");
        return text;
    }

    /// <summary>The named tensor, which must hold float32 or float64 values.</summary>
    private static NdArray FloatTensor(ModelFileContents file, string name)
    {
        var tensor = file.Tensor(name);
        if (tensor.DType is not (DType.Float32 or DType.Float64))
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {name} is {DTypes.NumpyName(tensor.DType)}; expected float64 (or float32) values");
        return tensor;
    }

    private static void Finite(ModelFileContents file, string name, double[] values, int columns)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
            {
                string at = columns == 1 ? $"[{i}]" : $"[{i / columns}, {i % columns}]";
                throw new DataFormatException(file.Path,
                    $"the '{file.Kind}' model's {name}{at} is {values[i].ToString(CultureInfo.InvariantCulture)}; a model's fitted values are finite (refit it)");
            }
    }

    private static string ShapeOf(NdArray tensor) => Tensors.MtlTensor<double>.ShapeText(tensor.Shape);

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
