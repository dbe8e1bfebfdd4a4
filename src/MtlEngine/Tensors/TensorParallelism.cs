using MtlEngine.Kernels;

namespace MtlEngine;

/// <summary>
/// The thread count of tensor operations called without a <see cref="Parallelism"/> argument (the C# operators,
/// the operations inside modules, losses and backward rules): <see cref="Parallelism.Default"/>, or, inside
/// <c>using (TensorParallelism.Use(p))</c>, <c>p</c> on this thread. Scoped like grad mode, not a global setting:
/// disposing the scope restores the previous value. An explicit argument always wins.
/// Affects speed only: GEMM, element-wise operations and axis reductions split over fixed partitions of their output
/// and give the same bits at any degree; the one place a degree reaches the bits is an operation that adds per-share
/// partial sums (Conv2d's weight gradient), which is reproducible for a given degree and may differ between degrees in
/// the last bits (see the README, "Ambient state").
/// </summary>
public static class TensorParallelism
{
    [ThreadStatic] private static Parallelism? t_current;

    /// <summary>The parallelism an operation uses when none is passed.</summary>
    public static Parallelism Current => t_current ?? Parallelism.Default;

    /// <summary>Sets <see cref="Current"/> on this thread until the returned scope is disposed.</summary>
    public static Scope Use(Parallelism parallelism)
    {
        var previous = t_current;
        t_current = parallelism;
        return new Scope(previous);
    }

    /// <summary>Restores the previous parallelism when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Parallelism? _previous;

        internal Scope(Parallelism? previous) => _previous = previous;

        /// <summary>Restores the parallelism that was current when the scope was created.</summary>
        public void Dispose() => t_current = _previous;
    }
}
