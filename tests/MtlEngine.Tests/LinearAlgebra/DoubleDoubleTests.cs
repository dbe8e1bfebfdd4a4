using System.Numerics;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>Double-double arithmetic against exact rational arithmetic (BigInteger on values scaled by 2³⁰⁰).</summary>
public class DoubleDoubleTests
{
    private const double U2 = 1.232595164407831e-32;   // 2⁻¹⁰⁶, the unit roundoff of double-double

    /// <summary>d·2³⁰⁰ as an exact integer (every value here is a multiple of 2⁻³⁰⁰).</summary>
    private static BigInteger Exact(double d) => new(Math.ScaleB(d, 300));

    private static BigInteger Exact(DoubleDouble x) => Exact(x.Hi) + Exact(x.Lo);

    private static double Relative(BigInteger error, BigInteger size) => Math.Abs((double)error) / Math.Abs((double)size);

    private static IEnumerable<(double, double)> Pairs()
    {
        var random = new Random(11);
        for (int i = 0; i < 500; i++)
        {
            double a = (random.NextDouble() + 0.5) * Math.ScaleB(1, random.Next(-30, 30)) * (random.Next(2) * 2 - 1);
            double b = (random.NextDouble() + 0.5) * Math.ScaleB(1, random.Next(-30, 30)) * (random.Next(2) * 2 - 1);
            yield return (a, b);
        }
        yield return (1.0, 1e-17);           // below the last bit of 1
        yield return (1.0, -1.0 + 1e-10);    // cancellation
    }

    [Fact]
    public void TwoSumAndTwoProductAreExact()
    {
        foreach (var (a, b) in Pairs())
        {
            Assert.Equal(Exact(a) + Exact(b), Exact(DoubleDouble.TwoSum(a, b)));
            Assert.Equal(Exact(a) * Exact(b), Exact(DoubleDouble.TwoProduct(a, b)) * (BigInteger.One << 300));
        }
    }

    [Fact]
    public void ArithmeticIsAccurateToTheUnitRoundoffOfDoubleDouble()
    {
        var random = new Random(5);
        foreach (var (a, b) in Pairs())
        {
            // Operands with both parts in use: x = a + a·r·2⁻⁵³, y likewise.
            var x = DoubleDouble.TwoSum(a, a * random.NextDouble() * 1.1e-16);
            var y = DoubleDouble.TwoSum(b, b * random.NextDouble() * 1.1e-16);
            BigInteger ex = Exact(x), ey = Exact(y), scale = BigInteger.One << 300;
            var sum = x + y;
            Assert.True(Relative(Exact(sum) - (ex + ey), BigInteger.Abs(ex) + BigInteger.Abs(ey)) <= 4 * U2, $"{x} + {y}");
            var product = x * y;
            Assert.True(Relative(Exact(product) * scale - ex * ey, ex * ey) <= 4 * U2, $"{x} · {y}");
            // q = x/y: |q·y − x| ≤ 4u²|x|, the product exact in integers.
            var q = x / y;
            Assert.True(Relative(Exact(q) * ey - ex * scale, ex * scale) <= 4 * U2, $"{x} / {y}");
            var root = DoubleDouble.Sqrt(DoubleDouble.Abs(x));
            Assert.True(Relative(Exact(root) * Exact(root) - BigInteger.Abs(ex) * scale, ex * scale) <= 4 * U2, $"√{x}");
        }
        Assert.Equal(0.0, (double)DoubleDouble.Sqrt(0.0));
        Assert.True(Math.Abs((double)((1.0 + (DoubleDouble)1e-17) - 1.0) - 1e-17) <= 1e-32);   // a digit below double's last
    }
}
