using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// Integrated gradients per modality: completeness (Σ attributions = f(x) − f(baseline)) on a nonlinear two-input model, the
/// exact answer of a model linear in its encodings, the missing fill as baseline, and the encoding hook left as it was.
/// </summary>
public class ModalityAttributionTests
{
    private const int N = 6;

    private static MtlTensor<double> Wave(int rows, int columns, double a, double b)
    {
        var v = new double[rows * columns];
        for (int i = 0; i < v.Length; i++) v[i] = Math.Sin(a * i + b);
        return MtlTensor.FromArray(v, rows, columns);
    }

    private static Batch<double> TwoInputs(double scale = 1) => new(new Dictionary<string, BatchInput<double>>
    {
        ["table"] = BatchInput<double>.Dense(Wave(N, 3, 0.9, 0.2) * scale),
        ["picture"] = BatchInput<double>.Dense(Wave(N, 4, 0.4, 1.1) * (2.0 * scale)),
    });

    private static HardParameterSharing<double> Model(IReadOnlyList<int> hidden, InputEncoder<double> table, InputEncoder<double> picture, TaskKind kind = TaskKind.Classification) =>
        new([new("table", table), new("picture", picture)], hidden, [new TaskSpec("y", kind, 3)], new TensorRandom(4));

    [Theory]
    [InlineData(TaskKind.Classification)]
    [InlineData(TaskKind.Regression)]
    public void AttributionsAddUpToTheChangeOfTheOutput(TaskKind kind)
    {
        var random = new TensorRandom(2);
        var model = Model([7, 5], new MlpEncoder<double>(3, [4], random), new MlpEncoder<double>(4, [5], random), kind);
        var fine = ModalityAttribution.IntegratedGradients(model, TwoInputs(6), "y", steps: 256);
        double change = fine.Output.Zip(fine.BaselineOutput, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(change > 0.1, $"the output hardly moves ({change}); the test would not see an error");
        Assert.True(fine.CompletenessError < 5e-3 * change, $"completeness error {fine.CompletenessError} for a change of {change}");
        var coarse = ModalityAttribution.IntegratedGradients(model, TwoInputs(6), "y", steps: 1);
        Assert.True(coarse.CompletenessError > 5 * fine.CompletenessError, "one step should be visibly worse than 256 (ReLU kinks: the rule converges as 1/m)");
        Assert.Equal(["table", "picture"], fine.Inputs);
        Assert.Null(model.EncodingHook);
        Assert.True(model.Training); // the mode it had before (a new module trains)
    }

    [Fact]
    public void ALinearModelGetsTheExactProductOfInputAndWeight()
    {
        var model = Model([], new IdentityEncoder<double>(3), new IdentityEncoder<double>(4));
        var batch = TwoInputs();
        var ig = ModalityAttribution.IntegratedGradients(model, batch, "y", steps: 1);
        var head = (Linear<double>)model.NamedModules().First(m => m.Key == "heads.y").Value;
        var w = head.Weight.ToArray();
        var logits = model.Forward(batch)["y"].ToArray();
        var table = batch.Inputs["table"].Values!.ToArray();
        var picture = batch.Inputs["picture"].Values!.ToArray();
        for (int s = 0; s < N; s++)
        {
            int c = Enumerable.Range(0, 3).MaxBy(k => logits[s * 3 + k]);
            double expectedTable = Enumerable.Range(0, 3).Sum(j => table[s * 3 + j] * w[c * 7 + j]);
            double expectedPicture = Enumerable.Range(0, 4).Sum(j => picture[s * 4 + j] * w[c * 7 + 3 + j]);
            Assert.Equal(expectedTable, ig.Attributions[s, 0], 12);
            Assert.Equal(expectedPicture, ig.Attributions[s, 1], 12);
        }
        Assert.True(ig.CompletenessError < 1e-12);
    }

    [Fact]
    public void TheLearnedFillIsTheBaselineAndZerosCanBeAsked()
    {
        var picture = new IdentityEncoder<double>(4);
        picture.UseMissingFill(MissingFill.Learned);
        var batch = TwoInputs();
        batch.Inputs["picture"].Values!.Slice(0, 0, 1).Reshape(4).CopyTo(picture.MissingToken!.Detach()); // the token equals sample 0's picture
        var model = Model([5], new IdentityEncoder<double>(3), picture);
        var fromFill = ModalityAttribution.IntegratedGradients(model, batch, "y", steps: 16);
        Assert.Equal(0, fromFill.Attributions[0, 1], 14); // sample 0's picture is at its baseline
        var fromZeros = ModalityAttribution.IntegratedGradients(model, batch, "y", steps: 16, baseline: AttributionBaseline.Zeros);
        Assert.NotEqual(0, fromZeros.Attributions[0, 1], 6);
        Assert.NotEqual(0, fromFill.Attributions[0, 0], 6);
    }
}
