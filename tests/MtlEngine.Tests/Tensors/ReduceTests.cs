using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Reduction;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.MathTestSupport;

namespace MtlEngine.Tests.Tensors;

public class ReduceTests
{
    private static readonly int[] Shape = [3, 4, 5];

    public static TheoryData<int[]?> AxisSets => new()
    {
        null, new[] { 0 }, new[] { 1 }, new[] { 2 }, new[] { -1 }, new[] { 0, 2 }, new[] { 2, 0 }, new[] { 1, 2 }, new[] { 0, 1 }, new[] { 0, 1, 2 }, new int[0],
    };

    private static void Check<T>(int[]? axes, string name,
        Func<MtlTensor<T>, int[]?, bool, MtlTensor<T>> reduce, Func<T[], T> reference, double tolerance, double low = -3)
        where T : unmanaged, INumber<T>
    {
        T[] values = RandomValues<T>(Count(Shape), 11, low);
        foreach (var (layout, x) in Layouts(values, Shape))
            foreach (bool keepDims in new[] { false, true })
            {
                var (shape, expected) = NaiveReduce(x, axes, keepDims, reference);
                var actual = reduce(x, axes, keepDims);
                Assert.Equal(shape, actual.Shape.ToArray());
                AssertAllClose(expected, actual.AsSpan().ToArray(),
                    tolerance, $"{name} over ({(axes is null ? "all" : string.Join(",", axes))}) keepDims={keepDims} on {layout}");
            }
    }

    [Theory]
    [MemberData(nameof(AxisSets))]
    public void Every_reduction_matches_the_naive_loop_on_every_layout(int[]? axes)
    {
        Check<double>(axes, "Sum", (x, a, k) => x.Sum(a, k), v => ReductionReference.Sum<double>(v), 1e-13);
        Check<float>(axes, "Sum(float)", (x, a, k) => x.Sum(a, k), v => ReductionReference.Sum<float>(v), 1e-5);
        Check<double>(axes, "Mean", (x, a, k) => x.Mean(a, k), v => v.Length == 0 ? double.NaN : v.Average(), 1e-13);
        Check<double>(axes, "Variance", (x, a, k) => x.Variance(a, 0, k), v => ReductionReference.Variance<double>(v, 0), 1e-12);
        Check<double>(axes, "Std(ddof=1)", (x, a, k) => x.Std(a, 1, k), v => Math.Sqrt(ReductionReference.Variance<double>(v, 1)), 1e-12);
        Check<double>(axes, "LogSumExp", (x, a, k) => x.LogSumExp(a, k), v => ReductionReference.LogSumExp<double>(v), 1e-13);
        Check<double>(axes, "Norm", (x, a, k) => x.Norm(a, k), v => ReductionReference.Norm<double>(v, 2), 1e-13);
        Check<double>(axes, "Norm1", (x, a, k) => x.Norm(1.0, a, k), v => ReductionReference.Norm<double>(v, 1), 1e-13);
        Check<double>(axes, "NormInf", (x, a, k) => x.Norm(double.PositiveInfinity, a, k), v => ReductionReference.Norm<double>(v, double.PositiveInfinity), 0);
        Check<float>(axes, "Norm3", (x, a, k) => x.Norm(3f, a, k), v => ReductionReference.Norm<float>(v, 3), 1e-5);
        if (axes is { Length: 0 }) return; // max over nothing is an element-wise copy, checked below
        Check<double>(axes, "Max", (x, a, k) => x.Max(a, k), v => ReductionReference.Max<double>(v), 0);
        Check<float>(axes, "Min", (x, a, k) => x.Min(a, k), v => ReductionReference.Min<float>(v), 0);
        Check<int>(axes, "Sum(int)", (x, a, k) => x.Sum(a, k), v => v.Sum(), 0);
        Check<int>(axes, "Max(int)", (x, a, k) => x.Max(a, k), v => v.Max(), 0);
    }

    [Fact]
    public void Column_reductions_of_wide_matrices_match_the_naive_loop()
    {
        // Wider than the gather tile (16) and not a multiple of it, so full and partial tiles both run.
        int[] shape = [37, 50];
        double[] values = RandomValues<double>(37 * 50, 21);
        foreach (var (layout, x) in Layouts(values, shape))
            foreach (int degree in new[] { 1, 3 })
            {
                var p = new Parallelism(degree);
                var (_, sums) = NaiveReduce(x, [0], false, v => ReductionReference.Sum<double>(v));
                var (_, variances) = NaiveReduce(x, [0], false, v => ReductionReference.Variance<double>(v, 0));
                var (_, maxima) = NaiveReduce(x, [0], false, v => ReductionReference.Max<double>(v));
                AssertAllClose(sums, x.Sum(0, parallelism: p).AsSpan().ToArray(), 1e-13, $"column sums on {layout}");
                AssertAllClose(variances, x.Variance(0, parallelism: p).AsSpan().ToArray(), 1e-12, $"column variances on {layout}");
                Assert.Equal(maxima, x.Max(0, parallelism: p).AsSpan().ToArray());
            }
    }

