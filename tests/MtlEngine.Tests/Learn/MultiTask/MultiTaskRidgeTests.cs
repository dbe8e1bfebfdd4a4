using MtlEngine.Learn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>MultiTaskRidge (Evgeniou–Pontil): its two limits, the zero gradient of its objective, and its block-system twin.</summary>
public class MultiTaskRidgeTests
{
    /// <summary>Three related tasks of different sizes: w_t = w_shared + small task-specific deviation, noise, offsets.</summary>
    private static (List<MtlTensor<double>> X, List<MtlTensor<double>> Y) Tasks(int d = 5, int seed = 3)
    {
        var rng = new Random(seed);
        var shared = Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var xs = new List<MtlTensor<double>>();
        var ys = new List<MtlTensor<double>>();
        foreach (int n in new[] { 30, 12, 21 })
        {
            var w = shared.Select(s => s + 0.3 * (rng.NextDouble() - 0.5)).ToArray();
            double offset = rng.NextDouble() * 4;
            var x = Enumerable.Range(0, n * d).Select(_ => rng.NextDouble() * 2 + 1).ToArray();
            var y = Enumerable.Range(0, n).Select(i => offset + Enumerable.Range(0, d).Sum(f => x[i * d + f] * w[f]) + 0.1 * (rng.NextDouble() - 0.5)).ToArray();
            xs.Add(MtlTensor.FromArray(x, n, d));
            ys.Add(MtlTensor.FromArray(y, n));
        }
        return (xs, ys);
    }

    [Theory]
    [InlineData(1.0, 1.0, true)]
    [InlineData(0.01, 50.0, true)]
    [InlineData(30.0, 0.2, false)]
    public void SchurComplementEqualsTheWholeBlockSystem(double shared, double task, bool intercept)
    {
        var (x, y) = Tasks();
        var options = new MultiTaskRidge(shared, task, intercept);
        var fast = options.Fit(x, y);
        var twin = options.FitBlockSystem(x, y);
        Close(twin.Coefficients.ToArray(), fast.Coefficients.ToArray(), 1e-10, "w_t");
        Close(twin.SharedCoefficients, fast.SharedCoefficients, 1e-10, "w₀");
        Close(twin.Intercept, fast.Intercept, 1e-10, "b_t");
    }

    [Theory]
    [InlineData(1.0, 1.0, true)]
    [InlineData(0.05, 20.0, true)]
    [InlineData(5.0, 0.5, false)]
    public void TheGradientOfTheObjectiveIsZeroAtTheFit(double shared, double task, bool intercept)
    {
        var (x, y) = Tasks();
        var model = new MultiTaskRidge(shared, task, intercept).Fit(x, y);
        int d = model.Features;
        var w0 = model.SharedCoefficients;
        var v = model.TaskOffsets.ToArray();
        // ∂J/∂w₀ = −2·Σ_t X_tᵀr_t + 2λ_s·w₀,  ∂J/∂v_t = −2·X_tᵀr_t + 2λ_t·v_t,  ∂J/∂b_t = −2·Σᵢ r_ti
        var gradW0 = w0.Select(w => 2 * shared * w).ToArray();
        double scale = 0;
        for (int t = 0; t < x.Count; t++)
        {
            var xv = x[t].ToArray();
            var p = model.Predict(t, x[t]).ToArray();
            var r = y[t].ToArray().Zip(p, (a, b) => a - b).ToArray();
            var xtr = new double[d];
            for (int i = 0; i < r.Length; i++)
                for (int f = 0; f < d; f++) xtr[f] += xv[i * d + f] * r[i];
            for (int f = 0; f < d; f++)
            {
                gradW0[f] -= 2 * xtr[f];
                double gv = -2 * xtr[f] + 2 * task * v[t * d + f];
                scale = Math.Max(scale, Math.Abs(2 * task * v[t * d + f]));
                Assert.True(Math.Abs(gv) < 1e-8 * Math.Max(1, scale), $"∂J/∂v[{t}][{f}] = {gv}");
            }
            if (intercept) Assert.True(Math.Abs(r.Sum()) < 1e-9, $"∂J/∂b[{t}] = {-2 * r.Sum()}");
        }
        foreach (var g in gradW0) Assert.True(Math.Abs(g) < 1e-8 * Math.Max(1, scale), $"∂J/∂w₀ = {g}");
        // And the fit is a minimum: moving any part raises J.
        double j = model.Objective(x, y);
        var other = new MultiTaskRidge(shared * 1.5, task, intercept).Fit(x, y);
        Assert.True(new MultiTaskRidgeModelProbe(other, shared, task).Objective(x, y) >= j - 1e-9);
    }

