using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

public class ModuleTests
{
    [Fact]
    public void NamesFollowPyTorchsStateDict()
    {
        var net = new MultiTaskNet<float>(8, [6, 4], [new TaskSpec("digit", TaskKind.Classification, 10), new TaskSpec("value", TaskKind.Regression, 1)], new TensorRandom(1));
        var names = net.NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(["trunk.0.weight", "trunk.0.bias", "trunk.2.weight", "trunk.2.bias", "heads.digit.weight", "heads.digit.bias", "heads.value.weight", "heads.value.bias"], names);
        Assert.Equal([6, 8], net.NamedParameters().First().Value.Shape.ToArray()); // (out, in)
        Assert.Equal(6 * 8 + 6 + 4 * 6 + 4 + 10 * 4 + 10 + 4 + 1, net.ParameterCount);
    }

    [Fact]
    public void StateDictRoundTripsThroughSafetensors()
    {
        var a = new Sequential<double>(new Linear<double>(3, 4, new TensorRandom(2)), new Tanh<double>(), new LayerNorm<double>(4), new Linear<double>(4, 2, new TensorRandom(3)));
        var b = new Sequential<double>(new Linear<double>(3, 4, new TensorRandom(9)), new Tanh<double>(), new LayerNorm<double>(4), new Linear<double>(4, 2, new TensorRandom(8)));
        var x = new TensorRandom(4).Normal([5, 3], 0.0, 1.0);
        string path = Path.Combine(Path.GetTempPath(), $"mtl-state-{Guid.NewGuid():N}.safetensors");
        try
        {
            a.Save(path);
            Assert.NotEqual(a.Forward(x).ToArray(), b.Forward(x).ToArray());
            b.Load(path);
            Assert.Equal(a.Forward(x).ToArray(), b.Forward(x).ToArray());
            var file = MtlEngine.Data.Safetensors.Read(path);
            Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight", "3.bias", "3.weight"], file.Tensors.Select(t => t.Name).Order().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadingAMismatchedStateNamesTheProblem()
    {
        var a = new Linear<float>(3, 4, new TensorRandom(1));
        var b = new Linear<float>(3, 5, new TensorRandom(1));
        var error = Assert.Throws<ArgumentException>(() => b.LoadStateDict(a.StateDict()));
        Assert.Contains("weight", error.Message);
        var noBias = new Linear<float>(3, 4, new TensorRandom(1), bias: false);
        Assert.Contains("unexpected [bias]", Assert.Throws<ArgumentException>(() => noBias.LoadStateDict(a.StateDict())).Message);
        noBias.LoadStateDict(a.StateDict(), strict: false);
        Assert.Equal(a.Weight.ToArray(), noBias.Weight.ToArray());
    }

    [Fact]
    public void LinearIsXTimesWTransposedPlusB()
    {
        var layer = new Linear<double>(3, 2, new TensorRandom(5));
        var x = new TensorRandom(6).Normal([4, 3], 0.0, 1.0);
        var y = layer.Forward(x).ToArray();
        var w = layer.Weight.ToArray();
        var b = layer.Bias!.ToArray();
        var xs = x.ToArray();
        for (int i = 0; i < 4; i++)
            for (int o = 0; o < 2; o++)
            {
                double s = b[o];
                for (int k = 0; k < 3; k++) s += xs[i * 3 + k] * w[o * 3 + k];
                Assert.Equal(s, y[i * 2 + o], 12);
            }
        // PyTorch's default initialization bound 1/√in.
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, 1 / Math.Sqrt(3)));
    }

    [Fact]
    public void LinearGradientsPassGradCheck()
    {
        var layer = new Linear<double>(3, 2, new TensorRandom(5));
        var x = new TensorRandom(6).Normal([4, 3], 0.0, 1.0);
        var result = GradCheck.Check(a => a[0].Matmul(a[1].Transpose()) + a[2], [x, layer.Weight.Detach(), layer.Bias!.Detach()]);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void DropoutIsIdentityInEvalModeAndUnbiasedInTraining()
    {
        var dropout = new Dropout<double>(0.25, seed: 3);
        var x = MtlTensor.Ones<double>(200, 100);
        var trained = dropout.Forward(x).ToArray();
        Assert.All(trained, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-12));
        Assert.InRange(trained.Average(), 0.97, 1.03);
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
    }

    [Fact]
    public void InitializersHaveTheirVariance()
    {
        var random = new TensorRandom(7);
        double Var(MtlTensor<double> t) { var a = t.ToArray(); double m = a.Average(); return a.Sum(v => (v - m) * (v - m)) / a.Length; }
        Assert.InRange(Var(Init.XavierUniform<double>(random, 300, 200)) / (2.0 / 500), 0.95, 1.05);
        Assert.InRange(Var(Init.XavierNormal<double>(random, 300, 200)) / (2.0 / 500), 0.95, 1.05);
        Assert.InRange(Var(Init.KaimingUniform<double>(random, 300, 200)) / (2.0 / 200), 0.95, 1.05);
        Assert.InRange(Var(Init.KaimingNormal<double>(random, 300, 200)) / (2.0 / 200), 0.95, 1.05);
        Assert.Equal(Init.KaimingNormal<double>(new TensorRandom(1), 3, 3).ToArray(), Init.KaimingNormal<double>(new TensorRandom(1), 3, 3).ToArray());
    }

    [Fact]
    public void EvalAndTrainReachEverySubmodule()
    {
        var net = new Sequential<float>(new Linear<float>(2, 2, new TensorRandom(1)), new Sequential<float>(new Dropout<float>(0.5, 1)));
        net.Eval();
        Assert.False(((Sequential<float>)net.Layers[1]).Layers[0].Training);
        net.Train();
        Assert.True(((Sequential<float>)net.Layers[1]).Layers[0].Training);
    }
}
