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
    public void TwoByTwoMaxPoolingEqualsTheGeneralLoop(int planes, int height, int width)
    {
        Check<double>(planes, height, width);
        Check<float>(planes, height, width); // float takes eight windows at a time in vector lanes
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
        }
    }
}
