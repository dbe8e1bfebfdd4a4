using MtlEngine.Autograd;
using MtlEngine.Data;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using static MtlEngine.Tests.Nn.NnFixtures;

namespace MtlEngine.Tests.Nn;

// Scaled dot-product attention and MultiheadAttention: values and gradients against PyTorch 1.13
// (Fixtures/Nn/make_indexing_fixtures.py), finite differences, masks, and a PyTorch state dict loaded into ours.
public class AttentionTests
{
    [Fact]
    public void ScaledDotProductAttentionWithAMaskAndCausalityMatchesPyTorch()
    {
        var q = Leaf([2, 4, 3], 0.71, 0.0);
        var k = Leaf([2, 5, 3], 0.53, 1.0);
        var v = Leaf([2, 5, 2], 0.29, 2.0);
        var keep = MtlTensor.FromArray(Doubles("sdpa", "keep"), 4, 5);
        // The keep mask and an additive bias, combined as one additive mask (−∞ where not kept).
        var bias = AttentionMask.Keep(keep).ToBias() + Wave([4, 5], 1.7) * 0.1;
        var y = Functional.ScaledDotProductAttention(q, k, v, AttentionMask.Additive(bias), isCausal: true);
        AssertClose(Doubles("sdpa", "y"), y);
        Backward(y);
        AssertClose(Doubles("sdpa", "grad_q"), q.Grad!);
        AssertClose(Doubles("sdpa", "grad_k"), k.Grad!);
        AssertClose(Doubles("sdpa", "grad_v"), v.Grad!);
    }

    [Fact]
    public void AttentionGradientsAgreeWithFiniteDifferences()
    {
        var keep = MtlTensor.FromArray([1.0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1], 3, 4);
        var check = GradCheck.Check(a => Functional.ScaledDotProductAttention(a[0], a[1], a[2], AttentionMask.Keep(keep)),
            [Wave([2, 3, 5], 0.3), Wave([2, 4, 5], 0.7, 1), Wave([2, 4, 3], 0.2, 2)]);
        Assert.True(check.Passed, check.Message);
        var mha = new MultiheadAttention<double>(4, 2, new TensorRandom(1));
        var padding = MtlTensor.FromArray([0.0, 0, 1, 0, 0, 0], 2, 3);
        check = GradCheck.Check(a => mha.Forward(a[0], a[1], a[1], keyPaddingMask: AttentionMask.Ignore(padding), isCausal: true).Output,
            [Wave([2, 3, 4], 0.45), Wave([2, 3, 4], 0.8, 1)]);
        Assert.True(check.Passed, check.Message);
    }

    private static MultiheadAttention<double> FixtureAttention()
    {
        var mha = new MultiheadAttention<double>(6, 2, new TensorRandom(0));
        using (Grad.NoGrad())
        {
            (Wave([18, 6], 0.77, 0.3) * 0.4).CopyTo(mha.InProjWeight.Detach());
            (Wave([18], 1.1, 0.0, cosine: true) * 0.1).CopyTo(mha.InProjBias!.Detach());
            (Wave([6, 6], 0.59, 1.2) * 0.5).CopyTo(mha.OutProj.Weight.Detach());
            (Wave([6], 0.9, 0.4) * 0.2).CopyTo(mha.OutProj.Bias!.Detach());
        }
        return mha;
    }

