namespace MtlEngine;

/// <summary>
/// How many threads an operation may use. An operation splits its work into a fixed partition that depends only on
/// the problem size and <see cref="Degree"/>, so results are reproducible for a given degree.
/// </summary>
/// <remarks>
/// <para><b>The one rule.</b> Every public signature takes <c>Parallelism? parallelism = null</c> (estimators:
/// a <c>Parallelism?</c> property, null by default). Leaving it out (null) means "the default": all cores
/// (<see cref="Default"/>). Above the kernels the default is <c>TensorParallelism.Current</c>, which is all cores
/// unless the calling thread is inside a <c>using (TensorParallelism.Use(p))</c> scope, then <c>p</c>; the kernels,
/// which know nothing of that scope, read null as <see cref="Default"/>. Pass <see cref="Sequential"/> for one
/// thread, or <c>new Parallelism(k)</c> for k; an explicit argument always wins.</para>
/// <para>The type lives in the root namespace <c>MtlEngine</c>, so estimator users need no kernels import.
/// <c>default(Parallelism)</c> (a non-nullable value nobody set) still reads as one thread, but no public
/// signature defaults to it.</para>
/// </remarks>
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
