using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// Every fusion over three inputs of odd widths with presence masks that cover each case (all present, one or two missing,
/// none present): output shapes, gradients against central differences in double precision (encodings and parameters),
/// no leak of a masked-out input's values, and the identities of the tensor, low-rank and late fusions.
/// </summary>
public class FusionTests
{
    private static readonly int[] Widths = [3, 2, 4];
    private const int N = 5;

    // Rows: 0 has inputs 0 and 1; 1 has 1 and 2; 2 has 0 and 2; 3 has all three; 4 has none.
    private static readonly double[][] Masks = [[1, 0, 1, 1, 0], [1, 1, 0, 1, 0], [0, 1, 1, 1, 0]];

    public static TheoryData<string> Names() => new(Fusions.Names.Append("late-learned"));

    private static Fusion<double> Create(string name, IReadOnlyList<int>? widths = null) => name == "late-learned"
        ? new LateFusion<double>(widths ?? Widths, 4, new TensorRandom(5), learnedWeights: true)
        : Fusions.Create<double>(name, widths ?? Widths, new TensorRandom(5), new FusionOptions(Dimension: name == "tensor" ? null : 4, Rank: 3, Heads: 2));

    private static MtlTensor<double> Wave(int rows, int columns, double frequency, double phase)
    {
        var values = new double[rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = Math.Sin(frequency * (i + 1) + phase);
        return MtlTensor.FromArray(values, rows, columns);
    }

    private static MtlTensor<double>[] Encodings(double scale = 1, double phase = 0) =>
        Widths.Select((w, i) => Wave(N, w, 0.7 + 0.31 * i, phase + i) * scale).ToArray();

    private static MtlTensor<double>?[] Present() => Masks.Select(m => (MtlTensor<double>?)MtlTensor.FromArray(m, N)).ToArray();

    [Theory]
    [MemberData(nameof(Names))]
    public void OutputHasTheDeclaredWidthWithAndWithoutMasks(string name)
    {
        var fusion = Create(name);
        var masked = fusion.Fuse(Encodings(), Present());
        Assert.Equal([N, fusion.OutputWidth], masked.Shape.ToArray());
        Assert.All(masked.ToArray(), v => Assert.True(double.IsFinite(v)));
        var plain = fusion.Fuse(Encodings(), [null, null, null]);
        Assert.Equal([N, fusion.OutputWidth], plain.Shape.ToArray());
        var ones = fusion.Fuse(Encodings(), Widths.Select(_ => (MtlTensor<double>?)MtlTensor.Ones<double>(N)).ToArray());
        var expected = plain.ToArray();
        var actual = ones.ToArray();
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 13); // a mask of ones is no mask
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GradientsOfEncodingsAndParametersAgreeWithFiniteDifferences(string name)
    {
        var fusion = Create(name);
        var present = Present();
        var check = GradCheck.Check(a => fusion.Fuse(a, present), Encodings());
        Assert.True(check.Passed, check.Message);
        var parameters = ParameterCheck(fusion, Encodings(), present);
        Assert.True(parameters.Passed, parameters.Message);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AMaskedOutInputDoesNotLeak(string name)
    {
        var fusion = Create(name);
        var present = Present();
        var first = fusion.Fuse(Encodings(), present).ToArray();
        // Change only the values under a 0 mask, by a lot.
        var changed = Encodings().Select((e, i) =>
        {
            var other = Wave(N, Widths[i], 2.3, 5) * 1e3;
            var keep = MtlTensor.FromArray(Masks[i], N, 1);
            return e * keep + other * (1.0 - keep);
        }).ToArray();
        var second = fusion.Fuse(changed, present).ToArray();
        for (int k = 0; k < first.Length; k++) Assert.Equal(first[k], second[k], 12);
        Assert.NotEqual(first, fusion.Fuse(Encodings(phase: 1), present).ToArray()); // the values of present inputs do matter
    }

    [Fact]
    public void SumProductAndMaxRunOverThePresentInputsOnly()
    {
        var encodings = Encodings();
        var present = Present();
        foreach (var (name, combine, none) in new (string, Func<double, double, double>, double)[]
                 { ("sum", (a, b) => a + b, 0), ("product", (a, b) => a * b, 1), ("max", Math.Max, 0) })
        {
            var fusion = Create(name);
            var projections = fusion.Children.Single(c => c.Key == "projections").Value.Children.Select(c => (Linear<double>)c.Value).ToArray();
            var p = projections.Select((l, i) => l.Forward(encodings[i]).ToArray()).ToArray();
            var z = fusion.Fuse(encodings, present).ToArray();
            for (int r = 0; r < N; r++)
                for (int j = 0; j < 4; j++)
                {
                    double? expected = null;
                    for (int i = 0; i < 3; i++)
                        if (Masks[i][r] == 1) expected = expected is null ? p[i][r * 4 + j] : combine(expected.Value, p[i][r * 4 + j]);
                    Assert.Equal(expected ?? none, z[r * 4 + j], 12);
                }
        }
    }

    [Fact]
    public void AttentionWeightsSumToOneOverThePresentInputs()
    {
        var fusion = (AttentionFusion<double>)Create("attention");
        var weights = fusion.Weights(Encodings(), Present()).ToArray();
        for (int r = 0; r < N - 1; r++)
        {
            Assert.Equal(1.0, weights[(3 * r)..(3 * r + 3)].Sum(), 12);
            for (int i = 0; i < 3; i++)
                if (Masks[i][r] == 0) Assert.Equal(0.0, weights[3 * r + i]);
        }
        Assert.Equal(new double[4], fusion.Fuse(Encodings(), Present()).ToArray()[(4 * (N - 1))..]); // no input: 0
    }

    [Fact]
    public void TensorFusionOfOneInputThenALinearLayerIsALinearLayerOnXAndOne()
    {
        var x = Wave(6, 3, 0.9, 0.2);
        var fused = new TensorFusion<double>([3]).Fuse([x], [null]);
        Assert.Equal(4, new TensorFusion<double>([3]).OutputWidth);
        var linear = new Linear<double>(4, 2, new TensorRandom(3));
        var direct = new Linear<double>(3, 2, new TensorRandom(4));
        var w = linear.Weight.ToArray();
        var b = linear.Bias!.ToArray();
        // direct(x) = W[:, :3]·x + (W[:, 3] + b): the appended 1 is the bias.
        MtlTensor.FromArray(new[] { w[0], w[1], w[2], w[4], w[5], w[6] }, 2, 3).CopyTo(direct.Weight.Detach());
        MtlTensor.FromArray(new[] { w[3] + b[0], w[7] + b[1] }, 2).CopyTo(direct.Bias!.Detach());
        var expected = direct.Forward(x).ToArray();
        var actual = linear.Forward(fused).ToArray();
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 12);
    }

    [Fact]
    public void TensorFusionHoldsEveryProductAndAMissingInputIsItsOne()
    {
        var x = Wave(2, 2, 0.5, 0);
        var y = Wave(2, 3, 0.8, 1);
        var z = new TensorFusion<double>([2, 3]).Fuse([x, y], [null, MtlTensor.FromArray(new double[] { 1, 0 }, 2)]).ToArray();
        Assert.Equal(2 * 3 * 4, z.Length);
        var xs = x.ToArray();
        var ys = y.ToArray();
        for (int r = 0; r < 2; r++)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 4; b++)
                {
                    double xa = a < 2 ? xs[r * 2 + a] : 1;
                    double yb = b < 3 ? (r == 1 ? 0 : ys[r * 3 + b]) : 1; // row 1 misses y: [0, 0, 0, 1]
                    Assert.Equal(xa * yb, z[r * 12 + a * 4 + b], 14);
                }
    }

