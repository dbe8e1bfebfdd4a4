using System.Buffers.Binary;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

/// <summary>
/// A .npy file is read into its typed array in pieces (so arrays over 2 GiB load): pieces of any size, little- or
/// big-endian, give the array that one read gives.
/// </summary>
public sealed class ChunkedElementReadTests
{
    [Theory]
    [InlineData(24)]   // 3 doubles a piece
    [InlineData(13)]   // not a whole number of elements: rounded down to 1 double
    [InlineData(1 << 30)]
    public void DoublesReadInPiecesEqualTheirValues(int chunkBytes)
    {
        var values = Enumerable.Range(0, 101).Select(i => Math.Sin(0.3 * i) * 1e3).ToArray();
        foreach (bool bigEndian in new[] { false, true })
        {
            var bytes = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++)
            {
                long bits = BitConverter.DoubleToInt64Bits(values[i]);
                if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8 * i), bits);
                else BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), bits);
            }
            var read = (double[])ElementCodec.ReadElements(new MemoryStream(bytes), DType.Float64, values.Length, bytes.Length, bigEndian,
                lengthKnown: true, "test", chunkBytes);
            Assert.Equal(values, read);
        }
    }

    [Fact]
    public void ATruncatedFileReadInPiecesSaysWhereItEnds()
    {
        var bytes = new byte[10 * 4 - 3];
        var error = Assert.Throws<DataFormatException>(() =>
            ElementCodec.ReadElements(new MemoryStream(bytes), DType.Float32, 10, 40, bigEndian: false, lengthKnown: true, "short.npy", chunkBytes: 8));
        Assert.Contains("short.npy", error.Message);
        Assert.Contains("(37 of 40 bytes; it is truncated)", error.Message); // counted over the pieces: four of 8 bytes, then 5 bytes of the fifth
    }
}
