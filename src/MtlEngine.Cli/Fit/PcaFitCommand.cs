using System.CommandLine;
using System.Globalization;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// <c>mtl fit pca --x X.npy --components K [--solver auto|full|covariance|randomized] [--whiten] [--seed S] [--threads T] --save M.safetensors</c>:
/// fits <see cref="Pca"/> and saves a "pca" model; <c>mtl predict</c> with it writes the transform.
/// </summary>
internal static class PcaFitCommand
{
    internal static Command Create(TextWriter stdout)
    {
        var x = FitCommand.XOption();
        var components = new Option<int>("--components") { Description = "k, the number of principal components to keep (1 ≤ k ≤ min(n_samples, n_features)).", Required = true };
        var solver = new Option<string>("--solver") { Description = "auto, full (SVD), covariance (eigh of XᵀX) or randomized.", DefaultValueFactory = _ => "auto" };
        var whiten = new Option<bool>("--whiten") { Description = "Scale the components to unit variance in the transform." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the randomized solver.", DefaultValueFactory = _ => 0 };
        var save = FitCommand.SaveOption();
        var threads = FitCommand.ThreadsOption();
        var memoryBudget = StreamedFit.MemoryBudgetOption();
        var command = new Command("pca", "Principal component analysis (scikit-learn's PCA): components, explained variance, the transform.")
        {
            x, components, solver, whiten, seed, save, threads, memoryBudget,
        };
        command.SetAction(parsed =>
        {
            var pcaSolver = ParseSolver(parsed.GetValue(solver)!);
            using var threadScope = TensorParallelism.Use(FitCommand.Threads(parsed.GetValue(threads))); // the streamed fits read the ambient default
            if (StreamedFit.Budget(parsed.GetValue(memoryBudget), parsed.GetValue(x)) is long budget)
                return StreamedFit.Pca(stdout, parsed.GetValue(x)!, budget, new Pca(Components: parsed.GetValue(components), Whiten: parsed.GetValue(whiten),
                    Solver: pcaSolver, Parallelism: FitCommand.Threads(parsed.GetValue(threads))), parsed.GetValue(save)!);
            var features = FitInput.Features(parsed.GetValue(x)!);
            int k = parsed.GetValue(components);
            int n = features.Dim(0), d = features.Dim(1);
            if (k < 1 || k > Math.Min(n, d))
                throw new UsageException($"--components {k}: must be between 1 and min(n_samples, n_features) = {Math.Min(n, d)} for X of shape ({n}, {d})");
            string path = parsed.GetValue(save)!;
            var model = new Pca(Components: k, Whiten: parsed.GetValue(whiten), Solver: pcaSolver, Seed: parsed.GetValue(seed),
                Parallelism: FitCommand.Threads(parsed.GetValue(threads))).Fit(features);
            model.Save(path);
            double ratio = model.ExplainedVarianceRatio.Sum();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pca: {k} components of {d} features from {n} samples, solver {Name(model.Report.Solver)}{(model.Whiten ? ", whitened" : "")}; explained variance ratio {ratio:F6}; noise variance {model.NoiseVariance:G6}"));
            stdout.WriteLine($"saved {path}");
            return 0;
        });
        return command;
    }

    /// <summary>The predictor of "pca" models: the transform.</summary>
    internal static MtlTensor<double> Transform(ModelFileContents model, MtlTensor<double> x, bool proba)
    {
        if (proba) throw new UsageException($"{model.Path} (--model): --proba is for classifiers; a pca model writes its transform");
        return PcaModel.Load(model.Path).Transform(x);
    }

    private static PcaSolver ParseSolver(string text) => text switch
    {
        "auto" => PcaSolver.Auto,
        "full" => PcaSolver.Full,
        "covariance" => PcaSolver.Covariance,
        "randomized" => PcaSolver.Randomized,
        _ => throw new UsageException($"--solver {text}: unknown PCA solver; use auto, full, covariance or randomized"),
    };

    private static string Name(PcaSolver solver) => solver.ToString().ToLowerInvariant();
}
