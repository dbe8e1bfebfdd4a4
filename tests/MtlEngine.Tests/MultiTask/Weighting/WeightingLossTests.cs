using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using static MtlEngine.Tests.MultiTask.WeightingFixture;

namespace MtlEngine.Tests.MultiTask.Weighting;

/// <summary>
/// Each loss-weighting strategy against its formula on hand-made losses, and its gradients against a backward pass of
/// the formula's loss written out as a graph.
/// </summary>
public class WeightingLossTests
{
    private static Dictionary<string, double[]> Weighted(double[] weights) =>
        Gradients(Model(), step => step.Backward(step.WeightedLoss(Tasks.Select((t, i) => (t.Name, weights[i])).ToDictionary(p => p.Name, p => p.Item2))));

    [Fact]
    public void UwWeighsByTheInverseVarianceAndMovesTheLogVariancesAlongTheirClosedFormGradient()
    {
        var model = Model();
        var losses = Losses(model);
        var uw = new UncertaintyWeighting<double>(Tasks, learningRate: 0.01);
        var gradients = Gradients(model, uw.Backward);
        double w = 1 / (2 * Math.Exp(-0.5));
        AssertClose(Weighted([w, w, w]), gradients);
        Assert.Equal([w, w, w], uw.LastWeights);
        // Adam's first step is lr·g/(|g| + ε): sₜ = −0.5 − 0.01·g/(|g| + 1e-8) with g = −lossₜ/(2e^{sₜ}) + 1/2.
        for (int t = 0; t < 3; t++)
        {
            double g = -losses[t] * w + 0.5;
            Assert.Equal(-0.5 - 0.01 * g / (Math.Abs(g) + 1e-8), uw.LogVariances[t], 14);
        }

        // The closed-form ∂L/∂sₜ against a central difference of UW's loss.
        double[] s = [-0.3, 0.2, 1.1], l = [0.7, 2.5, 0.1];
        for (int t = 0; t < 3; t++)
        {
            double[] up = (double[])s.Clone(), down = (double[])s.Clone();
            up[t] += 1e-6;
            down[t] -= 1e-6;
            double numeric = (UncertaintyWeighting<double>.Loss(l, up) - UncertaintyWeighting<double>.Loss(l, down)) / 2e-6;
            Assert.Equal(-l[t] / (2 * Math.Exp(s[t])) + 0.5, numeric, 7);
        }
    }

    [Fact]
    public void DwaWeightsFollowTheLossRatiosOfTheTwoPreviousEpochs()
    {
        // r = [0.5, 1, 2], τ = 2: w = 3·softmax([0.25, 0.5, 1]).
        var weights = DynamicWeightAverage<double>.Weights([1, 2, 4], [2, 2, 2], 2);
        double z = Math.Exp(0.25) + Math.Exp(0.5) + Math.Exp(1);
        Assert.Equal(3 * Math.Exp(0.25) / z, weights[0], 14);
        Assert.Equal(3 * Math.Exp(0.5) / z, weights[1], 14);
        Assert.Equal(3 * Math.Exp(1) / z, weights[2], 14);

        var dwa = new DynamicWeightAverage<double>(Tasks);
        Assert.Equal([1.0, 1, 1], dwa.CurrentWeights);
        dwa.OnEpochEnd(Report(1, [2, 2, 2]));
        Assert.Equal([1.0, 1, 1], dwa.CurrentWeights); // one epoch of history: still equal
        dwa.OnEpochEnd(Report(2, [1, 2, 4]));
        Assert.Equal(weights, dwa.CurrentWeights);
        AssertClose(Weighted(weights), Gradients(Model(), dwa.Backward));
        dwa.OnEpochEnd(Report(3, [1, 1, 1]));
        Assert.Equal(DynamicWeightAverage<double>.Weights([1, 1, 1], [1, 2, 4], 2), dwa.CurrentWeights);
    }

    private static EpochReport Report(int epoch, double[] losses) =>
        new(epoch, losses.Sum(), losses.Sum(), [], Tasks.Select((t, i) => (t.Name, losses[i])).ToDictionary(p => p.Name, p => p.Item2));

