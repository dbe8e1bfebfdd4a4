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
            "rmsprop" => new RmsProp<double>([p], 0.01),
            "rmsprop_momentum_decay" => new RmsProp<double>([p], 0.02, alpha: 0.9, momentum: 0.5, weightDecay: 0.1),
            "rmsprop_centered_momentum" => new RmsProp<double>([p], 0.01, alpha: 0.8, epsilon: 1e-6, momentum: 0.7, centered: true),
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

    public static TheoryData<string> GroupCases => new(TorchFixture.GroupTrajectories.Keys);

    [Theory]
    [MemberData(nameof(GroupCases))]
    public void ParameterGroupTrajectoryMatchesPyTorch(string name)
    {
        // a (5 values) and b (3 values) in two groups with their own options; "_late": b has no gradient in steps 0 and 1,
        // so its own step count starts later; "_lambda": each group's initial rate scaled by its own factor (LambdaLR).
        var a = Initial();
        a.RequiresGrad = true;
        var b = MtlTensor.FromArray(Enumerable.Range(0, TorchFixture.SecondSize).Select(i => Math.Cos(2.0 + i)).ToArray(), TorchFixture.SecondSize);
        b.RequiresGrad = true;
        Optimizer<double> optimizer = name switch
        {
            "sgd_groups" => new Sgd<double>([new ParameterGroup<double>([a]), new ParameterGroup<double>([b]) { LearningRate = 0.02, Momentum = 0.5, Nesterov = true }], 0.1, momentum: 0.9, weightDecay: 0.01),
            "adam_groups_late" => new Adam<double>([new ParameterGroup<double>([a]) { WeightDecay = 0.1 }, new ParameterGroup<double>([b]) { LearningRate = 0.05, Beta1 = 0.5, Beta2 = 0.6 }], 0.01),
            "adamw_groups" => new AdamW<double>([new ParameterGroup<double>([a]) { WeightDecay = 0 }, new ParameterGroup<double>([b]) { Epsilon = 1e-4 }], 0.02, weightDecay: 0.2),
            "rmsprop_groups_late" => new RmsProp<double>([new ParameterGroup<double>([a]) { Centered = true }, new ParameterGroup<double>([b]) { Momentum = 0.9, Alpha = 0.5 }], 0.01),
            "adam_groups_lambda" => new Adam<double>([new ParameterGroup<double>([a]), new ParameterGroup<double>([b]) { LearningRate = 0.05 }], 0.01),
            _ => throw new ArgumentException(name),
        };
        var scheduler = name.EndsWith("_lambda", StringComparison.Ordinal)
            ? LearningRateScheduler<double>.PerGroup(optimizer, new LambdaSchedule(s => 0.01 * Math.Pow(0.9, s)), new LambdaSchedule(s => 0.05 / (1 + s)))
            : null;
        var expected = TorchFixture.GroupTrajectories[name];
        int width = TorchFixture.Size + TorchFixture.SecondSize;
        for (int step = 0; step < TorchFixture.Steps; step++)
        {
            scheduler?.Apply(step);
            a.Grad = Gradient(step);
            b.Grad = name.EndsWith("_late", StringComparison.Ordinal) && step < 2 ? null
                : MtlTensor.FromArray(Enumerable.Range(0, TorchFixture.SecondSize).Select(i => Math.Cos(0.3 * step - 0.9 * i)).ToArray(), TorchFixture.SecondSize);
            optimizer.Step();
            var actual = a.ToArray().Concat(b.ToArray()).ToArray();
            for (int i = 0; i < width; i++)
                Assert.True(Math.Abs(expected[step * width + i] - actual[i]) < 1e-13,
                    $"{name} step {step} element {i}: PyTorch {expected[step * width + i]}, ours {actual[i]}");
        }
    }

    /// <summary>Three parameters (4, 3×2 and 5 values) with gradients g[k][i] = 1.5 sin(0.8 + 1.1 i + 2k), as TorchFixture.py makes them.</summary>
    private static MtlTensor<double>[] ClipGradients()
    {
        int[][] shapes = [[4], [3, 2], [5]];
        var parameters = new MtlTensor<double>[shapes.Length];
        for (int k = 0; k < shapes.Length; k++)
        {
            int n = shapes[k].Aggregate(1, (x, y) => x * y);
            parameters[k] = MtlTensor.Zeros<double>(shapes[k]);
            parameters[k].RequiresGrad = true;
            parameters[k].Grad = MtlTensor.FromArray(Enumerable.Range(0, n).Select(i => 1.5 * Math.Sin(0.8 + 1.1 * i + 2 * k)).ToArray(), shapes[k]);
        }
        return parameters;
    }

    public static TheoryData<string, double, double> ClipCases => new()
    {
        { "norm2", 1.0, 2.0 }, { "norm1", 1.0, 1.0 }, { "norm3", 1.0, 3.0 }, { "norm_inf", 1.0, double.PositiveInfinity }, { "norm2_no_clip", 100.0, 2.0 },
    };

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClipNormMatchesPyTorch(string name, double maxNorm, double normType)
    {
        var parameters = ClipGradients();
        var (norm, gradients) = TorchFixture.Clipping[name];
        Assert.Equal(norm, GradientClipping.ClipNorm(parameters, maxNorm, normType), 13);
        AssertClose(gradients, parameters.SelectMany(p => p.Grad!.ToArray()).ToArray());
    }

    [Fact]
    public void ClipValueMatchesPyTorch()
    {
        var parameters = ClipGradients();
        GradientClipping.ClipValue(parameters, 0.5);
        Assert.Equal(TorchFixture.ClipValue, parameters.SelectMany(p => p.Grad!.ToArray()).ToArray());
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
