using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using MtlEngine.Tests.MultiTask;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// The <see cref="CnnEncoder{T}"/>'s kernel size and its <see cref="CnnReadout.Flatten"/> readout (the whole last map, as
/// LeNet and Lin et al. 2019's Multi-MNIST encoder): shapes, the encoding against its textbook twin (the last block's
/// pooled map reshaped), gradients against finite differences in double precision, and the refused settings.
/// </summary>
public class CnnEncoderReadoutTests
{
    // 10 × 12 pictures: block 0 keeps 10 × 12 and pools to 5 × 6, block 1 keeps 5 × 6 and pools to 2 × 3.
    private static MtlTensor<double> Pictures(int n, double phase = 0) =>
        MtlTensor.FromArray(Enumerable.Range(0, n * 2 * 120).Select(i => Math.Sin(0.31 * i + phase) + 0.3 * Math.Cos(1.7 * i)).ToArray(), n, 2, 10, 12);

    private static CnnEncoder<double> Encoder(int kernel, CnnReadout readout, ulong seed = 5) =>
        new(2, 10, 12, [3, 4], new TensorRandom(seed), kernel, readout);

    [Theory]
    [InlineData(1, CnnReadout.Flatten, 4 * 2 * 3)]
    [InlineData(3, CnnReadout.Flatten, 4 * 2 * 3)]
    [InlineData(5, CnnReadout.Flatten, 4 * 2 * 3)]
    [InlineData(5, CnnReadout.Pool, 4 * 2 * 2)]
    public void OutputWidthAndShapeFollowTheReadout(int kernel, CnnReadout readout, int width)
    {
        var cnn = Encoder(kernel, readout);
        Assert.Equal(width, cnn.OutputWidth);
        Assert.Equal([3, width], cnn.Forward(Pictures(3)).Shape.ToArray());
        var features = cnn.BlockFeatures(Pictures(3));
        Assert.Equal([3, 3, 10, 12], features[0].Shape.ToArray()); // padding (k − 1)/2 keeps the picture's size
        Assert.Equal([3, 4, 5, 6], features[1].Shape.ToArray());
        Assert.Equal([kernel, kernel], cnn.NamedParameters().First(p => p.Key == "blocks.0.weight").Value.Shape[2..].ToArray());
    }

    [Fact]
    public void FlattenReadoutIsTheLastPooledMapReshaped()
    {
        var cnn = Encoder(5, CnnReadout.Flatten);
        var pictures = Pictures(3);
        var last = cnn.PoolBlock(1, cnn.BlockFeatures(pictures)[1]);
        Assert.Equal([3, 4, 2, 3], last.Shape.ToArray());
        Assert.Equal(last.ToArray(), cnn.Forward(pictures).ToArray()); // row-major (n, C, h, w) → (n, C·h·w)
        Assert.Equal(last.ToArray(), cnn.Readout(last).ToArray());
        // The pooled readout averages the same map over positions: the flattened one keeps where each value is.
        var pooled = Encoder(5, CnnReadout.Pool).Forward(pictures).ToArray();
        var expected = new double[3 * 4 * 2 * 2];
        var map = last.ToArray();
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 4; c++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 2; x++)
                    {
                        // adaptive pool of a 2 × 3 map to 2 × 2: column x covers ⌊3x/2⌋ .. ⌈3(x+1)/2⌉ − 1
                        int from = 3 * x / 2, to = (3 * (x + 1) + 1) / 2;
                        double sum = 0;
                        for (int j = from; j < to; j++) sum += map[((n * 4 + c) * 2 + y) * 3 + j];
                        expected[((n * 4 + c) * 2 + y) * 2 + x] = sum / (to - from);
                    }
        Assert.Equal(expected.Length, pooled.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], pooled[i], 12);
    }

    [Fact]
    public void FlattenReadoutGradientsAgreeWithFiniteDifferences()
    {
        var cnn = Encoder(5, CnnReadout.Flatten);
        var check = GradCheck.Check(a => cnn.Forward(a[0]), [Pictures(2, 0.4)]);
        Assert.True(check.Passed, check.Message);
        TaskSpec[] tasks = [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 1)];
        var model = new HardParameterSharing<double>([new("picture", Encoder(3, CnnReadout.Flatten, seed: 7))], [5], tasks, new TensorRandom(8));
        var pictures = Pictures(2, 0.9);
        ArchitectureTests.CheckParameterGradients(model, () => model.Forward(Batch<double>.Of("picture", pictures)), budget: 80);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public void AnEvenOrZeroKernelIsRefused(int kernel)
    {
        var error = Assert.Throws<ArgumentException>(() => Encoder(kernel, CnnReadout.Flatten));
        Assert.Contains($"kernel is {kernel}", error.Message);
        Assert.Contains("odd", error.Message);
    }
}
