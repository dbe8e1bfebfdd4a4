using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// Missing inputs: the fills (zeros, running mean, learned token), modality dropout (its rate, never every input of a
/// sample, off in evaluation mode, seeded), and robustness curves (0% missing is the plain test metric; the area).
/// </summary>
public class MissingModalityTests
{
    [Fact]
    public void ModalityDropoutDropsAtTheExpectedRateAndNeverEveryInput()
    {
        const int n = 20000, m = 3;
        const double p = 0.3;
        var dropout = new ModalityDropout<double>(p, seed: 11);
        var already = new double[n];
        for (int r = 0; r < n; r++) already[r] = r % 4 == 0 ? 0 : 1; // input 0 is missing for a quarter of the samples
        var masks = dropout.Drop([MtlTensor.FromArray(already, n), null, null], n).Select(t => t!.ToArray()).ToArray();
        for (int r = 0; r < n; r++)
        {
            Assert.True(masks[0][r] + masks[1][r] + masks[2][r] >= 1, $"sample {r} lost every input");
            if (already[r] == 0) Assert.Equal(0.0, masks[0][r]); // missing stays missing
        }
        // With k present inputs each is dropped with probability p − pᵏ/k (one of them is kept when all are drawn).
        double Rate(int input, int k) => Enumerable.Range(0, n).Where(r => (already[r] == 1 ? 3 : 2) == k && (input != 0 || already[r] == 1))
            .Average(r => 1 - masks[input][r]);
        Assert.Equal(p - Math.Pow(p, 3) / 3, Rate(1, 3), 0.015);
        Assert.Equal(p - Math.Pow(p, 3) / 3, Rate(0, 3), 0.015);
        Assert.Equal(p - Math.Pow(p, 2) / 2, Rate(2, 2), 0.02);

        var again = new ModalityDropout<double>(p, seed: 11).Drop([MtlTensor.FromArray(already, n), null, null], n).Select(t => t!.ToArray()).ToArray();
        Assert.Equal(masks[1], again[1]); // seeded
        dropout.Eval();
        var present = new MtlTensor<double>?[] { MtlTensor.FromArray(already, n), null, null };
        Assert.Same(present, dropout.Drop(present, n)); // evaluation mode: untouched
        Assert.Equal(m, present.Length);
    }

    [Fact]
    public void PerInputRatesDropEachInputAtItsOwnRate()
    {
        const int n = 40000;
        const double pa = 0.5, pb = 0.2;
        var masks = new ModalityDropout<double>([pa, pb, 0], seed: 4).Drop([null, null, null], n).Select(t => t?.ToArray()).ToArray();
        Assert.Null(masks[2]); // rate 0 and a third input always there: input c is never dropped and no sample loses every input
        Assert.Equal(pa, masks[0]!.Average(v => 1 - v), 0.01);
        Assert.Equal(pb, masks[1]!.Average(v => 1 - v), 0.01);

        // Two inputs: input i is dropped with probability pᵢ(1 − pⱼ) + pᵢpⱼ/2 (when both are drawn, one of them is kept).
        var two = new ModalityDropout<double>([pa, pb], seed: 5).Drop([null, null], n).Select(t => t!.ToArray()).ToArray();
        Assert.Equal(pa * (1 - pb) + pa * pb / 2, two[0].Average(v => 1 - v), 0.01);
        Assert.Equal(pb * (1 - pa) + pa * pb / 2, two[1].Average(v => 1 - v), 0.01);
        Assert.All(Enumerable.Range(0, n), r => Assert.True(two[0][r] + two[1][r] >= 1));

        // Equal rates draw exactly as one shared rate.
        var shared = new ModalityDropout<double>(0.3, seed: 6).Drop([null, null], 500).Select(t => t!.ToArray()).ToArray();
        var each = new ModalityDropout<double>([0.3, 0.3], seed: 6).Drop([null, null], 500).Select(t => t!.ToArray()).ToArray();
        Assert.Equal(shared[0], each[0]);
        Assert.Equal(shared[1], each[1]);

        Assert.Contains("one probability in [0, 1) per input, got [0.5, 1]", Assert.Throws<ArgumentException>(() => new ModalityDropout<double>([0.5, 1], 1)).Message);
        Assert.Contains("2 per-input rates, but got 3 masks", Assert.Throws<ArgumentException>(() => new ModalityDropout<double>([0.5, 0.1], 1).Drop([null, null, null], 4)).Message);
    }

