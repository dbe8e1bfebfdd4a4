using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Tensors;

// The direct convolution (stride 1, output rows of whole vectors; AVX-512) against the textbook convolution and against
// im2col + GEMM, forward and both gradients, over odd shapes; GradCheck through the layer where it takes the direct path.
public class ConvolutionDirectTests
{
    /// <summary>(N, C, H, W, O, kh, kw, ph, pw, dh, dw, groups) whose output rows are whole vectors of double (8) and float (16) where W allows.</summary>
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 3, 5, 8, 5, 3, 3, 1, 1, 1, 1, 1 },     // batch 1, 3 channels, Wo = 8: one run a row, rows 5 (a short tile)
        new[] { 2, 4, 6, 8, 6, 3, 3, 1, 2, 2, 2, 2 },     // dilation 2, groups 2, padding (1, 2), Wo = 8
        new[] { 3, 6, 4, 8, 9, 2, 3, 1, 1, 1, 1, 3 },     // groups 3, non-square 2×3 kernel, Ho = 5
        new[] { 2, 5, 3, 16, 13, 1, 3, 0, 1, 1, 1, 1 },   // 13 output channels (12 + 1), 1×3 kernel, Wo = 16, three rows (odd runs for float)
        new[] { 2, 17, 5, 16, 20, 3, 3, 1, 1, 1, 1, 1 },  // 17 channels (not a multiple of a vector), 20 outputs (12 + 8)
        new[] { 2, 3, 4, 8, 4, 3, 3, 3, 1, 1, 1, 1 },     // padding 3 > (kh − 1)·dh: the input gradient crops the upstream rows
        new[] { 1, 2, 3, 8, 3, 3, 3, 2, 1, 1, 1, 1 },     // padding 2 rows, Wo = 8, Ho = 5
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DirectEqualsTheTextbookConvolutionAndIm2ColGemmInDouble(int[] shape) => Check<double>(shape, 1e-12);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DirectEqualsTheTextbookConvolutionAndIm2ColGemmInFloat(int[] shape) => Check<float>(shape, 2e-5);

    [Fact]
    public void GradientsThroughTheDirectPathMatchFiniteDifferences()
    {
        // Wo = 8 = one vector of double: the layer takes the direct path (when the machine has AVX-512) for all three products.
        var settings = new Conv2dSettings(1, 1, 1, 1, 2, 1, 2);
        var geometry = settings.Geometry([2, 4, 6, 8], [6, 2, 3, 3]);
        Assert.Equal(8, geometry.OutWidth);
        Assert.Equal(DirectConvolution.IsAvailable<double>(), Conv2dDirect.Chosen<double>(Conv2dAlgorithm.Auto, geometry));
        var random = new TensorRandom(70);
        var result = GradCheck.Check(p => p[0].Conv2d(p[1], p[2], padding: (1, 1), dilation: (2, 1), groups: 2),
            [random.Normal([2, 4, 6, 8], 0.0, 1.0), random.Normal([6, 2, 3, 3], 0.0, 1.0), random.Normal([6], 0.0, 1.0)]);
        Assert.True(result.Passed, result.Message);
    }

    [Vector512Fact]
    public void TheBitsDoNotDependOnTheThreadCount()
    {
        Assert.True(DirectConvolution.IsAvailable<float>()); // the probe and the kernel agree on what this machine has
        var settings = new Conv2dSettings(1, 1, 1, 1, 1, 1, 1);
        var random = new TensorRandom(71);
        var x = random.Normal([5, 7, 6, 16], 0f, 1f);
        var w = random.Normal([10, 7, 3, 3], 0f, 1f);
        var b = random.Normal([10], 0f, 1f);
        var dy = random.Normal([5, 10, 6, 16], 0f, 1f);
        float[][] Run(int threads)
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            return [Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Direct).ToArray(),
                Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Direct).ToArray(),
                Conv2dDriver.WeightGradient(dy, x, w.Shape, settings, algorithm: Conv2dAlgorithm.Direct).ToArray()];
        }
        var one = Run(1);
        var three = Run(3);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], three[i]);
    }

    [Fact]
    public void AGeometryWithoutWholeRunsIsRefusedWhenForcedAndTakesIm2ColOtherwise()
    {
        var settings = new Conv2dSettings(2, 2, 1, 1, 1, 1, 1); // stride 2
        var x = new TensorRandom(72).Normal([1, 2, 8, 32], 0.0, 1.0);
        var w = new TensorRandom(73).Normal([3, 2, 3, 3], 0.0, 1.0);
        var e = Assert.Throws<ArgumentException>(() => Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Direct));
        Assert.Contains("stride 1", e.Message);
        Assert.False(Conv2dDirect.Chosen<double>(Conv2dAlgorithm.Auto, settings.Geometry(x.Shape, w.Shape)));
    }

    private static void Check<T>(int[] shape, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = shape[0], c = shape[1], h = shape[2], width = shape[3], o = shape[4], kh = shape[5], kw = shape[6];
        var settings = new Conv2dSettings(1, 1, shape[7], shape[8], shape[9], shape[10], shape[11]);
        int groups = settings.Groups;
        var random = new TensorRandom(60);
        var x = random.Normal([n, c, h, width], T.Zero, T.One);
        var w = random.Normal([o, c / groups, kh, kw], T.Zero, T.One);
        var b = random.Normal([o], T.Zero, T.One);
        var g = settings.Geometry(x.Shape, w.Shape);
        var dy = random.Normal([n, o, g.OutHeight, g.OutWidth], T.Zero, T.One);
        bool forward = DirectConvolution.Applies<T>(g), input = DirectConvolution.AppliesToInputGradient<T>(g);
        Assert.Equal(forward, Conv2dDirect.Chosen<T>(Conv2dAlgorithm.Auto, g));
        Assert.Equal(input, Conv2dDirect.Chosen<T>(Conv2dAlgorithm.Auto, g, inputGradient: true));
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            if (forward)
            {
                var y = Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Direct);
                var expected = MtlTensor.Zeros<T>(y.Shape.ToArray());
                ConvolutionReference.Conv2d<T>(x.ToArray(), w.ToArray(), b.ToArray(), expected.AsSpan(), n, o, groups, g);
                AssertClose(expected, y, tolerance);
                AssertClose(Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Im2Col),
                    Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Direct), tolerance);
                AssertClose(Conv2dDriver.WeightGradient(dy, x, w.Shape, settings, algorithm: Conv2dAlgorithm.Im2Col),
                    Conv2dDriver.WeightGradient(dy, x, w.Shape, settings, algorithm: Conv2dAlgorithm.Direct), tolerance * 10);
            }
            if (input)
                AssertClose(Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Im2Col),
                    Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Direct), tolerance);
        }
    }

    private static void AssertClose<T>(MtlTensor<T> expected, MtlTensor<T> actual, double tolerance) where T : unmanaged, INumber<T>
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
}
