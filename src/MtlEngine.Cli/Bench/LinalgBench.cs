using System.Diagnostics;
using System.Globalization;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench linalg --threads T</c>: times the dense factorizations on fixed seeded inputs and prints one key=value
/// line per operation — <c>name=cholesky n=1024 seconds=... residual=...</c> (the workspace form
/// <see cref="Cholesky.Factor(DenseMatrix, DenseMatrix, Parallelism?)"/>, with the in-place rate as a fraction of the
/// GEMM's; cholesky_fresh times the allocating call), gemm (n=1024), cholesky_rate (the same fraction at n=2048), then eigh (n=512), svd (m=1024, n=512),
/// qr (m=2048, n=512, factor and thin Q), solve (LU, n=1024, 16 right-hand sides), and cholesky_f32 and solve_f32 (the
/// same inputs rounded to float32, through <see cref="Linalg"/>, computed in float32) — where seconds is the median of
/// several runs after one warm-up and residual the relative reconstruction error (svd runs the workspace form
/// <see cref="Svd.Compute(DenseMatrix, DenseMatrix, DenseMatrix, Parallelism?)"/>, svd_fresh the allocating call); eigh, svd and solve also print
/// faults_per_call, the minor page faults of one call in a loop (Linux). eigh and solve run the workspace forms a loop
/// uses (<see cref="SymmetricEigen.Compute(DenseMatrix, SymmetricEigenWorkspace, DenseMatrix, Parallelism?)"/>,
/// <see cref="Lu.Factor(DenseMatrix, DenseMatrix, Parallelism?)"/>: results on storage reused from call to call, as
/// LAPACK's callers reuse malloc'd memory); eigh_fresh and solve_fresh time the allocating calls. <c>--ops eigh,solve</c> runs only the named lines.
/// benchmarks/peers/linalg_peer.py runs the same work in NumPy/SciPy.
/// </summary>
internal static class LinalgBench
{
    public static int Run(int threads, TextWriter output, string? ops = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var par = new Parallelism(threads);
        var wanted = ops?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        bool Want(string name) => wanted is null || wanted.Contains(name);

        if (Want("cholesky"))
        {
            const int n = 1024;
            var a = Spd(n);
            Cholesky? chol = null;
            // The workspace form, as a loop calls it (L on storage reused from call to call, A unchanged); cholesky_fresh
            // times the allocating call.
            var storage = new DenseMatrix(n, n);
            double s = Median(() => chol = Cholesky.Factor(a, storage, par));
            double faults = FaultsPerCall(() => chol = Cholesky.Factor(a, storage, par));
            double residual = RelativeDifference(chol!.Reconstruct(), a);
            var (inPlace, gflops, g, gemmGflops) = CholeskyRate(a, par);
            output.WriteLine(Line($"name=cholesky n={n}", s, residual) + string.Create(CultureInfo.InvariantCulture,
                $" inplace_seconds={inPlace:G4} gflops={gflops:F1} gemm_fraction={gflops / gemmGflops:F2} threads={threads}") + Faults(faults));
            double fresh = Median(() => chol = Cholesky.Factor(a, par));
            output.WriteLine(Line($"name=cholesky_fresh n={n}", fresh, RelativeDifference(chol!.Reconstruct(), a)) + $" threads={threads}" +
                Faults(FaultsPerCall(() => chol = Cholesky.Factor(a, par))));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"name=gemm n={n} seconds={g:G4} gflops={gemmGflops:F1} threads={threads}"));
        }
        if (Want("cholesky_rate"))
        {
            // The same rate at twice the order (no peer line: the target is a fraction of our own GEMM rate).
            const int n = 2048;
            var (inPlace, gflops, _, gemmGflops) = CholeskyRate(Spd(n), par);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"name=cholesky_rate n={n} inplace_seconds={inPlace:G4} gflops={gflops:F1} gemm_gflops={gemmGflops:F1} gemm_fraction={gflops / gemmGflops:F2} threads={threads}"));
        }
        if (Want("eigh"))
        {
            const int n = 512;
            var a = Random(n, n, 2);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++) a[j, i] = a[i, j];
            SymmetricEigen? eig = null;
            // The workspace form, as a loop calls it (scratch and result storage reused: no fresh pages per call);
            // eigh_fresh times the allocating call.
            var ws = new SymmetricEigenWorkspace();
            var vectors = new DenseMatrix(n, n);
            double s = Median(() => eig = SymmetricEigen.Compute(a, ws, vectors, par));
            double faults = FaultsPerCall(() => eig = SymmetricEigen.Compute(a, ws, vectors, par));
            output.WriteLine(Line($"name=eigh n={n}", s, RelativeDifference(eig!.Reconstruct(par), a)) + $" threads={threads}" + Faults(faults));
            double fresh = Median(() => eig = SymmetricEigen.Compute(a, true, par));
            output.WriteLine(Line($"name=eigh_fresh n={n}", fresh, RelativeDifference(eig!.Reconstruct(par), a)) + $" threads={threads}" +
                Faults(FaultsPerCall(() => eig = SymmetricEigen.Compute(a, true, par))));
        }
        if (Want("svd"))
        {
            const int m = 1024, n = 512;
            var a = Random(m, n, 3);
            Svd? svd = null;
            // The workspace form, as a loop calls it (U and V on storage reused from call to call); svd_fresh times the
            // allocating call.
            var u = new DenseMatrix(m, n);
            var v = new DenseMatrix(n, n);
            double s = Median(() => svd = Svd.Compute(a, u, v, par));
            double faults = FaultsPerCall(() => svd = Svd.Compute(a, u, v, par));
            output.WriteLine(Line($"name=svd m={m} n={n}", s, RelativeDifference(svd!.Reconstruct(par), a)) + $" threads={threads}" + Faults(faults));
            double fresh = Median(() => svd = Svd.Compute(a, par));
            double freshFaults = FaultsPerCall(() => svd = Svd.Compute(a, par));
            output.WriteLine(Line($"name=svd_fresh m={m} n={n}", fresh, RelativeDifference(svd!.Reconstruct(par), a)) + $" threads={threads}" + Faults(freshFaults));
        }
        if (Want("qr"))
        {
            const int m = 2048, n = 512;
            var a = Random(m, n, 4);
            // The workspace form, as a loop calls it (the factors, Q and R on storage reused from call to call); qr_fresh times
            // the allocating calls.
            var storage = new DenseMatrix(m, n);
            var q = new DenseMatrix(m, n);
            var r = new DenseMatrix(n, n);
            void Reused()
            {
                var qr = Qr.Factor(a, storage, par);
                qr.ThinQ(q);
                qr.CopyR(r);
            }
            double s = Median(Reused);
            double faults = FaultsPerCall(Reused);
            output.WriteLine(Line($"name=qr m={m} n={n}", s, RelativeDifference(DenseMatrix.Multiply(q, r, MatrixOp.None, MatrixOp.None, par), a)) + $" threads={threads}" + Faults(faults));
            DenseMatrix? freshQ = null, freshR = null;
            void Fresh()
            {
                var qr = Qr.Factor(a, par);
                freshQ = qr.ThinQ();
                freshR = qr.R;
            }
            double fresh = Median(Fresh);
            double freshFaults = FaultsPerCall(Fresh);
            output.WriteLine(Line($"name=qr_fresh m={m} n={n}", fresh, RelativeDifference(DenseMatrix.Multiply(freshQ!, freshR!, MatrixOp.None, MatrixOp.None, par), a)) + $" threads={threads}" + Faults(freshFaults));
        }
        if (Want("solve"))
        {
            const int n = 1024, rhs = 16;
            var a = Random(n, n, 5);
            var b = Random(n, rhs, 6);
            DenseMatrix? x = null;
            // The workspace form, as a loop calls it (the n×n factors on storage reused from call to call); solve_fresh
            // times the allocating call.
            var storage = new DenseMatrix(n, n);
            double s = Median(() => x = Lu.Factor(a, storage, par).Solve(b));
            double faults = FaultsPerCall(() => x = Lu.Factor(a, storage, par).Solve(b));
            double fresh = Median(() => x = Lu.Factor(a, par).Solve(b));
            double freshFaults = FaultsPerCall(() => x = Lu.Factor(a, par).Solve(b));
            // Backward error ‖A·X − B‖ / (‖A‖·‖X‖).
            var ax = DenseMatrix.Multiply(a, x!, MatrixOp.None, MatrixOp.None, par);
            for (int i = 0; i < ax.Data.Length; i++) ax.Data[i] -= b.Data[i];
            double residual = ax.FrobeniusNorm() / (a.FrobeniusNorm() * x!.FrobeniusNorm());
            output.WriteLine(Line($"name=solve n={n} nrhs={rhs}", s, residual) + $" threads={threads}" + Faults(faults));
            output.WriteLine(Line($"name=solve_fresh n={n} nrhs={rhs}", fresh, residual) + $" threads={threads}" + Faults(freshFaults));
        }
        if (Want("cholesky_f32"))
        {
            // float32 through the dtype-keeping facade: the Cholesky line's A, rounded to float32.
            const int n = 1024;
            var a = Spd(n);
            var a32 = ToFloat32(a);
            MtlTensor<float>? l = null;
            double s = Median(() => l = Linalg.Cholesky(a32, par));
            var l64 = ToDense(l!);
            var a64 = ToDense(a32);
            output.WriteLine(Line($"name=cholesky_f32 n={n}", s, RelativeDifference(DenseMatrix.Multiply(l64, l64, MatrixOp.None, MatrixOp.Transpose, par), a64)) + $" threads={threads}");
        }
        if (Want("solve_f32"))
        {
            // The solve line's A and B, rounded to float32; the residual is the backward error, computed in float64.
            const int n = 1024, rhs = 16;
            var a32 = ToFloat32(Random(n, n, 5));
            var b32 = ToFloat32(Random(n, rhs, 6));
            MtlTensor<float>? x = null;
            double s = Median(() => x = Linalg.Solve(a32, b32, par));
            var a = ToDense(a32);
            var b = ToDense(b32);
            var x64 = ToDense(x!);
            var ax = DenseMatrix.Multiply(a, x64, MatrixOp.None, MatrixOp.None, par);
            for (int i = 0; i < ax.Data.Length; i++) ax.Data[i] -= b.Data[i];
            double residual = ax.FrobeniusNorm() / (a.FrobeniusNorm() * x64.FrobeniusNorm());
            output.WriteLine(Line($"name=solve_f32 n={n} nrhs={rhs}", s, residual) + $" threads={threads}");
        }
        return 0;
    }

    /// <summary>
    /// The rate of the factorization itself, as LAPACK's timers measure potrf: in place on storage reused from call to
    /// call, the copy of A into it made before each call and not timed (`seconds` of the cholesky line allocates a new
    /// L, as NumPy does, and times everything). Returns it with the GEMM's rate on the same order, for the "Cholesky
    /// at ≥ 60% of the GEMM rate" target.
    /// </summary>
    private static (double Seconds, double Gflops, double GemmSeconds, double GemmGflops) CholeskyRate(DenseMatrix a, Parallelism par)
    {
        int n = a.Rows;
        var work = new DenseMatrix(n, n);
        double seconds = BenchTiming.MedianSeconds(() => a.Data.AsSpan().CopyTo(work.Data), () => Cholesky.FactorInPlace(work, par), warmupSeconds: 0.5);
        var c = new DenseMatrix(n, n);
        double g = Median(() => Gemm.Multiply(1.0, a.ReadOnlySpan, a.ReadOnlySpan, 0.0, c.Span, par));
        return (seconds, n / 1e9 * n * n / 3 / seconds, g, 2.0 * n * n * n / 1e9 / g);
    }

    /// <summary>
    /// The minor page faults per call of <paramref name="work"/> over a few calls after the timing (Linux: /proc/self/stat;
    /// NaN elsewhere): a result on freshly mapped memory costs one fault per 4 KiB page, about 3 ms per MB on our machines.
    /// </summary>
    private static double FaultsPerCall(Action work, int calls = 4)
    {
        long before = MinorFaults();
        for (int i = 0; i < calls; i++) work();
        long after = MinorFaults();
        return before < 0 || after < 0 ? double.NaN : (after - before) / (double)calls;
    }

    /// <summary>This process's minor page faults so far (field 10 of /proc/self/stat), or −1 where there is no such file.</summary>
    internal static long MinorFaults()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    private static string Faults(double faults) =>
        double.IsNaN(faults) ? "" : string.Create(CultureInfo.InvariantCulture, $" faults_per_call={faults:F0}");

    private static string Line(string head, double seconds, double residual) =>
        string.Create(CultureInfo.InvariantCulture, $"{head} seconds={seconds:G4} residual={residual:E2}");

    /// <summary>The median seconds of <paramref name="work"/> after at least half a second of warm-up, so that tiered JIT has optimized the library's inner loops.</summary>
    private static double Median(Action work) => BenchTiming.MedianSeconds(work, warmupSeconds: 0.5);

    private static DenseMatrix Random(int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        var m = new DenseMatrix(rows, columns);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = rng.NextDouble() * 2 - 1;
        return m;
    }

    private static DenseMatrix Spd(int n)
    {
        var b = Random(n, n, 1);
        var a = DenseMatrix.Multiply(b, b, MatrixOp.None, MatrixOp.Transpose);
        for (int i = 0; i < n; i++) a[i, i] += n;
        return a;
    }

    private static MtlTensor<float> ToFloat32(DenseMatrix m)
    {
        var data = new float[m.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)m.Data[i];
        return MtlTensor.FromArray(data, m.Rows, m.Columns);
    }

    /// <summary>A float32 matrix widened (exactly) to float64, for residuals that show the float32 factorization's error only.</summary>
    private static DenseMatrix ToDense(MtlTensor<float> t) => DenseMatrix.FromTensor(t);

    private static double RelativeDifference(DenseMatrix x, DenseMatrix y)
    {
        double d = 0;
        for (int i = 0; i < x.Data.Length; i++) { double e = x.Data[i] - y.Data[i]; d += e * e; }
        return Math.Sqrt(d) / y.FrobeniusNorm();
    }
}
