using System.Globalization;
using MtlEngine.Cli.Bench;

namespace MtlEngine.Tests.Gpu;

[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuGemmBenchTests
{
    [Fact]
    public void Bench_prints_the_cpu_bench_line_with_the_device_and_a_small_checksum_error()
    {
        var output = new StringWriter();
        Assert.Equal(0, GpuGemmBench.Run(24, "f32", "ilgpu-cpu", output));
        var lines = output.ToString().Trim().Split('\n');
        Assert.Single(lines);
        var fields = lines[0].Split(' ').Select(f => f.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(["name", "dtype", "n", "threads", "device", "gflops", "peak_gflops", "max_rel_err"], fields.Keys);
        Assert.Equal("gemm", fields["name"]);
        Assert.Equal("ilgpu-cpu", fields["device"]);
        Assert.Equal("nan", fields["peak_gflops"]);
        Assert.InRange(double.Parse(fields["gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["max_rel_err"], CultureInfo.InvariantCulture), 0, 1e-5);
    }

    [Fact]
    public void Bench_turns_bad_devices_and_dtypes_into_user_errors()
    {
        Assert.Throws<ArgumentException>(() => GpuGemmBench.Run(8, "f32", "cpu", TextWriter.Null));
        Assert.Throws<ArgumentException>(() => GpuGemmBench.Run(8, "f16", "ilgpu-cpu", TextWriter.Null));
        Assert.Throws<ArgumentException>(() => GpuGemmBench.Run(8, "f32", "tpu", TextWriter.Null));
        try { GpuGemmBench.Run(8, "f32", "cuda:4096", TextWriter.Null); Assert.Fail("cuda:4096 should not exist."); }
        catch (ArgumentException e) { Assert.Contains("ilgpu-cpu", e.Message); }
    }
}
