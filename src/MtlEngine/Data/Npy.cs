using System.Buffers.Binary;
using System.Text;

namespace MtlEngine.Data;

/// <summary>
/// NumPy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0). A file is the magic <c>\x93NUMPY</c>, the version
/// (two bytes), the header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the header — a
/// Python dict literal <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }</c> padded with spaces
/// and a newline so the data starts on a 64-byte boundary (latin-1 in 1.0 and 2.0, UTF-8 in 3.0) — and then
/// the elements in C or Fortran order.
/// </summary>
/// <remarks>
/// Reads dtypes <c>f4 f8 i4 i8 u1 b1</c> in either byte order (big-endian data is byte-swapped), and C or
/// Fortran order (Fortran data is transposed into C order). Writes little-endian C order, version 1.0 or
/// 2.0 when the header does not fit 1.0, with NumPy's exact header layout.
/// </remarks>
public static class Npy
{
    /// <summary>The largest header we accept (NumPy writes a few hundred bytes).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private const int ArrayAlign = 64;
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>Reads the array in a .npy file (its name is "").</summary>
    /// <exception cref="DataFormatException">When the file is malformed; the message names the file and the problem.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static NdArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads one .npy array from <paramref name="stream"/>, which must end where the array does.
    /// <paramref name="sourceName"/> names the stream in error messages.
    /// </summary>
    /// <exception cref="DataFormatException">When the bytes are malformed.</exception>
    public static NdArray Read(Stream stream, string sourceName, string arrayName = "") =>
        Read(stream, sourceName, arrayName, trustLength: true);

