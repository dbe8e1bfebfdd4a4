using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;
using static MtlEngine.Tests.Kernels.Elementwise.ElementwiseKernelTests;

namespace MtlEngine.Tests.Kernels.Elementwise;

/// <summary>The strided/broadcast driver against its element-by-element twin on odd, strided, negative-stride and broadcast layouts.</summary>
public class StridedDriverTests
{
    // A layout of an operand over the iteration shape: its strides and offset inside a buffer of the given size.
    private sealed record Layout(string Name, int[] Strides, int Offset, int BufferLength);

    private static int[] RowMajor(int[] shape)
    {
        var s = new int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { s[d] = stride; stride *= shape[d]; }
        return s;
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Layouts covering contiguous, transposed, stepped, reversed and broadcast operands.</summary>
    private static IEnumerable<Layout> Layouts(int[] shape)
    {
        int n = Count(shape), rank = shape.Length;
        yield return new Layout("contiguous", RowMajor(shape), 0, n);
        // Column-major: every dimension strided, the inner one not unit.
        var colMajor = new int[rank];
        int stride = 1;
        for (int d = 0; d < rank; d++) { colMajor[d] = stride; stride *= shape[d]; }
        yield return new Layout("column-major", colMajor, 0, n);
        // Every second element, starting at 3.
        yield return new Layout("step-2", RowMajor(shape).Select(s => 2 * s).ToArray(), 3, 2 * n + 3);
        // Every dimension reversed: negative strides from the last element.
        var reversed = RowMajor(shape).Select(s => -s).ToArray();
        yield return new Layout("reversed", reversed, n - 1, n);
        // The last dimension broadcast (stride 0) and the first broadcast.
        var innerBroadcast = RowMajor(shape.Take(rank - 1).ToArray()).Append(0).ToArray();
        yield return new Layout("inner-broadcast", innerBroadcast, 0, Math.Max(1, Count(shape.Take(rank - 1).ToArray())));
        var outerBroadcast = RowMajor(shape).ToArray();
        outerBroadcast[0] = 0;
        yield return new Layout("outer-broadcast", outerBroadcast, 0, Math.Max(1, Count(shape.Skip(1).ToArray())));
        yield return new Layout("scalar", new int[rank], 0, 1);
    }

    private static StridedArray<T> Make<T>(Layout layout, int seed) where T : INumber<T> =>
        new(RandomArray<T>(layout.BufferLength, seed), layout.Offset, layout.Strides);

    public static TheoryData<int[]> Shapes => new() { new[] { 1 }, new[] { 17 }, new[] { 3, 5 }, new[] { 4, 1, 33 }, new[] { 2, 3, 5, 7 }, new[] { 5, 0, 3 }, new[] { 1, 1 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Binary_matches_its_twin_on_every_pair_of_layouts(int[] shape)
    {
        int seed = 0;
        foreach (var lx in Layouts(shape))
            foreach (var ly in Layouts(shape))
                foreach (var ld in Layouts(shape).Where(l => !l.Name.Contains("broadcast") && l.Name != "scalar" || Count(shape) <= 1))
                {
                    CheckBinary<float, AddOperator<float>>(shape, lx, ly, ld, default, ++seed);
                    CheckBinary<double, MultiplyOperator<double>>(shape, lx, ly, ld, default, ++seed);
                    CheckBinary<double, VectorizedBinary<double, GreaterOperator<double>>>(shape, lx, ly, ld, default, ++seed);
                }
    }

    private static void CheckBinary<T, TOp>(int[] shape, Layout lx, Layout ly, Layout ld, TOp op, int seed)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinarySpanOperator<T>
    {
        var x = Make<T>(lx, seed);
        var y = Make<T>(ly, seed + 7919);
        var fast = new StridedArray<T>(new T[ld.BufferLength], ld.Offset, ld.Strides);
        var twin = new StridedArray<T>(new T[ld.BufferLength], ld.Offset, ld.Strides);
        StridedDriver.Binary(shape, x, y, fast, op, Parallelism.Sequential);
        ElementwiseReference.StridedBinary(shape, x, y, twin, op);
        AssertBitwiseEqual<T>(twin.Data, fast.Data, $"{typeof(TOp).Name} shape ({string.Join(",", shape)}) x {lx.Name}, y {ly.Name}, d {ld.Name}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Unary_on_any_layout_equals_the_contiguous_result(int[] shape)
    {
        int n = Count(shape), seed = 0;
        foreach (var lx in Layouts(shape))
        {
            var x = Make<double>(lx, ++seed);
            var viaDriver = new StridedArray<double>(new double[n], 0, RowMajor(shape));
            StridedDriver.Unary(shape, x, viaDriver, default(ExpOperator<double>), Parallelism.Sequential);
            // Gather with the twin, then run the span kernel on contiguous data: bit-identical.
            var gathered = new StridedArray<double>(new double[n], 0, RowMajor(shape));
            ElementwiseReference.StridedUnary(shape, x, gathered, new VectorizedUnary<double, CopyOperator<double>>(default));
            var expected = new double[n];
            default(ExpOperator<double>).Invoke(gathered.Data, expected);
            AssertBitwiseEqual<double>(expected, viaDriver.Data, $"Exp over {lx.Name} ({string.Join(",", shape)})");
        }
    }

    [Theory]
    [InlineData(300, 257)]   // many rows: split by rows
    [InlineData(2, 100_000)] // fewer rows than threads: split inside the rows
    [InlineData(70_000, 1)]  // one column: collapses to one long row
    public void Thread_counts_one_to_four_give_identical_results(int rows, int cols)
    {
        int[] shape = [rows, cols];
        var x = new StridedArray<float>(RandomArray<float>(rows * cols, 1), 0, [cols, 1]);
        var y = new StridedArray<float>(RandomArray<float>(cols, 2), 0, [0, 1]); // a broadcast row
        float[]? first = null;
        for (int degree = 1; degree <= 4; degree++)
        {
            var d = new StridedArray<float>(new float[rows * cols], 0, [cols, 1]);
            StridedDriver.Binary(shape, x, y, d, default(PowOperator<float>), new Parallelism(degree));
            first ??= d.Data;
            AssertBitwiseEqual<float>(first, d.Data, $"degree {degree}");
        }
        var twin = new StridedArray<float>(new float[rows * cols], 0, [cols, 1]);
        ElementwiseReference.StridedBinary(shape, x, y, twin, default(PowOperator<float>));
        AssertClose<float>(twin.Data, first!, 2e-6, "Pow vs twin");
    }

    [Fact]
    public void Ternary_select_with_broadcast_condition()
    {
        int[] shape = [3, 4];
        var c = new StridedArray<double>([1, 0, double.NaN, 0], 0, [0, 1]);
        var a = new StridedArray<double>([10, 20, 30], 0, [1, 0]);
        var b = new StridedArray<double>([-1], 0, [0, 0]);
        var d = new StridedArray<double>(new double[12], 0, [4, 1]);
        StridedDriver.Ternary(shape, c, a, b, d, new VectorizedTernary<double, SelectOperator<double>>(default), Parallelism.Sequential);
        Assert.Equal([10, -1, 10, -1, 20, -1, 20, -1, 30, -1, 30, -1], d.Data);
    }

    [Fact]
    public void Strides_of_the_wrong_rank_are_rejected()
    {
        var x = new StridedArray<float>(new float[6], 0, [1]);
        var d = new StridedArray<float>(new float[6], 0, [3, 1]);
        var e = Assert.Throws<ArgumentException>(() => StridedDriver.Unary([2, 3], x, d, default(ExpOperator<float>), Parallelism.Sequential));
        Assert.Contains("1 strides", e.Message);
    }
}