    /// <summary>J of another model's weights under this λ pair.</summary>
    private sealed record MultiTaskRidgeModelProbe(MultiTaskRidgeModel Model, double Shared, double Task)
    {
        public double Objective(List<MtlTensor<double>> x, List<MtlTensor<double>> y)
        {
            double j = 0;
            for (int t = 0; t < x.Count; t++)
                j += y[t].ToArray().Zip(Model.Predict(t, x[t]).ToArray(), (a, b) => (a - b) * (a - b)).Sum();
            var w0 = Model.SharedCoefficients;
            var v = Model.TaskOffsets.ToArray();
            return j + Shared * w0.Sum(w => w * w) + Task * v.Sum(w => w * w);
        }
    }

    [Theory]
    [InlineData(1e9)]
    [InlineData(double.PositiveInfinity)]
    public void LargeTaskPenaltyGivesOnePooledRidgeModel(double lambdaTask)
    {
        var (x, y) = Tasks();
        const double lambdaShared = 2.5;
        var model = new MultiTaskRidge(lambdaShared, lambdaTask).Fit(x, y);
        // The pooled model: every task centred by its own means, stacked, one ridge with α = λ_shared and no intercept.
        int d = x[0].Dim(1);
        var rows = new List<double>();
        var targets = new List<double>();
        var means = new List<(double[] X, double Y)>();
        for (int t = 0; t < x.Count; t++)
        {
            int n = x[t].Dim(0);
            var xv = x[t].ToArray();
            var yv = y[t].ToArray();
            var mx = Enumerable.Range(0, d).Select(f => Enumerable.Range(0, n).Average(i => xv[i * d + f])).ToArray();
            double my = yv.Average();
            means.Add((mx, my));
            for (int i = 0; i < n; i++)
            {
                rows.AddRange(Enumerable.Range(0, d).Select(f => xv[i * d + f] - mx[f]));
                targets.Add(yv[i] - my);
            }
        }
        var pooled = new Ridge(Alpha: lambdaShared, FitIntercept: false).Fit(MtlTensor.FromArray(rows.ToArray(), targets.Count, d), MtlTensor.FromArray(targets.ToArray(), targets.Count));
        var w = pooled.Coefficients.ToArray();
        var coefficients = model.Coefficients.ToArray();
        for (int t = 0; t < x.Count; t++)
        {
            Close(w, coefficients[(t * d)..((t + 1) * d)], 1e-7, $"task {t} = pooled");
            Close(means[t].Y - Enumerable.Range(0, d).Sum(f => means[t].X[f] * w[f]), model.Intercept[t], 1e-7, $"b_{t}");
        }
        Close(w, model.SharedCoefficients, 1e-7, "w₀ = pooled");
    }

    [Theory]
    [InlineData(1e10)]
    [InlineData(double.PositiveInfinity)]
    public void LargeSharedPenaltyGivesIndependentRidgePerTask(double lambdaShared)
    {
        var (x, y) = Tasks();
        const double lambdaTask = 0.7;
        var model = new MultiTaskRidge(lambdaShared, lambdaTask).Fit(x, y);
        int d = model.Features;
        for (int t = 0; t < x.Count; t++)
        {
            var single = new Ridge(Alpha: lambdaTask).Fit(x[t], y[t]);
            Close(single.Coefficients.ToArray(), model.Coefficients.ToArray()[(t * d)..((t + 1) * d)], 1e-7, $"task {t}");
            Close(single.Intercept[0], model.Intercept[t], 1e-7, $"b_{t}");
        }
        Assert.True(model.SharedCoefficients.All(w => Math.Abs(w) < 1e-7));
    }

    [Fact]
    public void SharingShrinksTaskWeightsTowardEachOther()
    {
        var (x, y) = Tasks();
        double Spread(MultiTaskRidgeModel m) => m.TaskOffsets.ToArray().Sum(v => v * v);
        var loose = new MultiTaskRidge(100, 0.01).Fit(x, y);
        var tight = new MultiTaskRidge(0.01, 100).Fit(x, y);
        Assert.True(Spread(tight) < Spread(loose));
    }

    [Fact]
    public void BadInputIsRefused()
    {
        var (x, y) = Tasks();
        Assert.Throws<LearnInputException>(() => new MultiTaskRidge().Fit([], []));
        Assert.Throws<LearnInputException>(() => new MultiTaskRidge().Fit(x, y.Take(2).ToList()));
        Assert.Throws<LearnInputException>(() => new MultiTaskRidge(LambdaShared: 0).Fit(x, y));
        Assert.Throws<LearnInputException>(() => new MultiTaskRidge(LambdaTask: -1).Fit(x, y));
        Assert.Throws<LearnInputException>(() => new MultiTaskRidge().Fit([x[0], MtlTensor.FromArray(new double[12 * 4], 12, 4)], [y[0], y[1]]));
        var model = new MultiTaskRidge().Fit(x, y);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(3, x[0]));
    }
}
