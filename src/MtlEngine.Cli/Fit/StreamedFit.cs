using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Learn;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// The out-of-core branch of <c>mtl fit ridge|pca</c>: with <c>--memory-budget SIZE</c> (or a .csv input) X and y are read
/// in row blocks (<see cref="OutOfCore"/>: .npy memory-mapped a window at a time, CSV a line at a time) and the model is
/// fitted from the accumulated statistics, so an X larger than memory fits; without it the arrays are read whole as before.
/// SIZE is a number with KB, MB or GB (powers of 2¹⁰: MB = 2²⁰ bytes); the default budget is 256MB.
/// </summary>
internal static class StreamedFit
{
    /// <summary>The <c>--memory-budget</c> option.</summary>
    public static Option<string?> MemoryBudgetOption() => new("--memory-budget")
    {
        Description = "Read X in row blocks within this working set (e.g. 256MB, 2GB; MB = 2^20 bytes) instead of whole: for X larger than memory. CSV inputs are always read in blocks (default budget 256MB).",
    };

    /// <summary>The budget in bytes when the fit streams (a budget was given or an input is CSV), else null.</summary>
    public static long? Budget(string? text, params string?[] paths)
    {
        if (text is not null) return ParseSize(text, "--memory-budget");
        return paths.Any(p => p is not null && p.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) ? OutOfCore.DefaultMemoryBudget : null;
    }

