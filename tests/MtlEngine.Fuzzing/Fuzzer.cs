using System.Diagnostics;
using System.Text;
using MtlEngine.Cli;
using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Learn.Text;

namespace MtlEngine.Fuzzing;

/// <summary>
/// The in-process fuzzing harness. Case i of a run with seed s mutates one valid seed input of format <see cref="Cycle"/>[i mod 16]
/// with a generator seeded from (s, i) alone, so any case can be replayed without the ones before it. A case
/// passes when the input is read (or loaded, or the command exits 0) or refused with one of our typed errors
/// (<see cref="DataFormatException"/>, <see cref="LearnInputException"/>, the CLI's usage errors; exit code 2 with exactly
/// one printable line); anything else — another exception type, exit code 1, a malformed message, a case slower than the
/// limit — is a failure.
/// </summary>
public sealed class Fuzzer
{
    private readonly Seeds _seeds;
    private readonly string _work;
    private static readonly string[] Documents = ["the cat sat", "dogs ran"];

    /// <summary>Builds the seed inputs (fitting one small model of each kind) under <paramref name="workFolder"/>.</summary>
    public Fuzzer(string workFolder)
    {
        ArgumentNullException.ThrowIfNull(workFolder);
        _work = Path.Combine(workFolder, "cases");
        Directory.CreateDirectory(_work);
        _seeds = new Seeds(Path.Combine(workFolder, "seeds"));
    }

    /// <summary>Every format.</summary>
    public static IReadOnlyList<FuzzFormat> Formats { get; } = Enum.GetValues<FuzzFormat>();

    /// <summary>
    /// The order cases cycle through the formats: a model case (a file written, loaded twice, predicted with) and a command-line
    /// case cost about fifty in-memory reads each, so they take one slot in sixteen and the readers the rest.
    /// </summary>
    public static IReadOnlyList<FuzzFormat> Cycle { get; } =
    [
        FuzzFormat.Npy, FuzzFormat.Npz, FuzzFormat.Safetensors, FuzzFormat.Csv, FuzzFormat.Spec, FuzzFormat.Npy, FuzzFormat.Npz, FuzzFormat.Safetensors,
        FuzzFormat.Csv, FuzzFormat.Model, FuzzFormat.Npy, FuzzFormat.Npz, FuzzFormat.Safetensors, FuzzFormat.Csv, FuzzFormat.Spec, FuzzFormat.Cli,
    ];

    /// <summary>The case being run and when it started (for a watchdog on another thread).</summary>
    public (long Case, FuzzFormat Format, long StartedTicks, byte[]? Input) Current { get; private set; }

    /// <summary>
    /// Runs cases <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1 of seed
    /// <paramref name="seed"/>. <paramref name="progress"/> is called every 10,000 cases.
    /// </summary>
    public FuzzResult Run(ulong seed, long count, TimeSpan perCaseLimit, long first = 0, Action<long, TimeSpan, int>? progress = null,
        Action<FuzzFailure>? onFailure = null)
    {
        var failures = new List<FuzzFailure>();
        long rejected = 0;
        TimeSpan slowest = TimeSpan.Zero;
        var perFormat = Formats.ToDictionary(f => f, _ => TimeSpan.Zero);
        var clock = Stopwatch.StartNew();
        for (long i = first; i < first + count; i++)
        {
            long generated = Stopwatch.GetTimestamp();
            var (format, input) = Generate(seed, i);
            long start = Stopwatch.GetTimestamp();
            Current = (i, format, start, input);
            var (outcome, kind, message) = Check(format, input);
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            perFormat[format] += Stopwatch.GetElapsedTime(generated);
            if (took > slowest) slowest = took;
            if (outcome == FuzzOutcome.Failed || took > perCaseLimit)
            {
                var failure = new FuzzFailure(format, i, outcome == FuzzOutcome.Failed ? kind : "slow",
                    outcome == FuzzOutcome.Failed ? message : $"took {took.TotalSeconds:F2} s (limit {perCaseLimit.TotalSeconds:F2} s)", input);
                if (failures.Count < 100) failures.Add(failure);
                onFailure?.Invoke(failure);
            }
            else if (outcome == FuzzOutcome.Rejected) rejected++;
            if (progress is not null && (i - first + 1) % 10_000 == 0) progress(i - first + 1, clock.Elapsed, failures.Count);
        }
        return new FuzzResult(count, clock.Elapsed, rejected, failures, slowest, perFormat);
    }

