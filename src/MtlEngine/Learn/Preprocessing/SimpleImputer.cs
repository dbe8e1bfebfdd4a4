using MtlEngine.Tensors;

namespace MtlEngine.Learn.Preprocessing;

/// <summary>What a <see cref="SimpleImputer"/> fills a missing value with.</summary>
public enum ImputeStrategy
{
    /// <summary>The column mean of the present values.</summary>
    Mean,
    /// <summary>The column median of the present values (mean of the two middle ones for an even count).</summary>
    Median,
    /// <summary>The most frequent present value; among ties the smallest (as scikit-learn).</summary>
    MostFrequent,
}

/// <summary>
/// Fills missing values (NaN) per column with a statistic of the present values, as scikit-learn's <c>SimpleImputer</c>.
/// A column with no present value at all cannot be imputed and is refused at Fit (scikit-learn drops it silently).
/// </summary>
/// <param name="Strategy">The statistic (default <see cref="ImputeStrategy.Mean"/>).</param>
public sealed record SimpleImputer(ImputeStrategy Strategy = ImputeStrategy.Mean)
{
    /// <summary>Learns one statistic per column of X (n_samples, n_features); NaN marks a missing value.</summary>
    /// <exception cref="LearnInputException">When X is not a matrix, holds ±∞, or a column is all missing.</exception>
    public SimpleImputerModel Fit(MtlTensor<double> x)
    {
        var (n, d, v) = LearnInput.Matrix(x);
        var statistics = new double[d];
        var present = new List<double>(n);
        for (int j = 0; j < d; j++)
        {
            present.Clear();
            for (int i = 0; i < n; i++)
            {
                double e = v[i * d + j];
                if (double.IsInfinity(e))
                    throw new LearnInputException($"X[{i}, {j}] is {e}; only NaN marks a missing value, replace infinities first.");
                if (!double.IsNaN(e)) present.Add(e);
            }
            if (present.Count == 0)
                throw new LearnInputException($"Column {j} of X has no present value (all {n} are NaN), so no {Strategy} can fill it; drop the column or give it a value.");
            statistics[j] = Strategy switch
            {
                ImputeStrategy.Mean => present.Average(),
                ImputeStrategy.Median => Median(present),
                ImputeStrategy.MostFrequent => MostFrequent(present),
                _ => throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Unknown strategy."),
            };
        }
        return new SimpleImputerModel(this, statistics);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int m = values.Count / 2;
        return values.Count % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2;
    }

    private static double MostFrequent(List<double> values)
    {
        values.Sort();
        double best = values[0];
        int bestCount = 0;
        for (int start = 0; start < values.Count;)
        {
            int end = start;
            while (end < values.Count && values[end] == values[start]) end++;
            if (end - start > bestCount) { best = values[start]; bestCount = end - start; } // strict: the smallest wins ties
            start = end;
        }
        return best;
    }
}

/// <summary>A fitted <see cref="SimpleImputer"/>: one fill value per column (scikit-learn's statistics_).</summary>
public sealed class SimpleImputerModel
{
    private readonly double[] _statistics;

    internal SimpleImputerModel(SimpleImputer options, double[] statistics)
    {
        Options = options;
        _statistics = statistics;
    }

    /// <summary>The options it was fitted with.</summary>
    public SimpleImputer Options { get; }

    /// <summary>The fill value of each column (copied).</summary>
    public double[] Statistics => (double[])_statistics.Clone();

    /// <summary>X with every NaN replaced by its column's statistic (a new tensor).</summary>
    /// <exception cref="LearnInputException">When X has a different number of features.</exception>
    public MtlTensor<double> Transform(MtlTensor<double> x)
    {
        var (n, d, v) = LearnInput.Matrix(x);
        LearnInput.Features(_statistics.Length, d, "SimpleImputer");
        for (int i = 0; i < v.Length; i++)
            if (double.IsNaN(v[i])) v[i] = _statistics[i % d];
        return MtlTensor.FromArray(v, n, d);
    }
}
