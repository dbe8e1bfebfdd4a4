namespace MtlEngine.Kernels;

/// <summary>
/// How many threads a kernel may use. Passed in explicitly to every kernel that can split its work;
/// there is no mutable global. A kernel splits its work into a fixed partition that depends only on the
/// problem size and <see cref="Degree"/>, so results are reproducible for a given degree.
/// </summary>
public readonly record struct Parallelism
{
    /// <summary>Creates a degree of parallelism.</summary>
    /// <param name="degree">The number of threads, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="degree"/> is less than 1.</exception>
    public Parallelism(int degree)
    {
        if (degree < 1)
            throw new ArgumentOutOfRangeException(nameof(degree), degree, "The degree of parallelism must be at least 1.");
        _degree = degree;
    }

    private readonly int _degree;

    /// <summary>The number of threads a kernel may use (at least 1; <c>default(Parallelism)</c> means 1).</summary>
    public int Degree => _degree < 1 ? 1 : _degree;

    /// <summary>One thread per processor (<see cref="Environment.ProcessorCount"/>).</summary>
    public static Parallelism Default => new(Environment.ProcessorCount);

    /// <summary>A single thread: everything runs on the caller's thread.</summary>
    public static Parallelism Sequential => new(1);

    /// <summary>True when the work runs on the calling thread only.</summary>
    public bool IsSequential => Degree == 1;
}
