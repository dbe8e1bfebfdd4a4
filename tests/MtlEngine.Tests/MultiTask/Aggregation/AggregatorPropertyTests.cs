using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using static MtlEngine.Tests.MultiTask.AggregationTestData;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>
/// The properties each exact aggregator has on every input (TorchJD's way of testing aggregators), over seeded random
/// Jacobians with T = 1..8, conflicting and agreeing, rank-deficient, and with task-gradient norms 10⁶ apart; and each
/// method's optimality conditions checked directly on its output.
/// </summary>
public class AggregatorPropertyTests
{
    private static readonly string[] Methods = ["mean", "mgda", "upgrad", "cagrad", "imtl-g", "aligned-mtl"];

    public static TheoryData<string> MethodData() => new(Methods);

    /// <summary>
    /// The size of gᵢ·D for relative checks: ‖gᵢ‖·‖D‖, with ‖D‖ floored at 10⁻⁴ of the largest row norm (when the
    /// gradients are Pareto-stationary D is 0 up to rounding, and gᵢ·D is compared at J's scale).
    /// </summary>
    private static double RowScale(DenseMatrix j, int i, double[] d)
    {
        double largest = 0;
        for (int r = 0; r < j.Rows; r++)
        {
            double squared = 0;
            for (int k = 0; k < j.Columns; k++) squared += j[r, k] * j[r, k];
            largest = Math.Max(largest, Math.Sqrt(squared));
        }
        double norm = 0;
        for (int k = 0; k < j.Columns; k++) norm += j[i, k] * j[i, k];
        return Math.Sqrt(norm) * Math.Max(Math.Sqrt(d.Sum(v => v * v)), 1e-4 * largest);
    }

    [Theory]
    [MemberData(nameof(MethodData))]
    public void DirectionIsTheWeightedSumOfTheRows(string method)
    {
        foreach (var (name, j) in Cases())
        {
            var result = GradientAggregators.Create(method).Aggregate(j);
            Assert.Equal(j.Columns, result.Direction.Length);
            Assert.Equal(j.Rows, result.Weights!.Length);
            var combined = Gramian.Combine(j, result.Weights);
            // MGDA and UPGrad return D = 0 exactly where Jᵀw is rounding noise (Pareto-stationary gradients).
            bool zeroed = method is "mgda" or "upgrad" && result.Direction.All(v => v == 0);
            for (int k = 0; k < j.Columns; k++)
                if (zeroed) Assert.True(Math.Abs(combined[k]) <= 1e-13 * MaxAbs(j.Data) * MaxAbs(result.Weights), $"{method} on {name}: D zeroed but Jᵀw[{k}] = {combined[k]}");
                else Assert.Equal(combined[k], result.Direction[k]);
            Assert.All(result.Direction, v => Assert.True(double.IsFinite(v), $"{method} on {name}"));
        }
    }

    [Theory]
    [InlineData("mgda")]
    [InlineData("upgrad")]
    public void NonConflictingMethodsDoNotIncreaseAnyLoss(string method)
    {
        foreach (var (name, j) in Cases())
        {
            var d = GradientAggregators.Create(method).Aggregate(j).Direction;
            var jd = Times(j, d);
            for (int i = 0; i < j.Rows; i++)
                Assert.True(jd[i] >= -1e-10 * RowScale(j, i, d), $"{method} on {name}: g{i}·D = {jd[i]}");
        }
    }

    [Fact]
    public void MgdaMeetsTheKktConditionsOfTheMinNormProblem()
    {
        // w ∈ Δ minimizes wᵀGw  ⇔  (G·w)ᵢ ≥ wᵀGw for every i, with equality where wᵢ > 0 (gᵢ·D ≥ ‖D‖², = on the support).
        foreach (var (name, j) in Cases())
        {
            var result = new MgdaAggregator().Aggregate(j);
            var w = result.Weights!;
            Assert.True(Math.Abs(w.Sum() - 1) <= 1e-12, $"{name}: Σw = {w.Sum()}");
            Assert.All(w, v => Assert.True(v >= 0));
            var d = result.Direction;
            double dd = d.Sum(v => v * v);
            var jd = Times(j, d);
            for (int i = 0; i < j.Rows; i++)
            {
                double scale = RowScale(j, i, d) + 1e-300;
                Assert.True(jd[i] - dd >= -1e-10 * scale, $"{name}: g{i}·D − ‖D‖² = {jd[i] - dd} (scale {scale})");
                if (w[i] > 0) Assert.True(w[i] * Math.Abs(jd[i] - dd) <= 1e-10 * scale, $"{name}: complementarity {i}: w = {w[i]}, g·D − ‖D‖² = {jd[i] - dd}");
            }
        }
    }

