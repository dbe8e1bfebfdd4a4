using System.Text;
using MtlEngine.Data;

namespace MtlEngine.Learn;

/// <summary>
/// The binary format of every <see cref="IFitStatistics{TSelf}"/>, little-endian on every machine:
/// <code>
/// "MTLSTATS"            8 bytes, the magic
/// version               u16 (this is version 1)
/// kind                  u8 length, then that many ASCII bytes ("ridge", "pca", "cca", "standard_scaler", ...)
/// payload length        i64
/// payload               the kind's fields (counts as i32/i64, flags as u8, numbers as IEEE-754 f64)
/// crc32                 u32, the CRC-32 (IEEE) of everything before it
/// </code>
/// Symmetric matrices are stored as their lower triangle, row by row (n·(n+1)/2 numbers). The reader treats the bytes as
/// untrusted: sizes are checked against the payload length before anything is allocated.
/// </summary>
public static class FitStatisticsFormat
{
    /// <summary>The format version this build writes and reads.</summary>
    public const ushort Version = 1;

    private static ReadOnlySpan<byte> Magic => "MTLSTATS"u8;

    /// <summary>The largest payload a reader accepts (2 GiB: the statistics of 16 000 columns).</summary>
    private const long MaxPayload = int.MaxValue;

    /// <summary>Writes the header, the payload <paramref name="write"/> produces, and the CRC.</summary>
    internal static void Write(Stream stream, string kind, Action<BinaryWriter> write)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true)) write(writer);
        using var whole = new MemoryStream();
        using (var writer = new BinaryWriter(whole, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write((byte)kind.Length);
            writer.Write(Encoding.ASCII.GetBytes(kind));
            writer.Write(payload.Length);
            writer.Write(payload.GetBuffer().AsSpan(0, (int)payload.Length));
        }
        var bytes = whole.GetBuffer().AsSpan(0, (int)whole.Length);
        stream.Write(bytes);
        Span<byte> crc = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32CheckingStream.Compute(bytes));
        stream.Write(crc);
    }

    /// <summary>Reads the header of kind <paramref name="kind"/>, checks the CRC, and hands the payload to <paramref name="read"/>.</summary>
    internal static T Read<T>(Stream stream, string kind, Func<PayloadReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string source = $"{kind} statistics";
        var head = new byte[Magic.Length + 2 + 1];
        ReadExactly(stream, head, source, "the header");
        if (!head.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new DataFormatException(source, "the bytes do not start with MTLSTATS; they are not statistics written by Save");
        ushort version = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(Magic.Length));
        if (version != Version)
            throw new DataFormatException(source, $"format version {version}; this build reads version {Version} only");
        var kindBytes = new byte[head[^1]];
        ReadExactly(stream, kindBytes, source, "the kind");
        string actual = Encoding.ASCII.GetString(kindBytes);
        if (actual != kind)
            throw new DataFormatException(source, $"the statistics are of kind \"{actual}\", not \"{kind}\"; load them with the matching statistics type");
        var lengthBytes = new byte[8];
        ReadExactly(stream, lengthBytes, source, "the payload length");
        long length = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (length < 0 || length > MaxPayload)
            throw new DataFormatException(source, $"payload length {length} is out of range (0 to {MaxPayload})");
        if (stream.CanSeek && stream.Length - stream.Position < length + 4)
            throw new DataFormatException(source, $"truncated: the payload needs {length + 4} more bytes but the stream has {stream.Length - stream.Position}");
        var payload = new byte[length];
        ReadExactly(stream, payload, source, "the payload");
        var crcBytes = new byte[4];
        ReadExactly(stream, crcBytes, source, "the CRC");
        var all = new byte[head.Length + kindBytes.Length + 8 + payload.Length];
        head.CopyTo(all, 0);
        kindBytes.CopyTo(all, head.Length);
        lengthBytes.CopyTo(all, head.Length + kindBytes.Length);
        payload.CopyTo(all, head.Length + kindBytes.Length + 8);
        uint expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(crcBytes);
        uint computed = Crc32CheckingStream.Compute(all);
        if (expected != computed)
            throw new DataFormatException(source, $"CRC-32 mismatch (stored {expected:x8}, computed {computed:x8}): the bytes were corrupted");
        var reader = new PayloadReader(payload, source);
        var result = read(reader);
        reader.End();
        return result;
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string source, string what)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int got = stream.Read(buffer, read, buffer.Length - read);
            if (got == 0) throw new DataFormatException(source, $"truncated in {what} ({read} of {buffer.Length} bytes)");
            read += got;
        }
    }

    /// <summary>Reads a payload's fields with bounds checks (a malformed count is a <see cref="DataFormatException"/>, never a huge allocation).</summary>
    internal sealed class PayloadReader(byte[] payload, string source)
    {
        private int _position;

        public string Source => source;

        private ReadOnlySpan<byte> Take(long bytes, string what)
        {
            if (bytes < 0 || bytes > payload.Length - _position)
                throw new DataFormatException(source, $"truncated payload: {what} needs {bytes} bytes but {payload.Length - _position} remain");
            var span = payload.AsSpan(_position, (int)bytes);
            _position += (int)bytes;
            return span;
        }

        public byte Byte(string what) => Take(1, what)[0];

        public bool Flag(string what) => Byte(what) switch
        {
            0 => false,
            1 => true,
            var b => throw new DataFormatException(source, $"{what} is {b}; a flag is 0 or 1"),
        };

        public int Int32(string what) => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

        public long Int64(string what) => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));

        public double Double(string what) => System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

        /// <summary>A count in [0, max].</summary>
        public int Count(string what, int max)
        {
            int value = Int32(what);
            if (value < 0 || value > max)
                throw new DataFormatException(source, $"{what} is {value}; expected 0 to {max}");
            return value;
        }

        public double[] Doubles(long count, string what)
        {
            var bytes = Take(checked(count * 8), what);
            var values = new double[count];
            for (int i = 0; i < values.Length; i++)
                values[i] = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(8 * i, 8));
            return values;
        }

        public void End()
        {
            if (_position != payload.Length)
                throw new DataFormatException(source, $"{payload.Length - _position} unexpected bytes after the fields");
        }
    }

    /// <summary>Writes doubles little-endian (BinaryWriter is little-endian on every machine).</summary>
    internal static void WriteDoubles(BinaryWriter writer, ReadOnlySpan<double> values)
    {
        foreach (double v in values) writer.Write(v);
    }
}