    [Fact]
    public void TheModelTakesPerInputRatesByName()
    {
        var (data, rows) = Dataset();
        var batch = data.Batch(rows);
        var model = Model();
        Assert.Contains("\"c\", which is not an input; the inputs are a, b",
            Assert.Throws<ArgumentException>(() => model.UseModalityDropout(new Dictionary<string, double> { ["c"] = 0.5 }, seed: 3)).Message);
        model.UseModalityDropout(new Dictionary<string, double> { ["b"] = 0.4 }, seed: 3);
        Assert.Equal([0.0, 0.4], model.ModalityDropout!.Rates!);
        model.Eval();
        var reference = model.Forward(batch)["t"].ToArray();
        model.Train();
        Assert.NotEqual(reference, model.Forward(batch)["t"].ToArray());
        Assert.Throws<InvalidOperationException>(() => model.UseModalityDropout(new Dictionary<string, double> { ["a"] = 0.1 }, seed: 3));
    }

    private static HardParameterSharing<double> Model(MissingFill fill = MissingFill.Zeros, string fusion = "sum")
    {
        var a = new MlpEncoder<double>(3, [4], new TensorRandom(1));
        var b = new MlpEncoder<double>(2, [3], new TensorRandom(2));
        a.UseMissingFill(fill);
        return new HardParameterSharing<double>([new("a", a), new("b", b)], [5], [new TaskSpec("t", TaskKind.Classification, 3)], new TensorRandom(3),
            fusion: Fusions.Create<double>(fusion, [4, 3], new TensorRandom(4), new FusionOptions(Dimension: 4)));
    }

