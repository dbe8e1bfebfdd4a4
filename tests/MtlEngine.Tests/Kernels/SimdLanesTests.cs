using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Tests.Kernels;

/// <summary>
/// Every member of every <see cref="ISimdLanes{T, TV}"/> width (512, 256, 128, <see cref="Vector{T}"/>), float and double,
/// against its scalar definition lane by lane: the pointer and the reference forms of load and store read and write the
/// same elements and no others, the arithmetic gives the scalar operation's bits (the multiply-add those of one rounding),
/// the operator forms those of the operator's scalar form. The drivers, tiles and eigensolver loops test the members in
/// use; this holds the ones a width's users do not reach yet (the portable operator forms, the 128-bit multiply-add).
/// </summary>
public sealed class SimdLanesTests
{
    [Fact]
    public void EveryWidthMatchesTheScalarDefinitions()
    {
        int checkedWidths = 0;
        checkedWidths += Check<float, Vector512<float>, SimdLanes512<float>>() + Check<double, Vector512<double>, SimdLanes512<double>>();
        checkedWidths += Check<float, Vector256<float>, SimdLanes256<float>>() + Check<double, Vector256<double>, SimdLanes256<double>>();
        checkedWidths += Check<float, Vector128<float>, SimdLanes128<float>>() + Check<double, Vector128<double>, SimdLanes128<double>>();
        checkedWidths += Check<float, Vector<float>, SimdLanesPortable<float>>() + Check<double, Vector<double>, SimdLanesPortable<double>>();
        Assert.Equal(Vector512.IsHardwareAccelerated, SimdLanes512<float>.IsAccelerated);
        Assert.Equal(Vector128.IsHardwareAccelerated, SimdLanes128<double>.IsAccelerated);
        Assert.False(SimdLanes256<decimal>.IsAccelerated);   // no vector form of decimal: the drivers run it scalar
        Assert.True(checkedWidths >= (Vector128.IsHardwareAccelerated ? 4 : 0));
    }

    /// <summary>Checks TL lane by lane; returns 1 where the width ran, 0 where this machine does not accelerate it.</summary>
    private static unsafe int Check<T, TV, TL>()
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TL : ISimdLanes<T, TV>
    {
        if (!TL.IsAccelerated) return 0;
        int w = TL.Count, n = 2 * w + 3;
        Assert.Equal(Unsafe.SizeOf<TV>() / sizeof(T), w);
        var random = new Random(w * 7 + sizeof(T));
        T[] x = Values<T>(random, n, integers: false), y = Values<T>(random, n, integers: false), z = Values<T>(random, n, integers: false);
        y[1 + random.Next(w)] = T.Zero;   // the operators' branches: SelectOperator's zero condition, a 0 divisor (±∞)
        fixed (T* px = x, py = y, pz = z)
        {
            TV a = TL.Load(ref x[0], 1), b = TL.Load(py + 1), c = TL.Load(ref z[0], 1);
            for (int l = 0; l < w; l++)
            {
                Assert.Equal(x[1 + l], TL.Lane(TL.Load(px + 1), l));
                Assert.Equal(x[1 + l], TL.Lane(a, l));
                Assert.Equal(y[1 + l], TL.Lane(b, l));
                Assert.Equal(x[3], TL.Lane(TL.Broadcast(x[3]), l));
                Same(x[1 + l] + y[1 + l], TL.Lane(TL.Add(a, b), l));
                Same(x[1 + l] - y[1 + l], TL.Lane(TL.Subtract(a, b), l));
                Same(x[1 + l] * y[1 + l], TL.Lane(TL.Multiply(a, b), l));
                Same(x[1 + l] / y[1 + l], TL.Lane(TL.Divide(a, b), l));
                Same(T.FusedMultiplyAdd(x[1 + l], y[1 + l], z[1 + l]), TL.Lane(TL.MultiplyAdd(a, b, c), l));
                Same(new SquareOperator<T>().Invoke(x[1 + l]), TL.Lane(TL.Invoke(new SquareOperator<T>(), a), l));
                Same(new GreaterOperator<T>().Invoke(x[1 + l], y[1 + l]), TL.Lane(TL.Invoke(new GreaterOperator<T>(), a, b), l));
                Same(new SelectOperator<T>().Invoke(y[1 + l], x[1 + l], z[1 + l]), TL.Lane(TL.Invoke(new SelectOperator<T>(), b, a, c), l));
                Same(new MaxAggregation<T>().Invoke(x[1 + l], y[1 + l]), TL.Lane(TL.Aggregate(new MaxAggregation<T>(), a, b), l));
                // Masks and select: all lanes equal to themselves (the all-ones mask picks its first operand), the random ones
                // almost never equal, less-than as the scalar comparison; negation flips the sign bit, of 0 too.
                Same(y[1 + l], TL.Lane(TL.Select(TL.Equal(a, TL.Load(px + 1)), b, c), l));
                Same(x[1 + l] == y[1 + l] ? x[1 + l] : z[1 + l], TL.Lane(TL.Select(TL.Equal(a, b), a, c), l));
                Same(x[1 + l] < y[1 + l] ? x[1 + l] : z[1 + l], TL.Lane(TL.Select(TL.LessThan(a, b), a, c), l));
                Same(-x[1 + l], TL.Lane(TL.Negate(a), l));
                Assert.True(T.IsNegative(TL.Lane(TL.Negate(TL.Broadcast(T.Zero)), l)));
            }
        }

        // Stores: the reference form at element 2 and the pointer form at element 1 + w write their lanes and nothing else.
        T[] d = new T[n + w];
        T[] expected = new T[n + w];
        fixed (T* pd = d)
        {
            TL.Store(TL.Load(ref x[0], 0), ref d[0], 2);
            TL.Store(TL.Load(ref y[0], 0), pd + 2 + w);
        }
        Array.Copy(x, 0, expected, 2, w);
        Array.Copy(y, 0, expected, 2 + w, w);
        Assert.Equal(expected, d);

        // The sum of the lanes, on small integers so that every order of the additions gives the same bits.
        T[] small = Values<T>(random, w, integers: true);
        T sum = T.Zero;
        foreach (T v in small) sum += v;
        Assert.Equal(sum, TL.Sum(TL.Load(ref small[0], 0)));
        return 1;
    }

    private static T[] Values<T>(Random random, int n, bool integers) where T : IFloatingPointIeee754<T> =>
        Enumerable.Range(0, n).Select(_ => integers ? T.CreateChecked(random.Next(-50, 51)) : T.CreateChecked(random.NextDouble() * 4 - 2)).ToArray();

    /// <summary>The same bits (NaN included).</summary>
    private static void Same<T>(T expected, T actual) where T : IFloatingPointIeee754<T> =>
        Assert.True(expected.Equals(actual), $"expected {expected}, got {actual}");
}
