using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tests.Kernels.Convolution;

// The 2×2, stride-2 max pooling fast path against the general window loop (its twin), bitwise, values and argmax,
// over odd planes (floor mode drops the last row and column) full of ties, NaNs and signed zeros.
public class PoolingTests
{
    [Theory]
    [InlineData(1, 2, 2)]
    [InlineData(3, 5, 7)]
    [InlineData(4, 9, 4)]
    [InlineData(2, 28, 28)]
    [InlineData(2, 4, 16)]
    [InlineData(3, 5, 37)]
    [InlineData(7, 10, 10)]  // LeNet's second pooling (Wo = 5): eight windows from a row's start, the lanes past Wo overwritten by later rows
    [InlineData(5, 11, 13)]  // odd rows and columns, Wo = 6
    [InlineData(9, 3, 15)]   // one row a plane (Wo = 7): each row is a plane's last
    public void TwoByTwoMaxPoolingEqualsTheGeneralLoop(int planes, int height, int width)
    {
        Check<double>(planes, height, width);
        Check<float>(planes, height, width); // float takes eight windows at a time in vector lanes
    }

    [Theory]
    [InlineData(3, 28, 28)]  // LeNet's first pooling: Wo = 14, eight windows and the last eight (overlapping)
    [InlineData(2, 5, 17)]   // odd rows and columns: a row and a column no window covers; Wo = 8
    [InlineData(4, 4, 32)]   // Wo = 16: whole groups of eight
    [InlineData(5, 9, 21)]   // Wo = 10, Ho = 4
    public void TwoByTwoMaxPoolingGradientEqualsTheScatter(int planes, int height, int width)
    {
        var g = new ConvolutionGeometry(1, height, width, 2, 2, 2, 2);
        var random = new Random(height * 17 + width);
        float[] levels = [-1f, -0f, 0f, 0.5f, float.NaN, 2f];
        var input = Enumerable.Range(0, planes * g.InputPlane).Select(_ => levels[random.Next(levels.Length)]).ToArray();
        int outputs = planes * g.OutputPlane;
        var argmax = new int[outputs];
        Pooling.MaxForward<float>(input, new float[outputs], argmax, 0, planes, g);
        // Upstream gradients with signed zeros, NaN and infinities: the fast path must give the scatter's bits.
        float[] upstream = [-0f, 0f, 1.5f, -2.25f, float.NaN, float.NegativeInfinity, 3e-39f];
        var dy = Enumerable.Range(0, outputs).Select(_ => upstream[random.Next(upstream.Length)]).ToArray();
        var expected = Enumerable.Repeat(7f, planes * g.InputPlane).ToArray();
        var fast = Enumerable.Repeat(7f, planes * g.InputPlane).ToArray();
        Pooling.MaxBackwardAnyWindow<float>(dy, argmax, expected, 0, planes, g);
        Pooling.MaxBackward2x2(dy, argmax, fast, 0, planes, g);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), fast.Select(BitConverter.SingleToInt32Bits));
        // Through the dispatcher, the middle planes only: the others keep their values.
        var part = Enumerable.Repeat(7f, planes * g.InputPlane).ToArray();
        Pooling.MaxBackward<float>(dy, argmax, part, 1, planes - 2, g);
        for (int i = 0; i < part.Length; i++)
        {
            bool inside = i >= g.InputPlane && i < (planes - 1) * g.InputPlane;
            Assert.Equal(BitConverter.SingleToInt32Bits(inside ? expected[i] : 7f), BitConverter.SingleToInt32Bits(part[i]));
        }
        Assert.Throws<ArgumentException>(() => Pooling.MaxBackward2x2(dy, argmax, fast, 0, planes, new ConvolutionGeometry(1, height, width, 3, 3, 2, 2)));
    }

    private static void Check<T>(int planes, int height, int width) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var g = new ConvolutionGeometry(1, height, width, 2, 2, 2, 2);
        var random = new Random(height * 31 + width);
        double[] levels = [-1.0, -0.0, 0.0, 0.5, double.NaN, 2.0, double.NegativeInfinity];
        foreach (var chance in new[] { 0.0, 0.2 })
        {
            var input = Enumerable.Range(0, planes * g.InputPlane)
                .Select(_ => T.CreateTruncating(random.NextDouble() < chance ? double.NaN : levels[random.Next(levels.Length)])).ToArray();
            int outputs = planes * g.OutputPlane;
            T[] fast = new T[outputs], general = new T[outputs];
            int[] fastIndex = new int[outputs], generalIndex = new int[outputs];
            Pooling.MaxForward2x2<T>(input, fast, fastIndex, 0, planes, g);
            Pooling.MaxForwardAnyWindow<T>(input, general, generalIndex, 0, planes, g);
            Assert.Equal(generalIndex, fastIndex);
            Assert.Equal(general.Select(v => BitConverter.DoubleToInt64Bits(double.CreateTruncating(v))), fast.Select(v => BitConverter.DoubleToInt64Bits(double.CreateTruncating(v))));
            // Through the dispatcher, planes [1, planes) only: the fast path's offsets.
            var part = new T[outputs];
            var partIndex = new int[outputs];
            Pooling.MaxForward<T>(input, part, partIndex, 1, planes - 1, g);
            Assert.Equal(generalIndex.Skip(g.OutputPlane), partIndex.Skip(g.OutputPlane));
            // A share in the middle, [1, planes − 1): it writes its own outputs and none of the next share's.
            if (planes < 3) continue;
            var middle = Enumerable.Repeat(T.CreateTruncating(7.0), outputs).ToArray();
            var middleIndex = Enumerable.Repeat(-1, outputs).ToArray();
            Pooling.MaxForward<T>(input, middle, middleIndex, 1, planes - 2, g);
            int end = (planes - 1) * g.OutputPlane;
            Assert.Equal(generalIndex[g.OutputPlane..end], middleIndex[g.OutputPlane..end]);
            Assert.All(middleIndex[end..], i => Assert.Equal(-1, i));
            Assert.All(middle[end..], v => Assert.Equal(T.CreateTruncating(7.0), v));
        }
    }
}
