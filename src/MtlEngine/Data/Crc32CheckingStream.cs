namespace MtlEngine.Data;

/// <summary>
/// Reads a zip member and checks its CRC-32 once the member ends, as NumPy (Python's zipfile) does; .NET's
/// <see cref="System.IO.Compression.ZipArchive"/> does not, so a flipped data byte would otherwise read silently.
/// </summary>
/// <remarks>CRC-32 (IEEE 802.3, the zip polynomial): reflected, polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF.</remarks>
internal sealed class Crc32CheckingStream(Stream inner, uint expected, string source) : Stream
{
    // Tables[0] is the classic byte-at-a-time table; Tables[k][n] is the CRC of byte n followed by k zero bytes,
    // which lets Update consume 8 bytes per step ("slicing-by-8", Kounavis and Berry, 2005).
    private static readonly uint[][] Tables = BuildTables();
    private uint _crc = 0xFFFFFFFF;
    private bool _ended;

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        for (int k = 0; k < 8; k++) tables[k] = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            tables[0][n] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++)
                tables[k][n] = (tables[k - 1][n] >> 8) ^ tables[0][tables[k - 1][n] & 0xFF];
        return tables;
    }

    /// <summary>The CRC-32 of <paramref name="bytes"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> bytes) => ~Update(0xFFFFFFFF, bytes);

    /// <summary>The textbook twin of <see cref="Compute"/>: one table lookup per byte.</summary>
    internal static uint ComputeBytewise(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes) crc = Tables[0][(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>Advances a running (pre-inverted) CRC over <paramref name="bytes"/>, eight bytes a step.</summary>
    private static uint Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        uint[] t0 = Tables[0], t1 = Tables[1], t2 = Tables[2], t3 = Tables[3], t4 = Tables[4], t5 = Tables[5], t6 = Tables[6], t7 = Tables[7];
        while (bytes.Length >= 8)
        {
            uint low = crc ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            uint high = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
            crc = t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF] ^ t4[low >> 24]
                ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF] ^ t1[(high >> 16) & 0xFF] ^ t0[high >> 24];
            bytes = bytes[8..];
        }
        foreach (byte b in bytes) crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>How many bytes the member has given so far.</summary>
    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        BytesRead += read;
        _crc = Update(_crc, buffer[..read]);
        if (read == 0 && buffer.Length > 0 && !_ended)
        {
            _ended = true;
            if (~_crc != expected)
                throw new DataFormatException(source, $"the member's CRC-32 is {~_crc:x8} but the archive records {expected:x8} (the data is corrupt)");
        }
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Reads to the end of the member, which checks the CRC.</summary>
    public void CheckToEnd()
    {
        Span<byte> scratch = stackalloc byte[256];
        while (Read(scratch) > 0) { }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