    [Fact]
    public void Reducing_no_axes_is_a_copy()
    {
        var x = MtlTensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Equal([1.0, 2, 3, 4], x.Max([]).AsSpan().ToArray());
        Assert.Equal([2, 2], x.Sum([]).Shape.ToArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(2)]
    public void ArgMax_and_argmin_match_the_naive_loop(int? axis)
    {
        // Coarse values make ties: the first index must win.
        float[] values = RandomValues<float>(Count(Shape), 12).Select(v => MathF.Round(v)).ToArray();
        int[]? axes = axis is int a ? [a] : null;
        foreach (var (layout, x) in Layouts(values, Shape))
            foreach (bool keepDims in new[] { false, true })
            {
                var (shape, expectedMax) = NaiveReduce(x, axes, keepDims, v => ReductionReference.ArgMax<float>(v));
                var (_, expectedMin) = NaiveReduce(x, axes, keepDims, v => ReductionReference.ArgMin<float>(v));
                var max = x.ArgMax(axis, keepDims);
                Assert.Equal(shape, max.Shape.ToArray());
                Assert.Equal(expectedMax, max.AsSpan().ToArray());
                Assert.Equal(expectedMin, x.ArgMin(axis, keepDims).AsSpan().ToArray());
            }
    }

    [Fact]
    public void Full_reductions_are_zero_dimensional_unless_dims_are_kept()
    {
        var x = MtlTensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var sum = x.Sum();
        Assert.Equal(0, sum.Rank);
        Assert.Equal(21, sum.AsSpan()[0]);
        Assert.Equal([1, 1], x.Sum(keepDims: true).Shape.ToArray());
        Assert.Equal(3.5, x.Mean().AsSpan()[0]);
        Assert.Equal(5, x.ArgMax().AsSpan()[0]);
        Assert.Equal([3.0, 6], x.Max(1).AsSpan().ToArray());
        Assert.Equal([5.0, 7, 9], x.Sum(0).AsSpan().ToArray());
    }

    [Fact]
    public void Empty_axes_behave_like_numpy()
    {
        var x = MtlTensor.Zeros<double>(3, 0);
        Assert.Equal([0.0, 0, 0], x.Sum(1).AsSpan().ToArray());
        Assert.True(x.Mean(1).AsSpan().ToArray().All(double.IsNaN));
        Assert.True(x.LogSumExp(1).AsSpan().ToArray().All(double.IsNegativeInfinity));
        Assert.Equal([0.0, 0, 0], x.Norm(2.0, 1).AsSpan().ToArray()); // p = 2 over axis 1
        Assert.Equal(0, x.Sum().AsSpan()[0]);
        Assert.Equal([0], x.Max(0).Shape.ToArray()); // nothing to reduce into: an empty result, no error
        var e = Assert.Throws<ArgumentException>(() => x.Max(1));
        Assert.Contains("(3, 0)", e.Message);
        Assert.Contains("Max", e.Message);
        Assert.Throws<ArgumentException>(() => x.ArgMin(1));
        Assert.Throws<ArgumentException>(() => x.Min());
    }

    [Fact]
    public void Broadcast_inputs_reduce_like_their_materialized_copies()
    {
        float[] row = RandomValues<float>(7, 13);
        var view = BroadcastRows(row, 5, [7]); // shape (5, 7), stride 0 along rows
        var copy = MtlTensor.FromArray(Enumerable.Range(0, 5).SelectMany(_ => row).ToArray(), 5, 7);
        Assert.Equal(copy.Sum(0).AsSpan().ToArray(), view.Sum(0).AsSpan().ToArray());
        Assert.Equal(copy.Sum().AsSpan().ToArray(), view.Sum().AsSpan().ToArray());
        Assert.Equal(copy.Variance(1).AsSpan().ToArray(), view.Variance(1).AsSpan().ToArray());
        Assert.Equal(copy.ArgMax(1).AsSpan().ToArray(), view.ArgMax(1).AsSpan().ToArray());
    }

    [Fact]
    public void Thread_counts_one_to_four_give_identical_results()
    {
        int rows = 1500, cols = 90;
        var x = MtlTensor.FromArray(RandomValues<float>(rows * cols, 14), rows, cols);
        var transposed = new MtlTensor<float>(x.Storage, 0, [cols, rows], [1, cols]);
        var big = MtlTensor.FromArray(RandomValues<float>(600_000, 15), 600_000);
        float[]? a = null, b = null, c = null, d = null;
        float e = 0;
        for (int degree = 1; degree <= 4; degree++)
        {
            var p = new Parallelism(degree);
            var sum0 = x.Sum(0, parallelism: p).AsSpan().ToArray();
            var var1 = x.Variance(1, parallelism: p).AsSpan().ToArray();
            var lse = transposed.LogSumExp(1, parallelism: p).AsSpan().ToArray();
            var total = transposed.Sum([0, 1], parallelism: p).AsSpan().ToArray();
            float all = big.Sum(parallelism: p).AsSpan()[0];
            if (degree == 1) { a = sum0; b = var1; c = lse; d = total; e = all; continue; }
            Assert.Equal(a, sum0);
            Assert.Equal(b, var1);
            Assert.Equal(c, lse);
            Assert.Equal(d, total);
            Assert.Equal(e, all);
        }
        // And the full sum equals the single-span pairwise kernel exactly.
        Assert.Equal(ReductionKernels.Sum<float>(big.AsSpan()), e);
    }

    [Fact]
    public void Bad_axes_are_rejected_with_the_shape()
    {
        var x = MtlTensor.Zeros<float>(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(2));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Throws<ArgumentException>(() => x.Sum([1, -1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Variance(ddof: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Norm(0f));
    }

    [Fact]
    public void Variance_and_std_follow_ddof()
    {
        var x = MtlTensor.FromArray(new double[] { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16 }, 2, 2);
        AssertClose(22.5, x.Variance().AsSpan()[0], 1e-12, "population");
        AssertClose(30.0, x.Variance(ddof: 1).AsSpan()[0], 1e-12, "sample");
        AssertClose(Math.Sqrt(30), x.Std(ddof: 1).AsSpan()[0], 1e-12, "std");
        Assert.True(double.IsNaN(x.Variance(1, ddof: 2).AsSpan()[0]));
    }
}
