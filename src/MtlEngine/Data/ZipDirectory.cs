using System.Buffers.Binary;

namespace MtlEngine.Data;

/// <summary>
/// The members of a zip archive as its central directory records them, each checked against its local header.
/// <see cref="System.IO.Compression.ZipArchive"/> trusts the central directory alone, so a member whose local header
/// says another CRC, other sizes or another compression method, or that is flagged encrypted, would read as if
/// nothing were wrong; NumPy (Python's zipfile) refuses an encrypted member and a name mismatch, and a disagreement
/// between the two copies of a member's facts means the archive is corrupt or crafted.
/// </summary>
/// <remarks>
/// Layout (PKWARE APPNOTE 6.3): local header (signature 0x04034b50, 30 bytes + name + extra), member data, ...; central
/// directory records (0x02014b50, 46 bytes + name + extra + comment); end of central directory (0x06054b50, 22 bytes +
/// comment), preceded for ZIP64 archives by the ZIP64 end record (0x06064b50) and its locator (0x07064b50). Sizes and
/// offsets of 0xFFFFFFFF are in the ZIP64 extra field (id 0x0001). Bit 0 of the flags marks encryption, bit 6 strong
/// encryption, bit 3 a data descriptor after the data (the local CRC and sizes are then zero).
/// </remarks>
internal static class ZipDirectory
{
    /// <summary>One member: its name bytes, compression method, CRC-32 and sizes.</summary>
    public readonly record struct Member(byte[] Name, int Method, uint Crc32, long CompressedSize, long Size);

    private const uint LocalSignature = 0x04034b50, CentralSignature = 0x02014b50, EndSignature = 0x06054b50,
        Zip64EndSignature = 0x06064b50, Zip64LocatorSignature = 0x07064b50;
    private const int Encrypted = 1, DataDescriptor = 1 << 3, StrongEncryption = 1 << 6;

