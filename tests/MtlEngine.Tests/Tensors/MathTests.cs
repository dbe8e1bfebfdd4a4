using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.MathTestSupport;

namespace MtlEngine.Tests.Tensors;

public class MathTests
{
    private static readonly int[] Shape = [3, 4, 5];

    private static void CheckUnary(Func<MtlTensor<double>, MtlTensor<double>> op, Func<double, double> scalar, string name,
        double low = -3, double high = 3, double tolerance = 1e-14)
    {
        double[] values = RandomValues<double>(Count(Shape), name.Length, low, high);
        foreach (var (layout, x) in Layouts(values, Shape))
        {
            var y = op(x);
            Assert.Equal(Shape, y.Shape.ToArray());
            Assert.True(y.IsContiguous);
            var actual = y.AsSpan().ToArray();
            for (int i = 0; i < values.Length; i++)
                AssertClose(scalar(values[i]), actual[i], tolerance, $"{name} on {layout} at {i} (x = {values[i]})");
        }
    }

    [Fact] public void Exp() => CheckUnary(x => x.Exp(), Math.Exp, "Exp");
    [Fact] public void Log() => CheckUnary(x => x.Log(), Math.Log, "Log", 0.01, 9);
    [Fact] public void Log1p() => CheckUnary(x => x.Log1p(), v => Math.Log(1 + v), "Log1p", -0.9, 5);
    [Fact] public void Expm1() => CheckUnary(x => x.Expm1(), v => Math.Exp(v) - 1, "Expm1", 0.5, 3);
    [Fact] public void Tanh() => CheckUnary(x => x.Tanh(), Math.Tanh, "Tanh");
    [Fact] public void Sigmoid() => CheckUnary(x => x.Sigmoid(), v => 1 / (1 + Math.Exp(-v)), "Sigmoid", -30, 30);
    [Fact] public void Sqrt() => CheckUnary(x => x.Sqrt(), Math.Sqrt, "Sqrt", 0, 9);
    [Fact] public void Reciprocal() => CheckUnary(x => x.Reciprocal(), v => 1 / v, "Reciprocal", 0.1, 9);
    [Fact] public void Sin_and_cos() { CheckUnary(x => x.Sin(), Math.Sin, "Sin"); CheckUnary(x => x.Cos(), Math.Cos, "Cos"); }
    [Fact] public void Abs_square_and_negate() { CheckUnary(x => x.Abs(), Math.Abs, "Abs"); CheckUnary(x => x.Square(), v => v * v, "Square"); CheckUnary(x => x.Negate(), v => -v, "Negate"); }
    [Fact] public void Pow_scalar() => CheckUnary(x => x.Pow(1.5), v => Math.Pow(v, 1.5), "Pow", 0, 5);
    [Fact] public void Relu() => CheckUnary(x => x.Relu(), v => Math.Max(v, 0), "Relu");
    [Fact] public void Sign() => CheckUnary(x => x.Sign(), v => Math.Sign(v), "Sign");
    [Fact] public void Clamp() => CheckUnary(x => x.Clamp(-1, 1.5), v => Math.Clamp(v, -1, 1.5), "Clamp");

    [Fact]
    public void Float_math_agrees_with_double_math()
    {
        float[] values = RandomValues<float>(257, 9, -4, 4);
        var x = MtlTensor.FromArray(values, 257);
        var pairs = new (MtlTensor<float> Result, Func<double, double> Reference, string Name)[]
        {
            (x.Exp(), Math.Exp, "Exp"), (x.Tanh(), Math.Tanh, "Tanh"), (x.Sigmoid(), v => 1 / (1 + Math.Exp(-v)), "Sigmoid"),
            (x.Abs().Log1p(), v => Math.Log(1 + Math.Abs(v)), "Log1p"), (x.Expm1(), v => Math.Exp(v) - 1, "Expm1"),
        };
        foreach (var (result, reference, name) in pairs)
        {
            var actual = result.AsSpan().ToArray();
            for (int i = 0; i < values.Length; i++)
                AssertClose((float)reference(values[i]), actual[i], 2e-6, $"{name}(float {values[i]})");
        }
    }

    [Fact]
    public void Special_values()
    {
        var x = MtlTensor.FromArray(new double[] { double.NaN, -0.0, 0, -2, 1e-300 }, 5);
        var sign = x.Sign().AsSpan().ToArray();
        Assert.True(double.IsNaN(sign[0]));
        Assert.Equal([0, 0, -1, 1], sign[1..]);
        Assert.True(double.IsNaN(x.Relu().AsSpan()[0]));
        Assert.Equal(1e-300, x.Tanh().AsSpan()[4]); // relative accuracy near 0
        Assert.Equal(1e-300, x.Expm1().AsSpan()[4]);
        Assert.Equal(1e-300, x.Log1p().AsSpan()[4]);
    }

    [Fact]
    public void Relu_gradient_is_zero_at_and_below_the_kink()
    {
        var x = MtlTensor.FromArray(new float[] { -1, 0, 2, 3 }, 4);
        var g = MtlTensor.FromArray(new float[] { 5, 6, 7, 8 }, 4);
        Assert.Equal([0f, 0, 7, 8], x.ReluGradient(g).AsSpan().ToArray());
    }

    [Fact]
    public void Clamp_rejects_min_above_max()
    {
        var e = Assert.Throws<ArgumentException>(() => MtlTensor.Zeros<float>(2).Clamp(1, 0));
        Assert.Contains("min", e.Message);
    }

    [Fact]
    public void Integer_tensors_support_abs_sign_relu_and_clamp()
    {
        var x = MtlTensor.FromArray(new[] { -3, 0, 4, -1 }, 4);
        Assert.Equal([3, 0, 4, 1], x.Abs().AsSpan().ToArray());
        Assert.Equal([-1, 0, 1, -1], x.Sign().AsSpan().ToArray());
        Assert.Equal([0, 0, 4, 0], x.Relu().AsSpan().ToArray());
        Assert.Equal([-2, 0, 2, -1], x.Clamp(-2, 2).AsSpan().ToArray());
    }

    [Fact]
    public void Operations_on_an_empty_tensor_give_an_empty_tensor()
    {
        var x = MtlTensor.Zeros<double>(0, 4);
        Assert.Equal([0, 4], x.Exp().Shape.ToArray());
        Assert.Equal(0, x.Sigmoid().Length);
    }
}
