using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using static MtlEngine.Tests.Nn.NnFixtures;

namespace MtlEngine.Tests.Nn;

// Against PyTorch 1.13 (Fixtures/Nn/make_indexing_fixtures.py, float64): index_select, gather, scatter_add, embedding
// with padding_idx, SiLU, Softplus; and the small modules (Embedding, ModuleList, SiLU, Softplus).
public class NeuralFixtureTests
{
    [Fact]
    public void IndexSelectMatchesPyTorch()
    {
        var x = Leaf([3, 4, 5], 0.7, 0.1);
        var y = x.IndexSelect(1, Ints(Root.GetProperty("index_select").GetProperty("indices")));
        AssertClose(Doubles("index_select", "y"), y);
        Backward(y);
        AssertClose(Doubles("index_select", "grad"), x.Grad!);
    }

    private static MtlTensor<int> IndexOf(string section) =>
        MtlTensor.FromArray(Ints(Root.GetProperty(section).GetProperty("index")), Ints(Root.GetProperty(section).GetProperty("index_shape")));

    [Fact]
    public void GatherMatchesPyTorch()
    {
        var x = Leaf([3, 4, 5], 0.7, 0.1);
        var y = x.Gather(1, IndexOf("gather"));
        AssertClose(Doubles("gather", "y"), y);
        Backward(y);
        AssertClose(Doubles("gather", "grad"), x.Grad!);
    }

    [Fact]
    public void ScatterAddMatchesPyTorch()
    {
        var x = Leaf([4, 5], 0.3, 0.2);
        var source = Leaf([5, 3], 0.45, 1.0);
        var z = x.ScatterAdd(0, IndexOf("scatter_add"), source);
        AssertClose(Doubles("scatter_add", "z"), z);
        Backward(z);
        AssertClose(Doubles("scatter_add", "grad_x"), x.Grad!);
        AssertClose(Doubles("scatter_add", "grad_src"), source.Grad!);
    }

    [Fact]
    public void EmbeddingWithPaddingMatchesPyTorchAndThePaddingRowGetsNoGradient()
    {
        var weight = Leaf([6, 3], 0.9, 0.3);
        var indices = Ints(Root.GetProperty("embedding").GetProperty("indices"));
        var y = Functional.Embedding(weight, indices, [2, 4], paddingIndex: 2);
        Assert.Equal([2, 4, 3], y.Shape.ToArray());
        AssertClose(Doubles("embedding", "y"), y);
        Backward(y);
        AssertClose(Doubles("embedding", "grad"), weight.Grad!);
        Assert.All(weight.Grad!.Select(0, 2).ToArray(), g => Assert.Equal(0.0, g));
        Assert.NotEqual(0.0, weight.Grad!.Select(0, 5).ToArray()[0]);
    }

    [Fact]
    public void EmbeddingModuleZeroesItsPaddingRowAndLooksUpAnyShape()
    {
        var embedding = new Embedding<double>(7, 4, new TensorRandom(3), paddingIndex: -1);
        Assert.Equal(6, embedding.PaddingIndex);
        Assert.All(embedding.Weight.Select(0, 6).ToArray(), v => Assert.Equal(0.0, v));
        Assert.Equal("weight", Assert.Single(embedding.NamedParameters()).Key);
        var y = embedding.Forward(MtlTensor.FromArray([1, 6, 0, 1, 2, 3], 2, 1, 3));
        Assert.Equal([2, 1, 3, 4], y.Shape.ToArray());
        Assert.Equal(embedding.Weight.Select(0, 3).ToArray(), y.Reshape(6, 4).Select(0, 5).ToArray());
        Assert.Equal(y.ToArray(), embedding.Forward(MtlTensor.FromArray([1.0, 6, 0, 1, 2, 3], 2, 1, 3)).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward([7], 1));
        Assert.Throws<ArgumentException>(() => embedding.Forward(MtlTensor.FromArray([0.5], 1)));
        // Without a padding row the lookup is an index-select and every row read learns.
        var check = GradCheck.Check(a => Functional.Embedding(a[0], [0, 2, 2, 1], [2, 2]), [Wave([3, 2], 0.4)]);
        Assert.True(check.Passed, check.Message);
    }

    [Fact]
    public void SiluAndSoftplusMatchPyTorch()
    {
        var x = Wave([3, 7], 0.8) * 4.0;
        x = x.Detach();
        x.RequiresGrad = true;
        var silu = new SiLU<double>().Forward(x);
        AssertClose(Doubles("silu", "y"), silu);
        Backward(silu);
        AssertClose(Doubles("silu", "grad"), x.Grad!);
        x.Grad = null;
        var softplus = new Softplus<double>(beta: 2, threshold: 3).Forward(x);
        AssertClose(Doubles("softplus", "y"), softplus);
        Backward(softplus);
        AssertClose(Doubles("softplus", "grad"), x.Grad!);
        foreach (var f in new Func<MtlTensor<double>, MtlTensor<double>>[] { t => t.Silu(), t => t.Softplus(2, 3), t => t.Softplus(0.5) })
        {
            var result = GradCheck.Check(a => f(a[0]), [Wave([2, 5], 0.9) * 2.0]);
            Assert.True(result.Passed, result.Message);
        }
    }

    [Fact]
    public void SoftplusHasTheDerivativeOneHalfAtZero()
    {
        // relu(x) + log1p(e^−|x|) differentiated through relu and abs gives 0 at x = 0; σ(0) = ½ is right.
        var x = MtlTensor.FromArray([0.0, -1.5, 2.0], 3);
        x.RequiresGrad = true;
        x.Softplus().Sum().Backward();
        AssertClose([0.5, 1 / (1 + Math.Exp(1.5)), 1 / (1 + Math.Exp(-2.0))], x.Grad!, 1e-15);
        // So binary cross-entropy at a zero logit has PyTorch's gradient σ(0) − y = −½ for y = 1.
        var z = MtlTensor.FromArray([0.0], 1);
        z.RequiresGrad = true;
        Losses.BinaryCrossEntropyWithLogits(z, MtlTensor.Ones<double>(1)).Backward();
        Assert.Equal(-0.5, z.Grad!.Item(), 15);
    }

    [Fact]
    public void ModuleListNamesItsModulesByIndexAndHasNoForward()
    {
        var random = new TensorRandom(5);
        var list = new ModuleList<double>(new Linear<double>(3, 2, random), new ReLU<double>(), new Linear<double>(2, 1, random, bias: false));
        Assert.Equal(3, list.Count);
        Assert.IsType<ReLU<double>>(list[1]);
        Assert.Equal(["0.weight", "0.bias", "2.weight"], list.NamedParameters().Select(p => p.Key).ToArray());
        var e = Assert.Throws<NotSupportedException>(() => list.Forward(MtlTensor.Zeros<double>(1, 3)));
        Assert.Contains("Sequential", e.Message);
        Assert.Equal(3, list.Count());
    }
}
