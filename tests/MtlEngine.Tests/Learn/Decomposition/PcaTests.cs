using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.DecompositionFixtures;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>PCA against scikit-learn 1.2 on iris, wine, breast cancer and digits (Fixtures/Learn/decomposition_fixtures.json), and the solver identities.</summary>
public class PcaTests
{
    public static TheoryData<string, PcaSolver, bool> ShippedCases()
    {
        var data = new TheoryData<string, PcaSolver, bool>();
        foreach (var name in new[] { "iris", "wine", "breast_cancer", "digits" })
        {
            data.Add(name, PcaSolver.Full, false);  // QR + SVD of R
            data.Add(name, PcaSolver.Full, true);   // the covariance route where its bound allows
            data.Add(name, PcaSolver.Covariance, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedCases))]
    public void MatchesScikitLearn(string name, PcaSolver solver, bool covarianceRoute)
    {
        var c = Fixture("pca_" + name);
        var x = Shipped(name);
        int k = c.GetProperty("n_components").GetInt32();
        var model = new Pca(Components: k, Solver: solver, CovarianceRoute: covarianceRoute).Fit(x);
        string what = $"{name} {solver} route={model.Report.Route}";
        Assert.Equal(solver, model.Report.Solver);
        if (!covarianceRoute) Assert.Null(model.Report.Route);
        Close(Array2(c.GetProperty("components")), model.Components, 1e-9, what + " components");
        Close(Vector(c.GetProperty("explained_variance")), model.ExplainedVariance, 1e-10, what + " explained variance");
        Close(Vector(c.GetProperty("explained_variance_ratio")), model.ExplainedVarianceRatio, 1e-12, what + " ratio");
        Close(Vector(c.GetProperty("singular_values")), model.SingularValues, 1e-10, what + " singular values");
        Close(Vector(c.GetProperty("mean")), model.Mean, 1e-13, what + " mean");
        // The noise variance averages the smallest variances: the covariance route resolves them to ε·λ_max absolutely.
        Close(c.GetProperty("noise_variance").GetDouble(), model.NoiseVariance, solver == PcaSolver.Full && model.Report.Route is null ? 1e-9 : 1e-7, what + " noise variance");
        var head = Head(x, 10);
        Close(Array2(c.GetProperty("transform_head")), model.Transform(head), 1e-9, what + " transform");
        Close(Array2(c.GetProperty("fit_transform_head")), model.Transform(head), 1e-9, what + " fit_transform");
        Close(Array2(c.GetProperty("inverse_head")), model.InverseTransform(model.Transform(head)), 1e-9, what + " inverse");

        var white = new Pca(Components: k, Whiten: true, Solver: solver, CovarianceRoute: covarianceRoute).Fit(x);
        Close(Array2(c.GetProperty("whiten_transform_head")), white.Transform(head), 1e-9, what + " whiten transform");
        Close(Array2(c.GetProperty("whiten_fit_transform_head")), white.Transform(head), 1e-9, what + " whiten fit_transform");
        Close(Array2(c.GetProperty("whiten_inverse_head")), white.InverseTransform(white.Transform(head)), 1e-9, what + " whiten inverse");
    }

    [Theory]
    [InlineData("iris")]
    [InlineData("wine")]
    [InlineData("digits")]
    public void VarianceFractionPicksScikitLearnsCount(string name)
    {
        var c = Fixture("pca_" + name);
        var x = Shipped(name);
        var model = new Pca(VarianceFraction: c.GetProperty("fraction").GetDouble()).Fit(x);
        Assert.Equal(c.GetProperty("fraction_n_components").GetInt32(), model.ComponentCount);
        Assert.Equal(PcaSolver.Full, model.Report.Solver);
        Close(c.GetProperty("fraction_noise_variance").GetDouble(), model.NoiseVariance, 1e-9, name + " fraction noise variance");
    }

