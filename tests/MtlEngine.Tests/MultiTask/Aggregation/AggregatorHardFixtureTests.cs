using System.Text.Json;
using MtlEngine.Cli;
using MtlEngine.Data;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.Tensors.Random;
using MtlEngine.Tests.Cli;
using Xunit.Abstractions;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>
/// Every <c>mtl aggregate</c> method on hard Jacobians (T = 2..8, P = 3..1000, task-gradient norms 10⁶ apart, exactly
/// rank-deficient, rank-deficient up to the rounding of float64 (g₅ = fl(g₁ + g₂)), conflicting and not, Pareto-stationary) against the 50-digit references of
/// aggregator_hard_fixture.py (Fixtures/MultiTask/aggregators_hard.json), each solved there by another route than ours
/// (face enumeration, NNLS, mpmath Newton, mpmath eigensolver); the direction within 10⁻¹⁰ of ‖D‖, and each paper's
/// optimality conditions checked here directly on our answer. One case per method also goes through the CLI (npy in,
/// npy out).
/// </summary>
public sealed class AggregatorHardFixtureTests : IDisposable
{
    private const double Tolerance = 1e-10;

    private static readonly JsonElement[] Cases = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "MultiTask", "aggregators_hard.json"))).RootElement.GetProperty("cases").EnumerateArray().ToArray();

    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-aggregate-hard-").FullName;

    private readonly ITestOutputHelper _output;

    /// <summary>Creates the test class with xunit's output (the worst residuals per method are written there).</summary>
    public AggregatorHardFixtureTests(ITestOutputHelper output) => _output = output;

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static DenseMatrix Jacobian(JsonElement c) =>
        new(c.GetProperty("tasks").GetInt32(), c.GetProperty("parameters").GetInt32(), Doubles(c.GetProperty("jacobian")));

    private static string Name(JsonElement c) => c.GetProperty("name").GetString()!;

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    private static double Norm(ReadOnlySpan<double> x) => Math.Sqrt(Dot(x, x));

    /// <summary>The textbook Gramian, G[a, b] = gₐ·g_b.</summary>
    private static DenseMatrix Gram(DenseMatrix j)
    {
        var g = new DenseMatrix(j.Rows, j.Rows);
        for (int a = 0; a < j.Rows; a++)
            for (int b = 0; b < j.Rows; b++) g[a, b] = Dot(j.Row(a), j.Row(b));
        return g;
    }

    /// <summary>
    /// max |D − D_ref| / ‖D_ref‖, with ‖D_ref‖ floored at 10⁻⁴ of the size of its terms Σ|wᵢ|·‖gᵢ‖ (the largest row
    /// norm for the methods without weights): the rounding of the sum D = Σ wᵢgᵢ itself is ε times that size, so where
    /// the exact D is 0 (Pareto-stationary gradients) no double-precision answer is closer than that.
    /// </summary>
    private static double DirectionError(DenseMatrix j, double[] expected, double[] actual, double[]? weights = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        double terms = weights is null
            ? Enumerable.Range(0, j.Rows).Max(i => Norm(j.Row(i)))
            : weights.Select((w, i) => Math.Abs(w) * Norm(j.Row(i))).Sum();
        double scale = Math.Max(Norm(expected), 1e-4 * terms);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        return worst;
    }

    /// <summary>(method name in the fixture, registry name, parameters).</summary>
    public static TheoryData<string> Methods => new()
    {
        "mean", "mgda", "upgrad", "cagrad", "imtl-g", "aligned-mtl", "nash-mtl", "fairgrad", "fairgrad-a2", "fairgrad-a0.5",
    };

    private static GradientAggregator Create(string method, JsonElement reference) => method switch
    {
        _ when method.StartsWith("fairgrad", StringComparison.Ordinal) =>
            GradientAggregators.Create("fairgrad", new Dictionary<string, double> { ["fairgrad-alpha"] = reference.GetProperty("alpha").GetDouble() }),
        _ => GradientAggregators.Create(method),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void MatchesTheHighPrecisionReferenceAndItsOptimalityConditions(string method)
    {
        var failures = new List<string>();
        double worstDirection = 0, worstKkt = 0;
        foreach (var c in Cases)
        {
            var j = Jacobian(c);
            if (!c.GetProperty("methods").TryGetProperty(method, out var reference)) continue;   // the spectral-only cases
            var aggregator = Create(method, reference);
            if (reference.TryGetProperty("undefined", out _))
            {
                var error = Assert.Throws<UndefinedAggregationException>(() => aggregator.Aggregate(j));
                Assert.Contains("Pareto-stationary", error.Message);
                continue;
            }
            var result = aggregator.Aggregate(j);
            double error1 = DirectionError(j, Doubles(reference.GetProperty("direction")), result.Direction, Doubles(reference.GetProperty("weights")));
            double kkt = Optimality(method, reference, j, result);
            worstDirection = Math.Max(worstDirection, error1);
            worstKkt = Math.Max(worstKkt, kkt);
            if (!(error1 <= Tolerance)) failures.Add($"{Name(c)}: |D − D_ref|/|D_ref| = {error1:G3}");
            if (!(kkt <= Tolerance)) failures.Add($"{Name(c)}: optimality residual {kkt:G3}");
            // D = WᵀJ for every weighting method.
            Assert.NotNull(result.Weights);
            double combined = DirectionError(j, Gramian.Combine(j, result.Weights!), result.Direction, result.Weights!);
            if (!(combined <= 1e-12)) failures.Add($"{Name(c)}: D ≠ WᵀJ ({combined:G3})");
        }
        _output.WriteLine($"{method}: worst |D − D_ref|/|D_ref| {worstDirection:G3}, worst optimality residual {worstKkt:G3}");
        Assert.True(failures.Count == 0, $"{method} (worst direction error {worstDirection:G3}, worst optimality residual {worstKkt:G3}):\n" + string.Join("\n", failures));
    }

    /// <summary>The method's optimality conditions, on our answer, as a residual relative to the size of their terms.</summary>
    private static double Optimality(string method, JsonElement reference, DenseMatrix j, AggregationResult result)
    {
        int t = j.Rows;
        var d = result.Direction;
        var w = result.Weights!;
        var norms = Enumerable.Range(0, t).Select(i => Norm(j.Row(i))).ToArray();
        var gd = Enumerable.Range(0, t).Select(i => Dot(j.Row(i), d)).ToArray();
        double dNorm = Norm(d);
        double worst = 0;
        switch (method)
        {
            case "mean":
                foreach (double x in w) worst = Math.Max(worst, Math.Abs(x - 1.0 / t) * t);
                break;
            case "mgda":
            {
                // w ∈ Δ; gᵢ·D ≥ ‖D‖² for every i, = on the support (the KKT conditions of min ‖Jᵀw‖² over the simplex).
                worst = Math.Abs(w.Sum() - 1);
                double dd = dNorm * dNorm, mass = w.Select((x, i) => Math.Abs(x) * norms[i]).Sum();
                for (int i = 0; i < t; i++)
                {
                    double scale = norms[i] * Math.Max(dNorm, 1e-4 * mass);
                    worst = Math.Max(worst, -w[i] * norms[i] / mass);
                    worst = Math.Max(worst, (dd - gd[i]) / scale);
                    if (w[i] * norms[i] > 1e-9 * mass) worst = Math.Max(worst, Math.Abs(gd[i] - dd) / scale);
                }
                break;
            }
            case "upgrad":
            {
                // Each projection vᵢ = argmin_{v ≥ eᵢ} vᵀGv: vᵢ − eᵢ ≥ 0, G·vᵢ ≥ 0, (G·vᵢ)ⱼ = 0 where vᵢⱼ > δᵢⱼ; W their mean.
                var g = Gram(j);
                var v = UpGradAggregator.Projections(j);
                for (int i = 0; i < t; i++)
                {
                    var vi = v.Row(i).ToArray();
                    double projectionNorm = Norm(Gramian.Combine(j, vi));
                    double mass = vi.Select((x, k) => Math.Abs(x) * norms[k]).Sum();
                    for (int k = 0; k < t; k++)
                    {
                        double z = vi[k] - (i == k ? 1 : 0);
                        double gv = 0;
                        for (int l = 0; l < t; l++) gv += g[k, l] * vi[l];
                        // (G·vᵢ)ₖ carries a rounding of about T·ε·‖gₖ‖·Σₗ|vᵢₗ|·‖gₗ‖, which dominates where the projection is 0.
                        double scale = norms[k] * Math.Max(projectionNorm, 1e-2 * mass);
                        worst = Math.Max(worst, -z * norms[k] / mass);
                        worst = Math.Max(worst, -gv / scale);
                        if (z * norms[k] > 1e-9 * mass) worst = Math.Max(worst, Math.Abs(gv) / scale);
                    }
                }
                for (int i = 0; i < t; i++)
                {
                    double mean = 0;
                    for (int k = 0; k < t; k++) mean += v[k, i] / t;
                    worst = Math.Max(worst, Math.Abs(mean - w[i]) / Math.Max(Math.Abs(w[i]), 1e-300));
                }
                break;
            }
            case "cagrad":
            {
                // D = g₀ + x·J with x ≥ 0, ‖D − g₀‖ = c‖g₀‖, gᵢ·D ≥ m = minⱼ gⱼ·D, = m where xᵢ > 0.
                double c = reference.GetProperty("c").GetDouble();
                var g0 = Gramian.Combine(j, Enumerable.Repeat(1.0 / t, t).ToArray());
                double rho = c * Norm(g0);
                var x = w.Select(v => v - 1.0 / t).ToArray();
                double mass = x.Select((v, i) => Math.Abs(v) * norms[i]).Sum();
                worst = Math.Abs(Norm(d.Select((v, p) => v - g0[p]).ToArray()) - rho) / rho;
                double m = gd.Min();
                for (int i = 0; i < t; i++)
                {
                    worst = Math.Max(worst, -x[i] * norms[i] / mass);
                    if (x[i] * norms[i] > 1e-9 * mass) worst = Math.Max(worst, Math.Abs(gd[i] - m) / (norms[i] * dNorm));
                }
                break;
            }
            case "imtl-g":
            {
                // Σw = 1; where n ∈ range(G) (full rank, or duplicate rows), equal projections gᵢ·D/‖gᵢ‖; and always the
                // conditions of α ∝ G⁺n with the reference's null space N of G (the dropped eigenvectors): α ∈ range(G), Nᵀα = 0,
                // and G·α = κ·P·n with P = I − N·Nᵀ the projection on range(G) (G·α = J·D, the products gᵢ·D).
                worst = Math.Abs(w.Sum() - 1);
                if (reference.GetProperty("residual").GetDouble() < 1e-30)
                {
                    var projections = gd.Select((v, i) => v / norms[i]).ToArray();
                    worst = Math.Max(worst, (projections.Max() - projections.Min()) / dNorm);
                }
                var nullSpace = reference.GetProperty("null_space").EnumerateArray().Select(Doubles).ToArray();
                int dropped = nullSpace[0].Length;
                var pn = (double[])norms.Clone();
                for (int k = 0; k < dropped; k++)
                {
                    double alongN = 0, alongW = 0, size = 0;
                    for (int i = 0; i < t; i++)
                    {
                        alongN += nullSpace[i][k] * norms[i];
                        alongW += nullSpace[i][k] * w[i];
                        size += Math.Abs(nullSpace[i][k] * w[i]);
                    }
                    worst = Math.Max(worst, Math.Abs(alongW) / size);
                    for (int i = 0; i < t; i++) pn[i] -= nullSpace[i][k] * alongN;
                }
                // κ by least squares, then the residual of each row against the size of its terms Σⱼ|Gᵢⱼαⱼ| ≥ |gᵢ·D|.
                var g = Gram(j);
                double kappa = Dot(pn, gd) / Dot(pn, pn);
                for (int i = 0; i < t; i++)
                {
                    double terms = 0;
                    for (int k = 0; k < t; k++) terms += Math.Abs(g[i, k] * w[k]);
                    worst = Math.Max(worst, Math.Abs(gd[i] - kappa * pn[i]) / (terms + Math.Abs(kappa * pn[i])));
                }
                break;
            }
            case "aligned-mtl":
            {
                // The closed form: the reference's weights (unique), each weighted by its row's norm, against the largest.
                var expected = Doubles(reference.GetProperty("weights"));
                double size = expected.Select((v, i) => Math.Abs(v) * norms[i]).Max();
                for (int i = 0; i < t; i++) worst = Math.Max(worst, Math.Abs(expected[i] - w[i]) * norms[i] / size);
                break;
            }
            default:
            {
                // Nash-MTL and FairGrad: (G·w)ᵢ = wᵢ^(−1/α) for every i, w > 0; relative to the size of the terms of (G·w)ᵢ
                // (Σₖ|Gᵢₖwₖ|, which exceeds |(G·w)ᵢ| where near-dependent rows cancel, and bounds its rounding).
                double p = 1 / reference.GetProperty("alpha").GetDouble();
                var g = Gram(j);
                for (int i = 0; i < t; i++)
                {
                    double terms = 0, target = Math.Pow(w[i], -p);
                    for (int k = 0; k < t; k++) terms += Math.Abs(g[i, k] * w[k]);
                    worst = Math.Max(worst, w[i] > 0 ? 0 : 1);
                    worst = Math.Max(worst, Math.Abs(gd[i] - target) / (terms + target));
                }
                break;
            }
        }
        return worst;
    }

    [Fact]
    public void TheWeightsMatchWhereTheyAreUnique()
    {
        // Unique weights: Nash-MTL, FairGrad, IMTL-G, Aligned-MTL always; MGDA, UPGrad and CAGrad at full rank.
        foreach (var c in Cases)
        {
            var j = Jacobian(c);
            bool fullRank = c.GetProperty("methods").GetProperty("aligned-mtl").GetProperty("rank").GetInt32() == j.Rows;
            foreach (string method in new[] { "mgda", "upgrad", "cagrad", "imtl-g", "aligned-mtl", "nash-mtl", "fairgrad" })
            {
                if (!c.GetProperty("methods").TryGetProperty(method, out var reference)) continue;
                if (reference.TryGetProperty("undefined", out _) || (!fullRank && method is "mgda" or "upgrad" or "cagrad")) continue;
                var expected = Doubles(reference.GetProperty("weights"));
                var actual = Create(method, reference).Aggregate(j).Weights!;
                double size = expected.Select((v, i) => Math.Abs(v) * Norm(j.Row(i))).Max();
                for (int i = 0; i < j.Rows; i++)
                    Assert.True(Math.Abs(expected[i] - actual[i]) * Norm(j.Row(i)) <= 1e-9 * size,
                        $"{Name(c)} {method} W[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
            }
        }
    }

    [Fact]
    public void TheRankIsDecidedOnTheSingularValuesOfJ()
    {
        // The rank of IMTL-G's G⁺ and Aligned-MTL's balance transformation: σₖ(J) > T·ε·σ₁(J), as in the reference. Rows
        // dependent up to the rounding of float64 (the near-dependent cases) are dependent; independent rows with norms 10⁹
        // and 10¹² apart are not, where TorchJD's pinv(G) rule (λₖ > T·ε·λ₁) would keep only the largest.
        int nearDependent = 0, torchJdDiffers = 0;
        foreach (var c in Cases)
        {
            var reference = c.GetProperty("methods").GetProperty("aligned-mtl");
            int rank = reference.GetProperty("rank").GetInt32();
            Assert.True(rank == Gramian.Spectrum(Jacobian(c)).Values.Length, $"{Name(c)}: rank {Gramian.Spectrum(Jacobian(c)).Values.Length}, reference {rank}");
            Assert.Equal(rank, c.GetProperty("methods").GetProperty("imtl-g").GetProperty("rank").GetInt32());
            if (Name(c).Contains("near", StringComparison.Ordinal))
            {
                nearDependent++;
                Assert.True(rank < c.GetProperty("tasks").GetInt32(), Name(c));
            }
            if (reference.GetProperty("rank_torchjd").GetInt32() != rank) torchJdDiffers++;
        }
        Assert.Equal(8, nearDependent);
        Assert.True(torchJdDiffers >= 2);
    }

    [Fact]
    public void PCGradAndGradDropFollowTheirDefinitionsWithTheDrawsOfTheSeed()
    {
        foreach (var c in Cases)
        {
            var j = Jacobian(c);
            var methods = c.GetProperty("methods");
            if (!methods.TryGetProperty("pcgrad", out var pc)) continue;
            var orders = pc.GetProperty("orders").EnumerateArray().Select(o => o.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
            Assert.True(DirectionError(j, Doubles(pc.GetProperty("direction")), PCGrad.Project(j, orders).Direction) <= Tolerance, $"{Name(c)} pcgrad");
            var drop = methods.GetProperty("graddrop");
            Assert.True(DirectionError(j, Doubles(drop.GetProperty("direction")), GradDrop.Drop(j, 0, Doubles(drop.GetProperty("uniforms")))) <= Tolerance, $"{Name(c)} graddrop");
        }
        // The seed's semantics: --seed S draws, per task i in turn, the order of the others by TensorRandom(S).Permutation(T − 1)
        // (PCGrad), and P uniforms in [0, 1) by TensorRandom(S).Uniform (GradDrop), one draw per call.
        var jacobian = Jacobian(Cases[7]);
        Assert.Equal(PCGrad.Project(jacobian, WeightedRows.TaskOrders(new TensorRandom(17), jacobian.Rows)).Direction,
            GradientAggregators.Create("pcgrad", seed: 17).Aggregate(jacobian).Direction);
        Assert.Equal(GradDrop.Drop(jacobian, 0, new TensorRandom(17).Uniform([jacobian.Columns], 0.0, 1.0).ToArray()),
            GradientAggregators.Create("graddrop", seed: 17).Aggregate(jacobian).Direction);
    }

    [Theory]
    [InlineData("mean", "t6-p1000-1e6")]
    [InlineData("mgda", "t8-p100-1e6")]
    [InlineData("upgrad", "t6-rank4")]
    [InlineData("cagrad", "t4-p50-1e6")]
    [InlineData("imtl-g", "t8-p9-duplicate")]
    [InlineData("aligned-mtl", "t5-rank4")]
    [InlineData("nash-mtl", "t7-rank2")]
    [InlineData("fairgrad", "t2-conflict-1e6")]
    [InlineData("pcgrad", "t8-p20")]
    [InlineData("graddrop", "t3-p10-1e6")]
    public void TheCliGivesTheReferenceEndToEnd(string method, string caseName)
    {
        var c = Cases.Single(e => Name(e) == caseName);
        var jacobian = Jacobian(c);
        string j = Path.Combine(_dir, "j.npy"), d = Path.Combine(_dir, "d.npy"), w = Path.Combine(_dir, "w.npy");
        Npy.Write(j, NdArray.Create("", jacobian.Data.ToArray(), jacobian.Rows, jacobian.Columns));
        bool weighting = method is not ("pcgrad" or "graddrop");
        var args = new List<string> { "aggregate", "--method", method, "--jacobian", j, "--seed", "5", "--out", d };
        if (weighting) args.AddRange(["--weights-out", w]);
        var (code, _, stderr) = CliRunner.Mtl([.. args]);
        Assert.True(code == Program.ExitSuccess, stderr);
        var direction = Npy.Read(d);
        Assert.Equal(DType.Float64, direction.DType);
        Assert.Equal([jacobian.Columns], direction.Shape.ToArray());
        var reference = c.GetProperty("methods").GetProperty(method);
        double[] expected = method switch
        {
            "pcgrad" => PCGrad.Project(jacobian, WeightedRows.TaskOrders(new TensorRandom(5), jacobian.Rows)).Direction,
            "graddrop" => GradDrop.Drop(jacobian, 0, new TensorRandom(5).Uniform([jacobian.Columns], 0.0, 1.0).ToArray()),
            _ => Doubles(reference.GetProperty("direction")),
        };
        var referenceWeights = weighting ? Doubles(reference.GetProperty("weights")) : null;
        Assert.True(DirectionError(jacobian, expected, direction.ToDoubleArray(), referenceWeights) <= Tolerance, $"{method} on {caseName}");
        if (weighting)
        {
            var weights = Npy.Read(w).ToDoubleArray();
            Assert.Equal(jacobian.Rows, weights.Length);
            Assert.True(DirectionError(jacobian, direction.ToDoubleArray(), Gramian.Combine(jacobian, weights), weights) <= 1e-12, $"{method}: D = WᵀJ");
        }
    }
}
