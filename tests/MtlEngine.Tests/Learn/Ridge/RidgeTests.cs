using MtlEngine.Learn;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>Ridge against scikit-learn on diabetes and linnerud (Fixtures/Learn), and the solver identities.</summary>
public class RidgeTests
{
    private static readonly RidgeSolver[] AllSolvers =
        [RidgeSolver.Auto, RidgeSolver.Cholesky, RidgeSolver.Svd, RidgeSolver.Eigen, RidgeSolver.ConjugateGradient];

    private static MtlTensor<double> Random(int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        return MtlTensor.FromArray([.. Enumerable.Range(0, rows * columns).Select(_ => rng.NextDouble() * 2 - 1)], rows, columns);
    }

    private static void SameModel(RidgeModel expected, RidgeModel actual, double tolerance, string what)
    {
        Close(expected.Coefficients.ToArray(), actual.Coefficients.ToArray(), tolerance, what + " coefficients");
        Close(expected.Intercept, actual.Intercept, tolerance, what + " intercept");
    }

    [Theory]
    [InlineData(RidgeSolver.Svd)]
    [InlineData(RidgeSolver.Cholesky)]
    [InlineData(RidgeSolver.Eigen)]
    [InlineData(RidgeSolver.ConjugateGradient)]
    public void DiabetesFitsMatchScikitLearn(RidgeSolver solver)
    {
        var c = Case("ridge_diabetes");
        var x = Matrix(c.GetProperty("x"));
        var y = MtlTensor.FromArray(Vector(c.GetProperty("y")), x.Dim(0));
        var w = Vector(c.GetProperty("sample_weight"));
        foreach (var fit in c.GetProperty("fits").EnumerateArray())
        {
            var ridge = new Ridge(Alpha: fit.GetProperty("alpha").GetDouble(), FitIntercept: fit.GetProperty("fit_intercept").GetBoolean(),
                Solver: solver, Tolerance: 1e-13);
            var model = ridge.Fit(x, y, fit.GetProperty("weighted").GetBoolean() ? w : null);
            string what = $"{solver} α={ridge.Alpha} intercept={ridge.FitIntercept}";
            // The raw diabetes features span 1 to 300: coefficients are compared relative to their largest.
            Close(Vector(fit.GetProperty("coef")), model.Coefficients.ToArray(), 1e-9, what);
            Close(fit.GetProperty("intercept").GetDouble(), model.Intercept[0], 1e-9, what + " intercept");
            var head = MtlTensor.FromArray(x.ToArray()[..50], 5, 10);
            Close(Vector(fit.GetProperty("predict_head")), model.Predict(head).ToArray(), 1e-10, what + " predict");
            Assert.Equal(1, model.Predict(head).Rank);
        }
    }

    [Fact]
    public void LinnerudAlphaPerTargetMatchesScikitLearn()
    {
        var c = Case("ridge_linnerud");
        var x = Matrix(c.GetProperty("x"));
        var y = Matrix(c.GetProperty("y"));
        foreach (var solver in AllSolvers)
        {
            var model = new Ridge(Alphas: Vector(c.GetProperty("alphas")), Solver: solver).Fit(x, y);
            Assert.Equal([3, 3], model.Coefficients.Shape.ToArray());
            Close(Array2(c.GetProperty("coef")).Cast<double>().ToArray(), model.Coefficients.ToArray(), 1e-10, $"{solver} coef");
            Close(Vector(c.GetProperty("intercept")), model.Intercept, 1e-10, $"{solver} intercept");
        }
    }