    /// <summary>The input of case <paramref name="index"/> of seed <paramref name="seed"/>.</summary>
    public (FuzzFormat Format, byte[] Input) Generate(ulong seed, long index)
    {
        var format = Cycle[(int)(index % Cycle.Count)];
        var random = new Random(CaseSeed(seed, index));
        if (format == FuzzFormat.Spec)
        {
            int which = random.Next(_seeds.Specs.Count);
            // The spec seed's index rides in the first byte so that Check knows which folder its paths are relative to.
            return (format, [(byte)which, .. Mutators.Spec(_seeds.Specs[which].Json, random)]);
        }
        if (format == FuzzFormat.Cli)
        {
            // The first byte picks the command and the file's format; the rest is a mutant of that format.
            byte kind = (byte)random.Next(5);
            FuzzFormat inner = kind switch { 0 => FuzzFormat.Npy, 1 => FuzzFormat.Npz, 2 => FuzzFormat.Safetensors, 3 => FuzzFormat.Csv, _ => FuzzFormat.Model };
            return (format, [kind, .. Mutate(inner, Pick(_seeds.Of(inner), random), random)]);
        }
        return (format, Mutate(format, Pick(_seeds.Of(format), random), random));
    }

    private static byte[] Mutate(FuzzFormat format, byte[] input, Random random) => format switch
    {
        FuzzFormat.Npy => Mutators.Npy(input, random),
        FuzzFormat.Npz => Mutators.Npz(input, random),
        FuzzFormat.Safetensors => Mutators.Safetensors(input, random),
        FuzzFormat.Csv => Mutators.Csv(input, random),
        FuzzFormat.Model => Mutators.Model(input, random),
        _ => Mutators.Bytes(input, random),
    };

    private static T Pick<T>(IReadOnlyList<T> items, Random random) => items[random.Next(items.Count)];

    private static int CaseSeed(ulong seed, long index)
    {
        // SplitMix64 of (seed, index): neighbouring cases get unrelated generators.
        ulong z = seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }

