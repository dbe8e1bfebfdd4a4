using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Tensors;

// The convolution's bias gradient db[o] = Σₙ Σₚ dY[n, o, p] (Conv2dDriver.BiasGradient, read sample by sample) against its
// definition summed channel by channel in double, over planes that are not whole vectors, and its bits across thread counts.
public class ConvolutionBiasGradientTests
{
    [Theory]
    [InlineData(3, 5, 7, 5)]    // 35 positions a plane: vectors and a tail
    [InlineData(1, 1, 1, 1)]    // one element
    [InlineData(9, 13, 33, 17)] // 9 × 13 × 561 elements: enough for several threads' shares of the 13 channels
    public void TheBiasGradientEqualsItsDefinitionOnAnyThreadCount(int batch, int channels, int height, int width)
    {
        var random = new TensorRandom(72);
        var dy = random.Normal([batch, channels, height, width], 0f, 1f);
        float[] values = dy.ToArray();
        int plane = height * width;
        float[] Run(int threads)
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            return Conv2dDriver.BiasGradient(dy).ToArray();
        }
        var one = Run(1);
        for (int o = 0; o < channels; o++)
        {
            double sum = 0, magnitude = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < plane; p++)
                {
                    float v = values[(n * channels + o) * plane + p];
                    sum += v;
                    magnitude += Math.Abs(v);
                }
            Assert.True(Math.Abs(one[o] - sum) <= 1e-6 * magnitude + 1e-6, $"db[{o}] = {one[o]}, expected {sum}");
        }
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }
}
