using System.Globalization;
using System.CommandLine;
using System.Text.Json;
using MtlEngine.Cli.Output;
using MtlEngine.Data;

namespace MtlEngine.Cli;

/// <summary>
/// <c>mtl inspect FILE [--json]</c>: each array's name, dtype, shape, min, max and mean.
/// With <c>--json</c>, one JSON object: for .npy and .csv <c>{"dtype", "shape", "min", "max", "mean"}</c>;
/// for .npz and .safetensors <c>{"arrays": [{"name", "dtype", ...}, ...]}</c>, plus <c>"metadata"</c> for
/// safetensors. min, max and mean are null for an empty array, and the strings "NaN", "Infinity" or
/// "-Infinity" when not finite.
/// </summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter stdout)
    {
        var file = new Argument<string>("FILE") { Description = "An array file: .npy, .npz, .safetensors or .csv." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var command = new Command("inspect", "Show each array of a file: name, dtype, shape, min, max, mean.") { file, json };
        command.SetAction(parsed => Run(parsed.GetRequiredValue(file), parsed.GetValue(json), stdout));
        return command;
    }

    public static int Run(string path, bool json, TextWriter stdout)
    {
        var source = ArrayFiles.Read(path);
        var metadata = source.Metadata;
        var rows = source.Arrays.Select(a => (Array: a, Stats: Summary.Of<double>(a.ToDoubleArray()))).ToList();
        if (json) WriteJson(path, rows, metadata, stdout);
        else WriteTable(path, rows, metadata, source.ColumnNames, stdout);
        return Program.ExitSuccess;
    }

    private static void WriteTable(string path, List<(NdArray Array, Summary Stats)> rows, IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<string>? columnNames, TextWriter stdout)
    {
        stdout.WriteLine($"{path}: {rows.Count} array{(rows.Count == 1 ? "" : "s")}");
        var table = new TextTable("name", "dtype", "shape", ">min", ">max", ">mean");
        foreach (var (array, stats) in rows)
        {
            bool empty = stats.Count == 0;
            var exact = ExactExtremes(array);
            table.Add(array.Name.Length == 0 ? "-" : array.Name, ArrayFiles.DTypeName(array.DType), TextTable.Shape(array.Shape),
                empty ? "-" : exact?.Min.ToString(CultureInfo.InvariantCulture) ?? TextTable.Number(stats.Min),
                empty ? "-" : exact?.Max.ToString(CultureInfo.InvariantCulture) ?? TextTable.Number(stats.Max),
                empty ? "-" : TextTable.Number(stats.Mean));
        }
        table.WriteTo(stdout);
        if (columnNames is not null) stdout.WriteLine($"columns: {string.Join(", ", columnNames)}");
        if (metadata.Count > 0)
        {
            stdout.WriteLine("metadata:");
            var entries = new TextTable("key", "value");
            foreach (var (key, value) in metadata.OrderBy(e => e.Key, StringComparer.Ordinal)) entries.Add(key, value);
            entries.WriteTo(stdout);
        }
    }

    private static void WriteJson(string path, List<(NdArray Array, Summary Stats)> rows, IReadOnlyDictionary<string, string> metadata, TextWriter stdout)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            if (ArrayFiles.HoldsManyArrays(path))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("arrays");
                foreach (var (array, stats) in rows) WriteArray(writer, array, stats, withName: true);
                writer.WriteEndArray();
                if (ArrayFiles.Extension(path) == ".safetensors")
                {
                    writer.WriteStartObject("metadata");
                    foreach (var (key, value) in metadata.OrderBy(e => e.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
            }
            else
            {
                var (array, stats) = rows.Single();
                WriteArray(writer, array, stats, withName: false);
            }
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteArray(Utf8JsonWriter writer, NdArray array, Summary stats, bool withName)
    {
        writer.WriteStartObject();
        if (withName) writer.WriteString("name", array.Name);
        writer.WriteString("dtype", ArrayFiles.DTypeName(array.DType));
        writer.WriteStartArray("shape");
        foreach (int d in array.Shape) writer.WriteNumberValue(d);
        writer.WriteEndArray();
        // A float32 minimum and maximum are float32 values: written as such, -3.65 rather than -3.6500000953674316.
        bool single = array.DType == DType.Float32;
        if (ExactExtremes(array) is { } exact && stats.Count > 0)
        {
            writer.WriteNumber("min", exact.Min);
            writer.WriteNumber("max", exact.Max);
        }
        else
        {
            WriteStatistic(writer, "min", stats.Count, stats.Min, single);
            WriteStatistic(writer, "max", stats.Count, stats.Max, single);
        }
        WriteStatistic(writer, "mean", stats.Count, stats.Mean, single: false);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The minimum and maximum of an int64 array as int64: through double, 9223372036854775807 would print as
    /// 9223372036854775808 (2⁶³, the nearest double). Null for other dtypes (every int32 and uint8 is exact as a double).
    /// </summary>
    private static (long Min, long Max)? ExactExtremes(NdArray array)
    {
        if (array.Data is not long[] values || values.Length == 0) return null;
        long min = long.MaxValue, max = long.MinValue;
        foreach (long v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return (min, max);
    }

    /// <summary>A number; null for an empty array; JSON has no NaN or infinity, so those are written as strings.</summary>
    private static void WriteStatistic(Utf8JsonWriter writer, string name, long count, double value, bool single)
    {
        if (count == 0) writer.WriteNull(name);
        else if (double.IsNaN(value)) writer.WriteString(name, "NaN");
        else if (double.IsPositiveInfinity(value)) writer.WriteString(name, "Infinity");
        else if (double.IsNegativeInfinity(value)) writer.WriteString(name, "-Infinity");
        else if (single) writer.WriteNumber(name, (float)value);
        else writer.WriteNumber(name, value);
    }
}
