using System.Diagnostics;
using MtlEngine.Learn;
using MtlEngine.Learn.Optimization;

namespace MtlEngine.Cluster;

/// <summary>Where one shard of a cluster fit ran.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Silos">The silos that computed it, in order (more than one when its silo failed and it moved).</param>
/// <param name="Rows">Its rows.</param>
/// <param name="Seconds">The silo time of its last call (reading and reducing, or one gradient).</param>
public sealed record ShardRun(ShardFiles Shard, IReadOnlyList<string> Silos, long Rows, double Seconds);

/// <summary>A model fitted over a cluster, with where each shard ran.</summary>
/// <param name="Model">The model: the same as a local fit on the rows of all shards, in order.</param>
/// <param name="Shards">Where each shard ran, in shard order.</param>
/// <param name="Silos">The silos active when the fit began (HOST:PORT).</param>
/// <param name="Rounds">Rounds of one call per shard (1 for statistics; logistic regression: 1 + one per evaluation).</param>
/// <param name="Rows">The rows of all shards.</param>
/// <param name="Elapsed">The wall time of the fit, connection excluded.</param>
public sealed record ClusterFitResult<TModel>(TModel Model, IReadOnlyList<ShardRun> Shards, IReadOnlyList<string> Silos, int Rounds, long Rows, TimeSpan Elapsed);

/// <summary>
/// Fits over an Orleans cluster: one grain per shard file reads and reduces its shard on a silo, and the client merges
/// the results in shard order. Ridge, PCA and CCA reduce to mergeable statistics (one round); logistic regression runs
/// L-BFGS on the client, each evaluation a round in which every shard returns its loss and gradient, summed in shard
/// order. Either way the model equals a local fit on the rows of all shards (to rounding), whichever silo ran which
/// shard, and a silo that fails mid-fit only moves its shards elsewhere (<see cref="ShardScheduler"/>).
/// <para>
/// Cost for S shards of n_s rows and d features on M machines: a statistics shard sends back its centred moments,
/// 8·(d+t)² + O(d+t) bytes (ridge with t targets; PCA d²; CCA (p+q)²) whatever n_s is, and the client merges S of them,
/// one round. Merged at the client the cost is S·(d+t)² flops and S messages; a tree of fan-in f (Spark's
/// treeAggregate) would take ⌈log_f S⌉ levels, worth it only when S·8(d+t)² bytes no longer fit one link's budget. A
/// logistic-regression evaluation sends θ (8·k·(d+1) bytes) to every shard and gets as much back: one round per
/// evaluation, about 1.1 evaluations per L-BFGS iteration (the Moré–Thuente search accepts α = 1 almost always).
/// </para>
/// </summary>
public static class ClusterFit
{
    /// <summary>
    /// Ridge regression over the shards (<see cref="RidgeStatistics"/> merged in shard order, then
    /// <see cref="RidgeStatistics.Fit"/>): the model of <c>options.Fit</c> on the rows of all shards.
    /// </summary>
    /// <exception cref="ClusterException">When a shard is bad or the cluster fails.</exception>
    public static Task<ClusterFitResult<RidgeModel>> RidgeAsync(ClusterConnection connection, IReadOnlyList<ShardFiles> shards,
        Ridge options, ClusterFitOptions? fit = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StatisticsAsync<RidgeStatistics, RidgeModel>(connection, shards, StatisticsKind.Ridge, s => s.Fit(options), fit);
    }

    /// <summary>
    /// PCA over the shards by the covariance route (<see cref="PcaStatistics"/> merged in shard order, then
    /// <see cref="PcaStatistics.Fit"/>).
    /// </summary>
    /// <exception cref="ClusterException">When a shard is bad or the cluster fails.</exception>
    public static Task<ClusterFitResult<PcaModel>> PcaAsync(ClusterConnection connection, IReadOnlyList<ShardFiles> shards,
        Pca options, ClusterFitOptions? fit = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StatisticsAsync<PcaStatistics, PcaModel>(connection, shards, StatisticsKind.Pca, s => s.Fit(options), fit);
    }

    /// <summary>
    /// CCA over the shards (<see cref="CcaStatistics"/> merged in shard order, then <see cref="CcaStatistics.Fit"/>: NIPALS on
    /// the merged covariances).
    /// </summary>
    /// <exception cref="ClusterException">When a shard is bad or the cluster fails.</exception>
    public static Task<ClusterFitResult<CcaModel>> CcaAsync(ClusterConnection connection, IReadOnlyList<ShardFiles> shards,
        Cca options, ClusterFitOptions? fit = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StatisticsAsync<CcaStatistics, CcaModel>(connection, shards, StatisticsKind.Cca, s => s.Fit(options), fit);
    }

