using MtlEngine.Tensors;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn.Preprocessing;

/// <summary>
/// Scales each feature into [Min, Max], as scikit-learn's <c>MinMaxScaler</c>:
/// <code>
/// scale_j = (Max − Min) / (x_max,j − x_min,j)       x' = x·scale_j + (Min − x_min,j·scale_j)
/// </code>
/// A constant feature (range below 10·ε, ε the float64 machine epsilon) uses a range of 1, so it maps to Min.
/// </summary>
/// <param name="Min">The lower end of the target range (default 0).</param>
/// <param name="Max">The upper end of the target range (default 1).</param>
public sealed record MinMaxScaler(double Min = 0, double Max = 1)
{
    /// <summary>Learns the column minima and maxima of X (n_samples, n_features).</summary>
    /// <exception cref="LearnInputException">When the range is empty, or X is not a finite, non-empty matrix.</exception>
    public MinMaxScalerModel Fit(MtlTensor<double> x)
    {
        if (!(Min < Max))
            throw new LearnInputException($"MinMaxScaler needs Min < Max, but got ({Min}, {Max}).");
        var (n, d, v) = LearnInput.Matrix(x);
        LearnInput.NotEmpty(n, "X");
        LearnInput.Finite(v, d, "X");
        var lo = new double[d];
        var hi = new double[d];
        Array.Fill(lo, double.PositiveInfinity);
        Array.Fill(hi, double.NegativeInfinity);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                lo[j] = Math.Min(lo[j], v[i * d + j]);
                hi[j] = Math.Max(hi[j], v[i * d + j]);
            }
        return Model(lo, hi);
    }

    /// <summary>The fitted model of data with these per-feature minima and maxima.</summary>
    internal MinMaxScalerModel Model(double[] lo, double[] hi)
    {
        int d = lo.Length;
        var scale = new double[d];
        var offset = new double[d];
        for (int j = 0; j < d; j++)
        {
            double range = hi[j] - lo[j];
            scale[j] = (Max - Min) / (range < 10 * MachineEpsilon.Double ? 1 : range);
            offset[j] = Min - lo[j] * scale[j];
        }
        return new MinMaxScalerModel(this, lo, hi, scale, offset);
    }
}

/// <summary>A fitted <see cref="MinMaxScaler"/> (scikit-learn's data_min_, data_max_, scale_, min_).</summary>
public sealed class MinMaxScalerModel
{
    private readonly double[] _dataMin, _dataMax, _scale, _offset;

    internal MinMaxScalerModel(MinMaxScaler options, double[] dataMin, double[] dataMax, double[] scale, double[] offset)
    {
        Options = options;
        _dataMin = dataMin;
        _dataMax = dataMax;
        _scale = scale;
        _offset = offset;
    }

    /// <summary>The options it was fitted with.</summary>
    public MinMaxScaler Options { get; }

    /// <summary>The column minima (copied).</summary>
    public double[] DataMin => (double[])_dataMin.Clone();

    /// <summary>The column maxima (copied).</summary>
    public double[] DataMax => (double[])_dataMax.Clone();

    /// <summary>The per-feature factor (copied).</summary>
    public double[] Scale => (double[])_scale.Clone();

    /// <summary>The per-feature offset, scikit-learn's min_ (copied).</summary>
    public double[] Offset => (double[])_offset.Clone();

    /// <summary>x·scale + offset (a new tensor).</summary>
    /// <exception cref="LearnInputException">When X has a different number of features.</exception>
    public MtlTensor<double> Transform(MtlTensor<double> x) => Apply(x, inverse: false);

    /// <summary>(x − offset) / scale, undoing <see cref="Transform"/>.</summary>
    /// <exception cref="LearnInputException">When X has a different number of features.</exception>
    public MtlTensor<double> InverseTransform(MtlTensor<double> x) => Apply(x, inverse: true);

    private MtlTensor<double> Apply(MtlTensor<double> x, bool inverse)
    {
        var (n, d, v) = LearnInput.Matrix(x);
        LearnInput.Features(_scale.Length, d, "MinMaxScaler");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                ref double e = ref v[i * d + j];
                e = inverse ? (e - _offset[j]) / _scale[j] : e * _scale[j] + _offset[j];
            }
        return MtlTensor.FromArray(v, n, d);
    }
}
