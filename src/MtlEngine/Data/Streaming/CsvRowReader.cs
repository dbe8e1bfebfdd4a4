using System.Text;

namespace MtlEngine.Data;

/// <summary>
/// Reads a numeric CSV file in blocks of rows with the rules of <see cref="Csv.Read(string, CsvOptions?)"/> (blank lines and
/// lines starting with '#' skipped, a header detected or declared, numbers in invariant culture, NumPy's nan/inf), holding
/// one line at a time: the working set is the caller's buffer, whatever the file's size. The column count is fixed by the
/// first row; the row count is known only at the end (<see cref="Rows"/> is −1 before). A file of one column is a vector.
/// </summary>
public sealed class CsvRowReader : IRowBlockSource
{
    private readonly CsvOptions _options;
    private StreamReader _reader;
    private string[]? _pending;     // the first data row, read to learn the column count
    private int _pendingLine;
    private int _lineNumber;
    private long _rowsRead;
    private bool _ended;

    /// <summary>Opens the file and reads up to its first data row (the column count).</summary>
    /// <exception cref="DataFormatException">When the file has no data row.</exception>
    /// <exception cref="FileNotFoundException">When there is no such file.</exception>
    public CsvRowReader(string path, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        Source = path;
        _options = options ?? new CsvOptions();
        _reader = Open();
        Start();
        if (_pending is null)
            throw new DataFormatException(path, "the CSV file has no data rows");
        Columns = _pending.Length;
    }

    /// <inheritdoc/>
    public string Source { get; }

    /// <inheritdoc/>
    public int Columns { get; }

    /// <inheritdoc/>
    public bool IsVector => Columns == 1;

    /// <inheritdoc/>
    public long Rows { get; private set; } = -1;

    /// <summary>The header's column names, or null when the file has none.</summary>
    public string[]? ColumnNames { get; private set; }

    private StreamReader Open() => new(new FileStream(Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);

    // Reads to the first data row: the header (declared or detected) is set aside, the row is kept for the first Read.
    private void Start()
    {
        _lineNumber = 0;
        _rowsRead = 0;
        _ended = false;
        _pending = null;
        while (NextFields() is { } fields)
        {
            bool isHeader = ColumnNames is null && _lineNumber == FirstLine && _options.Header switch
            {
                CsvHeader.Present => true,
                CsvHeader.Absent => false,
                _ => !fields.All(f => Csv.TryParseNumber(f, out _)),
            };
            if (isHeader)
            {
                ColumnNames = [.. fields.Select(f => f.Trim().Trim('"'))];
                continue;
            }
            _pending = fields;
            _pendingLine = _lineNumber;
            return;
        }
    }

    private int FirstLine { get; set; } = -1;

    // The fields of the next non-blank, non-comment line, or null at the end.
    private string[]? NextFields()
    {
        string? line;
        try
        {
            while ((line = _reader.ReadLine()) is not null)
            {
                _lineNumber++;
                var trimmed = line.AsSpan().Trim();
                if (trimmed.IsEmpty || trimmed[0] == '#') continue;
                if (FirstLine < 0) FirstLine = _lineNumber;
                return _options.WhitespaceSeparated ? line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries) : line.Split(_options.Separator);
            }
        }
        catch (IOException e)
        {
            throw new DataFormatException(Source, $"could not be read: {e.Message}", e);
        }
        return null;
    }

    /// <inheritdoc/>
    public int Read(Span<double> destination)
    {
        int capacity = destination.Length / Columns, rows = 0;
        while (rows < capacity && !_ended)
        {
            string[]? fields;
            int line;
            if (_pending is not null)
            {
                (fields, line, _pending) = (_pending, _pendingLine, null);
            }
            else
            {
                fields = NextFields();
                line = _lineNumber;
            }
            if (fields is null)
            {
                _ended = true;
                Rows = _rowsRead;
                break;
            }
            if (fields.Length != Columns)
                throw new DataFormatException(Source, $"line {line} has {fields.Length} fields but the first row has {Columns} (ragged rows)");
            var row = destination.Slice(rows * Columns, Columns);
            for (int c = 0; c < Columns; c++)
                if (!Csv.TryParseNumber(fields[c], out row[c]))
                    throw new DataFormatException(Source, $"line {line}, column {c + 1}: '{(fields[c].Length > 40 ? fields[c][..40] + "..." : fields[c])}' is not a number");
            rows++;
            _rowsRead++;
        }
        return rows;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        _reader.Dispose();
        _reader = Open();
        FirstLine = -1;
        ColumnNames = null;
        Start();
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();
}
