using System.Text.Json;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

/// <summary>Paths of the committed fixtures and the values make_data_fixtures.py recorded for them.</summary>
internal static class DataFixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Data");

    public static string PathOf(string relative) => Path.Combine(Directory, relative);

    public sealed record Expected(string Name, DType DType, int[] Shape, double[] Values);

    /// <summary>expected.json: fixture path → its arrays.</summary>
    public static Dictionary<string, List<Expected>> Load(string manifest = "expected.json")
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(PathOf(manifest)));
        var result = new Dictionary<string, List<Expected>>();
        foreach (JsonProperty file in document.RootElement.EnumerateObject())
        {
            if (file.Value.ValueKind != JsonValueKind.Array) continue; // the metadata record
            result[file.Name] = file.Value.EnumerateArray().Select(Parse).ToList();
        }
        return result;
    }

    public static Dictionary<string, string> Metadata(string key)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(PathOf("expected.json")));
        return document.RootElement.GetProperty(key).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    private static Expected Parse(JsonElement record)
    {
        DType dtype = record.GetProperty("dtype").GetString() switch
        {
            "float32" => DType.Float32,
            "float64" => DType.Float64,
            "int32" => DType.Int32,
            "int64" => DType.Int64,
            "uint8" => DType.UInt8,
            "bool" => DType.Bool,
            var other => throw new InvalidOperationException($"dtype {other} in expected.json"),
        };
        int[] shape = record.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] values = record.GetProperty("values").EnumerateArray().Select(v => v.ValueKind switch
        {
            JsonValueKind.Number => v.GetDouble(),
            JsonValueKind.True => 1.0,
            JsonValueKind.False => 0.0,
            JsonValueKind.String => v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, var s => throw new InvalidOperationException(s) },
            _ => throw new InvalidOperationException(v.ToString()),
        }).ToArray();
        return new Expected(record.GetProperty("name").GetString()!, dtype, shape, values);
    }

    /// <summary>Asserts dtype, shape and every value (bit-exact after converting to double; NaN equals NaN).</summary>
    public static void AssertMatches(Expected expected, NdArray actual, string context)
    {
        Assert.True(expected.DType == actual.DType, $"{context}: dtype {actual.DType}, expected {expected.DType}");
        Assert.True(expected.Shape.AsSpan().SequenceEqual(actual.Shape), $"{context}: shape ({string.Join(",", actual.Shape.ToArray())}), expected ({string.Join(",", expected.Shape)})");
        double[] values = actual.ToDoubleArray();
        Assert.Equal(expected.Values.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            double want = actual.DType == DType.Float32 ? (float)expected.Values[i] : expected.Values[i];
            Assert.True(want.Equals(values[i]), $"{context}: element {i} is {values[i]:R}, expected {want:R}");
        }
    }
}
