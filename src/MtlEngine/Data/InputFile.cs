using System.Runtime.InteropServices;

namespace MtlEngine.Data;

/// <summary>
/// Opens files to read only when they are regular files. Opening a named pipe (FIFO) blocks until something writes to
/// it, and a character device such as <c>/dev/zero</c> never ends; either would hang a reader, so both are refused
/// with a <see cref="DataFormatException"/> before anything is opened.
/// </summary>
public static class InputFile
{
    // The file type bits of st_mode (POSIX); .NET's own System.Native library reports them unchanged.
    private const int TypeMask = 0xF000, Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000,
        Regular = 0x8000, Socket = 0xC000;

    private static bool _statMissing;

    /// <summary>Opens <paramref name="path"/> for reading after <see cref="CheckRegular"/>.</summary>
    /// <exception cref="DataFormatException">When it is a folder, a named pipe, a device or a socket.</exception>
    /// <exception cref="FileNotFoundException">When it does not exist.</exception>
    public static FileStream OpenRead(string path)
    {
        CheckRegular(path);
        return File.OpenRead(path);
    }

    /// <summary>
    /// <paramref name="stream"/> itself when it can seek; otherwise its remaining bytes copied into memory (positioned at
    /// their start), for the readers that need to seek (a zip directory, a safetensors header and its offsets).
    /// </summary>
    internal static Stream Seekable(Stream stream)
    {
        if (stream.CanSeek) return stream;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    /// <summary>
    /// Refuses a path that exists but is not a regular file (after following links). A path that does not exist passes:
    /// opening it reports that as usual.
    /// </summary>
    /// <exception cref="DataFormatException">When it is a folder, a named pipe, a device or a socket.</exception>
    public static void CheckRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (System.IO.Directory.Exists(path))
            throw new DataFormatException(path, "is a folder, not a file");
        if (OperatingSystem.IsWindows() || _statMissing) return;
        var status = new byte[256]; // System.Native's FileStatus: int Flags, int Mode, ... (well under 256 bytes)
        int result;
        try
        {
            result = SystemNativeStat(path, status);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _statMissing = true; // another runtime: skip the check rather than fail every read
            return;
        }
        if (result != 0) return;
        int type = BitConverter.ToInt32(status, 4) & TypeMask;
        string? what = type switch
        {
            Regular => null,
            Directory => "a folder",
            Fifo => "a named pipe (FIFO)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            _ => "not a regular file",
        };
        if (what is not null)
            throw new DataFormatException(path, $"is {what}, not a regular file; give the path of a file (reading it could block forever)");
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);
}
