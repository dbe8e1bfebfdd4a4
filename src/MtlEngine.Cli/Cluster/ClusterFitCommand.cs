using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using MtlEngine.Cli.Fit;
using MtlEngine.Cluster;
using MtlEngine.Learn;

namespace MtlEngine.Cli.Cluster;

/// <summary>
/// <c>mtl fit ridge|pca|cca|logreg ... --cluster HOST:GATEWAY --x a.npy,b.npy,... [--y ya.npy,yb.npy,...]
/// (--certificate FILE | --insecure)</c>: the same fit over an Orleans cluster, one grain per shard (the files must be
/// readable by the silos at the same paths), saving the same model file as a local fit and saying which silo ran which
/// shard. <see cref="Attach"/> adds the cluster options to each estimator of <c>mtl fit</c> and runs its local action
/// unchanged when <c>--cluster</c> is not given.
/// </summary>
internal static class ClusterFitCommand
{
    /// <summary>Adds --cluster and its options to the estimators of <paramref name="fit"/> that can run on a cluster.</summary>
    public static void Attach(Command fit, TextWriter stdout)
    {
        foreach (var estimator in fit.Subcommands.Where(c => c.Name is "ridge" or "pca" or "cca" or "logreg"))
        {
            var cluster = new Option<string?>("--cluster") { Description = "Fit on an Orleans cluster: HOST:GATEWAY[,HOST:GATEWAY...] of its silos ('mtl cluster silo'); --x (and --y) then list one .npy per shard, comma-separated." };
            var security = ClusterCommand.SecurityOptions();
            var shardTimeout = new Option<double>("--shard-timeout") { Description = "Seconds one shard call may take before it is re-run on another silo (with --cluster).", DefaultValueFactory = _ => 600 };
            var connectTimeout = new Option<double>("--connect-timeout") { Description = "Seconds connecting to the cluster may take (with --cluster).", DefaultValueFactory = _ => 30 };
            foreach (var option in new Option[] { cluster, security.Certificate, security.Password, security.Insecure, shardTimeout, connectTimeout })
                estimator.Options.Add(option);
            var local = estimator.Action as SynchronousCommandLineAction
                ?? throw new InvalidOperationException($"fit {estimator.Name} has no synchronous action to wrap");
            estimator.SetAction(parsed =>
            {
                if (parsed.GetValue(cluster) is not string gateways)
                {
                    if (parsed.GetValue(security.Certificate) is not null || parsed.GetValue(security.Insecure))
                        throw new UsageException("--certificate and --insecure apply to a cluster fit; add --cluster HOST:GATEWAY or leave them out");
                    return local.Invoke(parsed);
                }
                try
                {
                    var run = new Run(parsed, estimator.Name, stdout, ClusterEndpoint.ParseList(gateways, "--cluster"),
                        ClusterCommand.Security(parsed, security), parsed.GetValue(shardTimeout), parsed.GetValue(connectTimeout));
                    return run.ExecuteAsync().GetAwaiter().GetResult();
                }
                catch (ClusterException error)
                {
                    throw new UsageException(error.Message);
                }
            });
        }
    }

