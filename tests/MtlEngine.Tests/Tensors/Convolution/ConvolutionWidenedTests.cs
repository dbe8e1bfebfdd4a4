using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Tensors;

// The direct convolution on widened rows (stride 1, rows not whole vectors; AVX-512, or AVX2 with 256-bit runs): forward against the textbook
// convolution, the input gradient against its definition, both against im2col + GEMM, over odd shapes, on 1, 2 and 3
// threads with the same bits; GradCheck through the layer where it takes the widened path; which geometries it takes.
public class ConvolutionWidenedTests
{
    /// <summary>(N, C, H, W, O, kh, kw, ph, pw, dh, dw, groups).</summary>
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 3, 1, 28, 28, 6, 5, 5, 2, 2, 1, 1, 1 },    // LeNet's first layer: Wo = 28 → 32
        new[] { 2, 6, 14, 14, 16, 5, 5, 0, 0, 1, 1, 1 },   // LeNet's second: Wo = 10 → 16, input gradient W = 14 → 16; 16 outputs (12 + 4)
        new[] { 2, 4, 6, 11, 6, 3, 3, 1, 2, 2, 2, 2 },     // dilation 2, groups 2, padding (1, 2), Wo = 11
        new[] { 1, 3, 5, 13, 15, 2, 3, 0, 1, 1, 1, 3 },    // groups 3 of 5 outputs, non-square 2×3 kernel, Wo = 13
        new[] { 2, 2, 4, 9, 3, 3, 3, 3, 1, 1, 1, 1 },      // padding 3 > (kh − 1)·dh: the input gradient crops the upstream rows; Wo = 9
        new[] { 2, 17, 3, 26, 20, 3, 3, 1, 1, 1, 1, 1 },   // 17 channels, 20 outputs (12 + 8), Wo = 26 → 32
        new[] { 2, 2, 5, 3, 4, 3, 3, 1, 1, 1, 1, 1 },      // Wo = 3: rows much narrower than a vector (copied out one by one)
    };

    [VectorConvolutionTheory]
    [MemberData(nameof(Shapes))]
    public void WidenedEqualsTheTextbookConvolutionAndIm2ColGemmInDouble(int[] shape) => Check<double>(shape, 1e-12);

    [VectorConvolutionTheory]
    [MemberData(nameof(Shapes))]
    public void WidenedEqualsTheTextbookConvolutionAndIm2ColGemmInFloat(int[] shape) => Check<float>(shape, 2e-5);

    [Fact]
    public void GradientsThroughTheWidenedPathMatchFiniteDifferences()
    {
        // Wo = W = 7 of a vector of 8 doubles: the layer's forward pass and input gradient take the widened rows (with AVX-512).
        var settings = new Conv2dSettings(1, 1, 1, 1, 1, 1, 2);
        var geometry = settings.Geometry([2, 4, 5, 7], [6, 2, 3, 3]);
        Assert.Equal(DirectConvolution.IsAvailable<double>(), Conv2dWidened.Chosen<double>(Conv2dAlgorithm.Auto, geometry));
        Assert.Equal(DirectConvolution.IsAvailable<double>(), Conv2dWidened.Chosen<double>(Conv2dAlgorithm.Auto, geometry, inputGradient: true));
        var random = new TensorRandom(80);
        var result = GradCheck.Check(p => p[0].Conv2d(p[1], p[2], padding: (1, 1), groups: 2),
            [random.Normal([2, 4, 5, 7], 0.0, 1.0), random.Normal([6, 2, 3, 3], 0.0, 1.0), random.Normal([6], 0.0, 1.0)]);
        Assert.True(result.Passed, result.Message);
    }

    [VectorConvolutionFact]
    public void AutoWidensRowsAtLeastFiveEighthsFullOnly()
    {
        Assert.True(DirectConvolution.IsAvailable<float>());
        ConvolutionGeometry Geometry(int height, int width, int pad, int kernel) => new Conv2dSettings(1, 1, pad, pad, 1, 1, 1).Geometry([1, 1, height, width], [1, 1, kernel, kernel]);
        Assert.True(Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Auto, Geometry(28, 28, 2, 5)));          // 28 of 32
        Assert.True(Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Auto, Geometry(14, 14, 0, 5)));          // 10 of 16
        Assert.True(Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Auto, Geometry(14, 14, 0, 5), inputGradient: true)); // 14 of 16
        // 7 of 16 with AVX-512; 7 of 8 with AVX2 (its 256-bit runs), full enough.
        Assert.Equal(DirectConvolution.RunLength<float>() == 8, Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Auto, Geometry(9, 9, 0, 3)));
        Assert.False(Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Auto, Geometry(16, 16, 1, 3)));         // whole runs: the direct path proper
        Assert.False(Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Im2Col, Geometry(28, 28, 2, 5)));
        var strided = new Conv2dSettings(2, 2, 1, 1, 1, 1, 1).Geometry([1, 1, 28, 28], [1, 1, 3, 3]);
        Assert.False(Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Auto, strided));
        var e = Assert.Throws<ArgumentException>(() => Conv2dWidened.Chosen<float>(Conv2dAlgorithm.Widened, strided));
        Assert.Contains("stride 1", e.Message);
        // Forced, the direct convolution proper does not take a geometry of whole runs from it.
        Assert.False(Conv2dDirect.Chosen<float>(Conv2dAlgorithm.Widened, Geometry(16, 16, 1, 3)));
    }

    [VectorConvolutionFact]
    public void ANonFiniteInputChangesOnlyTheOutputsWhoseWindowsHoldIt()
    {
        Assert.True(DirectConvolution.IsAvailable<float>());
        // The last column of the image is read by the spare lanes past Wo = 28 (dropped) and by the windows of the last three columns.
        var settings = new Conv2dSettings(1, 1, 2, 2, 1, 1, 1);
        var random = new TensorRandom(81);
        var values = random.Normal([1, 1, 28, 28], 0f, 1f).ToArray();
        values[5 * 28 + 27] = float.PositiveInfinity;
        values[9 * 28 + 26] = float.NaN;
        var x = MtlTensor.FromArray(values, [1, 1, 28, 28]);
        var w = random.Normal([6, 1, 5, 5], 0f, 1f);
        var y = Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Widened).ToArray();
        var expected = new float[y.Length];
        ConvolutionReference.Conv2d<float>(values, w.ToArray(), default, expected, 1, 6, 1, settings.Geometry(x.Shape, w.Shape));
        for (int i = 0; i < y.Length; i++)
        {
            if (!float.IsFinite(expected[i])) Assert.True(!float.IsFinite(y[i]), $"element {i}: expected {expected[i]}, got {y[i]}");
            else Assert.True(Math.Abs(expected[i] - y[i]) <= 2e-5 * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {y[i]:R}");
        }
    }

    [Theory]
    [InlineData(5, 16, 10)]
    [InlineData(4, 32, 28)]
    [InlineData(3, 16, 3)]   // narrower than half a row: most rows copied exactly
    [InlineData(1, 16, 16)]
    public void CopyRowsKeepsTheFirstColumnsAndWritesNothingPastTheOutput(int rows, int wideWidth, int width)
    {
        CopyRowsByDefinition<float, NativeVectors>(rows, wideWidth, width);
        CopyRowsByDefinition<float, Avx2Vectors>(rows, wideWidth, width);
    }

    /// <summary>
    /// Both vector paths (the 256-bit one, which production runs only without AVX-512, here too), float and double, every
    /// width up to the wide rows' (every tail of the exact rows, every overhang of the vector rows).
    /// </summary>
    [Fact]
    public void CopyRowsOnBothPathsFollowsItsDefinitionForEveryWidth()
    {
        foreach (int rows in new[] { 1, 2, 5 })
            foreach (int wideWidth in new[] { 16, 32, 48 })
                for (int width = 1; width <= wideWidth; width++)
                {
                    CopyRowsByDefinition<float, NativeVectors>(rows, wideWidth, width);
                    CopyRowsByDefinition<float, Avx2Vectors>(rows, wideWidth, width);
                    CopyRowsByDefinition<double, NativeVectors>(rows, wideWidth, width);
                    CopyRowsByDefinition<double, Avx2Vectors>(rows, wideWidth, width);
                }
        Assert.Throws<ArgumentException>(() => CopyRowsByDefinition<float, Avx2Vectors>(2, 12, 5)); // not whole 256-bit vectors
    }

    /// <summary>output[r·width + j] = wide[r·wideWidth + j] for j &lt; width, r &lt; rows, and nothing after the output written.</summary>
    private static void CopyRowsByDefinition<T, TPath>(int rows, int wideWidth, int width)
        where T : unmanaged, INumber<T>
        where TPath : struct, IVectorPath
    {
        var wide = Enumerable.Range(0, rows * wideWidth).Select(i => T.CreateChecked(i)).ToArray();
        var output = Enumerable.Repeat(-T.One, rows * width + 40).ToArray();
        Conv2dWidened.CopyRows<T, TPath>(wide, wideWidth, output.AsSpan(0, rows * width), width, rows);
        string what = $"{typeof(T).Name} {typeof(TPath).Name} rows={rows} wideWidth={wideWidth} width={width}";
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) Assert.True(wide[r * wideWidth + j] == output[r * width + j], $"{what}: output[{r}, {j}]");
        for (int i = rows * width; i < output.Length; i++) Assert.True(output[i] == -T.One, $"{what}: output[{i}] past the output was written");
    }

    private static void Check<T>(int[] shape, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(DirectConvolution.IsAvailable<T>()); // the callers skip where the vector kernels cannot run
        int n = shape[0], c = shape[1], h = shape[2], width = shape[3], o = shape[4], kh = shape[5], kw = shape[6];
        var settings = new Conv2dSettings(1, 1, shape[7], shape[8], shape[9], shape[10], shape[11]);
        int groups = settings.Groups;
        var random = new TensorRandom(82);
        var x = random.Normal([n, c, h, width], T.Zero, T.One);
        var w = random.Normal([o, c / groups, kh, kw], T.Zero, T.One);
        var b = random.Normal([o], T.Zero, T.One);
        var g = settings.Geometry(x.Shape, w.Shape);
        var dy = random.Normal([n, o, g.OutHeight, g.OutWidth], T.Zero, T.One);
        var expected = MtlTensor.Zeros<T>([n, o, g.OutHeight, g.OutWidth]);
        ConvolutionReference.Conv2d<T>(x.ToArray(), w.ToArray(), b.ToArray(), expected.AsSpan(), n, o, groups, g);
        var expectedDx = InputGradientByDefinition(dy.ToArray(), x.Shape.ToArray(), w.ToArray(), w.Shape.ToArray(), settings);
        T[]? firstY = null, firstDx = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            var y = Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Widened);
            AssertClose(expected, y, tolerance);
            AssertClose(Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Im2Col),
                Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Widened), tolerance);
            var dx = Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Widened);
            var actual = dx.ToArray();
            for (int i = 0; i < expectedDx.Length; i++)
            {
                double value = double.CreateChecked(actual[i]);
                Assert.True(Math.Abs(expectedDx[i] - value) <= tolerance * 10 * (1 + Math.Abs(expectedDx[i])), $"dx element {i}: expected {expectedDx[i]:R}, got {value:R}");
            }
            AssertClose(Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Im2Col), dx, tolerance * 10);
            // Each sample is computed by one thread in a fixed order: the same bits on any thread count.
            firstY ??= y.ToArray();
            firstDx ??= actual;
            Assert.Equal(firstY, y.ToArray());
            Assert.Equal(firstDx, actual);
        }
    }

    /// <summary>dx[n, c, h, v] = Σ_{o, ki, kj} dY[n, o, i, j]·w[o, c − group·Cg, ki, kj] over i·sh − ph + ki·dh = h, j·sw − pw + kj·dw = v, in double.</summary>
    private static double[] InputGradientByDefinition<T>(T[] dy, int[] inputShape, T[] w, int[] weightShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        int batch = inputShape[0], channels = inputShape[1], height = inputShape[2], width = inputShape[3];
        int outChannels = weightShape[0], cg = weightShape[1], kh = weightShape[2], kw = weightShape[3], og = outChannels / s.Groups;
        var g = s.Geometry(inputShape, weightShape);
        var dx = new double[batch * channels * height * width];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int c = 0; c < cg; c++)
                    for (int ki = 0; ki < kh; ki++)
                        for (int kj = 0; kj < kw; kj++)
                            for (int i = 0; i < g.OutHeight; i++)
                                for (int j = 0; j < g.OutWidth; j++)
                                {
                                    int hh = i * s.StrideHeight - s.PadHeight + ki * s.DilationHeight, v = j * s.StrideWidth - s.PadWidth + kj * s.DilationWidth;
                                    if (hh < 0 || hh >= height || v < 0 || v >= width) continue;
                                    int channel = o / og * cg + c;
                                    dx[((n * channels + channel) * height + hh) * width + v] += double.CreateChecked(dy[((n * outChannels + o) * g.OutHeight + i) * g.OutWidth + j]) *
                                        double.CreateChecked(w[((o * cg + c) * kh + ki) * kw + kj]);
                                }
        return dx;
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
