using System.Globalization;
using MtlEngine.Cli.Bench;

namespace MtlEngine.Tests.Gemm;

public class GemmBenchTests
{
    [Fact]
    public void Bench_prints_one_key_value_line_with_a_small_checksum_error()
    {
        var output = new StringWriter();
        Assert.Equal(0, GemmBench.Run(48, "f64", 2, "cpu", output));
        var lines = output.ToString().Trim().Split('\n');
        Assert.Single(lines);
        var fields = lines[0].Split(' ').Select(f => f.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(["name", "dtype", "n", "threads", "gflops", "peak_gflops", "max_rel_err"], fields.Keys);
        Assert.Equal("gemm", fields["name"]);
        Assert.Equal("f64", fields["dtype"]);
        Assert.InRange(double.Parse(fields["gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["peak_gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["max_rel_err"], CultureInfo.InvariantCulture), 0, 1e-12);
    }

    [Fact]
    public void Bench_rejects_other_devices_and_dtypes()
    {
        Assert.Contains("cpu", Assert.Throws<ArgumentException>(() => GemmBench.Run(8, "f32", 1, "cuda", TextWriter.Null)).Message);
        Assert.Throws<ArgumentException>(() => GemmBench.Run(8, "f16", 1, "cpu", TextWriter.Null));
    }
}
