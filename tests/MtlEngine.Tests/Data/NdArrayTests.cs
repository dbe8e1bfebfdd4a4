using MtlEngine.Data;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Data;

public class NdArrayTests
{
    [Fact]
    public void ConstructorChecksTypeShapeAndLength()
    {
        Assert.Throws<ArgumentException>(() => new NdArray("", DType.Float32, [2], new double[2]));
        Assert.Throws<ArgumentException>(() => new NdArray("", DType.Float32, [2, 2], new float[3]));
        Assert.Throws<ArgumentException>(() => new NdArray("", DType.Float32, [-1], new float[0]));
        Assert.Throws<ArgumentException>(() => new NdArray("", DType.Bool, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => new NdArray("", DType.Float32, [65536, 65536], new float[0]));
        var scalar = new NdArray("s", DType.Int64, [], new long[] { 3 });
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.Length);
        Assert.Equal("s: int64 ()", scalar.ToString());
    }

    [Fact]
    public void ShapeIsACopy()
    {
        int[] shape = [2, 3];
        var array = new NdArray("", DType.Float64, shape, new double[6]);
        shape[0] = 3;
        Assert.Equal([2, 3], array.Shape.ToArray());
    }

    [Fact]
    public void ToDoubleArrayConvertsEveryDType()
    {
        Assert.Equal([1.5, -2], NdArray.Create("", new[] { 1.5f, -2f }).ToDoubleArray());
        Assert.Equal([int.MinValue, 7], NdArray.Create("", new[] { int.MinValue, 7 }).ToDoubleArray());
        Assert.Equal([-(double)(1L << 53), 0], NdArray.Create("", new[] { -(1L << 53), 0L }).ToDoubleArray());
        Assert.Equal([255, 0], NdArray.Create("", new byte[] { 255, 0 }).ToDoubleArray());
        Assert.Equal([1, 0], NdArray.Create("", new[] { true, false }).ToDoubleArray());
        double[] source = [1, 2];
        NdArray doubles = NdArray.Create("", source);
        Assert.NotSame(source, doubles.ToDoubleArray()); // a copy even when no conversion is needed
    }

    [Fact]
    public void ToTensorAndBackIsTheIdentity()
    {
        foreach (DType dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.UInt8 })
            foreach (int[] shape in TestArrays.Shapes)
            {
                NdArray array = TestArrays.Make(dtype, shape, seed: shape.Length, name: "x");
                NdArray back = dtype switch
                {
                    DType.Float32 => NdArray.FromTensor(array.ToTensor<float>(), "x"),
                    DType.Float64 => NdArray.FromTensor(array.ToTensor<double>(), "x"),
                    DType.Int32 => NdArray.FromTensor(array.ToTensor<int>(), "x"),
                    DType.Int64 => NdArray.FromTensor(array.ToTensor<long>(), "x"),
                    _ => NdArray.FromTensor(array.ToTensor<byte>(), "x"),
                };
                TestArrays.AssertSame(array, back);
            }
    }

    [Fact]
    public void ToTensorConvertsElementTypes()
    {
        MtlTensor<float> fromBool = NdArray.Create("", new[] { true, false, true }).ToTensor<float>();
        Assert.Equal([1f, 0f, 1f], fromBool.AsSpan().ToArray());
        MtlTensor<double> fromInt = NdArray.Create("", new[] { 1, 2, 3, 4, 5, 6 }, 2, 3).ToTensor<double>();
        Assert.Equal([2, 3], fromInt.Shape.ToArray());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], fromInt.AsSpan().ToArray());
        MtlTensor<byte> saturated = NdArray.Create("", new[] { -5.0, 300.0, 7.9 }).ToTensor<byte>();
        Assert.Equal([(byte)0, (byte)255, (byte)7], saturated.AsSpan().ToArray());
    }

    [Fact]
    public void FromTensorWalksAnyStridedView()
    {
        // Storage 0..59; views built by hand: a transpose, a stepped slice, a negative stride, a broadcast.
        var storage = new CpuStorage<double>(Enumerable.Range(0, 60).Select(i => (double)i).ToArray());
        var transpose = new MtlTensor<double>(storage, 0, [5, 4], [1, 5]); // the (4, 5) matrix transposed
        Assert.Equal(Reference(storage.Data, 0, [5, 4], [1, 5]), (double[])NdArray.FromTensor(transpose).Data);
        var stepped = new MtlTensor<double>(storage, 7, [3, 2, 4], [20, 6, 2]);
        Assert.Equal(Reference(storage.Data, 7, [3, 2, 4], [20, 6, 2]), (double[])NdArray.FromTensor(stepped).Data);
        var reversed = new MtlTensor<double>(storage, 59, [2, 3], [-30, -1]);
        Assert.Equal([59.0, 58, 57, 29, 28, 27], (double[])NdArray.FromTensor(reversed).Data);
        var broadcast = new MtlTensor<double>(storage, 3, [3, 4], [0, 1]);
        Assert.Equal(Reference(storage.Data, 3, [3, 4], [0, 1]), (double[])NdArray.FromTensor(broadcast).Data);
        var empty = new MtlTensor<double>(storage, 0, [3, 0], [5, 1]);
        Assert.Empty((double[])NdArray.FromTensor(empty).Data);
        var scalar = new MtlTensor<double>(storage, 42, [], []);
        Assert.Equal([42.0], (double[])NdArray.FromTensor(scalar).Data);
        Assert.Equal(0, NdArray.FromTensor(scalar).Rank);
    }

    /// <summary>The textbook twin: element (i, j, ...) = storage[offset + Σ index·stride], enumerated with nested index arithmetic.</summary>
    private static double[] Reference(double[] storage, int offset, int[] shape, int[] strides)
    {
        int length = shape.Aggregate(1, (a, b) => a * b);
        var result = new double[length];
        for (int flat = 0; flat < length; flat++)
        {
            int rest = flat, position = offset;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                position += rest % shape[d] * strides[d];
                rest /= shape[d];
            }
            result[flat] = storage[position];
        }
        return result;
    }

    [Fact]
    public void ArrayFileRejectsUnknownExtensionsAndReportsMissingFiles()
    {
        var e = Assert.Throws<DataFormatException>(() => ArrayFile.Read("weights.h5"));
        Assert.Contains("unknown extension '.h5'", e.Message);
        Assert.StartsWith("weights.h5: ", e.Message);
        Assert.Throws<ArgumentException>(() => ArrayFile.Write("weights.h5", [NdArray.Create("", new[] { 1f })]));
        string missing = Path.Combine(Path.GetTempPath(), $"mtl-missing-{Guid.NewGuid():N}.npy");
        var notFound = Assert.Throws<FileNotFoundException>(() => ArrayFile.Read(missing));
        Assert.Contains(missing, notFound.Message);
    }

    [Fact]
    public void ArrayFileRoundTripsEveryFormat()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"mtl-arrayfile-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            NdArray matrix = TestArrays.Make(DType.Float64, [6, 3], 4);
            foreach (string extension in ArrayFile.Extensions)
            {
                string path = Path.Combine(directory, "m" + extension.ToUpperInvariant()); // extensions in any case
                ArrayFile.Write(path, [matrix]);
                NdArray back = ArrayFile.Read(path).Single();
                Assert.Equal(matrix.ToDoubleArray(), back.ToDoubleArray());
                Assert.Equal(matrix.Shape.ToArray(), back.Shape.ToArray());
            }
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
