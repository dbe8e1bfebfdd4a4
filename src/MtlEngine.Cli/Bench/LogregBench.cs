using System.Globalization;
using MtlEngine.Datasets;
using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench logreg [--threads T]</c>: times <see cref="LogisticRegression"/> fits with scikit-learn's defaults
/// (lbfgs, C = 1, tol 1e-4, max_iter 100) and prints
/// <c>name=logreg_digits n=1797 d=64 classes=10 seconds=... iterations=... train_accuracy=... threads=T</c> (the shipped
/// digits / 16) and <c>name=logreg_synth n=20000 d=256 classes=10 ...</c> (<see cref="Synthetic"/>), seconds being the
/// median of several fits after warm-up. benchmarks/peers/logreg_peer.py fits the same data in scikit-learn.
/// </summary>
internal static class LogregBench
{
    public static int Run(int threads, int syntheticRows, TextWriter output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(syntheticRows, 10);
        var options = new LogisticRegression { C = 1, Parallelism = new Parallelism(threads) };

        var digits = ShippedDatasets.LoadDigits();
        var xd = MtlTensor.FromArray([.. digits.Features.ToArray().Select(v => v / 16)], digits.SampleCount, digits.FeatureCount);
        Measure("logreg_digits", xd, digits.Labels, 10, options, threads, output);

        var (xs, ys) = Synthetic(syntheticRows, 256, 10);
        Measure("logreg_synth", xs, ys, 10, options, threads, output);
        return 0;
    }

    private static void Measure(string name, MtlTensor<double> x, int[] y, int classes, LogisticRegression options, int threads, TextWriter output)
    {
        LogisticRegressionModel? model = null;
        double seconds = BenchTiming.MedianSeconds(() => model = options.Fit(x, y), warmupSeconds: 0.5);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name={name} n={x.Dim(0)} d={x.Dim(1)} classes={classes} seconds={seconds:G4} iterations={model!.Report!.Iterations} train_accuracy={model.Score(x, y):F4} threads={threads}"));
    }

    /// <summary>
    /// The synthetic problem, bit for bit the same as benchmarks/peers/logreg_peer.py builds it from SplitMix64 hashes of
    /// counters (u(key) = (splitmix64(key) &gt;&gt; 11)·2⁻⁵³ ∈ [0, 1)): label yᵢ = splitmix64(i) mod classes, class means
    /// μ_cj = 0.15·(2·u(2⁴⁰ + c·d + j) − 1), features xᵢⱼ = (2·u(2⁴¹ + i·d + j) − 1) + μ_{yᵢ j}.
    /// </summary>
    internal static (MtlTensor<double> X, int[] Y) Synthetic(int n, int d, int classes)
    {
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (int)(SplitMix64((ulong)i) % (ulong)classes);
        var mean = new double[classes * d];
        for (int k = 0; k < mean.Length; k++) mean[k] = 0.15 * (2 * Uniform((1UL << 40) + (ulong)k) - 1);
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                x[i * d + j] = (2 * Uniform((1UL << 41) + (ulong)(i * d + j)) - 1) + mean[y[i] * d + j];
        return (MtlTensor.FromArray(x, n, d), y);
    }

    private static double Uniform(ulong key) => (SplitMix64(key) >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ulong key)
    {
        ulong z = key + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
