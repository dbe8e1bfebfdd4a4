using System.Text.Json;
using MtlEngine.Autograd;
using MtlEngine.Data;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using MtlEngine.Tests.Nn;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// The text encoders beyond the embedding bag: TF-IDF → MLP against its dense textbook twin (scikit-learn's TF-IDF by
/// <see cref="TfidfTransformer"/>, then a Linear layer), the Transformer block against PyTorch 1.13
/// (Fixtures/Nn/make_transformer_fixtures.py), shapes, padding and masks, and gradients against central differences.
/// </summary>
public class TextEncoderTests
{
    private static readonly JsonElement Fixture = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Nn", "transformer_fixtures.json"))).RootElement;

    // Four samples over a vocabulary of 7: repeats, padding in the middle and at the end, and an empty sample.
    private static readonly int[,] Ids = { { 0, 3, 3, 6, -1 }, { 2, -1, 5, 2, 2 }, { -1, -1, -1, -1, -1 }, { 6, 1, 4, 0, 3 } };
    private const int Vocabulary = 7;

    private static MtlTensor<int> IdTensor()
    {
        int n = Ids.GetLength(0), length = Ids.GetLength(1);
        var values = new int[n * length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < length; j++) values[i * length + j] = Ids[i, j];
        return MtlTensor.FromArray(values, n, length);
    }

    private static readonly double[] Idf = [1.1, 1.7, 2.3, 1.0, 1.4, 2.9, 1.25];

    [Fact]
    public void TfidfRowsMatchScikitLearnsTransformOfTheCounts()
    {
        var (indices, values, offsets) = TfidfMlpEncoder<double>.SparseRows(IdTensor(), Idf);
        var counts = TfidfMlpEncoder<double>.SparseRows(IdTensor(), null);
        var countMatrix = new CsrMatrix(4, Vocabulary, counts.Offsets, counts.Indices, counts.Values);
        var idf = new TfidfTransformer().Fit(countMatrix).IdfWeights!;
        // The idf our FitIdf gives is scikit-learn's smooth idf over these documents.
        Assert.Equal(idf, TfidfMlpEncoder<double>.FitIdf(IdTensor(), Vocabulary));
        // df of token 3 is 2 (rows 0 and 3) of 4 documents: ln(5/3) + 1.
        Assert.Equal(Math.Log(5.0 / 3) + 1, idf[3], 14);
        // Row 1 holds token 2 three times and token 5 once: (3·idf₂, idf₅) / norm.
        Assert.Equal([2, 5], indices[offsets[1]..offsets[2]]);
        double norm = Math.Sqrt(9 * Idf[2] * Idf[2] + Idf[5] * Idf[5]);
        Assert.Equal(3 * Idf[2] / norm, values[offsets[1]], 14);
        Assert.Equal(offsets[2], offsets[3]); // the empty sample has no entries
    }

    /// <summary>The dense twin: the (n, vocabulary) TF-IDF matrix by scikit-learn's formula, times the first layer as a Linear.</summary>
    private static MtlTensor<double> DenseTwin(TfidfMlpEncoder<double> encoder, MtlTensor<int> ids)
    {
        var (indices, values, offsets) = TfidfMlpEncoder<double>.SparseRows(ids, encoder.Idf.ToArray());
        int n = ids.Shape[0];
        var dense = new double[n * Vocabulary];
        for (int i = 0; i < n; i++)
            for (int k = offsets[i]; k < offsets[i + 1]; k++) dense[i * Vocabulary + indices[k]] += values[k];
        var first = (MtlTensor.FromArray(dense, n, Vocabulary).Matmul(encoder.InputWeight.Detach()) + encoder.InputBias.Detach()).Relu();
        var rest = encoder.NamedModules().First(m => m.Key == "layers").Value;
        return rest.Forward(first);
    }

    [Fact]
    public void TfidfEncoderEqualsTheDenseTwinAndHasTheDeclaredWidth()
    {
        var encoder = new TfidfMlpEncoder<double>(Idf, [5, 3], new TensorRandom(3));
        Assert.Equal(3, encoder.OutputWidth);
        Assert.Equal([Vocabulary, 5], encoder.InputWeight.Shape.ToArray());
        Assert.Contains(encoder.NamedBuffers(), b => b.Key == "idf");
        var ids = IdTensor();
        var actual = encoder.Encode(BatchInput<double>.Index(ids), "text");
        Assert.Equal([4, 3], actual.Shape.ToArray());
        NnFixtures.AssertClose(DenseTwin(encoder, ids).ToArray(), actual, 1e-13, "tf-idf");
        // Initialization as a Linear(7 → 5): every first-layer weight within ±1/√7.
        Assert.All(encoder.InputWeight.ToArray(), w => Assert.True(Math.Abs(w) <= 1 / Math.Sqrt(Vocabulary)));
    }

