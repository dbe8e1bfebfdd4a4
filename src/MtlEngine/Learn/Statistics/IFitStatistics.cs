namespace MtlEngine.Learn;

/// <summary>
/// The sufficient statistics of an estimator whose fit reduces to sums over rows: built from row blocks with
/// <see cref="Add"/>, combined with <see cref="Merge"/>, shipped with <see cref="Save"/> / <see cref="Load"/>, and turned
/// into the estimator's usual fitted model by the estimator's own <c>Fit(options)</c>. Any split of the rows into
/// blocks, any order of <see cref="Add"/> calls and any tree of <see cref="Merge"/> calls gives the same statistics up to
/// rounding (≈ 1e-15 relative), so the same model as the one-shot fit (Spark MLlib's treeAggregate of sufficient
/// statistics is the model).
/// <para>
/// The sums are centred (Chan, Golub and LeVeque, "Algorithms for computing the sample variance", 1979/1983): each
/// object keeps the row count n, the weight Σsᵢ, the weighted mean μ and the centred scatter M = Σ sᵢ·(zᵢ − μ)(zᵢ − μ)ᵀ,
/// never the raw Σ zᵢzᵢᵀ − n·μμᵀ, which cancels catastrophically when the mean is large against the spread.
/// </para>
/// </summary>
/// <typeparam name="TSelf">The statistics type itself (so that <see cref="Merge"/> and <see cref="Load"/> are typed).</typeparam>
public interface IFitStatistics<TSelf> where TSelf : class, IFitStatistics<TSelf>
{
    /// <summary>The number of rows added (zero-weight rows included).</summary>
    long Rows { get; }

    /// <summary>Σ sᵢ, the sum of the sample weights (equal to <see cref="Rows"/> without weights).</summary>
    double WeightSum { get; }

    /// <summary>The number of features (columns of X).</summary>
    int Features { get; }

    /// <summary>The number of targets (columns of Y); 0 for statistics of X alone (PCA, scalers).</summary>
    int Targets { get; }

    /// <summary>
    /// Adds a block of rows: X row-major of shape (rows, <see cref="Features"/>), Y row-major of shape
    /// (rows, <see cref="Targets"/>) (empty when <see cref="Targets"/> is 0), and one weight sᵢ ≥ 0 per row
    /// (empty for all ones; estimators without weights refuse non-empty weights). An empty block changes nothing.
    /// </summary>
    /// <exception cref="LearnInputException">When the lengths do not fit the shape, a value is not finite or a weight is negative.</exception>
    void Add(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> sampleWeight);

    /// <summary>
    /// Merges <paramref name="other"/> into this object (this ← this ⊕ other) and returns this; <paramref name="other"/> is
    /// left unchanged. Merging is associative and commutative up to rounding.
    /// </summary>
    /// <exception cref="LearnInputException">When the two were made for different shapes or options.</exception>
    TSelf Merge(TSelf other);

    /// <summary>A deep copy (to merge without touching the original).</summary>
    TSelf Copy();

    /// <summary>
    /// Writes the statistics in the compact binary format of <see cref="FitStatisticsFormat"/> (versioned, little-endian
    /// whatever the machine, a CRC-32 at the end), for shipping between processes or machines.
    /// </summary>
    void Save(Stream stream);

    /// <summary>Reads statistics written by <see cref="Save"/>.</summary>
    /// <exception cref="MtlEngine.Data.DataFormatException">When the bytes are not such statistics, of another kind or version, truncated or corrupt.</exception>
    static abstract TSelf Load(Stream stream);
}

/// <summary>Byte-array helpers for any <see cref="IFitStatistics{TSelf}"/> (what a cluster ships between nodes).</summary>
public static class FitStatistics
{
    /// <summary>The statistics as bytes (<see cref="IFitStatistics{TSelf}.Save"/> into memory).</summary>
    public static byte[] ToBytes<T>(this T statistics) where T : class, IFitStatistics<T>
    {
        ArgumentNullException.ThrowIfNull(statistics);
        using var memory = new MemoryStream();
        statistics.Save(memory);
        return memory.ToArray();
    }

    /// <summary>Statistics from bytes made by <see cref="ToBytes{T}"/>.</summary>
    public static T FromBytes<T>(byte[] bytes) where T : class, IFitStatistics<T>
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var memory = new MemoryStream(bytes, writable: false);
        return T.Load(memory);
    }

    /// <summary>
    /// Writes the statistics to the file <paramref name="path"/> (created or replaced) in the format of
    /// <see cref="FitStatisticsFormat"/>: what <see cref="LoadFile{T}"/> reads back bit for bit on any machine.
    /// </summary>
    public static void SaveFile<T>(this T statistics, string path) where T : class, IFitStatistics<T>
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, statistics.ToBytes());
    }

    /// <summary>Statistics of type <typeparamref name="T"/> from a file written by <see cref="SaveFile{T}"/>.</summary>
    /// <exception cref="MtlEngine.Data.DataFormatException">Naming the file and the problem: not statistics, another kind or
    /// version, truncated (which part), corrupt (the CRC-32), or fields that do not fit together.</exception>
    /// <exception cref="FileNotFoundException">When there is no such file.</exception>
    public static T LoadFile<T>(string path) where T : class, IFitStatistics<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        try
        {
            return T.Load(stream);
        }
        catch (MtlEngine.Data.DataFormatException error)
        {
            throw new MtlEngine.Data.DataFormatException(path, $"{error.FileName}: {error.Problem}", error);
        }
    }

    /// <summary>Merges a sequence left to right into a copy of its first element (the sequence is left unchanged).</summary>
    /// <exception cref="LearnInputException">When the sequence is empty.</exception>
    public static T MergeAll<T>(IEnumerable<T> parts) where T : class, IFitStatistics<T>
    {
        ArgumentNullException.ThrowIfNull(parts);
        T? total = null;
        foreach (var part in parts) total = total is null ? part.Copy() : total.Merge(part);
        return total ?? throw new LearnInputException("There are no statistics to merge; pass at least one.");
    }
}
