using MtlEngine.Fuzzing;
using Xunit.Abstractions;

namespace MtlEngine.Tests.Fuzz;

/// <summary>
/// The fuzzing harness on every CI run: a few thousand structure-aware mutants of every format (npy, npz, safetensors, CSV,
/// the model files of every kind, the <c>mtl train</c> spec, and the <c>mtl</c> command line on mutated files) must each be
/// read or refused with a typed error, never crash, leak another exception or exit 1. Every failure class the harness has
/// found stays in Fixtures/Fuzz as a committed input (<c>format-description.bin</c>) replayed here. The on-demand run of
/// 10⁶ cases is benchmarks/MtlEngine.Fuzz.
/// </summary>
public sealed class FuzzTests(FuzzTests.Harness harness, ITestOutputHelper output) : IClassFixture<FuzzTests.Harness>
{
    /// <summary>One harness (its seed models are fitted once) for the class.</summary>
    public sealed class Harness : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("mtl-fuzz-test-").FullName;

        public Harness() => Fuzzer = new Fuzzer(_dir);

        public Fuzzer Fuzzer { get; }

        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void MutantsOfEveryFormatAreReadOrRefusedWithATypedError()
    {
        var fuzzer = harness.Fuzzer;
        const long cases = 3_200; // 200 of the model files and of the command line, 400 or 600 of the others
        var result = fuzzer.Run(seed: 18, cases, perCaseLimit: TimeSpan.FromSeconds(1));
        output.WriteLine($"{result.Cases} cases in {result.Elapsed.TotalSeconds:F1} s, {result.Rejected} refused, slowest {result.SlowestCase.TotalMilliseconds:F0} ms; "
            + string.Join(", ", result.TimePerFormat.Select(p => $"{p.Key} {p.Value.TotalSeconds:F2} s")));
        var failure = result.Failures.FirstOrDefault();
        Assert.True(failure is null, failure is null ? "" : $"case {failure.Case} ({failure.Format}, {failure.Kind}): {failure.Message}\ninput: {Convert.ToBase64String(failure.Input)}");
        // The mutations must reach the checks: a good share is refused, a good share still reads.
        Assert.InRange(result.Rejected, cases / 5, cases * 19 / 20);
    }

    public static TheoryData<string> RegressionCases()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Fuzz"), "*.bin").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(RegressionCases))]
    public void RegressionCasesStayFixed(string name)
    {
        var fuzzer = harness.Fuzzer;
        var format = Enum.Parse<FuzzFormat>(name[..name.IndexOf('-')], ignoreCase: true);
        byte[] input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Fuzz", name));
        var (outcome, kind, message) = fuzzer.Check(format, input);
        Assert.True(outcome != FuzzOutcome.Failed, $"{name}: {kind}: {message}");
        // The reproducers named after their class (make_regressions.py) were read silently before the fix: they must be refused.
        // The fuzzer's own finds (<format>-<case>.bin) crashed: not failing is enough.
        if (!long.TryParse(Path.GetFileNameWithoutExtension(name)[(name.IndexOf('-') + 1)..], out _))
            Assert.True(outcome == FuzzOutcome.Rejected, $"{name} was {outcome}, not refused");
    }
}