    [Fact]
    public void TfidfEncoderParameterGradientsAgreeWithFiniteDifferences()
    {
        var encoder = new TfidfMlpEncoder<double>(Idf, [4, 3], new TensorRandom(9));
        var check = ParameterCheck(encoder, () => encoder.Encode(BatchInput<double>.Index(IdTensor()), "text"));
        Assert.True(check.Passed, check.Message);
    }

    [Fact]
    public void TfidfEncoderRejectsATokenOutsideItsVocabulary()
    {
        var encoder = new TfidfMlpEncoder<double>(Idf[..3], [4], new TensorRandom(9));
        var e = Assert.Throws<ArgumentException>(() => encoder.Encode(BatchInput<double>.Index(IdTensor()), "text"));
        Assert.Contains("outside the vocabulary of 3", e.Message);
    }

    private static MtlTensor<double> FixtureInput() => NnFixtures.Wave([3, 5, 6], 0.7, 0.1);

    private static TransformerEncoderLayer<double> FixtureLayer(string key)
    {
        var layer = new TransformerEncoderLayer<double>(6, 2, 10, new TensorRandom(1), normFirst: key == "pre_ln");
        var state = Fixture.GetProperty(key).GetProperty("state").EnumerateObject()
            .Select(p => new NdArray(p.Name, DType.Float64, NnFixtures.Ints(p.Value.GetProperty("shape")), NnFixtures.Doubles(p.Value.GetProperty("values"))))
            .ToList();
        layer.LoadStateDict(state); // strict: our names are PyTorch's
        return layer;
    }

    private static MtlTensor<double> PaddingMask(string key)
    {
        var lengths = NnFixtures.Ints(Fixture.GetProperty(key).GetProperty("lengths"));
        var ignore = new double[3 * 5];
        for (int i = 0; i < 3; i++)
            for (int j = lengths[i]; j < 5; j++) ignore[i * 5 + j] = 1;
        return MtlTensor.FromArray(ignore, 3, 5);
    }

