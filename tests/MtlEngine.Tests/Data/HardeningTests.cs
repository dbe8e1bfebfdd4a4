using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

/// <summary>
/// The reproducers of issue 18 for the array readers, each the smallest input of its class: a lone surrogate in a
/// safetensors header, a key repeated inside a safetensors entry, zip members whose local header disagrees with the
/// central directory or that are flagged encrypted, a malformed first CSV row, a named pipe given as a file, control
/// characters from a file in a message, and the memory an .npz member takes while it is read.
/// </summary>
public sealed class HardeningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-hardening-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] SafetensorsBytes(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static SafetensorsFile ReadSafetensors(byte[] bytes) => Safetensors.Read(new MemoryStream(bytes), "t.safetensors");

    [Theory]
    [InlineData("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\udc00x\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"a\":{\"dtype\":\"F3\\ud83d\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    public void SafetensorsHeaderWithALoneSurrogateIsADataFormatError(string header) =>
        TestArrays.Rejects(() => ReadSafetensors(SafetensorsBytes(header, 4)), "not valid Unicode");

    [Fact]
    public void SafetensorsEntryWithARepeatedKeyIsRefused()
    {
        // Last-wins would read these F32 bytes as I32.
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"dtype\":\"I32\",\"data_offsets\":[0,4]}}";
        TestArrays.Rejects(() => ReadSafetensors(SafetensorsBytes(header, 4)), "tensor 'a' names 'dtype' twice");
        // The same entry without the repeat reads.
        Assert.Equal(DType.Float32, ReadSafetensors(SafetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).Tensors[0].DType);
    }

    // ---- .npz: the local header against the central directory ----

    private static byte[] NpzBytes(bool compress)
    {
        var stream = new MemoryStream();
        Npz.Write(stream, [NdArray.Create("w", new[] { 1.0, 2.0, 3.0 })], compress);
        return stream.ToArray();
    }

    private static int Find(byte[] bytes, uint signature)
    {
        for (int i = 0; i + 4 <= bytes.Length; i++)
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) == signature) return i;
        throw new InvalidOperationException($"no signature {signature:x8}");
    }

    private static IReadOnlyList<NdArray> ReadNpz(byte[] bytes) => Npz.Read(new MemoryStream(bytes), "t.npz");

    [Theory]
    [InlineData(false, 14, "CRC-32")]      // local CRC-32
    [InlineData(true, 14, "CRC-32")]
    [InlineData(false, 18, "bytes stored")] // local compressed size
    [InlineData(true, 22, "bytes stored")]  // local uncompressed size
    public void NpzMemberWhoseLocalHeaderDisagreesIsRefused(bool compress, int field, string expected)
    {
        byte[] bytes = NpzBytes(compress);
        ReadNpz(bytes); // the original reads
        int local = Find(bytes, 0x04034b50);
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(local + field));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(local + field), value + 1);
        TestArrays.Rejects(() => ReadNpz(bytes), expected);
    }

    [Theory]
    [InlineData(0x04034b50u, 6)]  // the local header's flags
    [InlineData(0x02014b50u, 8)]  // the central directory's flags
    public void NpzMemberFlaggedEncryptedIsRefused(uint signature, int flagsAt)
    {
        byte[] bytes = NpzBytes(compress: false);
        int at = Find(bytes, signature) + flagsAt;
        bytes[at] |= 1;
        TestArrays.Rejects(() => ReadNpz(bytes), "encrypted");
    }

    [Fact]
    public void NpzMemberIsInflatedStraightIntoItsArray()
    {
        // Before: the member arrived in buffered chunks that were then copied into the array, about twice (and with the
        // caller's copy three times) the member's size at the peak. Now the array is allocated once and filled in place.
        const int count = 1 << 18; // 2 MiB of float64
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = Math.Sin(i * 0.37) * 1000;
        foreach (bool compress in new[] { false, true })
        {
            var file = new MemoryStream();
            Npz.Write(file, [NdArray.Create("big", values)], compress);
            byte[] bytes = file.ToArray();
            ReadNpz(bytes); // warm up (JIT, zlib)
            long before = GC.GetAllocatedBytesForCurrentThread();
            var arrays = ReadNpz(bytes);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(values, (double[])arrays[0].Data);
            long size = count * sizeof(double);
            Assert.True(allocated < size * 1.2, $"compress={compress}: reading an {size >> 20} MiB member allocated {allocated >> 20} MiB ({(double)allocated / size:F2}× its size)");
        }
    }

    // ---- CSV ----

    [Theory]
    [InlineData("1,2x,3\n4,5,6\n", "line 1, column 2: '2x' is not a number")]
    [InlineData("1,2,3x\n4,5,6\n", "line 1, column 3: '3x' is not a number")]
    [InlineData("a,1e\n4,5\n", "line 1, column 1: 'a' is not a number")]
    [InlineData("-.5q\n4\n", "line 1, column 1: '-.5q' is not a number")]
    public void CsvFirstRowThatLooksNumericButIsMalformedIsAnErrorNotAHeader(string text, string expected) =>
        TestArrays.Rejects(() => Csv.Read(new StringReader(text), "t.csv"), expected);

    [Fact]
    public void CsvHeadersStillDetected()
    {
        Assert.Equal(["x", "y_2", "-"], Csv.Read(new StringReader("x,y_2,-\n1,2,3\n"), "t.csv").ColumnNames);
        Assert.Equal(["2019", "2020"], Csv.Read(new StringReader("2019,2020\n1,2\n"), "t.csv", new CsvOptions { Header = CsvHeader.Present }).ColumnNames);
    }

    // ---- files that are not regular files ----

    private string MakeFifo(string name)
    {
        string path = Path.Combine(_dir, name);
        using var process = Process.Start(new ProcessStartInfo("mkfifo", path) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return path;
    }

    [Fact]
    public async Task NamedPipeIsRefusedInsteadOfBlocking()
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (string extension in new[] { ".npy", ".npz", ".safetensors", ".csv" })
        {
            string fifo = MakeFifo("pipe" + extension);
            // Opening a FIFO for reading blocks until a writer comes; the check runs before the open, on a worker so that a
            // regression fails the test instead of hanging it.
            var read = Task.Run(() => ArrayFile.Read(fifo));
            Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20))) == read, $"reading {extension} from a FIFO blocked");
            var e = await Assert.ThrowsAsync<DataFormatException>(() => read);
            Assert.Contains("named pipe", e.Message);
        }
        Assert.Contains("character device", Assert.Throws<DataFormatException>(() => InputFile.CheckRegular("/dev/null")).Message);
        InputFile.CheckRegular(Path.Combine(_dir, "missing.npy")); // a missing file is left to the open that follows
    }

    // ---- messages ----

    [Fact]
    public void ControlCharactersFromAFileAreEscapedInMessages()
    {
        // An .npy whose dtype string carries ESC, VT and NEXT LINE (U+0085): the message must not pass them to a terminal.
        byte[] header = Encoding.Latin1.GetBytes("{'descr': '\u001b[2J\u000b\u0085', 'fortran_order': False, 'shape': (1,), }\n");
        var bytes = new byte[10 + header.Length];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        header.CopyTo(bytes, 10);
        var e = Assert.Throws<DataFormatException>(() => Npy.Read(new MemoryStream(bytes), "e\u001b.npy"));
        Assert.True(Printable.IsPrintable(e.Message), e.Message);
        Assert.Contains("\\x1b[2J\\x0b\\x85", e.Message);
        Assert.StartsWith("e\\x1b.npy: ", e.Message);
    }

    [Theory]
    [InlineData("plain ≥ text λ₀ 😀", "plain ≥ text λ₀ 😀")]
    [InlineData("a\u001bb", "a\\x1bb")]
    [InlineData("a\u0085\u000b\u007f", "a\\x85\\x0b\\x7f")]
    [InlineData("rtl\u202Eoverride\u2028", "rtl\\u202eoverride\\u2028")]
    public void PrintableEscapesEveryNonPrintingCharacter(string text, string expected)
    {
        Assert.Equal(expected, Printable.Escape(text));
        Assert.True(Printable.IsPrintable(Printable.Escape(text)));
    }

    [Fact]
    public void PrintableEscapesALoneSurrogate()
    {
        // Built here: a lone surrogate does not survive xUnit's serialization of inline data.
        string text = "lone " + (char)0xD800 + " surrogate " + (char)0xDC00;
        Assert.False(Printable.IsPrintable(text));
        Assert.Equal("lone \\ud800 surrogate \\udc00", Printable.Escape(text));
    }
}
