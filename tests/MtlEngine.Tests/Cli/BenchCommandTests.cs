using System.Globalization;
using MtlEngine.Cli;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl bench ...</c>: the key=value line each workload prints, and its user errors.</summary>
// One test runs the GEMM on the shared ilgpu-cpu context: serialized with the Gpu tests that count its pool's buffers.
[Collection(global::MtlEngine.Tests.Gpu.SharedIlgpuCpuCollection.Name)]
public sealed class BenchCommandTests
{
    /// <summary>Splits "k1=v1 k2=v2" into a dictionary.</summary>
    private static Dictionary<string, string> Fields(string line) =>
        line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);

    [Theory]
    [InlineData("f32")]
    [InlineData("f64")]
    public void Bench_gemm_prints_one_line_with_rate_peak_and_checksum_error(string dtype)
    {
        var (code, output, error) = CliRunner.Mtl("bench", "gemm", "--n", "48", "--dtype", dtype, "--threads", "1");
        Assert.Equal(Program.ExitSuccess, code);
        Assert.Equal("", error);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var fields = Fields(line);
        Assert.Equal("gemm", fields["name"]);
        Assert.Equal(dtype, fields["dtype"]);
        Assert.Equal("48", fields["n"]);
        Assert.Equal("1", fields["threads"]);
        Assert.InRange(double.Parse(fields["gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["peak_gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.True(double.Parse(fields["max_rel_err"], CultureInfo.InvariantCulture) < (dtype == "f32" ? 1e-4 : 1e-12));
    }

    [Fact]
    public void Bench_gemm_on_the_ilgpu_cpu_device_runs_the_gpu_kernel()
    {
        var (code, output, _) = CliRunner.Mtl("bench", "gemm", "--n", "24", "--dtype", "f64", "--device", "ilgpu-cpu");
        Assert.Equal(Program.ExitSuccess, code);
        var fields = Fields(output);
        Assert.Equal("ilgpu-cpu", fields["device"]);
        Assert.True(double.Parse(fields["max_rel_err"], CultureInfo.InvariantCulture) < 1e-12);
    }

    [Theory]
    [InlineData("bench")]
    [InlineData("bench", "gemm", "--dtype", "f16")]
    [InlineData("bench", "gemm", "--n", "0")]
    [InlineData("bench", "gemm", "--threads", "0")]
    [InlineData("bench", "gemm", "--device", "tpu")]
    [InlineData("bench", "nosuchworkload")]
    [InlineData("bench", "mlp", "--steps", "0")]
    [InlineData("bench", "mlp", "--device", "tpu")]
    [InlineData("bench", "linalg", "--threads", "0")]
    public void Bench_user_errors_exit_2_with_one_line(params string[] args) => CliRunner.AssertUserError(args);
}
