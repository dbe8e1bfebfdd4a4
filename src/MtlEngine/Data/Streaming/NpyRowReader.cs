using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;

namespace MtlEngine.Data;

/// <summary>
/// Reads a C-order .npy array of rank 1 or 2 in blocks of rows through a memory map, one mapped window per block, so the
/// process holds at most one block of the file (plus the caller's buffer) whatever the file's size: an X larger than RAM
/// can be fitted. Each window is unmapped before the next is mapped (its pages then leave the process's resident set; the
/// kernel's page cache keeps or drops them as memory allows). Elements of any supported numeric dtype and either byte order
/// are converted to float64. The header is checked as <see cref="Npy.Read(string)"/> checks it, and the file length must
/// be exactly the header plus the data the shape needs.
/// </summary>
public sealed class NpyRowReader : IRowBlockSource
{
    private readonly MemoryMappedFile _map;
    private readonly long _dataOffset;
    private readonly DType _dtype;
    private readonly bool _bigEndian;
    private readonly int _itemSize;
    private long _row;

    /// <summary>Opens the file and reads its header.</summary>
    /// <exception cref="DataFormatException">When the header is malformed, the array is Fortran-ordered or of rank other than 1 or 2, the dtype is boolean, or the length is wrong.</exception>
    /// <exception cref="FileNotFoundException">When there is no such file.</exception>
    public NpyRowReader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Source = path;
        long fileLength;
        long[] shape;
        bool fortran;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 12))
        {
            fileLength = stream.Length;
            (_dtype, _bigEndian, fortran, shape, _dataOffset) = ReadHeader(stream, path);
        }
        if (shape.Length is not (1 or 2))
            throw new DataFormatException(path, $"row blocks are read from arrays of shape (n,) or (n, d), but this one has shape {ElementCodec.ShapeText(shape)}");
        if (_dtype == DType.Bool)
            throw new DataFormatException(path, "the array is boolean; pass a numeric array");
        if (fortran && shape.Length == 2 && shape[1] > 1)
            throw new DataFormatException(path, "the array is in Fortran (column-major) order, so its rows are not contiguous; rewrite it in C order (numpy.ascontiguousarray) to read it in row blocks");
        _itemSize = DTypes.ItemSize(_dtype);
        Rows = shape[0];
        Columns = shape.Length == 2 ? checked((int)shape[1]) : 1;
        IsVector = shape.Length == 1;
        long dataBytes = checked(Rows * Columns * _itemSize);
        if (fileLength - _dataOffset != dataBytes)
            throw new DataFormatException(path, $"shape {ElementCodec.ShapeText(shape)} of {DTypes.NumpyName(_dtype)} needs {dataBytes} bytes of data but the file has {fileLength - _dataOffset}");
        if (Columns == 0 && Rows > 0)
            throw new DataFormatException(path, "the array has rows of zero columns; pass an array with at least one column");
        _map = dataBytes == 0
            ? null!
            : MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
    }

    /// <inheritdoc/>
    public string Source { get; }

    /// <inheritdoc/>
    public int Columns { get; }

    /// <inheritdoc/>
    public bool IsVector { get; }

    /// <inheritdoc/>
    public long Rows { get; }

    /// <summary>The element type on disk.</summary>
    public DType DType => _dtype;

    /// <inheritdoc/>
    public unsafe int Read(Span<double> destination)
    {
        int rows = (int)Math.Min(destination.Length / Math.Max(Columns, 1), Rows - _row);
        if (rows <= 0) return 0;
        long offset = _dataOffset + _row * Columns * _itemSize;
        long bytes = (long)rows * Columns * _itemSize;
        using (var view = _map.CreateViewAccessor(offset, bytes, MemoryMappedFileAccess.Read))
        {
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            try
            {
                // The view starts at the page boundary below `offset`; PointerOffset is the distance to the first byte asked for.
                var source = new ReadOnlySpan<byte>(pointer + view.PointerOffset, checked((int)bytes));
                Convert(source, destination[..(rows * Columns)]);
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        _row += rows;
        return rows;
    }

    /// <inheritdoc/>
    public void Reset() => _row = 0;

    /// <inheritdoc/>
    public void Dispose() => _map?.Dispose();

    // The elements of `source` (on-disk dtype and byte order) as float64.
    private void Convert(ReadOnlySpan<byte> source, Span<double> destination)
    {
        switch (_dtype)
        {
            case DType.Float64:
                MemoryMarshal.Cast<byte, double>(source).CopyTo(destination);
                if (_bigEndian)
                {
                    var raw = MemoryMarshal.Cast<double, long>(destination);
                    BinaryPrimitives.ReverseEndianness(raw, raw);
                }
                break;
            case DType.Float32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = _bigEndian ? BinaryPrimitives.ReadSingleBigEndian(source[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                break;
            case DType.Int32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = _bigEndian ? BinaryPrimitives.ReadInt32BigEndian(source[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]);
                break;
            case DType.Int64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(source[(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(source[(8 * i)..]);
                break;
            case DType.UInt8:
                for (int i = 0; i < destination.Length; i++) destination[i] = source[i];
                break;
            default:
                throw new DataFormatException(Source, $"cannot convert {DTypes.NumpyName(_dtype)} to float64");
        }
    }

    // The .npy prefix and header (as Npy.Read checks them): dtype, byte order, order, shape and where the data starts.
    private static (DType, bool, bool, long[], long) ReadHeader(Stream stream, string source)
    {
        var (dtype, bigEndian, fortran, shape, dataOffset) = Npy.ReadHeader(stream, source, stream.Length - stream.Position);
        foreach (long size in shape)
            if (size < 0) throw new DataFormatException(source, $"bad .npy header: negative dimension in shape {ElementCodec.ShapeText(shape)}");
        return (dtype, bigEndian, fortran, shape, dataOffset);
    }
}
