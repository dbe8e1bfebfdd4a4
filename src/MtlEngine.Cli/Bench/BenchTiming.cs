using System.Diagnostics;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// How every <c>mtl bench</c> workload is timed: warm up first (JIT tiers, workspaces, thread pool, kernel
/// compilation), then report the median of several timed runs. The median, not the mean, because these machines
/// are shared: one disturbed run must not move the figure.
/// </summary>
internal static class BenchTiming
{
    /// <summary>
    /// The median seconds of one call of <paramref name="once"/>. Warm-up runs it for at least
    /// <paramref name="warmupSeconds"/> (and twice); each timed run repeats it until the run lasts about 20 ms, so
    /// that short calls are not timed below the clock's resolution; 9, 5 or 3 timed runs as one call is
    /// short, medium (over 0.2 s) or long (over 1 s).
    /// </summary>
    public static double MedianSeconds(Action once, double warmupSeconds = 0.2)
    {
        ArgumentNullException.ThrowIfNull(once);
        var watch = Stopwatch.StartNew();
        int warm = 0;
        do { once(); warm++; } while ((watch.Elapsed.TotalSeconds < warmupSeconds || warm < 2) && warm < 1000);
        double perCall = watch.Elapsed.TotalSeconds / warm;
        int repetitions = (int)Math.Clamp(0.02 / perCall, 1, 100_000);
        int runs = perCall > 1 ? 3 : perCall > 0.2 ? 5 : 9;
        var seconds = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            watch.Restart();
            for (int i = 0; i < repetitions; i++) once();
            seconds[r] = watch.Elapsed.TotalSeconds / repetitions;
        }
        Array.Sort(seconds);
        return seconds[runs / 2];
    }
}
