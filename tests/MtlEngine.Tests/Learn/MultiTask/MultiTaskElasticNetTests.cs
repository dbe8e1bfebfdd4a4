using MtlEngine.Learn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;
using static MtlEngine.Tests.Learn.RidgeFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>MultiTaskElasticNet / MultiTaskLasso against scikit-learn 1.2 (coefficients, iterations, duality gap) and their optimality conditions.</summary>
public class MultiTaskElasticNetTests
{
    private static (MtlTensor<double> X, MtlTensor<double> Y) Data(string name)
    {
        if (name == "linnerud")
            return (Matrix(Fixture("ridge_linnerud").GetProperty("x")), Matrix(Fixture("ridge_linnerud").GetProperty("y")));
        var x = Columns(Matrix(Fixture("diabetes_standardized").GetProperty("x")), [0, 1, 2, 3, 4, 5, 6, 7]);
        return (x, Matrix(Fixture("multitask_enet").GetProperty("diabetes_y")));
    }

    [Fact]
    public void MatchesScikitLearnIncludingIterationsAndGap()
    {
        int count = 0;
        foreach (var fit in Fixture("multitask_enet").GetProperty("fits").EnumerateArray())
        {
            var (x, y) = Data(fit.GetProperty("data").GetString()!);
            double alpha = fit.GetProperty("alpha").GetDouble(), ratio = fit.GetProperty("l1_ratio").GetDouble();
            var options = new MultiTaskElasticNet(alpha, ratio, fit.GetProperty("fit_intercept").GetBoolean(),
                fit.GetProperty("max_iter").GetInt32(), fit.GetProperty("tol").GetDouble());
            MultiTaskElasticNetModel? warm = null;
            if (fit.GetProperty("warm_from").ValueKind != System.Text.Json.JsonValueKind.Null)
                warm = (options with { Alpha = fit.GetProperty("warm_from").GetDouble() }).Fit(x, y);
            var model = ratio == 1.0 && warm is null
                ? new MultiTaskLasso(alpha, options.FitIntercept, options.MaxIterations, options.Tolerance).Fit(x, y)
                : options.Fit(x, y, warm);
            string what = $"{fit.GetProperty("data").GetString()} α={alpha} ρ={ratio} tol={options.Tolerance} max_iter={options.MaxIterations} warm={warm is not null}";
            Assert.Equal(fit.GetProperty("n_iter").GetInt32(), model.Iterations);
            Close(Numbers(fit.GetProperty("coef")), model.Coefficients.ToArray(), 1e-9, what + " coef");
            var b = Numbers(fit.GetProperty("intercept"));
            Close(b.Length == model.Targets ? b : new double[model.Targets], model.Intercept, 1e-9, what + " intercept");
            double gap = fit.GetProperty("dual_gap").GetDouble();
            // A gap near 1e-10 is a difference of numbers of the size of ‖Y‖²/n (~10³ for linnerud): rounding decides its last digits.
            Assert.True(Math.Abs(gap - model.DualGap) <= 1e-6 * Math.Abs(gap) + 1e-11, $"{what} gap: expected {gap:R}, got {model.DualGap:R}");
            Assert.Equal(options.MaxIterations != 3, model.Converged); // only the max_iter=3 case stops before its gap is small enough
            count++;
        }
        Assert.Equal(14, count);
    }

    [Fact]
    public void TheSolutionSatisfiesTheOptimalityConditions()
    {
        // At the optimum, for each feature f with g_f = x_fᵀR/n − α(1−ρ)W[:, f]: W[:, f] = 0 ⇒ ‖g_f‖ ≤ αρ; else g_f = αρ·W[:, f]/‖W[:, f]‖.
        var (x, y) = Data("diabetes");
        const double alpha = 0.05, rho = 0.6;
        var model = new MultiTaskElasticNet(alpha, rho, Tolerance: 1e-12, MaxIterations: 100000).Fit(x, y);
        Assert.True(model.Converged);
        int n = x.Dim(0), d = x.Dim(1), t = y.Dim(1);
        var xv = x.ToArray();
        var p = model.Predict(x).ToArray();
        var yv = y.ToArray();
        var w = model.Coefficients.ToArray();
        var xMean = Enumerable.Range(0, d).Select(f => Enumerable.Range(0, n).Average(i => xv[i * d + f])).ToArray();
        for (int f = 0; f < d; f++)
        {
            var g = new double[t];
            for (int j = 0; j < t; j++)
            {
                for (int i = 0; i < n; i++) g[j] += (xv[i * d + f] - xMean[f]) * (yv[i * t + j] - p[i * t + j]) / n;
                g[j] -= alpha * (1 - rho) * w[j * d + f];
            }
            double wNorm = Math.Sqrt(Enumerable.Range(0, t).Sum(j => w[j * d + f] * w[j * d + f]));
            double gNorm = Math.Sqrt(g.Sum(v => v * v));
            if (wNorm == 0) Assert.True(gNorm <= alpha * rho + 1e-8, $"feature {f}: ‖g‖ = {gNorm} > αρ");
            else
                for (int j = 0; j < t; j++) Assert.True(Math.Abs(g[j] - alpha * rho * w[j * d + f] / wNorm) < 1e-7, $"feature {f} target {j}");
        }
        // The L2,1 penalty selects features jointly: some columns are exactly zero, for every task at once.
        var lasso = new MultiTaskLasso(0.3).Fit(x, y);
        Assert.InRange(lasso.SelectedFeatures.Length, 1, d - 1);
    }

    [Fact]
    public void WarmStartFromTheSolutionStopsAtOnce()
    {
        var (x, y) = Data("linnerud");
        var options = new MultiTaskElasticNet(2.0, 0.5, Tolerance: 1e-8, MaxIterations: 100000);
        var cold = options.Fit(x, y);
        var warm = options.Fit(x, y, cold);
        Assert.True(warm.Iterations <= 2, $"warm start took {warm.Iterations} sweeps");
        Close(cold.Coefficients.ToArray(), warm.Coefficients.ToArray(), 1e-6, "warm = cold");
        Assert.Throws<LearnInputException>(() => options.Fit(Columns(x, [0, 1]), y, cold));
        Assert.Throws<LearnInputException>(() => options.Fit(x, Column(y, 0)));
        Assert.Throws<LearnInputException>(() => new MultiTaskElasticNet(L1Ratio: 1.5).Fit(x, y));
    }
}
