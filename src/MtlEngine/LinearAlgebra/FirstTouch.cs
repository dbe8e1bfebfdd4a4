using MtlEngine.Kernels;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The first touch of a factorization's fresh result storage, split over the caller's threads or moved off its critical
/// path. A new large array is fresh memory (the GC hands out new pages for most of them), and its first write pays one
/// page fault per 4 KiB page, about 3 ms per MB on our virtual machines: for the n = 512 eigenvectors (2 MiB) as much as a
/// fifth of the decomposition, for QR's 2048×512 Q (8 MiB) more than the arithmetic that fills it. The page faults of
/// different threads are handled in parallel by the kernel, so two threads touching halves of an array halve the wall
/// time, and a thread that would otherwise wait (the n = 512 eigensolver's tridiagonalization runs on one thread) can
/// fault the result in while the other computes. Only memory is written (zeros, or a copy), so results do not depend on
/// the thread count; below <see cref="ParallelLength"/> elements, or on one thread, everything runs inline.
/// </summary>
internal static class FirstTouch
{
    /// <summary>Arrays shorter than this (1 MiB of doubles) are cleared or copied on the calling thread: a fork costs more than it saves.</summary>
    internal const int ParallelLength = ParallelThresholds.FirstTouchElements;

    /// <summary>A copy of <paramref name="source"/> (rows×columns, same values), written by up to <paramref name="parallelism"/> threads.</summary>
    public static DenseMatrix Copy(DenseMatrix source, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(source);
        int length = source.Data.Length;
        int shares = Shares(length, parallelism);
        if (shares <= 1) return source.Clone();
        // Not zeroed by the runtime: every element is written by the copy below.
        var data = GC.AllocateUninitializedArray<double>(length);
        ForkJoin.Run(shares, new CopyShares(source.Data, data, shares));
        return new DenseMatrix(source.Rows, source.Columns, data);
    }

    /// <summary>A zero rows×columns matrix whose pages are touched by up to <paramref name="parallelism"/> threads.</summary>
    public static DenseMatrix Zeros(int rows, int columns, Parallelism parallelism)
    {
        // On one share the runtime's zeroed array is the result, as before (a second clear would only add a pass over it).
        if (Shares(checked(rows * columns), parallelism) <= 1) return new DenseMatrix(rows, columns);
        // Not zeroed by the runtime: every element is cleared below, by the threads.
        var data = GC.AllocateUninitializedArray<double>(checked(rows * columns));
        Clear(data, parallelism);
        return new DenseMatrix(rows, columns, data);
    }

    /// <summary>Sets every element of <paramref name="data"/> to zero, on up to <paramref name="parallelism"/> threads.</summary>
    public static void Clear(double[] data, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(data);
        int shares = Shares(data.Length, parallelism);
        if (shares <= 1) data.AsSpan().Clear();
        else ForkJoin.Run(shares, new ClearShares(data, shares));
    }

    /// <summary>
    /// Starts clearing <paramref name="data"/> on a thread-pool thread and returns the task (wait on it before the data is
    /// used); null, after clearing inline, when <paramref name="parallelism"/> has one thread or the array is short.
    /// For a caller whose next phase runs on one thread anyway.
    /// </summary>
    public static Task? ClearInBackground(double[] data, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Shares(data.Length, parallelism) <= 1)
        {
            data.AsSpan().Clear();
            return null;
        }
        return Task.Run(() => data.AsSpan().Clear());
    }

    private static int Shares(int length, Parallelism parallelism) =>
        length < ParallelLength ? 1 : Math.Min(parallelism.Degree, length / (ParallelLength / 2));

    private static (int Start, int Length) Part(int length, int shares, int share)
    {
        int start = (int)((long)length * share / shares), end = (int)((long)length * (share + 1) / shares);
        return (start, end - start);
    }

    private readonly struct CopyShares(double[] source, double[] destination, int shares) : IShareBody
    {
        public void Run(int share)
        {
            var (start, length) = Part(source.Length, shares, share);
            source.AsSpan(start, length).CopyTo(destination.AsSpan(start, length));
        }
    }

    private readonly struct ClearShares(double[] data, int shares) : IShareBody
    {
        public void Run(int share)
        {
            var (start, length) = Part(data.Length, shares, share);
            data.AsSpan(start, length).Clear();
        }
    }
}