    /// <summary>Runs one input of <paramref name="format"/> (as <see cref="Generate"/> lays it out) and classifies what happened.</summary>
    public (FuzzOutcome Outcome, string Kind, string Message) Check(FuzzFormat format, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            switch (format)
            {
                case FuzzFormat.Npy: Npy.Read(new MemoryStream(input), "fuzz.npy"); break;
                case FuzzFormat.Npz: Npz.Read(new MemoryStream(input), "fuzz.npz"); break;
                case FuzzFormat.Safetensors: Safetensors.Read(new MemoryStream(input), "fuzz.safetensors"); break;
                case FuzzFormat.Csv: Csv.Read(new StreamReader(new MemoryStream(input), Encoding.UTF8), "fuzz.csv"); break;
                case FuzzFormat.Model: return LoadModel(input);
                case FuzzFormat.Spec:
                    if (input.Length == 0) return (FuzzOutcome.Rejected, "", "");
                    var (_, folder) = _seeds.Specs[input[0] % _seeds.Specs.Count];
                    Cli.Train.TrainSpec.Parse(Encoding.UTF8.GetString(input, 1, input.Length - 1), folder);
                    break;
                case FuzzFormat.Cli: return RunCli(input);
                default: throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format");
            }
            return (FuzzOutcome.Accepted, "", "");
        }
        catch (Exception e) when (IsTyped(e))
        {
            return (FuzzOutcome.Rejected, e.GetType().Name, e.Message);
        }
        catch (Exception e)
        {
            return (FuzzOutcome.Failed, Describe(e), e.ToString());
        }
    }

    /// <summary>Our typed errors: what a bad input may raise.</summary>
    private static bool IsTyped(Exception e) => e is DataFormatException or LearnInputException or UsageException;

    /// <summary>The failure class: the exception type and the method that threw it.</summary>
    private static string Describe(Exception e)
    {
        var frame = new StackTrace(e, false).GetFrames().FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("MtlEngine", StringComparison.Ordinal) == true);
        var method = frame?.GetMethod();
        return $"{e.GetType().Name} in {method?.DeclaringType?.Name}.{method?.Name}";
    }

    /// <summary>Loads a model file with the loader of its kind and one other, then predicts with what loaded.</summary>
    private (FuzzOutcome, string, string) LoadModel(byte[] input)
    {
        string path = Path.Combine(_work, "model.safetensors");
        File.WriteAllBytes(path, input);
        string kind = ModelFile.ReadKind(path);
        var x = Seeds.Features(5, 3);
        FuzzOutcome outcome = FuzzOutcome.Accepted;
        string detail = "";
        foreach (string loader in new[] { kind, Loaders[(input.Length + kind.Length) % Loaders.Length] })
        {
            try
            {
                Load(loader, path, x);
            }
            catch (Exception e) when (IsTyped(e))
            {
                outcome = FuzzOutcome.Rejected;
                detail = e.Message;
            }
        }
        return (outcome, outcome == FuzzOutcome.Rejected ? "DataFormatException" : "", detail);
    }

    private static readonly string[] Loaders =
        [RidgeModel.Kind, PcaModel.Kind, LogisticRegressionModel.Kind, IncrementalPcaModel.Kind, MultiTaskRidgeModel.Kind,
         MultiTaskElasticNetModel.Kind, CcaModel.Kind, CountVectorizerModel.Kind, TfidfVectorizerModel.Kind];

    private static void Load(string kind, string path, Tensors.MtlTensor<double> x)
    {
        switch (kind)
        {
            case RidgeModel.Kind: var ridge = RidgeModel.Load(path); if (ridge.Features == 3) ridge.Predict(x); break;
            case PcaModel.Kind: var pca = PcaModel.Load(path); if (pca.Features == 3) { pca.InverseTransform(pca.Transform(x)); } break;
            case LogisticRegressionModel.Kind: var logreg = LogisticRegressionModel.Load(path); if (logreg.Features == 3) { logreg.Predict(x); logreg.PredictProba(x); } break;
            case IncrementalPcaModel.Kind: var ipca = IncrementalPcaModel.Load(path); if (ipca.Pca.Features == 3) ipca.Transform(x); break;
            case MultiTaskRidgeModel.Kind: var mtr = MultiTaskRidgeModel.Load(path); if (mtr.Features == 3) mtr.PredictAll(x); break;
            case MultiTaskElasticNetModel.Kind: var mte = MultiTaskElasticNetModel.Load(path); if (mte.Features == 3) mte.Predict(x); break;
            case CcaModel.Kind: CcaModel.Load(path).TransformX(x); break; // a LearnInputException when the features differ
            case CountVectorizerModel.Kind: CountVectorizerModel.Load(path).Transform(Documents); break;
            case TfidfVectorizerModel.Kind: TfidfVectorizerModel.Load(path).Transform(Documents); break;
            default: throw new DataFormatException(path, $"unknown kind '{kind}'"); // what 'mtl predict' reports for it
        }
    }

    /// <summary>Runs <c>mtl</c> in-process on the mutant: exit 0, or 2 with exactly one printable line "mtl: ...".</summary>
    private (FuzzOutcome, string, string) RunCli(byte[] input)
    {
        if (input.Length == 0) return (FuzzOutcome.Rejected, "", "");
        string extension = (input[0] % 5) switch { 0 => ".npy", 1 => ".npz", 2 => ".safetensors", 3 => ".csv", _ => ".safetensors" };
        string path = Path.Combine(_work, "input" + extension);
        File.WriteAllBytes(path, input[1..]);
        string[] args = (input[0] % 5, input.Length % 2) switch
        {
            (4, _) => ["predict", "--model", path, "--x", _seeds.XPath, "--out", Path.Combine(_work, "p.npy")],
            (_, 0) => ["inspect", path],
            _ => ["convert", path, Path.Combine(_work, "out.npz")],
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        string error = stderr.ToString();
        if (code == Program.ExitSuccess) return (FuzzOutcome.Accepted, "", "");
        if (code != Program.ExitUserError) return (FuzzOutcome.Failed, $"exit {code} from mtl {args[0]}", error);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 1 || !lines[0].StartsWith("mtl: ", StringComparison.Ordinal) || !Printable.IsPrintable(lines[0].TrimEnd('\r')))
            return (FuzzOutcome.Failed, $"mtl {args[0]}: not one printable line", error);
        return (FuzzOutcome.Rejected, "exit 2", lines[0]);
    }
}
