using BenchmarkDotNet.Running;

namespace MtlEngine.Benchmarks;

/// <summary>Entry point: runs the suites chosen with BenchmarkDotNet's --filter.</summary>
public static class Program
{
    /// <summary>Runs BenchmarkDotNet's switcher over every suite in this assembly.</summary>
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
