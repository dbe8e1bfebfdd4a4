using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Nn;

// Against PyTorch 1.13 (TorchFixture.py, float64): optimizer trajectories, loss values and gradients.
public class TorchFixtureTests
{
    private static MtlTensor<double> Initial() =>
        MtlTensor.FromArray(Enumerable.Range(0, TorchFixture.Size).Select(i => Math.Sin(1.0 + i)).ToArray(), TorchFixture.Size);

    private static MtlTensor<double> Gradient(int step) =>
        MtlTensor.FromArray(Enumerable.Range(0, TorchFixture.Size).Select(i => Math.Cos(0.7 * step + 1.3 * i)).ToArray(), TorchFixture.Size);

    public static TheoryData<string> Optimizers => new(TorchFixture.Trajectories.Keys);

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void OptimizerTrajectoryMatchesPyTorch(string name)
    {
        var p = Initial();
        p.RequiresGrad = true;
        Optimizer<double> optimizer = name switch
        {
            "sgd" => new Sgd<double>([p], 0.1),
            "sgd_momentum_dampening" => new Sgd<double>([p], 0.05, momentum: 0.9, dampening: 0.1),
            "sgd_nesterov_decay" => new Sgd<double>([p], 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01),
            "adam" => new Adam<double>([p], 0.01),
            "adam_decay" => new Adam<double>([p], 0.02, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1),
            "adamw" => new AdamW<double>([p], 0.01, weightDecay: 0.1),
            _ => throw new ArgumentException(name),
        };
        var expected = TorchFixture.Trajectories[name];
        for (int step = 0; step < TorchFixture.Steps; step++)
        {
            p.Grad = Gradient(step);
            optimizer.Step();
            var actual = p.ToArray();
            for (int i = 0; i < actual.Length; i++)
                Assert.True(Math.Abs(expected[step * TorchFixture.Size + i] - actual[i]) < 1e-13,
                    $"{name} step {step} element {i}: PyTorch {expected[step * TorchFixture.Size + i]}, ours {actual[i]}");
        }
    }

    private static MtlTensor<double> Logits()
    {
        var z = new double[12];
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 3; c++) z[i * 3 + c] = 2 * Math.Sin(1 + 3 * i + c);
        var t = MtlTensor.FromArray(z, 4, 3);
        t.RequiresGrad = true;
        return t;
    }

    private static MtlTensor<double> Fill(Func<int, int, double> f)
    {
        var v = new double[12];
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 3; c++) v[i * 3 + c] = f(i, c);
        return MtlTensor.FromArray(v, 4, 3);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-13 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: PyTorch {expected[i]}, ours {actual[i]}");
    }

    [Fact]
    public void CrossEntropyWithClassWeightsAndLabelSmoothing()
    {
        var z = Logits();
        var loss = Losses.CrossEntropy(z, [2, 0, 1, 1], [0.5, 1.0, 2.0], labelSmoothing: 0.2);
        Assert.Equal(TorchFixture.CrossEntropy, loss.Item(), 13);
        loss.Backward();
        AssertClose(TorchFixture.CrossEntropyGrad, z.Grad!.ToArray());
    }

    [Fact]
    public void BinaryCrossEntropyWithPositiveWeight()
    {
        var z = Logits();
        var loss = Losses.BinaryCrossEntropyWithLogits(z, Fill((i, c) => (i + c) % 2), MtlTensor.FromArray([1.0, 3.0, 0.5], 3));
        Assert.Equal(TorchFixture.BinaryCrossEntropy, loss.Item(), 13);
        loss.Backward();
        AssertClose(TorchFixture.BinaryCrossEntropyGrad, z.Grad!.ToArray());
    }

    [Fact]
    public void Huber()
    {
        var z = Logits();
        var loss = Losses.Huber(z, Fill((i, c) => Math.Cos(i + 2 * c)), 0.8);
        Assert.Equal(TorchFixture.Huber, loss.Item(), 13);
        loss.Backward();
        AssertClose(TorchFixture.HuberGrad, z.Grad!.ToArray());
    }

    [Fact]
    public void LayerNormAndGelu()
    {
        var x = Logits();
        var y = x.LayerNorm(MtlTensor.FromArray([1.5, -0.5, 2.0], 3), MtlTensor.FromArray([0.1, 0.2, 0.3], 3), 1e-5);
        AssertClose(TorchFixture.LayerNorm, y.ToArray());
        (y * Fill((i, c) => Math.Cos(i + 2 * c))).Sum().Backward();
        AssertClose(TorchFixture.LayerNormGrad, x.Grad!.ToArray());
        AssertClose(TorchFixture.GeluTanh, x.Detach().Gelu().ToArray());
    }
}
