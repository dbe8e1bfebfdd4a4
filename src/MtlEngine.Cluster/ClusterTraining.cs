using System.Diagnostics;
using MtlEngine.Nn;

namespace MtlEngine.Cluster;

/// <summary>
/// Exact synchronous data-parallel training over an Orleans cluster, the <see cref="IStepGradients{T}"/> of a
/// <see cref="Trainer{T}"/> on the coordinator (the client), which holds the model, the optimizer and the data set. Each
/// step the batch is cut into K slices (<see cref="DataParallel.Slices"/>; K = the silos active at the start unless
/// given), and one grain per slice gets the current parameters and its rows, computes its slice's gradient on its silo's
/// replica (built once per activation by the silo's <see cref="IReplicaLoader"/>: the silos read the training files
/// themselves) and sends it back; the client adds the K gradients in slice order, never in order of arrival, and the
/// trainer takes the optimizer step. The run is therefore the local run with the same global batch, up to the rounding of
/// splitting the batch's float sums (<see cref="DataParallel"/>), whichever silo ran which slice.
/// <para>
/// Per task (<see cref="PerTask"/>, for every other strategy and the gradient-conflict record): each grain returns its
/// slice's gradient of each task loss (T × P) and whether each loss reached each parameter; the client sums them per task in
/// slice order, weighted by fₛₜ in double (<see cref="DataParallel.AddSlice{T}"/>), and the trainer runs its strategy on them
/// as on a local step (<see cref="ITaskStepGradients{T}"/>): T times the gradient traffic. Each grain also returns the
/// gradient of its slice's auxiliary loss (DSelect-k's regularization, a sum over rows: <see cref="IRowSumAuxiliaryLoss"/>;
/// zeros without one), which the client sums and the trainer adds after the strategy, as locally.
/// </para>
/// <para>
/// On the shared representation (<see cref="Representation"/>: <c>rep_grad</c>, MGDA-UB), two rounds per step. Round 1: each
/// grain also returns its slice's rows of each task loss's gradient on the representations the heads read; the client puts
/// the batch's Jacobian together from them (each slice's rows scaled by fₛₜ, side by side: <see cref="StepRepresentation"/>)
/// and the trainer's strategy aggregates it as on a local step. Round 2: each grain gets its rows of the direction, runs
/// its slice's forward again (the same parameters and generator positions, so the same masks) and returns the shared
/// parameters' gradient of Σᵣ ⟨Rᵣ, Dᵣ⟩, summed in slice order. Round 2 keeps nothing from round 1 on the silos, so a silo
/// that dies between the rounds only moves its slice. Not for synchronized models (refused).
/// </para>
/// <para>
/// Cost per step, with P parameters: 4·P bytes of parameters to each of the K grains and 4·P bytes of gradient back,
/// 8·P·K in all, plus 4 bytes per row; one round trip per step. A silo that dies mid-step loses nothing: its slice is run
/// again on another silo (a fresh grain, which loads the job again), by the same <see cref="ShardScheduler"/> as the fits,
/// with the same timeouts.
/// </para>
/// <para>
/// Batch normalization is synchronized (<see cref="DataParallel.IsSynchronized{T}"/>): the slices meet inside the step at an
/// <see cref="IStepExchangeGrain"/> (one per step), where they all-gather their per-channel statistics in the forward pass and
/// their gradients in the backward, so every slice normalizes with the whole batch's statistics; the coordinator sends its
/// running statistics with each step and takes them back from the first non-empty slice. The slices must then run at once:
/// each silo may run all K (<see cref="ClusterFitOptions.ShardsPerSilo"/> is raised to K), and a slice that moves after its
/// silo died replays the step's finished rounds from the exchange. If the exchange itself is lost mid-step (the silo holding
/// it died, so a fresh activation knows no rounds) or the slices do not all come within
/// <see cref="ClusterFitOptions.ShardTimeout"/>, a slice reports it, the coordinator gives that exchange up (the slices still
/// waiting there stop at once) and runs the whole step again on a fresh one, from the same parameters, buffers and generator
/// positions, so the step is the one that would have run (<see cref="ExchangeRetries"/>); after
/// <see cref="ClusterFitOptions.MaxAttempts"/> lost exchanges in one step the training fails with one line.
/// </para>
/// </summary>
public sealed class ClusterTraining : ITaskStepGradients<float>
{
    private readonly ShardScheduler _scheduler;
    private readonly string _job;
    private readonly MultiTaskModel<float> _model;
    private readonly MultiTaskDataset<float> _data;
    private readonly double[] _weights;
    private readonly List<string>[] _silos;
    private readonly IClusterClient _client;
    private readonly TimeSpan _timeout;
    private readonly bool _synchronized;
    private readonly int _attempts;
    private readonly string _run = Guid.NewGuid().ToString("N");
    private long _representationValues; // Σᵣ B·wᵣ of the last rep_grad step (for BytesPerStep)