    [Fact]
    public void OptimalityHoldsOnManyRandomJacobians()
    {
        // 300 seeded Jacobians: T = 1..8, P = 1..12, row norms 10^±3 apart, duplicated rows, near-agreeing rows.
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            int t = 1 + random.Next(8), p = 1 + random.Next(12);
            var j = Gaussian(t, p, 7 * seed + 1);
            double spread = random.Next(3) == 0 ? 0 : 3;
            for (int i = 0; i < t; i++)
            {
                double s = Math.Pow(10, spread * (2 * random.NextDouble() - 1));
                for (int k = 0; k < p; k++) j[i, k] *= s;
            }
            if (t > 2 && random.Next(3) == 0) j.Row(0).CopyTo(j.Row(t - 1));
            string name = $"seed {seed} (T={t}, P={p})";

            // MGDA: gᵢ·D ≥ ‖D‖², with equality on the support of w.
            var mgda = new MgdaAggregator().Aggregate(j);
            double dd = mgda.Direction.Sum(v => v * v);
            var jd = Times(j, mgda.Direction);
            for (int i = 0; i < t; i++)
            {
                double scale = RowScale(j, i, mgda.Direction);
                Assert.True(jd[i] - dd >= -1e-10 * scale, $"mgda {name}: g{i}·D − ‖D‖² = {jd[i] - dd}");
                Assert.True(mgda.Weights![i] * Math.Abs(jd[i] - dd) <= 1e-10 * scale, $"mgda {name}: complementarity {i}");
            }

            // UPGrad: J·D ≥ 0.
            var upgrad = new UpGradAggregator().Aggregate(j).Direction;
            var ju = Times(j, upgrad);
            for (int i = 0; i < t; i++) Assert.True(ju[i] >= -1e-10 * RowScale(j, i, upgrad), $"upgrad {name}: g{i}·D = {ju[i]}");

            // CAGrad: D on the sphere ‖D − g₀‖ = c‖g₀‖.
            var cagrad = new CaGradAggregator().Aggregate(j).Direction;
            var g0 = new MeanAggregator().Aggregate(j).Direction;
            double rho = 0.5 * Math.Sqrt(g0.Sum(v => v * v));
            double distance = Math.Sqrt(cagrad.Select((v, k) => (v - g0[k]) * (v - g0[k])).Sum());
            Assert.True(Math.Abs(distance - rho) <= 1e-10 * rho, $"cagrad {name}: ‖D − g₀‖ = {distance}, ρ = {rho}");
        }
    }

    [Fact]
    public void UpGradIsTheMeanWhenNoTwoGradientsConflictAndProjectsWhenTheyDo()
    {
        // Agreeing rows (all pairwise products ≥ 0) are in the dual cone already: each projection is the row itself.
        var agreeing = new DenseMatrix(3, 4, [1, 0.5, 0, 0.2, 0.8, 0, 0.1, 0.3, 0.2, 1, 0, 0.1]);
        var result = new UpGradAggregator().Aggregate(agreeing);
        var mean = new MeanAggregator().Aggregate(agreeing).Direction;
        for (int k = 0; k < 4; k++) Assert.Equal(mean[k], result.Direction[k], 14);
        // Two opposite-leaning gradients: the projection of g₁ = (1, 0) onto {x : x·g₂ ≥ 0, x·g₁ ≥ 0}, g₂ = (−1, 1),
        // is (½, ½), and g₂ projects onto (0, 1); the mean of the projections is (¼, ¾).
        var d = new UpGradAggregator().Aggregate(new DenseMatrix(2, 2, [1, 0, -1, 1])).Direction;
        Assert.Equal(0.25, d[0], 14);
        Assert.Equal(0.75, d[1], 14);
    }

    [Fact]
    public void CaGradSolvesItsPrimalProblem()
    {
        // D maximizes min_i gᵢ·d over ‖d − g₀‖ ≤ c‖g₀‖: on the boundary of the ball, and D − g₀ = λ·g_w with the tasks in
        // w's support all at the minimum of gᵢ·D (the KKT conditions of the dual).
        foreach (var (name, j) in Cases())
        {
            if (name.StartsWith("T > P", StringComparison.Ordinal)) continue;
            double c = 0.5;
            var result = new CaGradAggregator(c).Aggregate(j);
            var g0 = new MeanAggregator().Aggregate(j).Direction;
            double rho = c * Math.Sqrt(g0.Sum(v => v * v));
            var d = result.Direction;
            double distance = Math.Sqrt(d.Select((v, k) => (v - g0[k]) * (v - g0[k])).Sum());
            Assert.True(Math.Abs(distance - rho) <= 1e-10 * rho, $"{name}: ‖D − g₀‖ = {distance}, ρ = {rho}");
            var jd = Times(j, d);
            double worst = jd.Min();
            var w = result.Weights!.Select(v => v - 1.0 / j.Rows).ToArray(); // λ·w
            for (int i = 0; i < j.Rows; i++)
            {
                double scale = RowScale(j, i, d) + 1e-300;
                Assert.True(w[i] >= -1e-12 * MaxAbs(w), $"{name}: dual weight {i} = {w[i]}");
                if (w[i] > 1e-9 * MaxAbs(w))
                    Assert.True(jd[i] - worst <= 1e-9 * scale, $"{name}: task {i} in the support has g·D = {jd[i]}, the minimum is {worst}");
            }
        }
    }

    [Fact]
    public void ImtlGProjectsEquallyOnEveryUnitGradient()
    {
        foreach (var (name, j) in Cases())
        {
            if (j.Rows > j.Columns || name.StartsWith("duplicate", StringComparison.Ordinal)) continue; // no exact solution: pinv
            var result = new ImtlGAggregator().Aggregate(j);
            Assert.True(Math.Abs(result.Weights!.Sum() - 1) <= 1e-10, $"{name}: Σα = {result.Weights!.Sum()}");
            var jd = Times(j, result.Direction);
            var projections = Enumerable.Range(0, j.Rows).Select(i => jd[i] / Math.Sqrt(Enumerable.Range(0, j.Columns).Sum(k => j[i, k] * j[i, k]))).ToArray();
            double size = Math.Sqrt(result.Direction.Sum(v => v * v));
            foreach (double p in projections) Assert.True(Math.Abs(p - projections[0]) <= 1e-9 * size, $"{name}: projections {string.Join(", ", projections)}");
        }
    }

    [Fact]
    public void AlignedMtlMakesTheRowsOrthogonalWithTheSmallestSingularValue()
    {
        // Orthogonal rows of norms 1, 10⁻³, 10³: the aligned rows keep their directions with norm σ_min = 10⁻³ each.
        var j = new DenseMatrix(3, 4, [1, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1e3, 0]);
        var result = new AlignedMtlAggregator().Aggregate(j);
        Assert.Equal([1e-3, 1, 1e-6], result.Weights!, new ToleranceComparer(1e-14));
        Assert.Equal([1e-3, 1e-3, 1e-3, 0], result.Direction, new ToleranceComparer(1e-17));
    }

    [Theory]
    [MemberData(nameof(MethodData))]
    public void PermutingTasksPermutesTheWeightsAndKeepsTheDirection(string method)
    {
        foreach (var (name, j) in Cases())
        {
            if (j.Rows > j.Columns || name.StartsWith("duplicate", StringComparison.Ordinal)) continue; // weights not unique
            int t = j.Rows;
            var permutation = Enumerable.Range(0, t).Select(i => (3 * i + 1) % t).ToArray();
            if (t % 3 == 0) permutation = Enumerable.Range(0, t).Reverse().ToArray();
            var permuted = new DenseMatrix(t, j.Columns);
            for (int i = 0; i < t; i++) j.Row(permutation[i]).CopyTo(permuted.Row(i));
            var a = GradientAggregators.Create(method).Aggregate(j);
            var b = GradientAggregators.Create(method).Aggregate(permuted);
            double dScale = Math.Max(MaxAbs(a.Direction), 1e-4 * MaxAbs(j.Data)), wScale = MaxAbs(a.Weights);
            for (int k = 0; k < j.Columns; k++)
                Assert.True(Math.Abs(a.Direction[k] - b.Direction[k]) <= 1e-9 * dScale, $"{method} on {name}: D[{k}] {a.Direction[k]} vs {b.Direction[k]}");
            for (int i = 0; i < t; i++)
                Assert.True(Math.Abs(a.Weights![permutation[i]] - b.Weights![i]) <= 1e-8 * wScale, $"{method} on {name}: W");
        }
    }

    [Theory]
    [MemberData(nameof(MethodData))]
    public void ScalingTheJacobianScalesTheDirectionAndKeepsTheWeights(string method)
    {
        // Every one of these methods is positively homogeneous: D(k·J) = k·D(J), W(k·J) = W(J).
        foreach (var (name, j) in Cases())
        {
            foreach (double k in new[] { 1e-5, 1e6 })
            {
                var scaled = new DenseMatrix(j.Rows, j.Columns, j.Data.Select(v => v * k).ToArray());
                var a = GradientAggregators.Create(method).Aggregate(j);
                var b = GradientAggregators.Create(method).Aggregate(scaled);
                double dScale = Math.Max(MaxAbs(a.Direction), 1e-4 * MaxAbs(j.Data));
                for (int p = 0; p < j.Columns; p++)
                    Assert.True(Math.Abs(k * a.Direction[p] - b.Direction[p]) <= 1e-9 * k * dScale, $"{method} on {name} × {k}: D[{p}]");
            }
        }
    }

    [Theory]
    [InlineData("mean", 1.0)]
    [InlineData("mgda", 1.0)]
    [InlineData("upgrad", 1.0)]
    [InlineData("imtl-g", 1.0)]
    [InlineData("cagrad", 1.5)]       // g₀ + c‖g₀‖·g₀/‖g₀‖ = (1 + c)·g
    [InlineData("aligned-mtl", 4.0)]  // rank 1: one aligned row of norm √T‖g‖ summed with weight 1 each: T·g
    public void EqualTasksGiveTheMethodsMultipleOfTheGradient(string method, double multiple)
    {
        var g = new[] { 0.3, -1.2, 2.5, 0.7, -0.1 };
        var j = new DenseMatrix(4, 5, Enumerable.Range(0, 4).SelectMany(_ => g).ToArray());
        var d = GradientAggregators.Create(method).Aggregate(j).Direction;
        for (int k = 0; k < g.Length; k++) Assert.Equal(multiple * g[k], d[k], 12);
    }

    [Theory]
    [MemberData(nameof(MethodData))]
    public void OneTaskAndZeroGradientsAreHandled(string method)
    {
        var one = GradientAggregators.Create(method).Aggregate(new DenseMatrix(1, 3, [1, -2, 2]));
        double expected = method == "cagrad" ? 1.5 : 1;
        Assert.Equal([expected, -2 * expected, 2 * expected], one.Direction, new ToleranceComparer(1e-14));
        var zero = GradientAggregators.Create(method).Aggregate(new DenseMatrix(3, 2));
        Assert.Equal([0.0, 0.0], zero.Direction);
        var withZeroRow = GradientAggregators.Create(method).Aggregate(new DenseMatrix(2, 2, [1, 0, 0, 0]));
        Assert.All(withZeroRow.Direction, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void RegistryHasEveryMethodWithItsParameters()
    {
        foreach (string method in Methods) Assert.Contains(method, GradientAggregators.Names);
        Assert.Equal(0.5, GradientAggregators.Entry("cagrad").Parameters.Single(p => p.Name == "cagrad-c").Default);
        Assert.Equal(0.0, GradientAggregators.Entry("mgda").Parameters.Single(p => p.Name == "mgda-normalize").Default);
        var cagrad = (CaGradAggregator)GradientAggregators.Create("cagrad", new Dictionary<string, double> { ["cagrad-c"] = 0.2, ["cagrad-rescale"] = 1 });
        Assert.Equal(0.2, cagrad.C);
        Assert.Equal(CaGradRescale.OnePlusCSquared, cagrad.Rescale);
        Assert.Throws<ArgumentException>(() => GradientAggregators.Create("mgda", new Dictionary<string, double> { ["mgda-normalize"] = 2 }));
        Assert.Throws<ArgumentException>(() => GradientAggregators.Create("cagrad", new Dictionary<string, double> { ["cagrad-c"] = -1 }));
        Assert.Throws<ArgumentException>(() => GradientAggregators.Create("mgda", new Dictionary<string, double> { ["cagrad-c"] = 1 }));
    }

    [Fact]
    public void MgdaL2NormalizationSolvesOnUnitGradients()
    {
        // Unit rows (1, 0) and (0, 1) after normalization: the min-norm point is their midpoint, whatever the norms were.
        var result = new MgdaAggregator(MgdaNormalization.L2).Aggregate(new DenseMatrix(2, 2, [4, 0, 0, 0.01]));
        Assert.Equal([0.5, 0.5], result.Direction, new ToleranceComparer(1e-14));
        Assert.Equal([0.125, 50], result.Weights!, new ToleranceComparer(1e-12));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y)));

        public int GetHashCode(double obj) => 0;
    }
}
