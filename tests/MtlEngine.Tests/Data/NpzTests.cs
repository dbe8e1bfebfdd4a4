using System.IO.Compression;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

public class NpzTests
{
    private static NdArray[] EveryDType() =>
        DTypes.All.Select((dtype, i) => TestArrays.Make(dtype, TestArrays.Shapes[i + 3], seed: i, name: $"m{i}.{dtype}")).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripKeepsNamesOrderAndValues(bool compress)
    {
        NdArray[] arrays = [.. EveryDType(), TestArrays.Make(DType.Float64, [], 9, "scalar"), TestArrays.Make(DType.Int32, [0, 4], 9, "empty")];
        var stream = new MemoryStream();
        Npz.Write(stream, arrays, compress);
        using (var zip = new ZipArchive(new MemoryStream(stream.ToArray())))
        {
            Assert.Equal(arrays.Select(a => a.Name + ".npy"), zip.Entries.Select(e => e.FullName));
            // Stored members hold the .npy bytes as they are; deflated ones are smaller than that for this data.
            Assert.All(zip.Entries, e => Assert.True(compress ? e.CompressedLength <= e.Length : e.CompressedLength == e.Length));
        }
        stream.Position = 0;
        IReadOnlyList<NdArray> read = Npz.Read(stream, "round-trip.npz");
        Assert.Equal(arrays.Length, read.Count);
        for (int i = 0; i < arrays.Length; i++) TestArrays.AssertSame(arrays[i], read[i]);
    }

    [Fact]
    public void ArrayFileNamesUnnamedArraysLikeSavez()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mtl-npz-{Guid.NewGuid():N}.npz");
        try
        {
            NdArray a = TestArrays.Make(DType.Float32, [3], 1), b = TestArrays.Make(DType.Int64, [2, 2], 2);
            ArrayFile.Write(path, [a, b]);
            Assert.Equal(["arr_0", "arr_1"], ArrayFile.Read(path).Select(x => x.Name));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SlicingBy8Crc32MatchesTheBytewiseTwinAtEveryLength()
    {
        Assert.Equal(0xCBF43926u, Crc32CheckingStream.Compute("123456789"u8)); // the standard check value
        var random = new Random(3);
        var bytes = new byte[300];
        random.NextBytes(bytes);
        for (int length = 0; length <= 257; length++)
            for (int start = 0; start < 3; start++)
                Assert.Equal(Crc32CheckingStream.ComputeBytewise(bytes.AsSpan(start, length)), Crc32CheckingStream.Compute(bytes.AsSpan(start, length)));
    }

    [Fact]
    public void LargeMembersArriveInChunks()
    {
        // Several MiB per member, so the reader's growing chunks (64 KiB, 128 KiB, ...) are joined for every dtype.
        NdArray[] arrays = DTypes.All.Select((dtype, i) => TestArrays.Make(dtype, [1 << 19], seed: i, name: $"big{i}")).ToArray();
        foreach (bool compress in new[] { false, true })
        {
            var stream = new MemoryStream();
            Npz.Write(stream, arrays, compress);
            stream.Position = 0;
            IReadOnlyList<NdArray> read = Npz.Read(stream, "big.npz");
            for (int i = 0; i < arrays.Length; i++) TestArrays.AssertSame(arrays[i], read[i]);
        }
    }

    [Fact]
    public void WriterRejectsMissingAndRepeatedNames()
    {
        NdArray unnamed = TestArrays.Make(DType.Float32, [3], 1);
        Assert.Throws<ArgumentException>(() => Npz.Write(new MemoryStream(), [unnamed]));
        Assert.Throws<ArgumentException>(() => Npz.Write(new MemoryStream(), [unnamed.WithName("x"), unnamed.WithName("x")]));
    }

    [Fact]
    public void CorruptArchivesNameTheProblem()
    {
        var stream = new MemoryStream();
        Npz.Write(stream, [TestArrays.Make(DType.Float64, [4], 1, "a")], compress: false);
        byte[] good = stream.ToArray();

        TestArrays.Rejects(() => Npz.Read(new MemoryStream("not a zip at all"u8.ToArray()), "x.npz"), "not a valid .npz (zip) archive");
        TestArrays.Rejects(() => Npz.Read(new MemoryStream(good[..(good.Length / 2)]), "x.npz"), "not a valid .npz (zip) archive");

        // A flipped data byte in a stored member: the CRC no longer matches (NumPy says "Bad CRC-32").
        byte[] flipped = (byte[])good.Clone();
        int dataAt = Array.IndexOf(flipped, (byte)'\n', 30) + 1; // the end of the .npy header inside the member
        flipped[dataAt + 3] ^= 0x10;
        TestArrays.Rejects(() => Npz.Read(new MemoryStream(flipped), "x.npz"), "CRC-32");

        // Two members that differ only by the .npy suffix would give two arrays the same name.
        var twins = new MemoryStream();
        using (var zip = new ZipArchive(twins, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (string name in new[] { "a.npy", "a" })
            {
                using Stream member = zip.CreateEntry(name).Open();
                Npy.Write(member, TestArrays.Make(DType.Float64, [2], 1));
            }
        }
        TestArrays.Rejects(() => Npz.Read(new MemoryStream(twins.ToArray()), "x.npz"), "two members named 'a'");

        // A member that is not a .npy file is named in the message.
        var text = new MemoryStream();
        using (var zip = new ZipArchive(text, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open());
            writer.Write("hello");
        }
        var e = TestArrays.Rejects(() => Npz.Read(new MemoryStream(text.ToArray()), "x.npz"), "truncated");
        Assert.Equal("x.npz (member readme.txt)", e.FileName);
    }
}