    [Theory]
    [InlineData(60, 8, 3)]   // tall
    [InlineData(12, 30, 2)]  // wide: Cholesky in its dual (kernel) form
    [InlineData(1, 4, 1)]
    public void EverySolverAgreesWithSvd(int n, int d, int t)
    {
        var x = Random(n, d, 1);
        var y = Random(n, t, 2);
        var sw = Enumerable.Range(0, n).Select(i => 0.5 + (i % 5) / 4.0).ToArray();
        foreach (bool intercept in new[] { true, false })
        {
            var reference = new Ridge(Alpha: 0.7, FitIntercept: intercept, Solver: RidgeSolver.Svd).Fit(x, y, sw);
            foreach (var solver in AllSolvers)
                SameModel(reference, new Ridge(Alpha: 0.7, FitIntercept: intercept, Solver: solver, Tolerance: 1e-14).Fit(x, y, sw), 1e-9, $"{solver} ({n}×{d})");
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void StreamedNormalEquationsEqualThoseOfTheMaterializedProblem(bool intercept, bool weighted)
    {
        var x = Random(50, 6, 21);
        var y = Random(50, 3, 22);
        var sw = weighted ? Enumerable.Range(0, 50).Select(i => 0.2 + (i % 7) / 3.0).ToArray() : null;
        var problem = RidgeProblem.Prepare(x, y, sw, intercept);
        var gram = DenseMatrix.Multiply(problem.X, problem.X, global::MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        var xty = DenseMatrix.Multiply(problem.X, problem.Y, global::MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        foreach (int? rows in new int?[] { null, 1, 7, 50 })
        {
            var (lower, streamedXty, xOffset, yOffset) = RidgeProblem.NormalEquations(x, y, sw, intercept, default, rows);
            for (int i = 0; i < 6; i++)
                for (int j = 0; j <= i; j++) Close(gram[i, j], lower[i, j], 1e-13, $"XᵀX[{i},{j}] blocks of {rows}");
            Close(xty.Data, streamedXty.Data, 1e-13, $"XᵀY blocks of {rows}");
            Close(problem.XOffset, xOffset, 1e-14, "X̄");
            Close(problem.YOffset, yOffset, 1e-14, "Ȳ");
        }
    }

    [Fact]
    public void AlphaZeroEqualsLeastSquares()
    {
        var x = Random(40, 6, 3);
        var y = Random(40, 2, 4);
        // Least squares with an intercept: append a column of ones and solve by QR.
        var augmented = new DenseMatrix(40, 7);
        var xv = x.ToArray();
        for (int i = 0; i < 40; i++)
        {
            for (int j = 0; j < 6; j++) augmented[i, j] = xv[i * 6 + j];
            augmented[i, 6] = 1;
        }
        var beta = Qr.Factor(augmented).LeastSquares(DenseMatrix.FromTensor(y)); // (7, 2)
        foreach (var solver in AllSolvers)
        {
            var model = new Ridge(Alpha: 0, Solver: solver, Tolerance: 1e-14).Fit(x, y);
            var w = model.Coefficients.ToArray();
            for (int j = 0; j < 2; j++)
            {
                for (int f = 0; f < 6; f++) Close(beta[f, j], w[j * 6 + f], 1e-9, $"{solver} w[{j},{f}]");
                Close(beta[6, j], model.Intercept[j], 1e-9, $"{solver} b[{j}]");
            }
        }
    }

    [Fact]
    public void SampleWeightsEqualSqrtWeightRowRescaling()
    {
        var x = Random(30, 5, 5);
        var y = Random(30, 2, 6);
        var sw = Enumerable.Range(0, 30).Select(i => 0.1 + i / 10.0).ToArray();
        var xs = x.ToArray();
        var ys = y.ToArray();
        for (int i = 0; i < 30; i++)
        {
            double r = Math.Sqrt(sw[i]);
            for (int j = 0; j < 5; j++) xs[i * 5 + j] *= r;
            for (int j = 0; j < 2; j++) ys[i * 2 + j] *= r;
        }
        var weighted = new Ridge(Alpha: 2, FitIntercept: false, Solver: RidgeSolver.Cholesky).Fit(x, y, sw);
        var rescaled = new Ridge(Alpha: 2, FitIntercept: false, Solver: RidgeSolver.Cholesky).Fit(MtlTensor.FromArray(xs, 30, 5), MtlTensor.FromArray(ys, 30, 2));
        SameModel(rescaled, weighted, 1e-12, "√w rescaling");
        // With an intercept, an integer weight equals repeating the row.
        var counts = Enumerable.Range(0, 30).Select(i => 1 + i % 3).ToArray();
        var rows = Enumerable.Range(0, 30).SelectMany(i => Enumerable.Repeat(i, counts[i])).ToArray();
        var repeated = new Ridge(Alpha: 2).Fit(Take(x, rows), Take(y, rows));
        SameModel(repeated, new Ridge(Alpha: 2).Fit(x, y, [.. counts.Select(k => (double)k)]), 1e-12, "integer weights = repeats");
    }

    private static MtlTensor<double> Take(MtlTensor<double> a, int[] rows)
    {
        int w = a.Dim(1);
        var v = a.ToArray();
        return MtlTensor.FromArray([.. rows.SelectMany(r => v[(r * w)..((r + 1) * w)])], rows.Length, w);
    }

    [Fact]
    public void AlphaPerTargetEqualsSeparateFits()
    {
        var x = Random(25, 4, 7);
        var y = Random(25, 3, 8);
        double[] alphas = [0.01, 3, 3];
        foreach (var solver in AllSolvers)
        {
            var joint = new Ridge(Alphas: alphas, Solver: solver, Tolerance: 1e-14).Fit(x, y);
            var yv = y.ToArray();
            for (int j = 0; j < 3; j++)
            {
                var yj = MtlTensor.FromArray([.. Enumerable.Range(0, 25).Select(i => yv[i * 3 + j])], 25);
                var single = new Ridge(Alpha: alphas[j], Solver: solver, Tolerance: 1e-14).Fit(x, yj);
                Close(single.Coefficients.ToArray(), joint.Coefficients.ToArray()[(j * 4)..((j + 1) * 4)], 1e-10, $"{solver} target {j}");
                Close(single.Intercept[0], joint.Intercept[j], 1e-10, $"{solver} intercept {j}");
            }
        }
    }

    [Fact]
    public void CholeskyFallsBackToSvdOnASingularSystemAndSaysSo()
    {
        var x = Random(20, 4, 9).ToArray();
        for (int i = 0; i < 20; i++) x[i * 4 + 2] = 0; // a zero column: XᵀX is singular at α = 0
        var xt = MtlTensor.FromArray(x, 20, 4);
        var y = Random(20, 1, 10);
        var model = new Ridge(Alpha: 0, Solver: RidgeSolver.Cholesky).Fit(xt, y);
        Assert.True(model.Report.FellBack);
        Assert.Equal(RidgeSolver.Svd, model.Report.Solver);
        Assert.Equal(RidgeSolver.Cholesky, model.Report.Requested);
        Assert.StartsWith("Cholesky failed (The matrix is not positive definite", model.Report.Fallback);
        Assert.EndsWith("); solved by SVD instead.", model.Report.Fallback);
        SameModel(new Ridge(Alpha: 0, Solver: RidgeSolver.Svd).Fit(xt, y), model, 1e-12, "fallback");
        Assert.False(new Ridge(Alpha: 1, Solver: RidgeSolver.Cholesky).Fit(xt, y).Report.FellBack);
        Assert.True(Math.Abs(model.Coefficients.ToArray()[2]) < 1e-12, "a zero column gets a zero coefficient");
        // A constant feature whose centred values are rounding noise rather than exact zeros.
        for (int i = 0; i < 20; i++) x[i * 4 + 2] = 0.1;
        var noisy = MtlTensor.FromArray(x, 20, 4);
        SameModel(new Ridge(Alpha: 1, Solver: RidgeSolver.Cholesky).Fit(noisy, y), new Ridge(Alpha: 1, Solver: RidgeSolver.Svd).Fit(noisy, y), 1e-10, "near-zero column");
        var cg = new Ridge(Solver: RidgeSolver.ConjugateGradient).Fit(xt, y).Report;
        Assert.True(cg.Converged);
        Assert.NotNull(cg.Iterations);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = Random(10, 3, 1);
        var e = Assert.Throws<LearnInputException>(() => new Ridge().Fit(x, Random(9, 1, 2)));
        Assert.Contains("10", e.Message);
        Assert.Contains("9", e.Message);
        Assert.Throws<LearnInputException>(() => new Ridge(Alphas: [1, 2]).Fit(x, Random(10, 3, 2)));
        Assert.Throws<LearnInputException>(() => new Ridge(Alpha: -1).Fit(x, Random(10, 1, 2)));
        var model = new Ridge().Fit(x, Random(10, 2, 2));
        Assert.Throws<LearnInputException>(() => model.Predict(Random(4, 5, 3)));
        // A non-finite value far into a large X is found and named by its row and column (on every path).
        var big = Random(3000, 4, 4).ToArray();
        big[2345 * 4 + 3] = double.PositiveInfinity;
        foreach (var solver in new[] { RidgeSolver.Auto, RidgeSolver.Svd })
            Assert.Contains("X[2345, 3]", Assert.Throws<LearnInputException>(() => new Ridge(Solver: solver).Fit(MtlTensor.FromArray(big, 3000, 4), Random(3000, 1, 5))).Message);
        var yBad = Random(3000, 2, 6).ToArray();
        yBad[4001] = double.NaN;
        Assert.Contains("y[2000, 1]", Assert.Throws<LearnInputException>(() => new Ridge().Fit(Random(3000, 4, 4), MtlTensor.FromArray(yBad, 3000, 2))).Message);
    }

    [Fact]
    public void FastPathDoesNotDependOnTheThreadCount()
    {
        // 17000 rows of 64 features stream in 3 blocks of 8192 rows, so two lanes (each on a thread when there are two).
        var x = Random(17000, 64, 31);
        var y = Random(17000, 3, 32);
        var one = new Ridge(Alpha: 0.5, Parallelism: new Parallelism(1)).Fit(x, y);
        foreach (int threads in new[] { 2, 3 })
        {
            var other = new Ridge(Alpha: 0.5, Parallelism: new Parallelism(threads)).Fit(x, y);
            Assert.Equal(one.Coefficients.ToArray(), other.Coefficients.ToArray());
            Assert.Equal(one.Intercept, other.Intercept);
        }
        var reference = new Ridge(Alpha: 0.5, Solver: RidgeSolver.Svd).Fit(x, y);
        SameModel(reference, one, 1e-10, "streamed Cholesky vs SVD");
    }

    [Fact]
    public void StreamedNormalEquationsDoNotDependOnTheThreadCount()
    {
        var x = Random(300, 9, 33);
        var y = Random(300, 2, 34);
        var sw = Enumerable.Range(0, 300).Select(i => 0.5 + (i % 5) / 4.0).ToArray();
        var (gram, xty, _, _) = RidgeProblem.NormalEquations(x, y, sw, true, new Parallelism(1), 7);
        foreach (int threads in new[] { 2, 4 })
        {
            var (g, b, _, _) = RidgeProblem.NormalEquations(x, y, sw, true, new Parallelism(threads), 7);
            for (int i = 0; i < 9; i++)
                for (int j = 0; j <= i; j++) Assert.Equal(gram[i, j], g[i, j]);
            Assert.Equal(xty.Data, b.Data);
        }
    }

    [Fact]
    public void FitOnARowViewEqualsFitOnItsCopyAndRepeatsExactly()
    {
        // The fast path reads X in place (a view with an offset) and keeps its scratch in pooled arrays: another fit in
        // between must not leak into the next, and the view must give what its copy gives.
        var whole = Random(900, 12, 35);
        var view = whole.Slice(0, 100, 900);
        var copy = MtlTensor.FromArray(view.ToArray(), 800, 12);
        var y = Random(800, 4, 36);
        var ridge = new Ridge(Alpha: 2, Alphas: [2, 2, 0.5, 3]);
        var first = ridge.Fit(view, y);
        new Ridge(Alpha: 1).Fit(Random(1000, 30, 37), Random(1000, 5, 38));
        var again = ridge.Fit(copy, y);
        Assert.Equal(first.Coefficients.ToArray(), again.Coefficients.ToArray());
        Assert.Equal(first.Intercept, again.Intercept);
        SameModel(new Ridge(Alphas: [2, 2, 0.5, 3], Solver: RidgeSolver.Svd).Fit(copy, y), first, 1e-10, "per-target α vs SVD");
    }

    [Fact]
    public void NonFiniteXIsFoundByTheStreamedPassWithAndWithoutIntercept()
    {
        // The fast path checks X through the sums of its mean pass (a NaN, even on a zero-weight row, or ±∞ leaves a
        // non-finite sum) and names the first bad value as the full scan does; without an intercept it scans X.
        var values = Random(20000, 8, 51).ToArray();
        values[17001 * 8 + 5] = double.NaN;
        values[19000 * 8 + 1] = double.NegativeInfinity;
        var x = MtlTensor.FromArray(values, 20000, 8);
        var y = Random(20000, 2, 52);
        var weights = Enumerable.Repeat(1.0, 20000).ToArray();
        weights[17001] = 0;
        foreach (bool intercept in new[] { true, false })
            foreach (var sw in new[] { null, weights })
                Assert.Contains("X[17001, 5]", Assert.Throws<LearnInputException>(() => new Ridge(FitIntercept: intercept, Parallelism: new Parallelism(2)).Fit(x, y, sw)).Message);
    }
}
