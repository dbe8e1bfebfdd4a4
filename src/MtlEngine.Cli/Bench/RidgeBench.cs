using System.Globalization;
using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Metrics;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench ridge [--threads T]</c>: times <see cref="Ridge.Fit"/> (α = 1, solver auto: X̄ and centring, XᵀX by
/// SYRK, XᵀY, one Cholesky, one solve for all 16 targets) on n = 20000 samples, d = 512 features, 16 targets and prints
/// <c>name=ridge n=20000 d=512 targets=16 seconds=... r2=... threads=T</c> (median after warm-up; r2 the training R²,
/// uniform over targets). The data come from a formula both sides evaluate identically (<see cref="Uniform"/>), so
/// benchmarks/peers/ridge_peer.py fits scikit-learn's Ridge(alpha=1) on the same numbers.
/// </summary>
internal static class RidgeBench
{
    public static int Run(int threads, TextWriter output, int n = 20000, int d = 512, int targets = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var (x, y) = Data(n, d, targets);
        var ridge = new Ridge(Alpha: 1.0, Parallelism: new Parallelism(threads));
        RidgeModel? model = null;
        double seconds = BenchTiming.MedianSeconds(() => model = ridge.Fit(x, y), warmupSeconds: 0.5);
        double r2 = RegressionMetrics.R2(y, model!.Predict(x));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name=ridge n={n} d={d} targets={targets} seconds={seconds:G4} r2={r2:F6} threads={threads}"));
        return 0;
    }

    /// <summary>
    /// X (n, d) with xᵢⱼ = Uniform(i·d + j) − 0.5, W (d, t) with W_jk = Uniform(2³² + j·t + k) − 0.5, and
    /// Y = X·W + 0.5·(Uniform(2³³ + i·t + k) − 0.5): the same in Python (ridge_peer.py).
    /// </summary>
    internal static (MtlTensor<double> X, MtlTensor<double> Y) Data(int n, int d, int targets)
    {
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = Uniform((ulong)i) - 0.5;
        var w = new double[d * targets];
        for (int i = 0; i < w.Length; i++) w[i] = Uniform((1UL << 32) + (ulong)i) - 0.5;
        var y = new double[n * targets];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < targets; k++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += x[i * d + j] * w[j * targets + k];
                y[i * targets + k] = s + 0.5 * (Uniform((1UL << 33) + (ulong)(i * targets + k)) - 0.5);
            }
        return (MtlTensor.FromArray(x, n, d), MtlTensor.FromArray(y, n, targets));
    }

    /// <summary>SplitMix64 of the index, top 53 bits as a double in [0, 1): a counter-based generator NumPy can reproduce exactly.</summary>
    internal static double Uniform(ulong index)
    {
        unchecked
        {
            ulong z = index + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
