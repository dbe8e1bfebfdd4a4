using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

// Composites and losses: GradCheck through their primitives, and identities against textbook formulas.
public class FunctionalAndLossTests
{
    private static MtlTensor<double> Normal(ulong seed, params int[] shape) => new TensorRandom(seed).Normal(shape, 0.0, 1.0);

    private static void Check(Func<MtlTensor<double>[], MtlTensor<double>> f, params MtlTensor<double>[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void CompositesPassGradCheck()
    {
        Check(a => a[0].Softmax(-1), Normal(1, 3, 5));
        Check(a => a[0].LogSoftmax(0), Normal(2, 3, 5));
        Check(a => a[0].LogSumExpComposed(1), Normal(3, 3, 5));
        Check(a => a[0].Gelu(), Normal(4, 3, 5));
        Check(a => a[0].Softplus(), Normal(5, 3, 5));
        Check(a => a[0].LayerNorm(a[1], a[2], 1e-5), Normal(6, 4, 6), Normal(7, 6), Normal(8, 6));
    }

    [Fact]
    public void ComposedLogSumExpEqualsTheFusedOneInValueAndGradient()
    {
        var x1 = Normal(9, 4, 7) * 30.0; // large logits: the max shift matters
        x1 = x1.Detach();
        x1.RequiresGrad = true;
        var x2 = x1.Detach().Clone();
        x2.RequiresGrad = true;
        var fused = x1.LogSumExp(1);
        var composed = x2.LogSumExpComposed(1);
        AssertClose(fused.ToArray(), composed.ToArray(), 1e-12);
        var weights = Normal(10, 4);
        (fused * weights).Sum().Backward();
        (composed * weights).Sum().Backward();
        AssertClose(x1.Grad!.ToArray(), x2.Grad!.ToArray(), 1e-12);
    }

    [Fact]
    public void SoftmaxRowsSumToOneAndMatchTheDefinition()
    {
        var x = MtlTensor.FromArray([1.0, 2.0, 3.0, 1000.0, 1000.0, 1000.0], 2, 3);
        var s = x.Softmax().ToArray();
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        AssertClose([Math.Exp(1) / z, Math.Exp(2) / z, Math.Exp(3) / z, 1 / 3.0, 1 / 3.0, 1 / 3.0], s, 1e-15);
    }

    [Fact]
    public void LossesPassGradCheck()
    {
        var target = Normal(11, 5, 3);
        var weights = MtlTensor.FromArray([1.0, 0.5, 2.0, 0.0, 1.5], 5);
        var mask = MtlTensor.FromArray([1.0, 1.0, 0.0, 1.0, 1.0], 5);
        Check(a => Losses.MeanSquaredError(a[0], target, weights, mask), Normal(12, 5, 3));
        Check(a => Losses.L1(a[0], target), Normal(13, 5, 3));
        Check(a => Losses.Huber(a[0], target, 0.7, weights), Normal(14, 5, 3));
        int[] labels = [2, 0, -1, 1, 2];
        Check(a => Losses.CrossEntropy(a[0], labels, [1.0, 2.0, 0.5], 0.1, [1.0, 1.0, 1.0, 3.0, 0.5]), Normal(15, 5, 3));
        var y = new TensorRandom(16).Bernoulli<double>([5, 3], 0.5);
        Check(a => Losses.BinaryCrossEntropyWithLogits(a[0], y, MtlTensor.FromArray([1.0, 3.0, 0.5], 3), weights), Normal(17, 5, 3));
    }

    [Fact]
    public void CrossEntropyEqualsTheTextbookFormula()
    {
        var logits = Normal(18, 4, 3);
        int[] labels = [0, 2, 1, 2];
        double[] w = [0.5, 1.0, 2.0];
        const double eps = 0.2;
        var z = logits.ToArray();
        double num = 0, den = 0;
        for (int i = 0; i < 4; i++)
        {
            double lse = Math.Log(Math.Exp(z[i * 3]) + Math.Exp(z[i * 3 + 1]) + Math.Exp(z[i * 3 + 2]));
            for (int c = 0; c < 3; c++)
            {
                double q = (c == labels[i] ? 1 - eps : 0) + eps / 3;
                num -= w[c] * q * (z[i * 3 + c] - lse);
            }
            den += w[labels[i]];
        }
        Assert.Equal(num / den, Losses.CrossEntropy(logits, labels, w, eps).Item(), 12);
    }

    [Fact]
    public void MaskedSamplesDoNotCountAndMissingLabelsEqualDroppedRows()
    {
        var logits = Normal(19, 4, 3);
        var all = Losses.CrossEntropy(logits, [1, -1, 0, -1]).Item();
        var kept = Losses.CrossEntropy(MtlTensor.Stack([logits.Select(0, 0), logits.Select(0, 2)]), [1, 0]).Item();
        Assert.Equal(kept, all, 14);

        var p = Normal(20, 4, 2);
        var t = Normal(21, 4, 2);
        var masked = Losses.MeanSquaredError(p, t, mask: MtlTensor.FromArray([1.0, 0.0, 1.0, 0.0], 4)).Item();
        var rows = Losses.MeanSquaredError(p.Slice(0, 0, 4, 2), t.Slice(0, 0, 4, 2)).Item();
        Assert.Equal(rows, masked, 14);
        // Nothing labeled: the loss is 0, not NaN.
        Assert.Equal(0.0, Losses.CrossEntropy(logits, [-1, -1, -1, -1]).Item());
    }

    [Fact]
    public void SampleWeightsEqualRepeatedRows()
    {
        var p = Normal(22, 3, 2);
        var t = Normal(23, 3, 2);
        var weighted = Losses.Huber(p, t, 0.5, MtlTensor.FromArray([2.0, 1.0, 1.0], 3)).Item();
        var repeated = Losses.Huber(MtlTensor.Concatenate([p.Slice(0, 0, 1), p]), MtlTensor.Concatenate([t.Slice(0, 0, 1), t]), 0.5).Item();
        Assert.Equal(repeated, weighted, 14);
    }

    [Fact]
    public void BinaryCrossEntropyIsStableAndMatchesTheDefinition()
    {
        var z = MtlTensor.FromArray([-3.0, 0.5, 800.0, -800.0], 4);
        var y = MtlTensor.FromArray([0.0, 1.0, 1.0, 0.0], 4);
        double expected = (Math.Log(1 + Math.Exp(-3)) + Math.Log(1 + Math.Exp(-0.5)) + 0 + 0) / 4;
        Assert.Equal(expected, Losses.BinaryCrossEntropyWithLogits(z, y).Item(), 14);
        // pos_weight multiplies the positive term only: −[p·y·log σ(z) + (1 − y)·log(1 − σ(z))]
        var zz = MtlTensor.FromArray([0.3], 1);
        Assert.Equal(2.5 * Math.Log(1 + Math.Exp(-0.3)), Losses.BinaryCrossEntropyWithLogits(zz, MtlTensor.Ones<double>(1), MtlTensor.FromArray([2.5], 1)).Item(), 14);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
