using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;

namespace MtlEngine.Datasets;

/// <summary>
/// Reads the gzip-compressed files embedded in this assembly. The data is ours and fixed, so a file that does
/// not parse is a bug in the build, reported as <see cref="InvalidDataException"/> naming the resource and line.
/// </summary>
internal static class EmbeddedData
{
    private static readonly Assembly Assembly = typeof(EmbeddedData).Assembly;

    /// <summary>The whole decompressed content of resource <paramref name="name"/> (for example "iris.csv.gz").</summary>
    public static byte[] ReadAllBytes(string name)
    {
        using var compressed = OpenCompressed(name);
        // A gzip member ends with ISIZE, the uncompressed length modulo 2^32 (RFC 1952 §2.3.1): it sizes the buffer exactly.
        int expected = 0;
        if (compressed.CanSeek && compressed.Length >= 18)
        {
            Span<byte> trailer = stackalloc byte[4];
            compressed.Seek(-4, SeekOrigin.End);
            compressed.ReadExactly(trailer);
            compressed.Seek(0, SeekOrigin.Begin);
            expected = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(trailer), 256u << 20);
        }
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var buffer = new MemoryStream(expected);
        gzip.CopyTo(buffer);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    /// <summary>The decompressed text of resource <paramref name="name"/>, split into lines (without a trailing empty line).</summary>
    public static string[] ReadLines(string name)
    {
        string text = Encoding.UTF8.GetString(ReadAllBytes(name));
        var lines = text.Split('\n');
        int count = lines.Length;
        while (count > 0 && lines[count - 1].Length == 0) count--;
        if (count != lines.Length) Array.Resize(ref lines, count);
        for (int i = 0; i < lines.Length; i++) lines[i] = lines[i].TrimEnd('\r');
        return lines;
    }

    /// <summary>The uncompressed text of an embedded plain file (the NOTICE).</summary>
    public static string ReadPlainText(string name)
    {
        using var stream = Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The MtlEngine.Datasets assembly has no embedded resource '{name}'.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Parses the numbers of <paramref name="line"/> (split on <paramref name="separator"/>, or on runs of spaces when it is ' ') into <paramref name="row"/>.</summary>
    public static void ParseRow(string resource, int lineNumber, string line, char separator, Span<double> row)
    {
        var span = line.AsSpan();
        int column = 0;
        while (true)
        {
            if (separator == ' ') span = span.TrimStart(' ');
            if (span.IsEmpty) break;
            int end = span.IndexOf(separator);
            var field = end < 0 ? span : span[..end];
            if (column >= row.Length)
                throw Bad(resource, lineNumber, $"more than {row.Length} fields");
            if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out row[column]))
                throw Bad(resource, lineNumber, $"field {column + 1} '{field.ToString()}' is not a number");
            column++;
            if (end < 0) break;
            span = span[(end + 1)..];
        }
        if (column != row.Length)
            throw Bad(resource, lineNumber, $"{column} fields where {row.Length} were expected");
    }

    /// <summary>An exception for a resource that does not hold what its loader expects.</summary>
    public static InvalidDataException Bad(string resource, int lineNumber, string problem) =>
        new($"Embedded data set file {resource}, line {lineNumber}: {problem}. The MtlEngine.Datasets build is damaged.");

    private static Stream OpenCompressed(string name) =>
        Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The MtlEngine.Datasets assembly has no embedded resource '{name}'.");
}
