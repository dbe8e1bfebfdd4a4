using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

/// <summary>Arrays of every dtype and many shapes, with seeded values, for round trips.</summary>
internal static class TestArrays
{
    public static readonly int[][] Shapes = [[], [0], [1], [7], [2, 3], [3, 0], [0, 0, 2], [2, 3, 4], [1, 1, 1, 1, 5], [300, 70]];

    public static NdArray Make(DType dtype, int[] shape, int seed, string name = "")
    {
        var random = new Random(seed);
        int length = 1;
        foreach (int size in shape) length *= size;
        Array data = dtype switch
        {
            DType.Float32 => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 200 - 100)).ToArray(),
            DType.Float64 => Enumerable.Range(0, length).Select(_ => random.NextDouble() * 2e6 - 1e6).ToArray(),
            DType.Int32 => Enumerable.Range(0, length).Select(_ => random.Next(int.MinValue, int.MaxValue)).ToArray(),
            DType.Int64 => Enumerable.Range(0, length).Select(_ => random.NextInt64(long.MinValue, long.MaxValue)).ToArray(),
            DType.UInt8 => Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)).ToArray(),
            DType.Bool => Enumerable.Range(0, length).Select(_ => random.Next(2) == 1).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
        return new NdArray(name, dtype, shape, data);
    }

    public static TheoryData<DType, int> EveryDTypeAndShape()
    {
        var data = new TheoryData<DType, int>();
        foreach (DType dtype in DTypes.All)
            for (int s = 0; s < Shapes.Length; s++) data.Add(dtype, s);
        return data;
    }

    public static void AssertSame(NdArray expected, NdArray actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        Assert.Equal(expected.Data.GetType(), actual.Data.GetType());
        Assert.True(((System.Collections.IStructuralEquatable)expected.Data).Equals(actual.Data, System.Collections.StructuralComparisons.StructuralEqualityComparer),
            $"the elements of '{expected.Name}' {expected} differ after the round trip");
    }

    public static DataFormatException Rejects(Func<object> read, string expectedFragment)
    {
        var e = Assert.Throws<DataFormatException>(() => read());
        Assert.Contains(expectedFragment, e.Problem);
        Assert.StartsWith(e.FileName + ": ", e.Message);
        return e;
    }
}