    [Fact]
    public void GlsGradientIsTheGradientOfTheGeometricMeanOfTheLosses()
    {
        var model = Model();
        var expected = Gradients(model, step =>
        {
            var logs = step.TaskLosses.Values.Select(l => l.Log()).ToList();
            ((logs[0] + logs[1] + logs[2]) * (1.0 / 3)).Exp().Backward(); // (Πₜ lossₜ)^{1/3}
        });
        AssertClose(expected, Gradients(model, new GeometricLossStrategy<double>(Tasks).Backward));

        // A task without labels (loss 0) leaves the product: the mean of the others.
        var weights = GeometricLossStrategy<double>.Weights([4, 0, 1]);
        Assert.Equal([2.0 / (2 * 4), 0, 2.0 / (2 * 1)], weights);
    }

    [Fact]
    public void RlwDrawsSeededSoftmaxWeightsThatAverageToOneOverT()
    {
        var first = new RandomLossWeighting<double>(Tasks, seed: 5);
        var again = new RandomLossWeighting<double>(Tasks, seed: 5);
        var other = new RandomLossWeighting<double>(Tasks, seed: 6);
        var w1 = first.NextWeights();
        Assert.Equal(w1, again.NextWeights());
        Assert.NotEqual(w1, other.NextWeights());
        var sums = new double[3];
        var squares = new double[3];
        const int draws = 4000;
        for (int i = 0; i < draws; i++)
        {
            var w = first.NextWeights();
            Assert.Equal(1.0, w.Sum(), 12);
            Assert.All(w, v => Assert.True(v > 0));
            for (int t = 0; t < 3; t++)
            {
                sums[t] += w[t];
                squares[t] += w[t] * w[t];
            }
        }
        for (int t = 0; t < 3; t++)
        {
            double mean = sums[t] / draws, sd = Math.Sqrt(squares[t] / draws - mean * mean);
            Assert.InRange(mean, 1.0 / 3 - 4 * sd / Math.Sqrt(draws), 1.0 / 3 + 4 * sd / Math.Sqrt(draws)); // symmetric in the tasks
            Assert.InRange(sd, 0.1, 0.3); // softmax of N(0, I₃): clearly random, not constant
        }

        // The step uses the next draw of the same sequence; the epoch's recorded weights are their mean.
        var strategy = new RandomLossWeighting<double>(Tasks, seed: 9);
        var twin = new RandomLossWeighting<double>(Tasks, seed: 9);
        var (a, b) = (twin.NextWeights(), twin.NextWeights());
        AssertClose(Weighted(a), Gradients(Model(), strategy.Backward));
        Gradients(Model(), strategy.Backward);
        for (int t = 0; t < 3; t++) Assert.Equal((a[t] + b[t]) / 2, strategy.TaskWeights[Tasks[t].Name], 14);
        strategy.OnEpochEnd(Report(1, [1, 1, 1]));
        for (int t = 0; t < 3; t++) Assert.Equal((a[t] + b[t]) / 2, strategy.TaskWeights[Tasks[t].Name], 14); // kept after the epoch
    }

