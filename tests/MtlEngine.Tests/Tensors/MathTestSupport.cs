using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Tensors;

/// <summary>
/// Helpers for the math, arithmetic, comparison and reduction tests: random tensors, the same values laid
/// out as different strided views (built directly with the view constructor), element access by index,
/// and naive reference loops.
/// </summary>
internal static class MathTestSupport
{
    public static T[] RandomValues<T>(int count, int seed, double low = -3, double high = 3) where T : INumber<T>
    {
        var random = new Random(seed);
        var data = new T[count];
        for (int i = 0; i < count; i++)
        {
            double v = low + (high - low) * random.NextDouble();
            data[i] = T.CreateChecked(random.Next(5) == 0 ? Math.Round(v) : v);
        }
        return data;
    }

    public static int Count(ReadOnlySpan<int> shape)
    {
        int n = 1;
        foreach (int s in shape) n *= s;
        return n;
    }

    public static int[] RowMajorStrides(int[] shape) => MtlTensor<int>.ContiguousStrides(shape);

    /// <summary>The row-major multi-index of flat position <paramref name="flat"/>.</summary>
    public static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d]; flat /= shape[d]; }
        return index;
    }

    /// <summary>The element at <paramref name="index"/>, read through offset and strides.</summary>
    public static T At<T>(MtlTensor<T> t, int[] index) where T : unmanaged, INumber<T>
    {
        int address = t.Offset;
        for (int d = 0; d < index.Length; d++) address += index[d] * t.Strides[d];
        return t.CpuStorage.Data[address];
    }

    /// <summary>The element of a tensor broadcast to a larger shape at <paramref name="index"/> of that shape.</summary>
    public static T AtBroadcast<T>(MtlTensor<T> t, int[] index) where T : unmanaged, INumber<T>
    {
        var own = new int[t.Rank];
        for (int d = 1; d <= t.Rank; d++) own[^d] = t.Shape[^d] == 1 ? 0 : index[^d];
        return At(t, own);
    }

    /// <summary>The elements in row-major order.</summary>
    public static T[] Values<T>(MtlTensor<T> t) where T : unmanaged, INumber<T>
    {
        int[] shape = t.Shape.ToArray();
        var result = new T[t.Length];
        for (int i = 0; i < result.Length; i++) result[i] = At(t, Unravel(i, shape));
        return result;
    }

    /// <summary>
    /// The same logical values (the row-major <paramref name="values"/> of <paramref name="shape"/>) as
    /// differently laid-out views: contiguous, column-major (every stride non-unit), reversed (negative
    /// strides), every second element of a larger buffer, and with an offset.
    /// </summary>
    public static IEnumerable<(string Name, MtlTensor<T> View)> Layouts<T>(T[] values, int[] shape) where T : unmanaged, INumber<T>
    {
        int n = values.Length, rank = shape.Length;
        yield return ("contiguous", MtlTensor.FromArray((T[])values.Clone(), shape));
        // Column-major.
        var colStrides = new int[rank];
        int stride = 1;
        for (int d = 0; d < rank; d++) { colStrides[d] = stride; stride *= Math.Max(shape[d], 1); }
        yield return ("column-major", Place(values, shape, colStrides, 0, n));
        // Reversed: negative strides, starting at the last element of the buffer.
        var rowStrides = RowMajorStrides(shape);
        yield return ("reversed", Place(values, shape, rowStrides.Select(s => -s).ToArray(), Math.Max(n - 1, 0), n));
        // Every second element after an offset of 5.
        yield return ("step-2", Place(values, shape, rowStrides.Select(s => 2 * s).ToArray(), 5, 2 * n + 6));
    }

    private static MtlTensor<T> Place<T>(T[] values, int[] shape, int[] strides, int offset, int bufferLength) where T : unmanaged, INumber<T>
    {
        var buffer = new T[Math.Max(bufferLength, 1)];
        for (int i = 0; i < values.Length; i++)
        {
            int[] index = Unravel(i, shape);
            int address = offset;
            for (int d = 0; d < index.Length; d++) address += index[d] * strides[d];
            buffer[address] = values[i];
        }
        return new MtlTensor<T>(new CpuStorage<T>(buffer), offset, shape, strides);
    }

    /// <summary>A view of shape (rows, ..rowShape) whose first dimension repeats one row (stride 0).</summary>
    public static MtlTensor<T> BroadcastRows<T>(T[] row, int rows, int[] rowShape) where T : unmanaged, INumber<T>
    {
        int[] shape = [rows, .. rowShape];
        int[] strides = [0, .. RowMajorStrides(rowShape)];
        return new MtlTensor<T>(new CpuStorage<T>(row), 0, shape, strides);
    }

    /// <summary>
    /// The naive reduction: for each index of the kept axes, the reduced elements in row-major order of the
    /// reduced axes, handed to <paramref name="reduce"/>.
    /// </summary>
    public static (int[] Shape, TR[] Values) NaiveReduce<T, TR>(MtlTensor<T> x, int[]? axes, bool keepDims, Func<T[], TR> reduce)
        where T : unmanaged, INumber<T>
    {
        int rank = x.Rank;
        int[] shape = x.Shape.ToArray();
        var reduced = new bool[rank];
        foreach (int a in axes ?? Enumerable.Range(0, rank).ToArray()) reduced[a < 0 ? a + rank : a] = true;
        int[] keptAxes = Enumerable.Range(0, rank).Where(d => !reduced[d]).ToArray();
        int[] redAxes = Enumerable.Range(0, rank).Where(d => reduced[d]).ToArray();
        int[] keptShape = keptAxes.Select(d => shape[d]).ToArray();
        int[] redShape = redAxes.Select(d => shape[d]).ToArray();
        int outCount = Count(keptShape), runCount = Count(redShape);
        var result = new TR[outCount];
        for (int o = 0; o < outCount; o++)
        {
            int[] ko = Unravel(o, keptShape);
            var run = new T[runCount];
            for (int r = 0; r < runCount; r++)
            {
                int[] ro = Unravel(r, redShape);
                var index = new int[rank];
                for (int k = 0; k < keptAxes.Length; k++) index[keptAxes[k]] = ko[k];
                for (int k = 0; k < redAxes.Length; k++) index[redAxes[k]] = ro[k];
                run[r] = At(x, index);
            }
            result[o] = reduce(run);
        }
        int[] outShape = keepDims
            ? Enumerable.Range(0, rank).Select(d => reduced[d] ? 1 : shape[d]).ToArray()
            : keptShape;
        return (outShape, result);
    }

    public static void AssertClose<T>(T expected, T actual, double tolerance, string what) where T : INumber<T>
    {
        double e = double.CreateChecked(expected), a = double.CreateChecked(actual);
        bool ok = double.IsNaN(e) ? double.IsNaN(a)
            : double.IsInfinity(e) ? e == a
            : Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e));
        if (!ok) Assert.Fail($"{what}: {a} vs expected {e}");
    }

    public static void AssertAllClose<T>(IReadOnlyList<T> expected, IReadOnlyList<T> actual, double tolerance, string what) where T : INumber<T>
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) AssertClose(expected[i], actual[i], tolerance, $"{what}[{i}]");
    }
}
