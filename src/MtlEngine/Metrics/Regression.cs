using MtlEngine.Tensors;

namespace MtlEngine.Metrics;

/// <summary>How per-target regression scores of a multi-output problem are combined (scikit-learn's <c>multioutput</c>).</summary>
public enum MultiOutput
{
    /// <summary>The plain mean over targets.</summary>
    UniformAverage,
    /// <summary>For R²: the mean weighted by each target's variance (equivalently Σ SS_res / Σ SS_tot, scikit-learn's <c>variance_weighted</c>).</summary>
    VarianceWeighted,
}

/// <summary>
/// Regression metrics, as scikit-learn's: for targets Y and predictions Ŷ of shape (n_samples,) or (n_samples, n_targets),
/// per target j:
/// <code>
/// MSE_j = (1/n)·Σᵢ (yᵢⱼ − ŷᵢⱼ)²     MAE_j = (1/n)·Σᵢ |yᵢⱼ − ŷᵢⱼ|     R²_j = 1 − Σᵢ (yᵢⱼ − ŷᵢⱼ)² / Σᵢ (yᵢⱼ − ȳⱼ)²
/// </code>
/// A target with zero variance gets R² = 1 when predicted exactly and 0 otherwise (scikit-learn's <c>force_finite=True</c>);
/// with fewer than two samples R² is undefined and NaN (scikit-learn warns and returns nan).
/// </summary>
public static class RegressionMetrics
{
    /// <summary>MSE per target.</summary>
    public static double[] MeanSquaredErrorPerTarget(MtlTensor<double> yTrue, MtlTensor<double> yPred) =>
        PerTarget(yTrue, yPred, (t, p) => (t - p) * (t - p));

    /// <summary>MAE per target.</summary>
    public static double[] MeanAbsoluteErrorPerTarget(MtlTensor<double> yTrue, MtlTensor<double> yPred) =>
        PerTarget(yTrue, yPred, (t, p) => Math.Abs(t - p));

    /// <summary>The mean squared error, averaged over targets.</summary>
    /// <exception cref="MetricInputException">When the shapes differ.</exception>
    public static double MeanSquaredError(MtlTensor<double> yTrue, MtlTensor<double> yPred) => MeanSquaredErrorPerTarget(yTrue, yPred).Average();

    /// <summary>The mean absolute error, averaged over targets.</summary>
    /// <exception cref="MetricInputException">When the shapes differ.</exception>
    public static double MeanAbsoluteError(MtlTensor<double> yTrue, MtlTensor<double> yPred) => MeanAbsoluteErrorPerTarget(yTrue, yPred).Average();

    /// <summary>The mean squared error of one target.</summary>
    public static double MeanSquaredError(double[] yTrue, double[] yPred) => MeanSquaredError(Vector(yTrue), Vector(yPred, "yPred"));

    /// <summary>The mean absolute error of one target.</summary>
    public static double MeanAbsoluteError(double[] yTrue, double[] yPred) => MeanAbsoluteError(Vector(yTrue), Vector(yPred, "yPred"));

    /// <summary>R² of one target.</summary>
    public static double R2(double[] yTrue, double[] yPred) => R2(Vector(yTrue), Vector(yPred, "yPred"));

    /// <summary>R² per target.</summary>
    /// <exception cref="MetricInputException">When the shapes differ.</exception>
    public static double[] R2PerTarget(MtlTensor<double> yTrue, MtlTensor<double> yPred)
    {
        var (residual, total) = SumsOfSquares(yTrue, yPred);
        var r2 = new double[residual.Length];
        if (yTrue.Dim(0) < 2)
        {
            Array.Fill(r2, double.NaN);
            return r2;
        }
        for (int j = 0; j < r2.Length; j++)
            r2[j] = total[j] != 0 ? 1 - residual[j] / total[j] : residual[j] == 0 ? 1.0 : 0.0;
        return r2;
    }

    /// <summary>R² combined over targets as <paramref name="multiOutput"/>.</summary>
    /// <exception cref="MetricInputException">When the shapes differ.</exception>
    public static double R2(MtlTensor<double> yTrue, MtlTensor<double> yPred, MultiOutput multiOutput = MultiOutput.UniformAverage)
    {
        if (multiOutput == MultiOutput.UniformAverage) return R2PerTarget(yTrue, yPred).Average();
        var (residual, total) = SumsOfSquares(yTrue, yPred);
        var r2 = R2PerTarget(yTrue, yPred);
        double weightSum = total.Sum();
        // Every target constant: the weights are all zero, and scikit-learn falls back to the uniform average.
        if (weightSum == 0) return r2.Average();
        double sum = 0;
        for (int j = 0; j < r2.Length; j++) sum += total[j] * r2[j];
        return sum / weightSum;
    }

    private static (double[] Residual, double[] Total) SumsOfSquares(MtlTensor<double> yTrue, MtlTensor<double> yPred)
    {
        var (n, t, y, p) = Pair(yTrue, yPred);
        var residual = new double[t];
        var total = new double[t];
        for (int j = 0; j < t; j++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += y[i * t + j];
            mean /= n;
            for (int i = 0; i < n; i++)
            {
                double r = y[i * t + j] - p[i * t + j], d = y[i * t + j] - mean;
                residual[j] += r * r;
                total[j] += d * d;
            }
        }
        return (residual, total);
    }

    private static double[] PerTarget(MtlTensor<double> yTrue, MtlTensor<double> yPred, Func<double, double, double> loss)
    {
        var (n, t, y, p) = Pair(yTrue, yPred);
        var result = new double[t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < t; j++)
                result[j] += loss(y[i * t + j], p[i * t + j]);
        for (int j = 0; j < t; j++) result[j] /= n;
        return result;
    }

    private static (int N, int T, double[] Y, double[] P) Pair(MtlTensor<double> yTrue, MtlTensor<double> yPred)
    {
        var (n, t, y) = MetricInput.Matrix(yTrue, "yTrue");
        var (np, tp, p) = MetricInput.Matrix(yPred, "yPred");
        MetricInput.SameLength(n, np, "yTrue", "yPred");
        if (t != tp)
            throw new MetricInputException($"yTrue has {t} targets (columns) but yPred has {tp}; predict every target.");
        MetricInput.NotEmpty(n, "yTrue");
        return (n, t, y, p);
    }

    private static MtlTensor<double> Vector(double[] values, string name = "yTrue")
    {
        ArgumentNullException.ThrowIfNull(values, name);
        return MtlTensor.FromArray((double[])values.Clone(), values.Length);
    }
}
