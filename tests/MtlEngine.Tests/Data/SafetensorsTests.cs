using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

public class SafetensorsTests
{
    private static readonly Dictionary<string, string> Metadata = new() { ["format"] = "mtl", ["model"] = "ridge α=0.5", ["empty"] = "" };

    [Fact]
    public void RoundTripKeepsEveryDTypeShapeAndMetadata()
    {
        var tensors = new List<NdArray>();
        int seed = 0;
        foreach (DType dtype in DTypes.All)
            foreach (int[] shape in TestArrays.Shapes)
                tensors.Add(TestArrays.Make(dtype, shape, seed++, $"{dtype}.{string.Join("x", shape)}"));
        var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, Metadata);
        byte[] bytes = stream.ToArray();

        SafetensorsFile file = Safetensors.Read(new MemoryStream(bytes), "model.safetensors");
        Assert.Equal(Metadata, file.Metadata.ToDictionary());
        // Written sorted by name; read back in file order.
        Assert.Equal(tensors.Select(t => t.Name).Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name));
        foreach (NdArray tensor in tensors) TestArrays.AssertSame(tensor, file[tensor.Name]);
    }

    [Fact]
    public void HeaderIsPaddedTo8BytesAndDataIsContiguousInNameOrder()
    {
        NdArray b = TestArrays.Make(DType.Float32, [3], 1, "b"), a = TestArrays.Make(DType.Int64, [2], 2, "a"), c = TestArrays.Make(DType.UInt8, [5], 3, "c");
        var stream = new MemoryStream();
        Safetensors.Write(stream, [b, a, c]);
        byte[] bytes = stream.ToArray();
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n + 16 + 12 + 5, bytes.Length);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        Assert.Equal(["a", "b", "c"], header.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.False(header.RootElement.TryGetProperty("__metadata__", out _)); // no metadata given, none written
        Assert.Equal("[16,28]", header.RootElement.GetProperty("b").GetProperty("data_offsets").GetRawText());
    }

    [Fact]
    public void WriterRejectsBadNames()
    {
        NdArray t = TestArrays.Make(DType.Float32, [3], 1);
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), [t]));
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), [t.WithName("__metadata__")]));
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), [t.WithName("x"), t.WithName("x")]));
    }

    [Theory]
    [InlineData("[1, 2]", 0, "not an object")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]", 8, "not valid JSON")]
    [InlineData("{\"a\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4, "dtype 'F16', which is not supported")]
    [InlineData("{\"a\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8, "no dtype")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8, "not a non-negative integer")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 8]}}", 8, "not a non-negative integer")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [3000000000], \"data_offsets\": [0, 8]}}", 8, "larger than 2147483647")]
    [InlineData("{\"a\": {\"dtype\": \"F64\", \"shape\": [2000000000, 2000000000], \"data_offsets\": [0, 8]}}", 8, "too many elements")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0]}}", 8, "expected [begin, end]")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8, "needs 12 bytes")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 12, "cover 8 bytes but the data buffer has 12")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12, "leave a gap")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12, "overlap")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", 8, "end before they begin")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 18446744073709551615]}}", 8, "not a non-negative integer")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 800]}}", 8, "beyond the 8-byte data buffer")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"a\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 8]}}", 8, "names 'a' twice")]
    [InlineData("{\"__metadata__\": {\"k\": 1}}", 0, "'k' is not a string")]
    [InlineData("{\"__metadata__\": [\"k\"]}", 0, "__metadata__ is not a JSON object")]
    [InlineData("{\"a\": 5}", 0, "is not a JSON object")]
    public void BadHeadersNameTheProblem(string json, int dataBytes, string problem)
    {
        TestArrays.Rejects(() => Safetensors.Read(new MemoryStream(Build(Encoding.UTF8.GetBytes(json), dataBytes)), "bad.safetensors"), problem);
    }

    [Fact]
    public void BadPrefixesNameTheProblem()
    {
        TestArrays.Rejects(() => Safetensors.Read(new MemoryStream(new byte[5]), "x.safetensors"), "too short");
        byte[] huge = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        TestArrays.Rejects(() => Safetensors.Read(new MemoryStream(huge), "x.safetensors"), "larger than the 104857600 bytes allowed");
        BinaryPrimitives.WriteUInt64LittleEndian(huge, 57);
        TestArrays.Rejects(() => Safetensors.Read(new MemoryStream(huge), "x.safetensors"), "runs past the end of the file (64 bytes)");
        TestArrays.Rejects(() => Safetensors.Read(new MemoryStream(Build([0x7b, 0xff, 0xfe, 0x7d], 0)), "x.safetensors"), "not valid UTF-8");
    }

    [Fact]
    public void ReadsFromNonSeekableStreams()
    {
        NdArray t = TestArrays.Make(DType.Float64, [4, 2], 5, "w");
        var stream = new MemoryStream();
        Safetensors.Write(stream, [t], Metadata);
        SafetensorsFile file = Safetensors.Read(new ForwardOnlyStream(stream.ToArray()), "pipe");
        TestArrays.AssertSame(t, file["w"]);
    }

    private static byte[] Build(byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }
}
