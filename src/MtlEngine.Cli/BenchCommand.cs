using System.CommandLine;

namespace MtlEngine.Cli;

/// <summary>
/// <c>mtl bench WORKLOAD ...</c>: measures one workload and prints key=value lines
/// (<c>name=... seconds=... gflops=...</c>), the median of several runs after warm-up.
/// <c>mtl bench</c> itself only groups the workloads; each workload is a subcommand added in <see cref="Create"/>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout)
    {
        var bench = new Command("bench", "Measure a workload and print key=value lines (median of several runs after warm-up).");

        // Workloads: one subcommand each, added here. Each subcommand parses its options and calls its runner
        // with `stdout` as the output, for example
        //   bench.Subcommands.Add(GemmBenchCommand.Create(stdout));   // mtl bench gemm --n --dtype --threads --device
        // where the action calls GemmBench.Run(n, dtype, threads, device, stdout) and returns Program.ExitSuccess.
        // Invalid option values should throw ArgumentException (or be rejected by an option validator) so that
        // they become exit code 2 with one line on stderr.
        _ = stdout;

        // `mtl bench` alone: with workloads added, the parser already reports the missing subcommand (exit 2).
        bench.SetAction(_ => NoWorkload(bench));
        return bench;
    }

    private static int NoWorkload(Command bench) => throw new UsageException(bench.Subcommands.Count == 0
        ? "bench: no workloads are available in this build yet"
        : $"bench needs a workload: {string.Join(", ", bench.Subcommands.Select(c => c.Name))} (see 'mtl bench --help')");
}
