using System.CommandLine;
using System.Globalization;
using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// <c>mtl fit cca --x X.npy --y Y.npy --components K [--no-scale] [--max-iter N] [--tol T] --save M.safetensors</c>:
/// canonical correlation analysis of two views (<see cref="Cca"/>), saved as a "cca" model; <c>mtl predict</c> with it
/// writes the X view's scores in the shared space (the transform of X).
/// </summary>
internal static class CcaFitCommand
{
    internal static Command Create(TextWriter stdout)
    {
        var x = FitCommand.XOption();
        var y = new Option<string>("--y") { Description = "The second view: a float .npy of shape (n_samples, q) or (n_samples,).", Required = true };
        var components = new Option<int>("--components") { Description = "k, the number of canonical pairs (1 ≤ k ≤ min(n_samples, p, q)).", DefaultValueFactory = _ => 2 };
        var noScale = new Option<bool>("--no-scale") { Description = "Centre the views without scaling the columns to unit variance." };
        var maxIter = new Option<int>("--max-iter") { Description = "The NIPALS iteration limit per component.", DefaultValueFactory = _ => 500 };
        var tol = new Option<double>("--tol") { Description = "NIPALS stops when the squared change of the X weights is below this.", DefaultValueFactory = _ => 1e-6 };
        var save = FitCommand.SaveOption();
        var threads = FitCommand.ThreadsOption();
        var memoryBudget = StreamedFit.MemoryBudgetOption();
        var command = new Command("cca", "Canonical correlation analysis of two views (scikit-learn's CCA): canonical correlations and the shared representation.")
        {
            x, y, components, noScale, maxIter, tol, save, threads, memoryBudget,
        };
        command.SetAction(parsed =>
        {
            using var threadScope = TensorParallelism.Use(FitCommand.Threads(parsed.GetValue(threads))); // the streamed fits read the ambient default
            if (StreamedFit.Budget(parsed.GetValue(memoryBudget), parsed.GetValue(x), parsed.GetValue(y)) is long budget)
                return StreamedFit.Cca(stdout, parsed.GetValue(x)!, parsed.GetValue(y)!, budget,
                    new Cca(parsed.GetValue(components), !parsed.GetValue(noScale), parsed.GetValue(maxIter), parsed.GetValue(tol), FitCommand.Threads(parsed.GetValue(threads))), parsed.GetValue(save)!);
            var features = FitInput.Features(parsed.GetValue(x)!);
            int n = features.Dim(0), p = features.Dim(1);
            var targets = FitInput.Targets(parsed.GetValue(y)!, n);
            int q = targets.Rank == 1 ? 1 : targets.Dim(1);
            int k = parsed.GetValue(components), bound = Math.Min(n, Math.Min(p, q));
            if (k < 1 || k > bound)
                throw new UsageException($"--components {k}: must be between 1 and min(n_samples, p, q) = {bound} for X of shape ({n}, {p}) and Y of shape ({n}, {q})");
            int iterations = parsed.GetValue(maxIter);
            if (iterations < 1) throw new UsageException($"--max-iter {iterations}: must be ≥ 1");
            double tolerance = parsed.GetValue(tol);
            if (!(tolerance >= 0)) throw new UsageException($"--tol {tolerance.ToString(CultureInfo.InvariantCulture)}: must be ≥ 0");
            string path = parsed.GetValue(save)!;
            var model = new Cca(k, !parsed.GetValue(noScale), iterations, tolerance, FitCommand.Threads(parsed.GetValue(threads))).Fit(features, targets);
            model.Save(path);
            var report = model.Report;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cca: {k} canonical pairs of X ({n}, {p}) and Y ({n}, {q}){(model.Options.Scale ? "" : ", unscaled")}; NIPALS iterations {string.Join(",", report.Iterations)}, converged={(report.Converged ? "yes" : "no")}"));
            stdout.WriteLine("canonical correlations " + string.Join(" ", model.CanonicalCorrelations.Select(c => c.ToString("F6", CultureInfo.InvariantCulture))));
            if (report.Stopped is not null) stdout.WriteLine("note: " + report.Stopped);
            stdout.WriteLine($"saved {path}");
            return 0;
        });
        return command;
    }

    /// <summary>The "cca" entry of <c>mtl predict</c>: the X view in the shared space, ((x − x̄)/s_x)·R_x, shape (n_samples, k).</summary>
    internal static MtlTensor<double> Transform(ModelFileContents file, MtlTensor<double> x, bool proba)
    {
        ModelPredictors.NoProba(file, proba, "a cca model writes the transform of the X view");
        var model = CcaModel.Load(file.Path);
        ModelPredictors.CheckFeatures(file, x, model.XWeights.Dim(0));
        return model.TransformX(x);
    }
}
