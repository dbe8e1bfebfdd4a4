using System.Diagnostics;
using System.Globalization;
using MtlEngine.Fuzzing;

// Runs the fuzzing harness: `MtlEngine.Fuzz [seed] [count] [--first N] [--out DIR]`. Reports the count, the time and every
// failure; each failing input is written to DIR (default ./fuzz-failures) as <format>-<case>.bin, ready to be committed as a
// regression case under tests/MtlEngine.Tests/Fixtures/Fuzz. A case still running after 10 s is a hang: the runner writes
// it and exits with code 3. Exit code 1 when any case failed, 0 otherwise.
ulong seed = args.Length > 0 && !args[0].StartsWith('-') ? ulong.Parse(args[0], CultureInfo.InvariantCulture) : 1;
long count = args.Length > 1 && !args[1].StartsWith('-') ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
long first = Option("--first") is string f ? long.Parse(f, CultureInfo.InvariantCulture) : 0;
string output = Option("--out") ?? Path.Combine(Environment.CurrentDirectory, "fuzz-failures");
var limit = TimeSpan.FromSeconds(1);

string work = Directory.CreateTempSubdirectory("mtl-fuzz-").FullName;
try
{
    var fuzzer = new Fuzzer(work);
    Console.WriteLine($"fuzz: seed {seed}, cases {first}..{first + count - 1}, formats {string.Join(", ", Fuzzer.Formats)}, limit {limit.TotalSeconds:F0} s a case");
    using var watchdog = new Timer(_ =>
    {
        var (index, format, started, input) = fuzzer.Current;
        if (started == 0 || Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10)) return;
        Save(new FuzzFailure(format, index, "hang", "still running after 10 s", input ?? []));
        Console.WriteLine($"HANG: case {index} ({format}) has run for over 10 s; its input is in {output}");
        Environment.Exit(3);
    }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    var classes = new Dictionary<string, int>();
    var result = fuzzer.Run(seed, count, limit, first,
        progress: (done, elapsed, failures) => Console.WriteLine($"  {done,9} cases  {elapsed.TotalSeconds,8:F1} s  {done / elapsed.TotalSeconds,8:F0} cases/s  {failures} failures"),
        onFailure: failure =>
        {
            string key = $"{failure.Format}: {failure.Kind}";
            classes[key] = classes.GetValueOrDefault(key) + 1;
            if (classes[key] <= 3) Save(failure); // a few inputs of each class
            if (classes[key] == 1) Console.WriteLine($"FAIL case {failure.Case} ({key}): {failure.Message.Split('\n')[0]}");
        });
    Console.WriteLine($"fuzz: {result.Cases} cases in {result.Elapsed.TotalSeconds:F1} s ({result.Cases / result.Elapsed.TotalSeconds:F0} a second), "
        + $"{result.Rejected} refused with a typed error, {result.Cases - result.Rejected - classes.Values.Sum()} read, "
        + $"{classes.Values.Sum()} failures in {classes.Count} classes; slowest case {result.SlowestCase.TotalMilliseconds:F0} ms");
    Console.WriteLine("time per format: " + string.Join(", ", result.TimePerFormat.Select(p => $"{p.Key} {p.Value.TotalSeconds:F1} s")));
    foreach (var (key, n) in classes.OrderByDescending(c => c.Value)) Console.WriteLine($"  {n,7}  {key}");
    return classes.Count == 0 ? 0 : 1;
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}

string? Option(string name)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

void Save(FuzzFailure failure)
{
    Directory.CreateDirectory(output);
    File.WriteAllBytes(Path.Combine(output, $"{failure.Format.ToString().ToLowerInvariant()}-{failure.Case}.bin"), failure.Input);
    File.WriteAllText(Path.Combine(output, $"{failure.Format.ToString().ToLowerInvariant()}-{failure.Case}.txt"), $"{failure.Kind}\n{failure.Message}\n");
}
