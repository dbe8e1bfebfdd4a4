using System.Globalization;
using System.Numerics;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench gemm --device cuda|ilgpu-cpu</c>: times the GPU GEMM C = A·B for square n×n row-major matrices
/// already in device memory and prints the CPU bench's line,
/// <c>name=gemm dtype=f32 n=1024 threads=1 device=cuda gflops=... peak_gflops=nan max_rel_err=...</c>.
/// gflops (6 significant digits, so that a slow run, as on the CPU accelerator under load, never prints 0) = 2n³ / the median of several timed runs after warm-up, each run ending with a device synchronize
/// (the transfers are not timed); peak_gflops is not measured on a GPU (nan); max_rel_err = the GEMM
/// checksum identity's residual of the last product, checked on the host.
/// </summary>
internal static class GpuGemmBench
{
    /// <summary>Runs the benchmark and writes its line; returns the exit code.</summary>
    /// <exception cref="ArgumentException">For a bad n, dtype or device (including a CUDA device this machine does not have: the message names ilgpu-cpu and cpu).</exception>
    public static int Run(int n, string dtype, string device, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(device);
        if (n < 1) throw new ArgumentException($"bench gemm needs --n ≥ 1 (got {n}).");
        var target = Device.Parse(device);
        if (target.Kind == DeviceKind.Cpu)
            throw new ArgumentException("The GPU GEMM bench runs on 'cuda' or 'ilgpu-cpu'; for 'cpu' use the CPU GEMM bench.");
        GpuContext gpu;
        try { gpu = GpuDevices.Get(target); }
        catch (GpuDeviceUnavailableException e) { throw new ArgumentException(e.Message, e); } // a user error: exit code 2, one line
        return dtype switch
        {
            "f32" or "float32" or "float" => Measure<float>(gpu, n, "f32", target, output),
            "f64" or "float64" or "double" => Measure<double>(gpu, n, "f64", target, output),
            _ => throw new ArgumentException($"bench gemm --dtype must be f32 or f64 (got '{dtype}')."),
        };
    }

    private static int Measure<T>(GpuContext gpu, int n, string dtype, Device device, TextWriter output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(42);
        var a = new T[n * n];
        var b = new T[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = T.CreateTruncating(random.NextDouble() - 0.5); b[i] = T.CreateTruncating(random.NextDouble() - 0.5); }
        using var aDevice = gpu.Pool.Rent<T>(a.Length);
        using var bDevice = gpu.Pool.Rent<T>(b.Length);
        using var cDevice = gpu.Pool.Rent<T>(a.Length);
        aDevice.CopyFromHost(a);
        bDevice.CopyFromHost(b);
        var aMatrix = GpuMatrix<T>.RowMajor(aDevice.View, n, n);
        var bMatrix = GpuMatrix<T>.RowMajor(bDevice.View, n, n);
        var cMatrix = GpuMatrix<T>.RowMajor(cDevice.View, n, n);
        double flops = 2.0 * n * n * n;

        void Once()
        {
            GpuGemm.Multiply(gpu, T.One, aMatrix, bMatrix, T.Zero, cMatrix);
            gpu.Synchronize();
        }

        Once(); // compiles the kernel, so that the warm-up measures the product alone
        double gflops = flops / BenchTiming.MedianSeconds(Once) / 1e9;

        var c = new T[n * n];
        cDevice.CopyToHost(0, c);
        double error = GemmChecksum.MaxRelativeError(T.One, new ReadOnlyMatrixSpan<T>(a, n, n), new ReadOnlyMatrixSpan<T>(b, n, n), T.Zero,
            new ReadOnlyMatrixSpan<T>(c, n, n), new ReadOnlyMatrixSpan<T>(c, n, n), random);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name=gemm dtype={dtype} n={n} threads=1 device={device} gflops={gflops:G6} peak_gflops=nan max_rel_err={error:E2}"));
        return 0;
    }
}
