using System.Text.Json;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;
using static MtlEngine.Tests.Learn.RidgeFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>Ridge against scikit-learn 1.2 on Fixtures/Learn/ridge_fixtures.json: many targets, α per target, weights, every solver, CG tolerance; model files.</summary>
public class RidgeSklearnTests
{
    private static readonly RidgeSolver[] AllSolvers =
        [RidgeSolver.Auto, RidgeSolver.Cholesky, RidgeSolver.Svd, RidgeSolver.Eigen, RidgeSolver.ConjugateGradient];

    private static void CheckFits(string name, double tolerance)
    {
        var c = Fixture(name);
        var x = Matrix(c.GetProperty("x"));
        var y = Matrix(c.GetProperty("y"));
        var sw = Vector(c.GetProperty("sample_weight"));
        foreach (var fit in c.GetProperty("fits").EnumerateArray())
        {
            var alpha = Numbers(fit.GetProperty("alpha"));
            foreach (var solver in AllSolvers)
            {
                var ridge = new Ridge(Alphas: alpha.Length == 1 ? [alpha[0], alpha[0], alpha[0]] : alpha,
                    FitIntercept: fit.GetProperty("fit_intercept").GetBoolean(), Solver: solver, Tolerance: 1e-15, MaxIterations: 2000);
                var model = ridge.Fit(x, y, fit.GetProperty("weighted").GetBoolean() ? sw : null);
                string what = $"{name} {fit.GetProperty("solver").GetString()} fixture, our {solver}, α={string.Join(",", alpha)}, intercept={ridge.FitIntercept}, weighted={fit.GetProperty("weighted")}";
                // Rows of coef_ are compared relative to their largest entry (the raw diabetes features span 1 to 300).
                var expected = Array2(fit.GetProperty("coef"));
                var actual = model.Coefficients.ToArray();
                for (int j = 0; j < expected.GetLength(0); j++)
                {
                    var row = Enumerable.Range(0, expected.GetLength(1)).Select(f => expected[j, f]).ToArray();
                    Close(row, actual[(j * row.Length)..((j + 1) * row.Length)], tolerance, what + $" coef row {j}");
                }
                Close(Intercepts(fit, 3), model.Intercept, tolerance, what + " intercept");
                Assert.Null(model.Report.Fallback);
            }
        }
    }

    /// <summary>scikit-learn's intercept_ is the scalar 0.0 without an intercept: one value per target.</summary>
    private static double[] Intercepts(JsonElement fit, int targets)
    {
        var b = Numbers(fit.GetProperty("intercept"));
        return b.Length == targets ? b : Enumerable.Repeat(b[0], targets).ToArray();
    }

    [Fact]
    public void DiabetesThreeTargetsEverySolverMatchesScikitLearn() => CheckFits("ridge_diabetes3", 1e-8);

    [Fact]
    public void LinnerudAlphaPerTargetWeightsNoInterceptAndAlphaZeroMatchScikitLearn() => CheckFits("ridge_linnerud", 1e-9);

    [Fact]
    public void ConjugateGradientToleranceHasScikitLearnsMeaning()
    {
        var data = Fixture("diabetes_standardized");
        var x = Matrix(data.GetProperty("x"));
        var y = Matrix(data.GetProperty("y"));
        var exact = Array2(Fixture("ridge_cg").GetProperty("exact_coef")).Cast<double>().ToArray();
        foreach (var fit in Fixture("ridge_cg").GetProperty("fits").EnumerateArray())
        {
            double tol = fit.GetProperty("tol").GetDouble();
            var alpha = fit.GetProperty("alpha").GetDouble();
            var expected = Array2(fit.GetProperty("coef")).Cast<double>().ToArray();
            int rows = alpha == 0.5 ? 8 : x.Dim(0); // the α = 0.5 case is the wide one: the first 8 rows, kernel-form CG
            var xs = Head(x, rows);
            var ys = Head(y, rows);
            var model = new Ridge(Alpha: alpha, FitIntercept: fit.GetProperty("fit_intercept").GetBoolean(), Solver: RidgeSolver.ConjugateGradient, Tolerance: tol).Fit(xs, ys);
            string what = $"cg tol={tol} rows={rows} intercept={model.Options.FitIntercept}";
            // Same algorithm and stopping rule as scipy's cg: the same iterations. Once CG has run about d steps (d = 10 here),
            // rounding decides the last digits (scipy itself moves by ~3e-7 between two evaluations of the same product).
            Close(expected, model.Coefficients.ToArray(), 1e-6, what + " coef");
            Close(Intercepts(fit, 3), model.Intercept, 1e-6, what + " intercept");
            Assert.True(model.Report.Converged);
            Assert.NotNull(model.Report.Iterations);
            if (rows == x.Dim(0) && model.Options.FitIntercept)
            {
                // A looser tol stops earlier, farther from the exact solution: the iterations follow tol.
                double error = expected.Zip(exact, (a, b) => Math.Abs(a - b)).Max();
                if (tol >= 1e-2) Assert.True(error > 1e-6, $"tol={tol} should stop visibly short of the exact solution (error {error})");
                if (tol <= 1e-8) Assert.True(error < 1e-5, $"tol={tol}: error {error}");
            }
        }
    }

    [Fact]
    public void ModelFileRoundTripsAndPredictsTheSame()
    {
        var c = Fixture("ridge_linnerud");
        var x = Matrix(c.GetProperty("x"));
        var y = Matrix(c.GetProperty("y"));
        string path = Path.Combine(Path.GetTempPath(), $"mtl-ridge-{Guid.NewGuid():N}.safetensors");
        try
        {
            var model = new Ridge(Alphas: [0.5, 10, 300]).Fit(x, y);
            model.Save(path);
            Assert.Equal("ridge", ModelFile.ReadKind(path));
            var loaded = RidgeModel.Load(path);
            Assert.Equal(model.Coefficients.ToArray(), loaded.Coefficients.ToArray());
            Assert.Equal(model.Intercept, loaded.Intercept);
            Assert.Equal([0.5, 10, 300], loaded.Alphas);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            Assert.False(loaded.VectorTarget);

            var single = new Ridge(Alpha: 2).Fit(x, Column(y, 0));
            single.Save(path);
            var file = ModelFile.Read(path, "ridge");
            Assert.Equal([3], file.Tensor("coef_").Shape.ToArray()); // 1-D y: coef_ of shape (n_features,), as scikit-learn
            Assert.Equal("2", file.Text("alpha"));
            var back = RidgeModel.Load(path);
            Assert.Equal(1, back.Predict(x).Rank);
            Assert.Equal(single.Predict(x).ToArray(), back.Predict(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
