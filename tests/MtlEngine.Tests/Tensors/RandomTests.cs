using MtlEngine.Kernels;
using MtlEngine.Kernels.Sampling;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Tensors;

public class RandomTests
{
    [Theory]
    // Random123's published known-answer vectors for Philox4x32-10 (its tests/kat_vectors).
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox4x32_10_matches_the_Random123_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint e0, uint e1, uint e2, uint e3)
    {
        Assert.Equal(new PhiloxBlock(e0, e1, e2, e3), Philox4x32.Generate(new PhiloxBlock(c0, c1, c2, c3), k0, k1));
    }

    [Fact]
    public void Streams_match_the_committed_python_twin()
    {
        var rng = new TensorRandom(RandomFixture.Seed);
        Assert.Equal(RandomFixture.Uniform, rng.Uniform([5], -2.0, 3.0).ToArray());
        var normal = new TensorRandom(RandomFixture.Seed).Normal([5], 1.0, 2.0).ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(RandomFixture.Normal[i], normal[i], 1e-12);
        var b = new TensorRandom(RandomFixture.Seed, stream: 3).Block(7);
        Assert.Equal(RandomFixture.Block7Stream3, new[] { b.X0, b.X1, b.X2, b.X3 });
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        int n = 3 * TensorRandom.ParallelThreshold + 5;
        var one = new TensorRandom(7, parallelism: Parallelism.Sequential);
        var four = new TensorRandom(7, parallelism: new Parallelism(4));
        Assert.Equal(one.Uniform([n], 0f, 1f).ToArray(), four.Uniform([n], 0f, 1f).ToArray());
        Assert.Equal(one.Normal([n], 0.0, 1.0).ToArray(), four.Normal([n], 0.0, 1.0).ToArray());
        Assert.Equal(one.Bernoulli<float>([n], 0.3).ToArray(), four.Bernoulli<float>([n], 0.3).ToArray());
        Assert.Equal(one.Integers([n], -5L, 17L).ToArray(), four.Integers([n], -5L, 17L).ToArray());
        Assert.Equal(one.Position, four.Position);
    }

    [Fact]
    public void Same_seed_same_numbers_and_consecutive_calls_continue_the_stream()
    {
        var a = new TensorRandom(99);
        var first = a.Uniform([4], 0.0, 1.0).ToArray();
        var second = a.Uniform([4], 0.0, 1.0).ToArray();
        Assert.NotEqual(first, second);
        var whole = new TensorRandom(99).Uniform([8], 0.0, 1.0).ToArray();
        Assert.Equal(first.Concat(second).ToArray(), whole);
        Assert.NotEqual(whole, new TensorRandom(100).Uniform([8], 0.0, 1.0).ToArray());
        Assert.NotEqual(whole, new TensorRandom(99, stream: 1).Uniform([8], 0.0, 1.0).ToArray());
        Assert.Equal(4ul, a.Position);
    }

    private static (double Mean, double Variance) Moments(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double mean = v.Average();
        return (mean, v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
    }

    [Fact]
    public void Uniform_is_in_range_with_the_right_moments()
    {
        const int n = 200_000;
        var rng = new TensorRandom(1);
        float[] f = rng.Uniform([n], -1f, 3f).ToArray();
        Assert.All(f, x => Assert.True(x >= -1f && x < 3f));
        (double mean, double variance) = Moments(f.Select(x => (double)x));
        // mean 1, variance (b − a)²/12 = 4/3; standard error of the mean √(4/3/n) ≈ 0.0026.
        Assert.Equal(1.0, mean, 0.015);
        Assert.Equal(4.0 / 3.0, variance, 0.02);
        var d = rng.Uniform([1000, 10], 5.0, 5.5);
        Assert.Equal([1000, 10], d.Shape.ToArray());
        Assert.All(d.ToArray(), x => Assert.True(x >= 5.0 && x < 5.5));
        Assert.Throws<ArgumentException>(() => rng.Uniform([2], 1.0, 1.0));
        Assert.Throws<ArgumentException>(() => rng.Uniform([2], 0.0, double.PositiveInfinity));
    }

    [Fact]
    public void Normal_has_the_right_moments()
    {
        const int n = 200_000;
        var x = new TensorRandom(2).Normal([n], 3.0, 0.5).ToArray();
        (double mean, double variance) = Moments(x);
        Assert.Equal(3.0, mean, 0.01);
        Assert.Equal(0.25, variance, 0.01);
        // About 68.3% within one std, 95.4% within two.
        Assert.Equal(0.683, x.Count(v => Math.Abs(v - 3) < 0.5) / (double)n, 0.01);
        Assert.Equal(0.954, x.Count(v => Math.Abs(v - 3) < 1.0) / (double)n, 0.01);
        Assert.All(new TensorRandom(3).Normal([1001], 0f, 1f).ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Throws<ArgumentException>(() => new TensorRandom(3).Normal([2], 0.0, -1.0));
    }

    [Fact]
    public void Bernoulli_and_integers_have_the_right_frequencies()
    {
        const int n = 100_000;
        var rng = new TensorRandom(4);
        float[] mask = rng.Bernoulli<float>([n], 0.8).ToArray();
        Assert.All(mask, m => Assert.True(m == 0f || m == 1f));
        Assert.Equal(0.8, mask.Average(), 0.01);
        Assert.All(rng.Bernoulli<double>([100], 0.0).ToArray(), m => Assert.Equal(0.0, m));
        Assert.All(rng.Bernoulli<double>([100], 1.0).ToArray(), m => Assert.Equal(1.0, m));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.Bernoulli<double>([1], 1.5));

        int[] ints = rng.Integers([n], -3, 7).ToArray();
        Assert.All(ints, v => Assert.InRange(v, -3, 6));
        for (int v = -3; v < 7; v++)
            Assert.Equal(0.1, ints.Count(x => x == v) / (double)n, 0.01);
        Assert.Throws<ArgumentException>(() => rng.Integers([1], 3, 3));
    }

    [Fact]
    public void Permutation_and_shuffle_are_reproducible_permutations()
    {
        var rng = new TensorRandom(5);
        int[] p = rng.Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), p);
        Assert.Equal(p, new TensorRandom(5).Permutation(1000));
        Assert.Empty(rng.Permutation(0));
        Assert.Equal([0], rng.Permutation(1));

        // Each of the 6 orders of 3 items appears about equally often.
        var counts = new Dictionary<string, int>();
        var small = new TensorRandom(6);
        for (int k = 0; k < 6000; k++)
        {
            string key = string.Join(",", small.Permutation(3));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(6, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));

        var m = MtlTensor.FromArray(Enumerable.Range(0, 20).Select(i => (double)i).ToArray(), 10, 2);
        var shuffled = new TensorRandom(8).Shuffle(m);
        int[] order = new TensorRandom(8).Permutation(10);
        for (int r = 0; r < 10; r++)
            Assert.Equal(m.Select(0, order[r]).ToArray(), shuffled.Select(0, r).ToArray());
        Assert.Equal(m.ToArray().Order(), shuffled.ToArray().Order());
    }
}
