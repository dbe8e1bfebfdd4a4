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

    /// <summary>
    /// As <see cref="MedianSeconds(Action, double)"/>, but <paramref name="prepare"/> runs before every call of
    /// <paramref name="once"/> outside the timed span (an in-place kernel's fresh input, say, as LAPACK's timers exclude
    /// the matrix generation): each call is timed on its own and the per-call times of a run are summed.
    /// </summary>
    public static double MedianSeconds(Action prepare, Action once, double warmupSeconds = 0.2)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        ArgumentNullException.ThrowIfNull(once);
        var total = Stopwatch.StartNew();
        var call = new Stopwatch();
        int warm = 0;
        double timed = 0;
        do
        {
            prepare();
            call.Restart();
            once();
            timed += call.Elapsed.TotalSeconds;
            warm++;
        } while ((total.Elapsed.TotalSeconds < warmupSeconds || warm < 2) && warm < 1000);
        double perCall = timed / warm;
        int repetitions = (int)Math.Clamp(0.02 / perCall, 1, 100_000);
        int runs = perCall > 1 ? 3 : perCall > 0.2 ? 5 : 9;
        var seconds = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            double sum = 0;
            for (int i = 0; i < repetitions; i++)
            {
                prepare();
                call.Restart();
                once();
                sum += call.Elapsed.TotalSeconds;
            }
            seconds[r] = sum / repetitions;
        }
        Array.Sort(seconds);
        return seconds[runs / 2];
    }
}
