using System.Globalization;

namespace MtlEngine.Learn.Text;

/// <summary>
/// A document-frequency threshold as scikit-learn's <c>min_df</c> / <c>max_df</c>: an integer is a number of documents,
/// a floating-point number is a fraction of the documents (so <c>1</c> means "one document" but <c>1.0</c> means "all
/// documents", exactly as in scikit-learn). Converts implicitly from <see cref="int"/> and <see cref="double"/>:
/// <c>MinDf = 2</c>, <c>MaxDf = 0.5</c>.
/// </summary>
public readonly record struct DocumentFrequency
{
    private DocumentFrequency(double value, bool isFraction)
    {
        Value = value;
        IsFraction = isFraction;
    }

    /// <summary>The number of documents, or the fraction in [0, 1].</summary>
    public double Value { get; }

    /// <summary>True when <see cref="Value"/> is a fraction of the documents, false when it is a count.</summary>
    public bool IsFraction { get; }

    /// <summary>A threshold of <paramref name="documents"/> documents (≥ 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the count is negative.</exception>
    public static DocumentFrequency Count(int documents)
    {
        if (documents < 0)
            throw new ArgumentOutOfRangeException(nameof(documents), documents, "A document count threshold must be ≥ 0.");
        return new DocumentFrequency(documents, false);
    }

    /// <summary>A threshold of <paramref name="fraction"/> of the documents, in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the fraction is outside [0, 1] or NaN.</exception>
    public static DocumentFrequency Fraction(double fraction)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A document frequency fraction must lie in [0, 1]; pass an int for a number of documents.");
        return new DocumentFrequency(fraction, true);
    }

    /// <summary>A number of documents.</summary>
    public static implicit operator DocumentFrequency(int documents) => Count(documents);

    /// <summary>A fraction of the documents.</summary>
    public static implicit operator DocumentFrequency(double fraction) => Fraction(fraction);

    /// <summary>The threshold in documents for a corpus of <paramref name="documents"/> documents (scikit-learn: the count, or fraction × n).</summary>
    public double Documents(int documents) => IsFraction ? Value * documents : Value;

    /// <inheritdoc />
    public override string ToString() => IsFraction ? Value.ToString("R", CultureInfo.InvariantCulture) : ((int)Value).ToString(CultureInfo.InvariantCulture);
}