    private ClusterTraining(IClusterClient client, ShardScheduler scheduler, string job, MultiTaskModel<float> model, MultiTaskDataset<float> data, double[] weights,
        int slices, bool perTask, TimeSpan timeout, int attempts, bool representation)
    {
        PerTask = perTask || representation;
        Representation = representation;
        _attempts = attempts;
        _client = client;
        _timeout = timeout;
        _synchronized = DataParallel.IsSynchronized(model);
        _scheduler = scheduler;
        _job = job;
        _model = model;
        _data = data;
        _weights = weights;
        _silos = Enumerable.Range(0, slices).Select(_ => new List<string>()).ToArray();
    }

    /// <summary>
    /// Prepares the training of <paramref name="model"/> over the cluster's active silos.
    /// </summary>
    /// <param name="connection">The connection to the cluster.</param>
    /// <param name="job">What the silos' <see cref="IReplicaLoader"/> builds the replica from (for <c>mtl train</c>: the spec's absolute path).</param>
    /// <param name="model">The coordinator's model (the one the trainer updates).</param>
    /// <param name="data">The coordinator's data set (for the slices' loss shares).</param>
    /// <param name="weights">wₜ per task, in task order.</param>
    /// <param name="options">Timeouts and attempts per slice (<see cref="ClusterFitOptions"/>).</param>
    /// <param name="slices">K, the slices per batch; null: one per active silo.</param>
    /// <param name="perTask">Compute each task's gradient (<see cref="PerTask"/>): for any strategy other than constant
    /// weights, and for the gradient-conflict record; <paramref name="weights"/> are then unused.</param>
    /// <param name="representation">For a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB): two rounds per step
    /// (<see cref="Representation"/>); implies <paramref name="perTask"/>.</param>
    /// <exception cref="ArgumentException">When the model is not replicable or the weights do not match the tasks, or
    /// <paramref name="representation"/> is asked of a model with synchronized modules.</exception>
    /// <exception cref="ClusterException">When the cluster has no active silo.</exception>
    public static async Task<ClusterTraining> CreateAsync(ClusterConnection connection, string job, MultiTaskModel<float> model,
        MultiTaskDataset<float> data, IReadOnlyList<double> weights, ClusterFitOptions? options = null, int? slices = null, bool perTask = false,
        bool representation = false)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(weights);
        DataParallel.CheckReplicable(model);
        if (representation) DataParallel.CheckRepresentationSlices(model);
        if (weights.Count != model.Tasks.Count)
            throw new ArgumentException($"{weights.Count} task weights for {model.Tasks.Count} tasks; give one per task, in task order");
        if (slices is < 1) throw new ArgumentException($"the slices per batch must be at least 1, but are {slices}");
        options ??= new ClusterFitOptions();
        // The scheduler counts the slices before it knows the silos: ask once, then build it over K slice "shards".
        var probe = await ShardScheduler.CreateAsync(connection.Client, [new ShardFiles(0, job, null, null)], options);
        int k = slices ?? probe.Silos.Count;
        // Synchronized slices wait for each other inside the step: every silo must be able to run all of them at once.
        var scheduling = DataParallel.IsSynchronized(model) ? options with { ShardsPerSilo = Math.Max(options.ShardsPerSilo, k) } : options;
        var scheduler = await ShardScheduler.CreateAsync(connection.Client,
            Enumerable.Range(0, k).Select(s => new ShardFiles(s, job, null, null)).ToArray(), scheduling);
        return new ClusterTraining(connection.Client, scheduler, job, model, data, weights.ToArray(), k, perTask, options.ShardTimeout, options.MaxAttempts,
            representation);
    }

    /// <inheritdoc />
    public bool PerTask { get; }

    /// <summary>
    /// Whether each step runs two rounds for a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB; see the
    /// remarks): round 1 also returns each slice's rows of the task losses' representation gradients, round 2 sends each
    /// slice its rows of the strategy's direction and returns the shared parameters' gradient.
    /// </summary>
    public bool Representation { get; }

    /// <summary>K, the slices per batch.</summary>
    public int Slices => _silos.Length;

    /// <summary>The silos active at the start (HOST:PORT).</summary>
    public IReadOnlyList<string> Silos => _scheduler.Silos;

    /// <summary>The silos that computed each slice, in order (more than one when a silo failed and the slice moved).</summary>
    public IReadOnlyList<IReadOnlyList<string>> SliceSilos => _silos.Select(s => (IReadOnlyList<string>)s.ToArray()).ToArray();

    /// <summary>Steps run so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The wall time of the steps' rounds (sending, computing, receiving, summing).</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>
    /// The payload bytes of one step for a batch of <paramref name="rows"/> rows: parameters out and gradients back (one per
    /// task and one of the auxiliary loss with <see cref="PerTask"/>) per slice, and the rows; for a synchronized model also
    /// the synchronized buffers out and back per slice and the mean exchange traffic of the steps so far
    /// (<see cref="ExchangeBytes"/> / <see cref="Steps"/>, measured: it depends on the layers and, for the joint alignment, on
    /// the rows; 0 before the first step).
    /// </summary>
    public long BytesPerStep(int rows)
    {
        long bytes = 4L * DataParallel.ParameterLength(_model) * Slices * (PerTask ? 2 + _model.Tasks.Count : 2) + 4L * rows;
        if (Representation) // round 2: parameters out and the pushed gradient back; the representation's gradients and direction (measured)
            bytes += 2 * 4L * DataParallel.ParameterLength(_model) * Slices + 4L * rows + 4L * (_model.Tasks.Count + 1) * _representationValues;
        if (!_synchronized) return bytes;
        return bytes + 2 * 4L * DataParallel.GetSynchronizedBuffers(_model).Length * Slices + (Steps == 0 ? 0 : ExchangeBytes / Steps);
    }

    /// <summary>
    /// The payload bytes the slices moved through the steps' exchanges (synchronized models: batch normalization's statistics
    /// and their gradients, the joint alignment's embeddings, the mean fill's sums), each slice's sent and received values,
    /// summed over the steps run so far; 0 for a model that is not synchronized.
    /// </summary>
    public long ExchangeBytes { get; private set; }

    /// <summary>The steps run again on a fresh exchange because a slice lost the step's exchange (see the remarks).</summary>
    public int ExchangeRetries { get; private set; }

    /// <summary>The key prefix of this run's exchanges ("RUN/STEP/ATTEMPT"; for tests).</summary>
    internal string RunId => _run;

    /// <inheritdoc />
    /// <exception cref="ClusterException">When a slice fails on every attempt, the job cannot be loaded on a silo, or no silo is left.</exception>
    public double[] Compute(int[] rows, int epoch, long step)
    {
        var clock = Stopwatch.StartNew();
        var (replies, _) = Round(rows, step, perTask: false);
        var sum = new double[DataParallel.ParameterLength(_model)];
        var losses = new double[_model.Tasks.Count];
        for (int s = 0; s < replies.Length; s++) // slice order, whatever order the replies came in
        {
            var reply = replies[s];
            Check(s, reply, sum.Length, reachedLength: null);
            for (int i = 0; i < sum.Length; i++) sum[i] += reply.Gradient[i];
            for (int t = 0; t < losses.Length; t++) losses[t] += reply.Losses[t];
        }
        DataParallel.SetGradients<float>(_model, sum);
        Steps++;
        Elapsed += clock.Elapsed;
        return losses;
    }

    /// <inheritdoc />
    /// <exception cref="ClusterException">When a slice fails on every attempt, the job cannot be loaded on a silo, or no silo is left.</exception>
    public TaskStepGradients ComputeTasks(int[] rows, int epoch, long step)
    {
        var clock = Stopwatch.StartNew();
        var parameters = Representation ? DataParallel.GetParameters(_model) : null; // round 2 starts from the step's parameters
        var positions = DataParallel.RandomPositions(_model); // and generator positions
        var (replies, fractions) = Round(rows, step, perTask: true);
        var sums = DataParallel.EmptyTaskGradients(_model);
        var ones = _synchronized ? DataParallel.SynchronizedFractions(fractions) : null; // synchronized rows come scaled by fₛₜ
        for (int s = 0; s < replies.Length; s++) // slice order, whatever order the replies came in
        {
            var reply = replies[s];
            Check(s, reply, sums.Gradients.Length, sums.Reached.Length);
            DataParallel.AddSlice<float>(sums, reply.Losses, reply.Gradient, reply.Reached, ones ?? fractions[s], reply.Auxiliary, reply.AuxiliaryReached);
        }
        Steps++;
        Elapsed += clock.Elapsed;
        if (!Representation) return sums;
        var parts = DataParallel.Slices(rows.Length, Slices);
        int first = Array.FindIndex(parts, p => p.Count > 0);
        if (replies[first].RepresentationWidths is not { } widths || replies[first].RepresentationTasks is not { } tasks)
            throw new ClusterException($"slice {first} came back from {replies[first].Silo} without the representation's gradients; every silo must run the same version of mtl on the same spec");
        StepRepresentation? representation = null;
        representation = new StepRepresentation(_model.Tasks.Count, rows.Length, widths, tasks)
        {
            Push = directions => Push(directions, representation!, rows, parts, fractions, parameters!, positions, step),
        };
        for (int s = 0; s < replies.Length; s++)
        {
            var reply = replies[s];
            if (parts[s].Count == 0) continue;
            try
            {
                representation.AddSlice(parts[s].Start, parts[s].Count,
                    new RepresentationSlice<float>(reply.RepresentationGradients ?? [], reply.RepresentationWidths ?? [], reply.RepresentationTasks ?? []), fractions[s]);
            }
            catch (ArgumentException error)
            {
                throw new ClusterException($"slice {s} came back from {reply.Silo} with another representation: {error.Message}", error);
            }
        }
        _representationValues = representation.Columns;
        return sums with { Representation = representation };
    }

    /// <summary>
    /// Round 2 of a <c>rep_grad</c> step: each slice gets the step's parameters, generator positions and its rows of the
    /// directions, runs its forward again and pushes them through its encoder; the gradients come back summed in slice order.
    /// Stateless on the silos, so a slice whose silo died since round 1 simply runs on another.
    /// </summary>
    private RepresentationPush Push(IReadOnlyList<double[]> directions, StepRepresentation layout, int[] rows, (int Start, int Count)[] parts, double[][] fractions,
        float[] parameters, ulong[] positions, long step)
    {
        var clock = Stopwatch.StartNew();
        var requests = Enumerable.Range(0, Slices)
            .Select(s => new TrainSliceRequest(_job, step, parameters, rows.AsSpan(parts[s].Start, parts[s].Count).ToArray(), fractions[s], _weights, false,
                parts[s].Start, rows.Length, positions, ExchangeTimeout: _timeout, Direction: layout.SliceDirection<float>(directions, parts[s].Start, parts[s].Count)))
            .ToArray();
        _scheduler.Spread();
        var replies = _scheduler.RunAsync((grain, slice) => grain.TrainSlice(slice, requests[slice.Index])).GetAwaiter().GetResult();
        int length = DataParallel.ParameterLength(_model), count = _model.Parameters().Count;
        var sum = new RepresentationPush(new double[length], new bool[count]);
        for (int s = 0; s < replies.Length; s++) // slice order
        {
            var reply = replies[s];
            if (reply.Gradient.Length != length || reply.Reached?.Length != count)
                throw new ClusterException($"slice {s} came back from {reply.Silo} with {reply.Gradient.Length} pushed gradient values for {length}; every silo must run the same version of mtl on the same spec");
            if (_silos[s].Count == 0 || _silos[s][^1] != reply.Silo) _silos[s].Add(reply.Silo);
            DataParallel.AddPush<float>(sum, reply.Gradient, reply.Reached);
        }
        Elapsed += clock.Elapsed;
        return sum;
    }

    /// <summary>One round: the slices' requests out, their replies back in slice order, and the slices' fₛₜ.</summary>
    private (TrainSliceReply[] Replies, double[][] Fractions) Round(int[] rows, long step, bool perTask)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var parameters = DataParallel.GetParameters(_model);
        var fractions = DataParallel.Fractions(_model.Tasks, _data, rows, Slices);
        var parts = DataParallel.Slices(rows.Length, Slices);
        var positions = DataParallel.RandomPositions(_model);
        // Synchronized: the non-empty slices are the collective's participants, in slice order, meeting at this step's exchange.
        var buffers = _synchronized ? DataParallel.GetSynchronizedBuffers(_model) : null;
        int participants = parts.Count(p => p.Count > 0);
        var participant = new int[Slices];
        for (int s = 0, next = 0; s < Slices; s++) participant[s] = parts[s].Count > 0 ? next++ : -1;
        TrainSliceReply[] replies;
        for (int attempt = 0; ; attempt++)
        {
            string? exchange = _synchronized ? $"{_run}/{step}/{attempt}" : null;
            var requests = Enumerable.Range(0, Slices)
                .Select(s => new TrainSliceRequest(_job, step, parameters, rows.AsSpan(parts[s].Start, parts[s].Count).ToArray(), fractions[s], _weights, perTask,
                    parts[s].Start, rows.Length, positions, exchange, participant[s], participants, buffers, _timeout, Representation && perTask))
                .ToArray();
            _scheduler.Spread(); // one slice per silo (the slices of a lost silo to the least loaded), never first come, first served
            int lost = 0;
            try
            {
                replies = _scheduler.RunAsync(async (grain, slice) =>
                {
                    var reply = await grain.TrainSlice(slice, requests[slice.Index]);
                    if (reply.ExchangeLost && Interlocked.Increment(ref lost) == 1) Abort(exchange!, reply.Error ?? "a slice lost it");
                    return reply;
                }).GetAwaiter().GetResult();
            }
            catch (ClusterException error) when (Volatile.Read(ref lost) > 0)
            {
                if (attempt + 1 >= _attempts)
                    throw new ClusterException($"step {step}: the slices lost the step's exchange on {attempt + 1} attempt{(attempt == 0 ? "" : "s")}; the last: {error.Message}", error);
                ExchangeRetries++;
                continue;
            }
            finally
            {
                if (exchange is not null) Release(exchange);
            }
            break;
        }
        foreach (var reply in replies) ExchangeBytes += reply.ExchangeBytes;
        // The coordinator's dropout generators move on as the local step's would: to where every non-empty slice left its own.
        int first = Array.FindIndex(parts, p => p.Count > 0);
        if (first >= 0 && replies[first].Positions is { } after)
        {
            for (int s = first + 1; s < replies.Length; s++)
                if (parts[s].Count > 0 && (replies[s].Positions is not { } other || !other.AsSpan().SequenceEqual(after)))
                    throw new ClusterException($"slices {first} and {s} left the dropout generators at different positions; every silo must run the same version of mtl on the same spec");
            DataParallel.SetRandomPositions(_model, after);
        }
        if (first >= 0 && buffers is not null)
        {
            if (replies[first].Buffers is not { } running || running.Length != buffers.Length)
                throw new ClusterException($"slice {first} came back from {replies[first].Silo} without the running statistics of the model's batch normalization; every silo must run the same version of mtl on the same spec");
            DataParallel.SetSynchronizedBuffers<float>(_model, running);
        }
        return (replies, fractions);
    }

    /// <summary>Gives a lost exchange up, so the slices still waiting there stop at once (best effort: they time out otherwise).</summary>
    private void Abort(string exchange, string reason)
    {
        try
        {
            _client.GetGrain<IStepExchangeGrain>(exchange).Abort(reason).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // The exchange cannot be reached either: the slices waiting there fail by themselves (their own calls or the timeout).
        }
    }

    /// <summary>Lets the step's exchange go (best effort: an exchange not reached is collected when idle).</summary>
    private void Release(string exchange)
    {
        try
        {
            _client.GetGrain<IStepExchangeGrain>(exchange).Release().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Releasing only frees the rounds' vectors early.
        }
    }

    /// <summary>Checks a reply's sizes and records its silo.</summary>
    private void Check(int s, TrainSliceReply reply, int gradientLength, int? reachedLength)
    {
        if (reply.Gradient.Length != gradientLength || reply.Losses.Length != _model.Tasks.Count
            || (reachedLength is int k && (reply.Reached?.Length != k || reply.AuxiliaryReached?.Length != _model.Parameters().Count)))
            throw new ClusterException($"slice {s} came back from {reply.Silo} with {reply.Gradient.Length} gradient values for {gradientLength}; every silo must run the same version of mtl on the same spec");
        if (_silos[s].Count == 0 || _silos[s][^1] != reply.Silo) _silos[s].Add(reply.Silo);
    }

    /// <summary>Deactivates the slices' grains (their replicas), best effort.</summary>
    public Task ReleaseAsync() => _scheduler.ReleaseAsync();
}
