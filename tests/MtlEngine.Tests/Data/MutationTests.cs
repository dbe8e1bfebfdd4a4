using System.Diagnostics;
using System.Text;
using MtlEngine.Data;
using Xunit.Abstractions;

namespace MtlEngine.Tests.Data;

/// <summary>
/// Hostile input: valid files, mutated thousands of times (bit flips, byte overwrites, truncation, insertions,
/// deletions, header-length edits), must each either read or raise <see cref="DataFormatException"/>.
/// Any other exception — IndexOutOfRange, Overflow, OutOfMemory, InvalidCast, a leaked JsonException — fails.
/// </summary>
public class MutationTests(ITestOutputHelper output)
{
    private const int Seed = 20261122;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1.5); // per format; four formats

    public static TheoryData<string> Formats() => new() { "npy", "npz", "safetensors", "csv" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void MutatedFilesReadOrRaiseDataFormatException(string format)
    {
        List<byte[]> originals = ValidFiles(format);
        Func<byte[], object> read = Reader(format);
        foreach (byte[] original in originals) read(original); // the originals are valid

        var random = new Random(Seed + format.Length);
        var clock = Stopwatch.StartNew();
        int trials = 0, rejected = 0;
        while (clock.Elapsed < Budget || trials < 500)
        {
            byte[] original = originals[random.Next(originals.Count)];
            byte[] mutated = Mutate(original, random, format);
            try
            {
                read(mutated);
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith("mutant", e.Message); // the file is named (npz members as "mutant (member x.npy)")
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"trial {trials} of {format}: {e.GetType().Name} leaked: {e.Message}\nbytes: {Convert.ToHexString(mutated)}");
            }
            trials++;
            if (trials >= 200_000) break;
        }
        output.WriteLine($"{format}: {trials} mutants in {clock.Elapsed.TotalSeconds:F1} s, {rejected} rejected with DataFormatException, {trials - rejected} read");
        // The mutations must hit: most are rejected, some still parse.
        Assert.True(rejected > trials / 10, $"{format}: only {rejected} of {trials} mutants were rejected");
        Assert.True(trials >= 500, $"{format}: only {trials} trials ran");
    }

    private static Func<byte[], object> Reader(string format) => format switch
    {
        "npy" => bytes => Npy.Read(new MemoryStream(bytes), "mutant"),
        "npz" => bytes => Npz.Read(new MemoryStream(bytes), "mutant"),
        "safetensors" => bytes => Safetensors.Read(new MemoryStream(bytes), "mutant"),
        "csv" => bytes => Csv.Read(new StreamReader(new MemoryStream(bytes), Encoding.UTF8), "mutant"),
        _ => throw new ArgumentException(format),
    };

    /// <summary>Small valid files of every dtype, including NumPy's own fixtures.</summary>
    private static List<byte[]> ValidFiles(string format)
    {
        var arrays = new List<NdArray>
        {
            NdArray.Create("a", new[] { 1.5f, -2f, 3.25f, 0f, 7f, 8f }, 2, 3),
            NdArray.Create("b", new[] { 1.0, double.NaN, 1e300 }),
            NdArray.Create("c", new[] { 1, -2, 3, 4 }, 2, 2),
            NdArray.Create("d", new[] { 5L, -6L }),
            NdArray.Create("e", new byte[] { 0, 255, 7 }),
            NdArray.Create("f", new[] { true, false, true, true }, 4),
            new NdArray("g", DType.Float64, [], new[] { 2.5 }),
            new NdArray("h", DType.Int32, [0, 3], Array.Empty<int>()),
        };
        var files = new List<byte[]>();
        switch (format)
        {
            case "npy":
                foreach (NdArray array in arrays)
                {
                    var stream = new MemoryStream();
                    Npy.Write(stream, array);
                    files.Add(stream.ToArray());
                }
                foreach (string file in new[] { "fortran_f8.npy", "be_f8.npy", "v2_f8.npy", "v3_f4.npy", "empty_i4_2x0x4.npy" })
                    files.Add(File.ReadAllBytes(DataFixtures.PathOf("numpy/" + file)));
                break;
            case "npz":
                foreach (bool compress in new[] { false, true })
                {
                    var stream = new MemoryStream();
                    Npz.Write(stream, arrays.Take(4).ToArray(), compress);
                    files.Add(stream.ToArray());
                }
                files.Add(File.ReadAllBytes(DataFixtures.PathOf("numpy/stored.npz")));
                files.Add(File.ReadAllBytes(DataFixtures.PathOf("numpy/deflated.npz")));
                break;
            case "safetensors":
                {
                    var stream = new MemoryStream();
                    Safetensors.Write(stream, arrays, new Dictionary<string, string> { ["format"] = "mtl" });
                    files.Add(stream.ToArray());
                    files.Add(File.ReadAllBytes(DataFixtures.PathOf("safetensors/model.safetensors")));
                    break;
                }
            case "csv":
                files.Add(Encoding.UTF8.GetBytes("x,y,z\n1,2,3\n4.5,-6e3,nan\ninf,-inf,0\n"));
                files.Add(Encoding.UTF8.GetBytes("\"a\",\"b\"\r\n1,2\r\n# comment\r\n\r\n3,4\r\n"));
                files.Add(File.ReadAllBytes(DataFixtures.PathOf("numpy/savetxt.csv")));
                break;
        }
        return files;
    }

    private static byte[] Mutate(byte[] original, Random random, string format)
    {
        var bytes = new List<byte>(original);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0: // bit flip
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0: // random byte
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3: // insert bytes
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4 when bytes.Count > 0: // delete bytes
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8)));
                    break;
                case 5: // edit the header length field
                    EditLengthField(bytes, random, format);
                    break;
                case 6 when bytes.Count > 0: // an interesting byte in the header region
                    int headerAt = random.Next(Math.Min(bytes.Count, 160));
                    bytes[headerAt] = (byte)"{}()[],:'\"0123456789-9 \n\0\xff"[random.Next(26)];
                    break;
                case 7 when bytes.Count > 0: // an extreme number written as text
                    string number = new[] { "-1", "99999999999", "2147483648", "18446744073709551616", "1e308", "0", "4294967295" }[random.Next(7)];
                    bytes.InsertRange(at, Encoding.ASCII.GetBytes(number));
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static void EditLengthField(List<byte> bytes, Random random, string format)
    {
        (int offset, int width) = format switch
        {
            "npy" => (8, 2),
            "safetensors" => (0, 8),
            "npz" => (random.Next(2) == 0 ? 18 : 22, 4), // the local header's compressed / uncompressed sizes
            _ => (0, 0),
        };
        if (width == 0 || bytes.Count < offset + width) return;
        long[] choices = [0, 1, 7, 8, 63, 64, 65535, int.MaxValue, uint.MaxValue, long.MaxValue, -1];
        long value = random.Next(3) == 0 ? choices[random.Next(choices.Length)] : random.Next(0, 1 << 12);
        for (int i = 0; i < width; i++) bytes[offset + i] = (byte)(value >> (8 * i));
    }
}