    [Fact]
    public void LowRankFusionIsTheTensorFusionThroughARankRLinearLayer()
    {
        int d = 3, rank = 2;
        var lmf = new LowRankFusion<double>([2, 3], d, rank, new TensorRandom(8));
        using (Grad.NoGrad()) MtlTensor.FromArray(new[] { 0.7, -1.3 }, rank).CopyTo(lmf.FusionWeights.Detach());
        using (Grad.NoGrad()) MtlTensor.FromArray(new[] { 0.1, 0.2, -0.3 }, d).CopyTo(lmf.FusionBias.Detach());
        // Fᵢ = [Wᵢ | bᵢ], (r·d, dᵢ + 1); the linear layer on the tensor fusion: W[j, a·4 + b] = Σₖ λₖ·F₁[k·d + j, a]·F₂[k·d + j, b].
        double[,] Factor(int i, int width)
        {
            var w = lmf.Factor(i).Weight.ToArray();
            var b = lmf.Factor(i).Bias!.ToArray();
            var f = new double[rank * d, width + 1];
            for (int row = 0; row < rank * d; row++)
            {
                for (int a = 0; a < width; a++) f[row, a] = w[row * width + a];
                f[row, width] = b[row];
            }
            return f;
        }
        var f1 = Factor(0, 2);
        var f2 = Factor(1, 3);
        var lambda = lmf.FusionWeights.ToArray();
        var weight = new double[d * 12];
        for (int j = 0; j < d; j++)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 4; b++)
                    for (int k = 0; k < rank; k++)
                        weight[j * 12 + a * 4 + b] += lambda[k] * f1[k * d + j, a] * f2[k * d + j, b];
        var x = Wave(4, 2, 0.6, 0.3);
        var y = Wave(4, 3, 1.1, 0.9);
        var present = new MtlTensor<double>?[] { MtlTensor.FromArray(new double[] { 1, 0, 1, 1 }, 4), MtlTensor.FromArray(new double[] { 1, 1, 0, 1 }, 4) };
        var tensor = new TensorFusion<double>([2, 3]).Fuse([x, y], present);
        var expected = (tensor.Matmul(MtlTensor.FromArray(weight, d, 12).Transpose()) + lmf.FusionBias).ToArray();
        var actual = lmf.Fuse([x, y], present).ToArray();
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 12);
    }

    [Fact]
    public void ALinearHeadOnLateFusionIsTheMeanOfPerInputLinearHeads()
    {
        var late = (LateFusion<double>)Create("late");
        var head = new Linear<double>(4, 2, new TensorRandom(9));
        var encodings = Encodings();
        var projections = late.Children.Single(c => c.Key == "projections").Value.Children.Select(c => (Linear<double>)c.Value).ToArray();
        var perInput = projections.Select((p, i) => head.Forward(p.Forward(encodings[i])).ToArray()).ToArray();
        var fused = head.Forward(late.Fuse(encodings, Present())).ToArray();
        for (int r = 0; r < N - 1; r++)
            for (int j = 0; j < 2; j++)
            {
                var present = Enumerable.Range(0, 3).Where(i => Masks[i][r] == 1).ToArray();
                Assert.Equal(present.Average(i => perInput[i][r * 2 + j]), fused[r * 2 + j], 12);
            }
    }

    [Fact]
    public void TwoInputGatedFusionIsTheBimodalGmu()
    {
        var gated = (GatedFusion<double>)Create("gated", [3, 2]);
        var e = Encodings()[..2];
        var projections = gated.Children.Single(c => c.Key == "projections").Value.Children.Select(c => (Linear<double>)c.Value).ToArray();
        var gate = (Linear<double>)gated.Children.Single(c => c.Key == "gate").Value;
        var h1 = projections[0].Forward(e[0]).Tanh().ToArray();
        var h2 = projections[1].Forward(e[1]).Tanh().ToArray();
        var a = gate.Forward(MtlTensor.Concatenate(e, axis: 1)).ToArray(); // (n, 2·d): logits of input 0, then of input 1
        var z = gated.Fuse(e, [null, null]).ToArray();
        for (int r = 0; r < N; r++)
            for (int j = 0; j < 4; j++)
            {
                double g = 1 / (1 + Math.Exp(-(a[r * 8 + j] - a[r * 8 + 4 + j]))); // σ(a₁ − a₂)
                Assert.Equal(g * h1[r * 4 + j] + (1 - g) * h2[r * 4 + j], z[r * 4 + j], 12);
            }
    }

    [Fact]
    public void FusionsThatNeedTwoInputsSaySo()
    {
        Assert.Contains("at least 2 inputs", Assert.Throws<ArgumentException>(() => Fusions.Create<double>("film", [3], new TensorRandom(1))).Message);
        Assert.Contains("at least 2 inputs", Assert.Throws<ArgumentException>(() => Fusions.Create<double>("cross-attention", [3], new TensorRandom(1))).Message);
        Assert.Contains("the fusions are concat, sum", Assert.Throws<ArgumentException>(() => Fusions.Create<double>("mean", [3], new TensorRandom(1))).Message);
    }

    /// <summary>
    /// Central differences over every parameter of <paramref name="module"/>: L = Σ r ⊙ fuse(e) with a fixed random r, the
    /// analytic gradient from backward against (L(θ + ε) − L(θ − ε)) / 2ε (GradCheck's tolerances).
    /// </summary>
    internal static GradCheckResult ParameterCheck(Fusion<double> module, MtlTensor<double>[] encoded, IReadOnlyList<MtlTensor<double>?> present)
    {
        const double epsilon = 1e-6, absolute = 1e-6, relative = 1e-5;
        if (!module.NamedParameters().Any()) return new GradCheckResult(true, 0, "no parameters");
        var weights = new TensorRandom(7).Uniform(new[] { encoded[0].Shape[0], module.OutputWidth }, 0.5, 1.5);
        double Objective() => (module.Fuse(encoded, present) * weights).Sum().Item();
        module.ZeroGrad();
        (module.Fuse(encoded, present) * weights).Sum().Backward();
        double worst = 0;
        foreach (var (name, parameter) in module.NamedParameters())
        {
            var analytic = parameter.Grad?.ToArray() ?? new double[parameter.Length];
            var data = parameter.Detach().AsSpan();
            using var _ = Grad.NoGrad();
            for (int e = 0; e < analytic.Length; e++)
            {
                double saved = data[e];
                data[e] = saved + epsilon;
                double plus = Objective();
                data[e] = saved - epsilon;
                double minus = Objective();
                data[e] = saved;
                double numeric = (plus - minus) / (2 * epsilon), error = Math.Abs(analytic[e] - numeric);
                worst = Math.Max(worst, error);
                if (!(error <= absolute + relative * Math.Abs(numeric)))
                    return new GradCheckResult(false, error, $"{name}[{e}]: analytic {analytic[e]:R}, numeric {numeric:R}");
            }
        }
        return new GradCheckResult(true, worst, $"max |difference| {worst:G3}");
    }
}
