using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Tensors;

// Winograd F(4×4, 3×3) for the forward pass and the input gradient against the textbook convolution, im2col + GEMM and
// the direct path, over odd shapes in float and double; GradCheck through the layer where Auto takes it; the bits for
// any thread count; no allocation beyond the result.
//
// The bound: |winograd − exact| ≤ tolerance · Σ|k|·|src| per element (the same convolution of the absolute values: the
// scale of the terms, which a plain relative bound misjudges where the terms cancel), with tolerance 1e-12 in double and
// 2e-5 in float (float32's unit roundoff is 6e-8: the bound leaves room for F(4×4, 3×3)'s transforms, which multiply by
// up to 5, 1/24 and 8, and for the channel sums; the direct path's error is well inside it too, and the im2col path is held
// to the same bound here).
public class ConvolutionWinogradTests
{
    /// <summary>(N, C, H, W, O, ph, pw): batch 1, H and W not multiples of the 4×4 tile, padding 0/1/2/3, channels not a multiple of a vector.</summary>
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 3, 5, 7, 5, 1, 1 },      // batch 1, 5×7: partial tiles in both directions, 3 → 5 channels
        new[] { 2, 17, 9, 6, 20, 0, 0 },    // padding 0 (7×4 out), 17 channels (a vector + 1), 20 outputs
        new[] { 3, 5, 6, 11, 33, 2, 2 },    // padding 2 (8×13 out), 33 outputs (2L + 1 for float)
        new[] { 1, 4, 3, 3, 2, 3, 3 },      // padding 3 > 2: the input gradient crops the upstream gradient
        new[] { 2, 8, 4, 10, 9, 1, 2 },     // padding (1, 2)
        new[] { 5, 32, 8, 8, 64, 1, 1 },    // conv2d_b's channels: 5 samples, 20 tiles (a partial register tile of 12)
        new[] { 1, 40, 13, 3, 17, 1, 0 },   // a single column of tiles, 40 channels (2.5 vectors of float)
    };

    [VectorConvolutionTheory]
    [MemberData(nameof(Shapes))]
    public void WinogradEqualsTheTextbookConvolutionAndTheOtherPathsInDouble(int[] shape) => Check<double>(shape, 1e-12);

    [VectorConvolutionTheory]
    [MemberData(nameof(Shapes))]
    public void WinogradEqualsTheTextbookConvolutionAndTheOtherPathsInFloat(int[] shape) => Check<float>(shape, 2e-5);

    [Fact]
    public void GradientsThroughTheWinogradPathMatchFiniteDifferences()
    {
        // 16 → 16 channels: Auto takes Winograd (where the machine has AVX-512) for the forward pass and the input gradient.
        var settings = new Conv2dSettings(1, 1, 1, 2, 1, 1, 1);
        var geometry = settings.Geometry([2, 16, 5, 3], [16, 16, 3, 3]);
        Assert.Equal(WinogradConvolution.IsAvailable<double>(), Conv2dWinograd.Chosen<double>(Conv2dAlgorithm.Auto, geometry, 1, 16));
        Assert.Equal(WinogradConvolution.IsAvailable<double>(), Conv2dWinograd.Chosen<double>(Conv2dAlgorithm.Auto, geometry, 1, 16, inputGradient: true));
        var random = new TensorRandom(80);
        var result = GradCheck.Check(p => p[0].Conv2d(p[1], p[2], padding: (1, 2)),
            [random.Normal([2, 16, 5, 3], 0.0, 1.0), random.Normal([16, 16, 3, 3], 0.0, 1.0), random.Normal([16], 0.0, 1.0)]);
        Assert.True(result.Passed, result.Message);
    }

    [Vector512Fact]
    public void TheBitsDoNotDependOnTheThreadCount()
    {
        var settings = new Conv2dSettings(1, 1, 1, 1, 1, 1, 1);
        var random = new TensorRandom(81);
        var x = random.Normal([7, 19, 10, 9], 0f, 1f);
        var w = random.Normal([21, 19, 3, 3], 0f, 1f);
        var b = random.Normal([21], 0f, 1f);
        var dy = random.Normal([7, 21, 10, 9], 0f, 1f);
        float[][] Run(int threads)
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            return [Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Winograd).ToArray(),
                Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Winograd).ToArray()];
        }
        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 5 })
        {
            var other = Run(threads);
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], other[i]);
        }
    }

    [VectorConvolutionTheory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 64)] // conv2d_b's batch: 3 samples a chunk
    public void AChunkOfSamplesGivesTheSameBitsAsOneSampleAtATime(int threads, int batch)
    {
        Assert.True(WinogradConvolution.IsAvailable<float>());
        int c = 32, o = 64, h = 16, width = 16;
        var random = new TensorRandom(82);
        var x = random.Normal([batch, c, h, width], 0f, 1f).ToArray();
        var w = random.Normal([o, c, 3, 3], 0f, 1f).ToArray();
        var u = new float[WinogradConvolution.FilterLength<float>(c, o)];
        WinogradConvolution.TransformFilters<float>(w, o, c, adjoint: false, u);
        int samples = Conv2dWinograd.ChunkSamples<float>(batch, c, o, h, width, threads);
        Assert.InRange(samples, 1, batch);
        var chunked = new float[batch * o * h * width];
        var single = new float[chunked.Length];
        for (int first = 0; first < batch; first += samples)
        {
            int count = Math.Min(samples, batch - first);
            WinogradConvolution.Convolve<float>(x.AsSpan(first * c * h * width), count, c, h, width, 1, 1, u, o, h, width,
                chunked.AsSpan(first * o * h * width), default, new float[WinogradConvolution.ScratchLength<float>(count, c, o, h, width)]);
        }
        var scratch = new float[WinogradConvolution.ScratchLength<float>(1, c, o, h, width)];
        for (int n = 0; n < batch; n++)
            WinogradConvolution.Convolve<float>(x.AsSpan(n * c * h * width), 1, c, h, width, 1, 1, u, o, h, width, single.AsSpan(n * o * h * width), default, scratch);
        Assert.Equal(single, chunked);
    }

    [Fact]
    public void WinogradIsRefusedWhereItDoesNotApplyWhenForcedAndLeftOutByAuto()
    {
        var x = new TensorRandom(83).Normal([1, 16, 8, 8], 0.0, 1.0);
        var w = new TensorRandom(84).Normal([16, 16, 3, 3], 0.0, 1.0);
        var w5 = new TensorRandom(85).Normal([16, 16, 5, 5], 0.0, 1.0);
        var wGroups = new TensorRandom(86).Normal([16, 8, 3, 3], 0.0, 1.0);
        var stride2 = new Conv2dSettings(2, 2, 1, 1, 1, 1, 1);
        var dilation2 = new Conv2dSettings(1, 1, 2, 2, 2, 2, 1);
        var groups2 = new Conv2dSettings(1, 1, 1, 1, 1, 1, 2);
        var plain = new Conv2dSettings(1, 1, 1, 1, 1, 1, 1);
        foreach (var (settings, weight) in new[] { (stride2, w), (dilation2, w), (groups2, wGroups), (plain, w5) })
        {
            var e = Assert.Throws<ArgumentException>(() => Conv2dDriver.Forward(x, weight, null, settings, algorithm: Conv2dAlgorithm.Winograd));
            Assert.Contains("Winograd", e.Message);
            Assert.False(Conv2dWinograd.Chosen<double>(Conv2dAlgorithm.Auto, settings.Geometry(x.Shape, weight.Shape), settings.Groups, weight.Shape[0]));
        }
        // conv2d_a's first layer (3 → 32): too few input channels for Auto's forward pass; its input gradient (32 → 3) too few outputs.
        var a = plain.Geometry([64, 3, 32, 32], [32, 3, 3, 3]);
        Assert.False(Conv2dWinograd.Chosen<float>(Conv2dAlgorithm.Auto, a, 1, 32));
        Assert.False(Conv2dWinograd.Chosen<float>(Conv2dAlgorithm.Auto, a, 1, 32, inputGradient: true));
        Assert.False(Conv2dWinograd.Chosen<float>(Conv2dAlgorithm.Direct, plain.Geometry([64, 32, 16, 16], [64, 32, 3, 3]), 1, 64));
    }

    [Vector512Fact]
    public void ASteadyWinogradPassAllocatesOnlyItsResult()
    {
        using var parallelism = TensorParallelism.Use(new Parallelism(1));
        var settings = new Conv2dSettings(1, 1, 1, 1, 1, 1, 1);
        var random = new TensorRandom(87);
        var x = random.Normal([4, 32, 16, 16], 0f, 1f);
        var w = random.Normal([64, 32, 3, 3], 0f, 1f);
        var b = random.Normal([64], 0f, 1f);
        var dy = random.Normal([4, 64, 16, 16], 0f, 1f);
        var arena = new TensorArena();
        long Step()
        {
            using var scope = arena.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Winograd);
            Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Winograd);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        for (int i = 0; i < 3; i++) Step();
        long bytes = Step();
        Assert.True(bytes < 1024, $"{bytes} bytes allocated by a steady Winograd forward pass and input gradient");
    }

    /// <summary>
    /// The AVX2 kernels (256-bit vectors, the Zen 3 path), forced on any machine that runs AVX2, this AVX-512 one included:
    /// the forward pass and the adjoint (the input gradient's flipped, transposed kernels) over every shape within the bound
    /// of the textbook convolution, and, where AVX-512 runs too, the very bits of the 512-bit kernels (the same formulas lane
    /// by lane and the same channel sums in the same order; only the register tile's height and the padded strides differ).
    /// </summary>
    [Avx2Fact]
    public void The256BitKernelsMatchTheTextbookConvolutionAndGiveThe512BitKernelsBits()
    {
        foreach (int[] shape in Shapes)
        {
            Check256<float>(shape, 2e-5);
            Check256<double>(shape, 1e-12);
        }
    }

    private static void Check256<T>(int[] shape, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = shape[0], c = shape[1], h = shape[2], width = shape[3], o = shape[4], ph = shape[5], pw = shape[6];
        var random = new TensorRandom(89);
        T[] x = random.Normal([n, c, h, width], T.Zero, T.One).ToArray(), w = random.Normal([o, c, 3, 3], T.Zero, T.One).ToArray();
        T[] b = random.Normal([o], T.Zero, T.One).ToArray();
        var forward = new ConvolutionGeometry(c, h, width, 3, 3, 1, 1, ph, pw, 1, 1);
        int ho = forward.OutHeight, wo = forward.OutWidth;
        T[] dy = random.Normal([n, o, ho, wo], T.Zero, T.One).ToArray();
        // The adjoint as a plain convolution: dY padded by 2 − padding with w'[c, o, ki, kj] = w[o, c, 2 − ki, 2 − kj].
        var adjoint = new ConvolutionGeometry(o, ho, wo, 3, 3, 1, 1, 2 - ph, 2 - pw, 1, 1);
        var flipped = new T[w.Length];
        for (int oc = 0; oc < o; oc++)
            for (int ic = 0; ic < c; ic++)
                for (int t = 0; t < 9; t++) flipped[(ic * o + oc) * 9 + t] = w[(oc * c + ic) * 9 + 8 - t];
        T[] Run(int bits, bool isAdjoint)
        {
            var (source, inChannels, outChannels, sh, sw, oh, ow, top, left) = isAdjoint ? (dy, o, c, ho, wo, h, width, 2 - ph, 2 - pw) : (x, c, o, h, width, ho, wo, ph, pw);
            var u = new T[WinogradConvolution.FilterLength<T>(inChannels, outChannels, bits)];
            WinogradConvolution.TransformFilters<T>(w, o, c, isAdjoint, u, bits);
            var y = new T[n * outChannels * oh * ow];
            WinogradConvolution.Convolve<T>(source, n, inChannels, sh, sw, top, left, u, outChannels, oh, ow, y, isAdjoint ? default : b,
                new T[WinogradConvolution.ScratchLength<T>(n, inChannels, outChannels, oh, ow, bits)], bits);
            return y;
        }
        double[] Abs(T[] t) => t.Select(v => Math.Abs(double.CreateChecked(v))).ToArray();
        double[] Exact(T[] t) => t.Select(v => double.CreateChecked(v)).ToArray();
        foreach (bool isAdjoint in new[] { false, true })
        {
            var (g, source, kernels, bias, outChannels) = isAdjoint ? (adjoint, dy, flipped, Array.Empty<T>(), c) : (forward, x, w, b, o);
            var exact = new double[n * outChannels * g.OutputPlane];
            var scale = new double[exact.Length];
            ConvolutionReference.Conv2d<double>(Exact(source), Exact(kernels), Exact(bias), exact, n, outChannels, 1, g);
            ConvolutionReference.Conv2d<double>(Abs(source), Abs(kernels), Abs(bias), scale, n, outChannels, 1, g);
            T[] narrow = Run(256, isAdjoint);
            string what = $"{typeof(T).Name} {string.Join('×', shape)} {(isAdjoint ? "adjoint" : "forward")}";
            for (int i = 0; i < narrow.Length; i++)
            {
                double y = double.CreateChecked(narrow[i]);
                Assert.True(Math.Abs(exact[i] - y) <= tolerance * scale[i], $"256-bit {what}, element {i}: expected {exact[i]:R} (scale {scale[i]:R}), got {y:R}");
            }
            if (WinogradConvolution.IsAvailable<T>(512)) Assert.Equal(Run(512, isAdjoint), narrow);
        }
    }

    [Fact]
    public void AForcedVectorWidthTheMachineDoesNotRunIsRefused()
    {
        var u = new float[WinogradConvolution.FilterLength<float>(1, 1, 256)];
        Assert.Throws<ArgumentException>(() => WinogradConvolution.InputStride<float>(3, 128));
        if (!WinogradConvolution.IsAvailable<float>(512))
            Assert.Throws<PlatformNotSupportedException>(() => WinogradConvolution.TransformFilters<float>(new float[9], 1, 1, false, u, 512));
        Assert.Throws<PlatformNotSupportedException>(() => WinogradConvolution.TransformFilters<int>(new int[9], 1, 1, false, new int[u.Length], 256));
    }

    private static void Check<T>(int[] shape, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(WinogradConvolution.IsAvailable<T>()); // the callers skip where the vector kernels cannot run
        int n = shape[0], c = shape[1], h = shape[2], width = shape[3], o = shape[4];
        var settings = new Conv2dSettings(1, 1, shape[5], shape[6], 1, 1, 1);
        var random = new TensorRandom(88);
        var x = random.Normal([n, c, h, width], T.Zero, T.One);
        var w = random.Normal([o, c, 3, 3], T.Zero, T.One);
        var b = random.Normal([o], T.Zero, T.One);
        var g = settings.Geometry(x.Shape, w.Shape);
        var dy = random.Normal([n, o, g.OutHeight, g.OutWidth], T.Zero, T.One);
        // The scales: the same products of the absolute values (the reference in double for both types).
        double[] Abs(MtlTensor<T> t) => t.ToArray().Select(v => Math.Abs(double.CreateChecked(v))).ToArray();
        double[] Exact(MtlTensor<T> t) => t.ToArray().Select(v => double.CreateChecked(v)).ToArray();
        var forwardScale = new double[n * o * g.OutputPlane];
        ConvolutionReference.Conv2d<double>(Abs(x), Abs(w), Abs(b), forwardScale, n, o, 1, g);
        var forwardExact = new double[forwardScale.Length];
        ConvolutionReference.Conv2d<double>(Exact(x), Exact(w), Exact(b), forwardExact, n, o, 1, g);
        var ds = new Conv2dSettings(1, 1, shape[5], shape[6], 1, 1, 1);
        var inputScale = Conv2dDriver.InputGradient(MtlTensor.FromArray(Abs(dy), dy.Shape.ToArray()), MtlTensor.FromArray(Abs(w), w.Shape.ToArray()), x.Shape, ds,
            algorithm: Conv2dAlgorithm.Im2Col).ToArray();
        var inputExact = Conv2dDriver.InputGradient(MtlTensor.FromArray(Exact(dy), dy.Shape.ToArray()), MtlTensor.FromArray(Exact(w), w.Shape.ToArray()), x.Shape, ds,
            algorithm: Conv2dAlgorithm.Im2Col).ToArray();
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = TensorParallelism.Use(new Parallelism(threads));
            var y = Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Winograd);
            Assert.Equal([n, o, g.OutHeight, g.OutWidth], y.Shape.ToArray());
            AssertWithin(forwardExact, forwardScale, y, tolerance, "forward");
            AssertWithin(forwardExact, forwardScale, Conv2dDriver.Forward(x, w, null, settings, algorithm: Conv2dAlgorithm.Winograd) + b.Reshape(1, o, 1, 1),
                tolerance, "forward without bias");
            var dx = Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Winograd);
            Assert.Equal(x.Shape.ToArray(), dx.Shape.ToArray());
            AssertWithin(inputExact, inputScale, dx, tolerance, "input gradient");
            // The other paths of the same type within the same bound.
            AssertWithin(forwardExact, forwardScale, Conv2dDriver.Forward(x, w, b, settings, algorithm: Conv2dAlgorithm.Im2Col), tolerance, "im2col forward");
            AssertWithin(inputExact, inputScale, Conv2dDriver.InputGradient(dy, w, x.Shape, settings, algorithm: Conv2dAlgorithm.Auto), tolerance, "auto input gradient");
        }
    }

    private static void AssertWithin<T>(double[] exact, double[] scale, MtlTensor<T> actual, double tolerance, string what) where T : unmanaged, INumber<T>
    {
        var a = actual.ToArray();
        Assert.Equal(exact.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            double y = double.CreateChecked(a[i]);
            Assert.True(Math.Abs(exact[i] - y) <= tolerance * scale[i], $"{what}, element {i}: expected {exact[i]:R} (scale {scale[i]:R}), got {y:R}");
        }
    }
}