    private static (MultiTaskDataset<double> Data, int[] Rows) Dataset(int n = 40)
    {
        var a = new double[n * 3];
        var b = new double[n * 2];
        var labels = new int[n];
        var present = new bool[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 3; j++) a[i * 3 + j] = Math.Sin(0.37 * i + j);
            for (int j = 0; j < 2; j++) b[i * 2 + j] = Math.Cos(0.53 * i + 2 * j);
            labels[i] = i % 3;
            present[i] = i % 5 != 0;
        }
        var data = new MultiTaskDataset<double>(n).AddInput("a", a, [n, 3], present).AddInput("b", b, [n, 2]).AddLabels("t", labels);
        return (data, Enumerable.Range(0, n).ToArray());
    }

    [Fact]
    public void ALearnedTokenReplacesTheMissingRowsAndLearns()
    {
        var model = Model(MissingFill.Learned);
        Assert.Contains("encoders.a.missing_token", model.NamedParameters().Select(p => p.Key));
        var encoder = model.Encoders[0];
        using (Grad.NoGrad()) MtlTensor.FromArray(new[] { 1.0, -2, 3, 0.5 }, 4).CopyTo(encoder.MissingToken!.Detach());
        var (data, rows) = Dataset(6);
        var batch = data.Batch(rows);
        var encoded = encoder.Encode(batch.Input("a"), "a").ToArray();
        Assert.Equal([1.0, -2, 3, 0.5], encoded[..4]); // row 0 misses a
        Assert.NotEqual([1.0, -2, 3, 0.5], encoded[4..8]);
        model.ZeroGrad();
        TaskObjectives.Loss(model.Tasks[0], model.Forward(batch)["t"], batch.Target("t")).Backward();
        Assert.Contains(encoder.MissingToken!.Grad!.ToArray(), g => g != 0); // the fusion saw the token (no mask for a filled input)
    }

    [Fact]
    public void TheMeanFillIsTheRunningMeanOfThePresentRowsInTraining()
    {
        var encoder = new MlpEncoder<double>(3, [4], new TensorRandom(1)).UseMissingFill(MissingFill.Mean);
        var (data, rows) = Dataset(10);
        var input = data.Batch(rows).Input("a");
        var plain = new MlpEncoder<double>(3, [4], new TensorRandom(1)).Encode(BatchInput<double>.Dense(input.Values!), "a").ToArray();
        encoder.Encode(input, "a"); // training mode: mean ← 0.9·0 + 0.1·(mean of rows 1–4, 6–9)
        var expected = new double[4];
        var presentRows = rows.Where(r => r % 5 != 0).ToArray();
        for (int j = 0; j < 4; j++) expected[j] = 0.1 * presentRows.Average(r => plain[r * 4 + j]);
        var mean = encoder.MissingMean!.ToArray();
        for (int j = 0; j < 4; j++) Assert.Equal(expected[j], mean[j], 12);
        encoder.Eval();
        var filled = encoder.Encode(input, "a").ToArray();
        for (int j = 0; j < 4; j++) Assert.Equal(mean[j], filled[5 * 4 + j], 12); // row 5 misses a
        Assert.Equal(mean, encoder.MissingMean!.ToArray()); // evaluation mode does not update it
        Assert.Contains("missing_mean", encoder.StateDict().Select(a => a.Name));
    }

    [Fact]
    public void ModalityDropoutActsInTrainingModeOnly()
    {
        var (data, rows) = Dataset();
        var batch = data.Batch(rows);
        var model = Model();
        model.Eval();
        var reference = model.Forward(batch)["t"].ToArray();
        model.UseModalityDropout(0.5, seed: 3);
        model.Eval();
        Assert.Equal(reference, model.Forward(batch)["t"].ToArray());
        model.Train();
        Assert.NotEqual(reference, model.Forward(batch)["t"].ToArray());
        Assert.Contains("modality_dropout", model.NamedModules().Select(m => m.Key));
        Assert.DoesNotContain(model.NamedParameters(), p => p.Key.StartsWith("modality_dropout", StringComparison.Ordinal));
    }

    [Fact]
    public void RobustnessAtNoMissingSampleIsThePlainTestMetric()
    {
        var (data, rows) = Dataset();
        var model = Model(fusion: "attention");
        var options = new TrainingOptions(3, 8, 1);
        using var optimizer = new Adam<double>(model.Parameters(), 0.05);
        new Trainer<double>(model, optimizer, options).Fit(data, rows[..30], rows[30..]);
        var test = rows[10..];
        var plain = Trainer<double>.Evaluate(model, data, test).Metrics.Single().Value;
        model.Train();
        var curve = ModalityRobustness.Curve(model, data, test, "b", "t", seed: 4);
        Assert.Equal(ModalityRobustness.Fractions(), curve.MissingFractions);
        Assert.Equal(plain, curve.Values[0], 12);
        Assert.True(model.Training); // the mode is restored

        // At 100% every test sample misses b: the metric of a data set whose b is missing everywhere.
        var none = data.WithPresence("b", new bool[data.Count]);
        Assert.Equal(Trainer<double>.Evaluate(model, none, test).Metrics.Single().Value, curve.Values[^1], 12);
        Assert.Equal(ModalityRobustness.Area(curve.MissingFractions, curve.Values), curve.Area);
    }

    [Fact]
    public void TheAreaIsTheTrapezoidMeanHeight()
    {
        Assert.Equal(0.7, ModalityRobustness.Area([0, 0.5, 1], [0.7, 0.7, 0.7]), 14);
        Assert.Equal(0.5, ModalityRobustness.Area([0, 1], [1, 0]), 14);
        Assert.Equal((0.25 * (1 + 0.8) / 2 + 0.75 * (0.8 + 0.2) / 2), ModalityRobustness.Area([0, 0.25, 1], [1, 0.8, 0.2]), 14);
        Assert.Throws<ArgumentException>(() => ModalityRobustness.Area([0, 0], [1, 1]));
    }
}
