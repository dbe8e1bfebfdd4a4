using System.CommandLine;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// <c>mtl fit ESTIMATOR --x X.npy ... --save M.safetensors</c>: fits an estimator on array files and saves the model
/// (<see cref="Learn.ModelFile"/>). Each estimator is a subcommand in its own file (<c>RidgeFitCommand</c>,
/// <c>PcaFitCommand</c>, <c>LogregFitCommand</c>) added in <see cref="Create"/>; <see cref="FitInput"/> reads and checks
/// the inputs so every estimator reports bad input the same way (exit code 2, one line naming the problem).
/// </summary>
internal static class FitCommand
{
    public static Command Create(TextWriter stdout)
    {
        var fit = new Command("fit", "Fit an estimator on .npy files and save the model as safetensors (with metadata).");
        // One line per estimator: fit.Subcommands.Add(XxxFitCommand.Create(stdout));
        fit.Subcommands.Add(RidgeFitCommand.Create(stdout));
        fit.Subcommands.Add(PcaFitCommand.Create(stdout));
        fit.Subcommands.Add(LogregFitCommand.Create(stdout));
        fit.Subcommands.Add(CcaFitCommand.Create(stdout));
        Cluster.ClusterFitCommand.Attach(fit, stdout); // --cluster on the estimators that run on an Orleans cluster

        fit.SetAction(_ => NoEstimator(fit));
        return fit;
    }

    /// <summary>The <c>--save M.safetensors</c> option every estimator has.</summary>
    public static Option<string> SaveOption() =>
        new("--save") { Description = "Where to write the fitted model (.safetensors).", Required = true };

    /// <summary>The <c>--x X.npy</c> option every estimator has.</summary>
    public static Option<string> XOption() =>
        new("--x") { Description = "The features: a float .npy of shape (n_samples, n_features).", Required = true };

    /// <summary>The <c>--threads T</c> option every estimator has (default: all cores).</summary>
    public static Option<int> ThreadsOption() =>
        new("--threads") { Description = "Threads for the fit (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };

    /// <summary>The <see cref="Parallelism"/> of a parsed <c>--threads</c>: a usage error outside [1, 1024].</summary>
    public static Parallelism Threads(int threads) =>
        threads is >= 1 and <= 1024 ? new Parallelism(threads) : throw new UsageException($"--threads must be in [1, 1024], not {threads}");

    private static int NoEstimator(Command fit) =>
        throw new UsageException(fit.Subcommands.Count == 0
            ? "fit: no estimators are available in this build"
            : $"fit needs an estimator: {string.Join(", ", fit.Subcommands.Select(c => c.Name))} (see 'mtl fit --help')");
}
