using System.IO.Compression;

namespace MtlEngine.Data;

/// <summary>
/// NumPy's <c>.npz</c> format: a zip archive of <c>.npy</c> members, stored or deflated. A member
/// <c>weights.npy</c> becomes the array named <c>weights</c>.
/// </summary>
public static class Npz
{
    /// <summary>The member timestamp we write (the zip epoch), so that writing is deterministic.</summary>
    private static readonly DateTimeOffset FixedTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Reads every member array, in archive order.</summary>
    /// <exception cref="DataFormatException">When the archive or a member is malformed.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static IReadOnlyList<NdArray> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads every member array from a zip archive in <paramref name="stream"/>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="DataFormatException">When the archive or a member is malformed.</exception>
    public static IReadOnlyList<NdArray> Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            stream = InputFile.Seekable(stream);
            long archiveStart = stream.Position;
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            // The local headers must agree with the central directory that ZipArchive reads (same members, same order).
            stream.Position = archiveStart;
            List<ZipDirectory.Member>? members = archiveStart == 0 ? ZipDirectory.ReadAndCheck(stream, sourceName) : null;
            if (members is not null && members.Count != zip.Entries.Count)
                throw new DataFormatException(sourceName, $"not a valid .npz (zip) archive: the central directory lists {members.Count} members but {zip.Entries.Count} were read");
            var arrays = new List<NdArray>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int index = 0; index < zip.Entries.Count; index++)
            {
                ZipArchiveEntry entry = zip.Entries[index];
                if (entry.FullName.EndsWith('/')) continue; // a directory entry
                string name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                if (!names.Add(name))
                    throw new DataFormatException(sourceName, $"the archive holds two members named '{name}'");
                string memberSource = $"{sourceName} (member {entry.FullName})";
                long size = members?[index].Size ?? -1;
                using var member = new Crc32CheckingStream(entry.Open(), entry.Crc32, memberSource);
                arrays.Add(Npy.Read(member, memberSource, name, TrustedSize(members?[index], stream.Length)));
                member.CheckToEnd();
                if (size >= 0 && member.BytesRead != size)
                    throw new DataFormatException(memberSource, $"the member inflates to {member.BytesRead} bytes but the archive records {size}");
            }
            return arrays;
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(sourceName, $"not a valid .npz (zip) archive: {e.Message}", e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataFormatException(sourceName, $"could not be read as a zip archive: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new DataFormatException(sourceName, $"uses a zip feature that is not supported: {e.Message}", e);
        }
    }

    /// <summary>
    /// The member's size when the .npy reader may allocate the array from it up front and inflate straight into it (one copy
    /// of the data in memory instead of buffered chunks and then the array); else -1, and the reader buffers what arrives.
    /// The size is trusted only as far as the archive's own bytes bound it: a stored member's bytes lie in the file, and deflate
    /// expands at most 1032:1 (258-byte matches coded in 2 bits), so a lying size cannot make a small file allocate more than a
    /// valid file of its size could.
    /// </summary>
    private static long TrustedSize(ZipDirectory.Member? member, long archiveLength)
    {
        if (member is not { } m) return -1;
        long bound = m.Method == 0 ? m.CompressedSize : m.CompressedSize > long.MaxValue / 1032 ? long.MaxValue : m.CompressedSize * 1032 + 64;
        return m.Size <= bound && m.CompressedSize <= archiveLength ? m.Size : -1;
    }

    /// <summary>Writes the arrays as members <c>name.npy</c>, deflated when <paramref name="compress"/> is true (like <c>numpy.savez_compressed</c>), else stored (like <c>numpy.savez</c>). Member timestamps are fixed at 1980-01-01 so the output is deterministic.</summary>
    /// <exception cref="ArgumentException">When a name is empty or repeated.</exception>
    public static void Write(string path, IReadOnlyList<NdArray> arrays, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckNames(arrays);
        using var stream = File.Create(path);
        Write(stream, arrays, compress);
    }

    /// <summary>Writes the arrays as a zip archive to <paramref name="stream"/> (see <see cref="Write(string, IReadOnlyList{NdArray}, bool)"/>).</summary>
    /// <exception cref="ArgumentException">When a name is empty or repeated.</exception>
    public static void Write(Stream stream, IReadOnlyList<NdArray> arrays, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckNames(arrays);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (NdArray array in arrays)
        {
            ZipArchiveEntry entry = zip.CreateEntry(array.Name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            entry.LastWriteTime = FixedTimestamp; // the same arrays give the same bytes
            using Stream member = entry.Open();
            Npy.Write(member, array);
        }
    }

    private static void CheckNames(IReadOnlyList<NdArray> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (NdArray array in arrays)
        {
            ArgumentNullException.ThrowIfNull(array, nameof(arrays));
            if (array.Name.Length == 0)
                throw new ArgumentException("Every array in an .npz file needs a name; name them (ArrayFile.Write names them arr_0, arr_1, ...).", nameof(arrays));
            if (!names.Add(array.Name))
                throw new ArgumentException($"Two arrays are named '{array.Name}'; names in an .npz file must be unique.", nameof(arrays));
        }
    }
}
