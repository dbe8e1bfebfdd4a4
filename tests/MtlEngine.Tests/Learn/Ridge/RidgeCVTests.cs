using MtlEngine.Learn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;
using static MtlEngine.Tests.Learn.RidgeFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>RidgeCV against scikit-learn's RidgeCV (efficient leave-one-out) and against brute-force leave-one-out refits.</summary>
public class RidgeCVTests
{
    private static MtlTensor<double> Random(int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        return MtlTensor.FromArray([.. Enumerable.Range(0, rows * columns).Select(_ => rng.NextDouble() * 2 - 1)], rows, columns);
    }

    [Fact]
    public void MatchesScikitLearnRidgeCV()
    {
        var cv = Fixture("ridge_cv");
        var alphas = Vector(cv.GetProperty("alphas"));
        var diabetes = Fixture("diabetes_standardized");
        var dx = Matrix(diabetes.GetProperty("x"));
        var dy = Matrix(diabetes.GetProperty("y"));
        var linnerud = Fixture("ridge_linnerud");
        int cases = 0;
        foreach (var c in cv.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            string data = c.GetProperty("data").GetString()!;
            var targets = Labels(c.GetProperty("targets"));
            MtlTensor<double> x, y;
            if (data == "linnerud")
            {
                x = Matrix(linnerud.GetProperty("x"));
                y = Matrix(linnerud.GetProperty("y"));
            }
            else
            {
                int rows = data == "wide" ? 8 : dx.Dim(0);
                x = Head(dx, rows);
                y = targets.Length == 1 ? Column(Head(dy, rows), 0) : Head(dy, rows);
            }
            var sw = c.GetProperty("sample_weight").ValueKind == System.Text.Json.JsonValueKind.Null ? null : Vector(c.GetProperty("sample_weight"));
            var model = new RidgeCV(alphas, FitIntercept: c.GetProperty("fit_intercept").GetBoolean(),
                AlphaPerTarget: c.GetProperty("alpha_per_target").GetBoolean()).Fit(x, y, sw);
            Assert.Equal(data == "wide" ? RidgeCVMode.Gram : RidgeCVMode.Covariance, model.Mode);
            var alpha = Numbers(c.GetProperty("alpha"));
            var expectedAlpha = alpha.Length == targets.Length ? alpha : Enumerable.Repeat(alpha[0], targets.Length).ToArray();
            Assert.Equal(expectedAlpha, model.Alpha);
            Close(Numbers(c.GetProperty("best_score")), model.BestScore, 1e-9, name + " best_score");
            Close(Numbers(c.GetProperty("coef")), model.Coefficients.ToArray(), 1e-8, name + " coef");
            var intercept = Numbers(c.GetProperty("intercept"));
            Close(intercept.Length == targets.Length ? intercept : new double[targets.Length], model.Intercept, 1e-8, name + " intercept");
            cases++;
        }
        Assert.Equal(9, cases);
    }

    /// <summary>The twin: n refits of Ridge, each without one sample; the error of the rescaled problem √sᵢ·(yᵢ − ŷ₋ᵢ).</summary>
    private static double[] BruteForceLeaveOneOut(MtlTensor<double> x, MtlTensor<double> y, double alpha, bool intercept, double[]? sw)
    {
        int n = x.Dim(0), t = y.Dim(1);
        var sums = new double[t];
        var yv = y.ToArray();
        for (int i = 0; i < n; i++)
        {
            var rest = Enumerable.Range(0, n).Where(k => k != i).ToArray();
            var model = new Ridge(Alpha: alpha, FitIntercept: intercept, Solver: RidgeSolver.Svd)
                .Fit(LearnInputRows(x, rest), LearnInputRows(y, rest), sw is null ? null : [.. rest.Select(k => sw[k])]);
            var p = model.Predict(LearnInputRows(x, [i])).ToArray();
            double root = sw is null ? 1 : Math.Sqrt(sw[i]);
            for (int j = 0; j < t; j++) sums[j] += Math.Pow(root * (yv[i * t + j] - p[j]), 2);
        }
        return [.. sums.Select(s => s / n)];
    }

    private static MtlTensor<double> LearnInputRows(MtlTensor<double> a, int[] rows)
    {
        int w = a.Dim(1);
        var v = a.ToArray();
        return MtlTensor.FromArray([.. rows.SelectMany(r => v[(r * w)..((r + 1) * w)])], rows.Length, w);
    }

    [Theory]
    [InlineData(25, 4, true, false)]   // n > d: eigendecomposition of XᵀX
    [InlineData(25, 4, true, true)]
    [InlineData(25, 4, false, true)]
    [InlineData(9, 14, true, true)]    // n ≤ d: eigendecomposition of X·Xᵀ
    [InlineData(9, 14, false, false)]
    [InlineData(12, 12, true, false)]
    public void LeaveOneOutErrorsEqualBruteForceRefits(int n, int d, bool intercept, bool weighted)
    {
        var x = Random(n, d, 11);
        var y = Random(n, 2, 12);
        var sw = weighted ? Enumerable.Range(0, n).Select(i => 0.3 + (i % 4) * 0.5).ToArray() : null;
        double[] alphas = [0.05, 1, 20];
        var model = new RidgeCV(alphas, FitIntercept: intercept, AlphaPerTarget: true).Fit(x, y, sw);
        var errors = model.MeanSquaredErrors.ToArray();
        for (int a = 0; a < alphas.Length; a++)
            Close(BruteForceLeaveOneOut(x, y, alphas[a], intercept, sw), errors[(a * 2)..((a + 1) * 2)], 1e-9, $"LOO α={alphas[a]}");
        // The refit is Ridge at the chosen α.
        var refit = new Ridge(Alphas: model.Alpha, FitIntercept: intercept).Fit(x, y, sw);
        Close(refit.Coefficients.ToArray(), model.Coefficients.ToArray(), 1e-12, "refit");
        for (int j = 0; j < 2; j++)
            Assert.Equal(-Enumerable.Range(0, 3).Min(a => errors[a * 2 + j]), model.BestScore[j]);
    }

    [Fact]
    public void BadGridsAreRefused()
    {
        var x = Random(10, 3, 1);
        var y = Random(10, 1, 2);
        Assert.Throws<LearnInputException>(() => new RidgeCV([]).Fit(x, y));
        Assert.Throws<LearnInputException>(() => new RidgeCV([1, 0]).Fit(x, y));
        Assert.Throws<LearnInputException>(() => new RidgeCV([-1]).Fit(x, y));
        Assert.Contains("> 0", Assert.Throws<LearnInputException>(() => new RidgeCV([double.NaN]).Fit(x, y)).Message);
    }
}
