using System.Globalization;
using System.Text;

namespace MtlEngine.Data;

/// <summary>Whether the first row of a CSV file holds column names.</summary>
public enum CsvHeader
{
    /// <summary>
    /// A first row is a header when none of its fields is or starts like a number (a digit, or a sign or point before one);
    /// a first row with such a field is data, so a malformed number there ("1,5x") is an error naming its line and column
    /// rather than a header that silently drops the row. Use <see cref="Present"/> for headers whose names start with digits.
    /// </summary>
    Auto,
    /// <summary>The first row is a header.</summary>
    Present,
    /// <summary>There is no header; every row is data.</summary>
    Absent,
}

/// <summary>How to read a numeric CSV file.</summary>
public sealed record CsvOptions
{
    /// <summary>The field separator (default ','); ignored when <see cref="WhitespaceSeparated"/> is set.</summary>
    public char Separator { get; init; } = ',';

    /// <summary>Split fields on runs of spaces and tabs (like <c>numpy.loadtxt</c> without a delimiter).</summary>
    public bool WhitespaceSeparated { get; init; }

    /// <summary>Whether the first row is a header (default: detect it).</summary>
    public CsvHeader Header { get; init; } = CsvHeader.Auto;
}

/// <summary>A numeric CSV file read into a float64 matrix.</summary>
public sealed class CsvTable
{
    /// <summary>Wraps the values and the optional column names.</summary>
    public CsvTable(NdArray array, IReadOnlyList<string>? columnNames)
    {
        ArgumentNullException.ThrowIfNull(array);
        Array = array;
        ColumnNames = columnNames;
    }

    /// <summary>The values, float64 of shape (rows, columns).</summary>
    public NdArray Array { get; }

    /// <summary>The header's column names, or null when the file has no header.</summary>
    public IReadOnlyList<string>? ColumnNames { get; }
}

/// <summary>
/// Numeric CSV: one row per line, fields separated by a comma (or another character, or whitespace), an optional
/// header row, invariant culture. Blank lines and lines starting with '#' are skipped, as <c>numpy.loadtxt</c>
/// does; <c>nan</c>, <c>inf</c>, <c>-inf</c> (any case, also <c>NaN</c>, <c>Infinity</c>) are numbers.
/// </summary>
public static class Csv
{
    /// <summary>Reads a CSV file into a float64 array of shape (rows, columns).</summary>
    /// <exception cref="DataFormatException">When rows are ragged or a field is not a number.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static CsvTable Read(string path, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        InputFile.CheckRegular(path);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, options);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="DataFormatException">When rows are ragged or a field is not a number.</exception>
    public static CsvTable Read(TextReader reader, string sourceName, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new CsvOptions();
        var values = new List<double>();
        string[]? columnNames = null;
        int columns = -1, rows = 0, lineNumber = 0;
        bool first = true;
        string? line;
        try
        {
            line = reader.ReadLine();
        }
        catch (IOException e)
        {
            throw new DataFormatException(sourceName, $"could not be read: {e.Message}", e);
        }
        for (; line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            ReadOnlySpan<char> trimmed = line.AsSpan().Trim();
            if (trimmed.IsEmpty || trimmed[0] == '#') continue;
            string[] fields = Split(line, options);
            if (first)
            {
                first = false;
                columns = fields.Length;
                bool isHeader = options.Header switch
                {
                    CsvHeader.Present => true,
                    CsvHeader.Absent => false,
                    _ => !fields.Any(LooksNumeric),
                };
                if (isHeader)
                {
                    columnNames = fields.Select(Unquote).ToArray();
                    continue;
                }
            }
            if (fields.Length != columns)
                throw new DataFormatException(sourceName,
                    $"line {lineNumber} has {fields.Length} fields but the {(columnNames is null ? "first row" : "header")} has {columns} (ragged rows)");
            if ((long)values.Count + columns > ElementCodec.MaxDataBytes / sizeof(double))
                throw new DataFormatException(sourceName, $"more than {ElementCodec.MaxDataBytes / sizeof(double)} values; the file is too large to read as one array");
            for (int c = 0; c < fields.Length; c++)
            {
                if (!TryParseNumber(fields[c], out double value))
                    throw new DataFormatException(sourceName, $"line {lineNumber}, column {c + 1}: '{Shorten(fields[c])}' is not a number");
                values.Add(value);
            }
            rows++;
        }
        var array = new NdArray("", DType.Float64, [rows, Math.Max(columns, 0)], values.ToArray());
        return new CsvTable(array, columnNames);
    }

    /// <summary>True for a field that parses as a number or starts like one: a digit, or '+', '-' or '.' before a digit.</summary>
    private static bool LooksNumeric(string field)
    {
        if (TryParseNumber(field, out _)) return true;
        ReadOnlySpan<char> text = Unquote(field);
        if (text.Length > 0 && text[0] is '+' or '-') text = text[1..];
        if (text.Length > 0 && text[0] == '.') text = text[1..];
        return text.Length > 0 && char.IsAsciiDigit(text[0]);
    }

