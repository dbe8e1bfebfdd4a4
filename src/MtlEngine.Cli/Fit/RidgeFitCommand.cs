using System.CommandLine;
using System.Globalization;
using MtlEngine.Learn;
using MtlEngine.Metrics;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// <c>mtl fit ridge --x X.npy --y Y.npy [--alpha A | --alphas a,b,c] [--solver auto|cholesky|svd|eigen|cg]
/// [--sample-weight w.npy] [--no-intercept] [--threads T] --save M.safetensors</c>: <see cref="Ridge"/> at one α, or
/// <see cref="RidgeCV"/> (efficient leave-one-out, α per target) over the <c>--alphas</c> grid. Either way the saved
/// model is a ridge model (kind "ridge") with the α used in its metadata; <c>mtl predict</c> applies it.
/// </summary>
internal static class RidgeFitCommand
{
    public static Command Create(TextWriter stdout)
    {
        var x = FitCommand.XOption();
        var y = new Option<string>("--y") { Description = "The targets: a float .npy of shape (n_samples,) or (n_samples, n_targets).", Required = true };
        var alpha = new Option<double?>("--alpha") { Description = "α, the L2 penalty, ≥ 0 (default 1)." };
        var alphas = new Option<string?>("--alphas") { Description = "A grid of α > 0 (comma-separated): choose α per target by leave-one-out (RidgeCV)." };
        var solver = new Option<string>("--solver") { Description = "auto, cholesky, svd, eigen or cg (default auto).", DefaultValueFactory = _ => "auto" };
        var weights = new Option<string?>("--sample-weight") { Description = "Per-sample weights: a float .npy of shape (n_samples,), ≥ 0." };
        var noIntercept = new Option<bool>("--no-intercept") { Description = "Fit without an intercept (the data are assumed centred)." };
        var save = FitCommand.SaveOption();
        var threads = FitCommand.ThreadsOption();
        var memoryBudget = StreamedFit.MemoryBudgetOption();
        var command = new Command("ridge", "Ridge regression with many targets (α per target with --alphas: leave-one-out over the grid).")
        {
            x, y, alpha, alphas, solver, weights, noIntercept, save, threads, memoryBudget,
        };
        command.SetAction(parsed =>
        {
            var ridgeSolver = ParseSolver(parsed.GetValue(solver)!);
            var parallelism = FitCommand.Threads(parsed.GetValue(threads));
            double? oneAlpha = parsed.GetValue(alpha);
            string? grid = parsed.GetValue(alphas);
            if (oneAlpha is not null && grid is not null)
                throw new UsageException("--alpha and --alphas exclude each other: pass one α, or a grid to choose from");
            if (oneAlpha is double a && (!(a >= 0) || double.IsInfinity(a)))
                throw new UsageException($"--alpha must be a finite number ≥ 0, but is {a.ToString(CultureInfo.InvariantCulture)}");
            double[]? gridValues = grid is null ? null : FitInput.NumberList(grid, "--alphas");
            if (gridValues is not null && gridValues.Any(v => !(v > 0)))
                throw new UsageException($"--alphas must be numbers > 0 (leave-one-out needs a penalty), but has {gridValues.First(v => !(v > 0)).ToString(CultureInfo.InvariantCulture)}");

            string xPath = parsed.GetValue(x)!, yPath = parsed.GetValue(y)!, savePath = parsed.GetValue(save)!;
            using var threadScope = TensorParallelism.Use(FitCommand.Threads(parsed.GetValue(threads))); // the streamed fits read the ambient default
            if (StreamedFit.Budget(parsed.GetValue(memoryBudget), xPath, yPath, parsed.GetValue(weights)) is long budget)
                return StreamedFit.Ridge(stdout, xPath, yPath, parsed.GetValue(weights), budget,
                    new Ridge(Alpha: oneAlpha ?? 1.0, FitIntercept: !parsed.GetValue(noIntercept), Solver: ridgeSolver), gridValues, SavePath(savePath));
            var features = FitInput.Features(xPath);
            int n = features.Dim(0);
            var targets = FitInput.Targets(yPath, n);
            string? weightPath = parsed.GetValue(weights);
            var sampleWeight = weightPath is null ? null : FitInput.SampleWeights(weightPath, n);
            bool intercept = !parsed.GetValue(noIntercept);
            if (!savePath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"{savePath} (--save): the model file must end in .safetensors");

            RidgeModel model;
            string what;
            if (gridValues is not null)
            {
                var cv = new RidgeCV(gridValues, intercept, AlphaPerTarget: true, ridgeSolver, Parallelism: parallelism).Fit(features, targets, sampleWeight);
                model = cv.Model;
                what = $"RidgeCV over {gridValues.Length} α (leave-one-out, {cv.Mode}): α = {Numbers(cv.Alpha)}, LOO MSE = {Numbers(cv.BestScore.Select(s => -s))}";
            }
            else
            {
                model = new Ridge(Alpha: oneAlpha ?? 1.0, FitIntercept: intercept, Solver: ridgeSolver, Parallelism: parallelism).Fit(features, targets, sampleWeight);
                what = $"Ridge α = {Numbers(model.Alphas.Take(1))}";
            }
            model.Save(savePath);
            var report = model.Report;
            double r2 = RegressionMetrics.R2(targets, model.Predict(features));
            stdout.WriteLine($"ridge: {n} samples x {features.Dim(1)} features, {model.Targets} target{(model.Targets == 1 ? "" : "s")}; {what}");
            stdout.WriteLine($"  solver {report.Solver.ToString().ToLowerInvariant()}"
                + (report.Iterations is null ? "" : $", CG iterations {string.Join(",", report.Iterations)}{(report.Converged ? "" : " (not converged)")}")
                + (report.Fallback is null ? "" : $" ({report.Fallback})")
                + $"; training R² = {r2.ToString("0.######", CultureInfo.InvariantCulture)}");
            stdout.WriteLine($"  saved {savePath}");
            return 0;
        });
        return command;
    }

    /// <summary>The <c>mtl predict</c> entry of kind "ridge": X·Wᵀ + b, 1-D when the model was fitted on a 1-D y.</summary>
    public static MtlTensor<double> Predict(Learn.ModelFileContents file, MtlTensor<double> x, bool proba)
    {
        if (proba)
            throw new UsageException($"{file.Path}: a ridge model is a regressor; --proba applies to classifiers");
        var model = RidgeModel.Load(file.Path);
        if (x.Dim(1) != model.Features)
            throw new UsageException($"X has {x.Dim(1)} features but the ridge model in {file.Path} was fitted on {model.Features}");
        return model.Predict(x);
    }

    private static string SavePath(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
        ? path
        : throw new UsageException($"{path} (--save): the model file must end in .safetensors");

    /// <summary>The solver a --solver value names (auto, cholesky, svd, eigen, cg), or a usage error listing them.</summary>
    internal static RidgeSolver ParseSolver(string name) => name.ToLowerInvariant() switch
    {
        "auto" => RidgeSolver.Auto,
        "cholesky" => RidgeSolver.Cholesky,
        "svd" => RidgeSolver.Svd,
        "eigen" => RidgeSolver.Eigen,
        "cg" => RidgeSolver.ConjugateGradient,
        _ => throw new UsageException($"--solver: unknown solver '{name}'; use auto, cholesky, svd, eigen or cg"),
    };

    private static string Numbers(IEnumerable<double> values) =>
        string.Join(",", values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)));
}
