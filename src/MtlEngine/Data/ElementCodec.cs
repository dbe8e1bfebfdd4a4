using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MtlEngine.Data;

/// <summary>
/// Moves elements between bytes in a file and typed arrays, with the bounds checks every reader shares:
/// element counts and byte counts are computed in 64 bits and capped before anything is allocated.
/// </summary>
internal static class ElementCodec
{
    /// <summary>The largest data block we read (one .NET array of bytes).</summary>
    public const long MaxDataBytes = 0x7FFFFFC7; // Array.MaxLength

    /// <summary>
    /// The element count of <paramref name="shape"/> and its size in bytes, or a <see cref="DataFormatException"/>
    /// when a dimension is negative or too large, or the data would not fit in one array.
    /// </summary>
    public static (int Length, long ByteCount) CheckedSize(ReadOnlySpan<long> shape, DType dtype, string source) =>
        CheckedSize(shape, dtype, source, MaxDataBytes);

    /// <summary>
    /// <see cref="CheckedSize(ReadOnlySpan{long}, DType, string)"/> with another limit on the bytes: a reader that fills the
    /// typed array in pieces (<see cref="ReadElements"/> with a known length) allows up to <see cref="Array.MaxLength"/>
    /// elements of any size, e.g. 16 GiB of float64, where one array of bytes stops at 2 GiB.
    /// </summary>
    public static (int Length, long ByteCount) CheckedSize(ReadOnlySpan<long> shape, DType dtype, string source, long maxBytes)
    {
        long length = 1;
        bool empty = false;
        foreach (long size in shape)
        {
            if (size < 0)
                throw new DataFormatException(source, $"shape {ShapeText(shape)} has a negative dimension");
            if (size > int.MaxValue)
                throw new DataFormatException(source, $"shape {ShapeText(shape)} has a dimension larger than {int.MaxValue}");
            if (size == 0) empty = true;
        }
        if (!empty)
        {
            foreach (long size in shape)
            {
                // length * size <= MaxDataBytes, tested without overflow.
                if (size != 0 && length > MaxDataBytes / size)
                    throw new DataFormatException(source, $"shape {ShapeText(shape)} has too many elements (more than {MaxDataBytes})");
                length *= size;
            }
        }
        else length = 0;
        long bytes = length * DTypes.ItemSize(dtype);
        if (bytes > maxBytes)
            throw new DataFormatException(source, $"shape {ShapeText(shape)} of {DTypes.NumpyName(dtype)} needs {bytes} bytes; arrays over {maxBytes} bytes are not supported");
        return ((int)length, bytes);
    }