    /// <summary>
    /// Reads one array; when <paramref name="trustLength"/> is false (zip members, whose declared sizes may lie) or the
    /// stream cannot seek, the data is buffered as it arrives instead of being allocated from the header's shape.
    /// </summary>
    internal static NdArray Read(Stream stream, string sourceName, string arrayName, bool trustLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, sourceName, arrayName, trustLength && stream.CanSeek ? stream.Length - stream.Position : -1);
    }

    /// <summary>
    /// Reads one array from a stream that holds exactly <paramref name="remaining"/> bytes (checked against the header, and
    /// the array is allocated once and filled in place), or an unknown number when it is -1 (the data is buffered as it arrives).
    /// </summary>
    internal static NdArray Read(Stream stream, string sourceName, string arrayName, long remaining)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(arrayName);
        try
        {
            return ReadCore(stream, sourceName, arrayName, remaining);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataFormatException(sourceName, $"could not be read: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(sourceName, $"could not be decompressed: {e.Message}", e);
        }
    }

    private static NdArray ReadCore(Stream stream, string source, string arrayName, long remaining)
    {
        var (dtype, bigEndian, fortranOrder, shape, dataOffset) = ReadHeader(stream, source, remaining);
        // A file (known length) is read straight into the typed array in pieces: up to Array.MaxLength elements of any size.
        var (length, byteCount) = ElementCodec.CheckedSize(shape, dtype, source, remaining >= 0 && dtype != DType.Bool ? long.MaxValue : ElementCodec.MaxDataBytes);
        if (remaining >= 0)
        {
            long dataBytes = remaining - dataOffset;
            if (dataBytes != byteCount)
                throw new DataFormatException(source,
                    $"shape {ElementCodec.ShapeText(shape)} of {DTypes.NumpyName(dtype)} needs {byteCount} bytes of data but the file has {dataBytes}");
        }
        Array data = ElementCodec.ReadElements(stream, dtype, length, byteCount, bigEndian, remaining >= 0, source);
        if (remaining < 0 && !ElementCodec.AtEnd(stream))
            throw new DataFormatException(source, $"there are bytes after the {byteCount} bytes that shape {ElementCodec.ShapeText(shape)} of {DTypes.NumpyName(dtype)} needs");

        int[] intShape = ElementCodec.ToIntShape(shape);
        if (fortranOrder && intShape.Length > 1) data = FortranToC(data, intShape);
        return new NdArray(arrayName, dtype, intShape, data);
    }

    /// <summary>
    /// Reads the .npy prefix (magic, version, header length) and the header, checks them and returns what the header says
    /// and where the data starts. <paramref name="remaining"/> is the stream's length from here, or −1 when unknown.
    /// </summary>
    internal static (DType DType, bool BigEndian, bool FortranOrder, long[] Shape, long DataOffset) ReadHeader(Stream stream, string source, long remaining)
    {
        Span<byte> prefix = stackalloc byte[8];
        ElementCodec.ReadExactly(stream, prefix, source, "the .npy magic and version");
        if (!prefix[..6].SequenceEqual(Magic))
            throw new DataFormatException(source, "not a .npy file (it does not start with the magic bytes \\x93NUMPY)");
        int major = prefix[6], minor = prefix[7];
        if (minor != 0 || major is < 1 or > 3)
            throw new DataFormatException(source, $"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");

        Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
        ElementCodec.ReadExactly(stream, lengthBytes, source, "the header length");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        long prefixLength = 8 + lengthBytes.Length;
        if (headerLength > MaxHeaderBytes)
            throw new DataFormatException(source, $"header length {headerLength} is larger than the {MaxHeaderBytes} bytes allowed");
        if (remaining >= 0 && prefixLength + headerLength > remaining)
            throw new DataFormatException(source, $"header length {headerLength} runs past the end of the file ({remaining} bytes)");

        var headerBytes = new byte[headerLength];
        ElementCodec.ReadExactly(stream, headerBytes, source, "the header");
        string header;
        try
        {
            Encoding encoding = major == 3 ? new UTF8Encoding(false, throwOnInvalidBytes: true) : Encoding.Latin1;
            header = encoding.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw new DataFormatException(source, "the version 3.0 header is not valid UTF-8");
        }

        var (dtype, bigEndian, fortranOrder, shape) = ParseHeader(header, source);
        return (dtype, bigEndian, fortranOrder, shape, prefixLength + headerLength);
    }

    /// <summary>Checks the header dict and returns what it says.</summary>
    internal static (DType DType, bool BigEndian, bool FortranOrder, long[] Shape) ParseHeader(string header, string source)
    {
        if (PythonLiteral.Parse(header, source) is not Dictionary<string, object?> dict)
            throw new DataFormatException(source, "bad .npy header: it is not a Python dictionary");
        foreach (string key in dict.Keys)
            if (key is not ("descr" or "fortran_order" or "shape"))
                throw new DataFormatException(source, $"bad .npy header: unexpected key '{key}' (expected exactly 'descr', 'fortran_order' and 'shape')");

        if (!dict.TryGetValue("descr", out object? descrValue)) throw new DataFormatException(source, "bad .npy header: it has no 'descr'");
        if (!dict.TryGetValue("fortran_order", out object? fortranValue)) throw new DataFormatException(source, "bad .npy header: it has no 'fortran_order'");
        if (!dict.TryGetValue("shape", out object? shapeValue)) throw new DataFormatException(source, "bad .npy header: it has no 'shape'");

        if (descrValue is not string descr)
            throw new DataFormatException(source, "unsupported dtype: 'descr' is not a simple type string (structured dtypes are not supported)");
        var (dtype, bigEndian) = ParseDescr(descr, source);
        if (fortranValue is not bool fortranOrder)
            throw new DataFormatException(source, "bad .npy header: 'fortran_order' is not True or False");
        if (shapeValue is not PythonLiteral.PythonTuple tuple)
            throw new DataFormatException(source, "bad .npy header: 'shape' is not a tuple");
        if (tuple.Items.Count > 64)
            throw new DataFormatException(source, $"bad .npy header: 'shape' has {tuple.Items.Count} dimensions (at most 64 allowed)");
        var shape = new long[tuple.Items.Count];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = tuple.Items[i] is long size ? size : throw new DataFormatException(source, "bad .npy header: 'shape' holds something other than integers");
        return (dtype, bigEndian, fortranOrder, shape);
    }

    private static (DType DType, bool BigEndian) ParseDescr(string descr, string source)
    {
        if (descr.Length == 3 && descr[0] is '<' or '>' or '|' or '=')
        {
            bool bigEndian = descr[0] == '>';
            DType? dtype = descr[1..] switch
            {
                "f4" => DType.Float32,
                "f8" => DType.Float64,
                "i4" => DType.Int32,
                "i8" => DType.Int64,
                "u1" => DType.UInt8,
                "b1" => DType.Bool,
                _ => null,
            };
            // '|' (not applicable) only fits one-byte types.
            if (dtype is { } known && (descr[0] != '|' || DTypes.ItemSize(known) == 1))
                return (known, bigEndian && DTypes.ItemSize(known) > 1);
        }
        string shown = descr.Length > 20 ? descr[..20] + "..." : descr;
        throw new DataFormatException(source, $"unsupported dtype '{shown}' (supported: <f4 <f8 <i4 <i8 |u1 |b1 and big-endian >f4 >f8 >i4 >i8)");
    }

    /// <summary>Reorders Fortran-order (column-major) data of <paramref name="shape"/> into C order.</summary>
    internal static Array FortranToC(Array fortran, int[] shape) => fortran switch
    {
        float[] f => FortranToC(f, shape),
        double[] d => FortranToC(d, shape),
        int[] i => FortranToC(i, shape),
        long[] l => FortranToC(l, shape),
        byte[] b => FortranToC(b, shape),
        bool[] z => FortranToC(z, shape),
        _ => throw new ArgumentException($"Unexpected data type {fortran.GetType().Name}.", nameof(fortran)),
    };

    /// <remarks>
    /// Element (i₀, ..., iₙ₋₁) sits at Σ iₖ·sₖ with Fortran strides s₀ = 1, sₖ = sₖ₋₁·dₖ₋₁. The output is walked in
    /// C order with an odometer over the indices, stepping the source position by the matching stride.
    /// </remarks>
    private static T[] FortranToC<T>(T[] fortran, int[] shape)
    {
        var result = new T[fortran.Length];
        if (result.Length == 0) return result;
        var fortranStrides = new long[shape.Length];
        long stride = 1;
        for (int d = 0; d < shape.Length; d++) { fortranStrides[d] = stride; stride *= shape[d]; }
        var index = new int[shape.Length];
        long source = 0;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = fortran[source];
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) { source += fortranStrides[d]; break; }
                source -= (long)(shape[d] - 1) * fortranStrides[d];
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>Writes <paramref name="array"/> to a .npy file (C order, little-endian).</summary>
    public static void Write(string path, NdArray array)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(array);
        using var stream = File.Create(path);
        Write(stream, array);
    }

    /// <summary>Writes <paramref name="array"/> as .npy bytes to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, NdArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write(Header(array));
        ElementCodec.WriteLittleEndian(stream, array.Data);
    }

    /// <summary>The magic, version, header length and padded header, exactly as <c>numpy.save</c> writes them.</summary>
    internal static byte[] Header(NdArray array)
    {
        ReadOnlySpan<int> shape = array.Shape;
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";
        string dict = $"{{'descr': '{Descr(array.DType)}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Spare room so the first axis can grow in place (NumPy 1.24's GROWTH_AXIS_MAX_DIGITS).
        if (shape.Length > 0) dict += new string(' ', GrowthAxisMaxDigits - shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length);

        int headerLength = dict.Length + 1; // + '\n'
        int major = 1;
        int lengthSize = 2;
        int padding = ArrayAlign - (6 + 2 + lengthSize + headerLength) % ArrayAlign;
        if (headerLength + padding > ushort.MaxValue)
        {
            major = 2;
            lengthSize = 4;
            padding = ArrayAlign - (6 + 2 + lengthSize + headerLength) % ArrayAlign;
        }
        var bytes = new byte[8 + lengthSize + headerLength + padding];
        Magic.CopyTo(bytes);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        if (lengthSize == 2) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(headerLength + padding));
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)(headerLength + padding));
        int at = 8 + lengthSize;
        at += Encoding.ASCII.GetBytes(dict, bytes.AsSpan(at));
        bytes.AsSpan(at, padding).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>The NumPy type string we write for <paramref name="dtype"/> (little-endian).</summary>
    public static string Descr(DType dtype) => dtype switch
    {
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        DType.Int32 => "<i4",
        DType.Int64 => "<i8",
        DType.UInt8 => "|u1",
        DType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };
}
