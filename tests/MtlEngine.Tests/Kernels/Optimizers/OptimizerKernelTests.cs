using System.Numerics;
using MtlEngine.Kernels.Optimizers;

namespace MtlEngine.Tests.Kernels.Optimizers;

// The vectorized optimizer drivers against their one-element-at-a-time twins: the same formula, so the same bits, for
// every length from 0 to 70 (every tail of every vector width) and every combination of the rules' switches.
public class OptimizerKernelTests
{
    private static T[] Values<T>(int n, int seed, double low, double high) where T : INumber<T> =>
        Elementwise.ElementwiseKernelTests.RandomArray<T>(n, seed, low, high);

    private static void Same<T>(T[] expected, T[] actual, string what) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: reference {expected[i]}, vectorized {actual[i]}");
    }

    /// <summary>The drivers against the reference twins, on vectors of at most <paramref name="widestBits"/> bits (512: what the machine has).</summary>
    private static void Check<T>(int widestBits = 512) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T C(double x) => T.CreateChecked(x);
        for (int n = 0; n <= 70; n++)
        {
            var g = Values<T>(n, n, -2, 2);
            foreach (int flags in new[] { 0, 1, 2, 3, 4, 5, 6, 7 })
            {
                // SGD: momentum on/off (bit 0), first step (bit 1), Nesterov (bit 2).
                var sgd = new SgdStep<T>(C(0.1), C(0.9), C(0.8), C(0.01), flags & 1, (flags >> 1) & 1, (flags >> 2) & 1);
                T[] p1 = Values<T>(n, 100 + n, -1, 1), b1 = Values<T>(n, 200 + n, -1, 1);
                T[] p2 = (T[])p1.Clone(), b2 = (T[])b1.Clone();
                OptimizerKernels.SgdReference(p1, g, b1, sgd);
                OptimizerKernels.Sgd(p2, g, b2, sgd, widestBits);
                Same(p1, p2, $"sgd {flags} n={n} p");
                Same(b1, b2, $"sgd {flags} n={n} buffer");

                // RMSprop: momentum (bit 0), centered (bit 1).
                var rms = new RmsPropStep<T>(C(0.01), C(0.9), C(1 - 0.9), C(1e-6), C(0.05), C(0.7), flags & 1, (flags >> 1) & 1);
                T[] v1 = Values<T>(n, 300 + n, 1, 2), a1 = Values<T>(n, 400 + n, -0.5, 0.5);
                T[] q1 = Values<T>(n, 500 + n, -1, 1), q2 = (T[])q1.Clone(), v2 = (T[])v1.Clone(), a2 = (T[])a1.Clone();
                b1 = Values<T>(n, 600 + n, -1, 1);
                b2 = (T[])b1.Clone();
                OptimizerKernels.RmsPropReference(q1, g, v1, b1, a1, rms);
                OptimizerKernels.RmsProp(q2, g, v2, b2, a2, rms, widestBits);
                Same(q1, q2, $"rmsprop {flags} n={n} p");
                Same(v1, v2, $"rmsprop {flags} n={n} square_avg");
                Same(b1, b2, $"rmsprop {flags} n={n} momentum_buffer");
                Same(a1, a2, $"rmsprop {flags} n={n} grad_avg");
            }
            foreach (int decoupled in new[] { 0, 1 })
            {
                var adam = new AdamStep<T>(C(0.9), C(0.999), C(0.1), C(0.001), C(0.01 / (1 - 0.9 * 0.9)), C(Math.Sqrt(1 - 0.999 * 0.999)), C(1e-8), C(0.1), C(1 - 0.001), decoupled);
                T[] p1 = Values<T>(n, 700 + n, -1, 1), m1 = Values<T>(n, 800 + n, -1, 1), v1 = Values<T>(n, 900 + n, 0, 1);
                T[] p2 = (T[])p1.Clone(), m2 = (T[])m1.Clone(), v2 = (T[])v1.Clone();
                OptimizerKernels.AdamReference(p1, g, m1, v1, adam);
                OptimizerKernels.Adam(p2, g, m2, v2, adam, widestBits);
                Same(p1, p2, $"adam {decoupled} n={n} p");
                Same(m1, m2, $"adam {decoupled} n={n} m");
                Same(v1, v2, $"adam {decoupled} n={n} v");
            }
        }
    }

    [Fact]
    public void Vectorized_drivers_give_the_reference_bits_in_float() => Check<float>();

    [Fact]
    public void Vectorized_drivers_give_the_reference_bits_in_double() => Check<double>();

    // The 256-bit loops run in production only where AVX-512 is absent, the 128-bit ones only where 256-bit vectors
    // are: capped here, they run on every machine that has them.
    [Avx2Fact]
    public void The_256_bit_loops_give_the_reference_bits_in_float() => Check<float>(256);

    [Avx2Fact]
    public void The_256_bit_loops_give_the_reference_bits_in_double() => Check<double>(256);

    [Fact]
    public void The_128_bit_loops_give_the_reference_bits() { Check<float>(128); Check<double>(128); }

    [Fact]
    public void Adam_by_hand_on_one_element()
    {
        // m = 0.1·g, v = 0.001·g², p ← p − η/(1 − β₁)·m/(√v/√(1 − β₂) + ε) = p − η·g/(|g| + ε) on the first step.
        double[] p = [1.0], m = [0.0], v = [0.0];
        OptimizerKernels.Adam<double>(p, [3.0], m, v, new AdamStep<double>(0.9, 0.999, 1 - 0.9, 1 - 0.999, 0.01 / (1 - 0.9), Math.Sqrt(1 - 0.999), 1e-8, 0, 1, 0));
        Assert.Equal(1.0 - 0.01 * 3.0 / (3.0 + 1e-8), p[0], 14);
        Assert.Equal(0.3, m[0], 15);
        Assert.Equal(0.009, v[0], 15);
    }

    [Fact]
    public void Lengths_that_differ_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => OptimizerKernels.Adam<float>(new float[4], new float[4], new float[3], new float[4], default));
        Assert.Contains("4 elements", e.Message);
        Assert.Throws<ArgumentException>(() => OptimizerKernels.Sgd<float>(new float[4], new float[4], new float[2], new SgdStep<float>(1, 1, 1, 0, 1, 0, 0)));
        OptimizerKernels.Sgd<float>(new float[4], new float[4], default, new SgdStep<float>(1, 0, 1, 0, 0, 0, 0)); // no momentum: no buffer needed
    }
}
