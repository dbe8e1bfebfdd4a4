namespace MtlEngine.Learn;

/// <summary>Input checks shared by the statistics types.</summary>
internal static class StatisticsInput
{
    /// <summary>
    /// The row count of a block of X (rows × d) and Y (rows × t, empty when t = 0) with weights (rows, or empty); checks
    /// that the lengths fit together, the values are finite and the weights finite and ≥ 0.
    /// </summary>
    public static int Rows(ReadOnlySpan<double> x, int d, ReadOnlySpan<double> y, int t, ReadOnlySpan<double> weights)
    {
        if (x.Length % d != 0)
            throw new LearnInputException($"X has {x.Length} values, not a whole number of rows of {d} features; pass rows of {d} values.");
        int n = x.Length / d;
        if (y.Length != (long)n * t)
            throw new LearnInputException(t == 0
                ? $"These statistics take no targets, but y has {y.Length} values; pass an empty y."
                : $"X has {n} rows of {d} features, so y needs {n}·{t} = {(long)n * t} values, but has {y.Length}; pass one target row per sample.");
        if (!weights.IsEmpty && weights.Length != n)
            throw new LearnInputException($"sampleWeight has length {weights.Length} but X has {n} rows; pass one weight per sample (or none).");
        LearnInput.FiniteByChunks(x, d, "X");
        if (t > 0) LearnInput.FiniteByChunks(y, t, "y");
        for (int i = 0; i < weights.Length; i++)
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new LearnInputException($"sampleWeight[{i}] is {weights[i]}; sample weights must be finite and ≥ 0.");
        return n;
    }

    /// <summary>Refuses a fit of statistics without rows or without weight.</summary>
    public static void HasWeight(long rows, double weightSum, string what)
    {
        if (rows == 0)
            throw new LearnInputException($"The {what} statistics hold no samples; add at least one row before fitting.");
        if (weightSum == 0)
            throw new LearnInputException("The sample weights sum to zero; at least one sample needs a positive weight.");
    }
}