    private static string[] Split(string line, CsvOptions options) => options.WhitespaceSeparated
        ? line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
        : line.Split(options.Separator);

    private static string Unquote(string field)
    {
        string trimmed = field.Trim();
        return trimmed.Length >= 2 && trimmed[0] == '"' && trimmed[^1] == '"' ? trimmed[1..^1] : trimmed;
    }

    /// <summary>Parses a number in invariant culture, also NumPy's spellings of NaN and infinity.</summary>
    internal static bool TryParseNumber(string field, out double value)
    {
        string text = Unquote(field);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        switch (text.ToLowerInvariant())
        {
            case "nan" or "+nan" or "-nan":
                value = double.NaN;
                return true;
            case "inf" or "+inf" or "infinity" or "+infinity":
                value = double.PositiveInfinity;
                return true;
            case "-inf" or "-infinity":
                value = double.NegativeInfinity;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    private static string Shorten(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > 40 ? text[..40] + "..." : text)
            builder.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return builder.ToString();
    }

    /// <summary>
    /// Writes a rank-1 (one value per line) or rank-2 array, with an optional header of column names. Floats are
    /// written in the shortest form that reads back as the same float64 (float32 values as their exact float64 value), NaN and infinities as <c>nan</c>, <c>inf</c>, <c>-inf</c>, booleans as 0 and 1.
    /// </summary>
    /// <exception cref="ArgumentException">When the rank is not 1 or 2, or the names do not fit the columns.</exception>
    public static void Write(string path, NdArray array, IReadOnlyList<string>? columnNames = null, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(path);
        Check(array, columnNames, separator);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        Write(writer, array, columnNames, separator);
    }

    /// <summary>Writes CSV text to <paramref name="writer"/> (see <see cref="Write(string, NdArray, IReadOnlyList{string}?, char)"/>).</summary>
    /// <exception cref="ArgumentException">When the rank is not 1 or 2, or the names do not fit the columns.</exception>
    public static void Write(TextWriter writer, NdArray array, IReadOnlyList<string>? columnNames = null, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(writer);
        Check(array, columnNames, separator);
        int columns = array.Rank == 1 ? 1 : array.Shape[1];
        int rows = array.Shape[0];
        writer.NewLine = "\n";
        if (columnNames is not null) writer.WriteLine(string.Join(separator, columnNames));
        var line = new StringBuilder();
        for (int r = 0; r < rows; r++)
        {
            line.Clear();
            for (int c = 0; c < columns; c++)
            {
                if (c > 0) line.Append(separator);
                line.Append(Format(array.Data, r * columns + c));
            }
            writer.WriteLine(line);
        }
    }

    private static void Check(NdArray array, IReadOnlyList<string>? columnNames, char separator)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Rank is not (1 or 2))
            throw new ArgumentException($"CSV holds arrays of rank 1 or 2, but this one has shape {Tensors.MtlTensor<float>.ShapeText(array.Shape)}.", nameof(array));
        int columns = array.Rank == 1 ? 1 : array.Shape[1];
        if (columns == 0 && array.Shape[0] > 0)
            throw new ArgumentException("CSV cannot hold rows with no columns.", nameof(array));
        if (separator is '"' or '\n' or '\r' or '#' or '.' or '-' or '+' || char.IsAsciiLetterOrDigit(separator))
            throw new ArgumentException($"'{separator}' cannot separate numeric fields; use ',', ';', '\\t' or ' '.", nameof(separator));
        if (columnNames is null) return;
        if (columnNames.Count != columns)
            throw new ArgumentException($"{columnNames.Count} column names were given for {columns} columns.", nameof(columnNames));
        foreach (string name in columnNames)
            if (name is null || name.Contains(separator) || name.Contains('"') || name.Contains('\n') || name.Contains('\r') || name.StartsWith('#'))
                throw new ArgumentException($"The column name '{name}' cannot be written: it contains the separator, a quote or a line break, or starts with '#'.", nameof(columnNames));
    }

    private static string Format(Array data, int index) => data switch
    {
        double[] d => FormatFloat(d[index]),
        float[] f => FormatFloat((double)f[index]), // the float's exact value, so reading it as float64 gives the same number
        int[] i => i[index].ToString(CultureInfo.InvariantCulture),
        long[] l => l[index].ToString(CultureInfo.InvariantCulture),
        byte[] b => b[index].ToString(CultureInfo.InvariantCulture),
        bool[] z => z[index] ? "1" : "0",
        _ => throw new ArgumentException($"Unexpected data type {data.GetType().Name}.", nameof(data)),
    };

    private static string FormatFloat<T>(T value) where T : System.Numerics.IFloatingPointIeee754<T> =>
        T.IsNaN(value) ? "nan" : T.IsPositiveInfinity(value) ? "inf" : T.IsNegativeInfinity(value) ? "-inf" : value.ToString("R", CultureInfo.InvariantCulture);
}
