using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// PCA on subnormal and huge data fits as scikit-learn does (LAPACK scales the matrix before the SVD; so do we, by a power
/// of two), and CCA on constant or extreme data stops with a <see cref="LearnInputException"/> instead of NaN or a crash.
/// </summary>
public class ExtremeDataTests
{
    private static readonly double[] X = [1, 2, 0, 3, 5, 1, 4, 4, -2, 0, 1, 3, 2, -1, 1];

    private static MtlTensor<double> Scaled(double scale) => MtlTensor.FromArray(X.Select(v => v * scale).ToArray(), 5, 3);

    [Fact]
    public void PcaOfSubnormalDataMatchesScikitLearn()
    {
        // pca_subnormal_fixture.py (scikit-learn 1.2.1): the subnormal inputs carry few significant bits, so the fit agrees
        // with scikit-learn's to about 1e-4 and with the unscaled fit's components to the same.
        double[,] sklearnComponents =
        {
            { 0.4685608186572231, 0.7387013040336604, -0.48453187989877644 },
            { 0.34280825215657157, -0.6575230080958269, -0.6709292034767689 },
            { -0.8142071367119239, 0.14826960997987604, -0.5613224218609 },
        };
        var model = new Pca(Solver: PcaSolver.Full).Fit(Scaled(Math.ScaleB(1.0, -1070)));
        var components = model.Components.ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.True(Math.Abs(components[i * 3 + j] - sklearnComponents[i, j]) < 1e-3, $"component [{i}, {j}] = {components[i * 3 + j]}");
        double[] sklearnSigma = [4.6e-322, 2.5e-322, 1.14e-322];
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(model.SingularValues[i] - sklearnSigma[i]) <= 2e-323, $"σ[{i}] = {model.SingularValues[i]}");
        Assert.Equal([0.0, 0.0, 0.0], model.ExplainedVariance); // underflows, as in scikit-learn
        double[] unscaledRatio = [0.7281148102816646, 0.22503471667762692, 0.04685047304070846];
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(model.ExplainedVarianceRatio[i] - unscaledRatio[i]) < 1e-3);
        Assert.All(model.Transform(Scaled(Math.ScaleB(1.0, -1070))).ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(700)]
    [InlineData(1000)]
    public void PcaIsScaleEquivariantOverTheWholeRange(int exponent)
    {
        // A power-of-two scale is exact: the components must equal the unscaled fit's, σ must scale by 2^e.
        var reference = new Pca(Solver: PcaSolver.Full).Fit(Scaled(1));
        var scaled = new Pca(Solver: PcaSolver.Full).Fit(Scaled(Math.ScaleB(1.0, exponent)));
        var a = reference.Components.ToArray();
        var b = scaled.Components.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-12, $"component {i}: {b[i]} vs {a[i]}");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(reference.SingularValues[i] * Math.ScaleB(1.0, exponent), scaled.SingularValues[i], Math.Abs(scaled.SingularValues[i]) * 1e-12);
            Assert.Equal(reference.ExplainedVarianceRatio[i], scaled.ExplainedVarianceRatio[i], 1e-12);
        }
    }

    [Fact]
    public void PcaOfDataWhoseSumsOverflowIsALearnInputError()
    {
        var x = MtlTensor.FromArray(new[] { 1.7e308, 1.0, 1.7e308, 2.0, 1.0, 3.0 }, 3, 2);
        Assert.Contains("overflow", Assert.Throws<LearnInputException>(() => new Pca().Fit(x)).Message);
    }

    [Fact]
    public void CcaOfAConstantViewIsALearnInputError()
    {
        var x = MtlTensor.FromArray(Enumerable.Repeat(3.0, 12).ToArray(), 6, 2);
        var y = MtlTensor.FromArray(Enumerable.Range(0, 12).Select(i => Math.Sin(i)).ToArray(), 6, 2);
        Assert.Contains("X is constant", Assert.Throws<LearnInputException>(() => new Cca(Components: 1).Fit(x, y)).Message);
        Assert.Contains("Y is constant", Assert.Throws<LearnInputException>(() => new Cca(Components: 1).Fit(y, x)).Message);
        Assert.Contains("constant", Assert.Throws<LearnInputException>(() => new Cca(Components: 1, Scale: false).Fit(x, y)).Message);
    }

    [Fact]
    public void CcaOfExtremeValuesIsALearnInputError()
    {
        var x = MtlTensor.FromArray(Enumerable.Range(0, 12).Select(i => (i % 3 - 1) * 1.5e308).ToArray(), 6, 2);
        var y = MtlTensor.FromArray(Enumerable.Range(0, 12).Select(i => Math.Sin(i)).ToArray(), 6, 2);
        var e = Assert.Throws<LearnInputException>(() => new Cca(Components: 1).Fit(x, y));
        Assert.Contains("too large", e.Message);
    }

    [Fact]
    public void CcaWithARepeatedColumnStopsWithAnErrorWhenNoVariationIsLeft()
    {
        // X has rank 1 (two equal columns): the second pair has nothing left in X.
        var column = Enumerable.Range(0, 8).Select(i => Math.Cos(i * 0.7)).ToArray();
        var x = MtlTensor.FromArray(column.SelectMany(v => new[] { v, v }).ToArray(), 8, 2);
        var y = MtlTensor.FromArray(Enumerable.Range(0, 16).Select(i => Math.Sin(i * 1.3)).ToArray(), 8, 2);
        try
        {
            var model = new Cca(Components: 2).Fit(x, y);
            Assert.All(model.TransformX(x).ToArray(), v => Assert.True(double.IsFinite(v))); // if it fits, it is finite
        }
        catch (LearnInputException e)
        {
            Assert.Contains("no variation left", e.Message);
        }
    }
}