    /// <summary>One cluster fit: the options of its estimator read by name, the shards, the connection.</summary>
    private sealed class Run(ParseResult parsed, string estimator, TextWriter stdout, IReadOnlyList<ClusterEndpoint> gateways,
        ClusterSecurity security, double shardTimeoutSeconds, double connectTimeoutSeconds)
    {
        public async Task<int> ExecuteAsync()
        {
            if (!(shardTimeoutSeconds > 0) || double.IsInfinity(shardTimeoutSeconds))
                throw new UsageException($"--shard-timeout must be a positive number of seconds, not {shardTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
            if (!(connectTimeoutSeconds > 0) || double.IsInfinity(connectTimeoutSeconds))
                throw new UsageException($"--connect-timeout must be a positive number of seconds, not {connectTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
            string savePath = Value<string>("--save")!;
            if (!savePath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"{savePath} (--save): the model file must end in .safetensors");
            var shards = Shards();
            var timeout = TimeSpan.FromSeconds(shardTimeoutSeconds);
            var fitOptions = new ClusterFitOptions { ShardTimeout = timeout };
            if (estimator is "ridge" or "pca" or "cca" && Value<string?>("--memory-budget") is string budget)
                fitOptions = fitOptions with { MemoryBudget = Fit.StreamedFit.ParseSize(budget, "--memory-budget") };
            var options = Options(); // checked before connecting
            await using var connection = await ClusterConnection.ConnectAsync(gateways, security, timeout, TimeSpan.FromSeconds(connectTimeoutSeconds));
            string where = $"{shards.Count} shard{(shards.Count == 1 ? "" : "s")} on the cluster at {string.Join(",", gateways)}";
            switch (options)
            {
                case Ridge ridge:
                {
                    var fit = await ClusterFit.RidgeAsync(connection, shards, ridge, fitOptions);
                    fit.Model.Save(savePath);
                    stdout.WriteLine($"ridge: {fit.Rows} samples x {fit.Model.Features} features, {fit.Model.Targets} target{(fit.Model.Targets == 1 ? "" : "s")}; Ridge α = {Number(ridge.Alpha)}; {where}");
                    Report(fit);
                    break;
                }
                case Pca pca:
                {
                    var fit = await ClusterFit.PcaAsync(connection, shards, pca, fitOptions);
                    fit.Model.Save(savePath);
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"pca: {pca.Components} components of {fit.Model.Mean.Length} features from {fit.Rows} samples, covariance route{(pca.Whiten ? ", whitened" : "")}; explained variance ratio {fit.Model.ExplainedVarianceRatio.Sum():F6}; {where}"));
                    Report(fit);
                    break;
                }
                case Cca cca:
                {
                    var fit = await ClusterFit.CcaAsync(connection, shards, cca, fitOptions);
                    fit.Model.Save(savePath);
                    var report = fit.Model.Report;
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"cca: {cca.Components} canonical pairs from {fit.Rows} samples{(cca.Scale ? "" : ", unscaled")}; NIPALS iterations {string.Join(",", report.Iterations)}, converged={(report.Converged ? "yes" : "no")}; {where}"));
                    stdout.WriteLine("canonical correlations " + string.Join(" ", fit.Model.CanonicalCorrelations.Select(c => c.ToString("F6", CultureInfo.InvariantCulture))));
                    Report(fit);
                    break;
                }
                case LogisticRegression logistic:
                {
                    var fit = await ClusterFit.LogisticAsync(connection, shards, logistic, fitOptions);
                    fit.Model.Save(savePath);
                    var r = fit.Model.Report!;
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"logreg: {fit.Rows} samples × {fit.Model.Features} features, {fit.Model.Classes.Length} classes, C={logistic.C:G}; {where}"));
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"solver=lbfgs iterations={r.Iterations} evaluations={r.Evaluations} converged={(r.Converged ? "yes" : "no")} loss={r.Loss:G10} gradient={r.GradientNorm:E2}"));
                    if (!r.Converged) stdout.WriteLine($"warning: not converged ({r.Message}); raise --max-iter or scale the features");
                    Report(fit);
                    break;
                }
            }
            stdout.WriteLine($"saved {savePath}");
            return 0;
        }

        private T? Value<T>(string name) => parsed.GetValue<T>(name);

        // The estimator's options, from the same command-line options as its local fit.
        private object Options()
        {
            switch (estimator)
            {
                case "ridge":
                    if (Value<string?>("--alphas") is not null)
                        throw new UsageException("--alphas (leave-one-out over a grid) needs every row and does not run with --cluster; pass one --alpha");
                    double alpha = Value<double?>("--alpha") ?? 1.0;
                    if (!(alpha >= 0) || double.IsInfinity(alpha))
                        throw new UsageException($"--alpha must be a finite number ≥ 0, but is {alpha.ToString(CultureInfo.InvariantCulture)}");
                    return new Ridge(Alpha: alpha, FitIntercept: !Value<bool>("--no-intercept"), Solver: RidgeFitCommand.ParseSolver(Value<string>("--solver")!),
                        Parallelism: FitCommand.Threads(Value<int>("--threads")));
                case "pca":
                    if (Value<string>("--solver") is not ("auto" or "covariance"))
                        throw new UsageException($"--solver {Value<string>("--solver")}: a cluster fit takes the covariance route; pass --solver covariance or auto");
                    int k = Value<int>("--components");
                    if (k < 1) throw new UsageException($"--components {k}: must be at least 1");
                    return new Pca(Components: k, Whiten: Value<bool>("--whiten"), Solver: PcaSolver.Covariance, Parallelism: FitCommand.Threads(Value<int>("--threads")));
                case "cca":
                    int pairs = Value<int>("--components");
                    if (pairs < 1) throw new UsageException($"--components {pairs}: must be at least 1");
                    if (Value<int>("--max-iter") < 1) throw new UsageException($"--max-iter {Value<int>("--max-iter")}: must be ≥ 1");
                    if (!(Value<double>("--tol") >= 0)) throw new UsageException($"--tol {Value<double>("--tol").ToString(CultureInfo.InvariantCulture)}: must be ≥ 0");
                    return new Cca(pairs, !Value<bool>("--no-scale"), Value<int>("--max-iter"), Value<double>("--tol"), FitCommand.Threads(Value<int>("--threads")));
                case "logreg":
                    double c = Value<double>("--c");
                    if (!(c > 0)) throw new UsageException($"--c must be > 0 (the inverse regularization strength), not {c.ToString(CultureInfo.InvariantCulture)}");
                    string? weighting = Value<string?>("--class-weight");
                    if (weighting is not null && weighting != "balanced")
                        throw new UsageException($"--class-weight: '{weighting}' is not supported; use 'balanced' (or leave it out)");
                    if (Value<string>("--solver") != "lbfgs")
                        throw new UsageException($"--solver {Value<string>("--solver")}: a cluster fit runs L-BFGS (one round of the cluster per evaluation); pass --solver lbfgs");
                    return new LogisticRegression
                    {
                        C = c,
                        BalancedClassWeight = weighting == "balanced",
                        MaxIterations = Value<int>("--max-iter"),
                        Tolerance = Value<double>("--tol"),
                        Parallelism = FitCommand.Threads(Value<int>("--threads")),
                    };
                default:
                    throw new UsageException($"fit {estimator} does not run on a cluster yet; fit it locally (without --cluster)");
            }
        }

        // --x a.npy,b.npy and the matching --y and --sample-weight lists: one shard per X file.
        private List<ShardFiles> Shards()
        {
            var x = List("--x")!;
            var y = estimator == "pca" ? null : List("--y");
            var w = estimator is "ridge" or "logreg" ? List("--sample-weight") : null;
            if (y is not null && y.Length != x.Length)
                throw new UsageException($"--y lists {y.Length} file{(y.Length == 1 ? "" : "s")} but --x lists {x.Length}; give one --y file per shard, in the same order");
            if (w is not null && w.Length != x.Length)
                throw new UsageException($"--sample-weight lists {w.Length} file{(w.Length == 1 ? "" : "s")} but --x lists {x.Length}; give one weight file per shard");
            // Paths are made absolute here: the silos read them, from their own working directories.
            return x.Select((path, s) => new ShardFiles(s, Path.GetFullPath(path), y is null ? null : Path.GetFullPath(y[s]),
                w is null ? null : Path.GetFullPath(w[s]))).ToList();
        }

        private string[]? List(string option) =>
            Value<string?>(option)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        private void Report<TModel>(ClusterFitResult<TModel> fit)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {fit.Silos.Count} silo{(fit.Silos.Count == 1 ? "" : "s")} ({string.Join(", ", fit.Silos)}), {fit.Rounds} round{(fit.Rounds == 1 ? "" : "s")}, {fit.Elapsed.TotalSeconds:F3} s"));
            foreach (var run in fit.Shards)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  shard {run.Shard.Index} {run.Shard.X}: {run.Rows} rows on {string.Join(" then ", run.Silos)}"));
        }

        private static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    }
}
