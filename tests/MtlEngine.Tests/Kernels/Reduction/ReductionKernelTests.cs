using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Reduction;
using static MtlEngine.Tests.Kernels.Elementwise.ElementwiseKernelTests;

namespace MtlEngine.Tests.Kernels.Reduction;

/// <summary>Every reduction kernel against its scalar twin at every length 0..257, in float and double.</summary>
public class ReductionKernelTests
{
    private static double Eps<T>() => typeof(T) == typeof(float) ? 1.2e-7 : 2.3e-16;

    private static double AbsSum<T>(T[] x) where T : INumber<T> => x.Sum(v => Math.Abs(double.CreateChecked(v)));

    private static void CheckAll<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        double eps = Eps<T>();
        foreach (int n in Enumerable.Range(0, 258).Concat([1000, 1024, 1025, 4099, 33_333]))
        {
            T[] x = RandomArray<T>(n, n);
            // Error bound of any summation order: n·ε·Σ|x| (pairwise is far better; this only catches mistakes).
            double sumTol = 2 * Math.Max(n, 1) * eps * AbsSum(x) + 1e-30;
            AssertClose(ReductionReference.Sum<T>(x), ReductionKernels.Sum<T>(x), 0, $"Sum at {n}", sumTol);
            AssertClose(ReductionReference.Norm<T>(x, T.One), ReductionKernels.NormL1<T>(x), 0, $"L1 at {n}", sumTol);
            if (n == 0)
            {
                Assert.Throws<ArgumentException>(() => ReductionKernels.Max<T>(x));
                Assert.Throws<ArgumentException>(() => ReductionKernels.ArgMin<T>(x));
                Assert.True(T.IsNaN(ReductionKernels.Mean<T>(x)));
                Assert.True(T.IsNegativeInfinity(ReductionKernels.LogSumExp<T>(x)));
                Assert.Equal(T.Zero, ReductionKernels.NormL2<T>(x));
                continue;
            }
            Assert.Equal(ReductionReference.Max<T>(x), ReductionKernels.Max<T>(x));
            Assert.Equal(ReductionReference.Min<T>(x), ReductionKernels.Min<T>(x));
            Assert.Equal(ReductionReference.ArgMax<T>(x), ReductionKernels.ArgMax<T>(x));
            Assert.Equal(ReductionReference.ArgMin<T>(x), ReductionKernels.ArgMin<T>(x));
            Assert.Equal(ReductionReference.Norm<T>(x, T.PositiveInfinity), ReductionKernels.NormInf<T>(x));
            double scale = double.CreateChecked(ReductionKernels.NormInf<T>(x));
            AssertClose(ReductionReference.Norm<T>(x, T.CreateChecked(2)), ReductionKernels.NormL2<T>(x), 4 * n * eps, $"L2 at {n}");
            AssertClose(ReductionReference.Norm<T>(x, T.CreateChecked(3)), ReductionKernels.Norm<T>(x, T.CreateChecked(3)), 8 * n * eps, $"L3 at {n}");
            AssertClose(ReductionReference.LogSumExp<T>(x), ReductionKernels.LogSumExp<T>(x), 0, $"LogSumExp at {n}", 8 * n * eps + 4 * eps * scale);
            for (int ddof = 0; ddof <= 1; ddof++)
                AssertClose(ReductionReference.Variance<T>(x, ddof), ReductionKernels.Variance<T>(x, ddof), 0, $"Variance(ddof {ddof}) at {n}",
                    8 * n * eps * scale * scale + 1e-30);
        }
    }

    [Fact] public void All_reductions_match_their_twins_float() => CheckAll<float>();
    [Fact] public void All_reductions_match_their_twins_double() => CheckAll<double>();

    /// <summary>
    /// The driver capped at 256 and 128 bits (the loops production runs only without the wider vectors), held to the
    /// scalar fold: max, min and max |x| exactly, the sums within n·ε·Σ|x|, at every length 0..260 (every tail, the
    /// four-accumulator loop from 4 vectors on) and a few long ones.
    /// </summary>
    private static void CheckNarrow<T>(int widestBits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double eps = Eps<T>();
        foreach (int n in Enumerable.Range(1, 260).Concat([1000, 1025, 4099]))
        {
            T[] x = RandomArray<T>(n, 7 * n + widestBits);
            T max = x.Max()!, min = x.Min()!, absMax = T.Zero, sum = T.Zero, absSum = T.Zero;
            foreach (T v in x) { absMax = T.Max(absMax, T.Abs(v)); sum += v; absSum += T.Abs(v); }
            string what = $"{widestBits} bits, n={n}";
            Assert.Equal(max, ReductionDriver.Aggregate(x, default(CopyOperator<T>), default(MaxAggregation<T>), widestBits));
            Assert.Equal(min, ReductionDriver.Aggregate(x, default(CopyOperator<T>), default(MinAggregation<T>), widestBits));
            Assert.Equal(absMax, ReductionDriver.Aggregate(x, default(AbsTransform<T>), default(MaxAggregation<T>), widestBits));
            double tol = 2 * n * eps * AbsSum(x);
            AssertClose(double.CreateChecked(sum), double.CreateChecked(ReductionDriver.Aggregate(x, default(CopyOperator<T>), default(AddAggregation<T>), widestBits)), 0, $"sum {what}", tol);
            AssertClose(double.CreateChecked(absSum), double.CreateChecked(ReductionDriver.Aggregate(x, default(AbsTransform<T>), default(AddAggregation<T>), widestBits)), 0, $"|x| sum {what}", tol);
        }
    }

    [Avx2Fact] public void The_256_bit_driver_matches_the_scalar_fold_float() => CheckNarrow<float>(256);
    [Avx2Fact] public void The_256_bit_driver_matches_the_scalar_fold_double() => CheckNarrow<double>(256);
    [Fact] public void The_128_bit_driver_matches_the_scalar_fold() { CheckNarrow<float>(128); CheckNarrow<double>(128); }

    [Fact]
    public void Integer_sum_max_and_argmax_are_exact()
    {
        for (int n = 1; n <= 257; n++)
        {
            int[] x = Enumerable.Range(0, n).Select(i => (i * 7919 % 101) - 50).ToArray();
            Assert.Equal(x.Sum(), ReductionKernels.Sum<int>(x));
            Assert.Equal(x.Max(), ReductionKernels.Max<int>(x));
            Assert.Equal(Array.IndexOf(x, x.Min()), ReductionKernels.ArgMin<int>(x));
        }
    }

    [Fact]
    public void Nan_propagates_through_max_and_wins_argmax()
    {
        for (int n = 1; n <= 70; n++)
            for (int at = 0; at < n; at += 5)
            {
                double[] x = RandomArray<double>(n, n);
                x[at] = double.NaN;
                Assert.True(double.IsNaN(ReductionKernels.Max<double>(x)), $"Max n={n} at={at}");
                Assert.True(double.IsNaN(ReductionKernels.Min<double>(x)), $"Min n={n} at={at}");
                Assert.Equal(ReductionReference.ArgMax<double>(x), ReductionKernels.ArgMax<double>(x));
            }
    }

    [Fact]
    public void Parallel_sum_is_bit_identical_for_every_degree()
    {
        float[] x = RandomArray<float>(1_000_003, 42, -1, 1);
        float sequential = ReductionKernels.Sum<float>(x);
        for (int degree = 1; degree <= 4; degree++)
            Assert.Equal(sequential, ReductionKernels.Sum(new ReadOnlyMemory<float>(x), new Parallelism(degree)));
    }

    [Fact]
    public void Pairwise_sum_is_more_accurate_than_the_naive_loop()
    {
        // 2^22 copies of 0.1f: the naive float loop drifts far (it stalls once the sum is large); pairwise stays close.
        var x = Enumerable.Repeat(0.1f, 1 << 22).ToArray();
        double exact = 0.1f * (double)(1 << 22);
        double pairwise = ReductionKernels.Sum<float>(x), naive = ReductionReference.Sum<float>(x);
        Assert.True(Math.Abs(pairwise - exact) < 1e-5 * exact, $"pairwise {pairwise} vs {exact}");
        Assert.True(Math.Abs(naive - exact) > Math.Abs(pairwise - exact));
    }

    [Fact]
    public void L2_norm_does_not_overflow_or_underflow()
    {
        AssertClose(Math.Sqrt(2) * 1e200, ReductionKernels.NormL2<double>([1e200, -1e200]), 1e-15, "huge double");
        AssertClose(5e-300, ReductionKernels.NormL2<double>([3e-300, 4e-300]), 1e-15, "tiny double");
        AssertClose(5e30f, ReductionKernels.NormL2<float>([3e30f, 4e30f]), 1e-6, "huge float");
        Assert.Equal(double.PositiveInfinity, ReductionKernels.NormL2<double>([1, double.NegativeInfinity]));
    }

    [Fact]
    public void LogSumExp_subtracts_the_max()
    {
        AssertClose(1000 + Math.Log(2), ReductionKernels.LogSumExp<double>([1000, 1000]), 1e-15, "large");
        AssertClose(-1000 + Math.Log(3), ReductionKernels.LogSumExp<double>([-1000, -1000, -1000]), 1e-15, "small");
        Assert.Equal(double.NegativeInfinity, ReductionKernels.LogSumExp<double>([double.NegativeInfinity, double.NegativeInfinity]));
        Assert.Equal(double.PositiveInfinity, ReductionKernels.LogSumExp<double>([1, double.PositiveInfinity]));
    }

    [Fact]
    public void Variance_is_stable_under_a_large_offset()
    {
        // Population variance of {4, 7, 13, 16} is 22.5; shifting by 1e9 must not change it (the one-pass
        // formula E[x²] − E[x]² loses every digit here).
        double[] x = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
        AssertClose(22.5, ReductionKernels.Variance<double>(x), 1e-12, "shifted variance");
        AssertClose(30.0, ReductionKernels.Variance<double>(x, 1), 1e-12, "shifted sample variance");
        Assert.True(double.IsNaN(ReductionKernels.Variance<double>([1.0], 1)));
    }

    [Fact]
    public void Norm_rejects_a_non_positive_order() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReductionKernels.Norm<double>([1.0], 0));
}
