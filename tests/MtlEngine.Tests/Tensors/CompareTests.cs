using MtlEngine.Kernels;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.MathTestSupport;

namespace MtlEngine.Tests.Tensors;

public class CompareTests
{
    public static TheoryData<string> Comparisons => new() { "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual" };

    private static MtlTensor<float> Apply(string name, MtlTensor<float> x, MtlTensor<float> y) => name switch
    {
        "Equal" => x.Equal(y), "NotEqual" => x.NotEqual(y), "Less" => x.Less(y),
        "LessEqual" => x.LessEqual(y), "Greater" => x.Greater(y), _ => x.GreaterEqual(y),
    };

    private static MtlTensor<float> Apply(string name, MtlTensor<float> x, float y) => name switch
    {
        "Equal" => x.Equal(y), "NotEqual" => x.NotEqual(y), "Less" => x.Less(y),
        "LessEqual" => x.LessEqual(y), "Greater" => x.Greater(y), _ => x.GreaterEqual(y),
    };

    private static bool Holds(string name, float a, float b) => name switch
    {
        "Equal" => a == b, "NotEqual" => a != b, "Less" => a < b,
        "LessEqual" => a <= b, "Greater" => a > b, _ => a >= b,
    };

    [Theory]
    [MemberData(nameof(Comparisons))]
    public void Comparisons_match_the_naive_loop_with_broadcasting(string name)
    {
        // Coarse values so that ties occur; one NaN.
        float[] vx = RandomValues<float>(3 * 1 * 5, 1, -2, 2).Select(v => MathF.Round(v)).ToArray();
        float[] vy = RandomValues<float>(4 * 5, 2, -2, 2).Select(v => MathF.Round(v)).ToArray();
        vx[3] = float.NaN;
        int[] sx = [3, 1, 5], sy = [4, 5], outShape = [3, 4, 5];
        foreach (var (nx, x) in Layouts(vx, sx))
            foreach (var (ny, y) in Layouts(vy, sy))
            {
                var z = Apply(name, x, y).AsSpan().ToArray();
                for (int i = 0; i < z.Length; i++)
                {
                    int[] index = Unravel(i, outShape);
                    float expected = Holds(name, AtBroadcast(x, index), AtBroadcast(y, index)) ? 1 : 0;
                    Assert.True(expected == z[i], $"{name} {nx}×{ny} at {i}: {z[i]} vs {expected}");
                }
                var s = Apply(name, x, 0f).AsSpan().ToArray();
                for (int i = 0; i < s.Length; i++)
                    Assert.Equal(Holds(name, vx[i], 0f) ? 1f : 0f, s[i]);
            }
    }

    [Fact]
    public void Where_picks_with_broadcasting()
    {
        var condition = MtlTensor.FromArray(new double[] { 1, 0, double.NaN }, 3, 1);
        var a = MtlTensor.FromArray(new double[] { 10, 20, 30, 40 }, 1, 4);
        var b = MtlTensor.FromArray(new double[] { -1 }, 1);
        var z = MtlTensor.Where(condition, a, b);
        Assert.Equal([3, 4], z.Shape.ToArray());
        Assert.Equal([10, 20, 30, 40, -1, -1, -1, -1, 10, 20, 30, 40], z.AsSpan().ToArray());
        Assert.Equal([10, 20, 30, 40, 7, 7, 7, 7, 10, 20, 30, 40], MtlTensor.Where(condition, a, 7.0).AsSpan().ToArray());
        Assert.Equal([7, 7, 7, 7, 10, 20, 30, 40, 7, 7, 7, 7], MtlTensor.Where(condition, 7.0, a).AsSpan().ToArray());
    }

    [Fact]
    public void Where_on_strided_views_matches_the_naive_loop()
    {
        int[] shape = [4, 6];
        double[] vc = RandomValues<double>(24, 5).Select(v => v > 0 ? 1.0 : 0.0).ToArray();
        double[] va = RandomValues<double>(24, 6), vb = RandomValues<double>(24, 7);
        foreach (var (nc, c) in Layouts(vc, shape))
            foreach (var (na, a) in Layouts(va, shape))
            {
                var b = Layouts(vb, shape).Last().View;
                var z = MtlTensor.Where(c, a, b, new Parallelism(2)).AsSpan().ToArray();
                for (int i = 0; i < 24; i++) Assert.Equal(vc[i] != 0 ? va[i] : vb[i], z[i]);
            }
    }

    [Fact]
    public void Where_names_all_three_shapes_when_they_do_not_broadcast()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            MtlTensor.Where(MtlTensor.Zeros<float>(2, 3), MtlTensor.Zeros<float>(3), MtlTensor.Zeros<float>(4)));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    public void A_comparison_mask_selects_by_multiplication()
    {
        var x = MtlTensor.FromArray(new[] { 1, 5, 3, 7 }, 4);
        var mask = x.Greater(3);
        Assert.Equal([0, 1, 0, 1], mask.AsSpan().ToArray());
        Assert.Equal([0, 5, 0, 7], (mask * x).AsSpan().ToArray());
    }
}
