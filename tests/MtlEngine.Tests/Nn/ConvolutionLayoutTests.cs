using MtlEngine.Kernels;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

// The driver's default plan on wide output planes (≥ Conv2dDriver.WidePlane positions: one sample a chunk, used in place)
// against the whole batch side by side, on 1 and 3 threads (chunks and weight-gradient shares claimed by free threads).
public class ConvolutionLayoutTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void WidePlanesOneSampleAtATimeEqualTheSideBySideLayout(int threads)
    {
        // 16×17 output positions ≥ 256, 5 samples (not a multiple of 3 threads), padding 1 (same width) and a valid one.
        foreach (var (padding, groups) in new[] { (1, 1), (0, 2) })
        {
            var settings = new Conv2dSettings(1, 1, padding, padding, 1, 1, groups);
            var random = new TensorRandom(41);
            int height = 16 + 2 * (1 - padding), width = 17 + 2 * (1 - padding);
            var x = random.Normal([5, 4, height, width], 0.0, 1.0);
            var weight = random.Normal([6, 4 / groups, 3, 3], 0.0, 1.0);
            var bias = random.Normal([6], 0.0, 1.0);
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            var y = Conv2dDriver.Forward(x, weight, bias, settings);
            Assert.True(y.Shape[2] * y.Shape[3] >= Conv2dDriver.WidePlane);
            Close(Conv2dDriver.Forward(x, weight, bias, settings, chunkElements: long.MaxValue), y);
            var dy = random.Normal(y.Shape.ToArray(), 0.0, 1.0);
            Close(Conv2dDriver.InputGradient(dy, weight, x.Shape, settings, long.MaxValue), Conv2dDriver.InputGradient(dy, weight, x.Shape, settings));
            Close(Conv2dDriver.WeightGradient(dy, x, weight.Shape, settings, long.MaxValue), Conv2dDriver.WeightGradient(dy, x, weight.Shape, settings));
        }
    }

    private static void Close(MtlTensor<double> expected, MtlTensor<double> actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray();
        var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-12 * (1 + Math.Abs(e[i])), $"element {i}: {e[i]:R} vs {a[i]:R}");
    }
}
