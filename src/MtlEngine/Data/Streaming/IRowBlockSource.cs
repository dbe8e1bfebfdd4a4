namespace MtlEngine.Data;

/// <summary>
/// A matrix read in blocks of rows, never whole: the input of out-of-core fits. Each <see cref="Read"/> fills a caller's
/// buffer with the next rows as float64, row-major; <see cref="Reset"/> starts over (fits with several passes, such as
/// L-BFGS, read the file once per iteration). A vector (rank-1 array) is read as one column.
/// </summary>
public interface IRowBlockSource : IDisposable
{
    /// <summary>The file or stream name used in error messages.</summary>
    string Source { get; }

    /// <summary>The number of columns of every row.</summary>
    int Columns { get; }

    /// <summary>True when the data is a rank-1 array (one column).</summary>
    bool IsVector { get; }

    /// <summary>The number of rows, or −1 while it is unknown (a CSV file before its end).</summary>
    long Rows { get; }

    /// <summary>
    /// Reads the next rows into <paramref name="destination"/> (as many whole rows as fit: destination.Length / Columns,
    /// fewer at the end) and returns how many were read; 0 at the end.
    /// </summary>
    /// <exception cref="DataFormatException">When the data is malformed (a CSV field that is not a number, a row of another length).</exception>
    int Read(Span<double> destination);

    /// <summary>Starts again from the first row.</summary>
    void Reset();
}

/// <summary>Opens row-block sources by file extension.</summary>
public static class RowBlockSource
{
    /// <summary>A <see cref="NpyRowReader"/> for <c>.npy</c>, a <see cref="CsvRowReader"/> for <c>.csv</c> (and <c>.txt</c>).</summary>
    /// <exception cref="DataFormatException">When the extension is neither, or the file's header is malformed.</exception>
    public static IRowBlockSource Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return new NpyRowReader(path);
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) return new CsvRowReader(path);
        throw new DataFormatException(path, "row blocks are read from .npy or .csv files; convert the file to one of them");
    }
}