    // One round: every shard's statistics, merged left to right in shard order, then fitted.
    private static async Task<ClusterFitResult<TModel>> StatisticsAsync<TStatistics, TModel>(ClusterConnection connection,
        IReadOnlyList<ShardFiles> shards, StatisticsKind kind, Func<TStatistics, TModel> fitModel, ClusterFitOptions? fit)
        where TStatistics : class, IFitStatistics<TStatistics>
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(shards);
        var clock = Stopwatch.StartNew();
        fit ??= new ClusterFitOptions();
        var scheduler = await ShardScheduler.CreateAsync(connection.Client, shards, fit);
        var runs = new ShardRecord(shards);
        ShardStatisticsReply[] replies;
        try
        {
            replies = runs.Note(await scheduler.RunAsync((grain, files) => grain.Statistics(kind, files, fit.MemoryBudget)), r => r.Rows, r => r.Seconds);
        }
        finally
        {
            await scheduler.ReleaseAsync();
        }
        TStatistics? merged = null;
        for (int s = 0; s < replies.Length; s++)
        {
            try
            {
                var part = FitStatistics.FromBytes<TStatistics>(replies[s].Statistics!);
                merged = merged is null ? part : merged.Merge(part);
            }
            catch (Exception error) when (error is LearnInputException or Data.DataFormatException)
            {
                throw new ClusterException($"{shards[s]}: {error.Message}", error);
            }
        }
        var model = fitModel(merged!);
        return new ClusterFitResult<TModel>(model, runs.Runs(), scheduler.Silos, 1, replies.Sum(r => r.Rows), clock.Elapsed);
    }

    /// <summary>
    /// Logistic regression (L-BFGS only) over the shards: the same objective, options and stopping rules as
    /// <see cref="LogisticRegression.Fit(Tensors.MtlTensor{double}, int[], double[], LogisticRegressionModel)"/> on the
    /// rows of all shards.
    /// </summary>
    /// <exception cref="ClusterException">When a shard is bad, the cluster fails, or the options cannot run on a cluster.</exception>
    public static async Task<ClusterFitResult<LogisticRegressionModel>> LogisticAsync(ClusterConnection connection,
        IReadOnlyList<ShardFiles> shards, LogisticRegression options, ClusterFitOptions? fit = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Solver != LogisticSolver.Lbfgs)
            throw new ClusterException($"the {options.Solver} solver does not run on a cluster; use L-BFGS (--solver lbfgs)");
        var clock = Stopwatch.StartNew();
        var scheduler = await ShardScheduler.CreateAsync(connection.Client, shards, fit ?? new ClusterFitOptions());
        var runs = new ShardRecord(shards);
        try
        {
            var infos = runs.Note(await scheduler.RunAsync((grain, files) => grain.LoadLogistic(files)), r => r.Rows, _ => 0);
            var problem = Problem(options, shards, infos);
            int d = infos[0].Features, k = problem.Classes.Length > 2 ? problem.Classes.Length : 1;
            var objective = new ClusterLogisticObjective(scheduler, problem, k, d, double.IsPositiveInfinity(options.C) ? 0 : 1 / options.C, runs);
            // L-BFGS is synchronous; each of its evaluations waits for one round of the cluster.
            var result = await Task.Run(() => Lbfgs.Minimize(objective, new double[objective.Dimension],
                new LbfgsOptions(MaxIterations: options.MaxIterations, GradientTolerance: options.Tolerance)));
            var w = result.X.AsSpan(0, k * d).ToArray();
            var b = problem.FitIntercept ? result.X.AsSpan(k * d, k).ToArray() : new double[k];
            var report = new LogisticRegressionReport(LogisticSolver.Lbfgs, result.Iterations, result.Evaluations, result.Converged,
                result.Value, result.GradientMaxNorm, result.Message);
            var model = new LogisticRegressionModel(problem.Classes, w, b, d, report, options.Parallelism ?? TensorParallelism.Current);
            return new ClusterFitResult<LogisticRegressionModel>(model, runs.Runs(), scheduler.Silos, 1 + objective.Evaluations,
                infos.Sum(i => i.Rows), clock.Elapsed);
        }
        finally
        {
            await scheduler.ReleaseAsync();
        }
    }

    // The classes of all shards and their weights, as LogisticRegression derives them from all rows at once.
    private static LogisticProblem Problem(LogisticRegression options, IReadOnlyList<ShardFiles> shards, LogisticShardInfo[] infos)
    {
        for (int s = 1; s < infos.Length; s++)
            if (infos[s].Features != infos[0].Features)
                throw new ClusterException($"{shards[s]}: X has {infos[s].Features} features but {shards[0]} has {infos[0].Features}; every shard must have the same columns");
        var counts = new SortedDictionary<int, long>();
        foreach (var info in infos)
            for (int i = 0; i < info.Labels.Length; i++)
                counts[info.Labels[i]] = counts.GetValueOrDefault(info.Labels[i]) + info.Counts[i];
        var classes = counts.Keys.ToArray();
        if (classes.Length < 2)
            throw new ClusterException($"the shards have only one class ({string.Join(", ", classes)}); logistic regression needs samples of at least two classes");
        if (options.BalancedClassWeight && options.ClassWeight is not null)
            throw new ClusterException("set either balanced class weights or explicit class weights, not both");
        long n = infos.Sum(i => i.Rows);
        var weights = new double[classes.Length];
        Array.Fill(weights, 1.0);
        if (options.BalancedClassWeight)
        {
            for (int c = 0; c < classes.Length; c++) weights[c] = (double)n / (classes.Length * counts[classes[c]]);
        }
        else if (options.ClassWeight is not null)
        {
            foreach (var (label, weight) in options.ClassWeight)
            {
                int c = Array.BinarySearch(classes, label);
                if (c < 0)
                    throw new ClusterException($"the class weights name label {label}, which is not among the classes [{string.Join(", ", classes)}] of the shards");
                weights[c] = weight;
            }
        }
        return new LogisticProblem(classes, weights, options.FitIntercept);
    }

    /// <summary>
    /// f(θ) = Σ_shards Σᵢ sᵢ·ℓᵢ + ½·λ·‖W‖² with the shard sums computed on the silos and added in shard order.
    /// </summary>
    private sealed class ClusterLogisticObjective(ShardScheduler scheduler, LogisticProblem problem, int k, int d, double lambda, ShardRecord runs)
        : ISmoothObjective
    {
        public int Dimension => k * (d + (problem.FitIntercept ? 1 : 0));

        public int Evaluations { get; private set; }

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            var theta = x.ToArray();
            var replies = scheduler.RunAsync((grain, files) => grain.LogisticGradient(files, problem, theta)).GetAwaiter().GetResult();
            Evaluations++;
            runs.Note(replies, _ => -1, _ => 0);
            gradient.Clear();
            double loss = 0;
            foreach (var reply in replies)
            {
                if (reply.Gradient.Length != gradient.Length)
                    throw new ClusterException($"a shard returned a gradient of {reply.Gradient.Length} entries for {gradient.Length} variables");
                loss += reply.Loss;
                for (int j = 0; j < gradient.Length; j++) gradient[j] += reply.Gradient[j];
            }
            var w = x[..(k * d)];
            double penalty = 0;
            for (int j = 0; j < w.Length; j++)
            {
                penalty += w[j] * w[j];
                gradient[j] += lambda * w[j];
            }
            return loss + 0.5 * lambda * penalty;
        }
    }

    /// <summary>Which silos ran each shard, its rows and its last time, as the rounds report them.</summary>
    private sealed class ShardRecord(IReadOnlyList<ShardFiles> shards)
    {
        private readonly List<string>[] _silos = shards.Select(_ => new List<string>()).ToArray();
        private readonly long[] _rows = new long[shards.Count];
        private readonly double[] _seconds = new double[shards.Count];

        /// <summary>Records a round's replies (rows &lt; 0: keep the rows known) and returns them.</summary>
        public T[] Note<T>(T[] replies, Func<T, long> rows, Func<T, double> seconds) where T : IShardReply
        {
            for (int s = 0; s < replies.Length; s++)
            {
                if (_silos[s].Count == 0 || _silos[s][^1] != replies[s].Silo) _silos[s].Add(replies[s].Silo);
                if (rows(replies[s]) >= 0) _rows[s] = rows(replies[s]);
                _seconds[s] = seconds(replies[s]);
            }
            return replies;
        }

        public IReadOnlyList<ShardRun> Runs() =>
            shards.Select((shard, s) => new ShardRun(shard, _silos[s].ToArray(), _rows[s], _seconds[s])).ToArray();
    }
}
