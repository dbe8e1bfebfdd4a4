using MtlEngine.Tensors;

namespace MtlEngine.Tests.Tensors;

/// <summary>Shared helpers: a base tensor with distinct values and an index-by-index comparison.</summary>
internal static class ViewTestHelpers
{
    /// <summary>A contiguous tensor whose element at flat index k is k (so every element is distinct).</summary>
    public static MtlTensor<double> Iota(params int[] shape)
    {
        int n = MtlTensor<double>.CheckedLength(shape);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = i;
        return MtlTensor.FromArray(data, shape);
    }

    /// <summary>Every n-d index of <paramref name="shape"/> in row-major order.</summary>
    public static List<int[]> Indices(ReadOnlySpan<int> shape)
    {
        int[] s = shape.ToArray();
        int n = MtlTensor<double>.CheckedLength(s);
        var all = new List<int[]>(n);
        for (int linear = 0; linear < n; linear++)
        {
            var index = new int[s.Length];
            int rest = linear;
            for (int d = s.Length - 1; d >= 0; d--) { index[d] = rest % s[d]; rest /= s[d]; }
            all.Add(index);
        }
        return all;
    }

    /// <summary>Asserts view[i] == base[map(i)] for every index i of the view.</summary>
    public static void AssertMapsTo<T>(MtlTensor<T> view, MtlTensor<T> source, Func<int[], int[]> map)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        foreach (int[] i in Indices(view.Shape))
            Assert.Equal(source[map(i)], view[i]);
    }
}