    /// <summary>Formats a shape as <c>(2, 3)</c> (NumPy's tuple form).</summary>
    public static string ShapeText(ReadOnlySpan<long> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";

    /// <summary>Converts a checked shape to <c>int</c>s.</summary>
    public static int[] ToIntShape(ReadOnlySpan<long> shape)
    {
        var result = new int[shape.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (int)shape[i];
        return result;
    }

    /// <summary>A zeroed array of the CLR type for <paramref name="dtype"/>.</summary>
    public static Array Allocate(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int32 => new int[length],
        DType.Int64 => new long[length],
        DType.UInt8 => new byte[length],
        DType.Bool => new bool[length],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The bytes of a typed array (machine order).</summary>
    /// <summary>The bytes of elements [start, start + count) of a typed array (under 2 GiB however large the array).</summary>
    private static Span<byte> ElementBytes(Array data, int start, int count) => data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan(start, count)),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan(start, count)),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan(start, count)),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan(start, count)),
        byte[] b => b.AsSpan(start, count),
        bool[] z => MemoryMarshal.AsBytes(z.AsSpan(start, count)),
        _ => throw new ArgumentException($"Unexpected data type {data.GetType().Name}.", nameof(data)),
    };

    public static Span<byte> AsBytes(Array data) => data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
        byte[] b => b.AsSpan(),
        bool[] z => MemoryMarshal.AsBytes(z.AsSpan()),
        _ => throw new ArgumentException($"Unexpected data type {data.GetType().Name}.", nameof(data)),
    };

    /// <summary>Reverses the byte order of every element in place.</summary>
    public static void SwapBytes(Array data)
    {
        switch (data)
        {
            case float[] f:
                Span<int> floatBits = MemoryMarshal.Cast<float, int>(f.AsSpan());
                BinaryPrimitives.ReverseEndianness(floatBits, floatBits);
                break;
            case double[] d:
                Span<long> doubleBits = MemoryMarshal.Cast<double, long>(d.AsSpan());
                BinaryPrimitives.ReverseEndianness(doubleBits, doubleBits);
                break;
            case int[] i: BinaryPrimitives.ReverseEndianness(i, i); break;
            case long[] l: BinaryPrimitives.ReverseEndianness(l, l); break;
        }
    }

    /// <summary>Decodes <paramref name="bytes"/> (exactly <paramref name="length"/> elements) into a typed array.</summary>
    public static Array Decode(ReadOnlySpan<byte> bytes, DType dtype, int length, bool bigEndian)
    {
        if (dtype == DType.Bool)
        {
            // Any non-zero byte is true, as in NumPy; a .NET bool must hold exactly 0 or 1.
            var flags = new bool[length];
            for (int i = 0; i < length; i++) flags[i] = bytes[i] != 0;
            return flags;
        }
        Array data = Allocate(dtype, length);
        bytes[..AsBytes(data).Length].CopyTo(AsBytes(data));
        if (bigEndian == BitConverter.IsLittleEndian) SwapBytes(data);
        return data;
    }

    /// <summary>
    /// Reads exactly <paramref name="byteCount"/> bytes of elements from <paramref name="stream"/>. When the stream's
    /// length is unknown the bytes are buffered as they arrive, so a lying header cannot force a large allocation.
    /// </summary>
    /// <param name="stream">The stream, at the first byte of the data.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="length">The elements.</param>
    /// <param name="byteCount">The bytes of data.</param>
    /// <param name="bigEndian">Whether the data is big-endian.</param>
    /// <param name="lengthKnown">Whether the stream holds exactly the header's bytes (a file): the typed array is then
    /// allocated at once and filled in pieces of at most <paramref name="chunkBytes"/> bytes, so it may exceed 2 GiB.</param>
    /// <param name="source">The name in error messages.</param>
    /// <param name="chunkBytes">The largest piece read at once (a span of bytes is limited to 2 GiB).</param>
    public static Array ReadElements(Stream stream, DType dtype, int length, long byteCount, bool bigEndian, bool lengthKnown, string source,
        int chunkBytes = 1 << 30)
    {
        if (lengthKnown && dtype != DType.Bool)
        {
            Array whole = Allocate(dtype, length);
            int chunkElements = Math.Max(1, chunkBytes / DTypes.ItemSize(dtype));
            long done = 0;
            for (long start = 0; start < length; start += chunkElements)
            {
                var piece = ElementBytes(whole, (int)start, (int)Math.Min(chunkElements, length - start));
                for (int filled = 0; filled < piece.Length;)
                {
                    int read = stream.Read(piece[filled..]);
                    if (read == 0)
                        throw new DataFormatException(source, $"the file ends inside the array data ({done + filled} of {byteCount} bytes; it is truncated)");
                    filled += read;
                }
                done += piece.Length;
            }
            if (bigEndian == BitConverter.IsLittleEndian) SwapBytes(whole);
            return whole;
        }
        // Chunks grow geometrically (64 KiB up to 16 MiB) as bytes actually arrive; the typed array is allocated
        // only once all of them are here.
        var chunks = new List<byte[]>();
        long received = 0;
        int chunkSize = 1 << 16;
        while (received < byteCount)
        {
            var chunk = new byte[(int)Math.Min(chunkSize, byteCount - received)];
            int filled = 0;
            while (filled < chunk.Length)
            {
                int read = stream.Read(chunk, filled, chunk.Length - filled);
                if (read == 0)
                    throw new DataFormatException(source, $"the data ends after {received + filled} of {byteCount} bytes (the file is truncated or the shape is wrong)");
                filled += read;
            }
            chunks.Add(chunk);
            received += chunk.Length;
            chunkSize = Math.Min(chunkSize * 2, 1 << 24);
        }
        if (chunks.Count == 1) return Decode(chunks[0], dtype, length, bigEndian);
        if (dtype == DType.Bool) return Decode(Concatenate(chunks, byteCount), dtype, length, bigEndian);
        Array data = Allocate(dtype, length);
        Span<byte> target = AsBytes(data);
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(target);
            target = target[chunk.Length..];
        }
        if (bigEndian == BitConverter.IsLittleEndian) SwapBytes(data);
        return data;
    }

    private static byte[] Concatenate(List<byte[]> chunks, long byteCount)
    {
        var bytes = new byte[byteCount];
        int at = 0;
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(bytes, at);
            at += chunk.Length;
        }
        return bytes;
    }

    /// <summary>Fills <paramref name="target"/> or reports what was cut off.</summary>
    public static void ReadExactly(Stream stream, Span<byte> target, string source, string what)
    {
        int total = 0;
        while (total < target.Length)
        {
            int read = stream.Read(target[total..]);
            if (read == 0)
                throw new DataFormatException(source, $"the file ends inside {what} ({total} of {target.Length} bytes; it is truncated)");
            total += read;
        }
    }

    /// <summary>True when the stream has no more bytes (reads at most one).</summary>
    public static bool AtEnd(Stream stream) => stream.ReadByte() < 0;

    /// <summary>Writes the elements little-endian.</summary>
    public static void WriteLittleEndian(Stream stream, Array data)
    {
        if (data is bool[] flags)
        {
            var bytes = new byte[flags.Length];
            for (int i = 0; i < flags.Length; i++) bytes[i] = flags[i] ? (byte)1 : (byte)0;
            stream.Write(bytes);
            return;
        }
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(AsBytes(data));
            return;
        }
        var copy = (Array)data.Clone();
        SwapBytes(copy);
        stream.Write(AsBytes(copy));
    }
}