    [Theory]
    [InlineData("post_ln")]
    [InlineData("pre_ln")]
    public void TransformerBlockMatchesPyTorchOutputsAndGradients(string key)
    {
        var layer = FixtureLayer(key);
        var x = FixtureInput();
        x.RequiresGrad = true;
        var y = layer.Forward(x, AttentionMask.Ignore(PaddingMask(key)));
        NnFixtures.Backward(y);
        var expected = Fixture.GetProperty(key);
        NnFixtures.AssertClose(NnFixtures.Doubles(expected.GetProperty("y")), y, 1e-11, "y");
        NnFixtures.AssertClose(NnFixtures.Doubles(expected.GetProperty("grad_x")), x.Grad!, 1e-10, "dL/dx");
        NnFixtures.AssertClose(NnFixtures.Doubles(expected.GetProperty("grad_in_proj_weight")), layer.SelfAttention.InProjWeight.Grad!, 1e-10, "in_proj_weight");
        NnFixtures.AssertClose(NnFixtures.Doubles(expected.GetProperty("grad_linear1_weight")), layer.Linear1.Weight.Grad!, 1e-10, "linear1.weight");
        NnFixtures.AssertClose(NnFixtures.Doubles(expected.GetProperty("grad_norm1_weight")), layer.Norm1.Weight.Grad!, 1e-10, "norm1.weight");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TransformerBlockInputGradientAgreesWithFiniteDifferences(bool normFirst)
    {
        var layer = new TransformerEncoderLayer<double>(4, 2, 5, new TensorRandom(4), normFirst: normFirst);
        var mask = AttentionMask.Ignore(MtlTensor.FromArray(new double[] { 0, 0, 1, 0, 0, 0 }, 2, 3));
        var check = GradCheck.Check(a => layer.Forward(a[0], mask), [NnFixtures.Wave([2, 3, 4], 0.9, 0.3)]);
        Assert.True(check.Passed, check.Message);
    }

    private static TransformerTextEncoder<double> TextTransformer(bool normFirst = false) =>
        new(Vocabulary, 5, 4, 2, 6, new TensorRandom(11), normFirst);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TransformerEncoderPoolsTheRealTokensOnly(bool normFirst)
    {
        var encoder = TextTransformer(normFirst);
        var ids = IdTensor();
        var encoded = encoder.Encode(BatchInput<double>.Index(ids), "text");
        Assert.Equal([4, 4], encoded.Shape.ToArray());
        Assert.All(encoded.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.All(encoded.ToArray()[8..12], v => Assert.Equal(0.0, v)); // the sample without tokens
        // Padding does not leak: row 0 alone, cut to its four real tokens, encodes the same.
        var alone = encoder.Encode(BatchInput<double>.Index(MtlTensor.FromArray(new[] { 0, 3, 3, 6 }, 1, 4)), "text").ToArray();
        for (int k = 0; k < 4; k++) Assert.Equal(alone[k], encoded.ToArray()[k], 12);
        // Row 1's padding sits between tokens: the positions of the real tokens stay theirs, so it is not the row without the gap.
        var packed = encoder.Encode(BatchInput<double>.Index(MtlTensor.FromArray(new[] { 2, 5, 2, 2 }, 1, 4)), "text").ToArray();
        Assert.NotEqual(packed[0], encoded.ToArray()[4]);
    }

    [Fact]
    public void TransformerEncoderCutsSequencesLongerThanItsPositions()
    {
        var encoder = new TransformerTextEncoder<double>(Vocabulary, 3, 4, 2, 6, new TensorRandom(11));
        var cut = encoder.Encode(BatchInput<double>.Index(MtlTensor.FromArray(new[] { 0, 3, 3 }, 1, 3)), "text").ToArray();
        var longer = encoder.Encode(BatchInput<double>.Index(MtlTensor.FromArray(new[] { 0, 3, 3, 6, 1 }, 1, 5)), "text").ToArray();
        Assert.Equal(cut, longer);
    }

    [Fact]
    public void TransformerEncoderParameterGradientsAgreeWithFiniteDifferences()
    {
        var encoder = TextTransformer(normFirst: true);
        var check = ParameterCheck(encoder, () => encoder.Encode(BatchInput<double>.Index(IdTensor()), "text"));
        Assert.True(check.Passed, check.Message);
    }

    [Fact]
    public void TransformerEncoderStateNamesArePyTorchs()
    {
        var names = TextTransformer(normFirst: true).NamedParameters().Select(p => p.Key).ToArray();
        Assert.Contains("embedding.weight", names);
        Assert.Contains("position.weight", names);
        Assert.Contains("layer.self_attn.in_proj_weight", names);
        Assert.Contains("layer.self_attn.out_proj.weight", names);
        Assert.Contains("layer.linear2.bias", names);
        Assert.Contains("layer.norm2.weight", names);
        Assert.Contains("norm.weight", names);
    }

    /// <summary>Every parameter's gradient of Σ w ⊙ f() against central differences (double precision).</summary>
    internal static GradCheckResult ParameterCheck(Module<double> module, Func<MtlTensor<double>> f)
    {
        const double epsilon = 1e-6, absolute = 1e-6, relative = 1e-5;
        var shape = f().Shape.ToArray();
        var weights = new TensorRandom(7).Uniform(shape, 0.5, 1.5);
        double Objective() => (f() * weights).Sum().Item();
        module.ZeroGrad();
        (f() * weights).Sum().Backward();
        double worst = 0;
        foreach (var (name, parameter) in module.NamedParameters())
        {
            var analytic = parameter.Grad?.ToArray() ?? new double[parameter.Length];
            var values = parameter.Detach();
            var flat = values.AsSpan();
            for (int k = 0; k < flat.Length; k++)
            {
                double saved = flat[k];
                flat[k] = saved + epsilon;
                double plus = Objective();
                flat[k] = saved - epsilon;
                double minus = Objective();
                flat[k] = saved;
                double numeric = (plus - minus) / (2 * epsilon);
                double error = Math.Abs(numeric - analytic[k]);
                worst = Math.Max(worst, error);
                if (error > absolute + relative * Math.Abs(numeric))
                    return new GradCheckResult(false, error, $"{name}[{k}]: analytic {analytic[k]:R}, numeric {numeric:R}");
            }
        }
        return new GradCheckResult(true, worst, "ok");
    }
}
