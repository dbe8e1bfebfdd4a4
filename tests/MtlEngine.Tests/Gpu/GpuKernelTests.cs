using System.Numerics;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Gpu;

/// <summary>Each GPU kernel on ILGPU's CPU accelerator against its CPU twin: odd and empty shapes, broadcasting, long reductions.</summary>
public class GpuKernelTests(IlgpuCpuFixture fixture) : IClassFixture<IlgpuCpuFixture>
{
    private readonly GpuContext _gpu = fixture.Gpu;

    private GpuBuffer<T> Upload<T>(T[] data) where T : unmanaged
    {
        var buffer = _gpu.Pool.Rent<T>(data.Length);
        buffer.CopyFromHost(data);
        return buffer;
    }

    private T[] Download<T>(GpuBuffer<T> buffer) where T : unmanaged
    {
        _gpu.Synchronize();
        var host = new T[buffer.Length];
        buffer.CopyToHost(0, host);
        return host;
    }

    private static T[] RandomArray<T>(int length, int seed, double low = -3, double high = 3) where T : INumber<T>
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => T.CreateTruncating(low + (high - low) * random.NextDouble())).ToArray();
    }

    private static void Close<T>(T[] expected, T[] actual, double tolerance, string what) where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[i]);
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (e == a) continue; // infinities
            Assert.True(Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e)), $"{what}: element {i} is {a}, CPU twin {e}.");
        }
    }

    private void UnaryTwin<TOp>(TOp op, string name) where TOp : struct, IUnarySpanOperator<float>
    {
        foreach (int length in new[] { 0, 1, 7, 64, 65, 130 })
        {
            var x = RandomArray<float>(length, length);
            var expected = new float[length];
            op.Invoke(x, expected); // the CPU's vectorized span form
            using var xs = Upload(x);
            using var d = _gpu.Pool.Rent<float>(length);
            GpuElementwise.Unary(_gpu, xs.View, d.View, op);
            Close(expected, Download(d), 2e-6, $"{name} length {length}");
        }
    }

    [Fact]
    public void Unary_operators_match_their_cpu_span_form()
    {
        UnaryTwin(default(ExpOperator<float>), "exp");
        UnaryTwin(default(NegateOperator<float>), "negate");
        UnaryTwin(default(SigmoidOperator<float>), "sigmoid");
        UnaryTwin(new PowScalarOperator<float>(2f), "pow");
        UnaryTwin(new VectorizedUnary<float, ReluOperator<float>>(), "relu");
    }

    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { [3, 1, 5], [4, 1] },
        { [2, 3], [3] },
        { [], [2, 3] },
        { [0, 3], [3] },
        { [1], [7, 1] },
        { [5, 4], [5, 4] },
        { [2, 1, 3, 1], [1, 4, 1, 5] },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void Binary_broadcasting_matches_the_cpu_tensor_ops(int[] xShape, int[] yShape)
    {
        var x = MtlTensor.FromArray(RandomArray<double>(MtlTensor<double>.CheckedLength(xShape), 1), xShape);
        var y = MtlTensor.FromArray(RandomArray<double>(MtlTensor<double>.CheckedLength(yShape), 2, 0.5, 2), yShape);
        var expectedSum = x.Add(y);
        var expectedQuotient = x.Divide(y);
        int[] shape = expectedSum.Shape.ToArray();
        using var xs = Upload(x.ToArray());
        using var ys = Upload(y.ToArray());
        using var d = _gpu.Pool.Rent<double>(expectedSum.Length);
        var xStrides = GpuElementwise.BroadcastStrides(xShape, shape);
        var yStrides = GpuElementwise.BroadcastStrides(yShape, shape);
        GpuElementwise.Binary(_gpu, xs.View, 0, xStrides, ys.View, 0, yStrides, d.View, shape, default(AddOperator<double>));
        Close(expectedSum.ToArray(), Download(d), 0, "add");
        GpuElementwise.Binary(_gpu, xs.View, 0, xStrides, ys.View, 0, yStrides, d.View, shape, default(DivideOperator<double>));
        Close(expectedQuotient.ToArray(), Download(d), 1e-15, "divide");
    }

    [Fact]
    public void A_strided_input_with_negative_strides_is_read_in_place()
    {
        // x[::-1, ::2] of a 5×6 matrix, gathered by the strided kernel and squared by the CPU's operator.
        var host = MtlTensor.Arange<float>(30).Reshape(5, 6);
        var view = host.Slice(0, 4, -1, -1).Slice(1, 0, 6, 2);
        using var xs = Upload(host.ToArray());
        using var d = _gpu.Pool.Rent<float>(view.Length);
        GpuElementwise.Unary(_gpu, xs.View, view.Offset, view.Strides, d.View, view.Shape, new VectorizedUnary<float, SquareOperator<float>>());
        Assert.Equal(view.ToArray().Select(v => v * v).ToArray(), Download(d));
    }

    public static TheoryData<int, int, int> ReductionShapes => new()
    {
        { 3, 1000, 2 }, { 1, 5000, 1 }, { 4, 7, 5 }, { 2, 0, 3 }, { 0, 4, 2 }, { 5, 1, 1 }, { 1, 65, 1 }, { 2, 129, 3 },
    };

    [Theory]
    [MemberData(nameof(ReductionShapes))]
    public void Axis_reductions_match_the_cpu_reductions(int outer, int n, int inner)
    {
        var x = MtlTensor.FromArray(RandomArray<double>(outer * n * inner, outer + n + inner), outer, n, inner);
        using var xs = Upload(x.ToArray());
        using var d = _gpu.Pool.Rent<double>(outer * inner);
        GpuReduce.Axis(_gpu, xs.View, outer, n, inner, d.View, default(SumReduction<double>));
        Close(x.Sum(1).ToArray(), Download(d), 1e-13, "sum");
        GpuReduce.Axis(_gpu, xs.View, outer, n, inner, d.View, default(MeanReduction<double>));
        Close(x.Mean(1).ToArray(), Download(d), 1e-13, "mean");
        if (n == 0) return; // the CPU's max/min of an empty axis is an error; the GPU gives the identities (−∞/+∞)
        GpuReduce.Axis(_gpu, xs.View, outer, n, inner, d.View, default(MaxReduction<double>));
        Close(x.Max(1).ToArray(), Download(d), 0, "max");
        GpuReduce.Axis(_gpu, xs.View, outer, n, inner, d.View, default(MinReduction<double>));
        Close(x.Min(1).ToArray(), Download(d), 0, "min");
    }

    [Fact]
    public void A_long_float_sum_stays_accurate()
    {
        // 100 000 copies of 0.1f: a running float sum drifts by ~1e-3 relative; the per-thread partials and the tree do not.
        var x = Enumerable.Repeat(0.1f, 100_000).ToArray();
        using var xs = Upload(x);
        using var d = _gpu.Pool.Rent<float>(1);
        GpuReduce.Axis(_gpu, xs.View, 1, x.Length, 1, d.View, default(SumReduction<float>));
        Assert.Equal(10_000.0, Download(d)[0], 10_000.0 * 1e-4);
    }

    private static (double[] Softmax, double[] LogSoftmax) NaiveSoftmax(double[] x, int rows, int classes)
    {
        var p = new double[x.Length];
        var lp = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < classes; j++) max = Math.Max(max, x[r * classes + j]);
            for (int j = 0; j < classes; j++) sum += Math.Exp(x[r * classes + j] - max);
            for (int j = 0; j < classes; j++)
            {
                lp[r * classes + j] = x[r * classes + j] - max - Math.Log(sum);
                p[r * classes + j] = Math.Exp(lp[r * classes + j]);
            }
        }
        return (p, lp);
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(3, 3)]
    [InlineData(4, 67)]
    [InlineData(2, 200)]
    [InlineData(0, 4)]
    public void Softmax_and_log_softmax_match_the_textbook_loops(int rows, int classes)
    {
        var x = RandomArray<double>(rows * classes, classes, -40, 40);
        var (p, lp) = NaiveSoftmax(x, rows, classes);
        using var xs = Upload(x);
        using var d = _gpu.Pool.Rent<double>(x.Length);
        GpuSoftmax.Forward(_gpu, xs.View, d.View, rows, classes, log: false);
        Close(p, Download(d), 1e-13, "softmax");
        GpuSoftmax.Forward(_gpu, xs.View, d.View, rows, classes, log: true);
        Close(lp, Download(d), 1e-13, "log-softmax");
    }

    [Fact]
    public void Fused_cross_entropy_gives_the_loss_and_its_gradient()
    {
        const int rows = 6, classes = 70;
        var x = RandomArray<float>(rows * classes, 9, -5, 5);
        int[] labels = [0, 69, 3, 35, -1, 70]; // -1: a missing label (0 loss, 0 gradient); 70: invalid (NaN row)
        var (p, lp) = NaiveSoftmax(x.Select(v => (double)v).ToArray(), rows, classes);
        using var xs = Upload(x);
        using var ls = Upload(labels);
        using var losses = _gpu.Pool.Rent<float>(rows);
        using var gradient = _gpu.Pool.Rent<float>(x.Length);
        GpuSoftmax.CrossEntropy(_gpu, xs.View, ls.View, rows, classes, losses.View, gradient.View, 1f / rows);
        var loss = Download(losses);
        var grad = Download(gradient);
        for (int r = 0; r < rows; r++)
        {
            bool valid = labels[r] is >= 0 and < classes;
            if (labels[r] < 0)
            {
                Assert.Equal(0f, loss[r]);
                for (int j = 0; j < classes; j++) Assert.Equal(0f, grad[r * classes + j]);
                continue;
            }
            Assert.Equal(valid, !float.IsNaN(loss[r]));
            if (!valid) { Assert.True(float.IsNaN(grad[r * classes])); continue; }
            Assert.Equal(-lp[r * classes + labels[r]], loss[r], 1e-5);
            for (int j = 0; j < classes; j++)
                Assert.Equal((p[r * classes + j] - (j == labels[r] ? 1 : 0)) / rows, grad[r * classes + j], 1e-6);
        }
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(16, 9)]
    [InlineData(33, 2)]
    public void Transpose_matches_the_cpu_transpose_view(int rows, int columns)
    {
        var x = MtlTensor.Arange<double>(rows * columns).Reshape(rows, columns);
        using var xs = Upload(x.ToArray());
        using var d = _gpu.Pool.Rent<double>(x.Length);
        GpuTranspose.Transpose(_gpu, xs.View, rows, columns, d.View);
        Assert.Equal(x.Transpose().ToArray(), Download(d));
    }
}
