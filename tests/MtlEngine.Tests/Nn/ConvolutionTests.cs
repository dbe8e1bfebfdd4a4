using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

// Convolution and pooling: the im2col + GEMM path against the textbook direct convolution, and every gradient
// against central finite differences in double precision, over odd shapes.
public class ConvolutionTests
{
    /// <summary>(N, C, H, W, O, kh, kw, stride, padding, dilation, groups).</summary>
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 1, 5, 5, 1, 3, 3, 1, 0, 1, 1 },     // batch 1, one channel
        new[] { 2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1 },     // padding 1, non-square image
        new[] { 3, 5, 9, 8, 7, 3, 2, 2, 1, 1, 1 },     // stride 2, non-square kernel, odd channels
        new[] { 2, 4, 9, 9, 6, 3, 3, 1, 2, 2, 2 },     // dilation 2, groups 2
        new[] { 2, 6, 6, 7, 9, 2, 3, 2, 0, 1, 3 },     // groups 3, stride 2
        new[] { 2, 6, 5, 4, 4, 1, 1, 1, 0, 1, 2 },     // pointwise (no im2col), groups 2
        new[] { 1, 17, 4, 5, 3, 1, 2, 1, 0, 1, 1 },    // 17 channels (not a multiple of a vector), 1×2 kernel
        new[] { 4, 2, 3, 11, 5, 3, 1, 3, 1, 1, 1 },    // stride 3, tall kernel, more samples than threads
    };

    private static (int, int, int, int, int, int, int, int, int, int, int) Unpack(int[] s) =>
        (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]);

    private static MtlTensor<T> Normal<T>(ulong seed, params int[] shape) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        new TensorRandom(seed).Normal(shape, T.Zero, T.One);

    private static void AssertClose<T>(MtlTensor<T> expected, MtlTensor<T> actual, double tolerance) where T : unmanaged, System.Numerics.INumber<T>
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray();
        var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
        {
            double x = double.CreateChecked(e[i]), y = double.CreateChecked(a[i]);
            Assert.True(Math.Abs(x - y) <= tolerance * (1 + Math.Abs(x)), $"element {i}: expected {x:R}, got {y:R}");
        }
    }

    private static MtlTensor<T> Direct<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, int stride, int padding, int dilation, int groups)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        var g = new ConvolutionGeometry(x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[2], w.Shape[3], stride, stride, padding, padding, dilation, dilation);
        var y = MtlTensor.Zeros<T>(x.Shape[0], w.Shape[0], g.OutHeight, g.OutWidth);
        ConvolutionReference.Conv2d<T>(x.ToArray(), w.ToArray(), b is null ? default : b.ToArray(), y.AsSpan(), x.Shape[0], w.Shape[0], groups, g);
        return y;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Im2ColGemmEqualsDirectConvolution(int[] shape)
    {
        var (n, c, h, w, o, kh, kw, stride, padding, dilation, groups) = Unpack(shape);
        var x = Normal<float>(1, n, c, h, w);
        var weight = Normal<float>(2, o, c / groups, kh, kw);
        var bias = Normal<float>(3, o);
        foreach (int threads in new[] { 1, 3 })
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            AssertClose(Direct(x, weight, bias, stride, padding, dilation, groups),
                x.Conv2d(weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups), 1e-5);
            AssertClose(Direct(x, weight, null, stride, padding, dilation, groups),
                x.Conv2d(weight, null, (stride, stride), (padding, padding), (dilation, dilation), groups), 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OneSampleChunksEqualWholeBatchChunks(int[] shape)
    {
        // The driver's two layouts: every sample its own chunk (written and read in place) and all samples side by side.
        var (n, c, h, w, o, kh, kw, stride, padding, dilation, groups) = Unpack(shape);
        var settings = new Conv2dSettings(stride, stride, padding, padding, dilation, dilation, groups);
        var x = Normal<double>(30, n, c, h, w);
        var weight = Normal<double>(31, o, c / groups, kh, kw);
        var bias = Normal<double>(32, o);
        using var _ = TensorParallelism.Use(new Parallelism(1));
        var y = Conv2dDriver.Forward(x, weight, bias, settings, chunkElements: long.MaxValue);
        AssertClose(y, Conv2dDriver.Forward(x, weight, bias, settings, chunkElements: 1), 1e-12);
        var dy = Normal<double>(33, y.Shape.ToArray());
        AssertClose(Conv2dDriver.InputGradient(dy, weight, x.Shape, settings, long.MaxValue), Conv2dDriver.InputGradient(dy, weight, x.Shape, settings, 1), 1e-12);
        AssertClose(Conv2dDriver.WeightGradient(dy, x, weight.Shape, settings, long.MaxValue), Conv2dDriver.WeightGradient(dy, x, weight.Shape, settings, 1), 1e-12);
    }

    [Fact]
    public void StridedViewsAreReadAsTheirValues()
    {
        // A permuted input and a sliced weight give the same result as their contiguous copies.
        var x = Normal<double>(4, 3, 2, 7, 6).Permute(1, 0, 2, 3);
        var weight = Normal<double>(5, 4, 3, 3, 5).Slice(3, 1, 4);
        AssertClose(x.Contiguous().Conv2d(weight.Contiguous(), padding: (1, 1)), x.Conv2d(weight, padding: (1, 1)), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv2dGradientsMatchFiniteDifferences(int[] shape)
    {
        var (n, c, h, w, o, kh, kw, stride, padding, dilation, groups) = Unpack(shape);
        var result = GradCheck.Check(p => p[0].Conv2d(p[1], p[2], (stride, stride), (padding, padding), (dilation, dilation), groups),
            [Normal<double>(6, n, c, h, w), Normal<double>(7, o, c / groups, kh, kw), Normal<double>(8, o)]);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void Conv2dGradientsWithMixedStridesAndPaddingsOnTwoThreads()
    {
        using var _ = TensorParallelism.Use(new Parallelism(2));
        var result = GradCheck.Check(p => p[0].Conv2d(p[1], null, (2, 1), (0, 2), (1, 2), 1),
            [Normal<double>(9, 3, 2, 6, 5), Normal<double>(10, 3, 2, 3, 2)]);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void Conv1dGradientsMatchFiniteDifferences()
    {
        var result = GradCheck.Check(p => p[0].Conv1d(p[1], p[2], stride: 2, padding: 1, dilation: 2, groups: 2),
            [Normal<double>(11, 2, 4, 9), Normal<double>(12, 6, 2, 3), Normal<double>(13, 6)]);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void Conv1dEqualsConv2dOfAOneRowImage()
    {
        var x = Normal<double>(14, 2, 3, 10);
        var w = Normal<double>(15, 5, 3, 4);
        var expected = Direct(x.Unsqueeze(2), w.Unsqueeze(2), null, 1, 0, 1, 1).Squeeze(2);
        AssertClose(expected, x.Conv1d(w), 1e-12);
    }

    [Theory]
    [InlineData(2, 2, 0, 2, 3, 7, 6)]   // the common 2×2 / 2
    [InlineData(3, 2, 1, 1, 2, 7, 8)]   // overlapping windows, padding
    [InlineData(3, 3, 1, 2, 1, 5, 9)]   // padding 1 of 3×3, batch 2
    public void PoolGradientsMatchFiniteDifferences(int k, int stride, int padding, int n, int c, int h, int w)
    {
        var x = Normal<double>(16, n, c, h, w);
        var max = GradCheck.Check(p => p[0].MaxPool2d((k, k), (stride, stride), (padding, padding)), [x]);
        Assert.True(max.Passed, max.Message);
        var average = GradCheck.Check(p => p[0].AvgPool2d((k, k), (stride, stride), (padding, padding)), [x]);
        Assert.True(average.Passed, average.Message);
        var excluded = GradCheck.Check(p => p[0].AvgPool2d((k, k), (stride, stride), (padding, padding), countIncludePad: false), [x]);
        Assert.True(excluded.Passed, excluded.Message);
        var adaptive = GradCheck.Check(p => p[0].AdaptiveAvgPool2d((3, 4)), [x]);
        Assert.True(adaptive.Passed, adaptive.Message);
    }

    [Fact]
    public void MaxPoolSendsTheGradientToTheFirstOfTiedMaxima()
    {
        // One 2×2 window of four equal values: PyTorch's argmax is the first in row-major order.
        var x = MtlTensor.Full([1, 1, 2, 2], 3.0);
        x.RequiresGrad = true;
        x.MaxPool2d((2, 2)).Sum().Backward();
        Assert.Equal([1.0, 0, 0, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void MaxPoolPropagatesNaNAndKeepsTheFirstSignedZeroAsPyTorch()
    {
        // PyTorch 1.13: max_pool2d([[1, nan], [3, nan]]) = nan with the gradient on the last NaN;
        // max_pool2d([[-0, 0], [0, -0]]) = -0 (index 0: a strict comparison keeps the first of equal values).
        var x = MtlTensor.FromArray(new[] { 1.0, double.NaN, 3.0, double.NaN }, 1, 1, 2, 2);
        x.RequiresGrad = true;
        var y = x.MaxPool2d((2, 2));
        Assert.True(double.IsNaN(y.Item()));
        y.Sum().Backward();
        Assert.Equal([0.0, 0, 0, 1], x.Grad!.ToArray());
        var zeros = MtlTensor.FromArray(new[] { -0.0, 0.0, 0.0, -0.0 }, 1, 1, 2, 2).MaxPool2d((2, 2));
        Assert.True(double.IsNegative(zeros.Item()));
    }

    [Fact]
    public void AveragePoolDivisorsFollowPyTorch()
    {
        // 1×1×3×3 of ones, 3×3 windows, stride 2, padding 1: output 2×2; every window holds 4 ones of the image.
        var ones = MtlTensor.Ones<double>(1, 1, 3, 3);
        Assert.Equal([4 / 9.0, 4 / 9.0, 4 / 9.0, 4 / 9.0], ones.AvgPool2d((3, 3), (2, 2), (1, 1)).ToArray());
        Assert.Equal([1.0, 1, 1, 1], ones.AvgPool2d((3, 3), (2, 2), (1, 1), countIncludePad: false).ToArray());
    }

    [Fact]
    public void AdaptiveWindowsOverlapAsInPyTorch()
    {
        // H = 5 → 3 rows: windows [0, 2), [1, 4), [3, 5).
        var x = MtlTensor.FromArray(new double[] { 1, 2, 3, 4, 5 }, 1, 1, 5, 1);
        Assert.Equal([1.5, 3, 4.5], x.AdaptiveAvgPool2d((3, 1)).ToArray());
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheForwardBits()
    {
        var x = Normal<float>(17, 5, 3, 9, 9);
        var w = Normal<float>(18, 4, 3, 3, 3);
        float[] one, three;
        using (TensorParallelism.Use(new Parallelism(1))) one = x.Conv2d(w, padding: (1, 1)).ToArray();
        using (TensorParallelism.Use(new Parallelism(3))) three = x.Conv2d(w, padding: (1, 1)).ToArray();
        Assert.Equal(one, three);
    }

    [Fact]
    public void WeightGradientIsTheSameOnOneAndThreeThreads()
    {
        float[] Run(int threads)
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            var x = Normal<float>(19, 7, 3, 8, 8);
            var w = Normal<float>(20, 4, 3, 3, 3);
            w.RequiresGrad = true;
            x.Conv2d(w, padding: (1, 1)).Square().Sum().Backward();
            return w.Grad!.ToArray();
        }
        var one = Run(1);
        var three = Run(3);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], three[i], 1e-3f * (1 + Math.Abs(one[i])));
    }

    [Fact]
    public void WrongShapesAreRefusedWithTheirSizes()
    {
        var x = Normal<float>(21, 2, 3, 5, 5);
        var e = Assert.Throws<ArgumentException>(() => x.Conv2d(Normal<float>(22, 4, 2, 3, 3)));
        Assert.Contains("(4, 2, 3, 3)", e.Message);
        Assert.Throws<ArgumentException>(() => x.Conv2d(Normal<float>(23, 4, 3, 7, 7)));
        Assert.Throws<ArgumentException>(() => x.Conv2d(Normal<float>(24, 4, 3, 3, 3), Normal<float>(25, 3)));
        Assert.Throws<ArgumentException>(() => x.Conv2d(Normal<float>(26, 4, 1, 3, 3), groups: 3)); // 4 outputs not divisible by 3
        Assert.Throws<ArgumentException>(() => x.MaxPool2d((2, 2), padding: (2, 2)));
        Assert.Throws<ArgumentException>(() => Normal<float>(27, 5, 5).MaxPool2d((2, 2)));
    }

    [Fact]
    public void ModulesHavePyTorchsNamesShapesAndInitBounds()
    {
        var conv = new Conv2d<float>(6, 8, (3, 2), new TensorRandom(1), groups: 2);
        Assert.Equal(["weight", "bias"], conv.NamedParameters().Select(p => p.Key));
        Assert.Equal([8, 3, 3, 2], conv.Weight.Shape.ToArray());
        float bound = 1 / MathF.Sqrt(3 * 3 * 2);
        Assert.All(conv.Weight.ToArray().Concat(conv.Bias!.ToArray()), v => Assert.InRange(v, -bound, bound));
        Assert.True(conv.Weight.ToArray().Max() > 0.8f * bound); // drawn over the whole range, not a narrower one

        var conv1 = new Conv1d<float>(4, 5, 3, new TensorRandom(2), bias: false);
        Assert.Equal(["weight"], conv1.NamedParameters().Select(p => p.Key));
        Assert.Equal([2, 5, 8], conv1.Forward(Normal<float>(3, 2, 4, 10)).Shape.ToArray());

        var net = new Sequential<float>(new Conv2d<float>(1, 2, (3, 3), new TensorRandom(3), padding: (1, 1)), new MaxPool2d<float>(2),
            new AvgPool2d<float>(1), new AdaptiveAvgPool2d<float>((2, 2)), new Flatten<float>(), new Unflatten<float>(1, 2, -1));
        Assert.Equal([3, 2, 4], net.Forward(Normal<float>(4, 3, 1, 9, 8)).Shape.ToArray());
        Assert.Equal([3, 20], new Flatten<float>().Forward(Normal<float>(5, 3, 4, 5)).Shape.ToArray());
        Assert.Equal([60], new Flatten<float>(0).Forward(Normal<float>(5, 3, 4, 5)).Shape.ToArray());
    }

    [Fact]
    public void ATrainingStepInAnArenaReusesItsBuffers()
    {
        var random = new TensorRandom(5);
        var net = new Sequential<float>(new Conv2d<float>(1, 3, (3, 3), random, padding: (1, 1)), new ReLU<float>(), new MaxPool2d<float>(2),
            new Flatten<float>(), new Linear<float>(3 * 4 * 4, 4, random));
        var x = Normal<float>(6, 8, 1, 8, 8);
        int[] labels = [0, 1, 2, 3, 0, 1, 2, 3];
        var arena = new TensorArena();
        float Step()
        {
            using var _ = arena.Step();
            var loss = Losses.CrossEntropy(net.Forward(x), labels);
            net.ZeroGrad();
            loss.Backward();
            return loss.Item();
        }
        float first = Step();
        long held = arena.HeldBytes;
        Assert.Equal(first, Step());
        Assert.Equal(held, arena.HeldBytes);
    }
}
