using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// The joint alignment: λ·InfoNCE of two inputs' encodings as the model's auxiliary loss beside the task losses. Its gradient
/// (the combined loss, on every parameter and on the inputs) against central differences, λ = 0 trains the task model bitwise
/// as without it, missing samples are left out, and the errors.
/// </summary>
public class JointAlignmentTests
{
    private static HardParameterSharing<double> Model(string fusion = "concat")
    {
        var a = new MlpEncoder<double>(3, [4], new TensorRandom(1));
        var b = new MlpEncoder<double>(2, [3], new TensorRandom(2));
        return new HardParameterSharing<double>([new("a", a), new("b", b)], [5], [new TaskSpec("t", TaskKind.Classification, 3), new TaskSpec("u", TaskKind.Classification, 2)],
            new TensorRandom(3), fusion: Fusions.Create<double>(fusion, [4, 3], new TensorRandom(4), new FusionOptions(Dimension: 4)));
    }

    /// <summary>n samples of a (3 wide; missing for every fifth sample) and b (2 wide), with labels of t and u.</summary>
    private static MultiTaskDataset<double> Dataset(int n = 40)
    {
        var a = new double[n * 3];
        var b = new double[n * 2];
        var t = new int[n];
        var u = new int[n];
        var present = new bool[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 3; j++) a[i * 3 + j] = Math.Sin(0.37 * i + j);
            for (int j = 0; j < 2; j++) b[i * 2 + j] = Math.Cos(0.53 * i + 2 * j);
            t[i] = i % 3;
            u[i] = (i / 3) % 2;
            present[i] = i % 5 != 0;
        }
        return new MultiTaskDataset<double>(n).AddInput("a", a, [n, 3], present).AddInput("b", b, [n, 2]).AddLabels("t", t).AddLabels("u", u);
    }

    /// <summary>Σ task losses + the output's auxiliary loss: what the trainer minimizes with equal weights.</summary>
    private static MtlTensor<double> CombinedLoss(MultiTaskModel<double> model, Batch<double> batch)
    {
        var output = model.Forward(batch);
        var total = output.AuxiliaryLoss ?? throw new InvalidOperationException("no auxiliary loss");
        foreach (var task in model.Tasks) total = total + TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
        return total;
    }

    [Fact]
    public void TheCombinedLossHasTheGradientOfCentralDifferencesOnEveryParameter()
    {
        var model = Model();
        model.UseJointAlignment("a", "b", sharedWidth: 2, weight: 0.7, new TensorRandom(9), initialLogitScale: 1.3);
        var batch = Dataset(11).Batch(Enumerable.Range(0, 11).ToArray()); // rows 0, 5, 10 miss a: 8 pairs
        model.ZeroGrad();
        CombinedLoss(model, batch).Backward();
        const double h = 1e-6;
        int checkedCount = 0;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            var analytic = parameter.Grad?.ToArray() ?? new double[parameter.Length];
            if (name.StartsWith("alignment.", StringComparison.Ordinal) || name.StartsWith("encoders.", StringComparison.Ordinal))
                Assert.Contains(analytic, g => g != 0); // the alignment reaches its own parameters and both encoders
            for (int e = 0; e < parameter.Length; e++)
            {
                double Loss(double delta)
                {
                    using (Grad.NoGrad())
                    {
                        var span = parameter.AsSpan();
                        double saved = span[e];
                        span[e] = saved + delta;
                        double value = CombinedLoss(model, batch).Item();
                        parameter.AsSpan()[e] = saved;
                        return value;
                    }
                }
                double numeric = (Loss(h) - Loss(-h)) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[e]) <= 1e-6 + 1e-5 * Math.Abs(numeric), $"{name}[{e}]: analytic {analytic[e]}, numeric {numeric}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 100);
    }

    [Fact]
    public void TheCombinedLossHasTheGradientOfCentralDifferencesOnTheInputs()
    {
        var model = Model("sum");
        model.UseJointAlignment("b", "a", sharedWidth: 3, weight: 2, new TensorRandom(9));
        var present = MtlTensor.FromArray(new[] { 1.0, 0, 1, 1, 1, 1, 0 }, 7); // two samples miss a
        var targets = new Dictionary<string, BatchTarget<double>>
        {
            ["t"] = BatchTarget<double>.FromLabels([0, 1, 2, 0, 1, 2, 0]),
            ["u"] = BatchTarget<double>.FromLabels([1, 0, 0, 1, 1, 0, 1]),
        };
        var check = GradCheck.Check(x => CombinedLoss(model, new Batch<double>(new Dictionary<string, BatchInput<double>>
        {
            ["a"] = BatchInput<double>.Dense(x[0], present),
            ["b"] = BatchInput<double>.Dense(x[1]),
        }, targets)), [new TensorRandom(5).Normal([7, 3], 0.0, 1.0), new TensorRandom(6).Normal([7, 2], 0.0, 1.0)]);
        Assert.True(check.Passed, check.Message);
    }

    [Fact]
    public void TheLossLeavesOutSamplesMissingAnInputAndNeedsTwoPairs()
    {
        var alignment = new JointAlignment<double>(0, 3, 1, 2, 4, weight: 0.5, new TensorRandom(2));
        var a = new TensorRandom(3).Normal([6, 3], 0.0, 1.0);
        var b = new TensorRandom(4).Normal([6, 2], 0.0, 1.0);
        var maskA = MtlTensor.FromArray(new[] { 1.0, 0, 1, 1, 1, 1 }, 6);
        var maskB = MtlTensor.FromArray(new[] { 1.0, 1, 1, 0, 1, 1 }, 6);
        int[] both = [0, 2, 4, 5];
        var expected = alignment.ClipLoss.Loss(alignment.EmbedA(a.IndexSelect(0, both)), alignment.EmbedB(b.IndexSelect(0, both))).Item() * 0.5;
        Assert.Equal(expected, alignment.Loss(a, b, maskA, maskB)!.Item(), 14);
        Assert.Equal(both, JointAlignment<double>.BothPresent(maskA, maskB, 6));
        var one = MtlTensor.FromArray(new[] { 0.0, 0, 1, 0, 0, 0 }, 6);
        Assert.Null(alignment.Loss(a, b, one, null)); // one pair has no negative
        Assert.Null(alignment.Loss(a[..1], b[..1], null, null));
    }

    [Fact]
    public void WeightZeroTrainsTheTaskModelBitwiseAsWithoutTheAlignment()
    {
        var data = Dataset();
        var rows = Enumerable.Range(0, 40).ToArray();
        IReadOnlyDictionary<string, double[]> Train(double? weight)
        {
            var model = Model();
            model.UseModalityDropout(0.3, seed: 5);
            if (weight is { } w) model.UseJointAlignment("a", "b", sharedWidth: 3, w, new TensorRandom(8));
            using var adam = new Adam<double>(model.Parameters(), 0.01);
            new Trainer<double>(model, adam, new TrainingOptions(Epochs: 3, BatchSize: 8, Seed: 2)).Fit(data, rows[..32], rows[32..]);
            return model.StateDict().Where(e => !e.Name.StartsWith("alignment.", StringComparison.Ordinal)).ToDictionary(e => e.Name, e => (double[])e.Data);
        }
        var plain = Train(null);
        var zero = Train(0);
        var one = Train(1);
        Assert.Equal(plain.Keys, zero.Keys);
        foreach (var (name, tensor) in plain)
            Assert.True(tensor.AsSpan().SequenceEqual(zero[name]), $"{name} differs with λ = 0");
        Assert.Contains(plain, e => !e.Value.AsSpan().SequenceEqual(one[e.Key])); // λ = 1 trains differently
    }

    [Fact]
    public void TrainingAlignsTheTwoInputsInTheSharedSpace()
    {
        // b is a linear function of a, so that each pair can be told from the others.
        const int n = 48;
        var a = new TensorRandom(12).Normal([n, 3], 0.0, 1.0).ToArray();
        var b = new double[n * 2];
        for (int i = 0; i < n; i++)
        {
            b[i * 2] = a[i * 3] + a[i * 3 + 1];
            b[i * 2 + 1] = a[i * 3 + 1] - a[i * 3 + 2];
        }
        var data = new MultiTaskDataset<double>(n).AddInput("a", a, [n, 3]).AddInput("b", b, [n, 2])
            .AddLabels("t", Enumerable.Range(0, n).Select(i => i % 3).ToArray()).AddLabels("u", Enumerable.Range(0, n).Select(i => i % 2).ToArray());
        var rows = Enumerable.Range(0, n).ToArray();
        (double Before, double After, double ScaleBefore, double ScaleAfter) Train(double weight)
        {
            var model = Model();
            model.UseJointAlignment("a", "b", sharedWidth: 4, weight, new TensorRandom(8));
            double MeanRankOfTheTruePair()
            {
                var similarity = model.AlignmentSimilarity(data, rows, rows).ToArray();
                int n = rows.Length;
                return Enumerable.Range(0, n).Average(i => Enumerable.Range(0, n).Count(j => similarity[i * n + j] > similarity[i * n + i]) + 1.0);
            }
            double before = MeanRankOfTheTruePair(), scale = model.JointAlignment!.ClipLoss.LogitScale.Item();
            using var adam = new Adam<double>(model.Parameters(), 0.02);
            new Trainer<double>(model, adam, new TrainingOptions(Epochs: 40, BatchSize: 16, Seed: 2)).Fit(data, rows);
            Assert.False(model.Training); // AlignmentSimilarity restores the trainer's evaluation mode
            return (before, MeanRankOfTheTruePair(), scale, model.JointAlignment!.ClipLoss.LogitScale.Item());
        }
        var aligned = Train(3);
        var unaligned = Train(0);
        Assert.Equal(aligned.Before, unaligned.Before); // the same start
        Assert.True(aligned.After < 0.5 * aligned.Before && aligned.After < 0.5 * unaligned.After,
            $"mean rank of the true pair among {rows.Length}: {aligned.Before} before, {aligned.After} after with λ = 3, {unaligned.After} with λ = 0");
        Assert.NotEqual(aligned.ScaleBefore, aligned.ScaleAfter); // the temperature is learned
        Assert.Equal(unaligned.ScaleBefore, unaligned.ScaleAfter); // λ = 0: no gradient reaches it
    }

    [Fact]
    public void TheParametersAreNamedAndSharedAndTheErrorsSayWhatIsWrong()
    {
        var model = Model();
        Assert.Throws<InvalidOperationException>(() => model.AlignmentSimilarity(Dataset(4), [0, 1], [0, 1]));
        Assert.Contains("\"c\", which is not an input; the inputs are a, b",
            Assert.Throws<ArgumentException>(() => model.UseJointAlignment("a", "c", 2, 1, new TensorRandom(1))).Message);
        Assert.Contains("two different inputs", Assert.Throws<ArgumentException>(() => model.UseJointAlignment("a", "a", 2, 1, new TensorRandom(1))).Message);
        Assert.Contains("must be finite and ≥ 0", Assert.Throws<ArgumentException>(() => model.UseJointAlignment("a", "b", 2, -1, new TensorRandom(1))).Message);
        model.UseJointAlignment("a", "b", 2, 1, new TensorRandom(1));
        Assert.Equal(["alignment.projection_a.weight", "alignment.projection_b.weight", "alignment.loss.logit_scale"],
            model.NamedParameters().Select(p => p.Key).Where(k => k.StartsWith("alignment.", StringComparison.Ordinal)).ToArray());
        Assert.All(model.NamedParameters().Where(p => p.Key.StartsWith("alignment.", StringComparison.Ordinal)),
            p => Assert.Equal(ParameterRole.Shared, model.RoleOf(p.Key).Role));
        Assert.Throws<InvalidOperationException>(() => model.UseJointAlignment("a", "b", 2, 1, new TensorRandom(1)));
        model.Eval();
        Assert.Null(model.Forward(Dataset(6).Batch([0, 1, 2, 3, 4, 5])).AuxiliaryLoss); // evaluation mode adds nothing

        var pictures = new MultiTaskAttentionNetwork<double>([new("p", new CnnEncoder<double>(1, 4, 4, [2], new TensorRandom(1))),
            new("q", new CnnEncoder<double>(1, 4, 4, [2], new TensorRandom(2)))], [new TaskSpec("t", TaskKind.Classification, 2)], new TensorRandom(3));
        Assert.Throws<NotSupportedException>(() => pictures.UseJointAlignment("p", "q", 2, 1, new TensorRandom(1)));
    }
}
