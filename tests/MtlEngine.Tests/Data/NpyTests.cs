using System.Text;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

public class NpyTests
{
    [Theory]
    [MemberData(nameof(TestArrays.EveryDTypeAndShape), MemberType = typeof(TestArrays))]
    public void RoundTripKeepsDTypeShapeAndEveryElement(DType dtype, int shapeIndex)
    {
        NdArray array = TestArrays.Make(dtype, TestArrays.Shapes[shapeIndex], seed: shapeIndex);
        var stream = new MemoryStream();
        Npy.Write(stream, array);
        Assert.Equal(0, Header(stream.ToArray()).Length % 64 == 0 ? 0 : 1); // the data starts on a 64-byte boundary
        stream.Position = 0;
        TestArrays.AssertSame(array, Npy.Read(stream, "round-trip"));
    }

    [Fact]
    public void RoundTripThroughAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mtl-npy-{Guid.NewGuid():N}.npy");
        try
        {
            NdArray array = TestArrays.Make(DType.Float64, [300, 70], seed: 1);
            ArrayFile.Write(path, [array]);
            TestArrays.AssertSame(array, ArrayFile.Read(path).Single());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NonSeekableStreamsReadTheSame()
    {
        NdArray array = TestArrays.Make(DType.Int64, [5, 4], seed: 2);
        var stream = new MemoryStream();
        Npy.Write(stream, array);
        TestArrays.AssertSame(array, Npy.Read(new ForwardOnlyStream(stream.ToArray()), "pipe"));
        var longer = stream.ToArray().Concat(new byte[] { 1 }).ToArray();
        TestArrays.Rejects(() => Npy.Read(new ForwardOnlyStream(longer), "pipe"), "bytes after");
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}")]
    [InlineData("{\"descr\":\"<f8\",\"fortran_order\":False,\"shape\":(2,3,),}")]
    [InlineData("  {  'descr' : '<f8' ,\n 'fortran_order' : False , 'shape' : [ 2 , 3 ] }  \n")]
    [InlineData("{'descr': '=f8', 'fortran_order': False, 'shape': (2L, 3L)}")]
    public void HeaderParserAcceptsWhatPythonWould(string header)
    {
        NdArray array = Npy.Read(new MemoryStream(Build(header, new byte[48])), "hand-made");
        Assert.Equal([2, 3], array.Shape.ToArray());
        Assert.Equal(DType.Float64, array.DType);
    }

    [Theory]
    [InlineData("", "ends where a value was expected")]
    [InlineData("['descr', '<f8']", "not a Python dictionary")]
    [InlineData("{'descr': '<f8', 'fortran_order': False}", "no 'shape'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'extra': 1}", "unexpected key 'extra'")]
    [InlineData("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", "repeats the key")]
    [InlineData("{'descr': '<c16', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype '<c16'")]
    [InlineData("{'descr': '|f8', 'fortran_order': False, 'shape': (6,)}", "unsupported dtype")]
    [InlineData("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,)}", "structured")]
    [InlineData("{'descr': '<f8', 'fortran_order': 0, 'shape': (6,)}", "'fortran_order' is not True or False")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': 6}", "'shape' is not a tuple")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (-6,)}", "negative dimension")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (3000000000,)}", "larger than 2147483647")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536)}", "too many elements")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}", "too large")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4)}", "needs 64 bytes of data but the file has 48")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (5,)}", "needs 40 bytes of data but the file has 48")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (6,)} junk", "unexpected 'junk'")]
    [InlineData("{'descr' '<f8', 'fortran_order': False, 'shape': (6,)}", "expected ':'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (6,)", "expected ',' or '}'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), __import__('os')}", "not a Python literal")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': ((((((((((((((((((((((((((((((((((6,),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),)}", "nests deeper")]
    [InlineData("{'descr': '<f8, 'fortran_order': False, 'shape': (6,)}", "expected ',' or '}'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (6.0,)}", "not an integer")]
    public void BadHeadersNameTheProblem(string header, string problem)
    {
        var e = TestArrays.Rejects(() => Npy.Read(new MemoryStream(Build(header, new byte[48])), "bad.npy"), problem);
        Assert.Equal("bad.npy", e.FileName);
    }

    [Fact]
    public void BadPrefixesNameTheProblem()
    {
        byte[] good = Build("{'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", new byte[48]);
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(Encoding.ASCII.GetBytes("PK\x03\x04 not npy")), "x.npy"), "magic");
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(good[..5]), "x.npy"), "truncated");
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(good[..60]), "x.npy"), "runs past the end");
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(good[..^8]), "x.npy"), "needs 48 bytes of data but the file has 40");

        byte[] version = (byte[])good.Clone();
        version[6] = 4;
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(version), "x.npy"), "version 4.0");

        // Version 2.0 with a 4-byte header length of 2 GiB: rejected before any allocation.
        byte[] huge = [0x93, .. "NUMPY"u8, 2, 0, 0, 0, 0, 0x80, .. new byte[100]];
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(huge), "x.npy"), "larger than the 1048576 bytes allowed");

        // Version 3.0 headers are UTF-8; invalid UTF-8 is named as such.
        byte[] v3 = Build("{'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", new byte[48], major: 3);
        v3[12] = 0xff;
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(v3), "x.npy"), "not valid UTF-8");

        // On a stream whose length is unknown, a lying shape meets the end of the data, not a huge allocation.
        byte[] lying = Build("{'descr': '<f8', 'fortran_order': False, 'shape': (200000000,)}", new byte[48]);
        TestArrays.Rejects(() => Npy.Read(new ForwardOnlyStream(lying), "pipe"), "truncated");
    }

    [Fact]
    public void Version3HeadersAreDecodedAsUtf8()
    {
        // The key is two UTF-8 bytes; decoded as latin-1 it would read as two characters.
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(Build("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), '\u00e9': 1}", new byte[8], major: 3)), "v3.npy"),
            "unexpected key '\u00e9'");
    }

    [Fact]
    public void FortranOrderIsTransposedToCOrder()
    {
        // Column-major (2, 3): memory holds a00 a10 a01 a11 a02 a12.
        int[] memory = [0, 10, 1, 11, 2, 12];
        byte[] data = new byte[24];
        Buffer.BlockCopy(memory, 0, data, 0, 24);
        NdArray array = Npy.Read(new MemoryStream(Build("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3)}", data)), "f.npy");
        Assert.Equal(new[] { 0, 1, 2, 10, 11, 12 }, (int[])array.Data);
    }

    [Fact]
    public void HeadersPast64KiBSwitchToVersion2()
    {
        NdArray small = new("", DType.Float32, Enumerable.Repeat(1, 40).ToArray(), new float[] { 4 });
        byte[] smallBytes = Write(small);
        Assert.Equal(1, smallBytes[6]);
        TestArrays.AssertSame(small, Npy.Read(new MemoryStream(smallBytes), "40 dims"));

        // 30000 dimensions of size 1 need a header of about 90 KB: NumPy's rule moves to version 2.0 (4-byte length).
        NdArray huge = new("", DType.Float32, Enumerable.Repeat(1, 30000).ToArray(), new float[] { 4 });
        byte[] hugeBytes = Write(huge);
        Assert.Equal(2, hugeBytes[6]);
        Assert.Equal(0, (12 + BitConverter.ToInt32(hugeBytes, 8)) % 64);
        // Reading caps the rank at 64 (NumPy allows 32, or 64 since 2.0).
        TestArrays.Rejects(() => Npy.Read(new MemoryStream(hugeBytes), "huge"), "30000 dimensions");
    }

    private static byte[] Write(NdArray array)
    {
        var stream = new MemoryStream();
        Npy.Write(stream, array);
        return stream.ToArray();
    }

    /// <summary>A .npy file with the given header text (padded like NumPy's) and data.</summary>
    internal static byte[] Build(string header, byte[] data, int major = 1)
    {
        byte[] text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header);
        int prefix = major == 1 ? 10 : 12;
        int padded = text.Length + 1;
        padded += (64 - (prefix + padded) % 64) % 64;
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.Add((byte)major);
        bytes.Add(0);
        if (major == 1) bytes.AddRange(BitConverter.GetBytes((ushort)padded));
        else bytes.AddRange(BitConverter.GetBytes((uint)padded));
        bytes.AddRange(text);
        bytes.AddRange(Enumerable.Repeat((byte)' ', padded - text.Length - 1));
        bytes.Add((byte)'\n');
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    private static byte[] Header(byte[] file) => file[..(10 + BitConverter.ToUInt16(file, 8))];
}

/// <summary>A stream that cannot seek and returns at most 7 bytes a read, like a pipe.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
{
    private int _position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, 7), bytes.Length - _position);
        Array.Copy(bytes, _position, buffer, offset, n);
        _position += n;
        return n;
    }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
