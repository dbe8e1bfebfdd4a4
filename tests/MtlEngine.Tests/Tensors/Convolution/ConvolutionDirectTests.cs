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
        new[] { 2, 3, 9, 16, 70, 3, 3, 1, 1, 1, 1, 1 },   // 70 outputs: 4 + 1 vectors of float channels (9 rows: blocks of 8 + 1), 27 entries k (6·4 + 3)
        new[] { 1, 4, 4, 17, 36, 2, 2, 0, 0, 2, 1, 2 },   // groups 2 of 18 outputs, dilation (2, 1), 2×2 kernel: 8 entries k per group, Wo = 16
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

    [Vector512Theory] // the weight gradient's kernels are AVX-512 only
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)] // 6 blocks in 4 shares: one starts inside a group
    public void TheWeightGradientEqualsItsDefinition(int threads)
    {
        Assert.True(DirectConvolution.IsAvailable<float>(512)); // the probe and the kernel agree on what this machine has
        // 5 samples, 21 outputs (a vector + 5 of float, zero rows past them), groups 3 of 7, 8 entries k a group (6 + 2).
        var settings = new Conv2dSettings(1, 1, 1, 0, 1, 1, 3);
        var random = new TensorRandom(74);
        var x = random.Normal([5, 6, 3, 17], 0f, 1f);
        var w = random.Normal([21, 2, 2, 2], 0f, 1f);
        var g = settings.Geometry(x.Shape, w.Shape);
        var dy = random.Normal([5, 21, g.OutHeight, g.OutWidth], 0f, 1f);
        Assert.Equal(16, g.OutWidth);
        using var _ = TensorParallelism.Use(new Parallelism(threads));
        var whole = Conv2dDirect.WeightGradient(dy, x, w.Shape, settings).ToArray();
        var expected = WeightGradientByDefinition(x.ToArray(), x.Shape.ToArray(), dy.ToArray(), w.Shape.ToArray(), settings);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - whole[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {whole[i]:R}");
    }

    [Theory]
    [InlineData(37, 48, 48)]   // rows of float: two 16-blocks and 5 more; zero rows to the stride
    [InlineData(16, 20, 16)]   // one 16-block, 4 positions past the last 16
    [InlineData(3, 8, 16)]     // fewer rows than a vector
    public void TransposeUpstreamTransposesAndZeroesThePadding(int rows, int positions, int stride)
    {
        var source = Enumerable.Range(0, rows * positions).Select(i => (float)Math.Sin(i)).ToArray();
        var target = Enumerable.Repeat(float.NaN, positions * stride).ToArray();
        DirectConvolution.TransposeUpstream<float>(source, rows, positions, target, stride);
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < stride; i++) Assert.Equal(i < rows ? source[i * positions + p] : 0f, target[p * stride + i]);
        double[] doubles = source.Select(v => (double)v).ToArray(), transposed = new double[positions * stride];
        DirectConvolution.TransposeUpstream<double>(doubles, rows, positions, transposed, stride);
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < rows; i++) Assert.Equal(doubles[i * positions + p], transposed[p * stride + i]);
        Assert.Throws<ArgumentException>(() => DirectConvolution.TransposeUpstream<float>(source, rows, positions, target, rows - 1));
    }

    [Theory]
    [InlineData(3, 5, 16, 7, 18, 1, 1)]    // 3×3, padding 1: a zero ring
    [InlineData(2, 4, 19, 6, 21, 2, 2)]    // rows longer than a vector, one element past it
    [InlineData(2, 6, 8, 5, 10, -1, 1)]    // top < 0: the first source row cropped (the input gradient's padding > kh − 1)
    [InlineData(1, 3, 5, 3, 4, 0, -1)]     // left < 0: the first source column cropped, and the last past the target
    public void PadInteriorAfterPadEqualsPadAndBothFollowTheirDefinition(int channels, int height, int width, int targetHeight, int targetWidth, int top, int left)
    {
        float[] Source(int seed) => Enumerable.Range(0, channels * height * width).Select(i => (float)Math.Sin(seed + i)).ToArray();
        float[] first = Source(1), second = Source(2);
        var padded = Enumerable.Repeat(float.NaN, channels * targetHeight * targetWidth).ToArray();
        DirectConvolution.Pad<float>(first, channels, height, width, padded, targetHeight, targetWidth, top, left);
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < targetHeight; i++)
                for (int j = 0; j < targetWidth; j++)
                {
                    int h = i - top, w = j - left;
                    float expected = h >= 0 && h < height && w >= 0 && w < width ? first[(c * height + h) * width + w] : 0f;
                    Assert.Equal(expected, padded[(c * targetHeight + i) * targetWidth + j]);
                }
        // A worker's next sample: only the inside copied, the zero borders kept.
        DirectConvolution.PadInterior<float>(second, channels, height, width, padded, targetHeight, targetWidth, top, left);
        var fresh = new float[padded.Length];
        DirectConvolution.Pad<float>(second, channels, height, width, fresh, targetHeight, targetWidth, top, left);
        Assert.Equal(fresh, padded);
        Assert.Throws<ArgumentException>(() => DirectConvolution.PadInterior<float>(second, channels, height, width, padded.AsSpan(1), targetHeight, targetWidth, top, left));
    }

    /// <summary>
    /// Pad and PadInterior on both vector paths (the 256-bit one, which production runs only without AVX-512, here too),
    /// float and double: every source width from 0 to 40 (every tail of the vector copies and clears), borders on every
    /// side and cropped ones, against their definition, with nothing before or after the target written.
    /// </summary>
    [Fact]
    public void PadOnBothPathsFollowsItsDefinitionForEveryWidth()
    {
        for (int width = 0; width <= 40; width++)
            foreach (var (top, left, extraHeight, extraWidth) in new[] { (1, 1, 2, 2), (0, 3, 0, 5), (-1, -2, 1, 0), (2, 0, 3, 1) })
            {
                PadByDefinition<float, NativeVectors>(width, top, left, extraHeight, extraWidth);
                PadByDefinition<float, Avx2Vectors>(width, top, left, extraHeight, extraWidth);
                PadByDefinition<double, NativeVectors>(width, top, left, extraHeight, extraWidth);
                PadByDefinition<double, Avx2Vectors>(width, top, left, extraHeight, extraWidth);
            }
    }

    /// <summary>
    /// target[c, i, j] = source[c, i − top, j − left] inside the source, 0 elsewhere (Pad over a NaN target); PadInterior of a
    /// second source over it equals Pad of that source; the guard elements around the target stay as they were.
    /// </summary>
    private static void PadByDefinition<T, TPath>(int width, int top, int left, int extraHeight, int extraWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPath : struct, IVectorPath
    {
        const int channels = 2, height = 3, guard = 20;
        int targetHeight = Math.Max(0, height + extraHeight), targetWidth = Math.Max(0, width + extraWidth), size = channels * targetHeight * targetWidth;
        T[] Source(int seed) => Enumerable.Range(0, channels * height * width).Select(i => T.CreateChecked(Math.Sin(seed + i))).ToArray();
        T[] first = Source(1), second = Source(2);
        var buffer = Enumerable.Repeat(T.NaN, size + 2 * guard).ToArray();
        var target = buffer.AsSpan(guard, size);
        string what = $"{typeof(T).Name} {typeof(TPath).Name} width={width} top={top} left={left}";
        DirectConvolution.Pad<T, TPath>(first, channels, height, width, target, targetHeight, targetWidth, top, left);
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < targetHeight; i++)
                for (int j = 0; j < targetWidth; j++)
                {
                    int h = i - top, w = j - left;
                    T expected = h >= 0 && h < height && w >= 0 && w < width ? first[(c * height + h) * width + w] : T.Zero;
                    Assert.True(expected == target[(c * targetHeight + i) * targetWidth + j], $"{what}: Pad target[{c}, {i}, {j}]");
                }
        DirectConvolution.PadInterior<T, TPath>(second, channels, height, width, target, targetHeight, targetWidth, top, left);
        var fresh = new T[size];
        DirectConvolution.Pad<T, NativeVectors>(second, channels, height, width, fresh, targetHeight, targetWidth, top, left);
        for (int i = 0; i < size; i++) Assert.True(fresh[i] == target[i], $"{what}: PadInterior target[{i}]");
        for (int i = 0; i < guard; i++)
            Assert.True(T.IsNaN(buffer[i]) && T.IsNaN(buffer[guard + size + i]), $"{what}: written outside the target");
    }

    /// <summary>dW[o, c, ki, kj] = Σ_{n, i, j} dY[n, o, i, j]·x[n, group·Cg + c, i·sh − ph + ki·dh, j·sw − pw + kj·dw] in double, term by term.</summary>
    private static double[] WeightGradientByDefinition(float[] x, int[] inputShape, float[] dy, int[] weightShape, Conv2dSettings s)
    {
        int batch = inputShape[0], channels = inputShape[1], height = inputShape[2], width = inputShape[3];
        int outChannels = weightShape[0], cg = weightShape[1], kh = weightShape[2], kw = weightShape[3], og = outChannels / s.Groups;
        var g = s.Geometry(inputShape, weightShape);
        var dw = new double[outChannels * cg * kh * kw];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int c = 0; c < cg; c++)
                    for (int ki = 0; ki < kh; ki++)
                        for (int kj = 0; kj < kw; kj++)
                            for (int i = 0; i < g.OutHeight; i++)
                                for (int j = 0; j < g.OutWidth; j++)
                                {
                                    int h = i * s.StrideHeight - s.PadHeight + ki * s.DilationHeight, v = j * s.StrideWidth - s.PadWidth + kj * s.DilationWidth;
                                    if (h < 0 || h >= height || v < 0 || v >= width) continue;
                                    int channel = o / og * cg + c;
                                    dw[((o * cg + c) * kh + ki) * kw + kj] += (double)dy[((n * outChannels + o) * g.OutHeight + i) * g.OutWidth + j] *
                                        x[((n * channels + channel) * height + h) * width + v];
                                }
        return dw;
    }

    [VectorConvolutionTheory]
    [InlineData(3)]   // inside the first vector of offsets
    [InlineData(18)]  // in the tail past the last whole vector (20 offsets)
    public void ANegativeOffsetIsRefusedAndTheLargestBoundsThePaddedImage(int negative)
    {
        Assert.True(DirectConvolution.IsAvailable<float>());
        int depth = 20, reach = 100;
        var offsets = Enumerable.Range(0, depth).Select(k => k * 5).ToArray();
        offsets[7] = reach;
        var packed = new float[DirectConvolution.PackedLength(1, depth)];
        var output = new float[16];
        DirectConvolution.Multiply<float>(1, depth, packed, offsets, new float[reach + 16], 16, 1, 16, output, default);
        var e = Assert.Throws<ArgumentException>(() => DirectConvolution.Multiply<float>(1, depth, packed, offsets, new float[reach + 15], 16, 1, 16, output, default));
        Assert.Contains("padded", e.Message);
        offsets[negative] = -2;
        e = Assert.Throws<ArgumentException>(() => DirectConvolution.Multiply<float>(1, depth, packed, offsets, new float[reach + 16], 16, 1, 16, output, default));
        Assert.Contains("-2", e.Message);
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

    /// <summary>
    /// The AVX2 tiles (6 rows × two runs of 256 bits, each 12-row panel as two), forced on any machine that runs AVX2, this
    /// AVX-512 one included: the products against their definition over row counts around the tile heights and widths of an
    /// odd number of runs, and, where the 512-bit tiles run the same geometry, their very bits (each output the same sum in
    /// the same order).
    /// </summary>
    [Avx2Fact]
    public void The256BitTilesMatchTheDefinitionAndGiveThe512BitTilesBits()
    {
        foreach (int rows in new[] { 1, 5, 6, 7, 12, 13, 20 })
            foreach (int outWidth in new[] { 8, 16, 24 })
            {
                Check256<float>(rows, outWidth, 2e-5);
                Check256<double>(rows, outWidth, 1e-12);
            }
    }

    private static void Check256<T>(int rows, int outWidth, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // 3 channels, a 3×2 kernel with dilation (1, 2), 4 output rows: Hp = 6, Wp = Wo + 2.
        int channels = 3, kh = 3, kw = 2, outHeight = 4, hp = outHeight + kh - 1, wp = outWidth + 2 * (kw - 1), depth = channels * kh * kw;
        var random = new TensorRandom(75);
        T[] a = random.Normal([rows, depth], T.Zero, T.One).ToArray(), padded = random.Normal([channels * hp * wp], T.Zero, T.One).ToArray();
        T[] bias = random.Normal([rows], T.Zero, T.One).ToArray();
        var offsets = new int[depth];
        DirectConvolution.Offsets(offsets, channels, kh, kw, 1, 2, hp, wp);
        var packed = new T[DirectConvolution.PackedLength(rows, depth)];
        DirectConvolution.PackRows<T>(a, rows, depth, packed);
        int plane = outHeight * outWidth;
        T[] Run(int bits)
        {
            var output = new T[rows * plane];
            DirectConvolution.Multiply<T>(rows, depth, packed, offsets, padded, wp, outHeight, outWidth, output, bias, default, bits);
            return output;
        }
        T[] narrow = Run(256);
        for (int i = 0; i < rows; i++)
            for (int p = 0; p < plane; p++)
            {
                double exact = double.CreateChecked(bias[i]), scale = Math.Abs(exact);
                for (int k = 0; k < depth; k++)
                {
                    double term = double.CreateChecked(a[i * depth + k]) * double.CreateChecked(padded[offsets[k] + p / outWidth * wp + p % outWidth]);
                    exact += term;
                    scale += Math.Abs(term);
                }
                double y = double.CreateChecked(narrow[i * plane + p]);
                Assert.True(Math.Abs(exact - y) <= tolerance * scale, $"{typeof(T).Name} rows {rows}, Wo {outWidth}: element ({i}, {p}) expected {exact:R}, got {y:R}");
            }
        if (DirectConvolution.IsAvailable<T>(512) && outWidth % System.Runtime.Intrinsics.Vector512<T>.Count == 0) Assert.Equal(Run(512), narrow);
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
