using System.Globalization;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Learn;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench pca [--threads T]</c>: fits PCA with 32 components to X of 20000 × 512 (a low-rank-plus-noise matrix from
/// the deterministic formula in <see cref="Data"/>, which benchmarks/peers/pca_peer.py reproduces) and prints
/// <c>name=pca_full ... seconds=... explained_variance_ratio=... threads=T route=covariance|svd</c>, then pca_randomized and
/// pca_covariance (the solver "auto" picks for this shape), each the median of several fits after warm-up. The full
/// solver's route is printed: on this tall X it takes the covariance route when its Davis–Kahan error bound is ≤ 1e-10.
/// </summary>
internal static class PcaBench
{
    /// <summary>Runs the workload; <paramref name="rows"/>/<paramref name="features"/>/<paramref name="components"/> shrink it for a quick check.</summary>
    public static int Run(int threads, TextWriter output, int rows = 20000, int features = 512, int components = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (components < 1 || components > Math.Min(rows, features))
            throw new ArgumentOutOfRangeException(nameof(components), components, $"--components must be between 1 and min(rows, features) = {Math.Min(rows, features)}.");
        var par = new Parallelism(threads);
        var x = Data(rows, features, par);
        foreach (var (name, solver) in new[] { ("pca_full", PcaSolver.Full), ("pca_randomized", PcaSolver.Randomized), ("pca_covariance", PcaSolver.Covariance) })
        {
            var pca = new Pca(Components: components, Solver: solver, Seed: 0, Parallelism: par);
            PcaModel? model = null;
            double seconds = BenchTiming.MedianSeconds(() => model = pca.Fit(x), warmupSeconds: 0.5);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"name={name} n={rows} d={features} k={components} seconds={seconds:G4} explained_variance_ratio={model!.ExplainedVarianceRatio.Sum():F10} threads={threads}{Route(model)}"));
        }
        return 0;
    }

    /// <summary>For the full solver: which route ran (route=covariance when its error bound allowed, route=svd otherwise).</summary>
    private static string Route(PcaModel model) =>
        model.Report.Solver != PcaSolver.Full ? "" : model.Report.Route?.StartsWith("covariance", StringComparison.Ordinal) == true ? " route=covariance" : " route=svd";

    /// <summary>
    /// X = A·B + E of shape (n, d), the same formula as benchmarks/peers/pca_peer.py (R = 64):
    /// <code>
    /// A[i, r] = sin(0.0123·(i + 1)·(r + 1) + 0.7·r)
    /// B[r, j] = cos(0.0371·(j + 1)·(r + 1) + 0.3·r) · 0.93^r
    /// E[i, j] = 0.5·(frac(sin(12.9898·i + 78.233·j) · 43758.5453) − 0.5)      (a hash, uniform-looking noise)
    /// </code>
    /// </summary>
    internal static MtlTensor<double> Data(int n, int d, Parallelism parallelism)
    {
        const int rank = 64;
        var a = new DenseMatrix(n, rank);
        var b = new DenseMatrix(rank, d);
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rank; r++) a[i, r] = Math.Sin(0.0123 * (i + 1) * (r + 1) + 0.7 * r);
        for (int r = 0; r < rank; r++)
            for (int j = 0; j < d; j++) b[r, j] = Math.Cos(0.0371 * (j + 1) * (r + 1) + 0.3 * r) * Math.Pow(0.93, r);
        var x = DenseMatrix.Multiply(a, b, MatrixOp.None, MatrixOp.None, parallelism);
        for (int i = 0; i < n; i++)
        {
            var row = x.Row(i);
            for (int j = 0; j < d; j++)
            {
                double h = Math.Sin(12.9898 * i + 78.233 * j) * 43758.5453;
                row[j] += 0.5 * (h - Math.Floor(h) - 0.5);
            }
        }
        return MtlTensor.FromArray(x.Data, n, d);
    }
}
