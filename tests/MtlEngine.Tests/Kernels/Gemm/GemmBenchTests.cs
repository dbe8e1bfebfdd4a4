using System.Globalization;
using System.Numerics;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Cli.Bench;

namespace MtlEngine.Tests.Kernels.Gemm;

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
        Assert.Equal(["name", "dtype", "n", "threads", "gflops", "peak_gflops", "peak_fraction", "peak_gflops_1t", "isa", "uarch", "cpu", "cpuid", "max_rel_err"], fields.Keys);
        Assert.Contains(fields["isa"], new[] { "avx512", "avx2", "portable128", "portable256", "portable512" });
        Assert.InRange(double.Parse(fields["peak_gflops_1t"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0
        Assert.Equal("gemm", fields["name"]);
        Assert.Equal("f64", fields["dtype"]);
        Assert.InRange(double.Parse(fields["gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["peak_gflops"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["max_rel_err"], CultureInfo.InvariantCulture), 0, 1e-12);
    }

    [Fact]
    public void Peak_clock_counts_the_threads_running_time_not_its_sleep()
    {
        // The peak loop times each thread by its CPU time, so that preemption on a busy machine does not lower the peak:
        // a wall clock would advance by the whole sleep.
        double? before = GemmBench.ThreadCpuSeconds();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(before);
            return;
        }
        Assert.NotNull(before);
        Thread.Sleep(300);
        double? after = GemmBench.ThreadCpuSeconds();
        Assert.NotNull(after);
        Assert.InRange(after.Value - before.Value, 0, 0.15);
        double x = 0;
        for (int i = 0; i < 20_000_000; i++) x += Math.Sqrt(i);
        Assert.True(GemmBench.ThreadCpuSeconds() > after, $"no CPU time counted for 20 million square roots ({x})");
    }

    [Fact]
    public void Bench_rejects_other_devices_and_dtypes()
    {
        Assert.Contains("cpu", Assert.Throws<ArgumentException>(() => GemmBench.Run(8, "f32", 1, "cuda", TextWriter.Null)).Message);
        Assert.Throws<ArgumentException>(() => GemmBench.Run(8, "f16", 1, "cpu", TextWriter.Null));
    }

    [Theory]
    [InlineData(GemmInstructionSet.Avx512, 32)]
    [InlineData(GemmInstructionSet.Avx2, 16)]
    public void Peak_loop_keeps_every_chain_in_registers_and_covers_two_pipes_of_four_cycles(GemmInstructionSet set, int registers)
    {
        // chains + the multiplier + the addend must fit the register file (AVX2: 16 chains spilled on Zen 3), and
        // 2 FMA pipes × 4 cycles of latency need at least 8 chains in flight.
        var (lanes, chains) = GemmBench.PeakShape<float>(set);
        Assert.InRange(chains + 2, 10, registers);
        Assert.Equal(set == GemmInstructionSet.Avx512 ? 16 : 8, lanes);
        Assert.Equal(set == GemmInstructionSet.Avx512 ? "avx512" : "avx2", GemmBench.IsaName<float>(set));
    }

    // PeakGflops counts 2·chains·lanes·iterations flops a thread: each of the chains·lanes values of the loop must have
    // run x ← x·s + 10⁻⁹ exactly `iterations` times from 1 (a scalar fused multiply-add gives the same value).
    [Fact]
    public void Portable_peak_loop_does_the_fused_multiply_adds_its_flop_count_assumes() => PeakLoopDoesItsFlops(GemmInstructionSet.Portable);

    [Avx2Fact]
    public void Avx2_peak_loop_does_the_fused_multiply_adds_its_flop_count_assumes() => PeakLoopDoesItsFlops(GemmInstructionSet.Avx2);

    [Avx512Fact]
    public void Avx512_peak_loop_does_the_fused_multiply_adds_its_flop_count_assumes() => PeakLoopDoesItsFlops(GemmInstructionSet.Avx512);

    private static void PeakLoopDoesItsFlops(GemmInstructionSet set)
    {
        Check<float>(0.9999999f, 1e-5);
        Check<double>(0.9999999999, 1e-12);

        void Check<T>(T scale, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int iterations = 1000;
            T x = T.One, add = T.CreateTruncating(1e-9);
            for (int i = 0; i < iterations; i++) x = T.FusedMultiplyAdd(x, scale, add);
            var (lanes, chains) = GemmBench.PeakShape<T>(set);
            double expected = chains * lanes * double.CreateTruncating(x);
            Assert.Equal(expected, GemmBench.FmaLoop<T>(iterations, set), tolerance * expected);
            Assert.NotEqual(expected, GemmBench.FmaLoop<T>(iterations + 100, set), tolerance * expected); // more steps, another value
        }
    }
}
