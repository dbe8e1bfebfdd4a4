using MtlEngine.Kernels.Sampling;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Kernels.Sampling;

/// <summary>The span-level draw: value e comes from block first + e / PerBlock alone, whatever the threads or the buffer.</summary>
public class PhiloxStreamTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(70_001)]
    public void A_fill_is_the_draw_of_each_block_in_order_on_any_thread_count(int n)
    {
        var stream = new PhiloxStream(0x1234_5678_9ABC_DEF0ul, stream: 5);
        var draw = new NormalDraw<double>(0.5, 2.0);
        var one = new double[n];
        var four = new double[n];
        Assert.Equal((n + 1) / 2, stream.Fill(11, one, draw, Parallelism.Sequential));
        Assert.Equal((n + 1) / 2, stream.Fill(11, four, draw, new Parallelism(4)));
        Assert.Equal(one, four);
        var pair = new double[2];
        for (int e = 0; e < n; e += Math.Max(1, n / 13))
        {
            draw.Write(stream.Block(11 + (ulong)(e / 2)), pair);
            Assert.Equal(pair[e % 2], one[e]);
        }
    }

    [Fact]
    public void TensorRandom_is_the_stream_from_its_position()
    {
        var rng = new TensorRandom(42, stream: 3);
        rng.Uniform([3], 0f, 1f);                                   // position 2
        var tensor = rng.Bernoulli<float>([9], 0.25).ToArray();     // blocks 2, 3, 4
        var span = new float[9];
        Assert.Equal(3, new PhiloxStream(42, 3).Fill(2, span, new BernoulliDraw<float>(0.25)));
        Assert.Equal(span, tensor);
        Assert.Equal(5ul, rng.Position);
        Assert.Equal(new PhiloxStream(42, 3).Block(9), rng.Block(9));
    }

    [Fact]
    public void A_draw_refuses_bad_parameters_when_made()
    {
        Assert.Throws<ArgumentException>(() => new UniformDraw<double>(1.0, 1.0));
        Assert.Throws<ArgumentException>(() => new NormalDraw<float>(0f, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BernoulliDraw<float>(1.5));
        Assert.Throws<ArgumentException>(() => new IntegerDraw<int>(3, 3));
    }
}