    [Fact]
    public void DbMtlRescalesTheEmaOfTheLogLossGradientsToTheLargestNorm()
    {
        // Step 1 from a zero buffer: ĝ = g + 0.9·(0 − g) = 0.1·g; rows [3, 4] and [0, 1] → ĝ norms 0.5 and 0.1, α = [1, 5].
        var buffer = new double[4];
        var (direction, alpha) = DualBalancing<double>.Update(buffer, [3, 4, 0, 1], tasks: 2, step: 1, beta: 0.9, betaSigma: 0);
        Assert.Equal(0.5 / (0.5 + 1e-8), alpha[0], 14);
        Assert.Equal(0.5 / (0.1 + 1e-8), alpha[1], 12);
        Assert.Equal(0.3, direction[0], 7);
        Assert.Equal(0.4 + 0.5, direction[1], 6);
        // Step 2: ĝ = g + 0.9·(ĝ − g) with σ = 0; with σ = 1 the memory is 0.9/2.
        DualBalancing<double>.Update(buffer, [1, 0, 0, 2], 2, 2, 0.9, 0);
        double[] expectedBuffer = [0.1 * 1 + 0.9 * 0.3, 0.9 * 0.4, 0, 0.1 * 2 + 0.9 * 0.1];
        for (int i = 0; i < 4; i++) Assert.Equal(expectedBuffer[i], buffer[i], 12);

        // In training: the shared gradient is Σₜ αₜ·0.1·∇lossₜ/(lossₜ + 1e-8); each head gets ∇ log lossₜ.
        var model = Model();
        var losses = Losses(model);
        var perTask = Enumerable.Range(0, 3).Select(t => Gradients(model, step => step.Backward(step.TaskLosses.Values.ElementAt(t)))).ToArray();
        var strategy = new DualBalancing<double>(Tasks);
        var actual = Gradients(model, strategy.Backward);
        var a = strategy.LastWeights;
        var expected = perTask[0].ToDictionary(p => p.Key, p => new double[p.Value.Length]);
        foreach (var (name, values) in expected)
            for (int t = 0; t < 3; t++)
            {
                double scale = model.RoleOf(name).Role == ParameterRole.Shared ? a[t] * 0.1 / (losses[t] + 1e-8) : 1 / (losses[t] + 1e-8);
                for (int i = 0; i < values.Length; i++) values[i] += scale * perTask[t][name][i];
            }
        AssertClose(expected, actual, 1e-10);
        Assert.Equal(1.0, a.Min(), 6); // the largest EMA norm keeps scale 1 (up to the 1e-8 in αₜ's denominator)
        Assert.NotNull(strategy.GradientConflict);
    }

    [Fact]
    public void FamoWeightsAndLogitUpdateFollowThePaper()
    {
        // ξ = 0, losses [1, 2]: z = [½, ½], c = ½/1 + ½/2 = ¾, w = [⅔, ⅓].
        var weights = Famo<double>.Weights([0, 0], [1, 2]);
        Assert.Equal(2.0 / 3, weights[0], 8);
        Assert.Equal(1.0 / 3, weights[1], 8);
        // δ = [1, 0] (task 0's log-loss fell by 1): J_softmaxᵀδ = z ⊙ (δ − ⟨z, δ⟩) = [¼, −¼].
        var gradient = Famo<double>.LogitGradient([0, 0], [1, 1], [Math.Exp(-1), 1]);
        Assert.Equal(0.25, gradient[0], 8);
        Assert.Equal(-0.25, gradient[1], 8);

        var famo = new Famo<double>(Tasks);
        var model = Model();
        var losses = Losses(model);
        AssertClose(Weighted(Famo<double>.Weights([0, 0, 0], losses)), Gradients(model, famo.Backward));
        Assert.Equal([0.0, 0, 0], famo.Logits); // nothing to compare with before the second step
        Assert.Equal(1.0, famo.LastWeights.Sum(), 12);
    }

    [Fact]
    public void GradNormPullsTheWeightedGradientNormsTogether()
    {
        // w = [1, 1], ‖∇_W lossₜ‖ = [1, 3], equal loss ratios: Ḡ = 2, target 2 → ∂L_grad/∂w = [−1, +3].
        Assert.Equal([-1.0, 3.0], GradNorm<double>.WeightGradient([1, 1], [1, 3], [1, 1], 1.5));
        // A task that trains slower (larger loss ratio) gets a larger target: rₜ^α.
        var g = GradNorm<double>.WeightGradient([1, 1], [2, 2], [1, 3], 1.5);
        Assert.True(g[0] > 0 && g[1] < 0);

        var model = Model();
        Assert.Same(model.SharedParameters().Single(p => p.Key == "trunk.0.weight").Value, Assert.Single(model.LastSharedLayer()));
        var norms = Enumerable.Range(0, 3).Select(t => Gradients(model, step => step.Backward(step.TaskLosses.Values.ElementAt(t)))["trunk.0.weight"])
            .Select(v => Math.Sqrt(v.Sum(x => x * x))).ToArray();
        var strategy = new GradNorm<double>(Tasks, learningRate: 0.01);
        AssertClose(Weighted([1, 1, 1]), Gradients(model, strategy.Backward)); // the first step uses w = 1
        Assert.Equal(3.0, strategy.Weights.Sum(), 12);
        // The first step's loss ratios are 1, so the weights move against sign(wₜ‖∇lossₜ‖ − Ḡ): the largest norm loses weight.
        int largest = Array.IndexOf(norms, norms.Max()), smallest = Array.IndexOf(norms, norms.Min());
        Assert.True(strategy.Weights[largest] < 1 && strategy.Weights[smallest] > 1);
    }

