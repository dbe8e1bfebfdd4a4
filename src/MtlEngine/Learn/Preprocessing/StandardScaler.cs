using MtlEngine.Tensors;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn.Preprocessing;

/// <summary>
/// Standardizes features: z = (x − μ) / σ per column, as scikit-learn's <c>StandardScaler</c>, with μ the column mean and
/// σ² the biased variance (ddof = 0). A constant feature (σ² within rounding of zero) keeps σ = 1, so it is centred but
/// not blown up. The options record is the estimator: <c>new StandardScaler().Fit(x)</c>.
/// </summary>
/// <param name="WithMean">Subtract the mean (default true).</param>
/// <param name="WithStd">Divide by the standard deviation (default true).</param>
public sealed record StandardScaler(bool WithMean = true, bool WithStd = true)
{
    /// <summary>Learns μ and σ from X of shape (n_samples, n_features).</summary>
    /// <exception cref="LearnInputException">When X is not a matrix, is empty, or holds NaN or ±∞.</exception>
    public StandardScalerModel Fit(MtlTensor<double> x)
    {
        var (n, d, v) = LearnInput.Matrix(x);
        LearnInput.NotEmpty(n, "X");
        LearnInput.Finite(v, d, "X");
        var mean = new double[d];
        var variance = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += v[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        // Two-pass variance with the rounding correction of the first pass (Chan, Golub & LeVeque).
        var correction = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double diff = v[i * d + j] - mean[j];
                variance[j] += diff * diff;
                correction[j] += diff;
            }
        for (int j = 0; j < d; j++) variance[j] = (variance[j] - correction[j] * correction[j] / n) / n;
        return Model(n, mean, variance);
    }

    /// <summary>The fitted model of n samples with these per-feature means and (population) variances.</summary>
    internal StandardScalerModel Model(int n, double[] mean, double[] variance)
    {
        int d = mean.Length;
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            // scikit-learn's _is_constant_feature: the variance is below its own rounding error bound.
            double bound = n * MachineEpsilon.Double * variance[j] + Math.Pow(n * mean[j] * MachineEpsilon.Double, 2);
            scale[j] = variance[j] <= bound ? 1.0 : Math.Sqrt(variance[j]);
        }
        return new StandardScalerModel(this, n, mean, variance, scale);
    }
}

/// <summary>A fitted <see cref="StandardScaler"/>: per-feature Mean, Variance and Scale (scikit-learn's mean_, var_, scale_).</summary>
public sealed class StandardScalerModel
{
    private readonly double[] _mean, _variance, _scale;

    internal StandardScalerModel(StandardScaler options, int samplesSeen, double[] mean, double[] variance, double[] scale)
    {
        Options = options;
        SamplesSeen = samplesSeen;
        _mean = mean;
        _variance = variance;
        _scale = scale;
    }

    /// <summary>The options it was fitted with.</summary>
    public StandardScaler Options { get; }

    /// <summary>The number of samples it was fitted on.</summary>
    public int SamplesSeen { get; }

    /// <summary>The number of features.</summary>
    public int Features => _mean.Length;

    /// <summary>The column means μ (copied).</summary>
    public double[] Mean => (double[])_mean.Clone();

    /// <summary>The column variances σ² with ddof = 0 (copied).</summary>
    public double[] Variance => (double[])_variance.Clone();

    /// <summary>The divisors σ, 1 for constant features (copied).</summary>
    public double[] Scale => (double[])_scale.Clone();

    /// <summary>(X − μ) / σ, as the options say (a new tensor).</summary>
    /// <exception cref="LearnInputException">When X has a different number of features.</exception>
    public MtlTensor<double> Transform(MtlTensor<double> x) => Apply(x, inverse: false);

    /// <summary>X·σ + μ, undoing <see cref="Transform"/>.</summary>
    /// <exception cref="LearnInputException">When X has a different number of features.</exception>
    public MtlTensor<double> InverseTransform(MtlTensor<double> x) => Apply(x, inverse: true);

    private MtlTensor<double> Apply(MtlTensor<double> x, bool inverse)
    {
        var (n, d, v) = LearnInput.Matrix(x);
        LearnInput.Features(Features, d, "StandardScaler");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double mu = Options.WithMean ? _mean[j] : 0, sigma = Options.WithStd ? _scale[j] : 1;
                ref double e = ref v[i * d + j];
                e = inverse ? e * sigma + mu : (e - mu) / sigma;
            }
        return MtlTensor.FromArray(v, n, d);
    }
}