    /// <summary>
    /// Reads the central directory of the archive in <paramref name="stream"/> (seekable) and checks every member's local
    /// header against it. Returns null when there is no end-of-central-directory record (the zip reader reports that).
    /// </summary>
    /// <exception cref="DataFormatException">When a member is encrypted, uses a method other than stored or deflate, or its
    /// local header disagrees with the central directory.</exception>
    public static List<Member>? ReadAndCheck(Stream stream, string source)
    {
        long length = stream.Length;
        if (FindEnd(stream, length, source) is not { } end) return null;
        var (entries, directoryOffset, directorySize) = end;
        if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > length)
            throw new DataFormatException(source, "not a valid .npz (zip) archive: the central directory lies outside the file");
        if (directorySize > int.MaxValue || entries > directorySize / 46)
            throw new DataFormatException(source, $"not a valid .npz (zip) archive: {entries} members cannot fit a {directorySize}-byte central directory");
        var directory = ReadAt(stream, directoryOffset, (int)directorySize, source, "the central directory");
        var members = new List<Member>((int)entries);
        int at = 0;
        for (long i = 0; i < entries; i++)
        {
            if (at + 46 > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != CentralSignature)
                throw new DataFormatException(source, $"not a valid .npz (zip) archive: central directory record {i} is malformed");
            ReadOnlySpan<byte> record = directory.AsSpan(at);
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(record[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(record[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(record[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(record[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(record[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(record[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[42..]);
            if (at + 46 + nameLength + extraLength + commentLength > directory.Length)
                throw new DataFormatException(source, $"not a valid .npz (zip) archive: central directory record {i} runs past the directory");
            byte[] name = record.Slice(46, nameLength).ToArray();
            string shown = Shown(name);
            ReadOnlySpan<byte> extra = record.Slice(46 + nameLength, extraLength);
            (size, compressed, localOffset) = Zip64(extra, size, compressed, localOffset, withOffset: true, source, shown);
            at += 46 + nameLength + extraLength + commentLength;

            if ((flags & (Encrypted | StrongEncryption)) != 0)
                throw new DataFormatException(source, $"member {shown} is encrypted; encrypted archives are not supported");
            if (method is not (0 or 8))
                throw new DataFormatException(source, $"member {shown} uses compression method {method}; only stored (0) and deflate (8) are supported");
            if (method == 0 && compressed != size)
                throw new DataFormatException(source, $"member {shown} is stored (not compressed) but records {compressed} bytes stored for {size} bytes of data");
            CheckLocal(stream, directoryOffset, localOffset, name, flags, method, crc, compressed, size, source, shown);
            members.Add(new Member(name, method, crc, compressed, size));
        }
        return members;
    }

    private static void CheckLocal(Stream stream, long directoryOffset, long offset, byte[] name, int flags, int method,
        uint crc, long compressed, long size, string source, string shown)
    {
        if (offset < 0 || offset + 30 > directoryOffset)
            throw new DataFormatException(source, $"member {shown}: its local header offset {offset} lies outside the members' part of the archive");
        var header = ReadAt(stream, offset, 30, source, $"the local header of member {shown}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalSignature)
            throw new DataFormatException(source, $"member {shown}: no local header at offset {offset}");
        int localFlags = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
        int localMethod = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8));
        uint localCrc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(14));
        long localCompressed = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(18));
        long localSize = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(22));
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26));
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
        if (offset + 30 + nameLength + extraLength > directoryOffset)
            throw new DataFormatException(source, $"member {shown}: its local header runs into the central directory");
        var rest = ReadAt(stream, offset + 30, nameLength + extraLength, source, $"the local header of member {shown}");
        if (!rest.AsSpan(0, nameLength).SequenceEqual(name))
            throw new DataFormatException(source, $"member {shown}: its local header names it {Shown(rest[..nameLength])}");
        (localSize, localCompressed, _) = Zip64(rest.AsSpan(nameLength), localSize, localCompressed, 0, withOffset: false, source, shown);

        if ((localFlags & (Encrypted | StrongEncryption)) != 0)
            throw new DataFormatException(source, $"member {shown} is flagged encrypted in its local header; encrypted archives are not supported");
        if (localMethod != method)
            throw new DataFormatException(source, $"member {shown}: its local header says compression method {localMethod}, the central directory {method}");
        // With a data descriptor (flag bit 3) the local CRC and sizes may be zero; any value written must still agree.
        bool descriptor = (localFlags & DataDescriptor) != 0 || (flags & DataDescriptor) != 0;
        if (!(descriptor && localCrc == 0) && localCrc != crc)
            throw new DataFormatException(source, $"member {shown}: its local header records CRC-32 {localCrc:x8}, the central directory {crc:x8}");
        if (!(descriptor && localCompressed == 0 && localSize == 0) && (localCompressed != compressed || localSize != size))
            throw new DataFormatException(source,
                $"member {shown}: its local header records {localCompressed} bytes stored for {localSize}, the central directory {compressed} for {size}");
        long dataStart = offset + 30 + nameLength + extraLength;
        if (compressed > directoryOffset - dataStart)
            throw new DataFormatException(source, $"member {shown}: its {compressed} stored bytes run past the members' part of the archive");
    }

    /// <summary>Replaces 0xFFFFFFFF fields by their ZIP64 extra values (sizes, then the offset in central records).</summary>
    private static (long Size, long Compressed, long Offset) Zip64(ReadOnlySpan<byte> extra, long size, long compressed, long offset,
        bool withOffset, string source, string shown)
    {
        bool needSize = size == uint.MaxValue, needCompressed = compressed == uint.MaxValue, needOffset = withOffset && offset == uint.MaxValue;
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int fieldLength = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + fieldLength > extra.Length) break;
            ReadOnlySpan<byte> field = extra.Slice(4, fieldLength);
            if (id == 1)
            {
                // Python's zipfile writes both sizes into the local ZIP64 field even when only one overflows.
                if (!withOffset && field.Length >= 16 && (needSize || needCompressed))
                {
                    size = Checked(BinaryPrimitives.ReadUInt64LittleEndian(field), source, shown);
                    compressed = Checked(BinaryPrimitives.ReadUInt64LittleEndian(field[8..]), source, shown);
                    return (size, compressed, offset);
                }
                int at = 0;
                if (needSize && at + 8 <= field.Length) { size = Checked(BinaryPrimitives.ReadUInt64LittleEndian(field[at..]), source, shown); at += 8; needSize = false; }
                if (needCompressed && at + 8 <= field.Length) { compressed = Checked(BinaryPrimitives.ReadUInt64LittleEndian(field[at..]), source, shown); at += 8; needCompressed = false; }
                if (needOffset && at + 8 <= field.Length) { offset = Checked(BinaryPrimitives.ReadUInt64LittleEndian(field[at..]), source, shown); needOffset = false; }
                break;
            }
            extra = extra[(4 + fieldLength)..];
        }
        if (needSize || needCompressed || needOffset)
            throw new DataFormatException(source, $"member {shown}: a ZIP64 size or offset is missing from its extra field");
        return (size, compressed, offset);
    }

    private static long Checked(ulong value, string source, string shown) =>
        value <= long.MaxValue ? (long)value : throw new DataFormatException(source, $"member {shown}: a ZIP64 size or offset of {value} is out of range");

    /// <summary>The entry count, offset and size of the central directory, or null without an end record.</summary>
    private static (long Entries, long Offset, long Size)? FindEnd(Stream stream, long length, string source)
    {
        long end = FindEndOffset(stream, length);
        if (end < 0) return null;
        var record = ReadAt(stream, end, 22, source, "the end of the central directory");
        long entries = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(10));
        long size = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(12));
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(16));
        if ((entries == ushort.MaxValue || size == uint.MaxValue || offset == uint.MaxValue) && end >= 20)
        {
            var locator = ReadAt(stream, end - 20, 20, source, "the ZIP64 locator");
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == Zip64LocatorSignature)
            {
                long zip64End = Checked(BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8)), source, "(ZIP64 end record)");
                if (zip64End > length - 56)
                    throw new DataFormatException(source, "not a valid .npz (zip) archive: the ZIP64 end record lies outside the file");
                var zip64 = ReadAt(stream, zip64End, 56, source, "the ZIP64 end record");
                if (BinaryPrimitives.ReadUInt32LittleEndian(zip64) != Zip64EndSignature)
                    throw new DataFormatException(source, "not a valid .npz (zip) archive: no ZIP64 end record where its locator points");
                entries = Checked(BinaryPrimitives.ReadUInt64LittleEndian(zip64.AsSpan(32)), source, "(ZIP64 end record)");
                size = Checked(BinaryPrimitives.ReadUInt64LittleEndian(zip64.AsSpan(40)), source, "(ZIP64 end record)");
                offset = Checked(BinaryPrimitives.ReadUInt64LittleEndian(zip64.AsSpan(48)), source, "(ZIP64 end record)");
            }
        }
        return (entries, offset, size);
    }

    /// <summary>The offset of the end-of-central-directory record: the last signature within 22 + 65535 bytes of the end.</summary>
    private static long FindEndOffset(Stream stream, long length)
    {
        if (length < 22) return -1;
        int window = (int)Math.Min(length, 22 + ushort.MaxValue);
        var tail = new byte[window];
        stream.Position = length - window;
        stream.ReadExactly(tail);
        for (int i = window - 22; i >= 0; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndSignature) return length - window + i;
        return -1;
    }

    private static byte[] ReadAt(Stream stream, long offset, int count, string source, string what)
    {
        var bytes = new byte[count];
        if (offset < 0 || offset + count > stream.Length)
            throw new DataFormatException(source, $"not a valid .npz (zip) archive: {what} lies outside the file");
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static string Shown(ReadOnlySpan<byte> name) => "'" + System.Text.Encoding.UTF8.GetString(name) + "'";
}