    [Fact]
    public void GradNormMeasuresEachTaskOnEveryExpertOfTheLastSharedLayer()
    {
        // MMoE's last shared layer is its experts' last Linears side by side: ‖∇_W lossₜ‖ is the norm over all three, not
        // over the last expert's alone (which the gates weigh differently for each task).
        var model = new MultiGateMixtureOfExperts<double>([new("x", new IdentityEncoder<double>(3))], Tasks, experts: 3, expertHidden: [4, 5],
            new TensorRandom(3));
        var strategy = new GradNorm<double>(Tasks, learningRate: 0.01);
        strategy.Backward(Step(model));

        var step = Step(model); // the same parameters (GradNorm moves only its own weights)
        var layer = model.NamedParameters().Where(p => p.Key is "experts.0.2.weight" or "experts.1.2.weight" or "experts.2.2.weight").Select(p => p.Value).ToArray();
        Assert.Equal(3, layer.Length);
        var norms = strategy.LastGradientNorms!;
        for (int t = 0; t < 3; t++)
        {
            var gradients = Grad.Of(step.TaskLosses.Values.ElementAt(t), layer, retainGraph: true);
            double all = Math.Sqrt(gradients.Sum(g => g!.ToArray().Sum(x => x * x)));
            double last = Math.Sqrt(gradients[^1]!.ToArray().Sum(x => x * x));
            Assert.Equal(all, norms[t], 12);
            Assert.True(all - last > 1e-3 * all, $"task {t}: the other experts add nothing to the norm ({last} of {all}), so the test would not see one expert measured alone");
        }
    }

    [Fact]
    public void ImtlLScalesTheLossesByLearnedExponentials()
    {
        var model = Model();
        var losses = Losses(model);
        var imtl = new ImpartialLossWeighting<double>(Tasks, learningRate: 0.01);
        Assert.Equal("imtl-l", imtl.Name);
        AssertClose(Weighted([1, 1, 1]), Gradients(model, imtl.Backward)); // e⁰ = 1
        for (int t = 0; t < 3; t++) // ∂/∂sₜ = e^{sₜ}lossₜ − 1, Adam's first step lr·g/(|g| + ε)
            Assert.Equal(-0.01 * (losses[t] - 1) / (Math.Abs(losses[t] - 1) + 1e-8), imtl.LogScales[t], 14);
        var scales = imtl.LogScales.Select(Math.Exp).ToArray();
        AssertClose(Weighted(scales), Gradients(model, imtl.Backward));
    }

    [Fact]
    public void ALossWeightingRecordsTheConflictMatrixOnlyWhenAsked()
    {
        var plain = new FixedWeights<double>(Tasks, equal: true);
        var recording = new FixedWeights<double>(Tasks, equal: true, recordConflict: true);
        var withoutRecord = Gradients(Model(), plain.Backward);
        AssertClose(withoutRecord, Gradients(Model(), recording.Backward)); // recording does not change the gradients
        Assert.Null(plain.GradientConflict);
        var aggregated = new AggregationStrategy<double>(new SumAggregator(), Tasks);
        Gradients(Model(), aggregated.Backward);
        var expected = aggregated.GradientConflict!;
        var actual = recording.GradientConflict!;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(expected[i][j], actual[i][j], 12);
    }
}