    [Theory]
    [InlineData("breast_cancer")]
    [InlineData("digits")]
    public void RandomizedAgreesWithScikitLearn(string name)
    {
        // Different random streams: the leading components agree to the accuracy the power iterations reach.
        var c = Fixture("pca_" + name);
        var x = Shipped(name);
        int k = c.GetProperty("n_components").GetInt32();
        var model = new Pca(Components: k, Solver: PcaSolver.Randomized, Seed: 3).Fit(x);
        Assert.Equal(k < 0.1 * Math.Min(x.Dim(0), x.Dim(1)) ? 7 : 4, model.Report.PowerIterations);
        // Each variance within 1e-4 (relative) of the exact one, and as a whole at least as close as scikit-learn's randomized solver.
        var exact = Vector(c.GetProperty("explained_variance"));
        var theirs = Vector(c.GetProperty("randomized_explained_variance"));
        var ours = model.ExplainedVariance;
        for (int j = 0; j < k; j++)
            Assert.True(Math.Abs(ours[j] - exact[j]) <= 1e-4 * exact[j], $"{name} randomized variance[{j}]: exact {exact[j]}, ours {ours[j]}");
        double ourError = Enumerable.Range(0, k).Sum(j => Math.Abs(ours[j] - exact[j]));
        double theirError = Enumerable.Range(0, k).Sum(j => Math.Abs(theirs[j] - exact[j]));
        Assert.True(ourError <= theirError * 1.5 + 1e-9, $"{name}: our randomized variance error {ourError} vs scikit-learn's {theirError}");
        Close(c.GetProperty("noise_variance").GetDouble(), model.NoiseVariance, 1e-3, name + " randomized noise variance (vs exact)");
        Close(c.GetProperty("randomized_noise_variance").GetDouble(), model.NoiseVariance, 1e-3, name + " randomized noise variance");
        var expected = Array2(c.GetProperty("randomized_components"));
        var actual = model.Components;
        // The first components are well separated: same sign convention, same vectors.
        for (int j = 0; j < 3; j++)
            for (int f = 0; f < x.Dim(1); f++)
                Assert.True(Math.Abs(expected[j, f] - actual[j, f]) < 1e-5, $"{name} component {j}[{f}]: {expected[j, f]} vs {actual[j, f]}");
    }