    [Fact]
    public void MultiheadAttentionWithKeyPaddingMatchesPyTorchAndPaddedKeysGetZeroWeight()
    {
        var mha = FixtureAttention();
        var query = Leaf([2, 4, 6], 0.41, 0.0);
        var key = Leaf([2, 5, 6], 0.23, 1.0);
        var value = Leaf([2, 5, 6], 0.31, 2.0);
        var padding = MtlTensor.FromArray(Doubles("mha_padding", "padding"), 2, 5);
        var (y, weights) = mha.Forward(query, key, value, keyPaddingMask: AttentionMask.Ignore(padding));
        AssertClose(Doubles("mha_padding", "y"), y);
        AssertClose(Doubles("mha_padding", "weights"), weights!);
        // Keys 2 and 4 of the first sequence are padding: no query attends to them.
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(0.0, weights![0, i, 2]);
            Assert.Equal(0.0, weights![0, i, 4]);
        }
        Backward(y);
        AssertClose(Doubles("mha_padding", "grad_query"), query.Grad!);
        AssertClose(Doubles("mha_padding", "grad_key"), key.Grad!);
        AssertClose(Doubles("mha_padding", "grad_value"), value.Grad!);
        AssertClose(Doubles("mha_padding", "grad_in_proj_weight"), mha.InProjWeight.Grad!);
        AssertClose(Doubles("mha_padding", "grad_out_proj_bias"), mha.OutProj.Bias!.Grad!);
    }

    [Fact]
    public void CausalSelfAttentionMatchesPyTorchWithABooleanMaskOrTheCausalFlag()
    {
        var mha = FixtureAttention();
        var padding = MtlTensor.FromArray(Doubles("mha_causal", "padding"), 2, 4);
        var upper = new double[16];
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) upper[i * 4 + j] = 1; // PyTorch's boolean attn_mask: true = not allowed
        var query = Leaf([2, 4, 6], 0.41, 0.0);
        var (y, weights) = mha.Forward(query, query, query, AttentionMask.Ignore(padding), AttentionMask.Ignore(MtlTensor.FromArray(upper, 4, 4)));
        AssertClose(Doubles("mha_causal", "y"), y);
        AssertClose(Doubles("mha_causal", "weights"), weights!);
        Backward(y);
        AssertClose(Doubles("mha_causal", "grad_query"), query.Grad!);
        AssertClose(Doubles("mha_causal", "grad_in_proj_weight"), mha.InProjWeight.Grad!);
        var flagged = mha.Forward(query.Detach(), query.Detach(), query.Detach(), AttentionMask.Ignore(padding), isCausal: true, needWeights: false);
        AssertClose(Doubles("mha_causal", "y"), flagged.Output);
        Assert.Null(flagged.Weights);
    }

    [Fact]
    public void ParametersFollowPyTorchNamesShapesAndInitialization()
    {
        var mha = new MultiheadAttention<float>(8, 2, new TensorRandom(4));
        Assert.Equal(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], mha.NamedParameters().Select(p => p.Key).ToArray());
        Assert.Equal([24, 8], mha.InProjWeight.Shape.ToArray());
        double xavier = Math.Sqrt(6.0 / (24 + 8)), linear = 1 / Math.Sqrt(8);
        Assert.All(mha.InProjWeight.ToArray(), w => Assert.InRange(Math.Abs(w), 0, xavier));
        Assert.Contains(mha.InProjWeight.ToArray(), w => Math.Abs(w) > linear); // wider than Linear's bound: Xavier over (3E, E)
        Assert.All(mha.OutProj.Weight.ToArray(), w => Assert.InRange(Math.Abs(w), 0, linear));
        Assert.All(mha.InProjBias!.ToArray(), b => Assert.Equal(0f, b));
        Assert.All(mha.OutProj.Bias!.ToArray(), b => Assert.Equal(0f, b));
        Assert.Throws<ArgumentException>(() => new MultiheadAttention<float>(6, 4, new TensorRandom(4)));
        Assert.Throws<ArgumentException>(() => mha.Forward(MtlTensor.Zeros<float>(2, 3, 7)));
        Assert.Throws<ArgumentException>(() => mha.Forward(MtlTensor.Zeros<float>(2, 3, 8), MtlTensor.Zeros<float>(2, 3, 8), MtlTensor.Zeros<float>(2, 3, 8),
            keyPaddingMask: AttentionMask.Ignore(MtlTensor.Zeros<float>(2, 4))));
    }

    [Fact]
    public void APerHeadMaskEqualsTheSharedMaskRepeatedAndAdditiveEqualsBoolean()
    {
        var mha = new MultiheadAttention<double>(4, 2, new TensorRandom(12));
        var q = Wave([3, 2, 4], 0.4);
        var kv = Wave([3, 5, 4], 0.3, 1);
        var ignore = MtlTensor.FromArray([0.0, 1, 0, 0, 1, 1, 0, 0, 1, 0], 2, 5);
        var shared = mha.Forward(q, kv, kv, attnMask: AttentionMask.Ignore(ignore));
        var perHead = mha.Forward(q, kv, kv, attnMask: AttentionMask.Ignore(ignore.Unsqueeze(0).Expand(6, 2, 5).Contiguous()));
        AssertClose(shared.Output.ToArray(), perHead.Output.ToArray(), 1e-15);
        var minusInfinity = MtlTensor.Where(ignore, MtlTensor.Full([], double.NegativeInfinity), 0.0);
        var additive = mha.Forward(q, kv, kv, attnMask: AttentionMask.Additive(minusInfinity));
        AssertClose(shared.Output.ToArray(), additive.Output.ToArray(), 1e-15);
        Assert.Equal([3, 2, 5], shared.Weights!.Shape.ToArray());
        Assert.Equal([3, 2, 2, 5], mha.Forward(q, kv, kv, averageAttnWeights: false).Weights!.Shape.ToArray());
    }

    [Fact]
    public void SequenceFirstLayoutIsTheTransposeOfBatchFirst()
    {
        var batchFirst = new MultiheadAttention<double>(4, 2, new TensorRandom(9));
        var sequenceFirst = new MultiheadAttention<double>(4, 2, new TensorRandom(9), batchFirst: false);
        var x = Wave([3, 5, 4], 0.3);
        var a = batchFirst.Forward(x);
        var b = sequenceFirst.Forward(x.Transpose(0, 1).Contiguous());
        AssertClose(a.ToArray(), b.Transpose(0, 1).ToArray(), 1e-14);
    }

    /// <summary>The script's Block: x + attention(x), then BatchNorm1d over the channels.</summary>
    private sealed class Block : Module<float>
    {
        private readonly MultiheadAttention<float> _attn;
        private readonly BatchNorm1d<float> _norm;

        public Block()
        {
            _attn = RegisterModule("attn", new MultiheadAttention<float>(8, 2, new TensorRandom(1)));
            _norm = RegisterModule("norm", new BatchNorm1d<float>(8));
        }

        public override MtlTensor<float> Forward(MtlTensor<float> input) =>
            _norm.Forward((input + _attn.Forward(input, input, input, needWeights: false).Output).Transpose(1, 2));
    }

    [Fact]
    public void APyTorchStateDictLoadsAndGivesPyTorchsOutputs()
    {
        var section = Root.GetProperty("state_dict");
        var block = new Block();
        Assert.Equal(section.GetProperty("names").EnumerateArray().Select(n => n.GetString()).ToArray(), block.StateDict().Select(a => a.Name).ToArray());
        block.Load(StateDictPath);
        block.Eval();
        var x = MtlTensor.FromArray(Doubles(section.GetProperty("x")).Select(v => (float)v).ToArray(), 3, 5, 8);
        var y = block.Forward(x).ToArray();
        var expected = Doubles(section.GetProperty("y"));
        Assert.Equal(expected.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: PyTorch {expected[i]}, ours {y[i]}");

        // Saved again, the file has PyTorch's entries and types (num_batches_tracked as int64) and loads back.
        string path = Path.Combine(Path.GetTempPath(), $"mtl-attn-{Guid.NewGuid():N}.safetensors");
        try
        {
            block.Save(path);
            var saved = Safetensors.Read(path).Tensors;
            var original = Safetensors.Read(StateDictPath).Tensors;
            Assert.Equal(original.Select(a => (a.Name, a.DType, a.Rank)).OrderBy(e => e.Name), saved.Select(a => (a.Name, a.DType, a.Rank)).OrderBy(e => e.Name));
            Assert.Equal(2L, ((long[])saved.Single(a => a.Name == "norm.num_batches_tracked").Data)[0]);
            var copy = new Block();
            copy.Load(path);
            copy.Eval();
            Assert.Equal(y, copy.Forward(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
