using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

public class EmbeddingBagTests
{
    [Fact]
    public void BagsEqualTheSumOrMeanOfTheirRows()
    {
        var bag = new EmbeddingBag<double>(6, 3, new TensorRandom(1), BagMode.Mean);
        var e = bag.Weight.ToArray();
        var y = bag.Forward([1, 4, 4, 0, 5], [0, 3, 3]).ToArray(); // bags {1,4,4}, {}, {0,5}
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal((e[3 + k] + 2 * e[12 + k]) / 3, y[k], 14);
            Assert.Equal(0.0, y[3 + k]);
            Assert.Equal((e[k] + e[15 + k]) / 2, y[6 + k], 14);
        }
    }

    [Fact]
    public void PaddedMatrixInputEqualsRaggedBags()
    {
        var bag = new EmbeddingBag<double>(5, 2, new TensorRandom(2), BagMode.Sum);
        var padded = MtlTensor.FromArray([0.0, 3.0, -1.0, 2.0, 2.0, 4.0], 2, 3);
        Assert.Equal(bag.Forward([0, 3, 2, 2, 4], [0, 2]).ToArray(), bag.Forward(padded).ToArray());
    }

    [Fact]
    public void GradientEqualsTheOneHotMatmulTwin()
    {
        // EmbeddingBag(sum, weights) ≡ S·E with S[b, i] = Σ weights of index i in bag b: compare gradients.
        int[] indices = [2, 0, 2, 1, 3, 3, 3];
        int[] offsets = [0, 3, 4];
        double[] weights = [0.5, 1.0, 2.0, -1.0, 1.0, 0.25, 3.0];
        var bag = new EmbeddingBag<double>(4, 3, new TensorRandom(3), BagMode.Sum);
        var upstream = new TensorRandom(4).Normal([3, 3], 0.0, 1.0);
        (bag.Forward(indices, offsets, weights) * upstream).Sum().Backward();

        var s = new double[3 * 4];
        for (int b = 0; b < 3; b++)
            for (int j = offsets[b]; j < (b < 2 ? offsets[b + 1] : indices.Length); j++) s[b * 4 + indices[j]] += weights[j];
        var table = bag.Weight.Detach().Clone();
        table.RequiresGrad = true;
        var twin = MtlTensor.FromArray(s, 3, 4).Matmul(table);
        var forward = bag.Forward(indices, offsets, weights).ToArray();
        for (int i = 0; i < forward.Length; i++) Assert.Equal(twin.ToArray()[i], forward[i], 12);
        (twin * upstream).Sum().Backward();
        var expected = table.Grad!.ToArray();
        var actual = bag.Weight.Grad!.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void OutOfRangeIndexNamesTheProblem()
    {
        var bag = new EmbeddingBag<float>(3, 2, new TensorRandom(5));
        Assert.Contains("index 3", Assert.Throws<ArgumentException>(() => bag.Forward([3], [0])).Message);
    }
}
