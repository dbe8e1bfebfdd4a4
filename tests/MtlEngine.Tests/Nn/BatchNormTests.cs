using MtlEngine.Autograd;
using MtlEngine.Data;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Nn.NnFixtures;

namespace MtlEngine.Tests.Nn;

// BatchNorm1d/2d: two training steps (batch statistics, running updates) then evaluation, against PyTorch 1.13
// (Fixtures/Nn/make_indexing_fixtures.py); buffers in the state dict; finite-difference gradients.
public class BatchNormTests
{
    public static TheoryData<string> Cases => new() { "batchnorm1d", "batchnorm1d_2d", "batchnorm2d" };

    private static (BatchNormBase<double> Module, int[] Shape) Create(string name) => name switch
    {
        "batchnorm1d" => (new BatchNorm1d<double>(3), [4, 3, 5]),
        "batchnorm1d_2d" => (new BatchNorm1d<double>(4, momentum: null), [5, 4]),
        _ => (new BatchNorm2d<double>(2, epsilon: 1e-3, momentum: 0.3), [3, 2, 2, 3]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainTwiceThenEvaluateMatchesPyTorch(string name)
    {
        var (bn, shape) = Create(name);
        int c = shape[1];
        using (Grad.NoGrad())
        {
            (Wave([c], 1.3, 0.2) * 0.5 + 1.0).CopyTo(bn.Weight!.Detach());
            (Wave([c], 0.7, 1.1, cosine: true) * 0.3).CopyTo(bn.Bias!.Detach());
        }
        for (int step = 0; step < 2; step++)
        {
            var x = (Wave(shape, 0.61, step + 0.4) * 2.0 + Wave(shape, 0.05, step, cosine: true)).Detach();
            x.RequiresGrad = true;
            bn.ZeroGrad();
            var y = bn.Forward(x);
            AssertClose(Doubles(name, $"y{step}"), y, 1e-12, $"y{step}");
            Backward(y);
            AssertClose(Doubles(name, $"grad_x{step}"), x.Grad!, 1e-11, $"grad_x{step}");
            AssertClose(Doubles(name, $"grad_weight{step}"), bn.Weight!.Grad!, 1e-12, $"grad_weight{step}");
            AssertClose(Doubles(name, $"grad_bias{step}"), bn.Bias!.Grad!, 1e-12, $"grad_bias{step}");
        }
        AssertClose(Doubles(name, "running_mean"), bn.RunningMean!, 1e-13);
        AssertClose(Doubles(name, "running_var"), bn.RunningVar!, 1e-13);
        Assert.Equal(Root.GetProperty(name).GetProperty("num_batches_tracked").GetInt32(), (int)bn.NumBatchesTracked!.Item());
        bn.Eval();
        var before = bn.RunningMean!.ToArray();
        AssertClose(Doubles(name, "y_eval"), bn.Forward(Wave(shape, 0.83, 2.0) * 1.5), 1e-12, "eval");
        Assert.Equal(before, bn.RunningMean!.ToArray()); // evaluation leaves the running statistics alone
    }

    [Fact]
    public void BuffersAreStateButNotParameters()
    {
        var bn = new BatchNorm2d<float>(3);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Key).ToArray());
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], bn.NamedBuffers().Select(p => p.Key).ToArray());
        Assert.All(bn.NamedBuffers(), b => Assert.False(b.Value.RequiresGrad));
        var state = bn.StateDict();
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], state.Select(a => a.Name).ToArray());
        Assert.Equal(DType.Int64, state[4].DType);
        Assert.Equal(0, state[4].Rank);

        var trained = new BatchNorm2d<float>(3);
        trained.Forward(new MtlEngine.Tensors.Random.TensorRandom(2).Normal([4, 3, 2, 2], 1f, 2f));
        bn.LoadStateDict(trained.StateDict());
        Assert.Equal(trained.RunningVar!.ToArray(), bn.RunningVar!.ToArray());
        Assert.Equal(1f, bn.NumBatchesTracked!.Item());
        var e = Assert.Throws<ArgumentException>(() => bn.LoadStateDict(state.Take(4).ToList()));
        Assert.Contains("num_batches_tracked", e.Message);
    }

    [Fact]
    public void TrainingGradientsAgreeWithFiniteDifferencesAndErrorsAreClear()
    {
        var bn = new BatchNorm1d<double>(3, affine: false, trackRunningStats: false);
        Assert.Empty(bn.StateDict());
        var check = GradCheck.Check(a => bn.Forward(a[0]) * a[1].Reshape(1, 3, 1) + a[2].Reshape(1, 3, 1),
            [Wave([5, 3, 2], 0.77), Wave([3], 0.5, 1), Wave([3], 0.3, 2)]);
        Assert.True(check.Passed, check.Message);
        var tracked = new BatchNorm2d<double>(2);
        check = GradCheck.Check(a => tracked.Forward(a[0]), [Wave([2, 2, 3, 1], 0.9)]);
        Assert.True(check.Passed, check.Message);
        Assert.Throws<ArgumentException>(() => new BatchNorm1d<double>(3).Forward(MtlTensor.Zeros<double>(1, 3)));     // one value per channel
        Assert.Throws<ArgumentException>(() => new BatchNorm1d<double>(3).Forward(MtlTensor.Zeros<double>(4, 2)));     // channels
        Assert.Throws<ArgumentException>(() => new BatchNorm2d<double>(3).Forward(MtlTensor.Zeros<double>(4, 3, 2)));  // rank
    }
}
