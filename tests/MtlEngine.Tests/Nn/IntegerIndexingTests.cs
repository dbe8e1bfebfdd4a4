using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

// index_select / index_add / gather / scatter_add: values against naive loops, gradients against finite differences,
// bounds errors; cross-entropy from integer labels against its dense textbook twin.
public class IntegerIndexingTests
{
    private static MtlTensor<double> Normal(ulong seed, params int[] shape) => new TensorRandom(seed).Normal(shape, 0.0, 1.0);

    private static MtlTensor<int> Indices(ulong seed, int high, params int[] shape) => new TensorRandom(seed).Integers(shape, 0, high);

    private static void Check(Func<MtlTensor<double>[], MtlTensor<double>> f, params MtlTensor<double>[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.True(result.Passed, result.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void IndexSelectPicksSlicesAndItsGradientAccumulatesRepeats(int axis)
    {
        var x = Normal(1, 3, 4, 5);
        int[] indices = [2, 0, 2, 1]; // a repeat: its gradient adds up
        var y = x.IndexSelect(axis, indices);
        var expectedShape = x.Shape.ToArray();
        expectedShape[axis] = indices.Length;
        Assert.Equal(expectedShape, y.Shape.ToArray());
        for (int i = 0; i < y.Shape[0]; i++)
            for (int j = 0; j < y.Shape[1]; j++)
                for (int k = 0; k < y.Shape[2]; k++)
                {
                    int[] at = [i, j, k];
                    at[axis] = indices[at[axis]];
                    Assert.Equal(x[at], y[i, j, k]);
                }
        Check(a => a[0].IndexSelect(axis, indices), x);
        // On a strided view (a transpose) too.
        Check(a => a[0].Transpose(0, 2).IndexSelect(axis, indices), x);
    }

    [Fact]
    public void IndexAddAddsIntoTheChosenSlicesAndIsTheAdjointOfIndexSelect()
    {
        var x = Normal(2, 3, 5);
        var s = Normal(3, 3, 4);
        int[] indices = [4, 1, 4, 0];
        var z = x.IndexAdd(1, indices, s);
        var expected = x.ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) expected[i * 5 + indices[j]] += s[i, j];
        Assert.Equal(expected, z.ToArray());
        Check(a => a[0].IndexAdd(1, indices, a[1]), x, s);
        // ⟨index_select(x), u⟩ = ⟨x, index_add(0, u)⟩.
        var u = Normal(4, 3, 4);
        double left = (x.IndexSelect(1, indices) * u).Sum().Item();
        double right = (x * MtlTensor.Zeros<double>(3, 5).IndexAdd(1, indices, u)).Sum().Item();
        Assert.Equal(left, right, 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void GatherMatchesTheLoopAndItsGradientIsAScatterAdd(int axis)
    {
        var x = Normal(5, 3, 4, 5);
        // An index shorter than x on the other axes (PyTorch allows it) and longer on the gathered one.
        int[] shape = [2, 3, 4];
        shape[axis] = 6;
        var index = Indices(6, x.Shape[axis], shape);
        var y = x.Gather(axis, index);
        Assert.Equal(shape, y.Shape.ToArray());
        for (int i = 0; i < shape[0]; i++)
            for (int j = 0; j < shape[1]; j++)
                for (int k = 0; k < shape[2]; k++)
                {
                    int[] at = [i, j, k];
                    at[axis] = index[i, j, k];
                    Assert.Equal(x[at], y[i, j, k]);
                }
        Check(a => a[0].Gather(axis, index), x);
        Assert.Equal(y.ToArray(), x.Gather(axis, index.ToArray(), shape).ToArray());
        Check(a => a[0].Permute(2, 0, 1).Permute(1, 2, 0).Gather(axis, index), x);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ScatterAddMatchesTheLoopAndItsGradients(int axis)
    {
        var x = Normal(7, 4, 5);
        var source = Normal(8, 5, 6); // larger than the index: only its leading part is read
        int[] shape = [3, 3];
        shape[axis] = 5;
        var index = Indices(9, x.Shape[axis], shape);
        var z = x.ScatterAdd(axis, index, source);
        var expected = x.ToArray();
        for (int i = 0; i < shape[0]; i++)
            for (int j = 0; j < shape[1]; j++)
            {
                int[] at = [i, j];
                at[axis] = index[i, j];
                expected[at[0] * 5 + at[1]] += source[i, j];
            }
        Assert.Equal(expected, z.ToArray(), (p, q) => Math.Abs(p - q) < 1e-14);
        Check(a => a[0].ScatterAdd(axis, index, a[1]), x, source);
        // ⟨gather(x), u⟩ = ⟨x, scatter_add(0, u)⟩.
        var u = Normal(10, shape);
        double left = (x.Gather(axis, index) * u).Sum().Item();
        double right = (x * MtlTensor.Zeros<double>(4, 5).ScatterAdd(axis, index, u)).Sum().Item();
        Assert.Equal(left, right, 12);
    }

    [Fact]
    public void BadIndicesAreRefusedWithTheirValue()
    {
        var x = Normal(11, 3, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(1, [0, 4]));
        Assert.Contains("index 4", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, [-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(0, MtlTensor.FromArray([3], 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(1, MtlTensor.FromArray([-1], 1, 1)));
        Assert.Throws<ArgumentException>(() => x.Gather(1, MtlTensor.FromArray([0], 1)));          // rank
        Assert.Throws<ArgumentException>(() => x.Gather(1, MtlTensor.Zeros<int>(4, 1)));           // longer on axis 0
        Assert.Throws<ArgumentException>(() => x.ScatterAdd(1, MtlTensor.Zeros<int>(3, 2), Normal(12, 3, 1)));
        Assert.Throws<ArgumentException>(() => x.IndexAdd(1, [0, 1], Normal(13, 3, 3)));
    }

    public static TheoryData<int, bool, double, bool> CrossEntropyCases => new()
    {
        { 1, false, 0.0, false }, { 2, true, 0.0, false }, { 3, false, 0.3, false }, { 4, true, 0.15, true }, { 5, false, 0.0, true },
    };

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropyFusedComposedAndDenseAgree(int seed, bool classWeights, double smoothing, bool sampleWeights)
    {
        const int n = 7, classes = 5;
        var random = new TensorRandom((ulong)seed);
        var labels = random.Integers([n], -1, classes).ToArray(); // −1: missing
        double[] w = classWeights ? random.Uniform([classes], 0.2, 2.0).ToArray() : [];
        double[] s = sampleWeights ? random.Uniform([n], 0.5, 1.5).ToArray() : [];
        var logits = Normal((ulong)seed + 100, n, classes) * 3.0;
        // The public path (the fused host pass), the composed form on gather, and the dense textbook form.
        Func<MtlTensor<double>, MtlTensor<double>>[] forms =
        [
            z => Losses.CrossEntropy(z, labels, w, smoothing, s),
            z => Losses.IndexedCrossEntropy<double>(z, labels, w, smoothing, s),
            z => Losses.DenseCrossEntropy<double>(z, labels, w, smoothing, s),
        ];
        var values = new double[forms.Length];
        var grads = new double[forms.Length][];
        for (int f = 0; f < forms.Length; f++)
        {
            var z = logits.Clone();
            z.RequiresGrad = true;
            var loss = forms[f](z);
            values[f] = loss.Item();
            loss.Backward();
            grads[f] = z.Grad!.ToArray();
        }
        for (int f = 1; f < forms.Length; f++)
        {
            Assert.Equal(values[f], values[0], 13);
            for (int i = 0; i < grads[0].Length; i++) Assert.True(Math.Abs(grads[f][i] - grads[0][i]) < 1e-14, $"form {f}, gradient {i}: {grads[f][i]} vs {grads[0][i]}");
        }
        Check(a => Losses.CrossEntropy(a[0], labels, w, smoothing, s), logits);
        Check(a => Losses.IndexedCrossEntropy<double>(a[0], labels, w, smoothing, s), logits);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 7)]
    [InlineData(17, 33)]
    [InlineData(40, 3)]
    public void FusedCrossEntropyEqualsTheDenseFormOverOddShapesAndLargeLogits(int n, int classes)
    {
        var random = new TensorRandom((ulong)(n * 100 + classes));
        var labels = random.Integers([n], -1, classes).ToArray();
        labels[0] = classes - 1; // at least one row counts
        var w = random.Uniform([classes], 0.5, 2.0).ToArray();
        foreach (double scale in new[] { 1.0, 80.0 }) // 80: exp would overflow without the max shift
        {
            var logits = Normal((ulong)n, n, classes) * scale;
            var fast = logits.Clone();
            var dense = logits.Clone();
            fast.RequiresGrad = true;
            dense.RequiresGrad = true;
            var a = Losses.CrossEntropy(fast, labels, w, 0.05);
            var b = Losses.DenseCrossEntropy<double>(dense, labels, w, 0.05, default);
            Assert.True(double.IsFinite(a.Item()));
            Assert.Equal(b.Item(), a.Item(), 1e-12 * Math.Max(1, Math.Abs(b.Item())));
            a.Backward();
            b.Backward();
            var ga = fast.Grad!.ToArray();
            var gb = dense.Grad!.ToArray();
            for (int i = 0; i < ga.Length; i++) Assert.True(Math.Abs(ga[i] - gb[i]) < 1e-14, $"scale {scale}, gradient {i}: {ga[i]} vs {gb[i]}");
        }
    }

    [Fact]
    public void FusedCrossEntropyReadsStridedLogitsAndIgnoresAllMissingRows()
    {
        var logits = Normal(40, 6, 9);
        int[] labels = [2, 0, 5, -1, 1, 3];
        var transposed = logits.Transpose().Contiguous().Transpose(); // the same values with column-major strides
        Assert.Equal(Losses.CrossEntropy(logits, labels, labelSmoothing: 0.1).Item(), Losses.CrossEntropy(transposed, labels, labelSmoothing: 0.1).Item(), 14);
        var z = logits.Clone();
        z.RequiresGrad = true;
        var none = Losses.CrossEntropy(z, [-1, -1, -1, -1, -1, -1]);
        Assert.Equal(0.0, none.Item());
        none.Backward();
        Assert.All(z.Grad!.ToArray(), g => Assert.Equal(0.0, g));
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy(logits, [0, 0, 9, 0, 0, 0]));
    }

    [Fact]
    public void CrossEntropyInFloatAgreesWithDouble()
    {
        var z = Normal(30, 6, 4);
        int[] labels = [3, 0, -1, 2, 2, 1];
        double expected = Losses.CrossEntropy(z, labels, [1.0, 0.5, 2.0, 1.0], 0.1).Item();
        var zf = MtlTensor.FromArray(z.ToArray().Select(v => (float)v).ToArray(), 6, 4);
        Assert.Equal(expected, Losses.CrossEntropy(zf, labels, [1f, 0.5f, 2f, 1f], 0.1).Item(), 5);
    }
}
