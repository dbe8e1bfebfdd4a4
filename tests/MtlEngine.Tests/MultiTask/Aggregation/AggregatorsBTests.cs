using System.Text.Json;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>
/// PCGrad, GradDrop, GradVac, Nash-MTL and FairGrad against the NumPy/SciPy references written by
/// aggregator_fixture_b.py (Fixtures/MultiTask/aggregators_b.json, the random draws fed in), and the properties each
/// satisfies: the optimality system checked directly, permutation, scaling, agreeing tasks, D = WᵀJ.
/// </summary>
public class AggregatorsBTests
{
    private static readonly JsonElement[] Cases = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "MultiTask", "aggregators_b.json"))).RootElement.GetProperty("cases").EnumerateArray().ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static int[][] Orders(JsonElement e) => e.EnumerateArray().Select(o => o.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    private static DenseMatrix Jacobian(JsonElement c, JsonElement data) => new(c.GetProperty("tasks").GetInt32(), c.GetProperty("parameters").GetInt32(), Doubles(data));

    /// <summary>|a − b| ≤ tol·scale elementwise, with scale the largest |b| (the vector's own size).</summary>
    private static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(expected.Max(Math.Abs), double.Epsilon);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>Each entry within tol relative to itself (for weights, which may differ by 10⁶ in size).</summary>
    private static void Relative(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>D = WᵀJ, computed the textbook way, to within the size of the terms.</summary>
    private static void IsWeighting(DenseMatrix j, AggregationResult result, double tolerance = 1e-12)
    {
        Assert.NotNull(result.Weights);
        var w = result.Weights!;
        for (int p = 0; p < j.Columns; p++)
        {
            double sum = 0, scale = 0;
            for (int i = 0; i < j.Rows; i++) { sum += w[i] * j[i, p]; scale += Math.Abs(w[i] * j[i, p]); }
            Assert.True(Math.Abs(sum - result.Direction[p]) <= tolerance * scale + 1e-300, $"D[{p}] = {result.Direction[p]:R} but WᵀJ = {sum:R}");
        }
    }

    private static DenseMatrix Gramian(DenseMatrix j)
    {
        var g = new DenseMatrix(j.Rows, j.Rows);
        for (int a = 0; a < j.Rows; a++)
            for (int b = 0; b < j.Rows; b++)
                for (int p = 0; p < j.Columns; p++) g[a, b] += j[a, p] * j[b, p];
        return g;
    }

    /// <summary>max over i of |(G·w)ᵢ − wᵢ^(−p)| / (Σⱼ|Gᵢⱼ|wⱼ + wᵢ^(−p)), with G from J the textbook way.</summary>
    private static double SystemResidual(DenseMatrix j, double[] w, double p)
    {
        var g = Gramian(j);
        double worst = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double sum = 0, scale = 0;
            for (int k = 0; k < w.Length; k++) { sum += g[i, k] * w[k]; scale += Math.Abs(g[i, k]) * w[k]; }
            double target = Math.Pow(w[i], -p);
            Assert.True(w[i] > 0, $"weight {i} is {w[i]}; the system's weights are positive");
            worst = Math.Max(worst, Math.Abs(sum - target) / (scale + target));
        }
        return worst;
    }

    /// <summary>Random T × P Jacobians: normal entries, rows scaled by 10^(−3..3) when <paramref name="spread"/>, and of rank
    /// <paramref name="rank"/> with non-negative mixing when given (defined for Nash-MTL and FairGrad).</summary>
    private static DenseMatrix RandomJacobian(ulong seed, int t, int p, bool spread = false, int rank = 0)
    {
        var random = new TensorRandom(seed);
        DenseMatrix j;
        if (rank > 0)
        {
            var a = random.Uniform([t, rank], 0.1, 1.0).ToArray();
            var b = random.Normal([rank, p], 0.0, 1.0).ToArray();
            j = new DenseMatrix(t, p);
            for (int i = 0; i < t; i++)
                for (int c = 0; c < p; c++)
                    for (int k = 0; k < rank; k++) j[i, c] += a[i * rank + k] * b[k * p + c];
        }
        else j = new DenseMatrix(t, p, random.Normal([t, p], 0.0, 1.0).ToArray());
        if (spread && t > 1)
            for (int i = 0; i < t; i++)
            {
                double scale = Math.Pow(10, -3 + 6.0 * i / (t - 1));
                for (int c = 0; c < p; c++) j[i, c] *= scale;
            }
        return j;
    }

    private static DenseMatrix PermuteRows(DenseMatrix j, int[] order)
    {
        var result = new DenseMatrix(j.Rows, j.Columns);
        for (int k = 0; k < order.Length; k++) j.Row(order[k]).CopyTo(result.Row(k));
        return result;
    }

    // ---- against the fixture -------------------------------------------------------------------------------------

    [Fact]
    public void PCGradMatchesTheReference()
    {
        foreach (var c in Cases)
        {
            var j = Jacobian(c, c.GetProperty("jacobian"));
            var pc = c.GetProperty("pcgrad");
            string name = c.GetProperty("name").GetString()!;
            foreach (var (path, result) in new[] { ("gramian", PCGrad.Project(j, Orders(pc.GetProperty("orders")))), ("textbook", PCGrad.ProjectTextbook(j, Orders(pc.GetProperty("orders")))) })
            {
                Close(Doubles(pc.GetProperty("direction")), result.Direction, 1e-12, $"{name} {path} D");
                Close(Doubles(pc.GetProperty("weights")), result.Weights!, 1e-12, $"{name} {path} W");
                IsWeighting(j, result);
            }
        }
    }

    [Fact]
    public void GradDropMatchesTheReference()
    {
        foreach (var c in Cases)
        {
            var j = Jacobian(c, c.GetProperty("jacobian"));
            foreach (var e in c.GetProperty("graddrop").EnumerateArray())
                Close(Doubles(e.GetProperty("direction")), GradDrop.Drop(j, e.GetProperty("leak").GetDouble(), Doubles(e.GetProperty("uniforms"))),
                    1e-14, $"{c.GetProperty("name").GetString()} leak {e.GetProperty("leak").GetDouble()}");
        }
    }

    [Fact]
    public void GradVacMatchesTheReferenceOverThreeSteps()
    {
        int checkedCases = 0;
        foreach (var c in Cases)
        {
            if (!c.TryGetProperty("gradvac", out var gv)) continue;
            var aggregator = new GradVac(gv.GetProperty("beta").GetDouble());
            string name = c.GetProperty("name").GetString()!;
            int step = 0;
            foreach (var s in gv.GetProperty("steps").EnumerateArray())
            {
                var j = Jacobian(c, s.GetProperty("jacobian"));
                var result = aggregator.Step(j, Orders(s.GetProperty("orders")));
                Close(Doubles(s.GetProperty("direction")), result.Direction, 1e-11, $"{name} step {step} D");
                Close(Doubles(s.GetProperty("weights")), result.Weights!, 1e-11, $"{name} step {step} W");
                IsWeighting(j, result, 1e-11);
                step++;
            }
            var targets = aggregator.Targets!;
            Close(Doubles(gv.GetProperty("targets")), targets.Cast<double>().ToArray(), 1e-12, $"{name} targets");
            checkedCases++;
        }
        Assert.True(checkedCases > 20);
    }

    [Fact]
    public void NashMtlAndFairGradMatchTheReferenceOrThrowWhereUndefined()
    {
        int defined = 0, undefined = 0;
        foreach (var c in Cases)
        {
            var j = Jacobian(c, c.GetProperty("jacobian"));
            string name = c.GetProperty("name").GetString()!;
            foreach (var e in c.GetProperty("fairgrad").EnumerateArray())
            {
                double alpha = e.GetProperty("alpha").GetDouble();
                var aggregators = alpha == 1 ? new GradientAggregator[] { new FairGrad(alpha), new NashMtl() } : [new FairGrad(alpha)];
                foreach (var aggregator in aggregators)
                {
                    if (!e.GetProperty("defined").GetBoolean())
                    {
                        var error = Assert.Throws<UndefinedAggregationException>(() => aggregator.Aggregate(j));
                        Assert.Equal(aggregator.Name, error.Method);
                        undefined++;
                        continue;
                    }
                    var result = aggregator.Aggregate(j);
                    Relative(Doubles(e.GetProperty("weights")), result.Weights!, 1e-9, $"{name} {aggregator.Name} α={alpha} W");
                    Close(Doubles(e.GetProperty("direction")), result.Direction, 1e-9, $"{name} {aggregator.Name} α={alpha} D");
                    Assert.True(SystemResidual(j, result.Weights!, 1 / alpha) <= 1e-13, $"{name} {aggregator.Name} α={alpha}: residual {SystemResidual(j, result.Weights!, 1 / alpha):G3}");
                    IsWeighting(j, result);
                    defined++;
                }
            }
        }
        Assert.True(defined > 80 && undefined >= 16, $"{defined} defined, {undefined} undefined");
    }

    // ---- the random draws of the public path ----------------------------------------------------------------------

    [Fact]
    public void ThePublicPathDrawsFromTheSeededGeneratorAndResetReplaysIt()
    {
        var j = RandomJacobian(5, 5, 7);
        var random = new TensorRandom(42);
        var pcgrad = new PCGrad(42);
        var first = pcgrad.Aggregate(j);
        Assert.Equal(PCGrad.Project(j, TaskOrdersLike(random, 5)).Direction, first.Direction);
        var second = pcgrad.Aggregate(j);
        Assert.Equal(PCGrad.Project(j, TaskOrdersLike(random, 5)).Direction, second.Direction);
        pcgrad.Reset();
        Assert.Equal(first.Direction, pcgrad.Aggregate(j).Direction);

        var drop = new GradDrop(0.25, seed: 9);
        var uniforms = new TensorRandom(9).Uniform([7], 0.0, 1.0).ToArray();
        Assert.Equal(GradDrop.Drop(j, 0.25, uniforms), drop.Aggregate(j).Direction);
        Assert.Null(drop.Aggregate(j).Weights);
        drop.Reset();
        Assert.Equal(GradDrop.Drop(j, 0.25, uniforms), drop.Aggregate(j).Direction);

        var vac = new GradVac(0.5, seed: 3);
        var twin = new GradVac(0.5);
        var draws = new TensorRandom(3);
        Assert.Equal(twin.Step(j, TaskOrdersLike(draws, 5)).Direction, vac.Aggregate(j).Direction);
        Assert.Equal(twin.Step(j, TaskOrdersLike(draws, 5)).Direction, vac.Aggregate(j).Direction);
        vac.Reset();
        twin = new GradVac(0.5);
        Assert.Equal(twin.Step(j, TaskOrdersLike(new TensorRandom(3), 5)).Direction, vac.Aggregate(j).Direction);
    }

    /// <summary>The documented draw: per task i, a permutation of the other tasks (in increasing order).</summary>
    private static int[][] TaskOrdersLike(TensorRandom random, int t) =>
        Enumerable.Range(0, t).Select(i =>
        {
            var others = Enumerable.Range(0, t).Where(k => k != i).ToArray();
            return random.Permutation(t - 1).Select(k => others[k]).ToArray();
        }).ToArray();

    [Fact]
    public void OrdersThatAreNotPermutationsOfTheOtherTasksAreRejected()
    {
        var j = RandomJacobian(1, 3, 4);
        Assert.Throws<ArgumentException>(() => PCGrad.Project(j, [[1, 2], [0, 2], [0, 0]]));
        Assert.Throws<ArgumentException>(() => PCGrad.Project(j, [[1, 2], [0, 2]]));
        Assert.Throws<ArgumentException>(() => new GradVac().Step(j, [[1, 2], [0, 2], [2, 0]]));
    }

    // ---- properties ------------------------------------------------------------------------------------------------

    [Fact]
    public void NashMtlAndFairGradMeetTheirSystemsExactlyOverRandomSpreadAndRankDeficientJacobians()
    {
        ulong seed = 100;
        foreach (int t in new[] { 1, 2, 3, 5, 8 })
            foreach (var (spread, rank) in new[] { (false, 0), (true, 0), (false, Math.Max(1, t - 2)), (true, Math.Max(1, t / 2)) })
            {
                var j = RandomJacobian(seed++, t, 3 * t + 2, spread, rank);
                foreach (double alpha in new[] { 0.1, 0.3, 1, 3, 20 })
                {
                    var result = new FairGrad(alpha).Aggregate(j);
                    double residual = SystemResidual(j, result.Weights!, 1 / alpha);
                    Assert.True(residual <= 1e-13, $"T={t} spread={spread} rank={rank} α={alpha}: residual {residual:G3}");
                    IsWeighting(j, result);
                }
                var nash = new NashMtl().Aggregate(j);
                Assert.True(SystemResidual(j, nash.Weights!, 1) <= 1e-13);
                // ‖D‖² = αᵀGα = Σ αᵢ·(1/αᵢ) = T, and every task improves: gᵢᵀD = 1/αᵢ > 0.
                double squaredNorm = nash.Direction.Sum(x => x * x);
                Assert.True(Math.Abs(squaredNorm - t) <= 1e-9 * t, $"‖D‖² = {squaredNorm} for T = {t}");
            }
    }

    [Fact]
    public void FairGradWithAVeryLargeAlphaSolvesOrSaysTheWeightsAreOutOfReach()
    {
        // α = 1000 is nearly max-min fairness: a dominated task's exact weight can be 10⁻²⁰⁰ of the others'.
        int solved = 0, refused = 0;
        ulong seed = 500;
        foreach (int t in new[] { 2, 3, 5, 8 })
            foreach (var (spread, rank) in new[] { (false, 0), (true, 0), (false, t - 1), (true, Math.Max(1, t / 2)) })
            {
                var j = RandomJacobian(seed++, t, 3 * t + 2, spread, rank);
                try
                {
                    var w = new FairGrad(1000).Aggregate(j).Weights!;
                    Assert.True(SystemResidual(j, w, 1e-3) <= 1e-12);
                    solved++;
                }
                catch (UndefinedAggregationException e) when (e.Message.Contains("out of reach")) { refused++; }
            }
        Assert.True(solved > 0 && refused > 0, $"{solved} solved, {refused} refused");
    }

    [Fact]
    public void NashMtlHasTheClosedFormsOfOneTaskAndOfEqualTasks()
    {
        var g = RandomJacobian(7, 1, 6);
        double norm = Math.Sqrt(g.Data.Sum(x => x * x));
        var one = new NashMtl().Aggregate(g);
        Assert.Equal(1 / norm, one.Weights![0], 1e-15 / norm);
        // FairGrad, T = 1: ‖g‖²·w = w^(−p), so w = ‖g‖^(−2/(1+p)).
        Assert.Equal(Math.Pow(norm, -2 / 1.5), new FairGrad(2).Aggregate(g).Weights![0], 1e-14);
        // T equal rows: G = ‖g‖²·11ᵀ, so αᵢ = 1/(‖g‖√T) and D = √T·g/‖g‖.
        var equal = new DenseMatrix(4, 6);
        for (int i = 0; i < 4; i++) g.Row(0).CopyTo(equal.Row(i));
        var result = new NashMtl().Aggregate(equal);
        foreach (double a in result.Weights!) Assert.Equal(1 / (norm * 2), a, 1e-14);
        for (int p = 0; p < 6; p++) Assert.Equal(2 * g[0, p] / norm, result.Direction[p], 1e-13);
    }

    [Fact]
    public void PermutingTasksPermutesTheWeights()
    {
        int[] order = [3, 0, 4, 2, 1];
        foreach (var j in new[] { RandomJacobian(11, 5, 9), RandomJacobian(12, 5, 9, spread: true), RandomJacobian(13, 5, 6, rank: 3) })
        {
            var permuted = PermuteRows(j, order);
            foreach (var make in new Func<GradientAggregator>[] { () => new NashMtl(), () => new FairGrad(0.5), () => new FairGrad(4) })
            {
                var w = make().Aggregate(j).Weights!;
                var wp = make().Aggregate(permuted).Weights!;
                Relative(order.Select(k => w[k]).ToArray(), wp, 1e-11, make().Name);
            }
        }
        // PCGrad with two tasks has no random choice: each task meets the other.
        var two = RandomJacobian(14, 2, 5);
        var w2 = new PCGrad(1).Aggregate(two).Weights!;
        var w2p = new PCGrad(2).Aggregate(PermuteRows(two, [1, 0])).Weights!;
        Close([w2[1], w2[0]], w2p, 1e-15, "pcgrad");
    }

    [Fact]
    public void ScalingTheJacobianScalesTheWeightsAsEachFormulaSays()
    {
        var j = RandomJacobian(21, 4, 10);
        const double c = 1e4;
        var scaled = new DenseMatrix(4, 10, j.Data.Select(x => c * x).ToArray());
        // Nash-MTL: α → α/c, D unchanged (‖D‖ = √T).
        var nash = new NashMtl().Aggregate(j);
        var nashScaled = new NashMtl().Aggregate(scaled);
        Relative(nash.Weights!.Select(a => a / c).ToArray(), nashScaled.Weights!, 1e-12, "nash W");
        Close(nash.Direction, nashScaled.Direction, 1e-12, "nash D");
        // FairGrad: c²G·w' = w'^(−p) gives w' = c^(−2/(1+p))·w.
        var fair = new FairGrad(3).Aggregate(j);
        var fairScaled = new FairGrad(3).Aggregate(scaled);
        Relative(fair.Weights!.Select(a => a * Math.Pow(c, -2 / (1 + 1 / 3.0))).ToArray(), fairScaled.Weights!, 1e-12, "fairgrad W");
        // PCGrad and GradVac: the projections are scale-free, W is unchanged and D scales with J; GradDrop's D scales with J.
        var orders = TaskOrdersLike(new TensorRandom(5), 4);
        Close(PCGrad.Project(j, orders).Weights!, PCGrad.Project(scaled, orders).Weights!, 1e-13, "pcgrad W");
        Close(new GradVac().Step(j, orders).Weights!, new GradVac().Step(scaled, orders).Weights!, 1e-12, "gradvac W");
        var u = new TensorRandom(6).Uniform([10], 0.0, 1.0).ToArray();
        Close(GradDrop.Drop(j, 0.2, u).Select(x => c * x).ToArray(), GradDrop.Drop(scaled, 0.2, u), 1e-15, "graddrop D");
    }

    [Fact]
    public void NashMtlIgnoresTheGradientNormsEvenWhenTheirSquaresWouldOverflow()
    {
        // Scaling row i by dᵢ > 0 leaves the cosines C unchanged, so αᵢ → αᵢ/dᵢ and D = Σ αᵢgᵢ is the same.
        var j = RandomJacobian(81, 4, 7);
        var reference = new NashMtl().Aggregate(j);
        foreach (var d in new[] { new[] { 1e-3, 1, 1e3, 10 }, new[] { 1e-150, 1, 1e150, 1e-160 }, new[] { 1e200, 1e200, 1e200, 1e200 } })
        {
            var scaled = j.Clone();
            for (int i = 0; i < 4; i++)
                for (int p = 0; p < 7; p++) scaled[i, p] *= d[i];
            var result = new NashMtl().Aggregate(scaled);
            Relative(reference.Weights!.Select((a, i) => a / d[i]).ToArray(), result.Weights!, 1e-12, $"W for d = {d[0]:G3}..");
            Close(reference.Direction, result.Direction, 1e-12, "D");
            // FairGrad with α ≠ 1 has the same solution structure in the scaled basis; it must stay finite and positive.
            Assert.All(new FairGrad(0.5).Aggregate(scaled).Weights!, w => Assert.True(w > 0 && double.IsFinite(w)));
        }
    }

    [Fact]
    public void WhenTasksAgreeTheProjectionMethodsReturnTheSumOfTheGradients()
    {
        // Rows g + small noise: every pair has a positive inner product, so nothing is projected and W = 1.
        var j = RandomJacobian(31, 4, 8);
        for (int i = 1; i < 4; i++)
            for (int p = 0; p < 8; p++) j[i, p] = j[0, p] + 0.05 * j[i, p];
        var sum = Enumerable.Range(0, 8).Select(p => Enumerable.Range(0, 4).Sum(i => j[i, p])).ToArray();
        var orders = TaskOrdersLike(new TensorRandom(1), 4);
        var pc = PCGrad.Project(j, orders);
        Close(sum, pc.Direction, 1e-15, "pcgrad D");
        Assert.All(pc.Weights!, w => Assert.Equal(1.0, w));
        var vac = new GradVac().Step(j, orders);
        Close(sum, vac.Direction, 1e-15, "gradvac D");
        // GradDrop: equal rows have one sign per parameter, purity 0 or 1, so every part is kept.
        var equal = new DenseMatrix(3, 8);
        for (int i = 0; i < 3; i++) j.Row(0).CopyTo(equal.Row(i));
        var u = new TensorRandom(2).Uniform([8], 0.0, 1.0).ToArray();
        Close(j.Row(0).ToArray().Select(x => 3 * x).ToArray(), GradDrop.Drop(equal, 0, u), 1e-15, "graddrop D");
    }

    [Fact]
    public void PCGradOnTheGramianAgreesWithTheTextbookProjectionsOverOddShapes()
    {
        ulong seed = 300;
        foreach (int t in new[] { 1, 2, 3, 5, 7, 8 })
            foreach (int p in new[] { 1, 2, 13, 97 })
                foreach (bool spread in new[] { false, true })
                {
                    var j = RandomJacobian(seed++, t, p, spread);
                    var orders = TaskOrdersLike(new TensorRandom(seed), t);
                    var fast = PCGrad.Project(j, orders);
                    var slow = PCGrad.ProjectTextbook(j, orders);
                    Close(slow.Weights!, fast.Weights!, 1e-12, $"T={t} P={p} W");
                    // D to within the size of its terms: it may cancel to ~0 (P = 1, opposite gradients).
                    double scale = Enumerable.Range(0, p).Max(c => Enumerable.Range(0, t).Sum(i => Math.Abs(slow.Weights![i] * j[i, c])));
                    for (int c = 0; c < p; c++) Assert.True(Math.Abs(slow.Direction[c] - fast.Direction[c]) <= 1e-12 * scale, $"T={t} P={p} D[{c}]");
                }
    }

    [Fact]
    public void PCGradLeavesNoConflictBetweenTwoTasksAndGradVacsFirstStepIsPCGrad()
    {
        var j = new DenseMatrix(2, 3, [1, 0, 0.5, -1, 1, 0]);   // g₁·g₂ = −1 < 0
        var result = PCGrad.Project(j, [[1], [0]]);
        // g₁ᴾᶜ = g₁ − (g₁·g₂/‖g₂‖²)·g₂ = g₁ + g₂/2, g₂ᴾᶜ = g₂ + g₁/1.25.
        Close([1 + 1 / 1.25, 1.5], result.Weights!, 1e-15, "W");
        Close([1 - 0.5 - 1 + 0.8, 0.5 + 1, 0.5 + 0.4], result.Direction, 1e-15, "D");
        foreach (int t in new[] { 2, 3, 6 })
        {
            var random = RandomJacobian((ulong)(40 + t), t, 7, spread: true);
            var orders = TaskOrdersLike(new TensorRandom(3), t);
            var pc = PCGrad.Project(random, orders);
            var vac = new GradVac(0.3).Step(random, orders);
            Close(pc.Direction, vac.Direction, 1e-12, $"T={t} D");
            Close(pc.Weights!, vac.Weights!, 1e-12, $"T={t} W");
        }
    }

    [Fact]
    public void GradVacMovesTheCosineToItsTargetAndKeepsItsStatePerNumberOfTasks()
    {
        // Step 1: cos(g₁, g₂) = 0.6 > 0: no correction; targets become β·0.6 = 0.3.
        var vac = new GradVac(0.5);
        vac.Step(new DenseMatrix(2, 2, [1, 0, 0.6, 0.8]), [[1], [0]]);
        Assert.Equal(0.3, vac.Targets![0, 1], 1e-15);
        // Step 2: g₁ = (1, 0), g₂ = (0, 1): cos 0 < 0.3, so g₁ᴾᶜ = g₁ + w·g₂ with cos(g₁ᴾᶜ, g₂) = 0.3: w = 0.3/√(1 − 0.09).
        var result = vac.Step(new DenseMatrix(2, 2, [1, 0, 0, 1]), [[1], [0]]);
        double w = 0.3 / Math.Sqrt(0.91);
        Close([1 + w, 1 + w], result.Weights!, 1e-15, "W");
        Assert.Equal(0.15, vac.Targets![0, 1], 1e-15);   // (1 − β)·0.3 + β·0
        Assert.Throws<ArgumentException>(() => vac.Aggregate(RandomJacobian(1, 3, 2)));
        vac.Reset();
        Assert.Null(vac.Targets);
        Assert.Equal(3, vac.Aggregate(RandomJacobian(1, 3, 2)).Weights!.Length);
    }

    [Fact]
    public void GradDropWithFullLeakIsTheSumAndZeroColumnsStayZero()
    {
        var j = RandomJacobian(51, 4, 9);
        for (int i = 0; i < 4; i++) j[i, 3] = 0;
        var u = new TensorRandom(2).Uniform([9], 0.0, 1.0).ToArray();
        var sum = Enumerable.Range(0, 9).Select(p => Enumerable.Range(0, 4).Sum(i => j[i, p])).ToArray();
        Close(sum, GradDrop.Drop(j, 1, u), 1e-15, "leak 1");
        var dropped = GradDrop.Drop(j, 0, u);
        Assert.Equal(0.0, dropped[3]);
        // With leak 0 each parameter keeps exactly the positive or the negative parts.
        for (int p = 0; p < 9; p++)
        {
            double positive = Enumerable.Range(0, 4).Sum(i => Math.Max(j[i, p], 0)), negative = Enumerable.Range(0, 4).Sum(i => Math.Min(j[i, p], 0));
            Assert.True(dropped[p] == positive || dropped[p] == negative, $"D[{p}] = {dropped[p]} is neither {positive} nor {negative}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradDrop(1.5));
    }

    [Fact]
    public void NashMtlAndFairGradThrowATypedErrorWhereTheSystemHasNoSolution()
    {
        var opposite = new DenseMatrix(2, 3, [1, 2, 3, -1, -2, -3]);
        var error = Assert.Throws<UndefinedAggregationException>(() => new NashMtl().Aggregate(opposite));
        Assert.Contains("Pareto-stationary", error.Message);
        var zero = new DenseMatrix(3, 2, [1, 2, 0, 0, 3, 1]);
        error = Assert.Throws<UndefinedAggregationException>(() => new FairGrad(2).Aggregate(zero));
        Assert.Contains("task 1 is zero", error.Message);
        // Nearly opposite at an angle π − δ: κ ≈ 2/δ, solved for δ = 10⁻³ (to its rounding), refused for δ = 10⁻⁹.
        foreach (var (delta, defined) in new[] { (1e-3, true), (1e-9, false) })
        {
            var j = new DenseMatrix(2, 2, [1, 0, -Math.Cos(delta), Math.Sin(delta)]);
            if (defined)
            {
                var w = new NashMtl().Aggregate(j).Weights!;
                Assert.True(SystemResidual(j, w, 1) <= 1e-13);
                Assert.Equal(1 / Math.Sqrt(1 - Math.Cos(delta)), w[0], 1e-9 * w[0]);
            }
            else Assert.Throws<UndefinedAggregationException>(() => new NashMtl().Aggregate(j));
        }
    }

    [Fact]
    public void NashMtlClipsTheDirectionToMaxNorm()
    {
        var j = RandomJacobian(61, 3, 5);
        var clipped = new NashMtl(maxNorm: 1).Aggregate(j);
        Assert.Equal(1.0, Math.Sqrt(clipped.Direction.Sum(x => x * x)), 1e-12);
        IsWeighting(j, clipped);
        var free = new NashMtl().Aggregate(j);
        Close(free.Weights!.Select(a => a / Math.Sqrt(3)).ToArray(), clipped.Weights!, 1e-12, "W");
        Close(free.Direction, new NashMtl(maxNorm: 10).Aggregate(j).Direction, 0, "D below the cap");
    }

    [Fact]
    public void TheRegistryBuildsEachMethodWithThePapersDefaults()
    {
        foreach (var name in new[] { "pcgrad", "gradvac", "graddrop", "nash-mtl", "fairgrad" })
        {
            var aggregator = GradientAggregators.Create(name, seed: 4);
            Assert.Equal(name, aggregator.Name);
            Assert.Equal(GradientAggregators.Entry(name).Parameters.Count, GradientAggregators.Entry(name).Parameters.Select(p => p.Name).Count(p => p.StartsWith(name + "-")));
        }
        Assert.Equal(0.5, ((GradVac)GradientAggregators.Create("gradvac")).Beta);
        Assert.Equal(0.0, ((GradDrop)GradientAggregators.Create("graddrop")).Leak);
        Assert.Equal(1.0, ((FairGrad)GradientAggregators.Create("fairgrad")).Alpha);
        Assert.Equal(0.0, ((NashMtl)GradientAggregators.Create("nash-mtl")).MaxNorm);
        Assert.Equal(2.5, ((FairGrad)GradientAggregators.Create("fairgrad", new Dictionary<string, double> { ["fairgrad-alpha"] = 2.5 })).Alpha);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientAggregators.Create("fairgrad", new Dictionary<string, double> { ["fairgrad-alpha"] = 0 }));
        // The seed reaches the randomized methods.
        var j = RandomJacobian(71, 6, 8);
        Assert.Equal(GradientAggregators.Create("pcgrad", seed: 4).Aggregate(j).Direction, new PCGrad(4).Aggregate(j).Direction);
        Assert.NotEqual(GradientAggregators.Create("graddrop", seed: 4).Aggregate(j).Direction, GradientAggregators.Create("graddrop", seed: 5).Aggregate(j).Direction);
    }
}
