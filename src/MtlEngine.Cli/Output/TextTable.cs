using System.Globalization;

namespace MtlEngine.Cli.Output;

/// <summary>
/// A plain text table with aligned columns: text columns to the left, numeric columns to the right.
/// <code>
/// class       count  share
/// setosa         50  33.3%
/// </code>
/// </summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table; a header starting with '>' is right-aligned (the '>' is not printed).</summary>
    public TextTable(params string[] headers)
    {
        _rightAligned = headers.Select(h => h.StartsWith('>')).ToArray();
        _headers = headers.Select(h => h.TrimStart('>')).ToArray();
    }

    /// <summary>The number of rows added.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Adds a row; it must have one cell per column.</summary>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"A table of {_headers.Length} columns got a row of {cells.Length} cells.", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    /// <summary>Writes the header and rows, each line indented by <paramref name="indent"/> spaces.</summary>
    public void WriteTo(TextWriter output, int indent = 2)
    {
        var widths = new int[_headers.Length];
        foreach (var row in _rows.Prepend(_headers))
            for (int c = 0; c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        string pad = new(' ', indent);
        foreach (var row in _rows.Prepend(_headers))
        {
            var cells = row.Select((cell, c) => _rightAligned[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            output.WriteLine(pad + string.Join("  ", cells).TrimEnd());
        }
    }

    /// <summary>
    /// A number for a table, invariant culture: integers up to 15 digits in full, others in at most 6 significant
    /// digits ("NaN", "inf", "-inf" for non-finite values).
    /// </summary>
    public static string Number(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ when Math.Abs(value) < 1e15 && value == Math.Floor(value) => value.ToString("0", CultureInfo.InvariantCulture),
        _ => value.ToString("G6", CultureInfo.InvariantCulture),
    };

    /// <summary>An integer with thousands separators ("117,659").</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with one decimal ("33.3%").</summary>
    public static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A shape as NumPy writes it: "(150, 4)", "(3,)", "()".</summary>
    public static string Shape(ReadOnlySpan<int> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";
}
