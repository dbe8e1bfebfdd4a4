using System.Numerics;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Tests.Kernels.Elementwise;

/// <summary>Every element-wise kernel against its scalar twin at every length 0..257, in float and double.</summary>
public class ElementwiseKernelTests
{
    private const int MaxLength = 257;

    internal static T[] RandomArray<T>(int length, int seed, double low = -3, double high = 3, bool specials = false) where T : INumber<T>
    {
        var random = new Random(seed);
        var data = new T[length];
        for (int i = 0; i < length; i++)
        {
            // Coarse values make ties and exact zeros common, which comparisons and sign need.
            double v = random.Next(4) == 0 ? Math.Round(low + (high - low) * random.NextDouble()) : low + (high - low) * random.NextDouble();
            data[i] = T.CreateChecked(v);
        }
        if (specials && length > 3)
        {
            data[random.Next(length)] = T.CreateChecked(double.NaN);
            data[random.Next(length)] = T.CreateChecked(-0.0);
            data[random.Next(length)] = T.Zero;
        }
        return data;
    }

    internal static void AssertBitwiseEqual<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what) where T : INumber<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(expected[i] == actual[i] || (T.IsNaN(expected[i]) && T.IsNaN(actual[i]))))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]}, expected {expected[i]}.");
    }

    internal static void AssertClose<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double relative, string what) where T : INumber<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!IsClose(expected[i], actual[i], relative, 0))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]}, expected {expected[i]}.");
    }

    internal static void AssertClose<T>(T expected, T actual, double relative, string what, double absolute = 0) where T : INumber<T>
    {
        if (!IsClose(expected, actual, relative, absolute))
            Assert.Fail($"{what}: {actual} vs expected {expected} (relative tolerance {relative}, absolute {absolute}).");
    }

    internal static bool IsClose<T>(T expected, T actual, double relative, double absolute) where T : INumber<T>
    {
        double e = double.CreateChecked(expected), a = double.CreateChecked(actual);
        if (double.IsNaN(e) || double.IsNaN(a)) return double.IsNaN(e) && double.IsNaN(a);
        if (double.IsInfinity(e) || double.IsInfinity(a)) return e == a;
        return Math.Abs(e - a) <= relative * Math.Abs(e) + absolute + double.Epsilon;
    }

    private static void CheckUnary<T, TOp>(TOp op, bool specials = true) where T : unmanaged, INumber<T> where TOp : struct, IUnaryOperator<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            T[] x = RandomArray<T>(n, n, specials: specials);
            var fast = new T[n];
            var twin = new T[n];
            ElementwiseDriver.Unary<T, TOp>(x, fast, op);
            ElementwiseReference.Unary<T, TOp>(x, twin, op);
            AssertBitwiseEqual<T>(twin, fast, $"{typeof(TOp).Name} at length {n}");
            ElementwiseDriver.Unary<T, TOp>(x, x, op); // in place
            AssertBitwiseEqual<T>(twin, x, $"{typeof(TOp).Name} in place at length {n}");
        }
    }

    private static void CheckBinary<T, TOp>(TOp op) where T : unmanaged, INumber<T> where TOp : struct, IBinaryOperator<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            T[] x = RandomArray<T>(n, n, specials: true), y = RandomArray<T>(n, 1000 + n, specials: true);
            var fast = new T[n];
            var twin = new T[n];
            ElementwiseDriver.Binary<T, TOp>(x, y, fast, op);
            ElementwiseReference.Binary<T, TOp>(x, y, twin, op);
            AssertBitwiseEqual<T>(twin, fast, $"{typeof(TOp).Name} at length {n}");

            T s = n % 3 == 0 ? T.Zero : T.CreateChecked(0.5 * (n % 7) - 1.5);
            var broadcast = new T[n];
            ElementwiseDriver.Binary<T, TOp>(x, s, fast, op);
            Array.Fill(broadcast, s);
            ElementwiseReference.Binary<T, TOp>(x, broadcast, twin, op);
            AssertBitwiseEqual<T>(twin, fast, $"{typeof(TOp).Name}(x, scalar) at length {n}");
            ElementwiseDriver.Binary<T, TOp>(s, y, fast, op);
            ElementwiseReference.Binary<T, TOp>(broadcast, y, twin, op);
            AssertBitwiseEqual<T>(twin, fast, $"{typeof(TOp).Name}(scalar, y) at length {n}");
        }
    }

    private static void CheckUnarySpan<T, TOp>(TOp op, double relative, double low = -3, double high = 3) where T : unmanaged, INumber<T> where TOp : struct, IUnarySpanOperator<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            T[] x = RandomArray<T>(n, n, low, high);
            var fast = new T[n];
            var twin = new T[n];
            op.Invoke(x, fast);
            ElementwiseReference.UnarySpan<T, TOp>(x, twin, op);
            AssertClose<T>(twin, fast, relative, $"{typeof(TOp).Name} at length {n}");
        }
    }

    private static void CheckBinarySpan<T, TOp>(TOp op, double relative, double low = -3, double high = 3) where T : unmanaged, INumber<T> where TOp : struct, IBinarySpanOperator<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            T[] x = RandomArray<T>(n, n, low, high), y = RandomArray<T>(n, 7 * n + 1, -3, 3);
            if (typeof(TOp).Name.StartsWith("Divide")) for (int i = 0; i < n; i++) if (y[i] == T.Zero) y[i] = T.One;
            var fast = new T[n];
            var twin = new T[n];
            op.Invoke(x, y, fast);
            ElementwiseReference.BinarySpan<T, TOp>(x, y, twin, op);
            AssertClose<T>(twin, fast, relative, $"{typeof(TOp).Name} at length {n}");
            T s = T.CreateChecked(1.25);
            op.Invoke(x, s, fast);
            for (int i = 0; i < n; i++) twin[i] = op.Invoke(x[i], s);
            AssertClose<T>(twin, fast, relative, $"{typeof(TOp).Name}(x, scalar) at length {n}");
            op.Invoke(s, y, fast);
            for (int i = 0; i < n; i++) twin[i] = op.Invoke(s, y[i]);
            AssertClose<T>(twin, fast, relative, $"{typeof(TOp).Name}(scalar, y) at length {n}");
        }
    }

    [Fact] public void Relu_float() => CheckUnary<float, ReluOperator<float>>(default);
    [Fact] public void Relu_double() => CheckUnary<double, ReluOperator<double>>(default);
    [Fact] public void Sign_float() => CheckUnary<float, SignOperator<float>>(default);
    [Fact] public void Sign_double() => CheckUnary<double, SignOperator<double>>(default);
    [Fact] public void Square_float() => CheckUnary<float, SquareOperator<float>>(default);
    [Fact] public void Square_double() => CheckUnary<double, SquareOperator<double>>(default);
    [Fact] public void Copy_double() => CheckUnary<double, CopyOperator<double>>(default);
    [Fact] public void Relu_and_sign_int() { CheckUnary<int, ReluOperator<int>>(default, specials: false); CheckUnary<int, SignOperator<int>>(default, specials: false); }

    [Fact] public void ReluGradient_float() => CheckBinary<float, ReluGradientOperator<float>>(default);
    [Fact] public void ReluGradient_double() => CheckBinary<double, ReluGradientOperator<double>>(default);

    [Fact]
    public void Comparisons_float()
    {
        CheckBinary<float, EqualOperator<float>>(default);
        CheckBinary<float, NotEqualOperator<float>>(default);
        CheckBinary<float, LessOperator<float>>(default);
        CheckBinary<float, LessEqualOperator<float>>(default);
        CheckBinary<float, GreaterOperator<float>>(default);
        CheckBinary<float, GreaterEqualOperator<float>>(default);
    }

    [Fact]
    public void Comparisons_double()
    {
        CheckBinary<double, EqualOperator<double>>(default);
        CheckBinary<double, NotEqualOperator<double>>(default);
        CheckBinary<double, LessOperator<double>>(default);
        CheckBinary<double, LessEqualOperator<double>>(default);
        CheckBinary<double, GreaterOperator<double>>(default);
        CheckBinary<double, GreaterEqualOperator<double>>(default);
    }

    [Fact]
    public void Select_matches_its_twin_at_every_length()
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            double[] c = RandomArray<double>(n, n, specials: true), a = RandomArray<double>(n, n + 500), b = RandomArray<double>(n, n + 900);
            for (int i = 0; i < n; i += 3) c[i] = 0;
            var fast = new double[n];
            var twin = new double[n];
            ElementwiseDriver.Ternary(c, a, b, fast, default(SelectOperator<double>));
            ElementwiseReference.Ternary(c, a, b, twin, default(SelectOperator<double>));
            AssertBitwiseEqual<double>(twin, fast, $"Select at length {n}");
            float[] cf = RandomArray<float>(n, n, specials: true), af = RandomArray<float>(n, n + 1), bf = RandomArray<float>(n, n + 2);
            var fastF = new float[n];
            var twinF = new float[n];
            ElementwiseDriver.Ternary(cf, af, bf, fastF, default(SelectOperator<float>));
            ElementwiseReference.Ternary(cf, af, bf, twinF, default(SelectOperator<float>));
            AssertBitwiseEqual<float>(twinF, fastF, $"Select (float) at length {n}");
        }
    }

    [Fact]
    public void Comparison_semantics_for_nan_and_signed_zero()
    {
        double[] x = [double.NaN, -0.0, 1, 2], y = [double.NaN, 0.0, 2, 1];
        var d = new double[4];
        ElementwiseDriver.Binary(x, y, d, default(EqualOperator<double>));
        Assert.Equal([0, 1, 0, 0], d);
        ElementwiseDriver.Binary(x, y, d, default(NotEqualOperator<double>));
        Assert.Equal([1, 0, 1, 1], d);
        ElementwiseDriver.Binary(x, y, d, default(LessOperator<double>));
        Assert.Equal([0, 0, 1, 0], d);
    }

    [Fact]
    public void Span_operators_match_their_scalar_forms_float()
    {
        const double tol = 2e-6;
        CheckUnarySpan<float, ExpOperator<float>>(default, tol);
        CheckUnarySpan<float, LogOperator<float>>(default, tol, 0.01, 50);
        CheckUnarySpan<float, LogP1Operator<float>>(default, tol, -0.9, 5);
        CheckUnarySpan<float, ExpM1Operator<float>>(default, tol);
        CheckUnarySpan<float, TanhOperator<float>>(default, tol);
        CheckUnarySpan<float, SigmoidOperator<float>>(default, tol, -20, 20);
        CheckUnarySpan<float, SqrtOperator<float>>(default, tol, 0, 50);
        CheckUnarySpan<float, ReciprocalOperator<float>>(default, tol, 0.5, 9);
        CheckUnarySpan<float, SinOperator<float>>(default, tol);
        CheckUnarySpan<float, CosOperator<float>>(default, tol);
        CheckUnarySpan<float, AbsOperator<float>>(default, 0);
        CheckUnarySpan<float, NegateOperator<float>>(default, 0);
        CheckUnarySpan<float, ClampOperator<float>>(new(-1, 1.5f), 0);
        CheckUnarySpan<float, PowScalarOperator<float>>(new(2.5f), tol, 0, 4);
        CheckBinarySpan<float, AddOperator<float>>(default, 0);
        CheckBinarySpan<float, SubtractOperator<float>>(default, 0);
        CheckBinarySpan<float, MultiplyOperator<float>>(default, 0);
        CheckBinarySpan<float, DivideOperator<float>>(default, 0);
        CheckBinarySpan<float, MaximumOperator<float>>(default, 0);
        CheckBinarySpan<float, MinimumOperator<float>>(default, 0);
        CheckBinarySpan<float, PowOperator<float>>(default, tol, 0.1, 4);
    }

    [Fact]
    public void Span_operators_match_their_scalar_forms_double()
    {
        const double tol = 1e-14;
        CheckUnarySpan<double, ExpOperator<double>>(default, tol);
        CheckUnarySpan<double, LogOperator<double>>(default, tol, 0.01, 50);
        CheckUnarySpan<double, LogP1Operator<double>>(default, tol, -0.9, 5);
        CheckUnarySpan<double, ExpM1Operator<double>>(default, tol);
        CheckUnarySpan<double, TanhOperator<double>>(default, tol);
        CheckUnarySpan<double, SigmoidOperator<double>>(default, tol, -20, 20);
        CheckUnarySpan<double, SqrtOperator<double>>(default, tol, 0, 50);
        CheckUnarySpan<double, ReciprocalOperator<double>>(default, tol, 0.5, 9);
        CheckUnarySpan<double, SinOperator<double>>(default, tol);
        CheckUnarySpan<double, CosOperator<double>>(default, tol);
        CheckUnarySpan<double, AbsOperator<double>>(default, 0);
        CheckUnarySpan<double, NegateOperator<double>>(default, 0);
        CheckUnarySpan<double, ClampOperator<double>>(new(-1, 1.5), 0);
        CheckUnarySpan<double, PowScalarOperator<double>>(new(2.5), tol, 0, 4);
        CheckBinarySpan<double, AddOperator<double>>(default, 0);
        CheckBinarySpan<double, SubtractOperator<double>>(default, 0);
        CheckBinarySpan<double, MultiplyOperator<double>>(default, 0);
        CheckBinarySpan<double, DivideOperator<double>>(default, 0);
        CheckBinarySpan<double, MaximumOperator<double>>(default, 0);
        CheckBinarySpan<double, MinimumOperator<double>>(default, 0);
        CheckBinarySpan<double, PowOperator<double>>(default, tol, 0.1, 4);
    }

    private static void CheckSmallArgumentAccuracy<T>(double relative) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Taylor series to four terms are exact to ~1e-18 relative for |x| < 1e-4: the identity oracle for
        // the cancellation that log1p and expm1 exist to avoid.
        var x = new T[257];
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateChecked((i - 128) * 7.3e-7 + 1e-12);
        var log1p = new T[x.Length];
        var expm1 = new T[x.Length];
        default(LogP1Operator<T>).Invoke(x, log1p);
        default(ExpM1Operator<T>).Invoke(x, expm1);
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateChecked(x[i]);
            double seriesLog = v - v * v / 2 + v * v * v / 3 - v * v * v * v / 4;
            double seriesExp = v + v * v / 2 + v * v * v / 6 + v * v * v * v / 24;
            AssertClose(T.CreateChecked(seriesLog), log1p[i], relative, $"log1p({v})");
            AssertClose(T.CreateChecked(seriesExp), expm1[i], relative, $"expm1({v})");
            AssertClose(T.CreateChecked(seriesLog), default(LogP1Operator<T>).Invoke(x[i]), relative, $"scalar log1p({v})");
            AssertClose(T.CreateChecked(seriesExp), default(ExpM1Operator<T>).Invoke(x[i]), relative, $"scalar expm1({v})");
        }
    }

    [Fact] public void Log1p_and_expm1_are_accurate_near_zero_float() => CheckSmallArgumentAccuracy<float>(4e-7);
    [Fact] public void Log1p_and_expm1_are_accurate_near_zero_double() => CheckSmallArgumentAccuracy<double>(1e-15);

    [Fact]
    public void Log1p_and_expm1_edge_values()
    {
        double[] x = [0, -0.0, -1, double.PositiveInfinity, double.NegativeInfinity, double.NaN, 800, -2];
        var l = new double[x.Length];
        var e = new double[x.Length];
        default(LogP1Operator<double>).Invoke(x, l);
        default(ExpM1Operator<double>).Invoke(x, e);
        for (int i = 0; i < x.Length; i++)
        {
            AssertClose(Math.Log(1 + x[i]), l[i], 1e-15, $"log1p({x[i]})");
            AssertClose(Math.Exp(x[i]) - 1, e[i], 1e-15, $"expm1({x[i]})");
        }
    }

    [Fact]
    public void Drivers_reject_a_short_destination()
    {
        Assert.Throws<ArgumentException>(() => ElementwiseDriver.Unary<float, ReluOperator<float>>(new float[5], new float[4], default));
        Assert.Throws<ArgumentException>(() => ElementwiseDriver.Binary<float, EqualOperator<float>>(new float[5], new float[4], new float[5], default));
    }
}
