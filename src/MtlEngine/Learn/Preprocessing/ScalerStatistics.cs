using MtlEngine.Learn;
using System.Numerics.Tensors;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn.Preprocessing;

/// <summary>
/// What the scalers' mergeable statistics share (see <see cref="IFitStatistics{TSelf}"/>): per-feature statistics of X
/// alone (no targets, no sample weights) and the row count n; the binary format starts with d and n. A subclass keeps
/// its own per-feature values and says how a block of rows and another object's values join them.
/// </summary>
/// <typeparam name="TSelf">The statistics type itself.</typeparam>
public abstract class ScalerStatistics<TSelf> where TSelf : ScalerStatistics<TSelf>
{
    private readonly string _scaler;

    private protected ScalerStatistics(int features, string scaler)
    {
        if (features < 1)
            throw new LearnInputException($"Scaler statistics need at least one feature, but got {features}.");
        Features = features;
        _scaler = scaler;
    }

    /// <inheritdoc cref="IFitStatistics{TSelf}.Features"/>
    public int Features { get; }

    /// <inheritdoc cref="IFitStatistics{TSelf}.Targets"/>
    public int Targets => 0;

    /// <inheritdoc cref="IFitStatistics{TSelf}.Rows"/>
    public long Rows { get; private protected set; }

    /// <inheritdoc cref="IFitStatistics{TSelf}.WeightSum"/>
    public double WeightSum => Rows;

    /// <summary>Adds the rows of X (n, d).</summary>
    public void Add(MtlTensor<double> x)
    {
        var (_, d, values, offset) = LearnInput.MatrixView(x, "X");
        LearnInput.Features(Features, d, "These scaler statistics were made for");
        Add(values.AsSpan(offset, x.Dim(0) * d), [], []);
    }

    /// <summary>Adds rows of X (row-major); <paramref name="y"/> and <paramref name="sampleWeight"/> must be empty.</summary>
    public void Add(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> sampleWeight)
    {
        if (!sampleWeight.IsEmpty)
            throw new LearnInputException($"{_scaler} statistics take no sample weights; pass an empty weight span.");
        AddRows(x, StatisticsInput.Rows(x, Features, y, 0, sampleWeight));
    }

    /// <inheritdoc cref="IFitStatistics{TSelf}.Merge"/>
    public TSelf Merge(TSelf other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Features != Features)
            throw new LearnInputException($"Cannot merge scaler statistics of {other.Features} features into ones of {Features} features.");
        Join(other);
        return (TSelf)this;
    }

    /// <inheritdoc cref="IFitStatistics{TSelf}.Save"/>
    public void Save(Stream stream) => FitStatisticsFormat.Write(stream, FormatKind, writer =>
    {
        writer.Write(Features);
        writer.Write(Rows);
        FitStatisticsFormat.WriteDoubles(writer, First);
        FitStatisticsFormat.WriteDoubles(writer, Second);
    });

    /// <summary>The kind in the binary format.</summary>
    private protected abstract string FormatKind { get; }

    /// <summary>The two per-feature arrays the format holds after d and n, in order.</summary>
    private protected abstract double[] First { get; }

    /// <inheritdoc cref="First"/>
    private protected abstract double[] Second { get; }

    /// <summary>Adds <paramref name="n"/> checked rows of X (row-major, d values each).</summary>
    private protected abstract void AddRows(ReadOnlySpan<double> x, int n);

    /// <summary>Joins the rows of <paramref name="other"/> (same d) into this object.</summary>
    private protected abstract void Join(TSelf other);

    /// <summary>Reads the format's d and n, checks them, and makes the statistics from the two per-feature arrays.</summary>
    private protected static TSelf Load(Stream stream, string kind, string first, string second, Func<int, long, double[], double[], TSelf> create) =>
        FitStatisticsFormat.Read(stream, kind, reader =>
        {
            int d = reader.Count("the feature count", 1 << 24);
            long rows = reader.Int64("the row count");
            if (d < 1 || rows < 0) throw new Data.DataFormatException(reader.Source, $"{d} features and {rows} rows are not a scaler shape");
            return create(d, rows, reader.Doubles(d, first), reader.Doubles(d, second));
        });
}

/// <summary>
/// The sufficient statistics of a <see cref="StandardScaler"/>, mergeable (see <see cref="IFitStatistics{TSelf}"/>): per
/// feature, n, the mean and the centred sum of squares m₂ = Σ (xᵢ − x̄)², merged by Chan et al.'s update
/// (δ = x̄_b − x̄_a, x̄ = x̄_a + δ·n_b/n, m₂ = m₂_a + m₂_b + δ²·n_a·n_b/n). <see cref="Fit"/> gives the scaler of
/// variance m₂/n (scikit-learn's var_, ddof = 0).
/// </summary>
public sealed class StandardScalerStatistics : ScalerStatistics<StandardScalerStatistics>, IFitStatistics<StandardScalerStatistics>
{
    /// <summary>The kind in the binary format.</summary>
    public const string Kind = "standard_scaler";

    private double[] _mean;
    private double[] _m2;

    /// <summary>Empty statistics for <paramref name="features"/> features (d ≥ 1).</summary>
    /// <exception cref="LearnInputException">When d is below 1.</exception>
    public StandardScalerStatistics(int features)
        : base(features, "StandardScaler")
    {
        _mean = new double[features];
        _m2 = new double[features];
    }

