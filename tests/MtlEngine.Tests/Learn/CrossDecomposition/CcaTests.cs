using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.DecompositionFixtures;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>CCA against scikit-learn 1.2 (linnerud, a synthetic two-view set) and against the exact SVD-based CCA.</summary>
public class CcaTests
{
    private static (MtlTensor<double> X, MtlTensor<double> Y) Views(string name)
    {
        if (name == "linnerud")
        {
            var data = ShippedDatasets.LoadLinnerud();
            return (data.Features, data.Targets);
        }
        var c = Fixture("cca_" + name);
        return (Matrix(c.GetProperty("x")), Matrix(c.GetProperty("y")));
    }

    private static double[,] Transposed(double[,] a)
    {
        var t = new double[a.GetLength(1), a.GetLength(0)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) t[j, i] = a[i, j];
        return t;
    }

    [Theory]
    [InlineData("linnerud")]
    [InlineData("two_views")]
    public void MatchesScikitLearn(string name)
    {
        var c = Fixture("cca_" + name);
        var (x, y) = Views(name);
        var model = new Cca(Components: c.GetProperty("n_components").GetInt32()).Fit(x, y);
        Assert.Equal(Labels(c.GetProperty("n_iter")), model.Report.Iterations);
        Close(Array2(c.GetProperty("x_weights")), model.XWeights, 1e-9, name + " x_weights");
        Close(Array2(c.GetProperty("y_weights")), model.YWeights, 1e-9, name + " y_weights");
        Close(Array2(c.GetProperty("x_loadings")), model.XLoadings, 1e-9, name + " x_loadings");
        Close(Array2(c.GetProperty("y_loadings")), model.YLoadings, 1e-9, name + " y_loadings");
        Close(Array2(c.GetProperty("x_rotations")), model.XRotations, 1e-9, name + " x_rotations");
        Close(Array2(c.GetProperty("y_rotations")), model.YRotations, 1e-9, name + " y_rotations");
        Close(Transposed(Array2(c.GetProperty("coef"))), model.Coefficients, 1e-9, name + " coef");
        Close(Array2(c.GetProperty("x_scores")), model.TransformX(x), 1e-9, name + " x scores");
        Close(Array2(c.GetProperty("y_scores")), model.TransformY(y), 1e-9, name + " y scores");
        Close(Array2(c.GetProperty("predict")), model.Predict(x), 1e-9, name + " predict");
        Close(Vector(c.GetProperty("canonical_correlations")), model.CanonicalCorrelations, 1e-10, name + " canonical correlations");
    }

    /// <summary>
    /// The exact CCA (Björck and Golub 1973): with Q_x, Q_y orthonormal bases of the centred (scaled) views, the
    /// canonical correlations are the singular values of Q_xᵀ·Q_y.
    /// </summary>
    private static double[] ExactCanonicalCorrelations(MtlTensor<double> x, MtlTensor<double> y)
    {
        DenseMatrix Basis(MtlTensor<double> a)
        {
            var m = DenseMatrix.FromTensor(a);
            for (int j = 0; j < m.Columns; j++)
            {
                double mean = 0;
                for (int i = 0; i < m.Rows; i++) mean += m[i, j] / m.Rows;
                for (int i = 0; i < m.Rows; i++) m[i, j] -= mean;
            }
            return Qr.Factor(m).ThinQ();
        }
        var product = DenseMatrix.Multiply(Basis(x), Basis(y), global::MtlEngine.Kernels.Gemm.MatrixOp.Transpose);
        return Svd.Compute(product).SingularValues;
    }

    [Theory]
    [InlineData("linnerud")]
    [InlineData("two_views")]
    public void ConvergedNipalsGivesTheExactCanonicalCorrelations(string name)
    {
        var (x, y) = Views(name);
        var exact = ExactCanonicalCorrelations(x, y);
        var model = new Cca(Components: 3, Tolerance: 1e-28, MaxIterations: 100_000).Fit(x, y);
        Close(exact[..3], model.CanonicalCorrelations, 1e-8, name + " canonical correlations");
        // The pairs are uncorrelated across components within each view.
        var xs = model.TransformX(x);
        var ys = model.TransformY(y);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                if (a == b) continue;
                double sx = 0, sy = 0;
                for (int i = 0; i < xs.Dim(0); i++) { sx += xs[i, a] * xs[i, b]; sy += ys[i, a] * ys[i, b]; }
                Assert.True(Math.Abs(sx) < 1e-8 * xs.Dim(0), $"{name} ξ{a}·ξ{b} = {sx}");
                Assert.True(Math.Abs(sy) < 1e-8 * xs.Dim(0), $"{name} ω{a}·ω{b} = {sy}");
            }
    }

    [Fact]
    public void ScaleFalseIsScaleInvariantInCorrelations()
    {
        var (x, y) = Views("two_views");
        var scaled = new Cca(Components: 2, Tolerance: 1e-28, MaxIterations: 100_000).Fit(x, y);
        var unscaled = new Cca(Components: 2, Scale: false, Tolerance: 1e-28, MaxIterations: 100_000).Fit(x, y);
        Close(scaled.CanonicalCorrelations, unscaled.CanonicalCorrelations, 1e-8, "canonical correlations do not depend on column scaling");
    }

    [Fact]
    public void BadInputIsRefused()
    {
        var (x, y) = Views("linnerud");
        Assert.Contains("min(n_samples, p, q) = 3", Assert.Throws<LearnInputException>(() => new Cca(Components: 4).Fit(x, y)).Message);
        Assert.Throws<LearnInputException>(() => new Cca().Fit(x, Head(y, 10)));
        var model = new Cca().Fit(x, y);
        Assert.Throws<LearnInputException>(() => model.TransformX(MtlTensor.FromArray(new double[4], 2, 2)));
    }
}