    private static MtlTensor<double> LowRankPlusNoise(int n, int d, int rank, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n * d];
        var left = Enumerable.Range(0, n * rank).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var right = Enumerable.Range(0, rank * d).Select(_ => rng.NextDouble() - 0.5).ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 3 + 0.01 * rng.NextDouble();
                for (int r = 0; r < rank; r++) s += left[i * rank + r] * right[r * d + j] * (10.0 / (r + 1));
                a[i * d + j] = s + 0.01 * (rng.NextDouble() - 0.5);
            }
        return MtlTensor.FromArray(a, n, d);
    }

    [Theory]
    [InlineData(300, 40, 8)]
    [InlineData(40, 90, 8)]   // wide: the full solver factors Xᵀ, the randomized one too
    [InlineData(700, 30, 5)]
    public void SolversAgree(int n, int d, int k)
    {
        var x = LowRankPlusNoise(n, d, 10, n + d);
        var full = new Pca(Components: k, Solver: PcaSolver.Full, CovarianceRoute: false, Parallelism: new Parallelism(2)).Fit(x);
        var textbook = TextbookPca(x, k);
        Close(textbook.Components, full.Components.ToArray(), 1e-10, "full vs textbook components");
        Close(textbook.Variance, full.ExplainedVariance, 1e-10, "full vs textbook variance");
        foreach (var solver in new[] { PcaSolver.Covariance, PcaSolver.Randomized, PcaSolver.Auto, PcaSolver.Full })
        {
            var other = new Pca(Components: k, Solver: solver, PowerIterations: solver == PcaSolver.Randomized ? 10 : null).Fit(x);
            double tolerance = solver == PcaSolver.Randomized ? 1e-7 : 1e-9;
            Close(full.Components.ToArray(), other.Components.ToArray(), tolerance, $"{solver} components");
            Close(full.ExplainedVariance, other.ExplainedVariance, tolerance, $"{solver} variance");
            Close(full.ExplainedVarianceRatio, other.ExplainedVarianceRatio, tolerance, $"{solver} ratio");
            Close(full.NoiseVariance, other.NoiseVariance, solver == PcaSolver.Randomized ? 1e-6 : 1e-9, $"{solver} noise");
            Close(full.Transform(x).ToArray(), other.Transform(x).ToArray(), tolerance * 10, $"{solver} transform");
        }
    }

    /// <summary>The textbook twin: eigenvectors of the covariance by cyclic Jacobi, sorted, with the u-based sign rule on X_c·v.</summary>
    private static (double[] Components, double[] Variance) TextbookPca(MtlTensor<double> x, int k)
    {
        int n = x.Dim(0), d = x.Dim(1);
        var a = x.ToArray();
        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += a[i * d + j] / n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) a[i * d + j] -= mean[j];
        var c = new global::MtlEngine.LinearAlgebra.DenseMatrix(d, d);
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += a[i * d + p] * a[i * d + q];
                c[p, q] = s / (n - 1);
            }
        var (values, vectors) = global::MtlEngine.LinearAlgebra.JacobiEigenTextbook.Compute(c);
        var order = Enumerable.Range(0, d).OrderByDescending(j => values[j]).ToArray();
        var components = new double[k * d];
        var variance = new double[k];
        for (int j = 0; j < k; j++)
        {
            variance[j] = values[order[j]];
            var v = Enumerable.Range(0, d).Select(f => vectors[f, order[j]]).ToArray();
            var score = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, d).Sum(f => a[i * d + f] * v[f])).ToArray();
            int best = 0;
            for (int i = 1; i < n; i++)
                if (Math.Abs(score[i]) > Math.Abs(score[best])) best = i;
            double sign = score[best] < 0 ? -1 : 1;
            for (int f = 0; f < d; f++) components[j * d + f] = sign * v[f];
        }
        return (components, variance);
    }

    [Theory]
    [InlineData(PcaSolver.Full, 50, 12)]
    [InlineData(PcaSolver.Full, 9, 12)]
    [InlineData(PcaSolver.Covariance, 50, 12)]
    public void AllComponentsReconstructX(PcaSolver solver, int n, int d)
    {
        var x = LowRankPlusNoise(n, d, 12, 5);
        foreach (bool whiten in new[] { false, true })
        {
            var model = new Pca(Whiten: whiten, Solver: solver).Fit(x);
            Assert.Equal(Math.Min(n, d), model.ComponentCount);
            Assert.Equal(0, model.NoiseVariance);
            Close(1.0, model.ExplainedVarianceRatio.Sum(), 1e-12, "ratios sum to one");
            // Whitening divides by √variance, which is 0 for the last component of a wide X (n ≤ d centred has rank n − 1).
            if (whiten && n <= d) continue;
            Close(x.ToArray(), model.InverseTransform(model.Transform(x)).ToArray(), 1e-10, $"{solver} whiten={whiten} reconstruction");
        }
    }

    [Fact]
    public void ComponentsAreOrthonormalAndWhitenedScoresHaveUnitVariance()
    {
        var x = Shipped("wine");
        var model = new Pca(Components: 6, Whiten: true).Fit(x);
        var v = model.Components;
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
            {
                double dot = 0;
                for (int f = 0; f < v.Dim(1); f++) dot += v[a, f] * v[b, f];
                Assert.True(Math.Abs(dot - (a == b ? 1 : 0)) < 1e-12, $"VᵀV[{a},{b}] = {dot}");
            }
        var z = model.Transform(x);
        int n = z.Dim(0);
        for (int j = 0; j < 6; j++)
        {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++) { sum += z[i, j]; sq += z[i, j] * z[i, j]; }
            Assert.True(Math.Abs(sum / n) < 1e-10, $"mean of component {j}");
            Assert.True(Math.Abs(sq / (n - 1) - 1) < 1e-10, $"variance of component {j}: {sq / (n - 1)}");
        }
    }

    [Fact]
    public void AutoFollowsTheDocumentedRule()
    {
        Assert.Equal(PcaSolver.Full, Pca.ResolveAuto(500, 64, 10, false));
        Assert.Equal(PcaSolver.Full, Pca.ResolveAuto(5000, 64, 10, true));
        Assert.Equal(PcaSolver.Covariance, Pca.ResolveAuto(20000, 512, 32, false));
        Assert.Equal(PcaSolver.Randomized, Pca.ResolveAuto(3000, 2000, 32, false));
        Assert.Equal(PcaSolver.Full, Pca.ResolveAuto(3000, 2000, 1900, false));
        Assert.Equal(PcaSolver.Randomized, Pca.ResolveAuto(600, 5000, 10, false));
    }

    [Fact]
    public void BadInputIsRefusedWithAMessage()
    {
        var x = Shipped("iris");
        Assert.Contains("min(n_samples, n_features) = 4", Assert.Throws<LearnInputException>(() => new Pca(Components: 5).Fit(x)).Message);
        Assert.Throws<LearnInputException>(() => new Pca(VarianceFraction: 1.5).Fit(x));
        Assert.Throws<LearnInputException>(() => new Pca(VarianceFraction: 0.5, Solver: PcaSolver.Randomized).Fit(x));
        Assert.Throws<LearnInputException>(() => new Pca(Components: 0, Solver: PcaSolver.Randomized).Fit(x));
        var bad = x.ToArray();
        bad[7] = double.NaN;
        Assert.Contains("NaN", Assert.Throws<LearnInputException>(() => new Pca(Components: 2).Fit(MtlTensor.FromArray(bad, 150, 4))).Message);
        var model = new Pca(Components: 2).Fit(x);
        Assert.Throws<LearnInputException>(() => model.Transform(MtlTensor.FromArray(new double[6], 2, 3)));
        Assert.Throws<LearnInputException>(() => model.InverseTransform(MtlTensor.FromArray(new double[6], 2, 3)));
    }

    [Fact]
    public void SaveLoadRoundTrip()
    {
        var x = Shipped("digits");
        var model = new Pca(Components: 8, Whiten: true, Solver: PcaSolver.Covariance).Fit(x);
        string path = Path.Combine(Path.GetTempPath(), $"pca-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.Equal("pca", MtlEngine.Learn.ModelFile.ReadKind(path));
            var loaded = PcaModel.Load(path);
            Assert.Equal(model.Components.ToArray(), loaded.Components.ToArray());
            Assert.Equal(model.ExplainedVariance, loaded.ExplainedVariance);
            Assert.Equal(model.NoiseVariance, loaded.NoiseVariance);
            Assert.True(loaded.Whiten);
            Assert.Equal(PcaSolver.Covariance, loaded.Report.Solver);
            Assert.Equal(1797, loaded.Samples);
            Assert.Equal(model.Transform(x).ToArray(), loaded.Transform(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FullSolverTakesTheCovarianceRouteOnlyWhenItsBoundAllows()
    {
        // Well separated leading variances: the route is taken and says so.
        var x = LowRankPlusNoise(700, 30, 5, 11);
        Assert.Null(new Pca(Components: 3, Solver: PcaSolver.Full).Fit(x).Report.Route);  // off by default: the SVD
        var model = new Pca(Components: 3, Solver: PcaSolver.Full, CovarianceRoute: true).Fit(x);
        Assert.StartsWith("covariance route", model.Report.Route);
        // Two equal variances among the kept ones (an isotropic pair of directions): the SVD runs.
        var rng = new Random(4);
        int n = 2000, d = 20;
        var a = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            double angle = 2 * Math.PI * i / n;
            a[i * d] = 10 * Math.Cos(angle);
            a[i * d + 1] = 10 * Math.Sin(angle);
            for (int j = 2; j < d; j++) a[i * d + j] = 0.01 * (rng.NextDouble() - 0.5);
        }
        var circle = new Pca(Components: 2, Solver: PcaSolver.Full, CovarianceRoute: true).Fit(MtlTensor.FromArray(a, n, d));
        Assert.StartsWith("QR + SVD of R", circle.Report.Route);
        // A variance fraction needs every variance: the SVD runs without trying the route.
        Assert.Null(new Pca(VarianceFraction: 0.9, Solver: PcaSolver.Full, CovarianceRoute: true).Fit(x).Report.Route);
    }

    [Theory]
    [InlineData(400, 60, 10, 2)]
    [InlineData(300, 50, 40, 4)]   // l = k + p = 50 = n: a square, full-rank range
    [InlineData(250, 30, 5, 0)]
    public void RandomizedSvdWithCholeskyQrEqualsTheLinearAlgebraOne(int m, int n, int k, int q)
    {
        // The twin: RandomizedSvd's textbook form (Householder QR at every half step), same seed so the same Ω, against
        // the fast one that PCA's randomized solver runs (CholeskyQR between half steps, CholeskyQR2 at the end).
        var a = global::MtlEngine.LinearAlgebra.DenseMatrix.FromTensor(LowRankPlusNoise(m, n, 12, m));
        var reference = global::MtlEngine.LinearAlgebra.RandomizedSvd.ComputeTextbook(a, k, 10, q, seed: 9);
        var fast = global::MtlEngine.LinearAlgebra.RandomizedSvd.Compute(a, k, 10, q, 9, new Parallelism(2));
        var (u, sigma, v) = (fast.U, fast.SingularValues, fast.V);
        Close(reference.SingularValues, sigma, 1e-10, "σ");
        global::MtlEngine.LinearAlgebra.SignConvention.Apply(u, v);
        Close(reference.U.Data, u.Data, 1e-7, "U");
        Close(reference.V.Data, v.Data, 1e-7, "V");
    }
}
