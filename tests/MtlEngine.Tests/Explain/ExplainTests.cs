using MtlEngine.Explain;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Explain;

public class ExplainTests
{
    [Fact]
    public void IntegratedGradientsSatisfyCompleteness()
    {
        var net = new Sequential<double>(new Linear<double>(5, 16, new TensorRandom(1)), new Tanh<double>(), new Linear<double>(16, 3, new TensorRandom(2)));
        var x = new TensorRandom(3).Normal([5], 0.0, 1.0);
        var baseline = new TensorRandom(4).Normal([5], 0.0, 0.1);
        var result = IntegratedGradients.Attribute(net.Forward, x, outputIndex: 2, baseline, steps: 200);
        Assert.True(Math.Abs(result.CompletenessGap) < 1e-4, $"gap {result.CompletenessGap}");
        using (MtlEngine.Autograd.Grad.NoGrad())
        {
            Assert.Equal(net.Forward(x.Unsqueeze(0)).ToArray()[2], result.OutputAtInput, 12);
            Assert.Equal(net.Forward(baseline.Unsqueeze(0)).ToArray()[2], result.OutputAtBaseline, 12);
        }
    }

    [Fact]
    public void IntegratedGradientsOfALinearModelAreWeightTimesDifference()
    {
        var layer = new Linear<double>(4, 1, new TensorRandom(5));
        var x = MtlTensor.FromArray([1.0, -2.0, 0.5, 3.0], 4);
        var result = IntegratedGradients.Attribute(layer.Forward, x, steps: 3);
        var w = layer.Weight.ToArray();
        var a = result.Attributions.ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(w[i] * x.ToArray()[i], a[i], 12);
        Assert.Equal(0.0, result.CompletenessGap, 12);
    }

    [Fact]
    public void PermutationImportanceFindsTheFeatureThatMatters()
    {
        // y = 3·x₀ + 0·x₁ + 0.5·x₂; the score is −MSE of the true model.
        var x = new TensorRandom(6).Normal([400, 3], 0.0, 1.0);
        var xs = x.ToArray();
        var y = Enumerable.Range(0, 400).Select(i => 3 * xs[i * 3] + 0.5 * xs[i * 3 + 2]).ToArray();
        double Score(MtlTensor<double> f)
        {
            var v = f.ToArray();
            return -Enumerable.Range(0, 400).Average(i => Math.Pow(3 * v[i * 3] + 0.5 * v[i * 3 + 2] - y[i], 2));
        }
        var importance = PermutationImportance.Compute(Score, x, repeats: 3, seed: 7);
        Assert.Equal(0.0, importance.BaselineScore);
        Assert.Equal(0.0, importance.Mean[1]);
        Assert.True(importance.Mean[0] > 10 * importance.Mean[2], string.Join(", ", importance.Mean));
        Assert.InRange(importance.Mean[0], 2 * 9 * 0.8, 2 * 9 * 1.2); // E[(3(x − x'))²] = 18
    }
}
