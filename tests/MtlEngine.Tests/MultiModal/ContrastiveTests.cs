using System.Numerics;
using System.Text.Json;
using MtlEngine.Autograd;
using MtlEngine.Metrics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiModal;

/// <summary>
/// The shared space: CLIP's symmetric InfoNCE loss against PyTorch and finite differences, the learnable temperature
/// and its clamp, the retrieval metrics against NumPy (open_clip's way) and hand examples, nearest-class classification,
/// and the two-tower <see cref="ContrastiveAligner{T}"/> learning an alignment.
/// </summary>
public class ContrastiveTests
{
    private static readonly JsonElement Fixtures = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "MultiModal", "contrastive_fixtures.json"))).RootElement;

    /// <summary>The script's wave(shape, a, b) = sin(a·i + b) over the flat index i.</summary>
    private static MtlTensor<T> Wave<T>(int n, int d, double a, double b) where T : unmanaged, IFloatingPointIeee754<T> =>
        MtlTensor.FromArray(Enumerable.Range(0, n * d).Select(i => T.CreateChecked(Math.Sin(a * i + b))).ToArray(), n, d);

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{what} element {i}: PyTorch {expected[i]:R}, ours {actual[i]:R}");
    }

    public static TheoryData<int> LossCases() => [0, 1, 2, 3, 4];

    [Theory]
    [MemberData(nameof(LossCases))]
    public void Loss_value_logits_and_gradients_match_pytorch(int index)
    {
        var c = Fixtures.GetProperty("loss")[index];
        int n = c.GetProperty("n").GetInt32(), d = c.GetProperty("d").GetInt32();
        double a = c.GetProperty("a").GetDouble(), b = c.GetProperty("b").GetDouble();
        var x = Wave<double>(n, d, a, b);
        var y = Wave<double>(n, d, b + 0.11, a * 0.7);
        var s = MtlTensor.Scalar(c.GetProperty("logit_scale").GetDouble());
        x.RequiresGrad = y.RequiresGrad = s.RequiresGrad = true;
        var loss = ContrastiveLoss.SymmetricInfoNce(x, y, s);
        loss.Backward();
        AssertClose([c.GetProperty("loss").GetDouble()], loss.ToArray(), 1e-12, "loss");
        AssertClose(Doubles(c.GetProperty("grad_x")), x.Grad!.ToArray(), 1e-11, "∂loss/∂x");
        AssertClose(Doubles(c.GetProperty("grad_y")), y.Grad!.ToArray(), 1e-11, "∂loss/∂y");
        AssertClose([c.GetProperty("grad_scale").GetDouble()], s.Grad!.ToArray(), 1e-11, "∂loss/∂s");
        using (Grad.NoGrad())
            AssertClose(Doubles(c.GetProperty("logits")), ContrastiveLoss.Logits(x, y, s).ToArray(), 1e-12, "logits");

        // float32: the same values to float precision.
        var xf = Wave<float>(n, d, a, b);
        var yf = Wave<float>(n, d, b + 0.11, a * 0.7);
        var lossF = ContrastiveLoss.SymmetricInfoNce(xf, yf, MtlTensor.Scalar((float)c.GetProperty("logit_scale").GetDouble()));
        AssertClose([c.GetProperty("loss").GetDouble()], [lossF.ToArray()[0]], 1e-5, "float loss");
    }

    [Theory]
    [InlineData(5, 3, 2.659)]
    [InlineData(1, 4, 0.3)]
    [InlineData(4, 7, 1.1)]
    [InlineData(9, 2, 4.0)]
    public void Loss_gradients_agree_with_finite_differences(int n, int d, double scale)
    {
        var x = new TensorRandom(1).Normal([n, d], 0.0, 1.0);
        var y = new TensorRandom(2).Normal([n, d], 0.0, 1.0);
        var result = GradCheck.Check(t => ContrastiveLoss.SymmetricInfoNce(t[0], t[1], t[2]), [x, y, MtlTensor.Scalar(scale)]);
        Assert.True(result.Passed, result.Message);
        var normalize = GradCheck.Check(t => ContrastiveLoss.Normalize(t[0]), [new TensorRandom(3).Normal([n, d], 0.0, 1.0)]);
        Assert.True(normalize.Passed, normalize.Message);
        var logits = GradCheck.Check(t => ContrastiveLoss.Logits(t[0], t[1], t[2]), [x, new TensorRandom(4).Normal([n + 2, d], 0.0, 1.0), MtlTensor.Scalar(scale)]);
        Assert.True(logits.Passed, logits.Message);
    }

    [Fact]
    public void Loss_is_log_n_when_every_candidate_looks_alike_and_small_when_pairs_align()
    {
        var same = MtlTensor.FromArray(Enumerable.Repeat(1.0, 6 * 3).ToArray(), 6, 3);
        Assert.Equal(Math.Log(6), ContrastiveLoss.SymmetricInfoNce(same, same, MtlTensor.Scalar(2.0)).ToArray()[0], 12);
        var eye = MtlTensor.FromArray(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } });
        // Aligned orthonormal pairs at scale 100: −log(e^100 / (e^100 + 2e^0)) ≈ 2e^−100.
        Assert.True(ContrastiveLoss.SymmetricInfoNce(eye, eye * 5.0, MtlTensor.Scalar(Math.Log(100))).ToArray()[0] < 1e-40);
        Assert.Throws<ArgumentException>(() => ContrastiveLoss.SymmetricInfoNce(eye, same, MtlTensor.Scalar(1.0)));
        Assert.Throws<ArgumentException>(() => ContrastiveLoss.SymmetricInfoNce(eye, eye, MtlTensor.Zeros<double>(2)));
    }

    [Fact]
    public void Clip_loss_module_holds_a_clamped_learnable_temperature()
    {
        var loss = new ClipLoss<double>();
        Assert.Equal(["logit_scale"], loss.NamedParameters().Select(p => p.Key));
        Assert.Equal(Math.Log(1 / 0.07), loss.LogitScale.ToArray()[0], 12);
        Assert.Equal(0.07, loss.Temperature, 12);
        Assert.Empty(loss.LogitScale.Shape.ToArray());

        var x = Wave<double>(4, 3, 0.3, 0.1);
        var y = Wave<double>(4, 3, 0.9, 0.2);
        var stacked = MtlTensor.FromArray([.. x.ToArray(), .. y.ToArray()], 2, 4, 3);
        Assert.Equal(loss.Loss(x, y).ToArray(), loss.Forward(stacked).ToArray());

        loss.LogitScale.AsSpan()[0] = 6.0; // past ln 100: the forward clamps, the parameter is clamped in place on request
        Assert.Equal(0.01, loss.Temperature, 12);
        var beyond = loss.Loss(x, y).ToArray()[0];
        loss.ClampLogitScale();
        Assert.Equal(Math.Log(100), loss.LogitScale.ToArray()[0], 12);
        Assert.Equal(beyond, loss.Loss(x, y).ToArray()[0], 12);
        loss.LogitScale.AsSpan()[0] = -2.0;
        loss.ClampLogitScale();
        Assert.Equal(0.0, loss.LogitScale.ToArray()[0]);
    }

    public static TheoryData<int> RetrievalCases() => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(RetrievalCases))]
    public void Retrieval_metrics_match_numpy(int index)
    {
        var c = Fixtures.GetProperty("retrieval")[index];
        var scores = Doubles(c.GetProperty("scores"));
        var targets = c.GetProperty("targets").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        var metrics = RetrievalMetrics.FromScores(scores, c.GetProperty("queries").GetInt32(), targets);
        Assert.Equal(c.GetProperty("ranks").EnumerateArray().Select(r => r.GetInt32()), metrics.Ranks);
        Assert.Equal(c.GetProperty("recall_at_1").GetDouble(), metrics.RecallAt1, 14);
        Assert.Equal(c.GetProperty("recall_at_5").GetDouble(), metrics.RecallAt5, 14);
        Assert.Equal(c.GetProperty("recall_at_10").GetDouble(), metrics.RecallAt10, 14);
        Assert.Equal(c.GetProperty("median_rank").GetDouble(), metrics.MedianRank);
        Assert.Equal(c.GetProperty("mean_rank").GetDouble(), metrics.MeanRank, 12);
        Assert.Equal(c.GetProperty("candidates").GetInt32(), metrics.Candidates);
    }

    [Fact]
    public void Retrieval_metrics_of_hand_examples()
    {
        // Query 0: its answer (0) scores best → rank 1. Query 1: answer 2 scores 0.5, below 0.9 and tied with candidate 0
        // (a lower index) → rank 3. Query 2: answer 1 is tied with candidate 2 (a higher index) → rank 1.
        double[] scores =
        [
            0.9, 0.1, 0.2,
            0.5, 0.9, 0.5,
            0.1, 0.4, 0.4,
        ];
        var m = RetrievalMetrics.FromScores(scores, 3, [0, 2, 1]);
        Assert.Equal([1, 3, 1], m.Ranks);
        Assert.Equal(2.0 / 3, m.RecallAt1, 15);
        Assert.Equal(1.0, m.RecallAt5);
        Assert.Equal(1.0, m.MedianRank);
        Assert.Equal(5.0 / 3, m.MeanRank, 15);

        var four = RetrievalMetrics.FromScores([1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0], 4, [0, 0, 2, 3]);
        Assert.Equal([1, 2, 1, 4], four.Ranks);
        Assert.Equal(1.0, four.MedianRank); // median of 1, 1, 2, 4 is 1.5, floored
        Assert.Equal(0.25, RetrievalMetrics.ChanceRecallAt(1, 4));
        Assert.Equal(1.0, RetrievalMetrics.ChanceRecallAt(10, 4));

        // Paired: rows rank candidates of B for each A; columns rank candidates of A for each B.
        var similarity = MtlTensor.FromArray(new double[,] { { 0.9, 0.8 }, { 0.95, 0.1 } });
        var (aToB, bToA) = RetrievalMetrics.Paired(similarity);
        Assert.Equal([1, 2], aToB.Ranks);
        Assert.Equal([2, 2], bToA.Ranks); // column 0: 0.95 (A₁) beats 0.9; column 1: 0.8 (A₀) beats 0.1
    }

    [Fact]
    public void Ranks_equal_the_position_in_a_stable_descending_sort_over_many_shapes_with_ties()
    {
        var random = new TensorRandom(17);
        for (int queries = 1; queries <= 9; queries += 2)
            for (int candidates = 1; candidates <= 31; candidates += 3)
            {
                // Few distinct values, so ties are common.
                var scores = random.Integers([queries * candidates], 0, 4).ToArray().Select(v => (double)v).ToArray();
                var targets = random.Integers([queries], 0, candidates).ToArray();
                var metrics = RetrievalMetrics.FromScores(scores, queries, targets);
                for (int i = 0; i < queries; i++)
                {
                    // Textbook twin: sort the candidates by descending score, ties by index; the rank is the target's position + 1.
                    var row = scores.AsSpan(i * candidates, candidates).ToArray();
                    var order = Enumerable.Range(0, candidates).OrderByDescending(j => row[j]).ThenBy(j => j).ToList();
                    Assert.Equal(order.IndexOf(targets[i]) + 1, metrics.Ranks[i]);
                }
            }
    }

    [Fact]
    public void Retrieval_metrics_reject_inputs_that_do_not_fit()
    {
        Assert.Contains("candidate 3", Assert.Throws<MetricInputException>(() => RetrievalMetrics.FromScores([1.0, 2, 3], 1, [3])).Message);
        Assert.Contains("NaN", Assert.Throws<MetricInputException>(() => RetrievalMetrics.FromScores([1.0, double.NaN], 1, [0])).Message);
        Assert.Throws<MetricInputException>(() => RetrievalMetrics.FromScores([1.0, 2, 3], 2, [0, 0]));
        Assert.Throws<MetricInputException>(() => RetrievalMetrics.FromScores([1.0, 2], 1, [0, 0]));
        Assert.Contains("square", Assert.Throws<MetricInputException>(() => RetrievalMetrics.Paired(MtlTensor.Zeros<double>(2, 3))).Message);
    }

    [Fact]
    public void Nearest_class_picks_the_most_similar_class_name_embedding()
    {
        var classes = MtlTensor.FromArray(new double[,] { { 1, 0 }, { 0, 1 }, { -1, -1 } });
        var samples = MtlTensor.FromArray(new double[,] { { 5, 1 }, { 0.1, 3 }, { -2, -1.5 }, { 1, 1 } });
        Assert.Equal([0, 1, 2, 0], RetrievalMetrics.NearestClass(samples, classes)); // (1, 1) ties 0 and 1: the lower class
        Assert.Throws<MetricInputException>(() => RetrievalMetrics.NearestClass(samples, MtlTensor.Zeros<double>(2, 3)));
    }

    /// <summary>Two views of one latent z (n, 4): a = z·Wa + noise (n, 6), b = tanh(z·Wb) (n, 5).</summary>
    private static (MtlTensor<float> A, MtlTensor<float> B) TwoViews(int n, ulong seed)
    {
        var random = new TensorRandom(seed);
        var z = random.Normal([n, 4], 0f, 1f);
        var a = z.Matmul(random.Normal([4, 6], 0f, 1f)) + random.Normal([n, 6], 0f, 0.1f);
        var b = z.Matmul(random.Normal([4, 5], 0f, 1f)).Tanh();
        return (a, b);
    }

    private static ContrastiveAligner<float> Aligner(ulong seed)
    {
        var random = new TensorRandom(seed);
        return new ContrastiveAligner<float>(new MlpEncoder<float>(6, [16], random), 16, new MlpEncoder<float>(5, [16], random), 16, 8, random);
    }

    [Fact]
    public void Aligner_learns_to_find_the_pair_of_each_sample_and_is_deterministic()
    {
        var (a, b) = TwoViews(96, seed: 11);
        var model = Aligner(seed: 3);
        Assert.Equal(
            ["encoder_a.layers.0.weight", "encoder_a.layers.0.bias", "encoder_b.layers.0.weight", "encoder_b.layers.0.bias",
             "projection_a.weight", "projection_b.weight", "loss.logit_scale"],
            model.NamedParameters().Select(p => p.Key));
        var before = RetrievalMetrics.Paired(model.Similarity(a, b)).AToB;
        var options = new ContrastiveFitOptions(Epochs: 25, BatchSize: 32, LearningRate: 0.01, Seed: 5);
        var report = model.Fit(a, b, options);
        var (aToB, bToA) = RetrievalMetrics.Paired(model.Similarity(a, b));
        Assert.Equal(25, report.EpochLosses.Count);
        Assert.Equal(75, report.Steps);
        Assert.True(report.EpochLosses[^1] < 0.6 * report.EpochLosses[0], $"loss {report.EpochLosses[0]} → {report.EpochLosses[^1]}");
        Assert.True(aToB.RecallAt5 > 0.5 && bToA.RecallAt5 > 0.5 && aToB.RecallAt5 > before.RecallAt5 + 0.2,
            $"R@5 before {before.RecallAt5}, after {aToB.RecallAt5} and {bToA.RecallAt5} (chance {RetrievalMetrics.ChanceRecallAt(5, 96):F3})");
        Assert.InRange(report.FinalLogitScale, 0, Math.Log(100));

        var shortRun = options with { Epochs = 3 };
        Assert.Equal(Aligner(seed: 3).Fit(a, b, shortRun).EpochLosses, Aligner(seed: 3).Fit(a, b, shortRun).EpochLosses);
        Assert.Equal(report.EpochLosses.Take(3), Aligner(seed: 3).Fit(a, b, shortRun).EpochLosses);
        Assert.Throws<ArgumentException>(() => model.Fit(a, b.Slice(0, 0, 10)));
    }
    /// <summary>
    /// Fit's steps run inside a <see cref="TensorArena"/> (as the trainer's): the plain loop below, the textbook twin without
    /// an arena (what Fit was before), gives bit for bit the same epoch losses, parameters and logit scale, with batches of
    /// changing sizes (90 pairs in batches of 32: 32, 32, 26) and with Adam and AdamW. Nothing that outlives a step comes
    /// from the arena: the optimizer's moments are read by every later step, the parameters and their gradients after Fit
    /// and by a second Fit, and any of them lent by an earlier step would throw <see cref="ArenaReuseException"/>.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void Fit_in_an_arena_gives_the_plain_loops_parameters_and_losses_bit_for_bit(double weightDecay)
    {
        var (a, b) = TwoViews(90, seed: 7);
        var options = new ContrastiveFitOptions(Epochs: 4, BatchSize: 32, LearningRate: 0.01, WeightDecay: weightDecay, Seed: 9);
        var fitted = Aligner(seed: 4);
        var report = fitted.Fit(a, b, options);

        var plain = Aligner(seed: 4);
        using Optimizer<float> optimizer = weightDecay > 0
            ? new AdamW<float>(plain.Parameters(), options.LearningRate, weightDecay: weightDecay)
            : new Adam<float>(plain.Parameters(), options.LearningRate);
        plain.Train();
        var losses = new List<double>();
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            var order = new TensorRandom(options.Seed, stream: (ulong)epoch).Permutation(90);
            double total = 0;
            int batches = 0;
            for (int start = 0; start < 90; start += options.BatchSize)
            {
                var rows = order.AsSpan(start, Math.Min(options.BatchSize, 90 - start));
                var loss = plain.Loss(a.IndexSelect(0, rows), b.IndexSelect(0, rows));
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                plain.ClipLoss.ClampLogitScale();
                total += loss.ToArray()[0];
                batches++;
            }
            losses.Add(total / batches);
        }
        plain.Eval();

        Assert.Equal(losses, report.EpochLosses);
        Assert.Equal(12, report.Steps);
        var expected = plain.NamedParameters().ToArray();
        var actual = fitted.NamedParameters().ToArray();
        Assert.Equal(expected.Select(p => p.Key), actual.Select(p => p.Key));
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k].Value.ToArray(), actual[k].Value.ToArray()); // bitwise: float equality, no tolerance
            Assert.Equal(expected[k].Value.Grad!.ToArray(), actual[k].Value.Grad!.ToArray());
        }
        Assert.Equal(double.CreateChecked(plain.ClipLoss.LogitScale.Item()), report.FinalLogitScale);
        Assert.False(fitted.Training);
        Assert.Equal(2, fitted.Fit(a, b, options with { Epochs = 2 }).EpochLosses.Count); // a new optimizer on the same parameters
    }
}
