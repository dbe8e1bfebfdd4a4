using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Autograd;

// The engine: hand-derived graphs, accumulation, no-grad, retained graphs, detach, per-task gradients.
public class BackwardTests
{
    private static MtlTensor<double> Leaf(params double[] values)
    {
        var t = MtlTensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void MicrogradExample()
    {
        // micrograd's README graph, scalars as 1-element tensors.
        var a = Leaf(-4.0);
        var b = Leaf(2.0);
        var c = a + b;
        var d = a * b + b.Pow(3.0);
        c = c + c + 1.0;
        c = c + 1.0 + c + (-a);
        d = d + d * 2.0 + (b + a).Relu();
        d = d + 3.0 * d + (b - a).Relu();
        var e = c - d;
        var f = e.Square();
        var g = f / 2.0;
        g = g + 10.0 / f;
        g.Backward();
        Assert.Equal(24.70408163265306, g.Sum().Item(), 12);
        Assert.Equal(138.83381924198252, a.Grad!.Item(), 10);
        Assert.Equal(645.5772594752186, b.Grad!.Item(), 10);
    }

    [Fact]
    public void ReusedTensorGetsTheSumOfItsPaths()
    {
        // y = x·x + 3x  →  dy/dx = 2x + 3
        var x = Leaf(1.5, -2.0);
        ((x * x) + (x * 3.0)).Sum().Backward();
        Assert.Equal([6.0, -1.0], x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsUntilZeroed()
    {
        var x = Leaf(1.0, 2.0);
        (x * 3.0).Sum().Backward();
        var buffer = x.Grad;
        (x * x).Sum().Backward();
        Assert.Equal([5.0, 7.0], x.Grad!.ToArray());
        Assert.Same(buffer, x.Grad); // accumulated in place
        x.ZeroGrad();
        Assert.Equal([0.0, 0.0], x.Grad!.ToArray());
        (x * 2.0).Sum().Backward();
        Assert.Equal([2.0, 2.0], x.Grad!.ToArray());
    }

    [Fact]
    public void SharedUpstreamIsNotAliasedBetweenLeaves()
    {
        // Add passes the same upstream tensor to both inputs; each leaf must own its Grad.
        var a = Leaf(1.0);
        var b = Leaf(2.0);
        (a + b).Sum().Backward();
        (a * 5.0).Sum().Backward();
        Assert.Equal(6.0, a.Grad!.Item());
        Assert.Equal(1.0, b.Grad!.Item());
    }

    [Fact]
    public void NoGradRecordsNothingAndRestoresTheMode()
    {
        var x = Leaf(1.0, 2.0);
        MtlTensor<double> y;
        using (Grad.NoGrad())
        {
            y = x * 2.0;
            Assert.False(Grad.IsEnabled);
            using (Grad.EnableGrad())
            {
                Assert.True(Grad.IsEnabled);
                Assert.True((x * 2.0).RequiresGrad);
            }
            Assert.False(Grad.IsEnabled);
        }
        Assert.True(Grad.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void DetachCutsTheGraphButSharesStorage()
    {
        var x = Leaf(3.0);
        var y = x * x;
        var z = y.Detach() * x; // d/dx = y (detached), not 3x²
        z.Sum().Backward();
        Assert.Equal(9.0, x.Grad!.Item());
        Assert.Same(y.Storage, y.Detach().Storage);
        Assert.False(y.Detach().RequiresGrad);
    }

    [Fact]
    public void ASecondBackwardNeedsARetainedGraph()
    {
        var x = Leaf(2.0);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(8.0, x.Grad!.Item());
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph", error.Message);
    }

    [Fact]
    public void BackwardOfANonScalarNeedsAGradient()
    {
        var x = Leaf(1.0, 2.0);
        var y = x * 3.0;
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        y.Backward(MtlTensor.FromArray([1.0, 10.0], 2));
        Assert.Equal([3.0, 30.0], x.Grad!.ToArray());
    }

    [Fact]
    public void RequiresGradCannotBeSetOnAComputedTensor()
    {
        var y = Leaf(1.0) * 2.0;
        Assert.Equal("MultiplyScalar", y.GradFunction);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
    }

    [Fact]
    public void PerTaskGradientsWithRespectToParametersAndTheSharedRepresentation()
    {
        // h = W x (shared), loss1 = Σ h², loss2 = Σ 3h: one forward pass, two sets of gradients.
        var w = MtlTensor.FromArray([1.0, 2.0, 3.0, 4.0], 2, 2);
        w.RequiresGrad = true;
        var x = MtlTensor.FromArray([1.0, -1.0], 2);
        var h = w.Matmul(x);                 // (-1, -1)
        var loss1 = h.Square().Sum();
        var loss2 = (h * 3.0).Sum();
        var grads = Grad.PerTask([loss1, loss2], [w, h]);
        Assert.Equal([-2.0, 2.0, -2.0, 2.0], grads[0][0]!.ToArray()); // 2h xᵀ
        Assert.Equal([-2.0, -2.0], grads[0][1]!.ToArray());           // 2h
        Assert.Equal([3.0, -3.0, 3.0, -3.0], grads[1][0]!.ToArray()); // 3 xᵀ
        Assert.Equal([3.0, 3.0], grads[1][1]!.ToArray());
        Assert.Null(w.Grad); // Grad.Of leaves .Grad alone
    }

    [Fact]
    public void GradOfGivesNullForAnUnrelatedInput()
    {
        var a = Leaf(1.0);
        var b = Leaf(2.0);
        var grads = Grad.Of((a * 4.0).Sum(), [a, b]);
        Assert.Equal(4.0, grads[0]!.Item());
        Assert.Null(grads[1]);
    }

    [Fact]
    public void GradientsEqualTheSumOverTasks()
    {
        // Σ_t ∂L_t/∂w from Grad.PerTask equals ∂(Σ_t L_t)/∂w from one backward.
        var w = new MtlEngine.Tensors.Random.TensorRandom(3).Normal([3, 4], 0.0, 1.0);
        w.RequiresGrad = true;
        var x = new MtlEngine.Tensors.Random.TensorRandom(4).Normal([5, 3], 0.0, 1.0);
        var h = x.Matmul(w).Tanh();
        var losses = new[] { h.Square().Mean(), h.Sum(1).Exp().Sum(), (h - 1.0).Abs().Sum() };
        var perTask = Grad.PerTask(losses, [w], retainGraph: true);
        (losses[0] + losses[1] + losses[2]).Backward();
        var expected = w.Grad!.ToArray();
        var summed = (perTask[0][0]! + perTask[1][0]! + perTask[2][0]!).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], summed[i], 12);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Leaf(1.0);
        var y = x;
        for (int i = 0; i < 20_000; i++) y = y + 1.0;
        y.Sum().Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }
}