    private protected override void AddRows(ReadOnlySpan<double> x, int n)
    {
        int d = Features;
        if (n == 0) return;
        // the block's mean and two-pass centred sum of squares (with the first pass's rounding correction), then Chan's join
        var mean = new double[d];
        for (int i = 0; i < n; i++) TensorPrimitives.Add(mean, x.Slice(i * d, d), mean);
        Dense.Scale(1.0 / n, mean);
        var m2 = new double[d];
        var correction = new double[d];
        var diff = new double[d];
        for (int i = 0; i < n; i++)
        {
            TensorPrimitives.Subtract(x.Slice(i * d, d), mean, diff);
            TensorPrimitives.Add(correction, diff, correction);
            TensorPrimitives.MultiplyAdd(diff, diff, m2, m2);
        }
        for (int j = 0; j < d; j++) m2[j] -= correction[j] * correction[j] / n;
        Join(n, mean, m2);
    }

    private void Join(long rows, double[] mean, double[] m2)
    {
        if (rows == 0) return;
        if (Rows == 0)
        {
            Rows = rows;
            _mean = (double[])mean.Clone();
            _m2 = (double[])m2.Clone();
            return;
        }
        double total = Rows + rows;
        for (int j = 0; j < Features; j++)
        {
            double delta = mean[j] - _mean[j];
            _m2[j] += m2[j] + delta * delta * Rows * rows / total;
            _mean[j] += delta * rows / total;
        }
        Rows += rows;
    }

    private protected override void Join(StandardScalerStatistics other) => Join(other.Rows, other._mean, other._m2);

    /// <inheritdoc/>
    public StandardScalerStatistics Copy() => new(Features) { Rows = Rows, _mean = (double[])_mean.Clone(), _m2 = (double[])_m2.Clone() };

    /// <summary>The scaler of the rows added so far (the model of <c>options.Fit(X)</c> on all of them).</summary>
    /// <exception cref="LearnInputException">When no rows were added.</exception>
    public StandardScalerModel Fit(StandardScaler options)
    {
        ArgumentNullException.ThrowIfNull(options);
        StatisticsInput.HasWeight(Rows, WeightSum, "StandardScaler");
        if (Rows > int.MaxValue)
            throw new LearnInputException($"StandardScaler counts samples in 32 bits; {Rows} rows are too many.");
        return options.Model((int)Rows, (double[])_mean.Clone(), [.. _m2.Select(m => m / Rows)]);
    }

    /// <inheritdoc/>
    public static StandardScalerStatistics Load(Stream stream) => Load(stream, Kind, "the mean", "the sums of squares",
        (d, rows, mean, m2) => new StandardScalerStatistics(d) { Rows = rows, _mean = mean, _m2 = m2 });

    private protected override string FormatKind => Kind;
    private protected override double[] First => _mean;
    private protected override double[] Second => _m2;
}

/// <summary>
/// The sufficient statistics of a <see cref="MinMaxScaler"/>, mergeable (see <see cref="IFitStatistics{TSelf}"/>): n and the
/// per-feature minimum and maximum (merged by min and max: exact in any order).
/// </summary>
public sealed class MinMaxScalerStatistics : ScalerStatistics<MinMaxScalerStatistics>, IFitStatistics<MinMaxScalerStatistics>
{
    /// <summary>The kind in the binary format.</summary>
    public const string Kind = "min_max_scaler";

    private double[] _min;
    private double[] _max;

    /// <summary>Empty statistics for <paramref name="features"/> features (d ≥ 1).</summary>
    /// <exception cref="LearnInputException">When d is below 1.</exception>
    public MinMaxScalerStatistics(int features)
        : base(features, "MinMaxScaler")
    {
        _min = Enumerable.Repeat(double.PositiveInfinity, features).ToArray();
        _max = Enumerable.Repeat(double.NegativeInfinity, features).ToArray();
    }

    private protected override void AddRows(ReadOnlySpan<double> x, int n)
    {
        int d = Features;
        for (int i = 0; i < n; i++)
        {
            TensorPrimitives.Min(_min, x.Slice(i * d, d), _min);
            TensorPrimitives.Max(_max, x.Slice(i * d, d), _max);
        }
        Rows += n;
    }

    private protected override void Join(MinMaxScalerStatistics other)
    {
        TensorPrimitives.Min(_min, other._min, _min);
        TensorPrimitives.Max(_max, other._max, _max);
        Rows += other.Rows;
    }

    /// <inheritdoc/>
    public MinMaxScalerStatistics Copy() => new(Features) { Rows = Rows, _min = (double[])_min.Clone(), _max = (double[])_max.Clone() };

    /// <summary>The scaler of the rows added so far (the model of <c>options.Fit(X)</c> on all of them).</summary>
    /// <exception cref="LearnInputException">When no rows were added or the options' range is empty.</exception>
    public MinMaxScalerModel Fit(MinMaxScaler options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Min < options.Max))
            throw new LearnInputException($"MinMaxScaler needs Min < Max, but got ({options.Min}, {options.Max}).");
        StatisticsInput.HasWeight(Rows, WeightSum, "MinMaxScaler");
        return options.Model((double[])_min.Clone(), (double[])_max.Clone());
    }

    /// <inheritdoc/>
    public static MinMaxScalerStatistics Load(Stream stream) => Load(stream, Kind, "the minima", "the maxima",
        (d, rows, min, max) => new MinMaxScalerStatistics(d) { Rows = rows, _min = min, _max = max });

    private protected override string FormatKind => Kind;
    private protected override double[] First => _min;
    private protected override double[] Second => _max;
}
