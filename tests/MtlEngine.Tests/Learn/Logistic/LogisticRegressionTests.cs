using System.Text.Json;
using MtlEngine.Data;
using MtlEngine.Datasets;
using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Learn.Optimization;
using MtlEngine.Learn.Preprocessing;
using MtlEngine.Learn.Sparse;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// LogisticRegression against scikit-learn 1.2 (Fixtures/Learn/make_logreg_fixtures.py) on iris, breast cancer and
/// digits, the optimizers against SciPy, and the identities: lbfgs = newton-cg optimum, CSR = dense, sample weight 2 =
/// a duplicated row, warm start from the optimum, the loss against its textbook twin and finite differences.
/// </summary>
public class LogisticRegressionTests
{
    internal static readonly JsonElement Fixtures = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "logreg_fixtures.json"))).RootElement;

    public static TheoryData<string> AllCases => new() { "iris", "iris_weighted", "breast_cancer", "breast_cancer_balanced", "breast_cancer_dict", "digits", "digits_balanced" };

    public static TheoryData<string> SmallCases => new() { "iris", "iris_weighted", "breast_cancer", "breast_cancer_balanced", "breast_cancer_dict" };

    /// <summary>The data, options and sample weights of a fixture case, built as the script builds them.</summary>
    internal static (MtlTensor<double> X, int[] Y, LogisticRegression Options, double[]? SampleWeight) Problem(string name)
    {
        var c = Fixtures.GetProperty(name);
        MtlTensor<double> x;
        int[] y;
        if (name.StartsWith("iris", StringComparison.Ordinal))
        {
            var d = ShippedDatasets.LoadIris();
            (x, y) = (d.Features, d.Labels);
        }
        else if (name.StartsWith("breast_cancer", StringComparison.Ordinal))
        {
            var d = ShippedDatasets.LoadBreastCancer();
            (x, y) = (new StandardScaler().Fit(d.Features).Transform(d.Features), d.Labels);
        }
        else
        {
            (x, y) = Digits();
        }
        var options = new LogisticRegression { C = c.GetProperty("C").GetDouble() };
        options = name switch
        {
            "iris_weighted" => options with { ClassWeight = new Dictionary<int, double> { [0] = 1.0, [1] = 2.0, [2] = 0.5 } },
            "breast_cancer_dict" => options with { ClassWeight = new Dictionary<int, double> { [0] = 3.0 } },
            "breast_cancer_balanced" or "digits_balanced" => options with { BalancedClassWeight = true },
            _ => options,
        };
        var sw = c.GetProperty("sample_weight");
        return (x, y, options, sw.ValueKind == JsonValueKind.Null ? null : Vector(sw));
    }

    internal static (MtlTensor<double> X, int[] Y) Digits()
    {
        var d = ShippedDatasets.LoadDigits();
        return (MtlTensor.FromArray([.. d.Features.ToArray().Select(v => v / 16)], d.SampleCount, d.FeatureCount), d.Labels);
    }

    private static MtlTensor<double> TakeRows(MtlTensor<double> x, int[] rows) => LearnInput.TakeRows(x, rows);

    private static MtlTensor<double> TakeRows(MtlTensor<double> x, int count) => LearnInput.TakeRows(x, [.. Enumerable.Range(0, count)]);

    private static double[] Flat(JsonElement e) => [.. Array2(e).Cast<double>()];

    private static MtlTensor<double> Random(int rows, int columns, int seed, double sparsity = 0)
    {
        var rng = new Random(seed);
        return MtlTensor.FromArray([.. Enumerable.Range(0, rows * columns).Select(_ => rng.NextDouble() < sparsity ? 0 : rng.NextDouble() * 2 - 1)], rows, columns);
    }

    private static int[] RandomLabels(int n, int classes, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(i => i < classes ? i : rng.Next(classes))];
    }

    // ---- scikit-learn parity -------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllCases))]
    public void DefaultFitStopsWhereScikitLearnStops(string name)
    {
        // Same objective, same L-BFGS-B rules (pgtol = tol, factr·ε, maxiter 100, Moré–Thuente): same iterate.
        var (x, y, options, sw) = Problem(name);
        var sk = Fixtures.GetProperty(name).GetProperty("sk_default");
        var model = options.Fit(x, y, sw);
        int skIterations = sk.GetProperty("n_iter").GetInt32();
        bool converged = skIterations < 100;
        Assert.InRange(model.Report!.Iterations, skIterations - 3, skIterations + 3);
        if (converged) Assert.Equal(skIterations, model.Report.Iterations);
        // Binary fits converge in < 60 iterations and agree to rounding. The multinomial runs stop at the 100-iteration
        // limit far from the optimum (iris on raw features is ill-conditioned), where rounding differences in the loss
        // (SIMD exp, summation order) move the iterate visibly: there only the predictions must agree.
        double tolerance = converged ? 1e-8 : 2e-2;
        Close(Array2(sk.GetProperty("coef")), model.Coefficients, tolerance, name + " coef_");
        Close(Vector(sk.GetProperty("intercept")), model.Intercept, tolerance, name + " intercept_");
        Close(Array2(sk.GetProperty("proba")), model.PredictProba(TakeRows(x, 20)), tolerance, name + " predict_proba");
        Assert.Equal(sk.GetProperty("accuracy").GetDouble(), model.Score(x, y), 12);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void NewtonCgReachesTheOptimum(string name)
    {
        var (x, y, options, sw) = Problem(name);
        var opt = Fixtures.GetProperty(name).GetProperty("opt");
        var model = (options with { Solver = LogisticSolver.NewtonCg, Tolerance = 1e-8, MaxIterations = 200 }).Fit(x, y, sw);
        Assert.True(model.Report!.GradientNorm <= 1e-7, $"{name}: max|gradient| {model.Report.GradientNorm:E2} ({model.Report.Message})");
        Close(opt.GetProperty("loss").GetDouble(), model.Report.Loss, 1e-12, name + " loss");
        Close(Array2(opt.GetProperty("coef")), model.Coefficients, 1e-7, name + " coef_");
        Close(Vector(opt.GetProperty("intercept")), model.Intercept, 1e-7, name + " intercept_");
        Close(Array2(opt.GetProperty("proba")), model.PredictProba(TakeRows(x, 20)), 1e-9, name + " predict_proba");
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void LbfgsWithTightToleranceReachesTheSameOptimum(string name)
    {
        // L-BFGS-B stops on the relative reduction of f (factr·ε) before max|∇f| ≤ 1e-10: the optimum to ~1e-4.
        var (x, y, options, sw) = Problem(name);
        var opt = Fixtures.GetProperty(name).GetProperty("opt");
        var lbfgs = (options with { Tolerance = 1e-10, MaxIterations = 10000 }).Fit(x, y, sw);
        var newton = (options with { Solver = LogisticSolver.NewtonCg, Tolerance = 1e-8, MaxIterations = 200 }).Fit(x, y, sw);
        Assert.True(lbfgs.Report!.Converged, lbfgs.Report.Message);
        Close(opt.GetProperty("loss").GetDouble(), lbfgs.Report.Loss, 1e-6, name + " loss");
        Close(newton.Coefficients.ToArray(), lbfgs.Coefficients.ToArray(), 1e-3, name + " lbfgs vs newton-cg coef_");
        Close(newton.PredictProba(x).ToArray(), lbfgs.PredictProba(x).ToArray(), 1e-4, name + " lbfgs vs newton-cg proba");
        int skTight = Fixtures.GetProperty(name).GetProperty("sk_tight").GetProperty("n_iter").GetInt32();
        Assert.InRange(lbfgs.Report.Iterations, skTight * 4 / 5, skTight * 6 / 5 + 1);
    }

    // ---- identities ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("iris", LogisticSolver.NewtonCg)]
    [InlineData("breast_cancer", LogisticSolver.Lbfgs)]
    [InlineData("breast_cancer_balanced", LogisticSolver.NewtonCg)]
    public void CsrInputGivesTheDenseFit(string name, LogisticSolver solver)
    {
        var (x, y, options, sw) = Problem(name);
        options = options with { Solver = solver, Tolerance = solver == LogisticSolver.NewtonCg ? 1e-8 : 1e-4 };
        var dense = options.Fit(x, y, sw);
        var csr = CsrMatrix.FromDense(x);
        var sparse = options.Fit(csr, y, sw);
        Close(dense.Coefficients.ToArray(), sparse.Coefficients.ToArray(), 1e-8, name + " coef_");
        Close(dense.Intercept, sparse.Intercept, 1e-8, name + " intercept_");
        Close(dense.PredictProba(x).ToArray(), sparse.PredictProba(csr).ToArray(), 1e-8, name + " proba");
        Assert.Equal(dense.Predict(x), sparse.Predict(csr));
        Close(dense.DecisionFunction(x).ToArray(), dense.DecisionFunction(csr).ToArray(), 1e-12, name + " decision dense vs CSR");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void SampleWeightTwoEqualsADuplicatedRow(int classes)
    {
        var x = Random(60, 5, 3);
        var y = RandomLabels(60, classes, 4);
        int[] doubled = [0, 7, 13, 40];
        var weights = Enumerable.Repeat(1.0, 60).ToArray();
        foreach (int i in doubled) weights[i] = 2;
        var rows = Enumerable.Range(0, 60).Concat(doubled).ToArray();
        var options = new LogisticRegression { C = 3, Solver = LogisticSolver.NewtonCg, Tolerance = 1e-10 };
        var weighted = options.Fit(x, y, weights);
        var duplicated = options.Fit(TakeRows(x, rows), [.. rows.Select(i => y[i])]);
        Close(weighted.Coefficients.ToArray(), duplicated.Coefficients.ToArray(), 1e-8, "coef_");
        Close(weighted.Intercept, duplicated.Intercept, 1e-8, "intercept_");
        Close(weighted.Report!.Loss, duplicated.Report!.Loss, 1e-12, "loss");
    }

    [Theory]
    [InlineData("iris")]
    [InlineData("breast_cancer_dict")]
    public void WarmStartFromTheOptimumConvergesAtOnce(string name)
    {
        var (x, y, options, sw) = Problem(name);
        var optimum = (options with { Solver = LogisticSolver.NewtonCg, Tolerance = 1e-9 }).Fit(x, y, sw);
        foreach (var solver in new[] { LogisticSolver.Lbfgs, LogisticSolver.NewtonCg })
        {
            var warm = (options with { Solver = solver }).Fit(x, y, sw, warmStart: optimum);
            Assert.True(warm.Report!.Iterations <= 1, $"{solver}: {warm.Report.Iterations} iterations");
            Assert.True(warm.Report.Converged);
            Close(optimum.Coefficients.ToArray(), warm.Coefficients.ToArray(), 1e-8, $"{solver} coef_");
        }
        var cold = options.Fit(x, y, sw);
        Assert.True(cold.Report!.Iterations > 5);
    }

    [Fact]
    public void WarmStartFromAnotherProblemIsRejected()
    {
        var (x, y, options, _) = Problem("iris");
        var binary = options.Fit(TakeRows(x, [.. Enumerable.Range(0, 100)]), y[..100]);
        var e = Assert.Throws<LearnInputException>(() => options.Fit(x, y, warmStart: binary));
        Assert.Contains("warm-start", e.Message);
    }

    [Fact]
    public void LabelsAreAnyIntegersAndClassesAreSorted()
    {
        var (x, y, options, _) = Problem("iris");
        int[] names = [42, -7, 3];  // class 0 → 42, 1 → −7, 2 → 3: sorted classes are [−7, 3, 42]
        var relabelled = y.Select(c => names[c]).ToArray();
        var model = options.Fit(x, relabelled);
        Assert.Equal([-7, 3, 42], model.Classes);
        var reference = options.Fit(x, y.Select(c => c switch { 1 => 0, 2 => 1, _ => 2 }).ToArray());
        Assert.Equal(reference.Coefficients.ToArray(), model.Coefficients.ToArray());
        Assert.Equal(reference.Predict(x).Select(c => new[] { -7, 3, 42 }[c]), model.Predict(x));
        var binary = options.Fit(TakeRows(x, [.. Enumerable.Range(0, 100)]), [.. relabelled[..100]]);
        Assert.Equal([-7, 42], binary.Classes);
        Assert.Equal(1, binary.CoefficientRows);
        Assert.Equal([100], binary.DecisionFunction(TakeRows(x, [.. Enumerable.Range(0, 100)])).Shape.ToArray());
    }

    [Theory]
    [InlineData("iris")]
    [InlineData("breast_cancer")]
    public void ProbabilitiesLogProbabilitiesAndLabelsAgree(string name)
    {
        var (x, y, options, sw) = Problem(name);
        var model = options.Fit(x, y, sw);
        var p = model.PredictProba(x);
        var logP = model.PredictLogProba(x);
        var labels = model.Predict(x);
        int k = model.Classes.Length;
        Assert.Equal([x.Dim(0), k], p.Shape.ToArray());
        var pv = p.ToArray();
        var lv = logP.ToArray();
        for (int i = 0; i < x.Dim(0); i++)
        {
            var row = pv.AsSpan(i * k, k);
            Assert.Equal(1.0, row.ToArray().Sum(), 12);
            for (int c = 0; c < k; c++) Assert.Equal(row[c], Math.Exp(lv[i * k + c]), 12);
            Assert.Equal(model.Classes[row.ToArray().ToList().IndexOf(row.ToArray().Max())], labels[i]);
        }
    }

    [Fact]
    public void FitDoesNotDependOnTheThreadCount()
    {
        var x = Random(3000, 20, 11);
        var y = RandomLabels(3000, 4, 12);
        var one = new LogisticRegression { Parallelism = new Parallelism(1) }.Fit(x, y);
        var three = new LogisticRegression { Parallelism = new Parallelism(3) }.Fit(x, y);
        Assert.Equal(one.Coefficients.ToArray(), three.Coefficients.ToArray());
        Assert.Equal(one.Report!.Iterations, three.Report!.Iterations);
    }

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        var (x, y, options, sw) = Problem("iris_weighted");
        var model = options.Fit(x, y, sw);
        string path = Path.Combine(Path.GetTempPath(), $"logreg-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.Equal("logreg", ModelFile.ReadKind(path));
            var file = ModelFile.Read(path, "logreg");
            Assert.Equal(DType.Int64, file.Tensor("classes_").DType);
            Assert.Equal([3, 4], file.Tensor("coef_").Shape.ToArray());
            var loaded = LogisticRegressionModel.Load(path);
            Assert.Equal(model.Classes, loaded.Classes);
            Assert.Equal(model.Coefficients.ToArray(), loaded.Coefficients.ToArray());
            Assert.Equal(model.Intercept, loaded.Intercept);
            Assert.Equal(model.PredictProba(x).ToArray(), loaded.PredictProba(x).ToArray());
            Assert.Null(loaded.Report);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ---- bad input -------------------------------------------------------------------------------------------------

    [Fact]
    public void BadInputNamesTheProblem()
    {
        var x = Random(10, 3, 1);
        var y = RandomLabels(10, 2, 2);
        var lr = new LogisticRegression();
        Assert.Contains("one class", Assert.Throws<LearnInputException>(() => lr.Fit(x, new int[10])).Message);
        Assert.Contains("9 labels", Assert.Throws<LearnInputException>(() => lr.Fit(x, y[..9])).Message);
        var withNaN = x.ToArray();
        withNaN[7] = double.NaN;
        Assert.Contains("NaN", Assert.Throws<LearnInputException>(() => lr.Fit(MtlTensor.FromArray(withNaN, 10, 3), y)).Message);
        Assert.Contains("C must be > 0", Assert.Throws<LearnInputException>(() => (lr with { C = 0 }).Fit(x, y)).Message);
        Assert.Contains("C must be > 0", Assert.Throws<LearnInputException>(() => (lr with { C = -1 }).Fit(x, y)).Message);
        Assert.Contains("label 5", Assert.Throws<LearnInputException>(() =>
            (lr with { ClassWeight = new Dictionary<int, double> { [5] = 1 } }).Fit(x, y)).Message);
        Assert.Contains("sampleWeight", Assert.Throws<LearnInputException>(() => lr.Fit(x, y, new double[3])).Message);
        var model = lr.Fit(x, y);
        Assert.Contains("3 features", Assert.Throws<LearnInputException>(() => model.Predict(Random(2, 4, 1))).Message);
    }

    // ---- the loss: textbook twin, finite differences ------------------------------------------------------------------

    /// <summary>The objective straight from its definition, one sample and one class at a time.</summary>
    private static (double Value, double[] Gradient) TextbookLoss(double[,] x, int[] y, double[] s, int classes, double lambda, double[] theta)
    {
        int n = x.GetLength(0), d = x.GetLength(1), k = classes > 2 ? classes : 1;
        var grad = new double[theta.Length];
        double f = 0;
        for (int c = 0; c < k; c++)
            for (int j = 0; j < d; j++)
            {
                f += 0.5 * lambda * theta[c * d + j] * theta[c * d + j];
                grad[c * d + j] = lambda * theta[c * d + j];
            }
        for (int i = 0; i < n; i++)
        {
            var z = new double[k];
            for (int c = 0; c < k; c++)
            {
                z[c] = theta[k * d + c];
                for (int j = 0; j < d; j++) z[c] += theta[c * d + j] * x[i, j];
            }
            var dz = new double[k];
            if (k == 1)
            {
                f += s[i] * (Math.Log(1 + Math.Exp(z[0])) - y[i] * z[0]);
                dz[0] = 1 / (1 + Math.Exp(-z[0])) - y[i];
            }
            else
            {
                double sum = z.Sum(Math.Exp);
                f += s[i] * (Math.Log(sum) - z[y[i]]);
                for (int c = 0; c < k; c++) dz[c] = Math.Exp(z[c]) / sum - (c == y[i] ? 1 : 0);
            }
            for (int c = 0; c < k; c++)
            {
                grad[k * d + c] += s[i] * dz[c];
                for (int j = 0; j < d; j++) grad[c * d + j] += s[i] * dz[c] * x[i, j];
            }
        }
        return (f, grad);
    }

    private static (LogisticLoss Dense, LogisticLoss Sparse, double[,] X, int[] Y, double[] S, double[] Theta) LossProblem(int classes, int seed)
    {
        const int n = 1500, d = 7; // > one chunk of rows
        var xt = Random(n, d, seed, sparsity: 0.4);
        var y = RandomLabels(n, classes, seed + 1);
        var rng = new Random(seed + 2);
        var s = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2).ToArray();
        double lambda = 0.7;
        var dense = new LogisticLoss(DesignMatrix.Dense(n, d, xt.ToArray()), y, s, classes, fitIntercept: true, lambda, new Parallelism(2));
        var sparse = new LogisticLoss(DesignMatrix.Sparse(CsrMatrix.FromDense(xt)), y, s, classes, fitIntercept: true, lambda, default);
        var theta = Enumerable.Range(0, dense.Dimension).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var x = new double[n, d];
        var values = xt.ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i, j] = values[i * d + j];
        return (dense, sparse, x, y, s, theta);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void LossMatchesItsTextbookTwin(int classes)
    {
        var (dense, sparse, x, y, s, theta) = LossProblem(classes, 20 + classes);
        var (expected, expectedGradient) = TextbookLoss(x, y, s, classes, 0.7, theta);
        foreach (var loss in new[] { dense, sparse })
        {
            var g = new double[loss.Dimension];
            Close(expected, loss.Evaluate(theta, g), 1e-12, "loss");
            Close(expectedGradient, g, 1e-11, "gradient");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void GradientAndHessianMatchFiniteDifferences(int classes)
    {
        var (loss, _, _, _, _, theta) = LossProblem(classes, 40 + classes);
        int m = loss.Dimension;
        var g = new double[m];
        var hv = new double[m];
        var gPlus = new double[m];
        var gMinus = new double[m];
        var scratch = new double[m];
        loss.Evaluate(theta, g);
        loss.SetHessianPoint(theta, scratch);
        Assert.Equal(g, scratch);
        var v = Enumerable.Range(0, m).Select(i => Math.Sin(i + 1.0)).ToArray();
        loss.HessianVector(v, hv);
        const double h = 1e-5;
        var fdHv = new double[m];
        var point = (double[])theta.Clone();
        for (int j = 0; j < m; j++)
        {
            point[j] = theta[j] + h;
            double fPlus = loss.Evaluate(point, scratch);
            point[j] = theta[j] - h;
            double fMinus = loss.Evaluate(point, scratch);
            point[j] = theta[j];
            Close(g[j], (fPlus - fMinus) / (2 * h), 1e-6, $"∂f/∂θ[{j}]");
        }
        for (int j = 0; j < m; j++) point[j] = theta[j] + h * v[j];
        loss.Evaluate(point, gPlus);
        for (int j = 0; j < m; j++) point[j] = theta[j] - h * v[j];
        loss.Evaluate(point, gMinus);
        for (int j = 0; j < m; j++) fdHv[j] = (gPlus[j] - gMinus[j]) / (2 * h);
        Close(fdHv, hv, 1e-6, "∇²f·v");
    }

    [Fact]
    public void BinaryLossIsStableForLargeMargins()
    {
        // z = ±800: e^{800} overflows, log1p(e^{−|z|}) + max(z, 0) − y·z does not.
        var x = MtlTensor.FromArray(new double[] { 1, -1 }, 2, 1);
        var loss = new LogisticLoss(DesignMatrix.Dense(2, 1, x.ToArray()), [1, 0], [1, 1], 2, fitIntercept: false, 0, default);
        var g = new double[1];
        double f = loss.Evaluate([800.0], g);
        Assert.Equal(0.0, f);
        Assert.Equal(0.0, g[0]);
        f = loss.Evaluate([-800.0], g);
        Assert.Equal(1600.0, f, 9);
        Assert.Equal(-2.0, g[0], 12);
    }

    // ---- the optimizers ------------------------------------------------------------------------------------------------

    private sealed class Rosenbrock(int n) : ISmoothObjective
    {
        public int Dimension => n;

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            double f = 0;
            gradient.Clear();
            for (int i = 0; i + 1 < n; i++)
            {
                double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
                f += 100 * a * a + b * b;
                gradient[i] += -400 * x[i] * a - 2 * b;
                gradient[i + 1] += 200 * a;
            }
            return f;
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    public void LbfgsFollowsScipyOnRosenbrock(int n)
    {
        var c = Fixtures.GetProperty($"rosenbrock_{n}");
        var result = Lbfgs.Minimize(new Rosenbrock(n), Vector(c.GetProperty("x0")), new LbfgsOptions(MaxIterations: 1000, GradientTolerance: 1e-8));
        Assert.True(result.Converged, result.Message);
        Assert.Equal(c.GetProperty("message").GetString(), result.Message);
        Assert.Equal(c.GetProperty("nit").GetInt32(), result.Iterations);
        Assert.Equal(c.GetProperty("nfev").GetInt32(), result.Evaluations);
        Close(Vector(c.GetProperty("x")), result.X, 1e-6, "x");
    }

    private sealed class Quadratic(double[,] a, double[] b) : ISecondOrderObjective
    {
        public int Dimension => b.Length;

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            double f = 0;
            HessianVector(x, gradient);
            for (int i = 0; i < b.Length; i++)
            {
                f += 0.5 * x[i] * gradient[i] - b[i] * x[i];
                gradient[i] -= b[i];
            }
            return f;
        }

        public void SetHessianPoint(ReadOnlySpan<double> x, Span<double> gradient) => Evaluate(x, gradient);

        public void HessianVector(ReadOnlySpan<double> v, Span<double> result)
        {
            for (int i = 0; i < b.Length; i++)
            {
                result[i] = 0;
                for (int j = 0; j < b.Length; j++) result[i] += a[i, j] * v[j];
            }
        }
    }

    [Fact]
    public void NewtonCgSolvesAQuadratic()
    {
        // f = ½xᵀAx − bᵀx with A = diag(1..6) + 0.1·𝟙𝟙ᵀ: inexact Newton steps (CG stopped at ‖r‖₁ ≤ η‖g‖₁) reach A⁻¹b.
        const int n = 6;
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i, j] = (i == j ? i + 1 : 0) + 0.1;
        var b = Enumerable.Range(0, n).Select(i => 1.0 + i).ToArray();
        var result = NewtonCg.Minimize(new Quadratic(a, b), new double[n], new NewtonCgOptions(GradientTolerance: 1e-10));
        Assert.True(result.Converged, result.Message);
        Assert.InRange(result.Iterations, 1, 20);
        var ax = new double[n];
        new Quadratic(a, b).HessianVector(result.X, ax);
        Close(b, ax, 1e-9, "A·x");
    }

    [Theory]
    [InlineData(LogisticSolver.Lbfgs)]
    [InlineData(LogisticSolver.NewtonCg)]
    public void FitOnAViewEqualsFitOnItsCopyAndRepeatsExactly(LogisticSolver solver)
    {
        // X is read in place (a row view has an offset into its storage; a transposed view is copied) and the loss keeps its
        // buffers in pooled arrays: a fit in between must not leak into the next.
        var whole = Random(700, 6, 41);
        var view = whole.Slice(0, 100, 700);
        var copy = MtlTensor.FromArray(view.ToArray(), 600, 6);
        var transposed = MtlTensor.FromArray(copy.Transpose().ToArray(), 6, 600).Transpose(); // (600, 6), not contiguous
        var y = RandomLabels(600, 3, 42);
        var options = new LogisticRegression { Solver = solver };
        var first = options.Fit(view, y);
        options.Fit(Random(500, 9, 43), RandomLabels(500, 4, 44));
        foreach (var x in new[] { copy, transposed })
        {
            var again = options.Fit(x, y);
            Assert.Equal(first.Coefficients.ToArray(), again.Coefficients.ToArray());
            Assert.Equal(first.Intercept, again.Intercept);
            Assert.Equal(first.Report!.Iterations, again.Report!.Iterations);
        }
        Assert.Equal(first.PredictProba(copy).ToArray(), first.PredictProba(view).ToArray());
    }
}