    /// <summary>Parses "256MB", "1.5GB", "512KB" or a byte count (units are powers of 1024).</summary>
    public static long ParseSize(string text, string option)
    {
        string t = text.Trim().ToUpperInvariant();
        long unit = 1;
        foreach (var (suffix, factor) in new[] { ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("B", 1L) })
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                unit = factor;
                t = t[..^suffix.Length].Trim();
                break;
            }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || value * unit > long.MaxValue / 2)
            throw new UsageException($"{option} {text}: expected a size such as 256MB or 2GB (MB = 2^20 bytes)");
        return (long)(value * unit);
    }

    /// <summary>Opens a row-block source, turning a missing or malformed file into a usage error naming it.</summary>
    public static IRowBlockSource Open(string path, string option)
    {
        if (Directory.Exists(path)) throw new UsageException($"{path} ({option}): is a directory, not a .npy or .csv file");
        if (!File.Exists(path)) throw new UsageException($"{path} ({option}): no such file");
        try
        {
            return RowBlockSource.Open(path);
        }
        catch (DataFormatException e)
        {
            throw new UsageException($"{path} ({option}): {e.Problem}");
        }
    }

    /// <summary>Ridge from statistics accumulated in row blocks; writes the model and a summary.</summary>
    public static int Ridge(TextWriter stdout, string xPath, string yPath, string? weightPath, long budget, Ridge options, double[]? grid, string savePath)
    {
        var clock = Stopwatch.StartNew();
        using var x = Open(xPath, "--x");
        using var y = Open(yPath, "--y");
        using var w = weightPath is null ? null : Open(weightPath, "--sample-weight");
        var statistics = OutOfCore.RidgeStatistics(x, y, w, budget, options.Parallelism ?? TensorParallelism.Current);
        RidgeModel model;
        string what;
        if (grid is not null)
        {
            // Leave-one-out needs each row's leverage, which the statistics do not keep; K-fold (RidgeCV.FitFolds) needs
            // per-fold statistics, which a CLI option for the folds does not offer yet: the grid is refused with a clear line.
            throw new UsageException("--alphas with --memory-budget: leave-one-out needs the rows in memory; fit per-fold statistics with RidgeCV.FitFolds in the library, or pass one --alpha");
        }
        model = statistics.Fit(options);
        what = $"Ridge α = {model.Alphas[0].ToString("G6", CultureInfo.InvariantCulture)}";
        model.Save(savePath);
        double seconds = clock.Elapsed.TotalSeconds;
        long bytes = new FileInfo(xPath).Length;
        stdout.WriteLine($"ridge: {statistics.Rows} samples x {statistics.Features} features, {model.Targets} target{(model.Targets == 1 ? "" : "s")}; {what}; streamed in row blocks within {budget >> 20} MiB");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  solver {model.Report.Solver.ToString().ToLowerInvariant()}{(model.Report.Fallback is null ? "" : $" ({model.Report.Fallback})")}; {seconds:F2} s, {bytes / (1 << 20) / Math.Max(seconds, 1e-9):F0} MiB/s of X"));
        stdout.WriteLine($"  saved {savePath}");
        return 0;
    }

    /// <summary>CCA from statistics accumulated in row blocks; writes the model and a summary.</summary>
    public static int Cca(TextWriter stdout, string xPath, string yPath, long budget, Cca options, string savePath)
    {
        var clock = Stopwatch.StartNew();
        using var x = Open(xPath, "--x");
        using var y = Open(yPath, "--y");
        var statistics = OutOfCore.CcaStatistics(x, y, budget, options.Parallelism ?? TensorParallelism.Current);
        long bound = Math.Min(statistics.Rows, Math.Min(statistics.Features, statistics.Targets));
        if (options.Components < 1 || options.Components > bound)
            throw new UsageException($"--components {options.Components}: must be between 1 and min(n_samples, p, q) = {bound}");
        if (options.MaxIterations < 1) throw new UsageException($"--max-iter {options.MaxIterations}: must be ≥ 1");
        var model = statistics.Fit(options);
        model.Save(savePath);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cca: {options.Components} canonical pairs of X ({statistics.Rows}, {statistics.Features}) and Y ({statistics.Rows}, {statistics.Targets}), NIPALS in covariance form streamed in row blocks within {budget >> 20} MiB; NIPALS iterations {string.Join(",", model.Report.Iterations)}; {clock.Elapsed.TotalSeconds:F2} s"));
        stdout.WriteLine("canonical correlations " + string.Join(" ", model.CanonicalCorrelations.Select(c => c.ToString("F6", CultureInfo.InvariantCulture))));
        stdout.WriteLine($"saved {savePath}");
        return 0;
    }

    /// <summary>
    /// Logistic regression by L-BFGS with X streamed once per evaluation (<see cref="OutOfCore.LogisticRegression"/>); the labels
    /// and weights (n numbers) are read whole.
    /// </summary>
    public static int Logreg(TextWriter stdout, string xPath, string yPath, string? weightPath, long budget, double c, string? classWeight,
        int maxIter, double tol, string solver, string savePath)
    {
        if (solver != "lbfgs")
            throw new UsageException($"--solver {solver} with --memory-budget: the streamed fit runs lbfgs only (newton-cg would read X once per Hessian-vector product)");
        if (!(c > 0))
            throw new UsageException($"--c must be > 0 (the inverse regularization strength), not {c.ToString(CultureInfo.InvariantCulture)}");
        if (classWeight is not null && classWeight != "balanced")
            throw new UsageException($"--class-weight: '{classWeight}' is not supported; use 'balanced' (or leave it out)");
        var clock = Stopwatch.StartNew();
        using var x = Open(xPath, "--x");
        var labels = FitInput.Labels(yPath, x.Rows >= 0 ? checked((int)x.Rows) : CountLabels(yPath));
        if (labels.Distinct().Count() < 2)
            throw new UsageException($"{yPath} (--y): all labels are {labels.FirstOrDefault()}; logistic regression needs at least two classes");
        var weights = weightPath is null ? null : FitInput.SampleWeights(weightPath, labels.Length);
        var options = new LogisticRegression { C = c, BalancedClassWeight = classWeight == "balanced", MaxIterations = maxIter, Tolerance = tol, Parallelism = TensorParallelism.Current };
        var model = OutOfCore.LogisticRegression(options, x, labels, weights, budget);
        model.Save(savePath);
        var r = model.Report!;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"logreg: {labels.Length} samples × {model.Features} features, {model.Classes.Length} classes ({(model.CoefficientRows == 1 ? "binary" : "multinomial")}), C={c:G}; X streamed in row blocks within {budget >> 20} MiB"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"solver=lbfgs iterations={r.Iterations} evaluations={r.Evaluations} converged={(r.Converged ? "yes" : "no")} loss={r.Loss:G10} gradient={r.GradientNorm:E2}; {clock.Elapsed.TotalSeconds:F2} s"));
        if (!r.Converged)
            stdout.WriteLine($"warning: not converged ({r.Message}); raise --max-iter or scale the features");
        stdout.WriteLine($"saved {savePath}");
        return 0;
    }

    private static int CountLabels(string path)
    {
        using var y = Open(path, "--y");
        return y.Rows >= 0 ? checked((int)y.Rows) : throw new UsageException($"{path} (--y): labels are read from a .npy file");
    }

    /// <summary>PCA from statistics accumulated in row blocks; writes the model and a summary.</summary>
    public static int Pca(TextWriter stdout, string xPath, long budget, Pca options, string savePath)
    {
        var clock = Stopwatch.StartNew();
        using var x = Open(xPath, "--x");
        var statistics = OutOfCore.PcaStatistics(x, budget, options.Parallelism ?? TensorParallelism.Current);
        int k = options.Components ?? 0;
        long bound = Math.Min(statistics.Rows, statistics.Features);
        if (k < 1 || k > bound)
            throw new UsageException($"--components {k}: must be between 1 and min(n_samples, n_features) = {bound} for X of shape ({statistics.Rows}, {statistics.Features})");
        var model = statistics.Fit(options);
        model.Save(savePath);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pca: {k} components of {statistics.Features} features from {statistics.Rows} samples, covariance route streamed in row blocks within {budget >> 20} MiB{(model.Whiten ? ", whitened" : "")}; explained variance ratio {model.ExplainedVarianceRatio.Sum():F6}; noise variance {model.NoiseVariance:G6}; {clock.Elapsed.TotalSeconds:F2} s"));
        stdout.WriteLine($"saved {savePath}");
        return 0;
    }
}
