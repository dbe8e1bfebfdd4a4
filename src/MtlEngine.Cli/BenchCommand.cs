using System.CommandLine;
using MtlEngine.Cli.Bench;

namespace MtlEngine.Cli;

/// <summary>
/// <c>mtl bench WORKLOAD ...</c>: measures one workload and prints key=value lines
/// (<c>name=... seconds=... gflops=...</c>), the median of several runs after warm-up.
/// <c>mtl bench</c> itself only groups the workloads; each workload is a subcommand added in <see cref="Create"/>.
/// Invalid option values throw <see cref="ArgumentException"/>, which the CLI turns into exit code 2.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout)
    {
        var bench = new Command("bench", "Measure a workload and print key=value lines (median of several runs after warm-up).");
        bench.Subcommands.Add(CreateGemm(stdout));
        bench.Subcommands.Add(CreateLinalg(stdout));
        bench.Subcommands.Add(CreateMlp(stdout));
        bench.Subcommands.Add(CreatePca(stdout));
        bench.Subcommands.Add(CreateText(stdout));
        bench.Subcommands.Add(CreateLogreg(stdout));
        bench.Subcommands.Add(CreateRidge(stdout));
        bench.Subcommands.Add(CreateCnn(stdout));
        bench.Subcommands.Add(CreateRetrieval(stdout));

        // `mtl bench` alone names the workloads.
        bench.SetAction(_ => NoWorkload(bench));
        return bench;
    }

    /// <summary><c>mtl bench gemm --n N --dtype f32|f64 --threads T [--device cpu]</c>.</summary>
    private static Command CreateGemm(TextWriter stdout)
    {
        var n = new Option<int>("--n") { Description = "Matrix size: C (n×n) = A (n×n) · B (n×n).", DefaultValueFactory = _ => 1024 };
        var dtype = new Option<string>("--dtype") { Description = "Element type: f32 or f64.", DefaultValueFactory = _ => "f32" };
        var threads = ThreadsOption();
        var device = DeviceOption();
        var command = new Command("gemm", "Time the GEMM C = A·B and print gflops, the measured FMA peak and the checksum error.") { n, dtype, threads, device };
        command.SetAction(parsed =>
        {
            string where = parsed.GetValue(device)!;
            return Tensors.Device.Parse(where).Kind == Tensors.DeviceKind.Cpu
                ? GemmBench.Run(parsed.GetValue(n), parsed.GetValue(dtype)!, parsed.GetValue(threads), where, stdout)
                : GpuGemmBench.Run(parsed.GetValue(n), parsed.GetValue(dtype)!, where, stdout);
        });
        return command;
    }

    /// <summary><c>mtl bench linalg --threads T</c>: one line per factorization (Cholesky, eigh, SVD, QR, LU solve).</summary>
    private static Command CreateLinalg(TextWriter stdout)
    {
        var threads = ThreadsOption();
        var ops = new Option<string?>("--ops") { Description = "Only these lines, comma-separated (cholesky, cholesky_rate, eigh, svd, qr, solve, cholesky_f32, solve_f32); default all." };
        var command = new Command("linalg", "Time the dense factorizations and print seconds and the relative reconstruction residual, one line each.") { threads, ops };
        command.SetAction(parsed => LinalgBench.Run(parsed.GetValue(threads), stdout, parsed.GetValue(ops)));
        return command;
    }

    /// <summary><c>mtl bench mlp [--threads T] [--steps S] [--device cpu|cuda|ilgpu-cpu]</c>: the multi-task MLP training step.</summary>
    private static Command CreateMlp(TextWriter stdout)
    {
        var threads = ThreadsOption();
        var steps = new Option<int>("--steps") { Description = "Timed training steps (after 10 warm-up steps).", DefaultValueFactory = _ => 100 };
        var device = DeviceOption();
        var command = new Command("mlp", "Time one training step of the multi-task MLP (512-256-256, three heads, batch 256, Adam).") { threads, steps, device };
        command.SetAction(parsed => MlpBench.Run(parsed.GetValue(threads), parsed.GetValue(steps), parsed.GetValue(device)!, stdout));
        return command;
    }

    /// <summary><c>mtl bench pca [--threads T]</c>: PCA (32 components) of X 20000×512 by the full, randomized and covariance solvers.</summary>
    private static Command CreatePca(TextWriter stdout)
    {
        var threads = ThreadsOption();
        var rows = new Option<int>("--rows") { Description = "n, the rows of X (default 20000; smaller for a quick check).", DefaultValueFactory = _ => 20000 };
        var features = new Option<int>("--features") { Description = "d, the columns of X (default 512).", DefaultValueFactory = _ => 512 };
        var components = new Option<int>("--components") { Description = "k, the components kept (default 32).", DefaultValueFactory = _ => 32 };
        var command = new Command("pca", "Time PCA fits (full, randomized, covariance) of X 20000×512 with 32 components; print seconds and the explained variance ratio.") { threads, rows, features, components };
        command.SetAction(parsed => PcaBench.Run(parsed.GetValue(threads), stdout, parsed.GetValue(rows), parsed.GetValue(features), parsed.GetValue(components)));
        return command;
    }

    /// <summary><c>mtl bench text</c>: TfidfVectorizer fit_transform on the shipped WordNet glosses (single-threaded).</summary>
    private static Command CreateText(TextWriter stdout)
    {
        var docs = new Option<int>("--docs") { Description = "Use only the first N glosses (default: all 117,659).", DefaultValueFactory = _ => 0, Hidden = true };
        var command = new Command("text", "Time TfidfVectorizer.FitTransform on the WordNet glosses and print seconds, vocabulary size and stored entries.") { docs };
        command.SetAction(parsed => TextBench.Run(stdout, parsed.GetValue(docs)));
        return command;
    }

    /// <summary><c>mtl bench logreg [--threads T]</c>: logistic regression on digits / 16 and on the synthetic n=20000, d=256, 10-class set.</summary>
    private static Command CreateLogreg(TextWriter stdout)
    {
        var threads = ThreadsOption();
        var rows = new Option<int>("--n") { Description = "Rows of the synthetic set (default 20000; smaller for a quick check).", DefaultValueFactory = _ => 20000, Hidden = true };
        var command = new Command("logreg", "Time LogisticRegression fits (lbfgs, C=1, scikit-learn's defaults) on digits / 16 and a synthetic 20000×256, 10-class set.") { threads, rows };
        command.SetAction(parsed => LogregBench.Run(parsed.GetValue(threads), parsed.GetValue(rows), stdout));
        return command;
    }

    /// <summary><c>mtl bench ridge [--threads T]</c>: Ridge fit, n=20000, d=512, 16 targets, α=1 (solver auto).</summary>
    private static Command CreateRidge(TextWriter stdout)
    {
        var threads = ThreadsOption();
        var command = new Command("ridge", "Time a ridge fit (n=20000, d=512, 16 targets, α=1, solver auto) and print seconds and the training R².") { threads };
        command.SetAction(parsed => RidgeBench.Run(parsed.GetValue(threads), stdout));
        return command;
    }

    /// <summary><c>mtl bench cnn [--threads T] [--device cpu|cuda|ilgpu-cpu]</c>: conv2d forward + backward and a LeNet-like training step.</summary>
    private static Command CreateCnn(TextWriter stdout)
    {
        var threads = ThreadsOption();
        var device = DeviceOption();
        var command = new Command("cnn", "Time conv2d forward + backward (two shapes) and a LeNet-like training step (batch 128, Adam), one line each.") { threads, device };
        command.SetAction(parsed => CnnBench.Run(parsed.GetValue(threads), parsed.GetValue(device)!, stdout));
        return command;
    }

    /// <summary><c>mtl bench retrieval [--seeds S] [--epochs E]</c>: emoji picture ↔ name retrieval, contrastive vs CCA vs chance.</summary>
    private static Command CreateRetrieval(TextWriter stdout)
    {
        var seeds = new Option<int>("--seeds") { Description = "Seeded 80/20 splits to run (default 3).", DefaultValueFactory = _ => 3 };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs of the contrastive model (default 20).", DefaultValueFactory = _ => 20 };
        var command = new Command("retrieval", "Emoji picture ↔ name retrieval on held-out splits: Recall@1/5/10 and ranks of the contrastive shared space, CCA and chance.") { seeds, epochs };
        command.SetAction(parsed => RetrievalBench.Run(stdout, parsed.GetValue(seeds), parsed.GetValue(epochs)));
        return command;
    }

    private static Option<int> ThreadsOption() =>
        new("--threads") { Description = "Number of threads (default: the processor count).", DefaultValueFactory = _ => Environment.ProcessorCount };

    private static Option<string> DeviceOption() =>
        new("--device") { Description = "Where to run: cpu, cuda or ilgpu-cpu (the GPU kernels on ILGPU's CPU accelerator), where the workload supports it.", DefaultValueFactory = _ => "cpu" };

    private static int NoWorkload(Command bench) =>
        throw new UsageException($"bench needs a workload: {string.Join(", ", bench.Subcommands.Select(c => c.Name))} (see 'mtl bench --help')");
}
