namespace MtlEngine.Data;

/// <summary>
/// Reads a zip member and checks its CRC-32 once the member ends, as NumPy (Python's zipfile) does; .NET's
/// <see cref="System.IO.Compression.ZipArchive"/> does not, so a flipped data byte would otherwise read silently.
/// </summary>
/// <remarks>CRC-32 (IEEE 802.3, the zip polynomial): reflected, polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF.</remarks>
internal sealed class Crc32CheckingStream(Stream inner, uint expected, string source) : Stream
{
    private static readonly uint[] Table = BuildTable();
    private uint _crc = 0xFFFFFFFF;
    private bool _ended;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The CRC-32 of <paramref name="bytes"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        uint crc = _crc;
        foreach (byte b in buffer[..read]) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _crc = crc;
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
