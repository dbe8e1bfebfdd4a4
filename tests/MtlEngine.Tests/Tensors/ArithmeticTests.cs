using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.MathTestSupport;

namespace MtlEngine.Tests.Tensors;

public class ArithmeticTests
{
    public static TheoryData<int[], int[]> ShapePairs => new()
    {
        { new[] { 2, 3 }, new[] { 2, 3 } },
        { new[] { 2, 3 }, new[] { 3 } },
        { new[] { 4, 1, 5 }, new[] { 3, 1 } },
        { new[] { 5, 1 }, new[] { 1, 33 } },
        { new int[0], new[] { 2, 2 } },
        { new[] { 0, 3 }, new[] { 1, 3 } },
        { new[] { 7 }, new int[0] },
    };

    /// <summary>Checks op(x, y) on every pair of layouts against the naive broadcast loop.</summary>
    private static void CheckBinary<T>(int[] shapeX, int[] shapeY, Func<MtlTensor<T>, MtlTensor<T>, MtlTensor<T>> op, Func<T, T, T> scalar, string name, double low = -3)
        where T : unmanaged, INumber<T>
    {
        T[] vx = RandomValues<T>(Count(shapeX), 1, low), vy = RandomValues<T>(Count(shapeY), 2, low);
        int[] outShape = Broadcast.Shapes(shapeX, shapeY);
        foreach (var (nx, x) in Layouts(vx, shapeX))
            foreach (var (ny, y) in Layouts(vy, shapeY))
            {
                var z = op(x, y);
                Assert.Equal(outShape, z.Shape.ToArray());
                Assert.True(z.IsContiguous);
                var actual = z.AsSpan().ToArray();
                for (int i = 0; i < actual.Length; i++)
                {
                    int[] index = Unravel(i, outShape);
                    T expected = scalar(AtBroadcast(x, index), AtBroadcast(y, index));
                    AssertClose(expected, actual[i], 1e-6, $"{name} {nx}×{ny} at {i}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(ShapePairs))]
    public void Binary_arithmetic_matches_the_naive_broadcast_loop(int[] a, int[] b)
    {
        CheckBinary<float>(a, b, (x, y) => x.Add(y), (x, y) => x + y, "Add");
        CheckBinary<double>(a, b, (x, y) => x - y, (x, y) => x - y, "Subtract");
        CheckBinary<double>(a, b, (x, y) => x * y, (x, y) => x * y, "Multiply");
        CheckBinary<float>(a, b, (x, y) => x / y, (x, y) => x / y, "Divide");
        CheckBinary<double>(a, b, (x, y) => x.Maximum(y), double.Max, "Maximum");
        CheckBinary<float>(a, b, (x, y) => x.Minimum(y), float.Min, "Minimum");
        CheckBinary<double>(a, b, (x, y) => x.Pow(y), Math.Pow, "Pow", low: 0.1);
        CheckBinary<int>(a, b, (x, y) => x * y + x, (x, y) => x * y + x, "int multiply-add");
    }

    [Fact]
    public void Scalar_forms_and_operators()
    {
        var x = MtlTensor.FromArray(new double[] { 1, -2, 3, 4, 0.5, 6 }, 2, 3);
        Assert.Equal([3, 0, 5, 6, 2.5, 8], (x + 2).AsSpan().ToArray());
        Assert.Equal([1, 4, -1, -2, 1.5, -4], (2 - x).AsSpan().ToArray());
        Assert.Equal([-1, 2, -3, -4, -0.5, -6], (-x).AsSpan().ToArray());
        Assert.Equal([0.5, -1, 1.5, 2, 0.25, 3], (x / 2).AsSpan().ToArray());
        Assert.Equal([12, -6, 4, 3, 24, 2], (12 / x).AsSpan().ToArray());
        Assert.Equal([3, -6, 9, 12, 1.5, 18], (3 * x).AsSpan().ToArray());
        Assert.Equal([1, 4, 9, 16, 0.25, 36], x.Pow(2.0).AsSpan().ToArray());
        Assert.Equal([2, 0.25, 8, 16, Math.Sqrt(2), 64], MtlTensor.Pow(2.0, x).AsSpan().ToArray());
        Assert.Equal([1, 0, 3, 4, 0.5, 6], x.Maximum(0).AsSpan().ToArray());
        Assert.Equal([1, -2, 1, 1, 0.5, 1], x.Minimum(1).AsSpan().ToArray());
        Assert.Equal([1, 2, 3, 4, 0.5, 6], x.Abs().AsSpan().ToArray());
    }

    [Fact]
    public void Maximum_and_minimum_propagate_nan()
    {
        var x = MtlTensor.FromArray(new float[] { float.NaN, 1, 2 }, 3);
        var y = MtlTensor.FromArray(new float[] { 0, float.NaN, 1 }, 3);
        var max = x.Maximum(y).AsSpan().ToArray();
        Assert.True(float.IsNaN(max[0]) && float.IsNaN(max[1]));
        Assert.Equal(2, max[2]);
    }

    [Fact]
    public void Mismatched_shapes_name_both_and_the_operation()
    {
        var a = MtlTensor.Zeros<float>(2, 3);
        var b = MtlTensor.Zeros<float>(4);
        var e = Assert.Throws<ArgumentException>(() => a.Multiply(b));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4,)", e.Message);
        Assert.Contains("Multiply", e.Message);
    }

    [Fact]
    public void Inputs_are_not_modified_and_results_do_not_alias_them()
    {
        var data = new float[] { 1, 2, 3 };
        var x = MtlTensor.FromArray(data, 3);
        var y = x + 1f;
        y.AsSpan()[0] = 100;
        Assert.Equal([1f, 2, 3], data);
        Assert.NotSame(x.Storage, y.Storage);
    }

    [Fact]
    public void Thread_counts_one_to_four_give_identical_results()
    {
        int rows = 700, cols = 131;
        var a = MtlTensor.FromArray(RandomValues<float>(rows * cols, 3), rows, cols);
        var rowVector = MtlTensor.FromArray(RandomValues<float>(cols, 4, 0.5, 2), cols);
        // A transposed view of a: column-major, so the inner stride is not 1.
        var t = new MtlTensor<float>(a.Storage, 0, [cols, rows], [1, cols]);
        float[]? first = null, firstT = null;
        for (int degree = 1; degree <= 4; degree++)
        {
            var p = new Parallelism(degree);
            var z = a.Divide(rowVector, p).Pow(rowVector, p);
            var zt = t.Multiply(t, p).Sigmoid(p);
            first ??= z.AsSpan().ToArray();
            firstT ??= zt.AsSpan().ToArray();
            Assert.Equal(first, z.AsSpan().ToArray());
            Assert.Equal(firstT, zt.AsSpan().ToArray());
        }
    }
}
