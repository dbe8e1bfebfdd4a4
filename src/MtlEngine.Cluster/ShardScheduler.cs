using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace MtlEngine.Cluster;

/// <summary>How a cluster fit spreads its shards and how long it waits.</summary>
public sealed record ClusterFitOptions
{
    /// <summary>How long one shard call may take (reading and reducing one shard, or one gradient); default 10 minutes.</summary>
    public TimeSpan ShardTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How many silos a shard is tried on before the fit fails (default 3).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>
    /// The working set a silo may use to read one statistics shard (ridge, PCA, CCA), which it reads in row blocks; default
    /// <see cref="Learn.OutOfCore.DefaultMemoryBudget"/> (256 MiB).
    /// </summary>
    public long MemoryBudget { get; init; } = Learn.OutOfCore.DefaultMemoryBudget;

    /// <summary>Shards one silo works on at once (default 1: each shard uses the silo's cores itself).</summary>
    public int ShardsPerSilo { get; init; } = 1;

    /// <summary>Called (and awaited) after each shard call ends, in the worker that made it; null for none.</summary>
    public Func<ShardEvent, Task>? OnEvent { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">When a value is out of range.</exception>
    public void Validate()
    {
        if (ShardTimeout <= TimeSpan.Zero) throw new ArgumentException($"the shard timeout must be positive, but is {ShardTimeout}");
        if (MaxAttempts < 1) throw new ArgumentException($"the number of attempts per shard must be at least 1, but is {MaxAttempts}");
        if (ShardsPerSilo < 1) throw new ArgumentException($"the shards per silo must be at least 1, but is {ShardsPerSilo}");
        if (MemoryBudget < 1) throw new ArgumentException($"the memory budget must be positive, but is {MemoryBudget} bytes");
    }
}

/// <summary>One shard call that ended: where it ran and how.</summary>
/// <param name="Round">The round (0 for statistics; logistic regression: 0 loads, then one round per evaluation).</param>
/// <param name="Shard">The shard.</param>
/// <param name="Silo">The silo the call went to (HOST:PORT).</param>
/// <param name="Succeeded">True when the shard's result came back; false when the silo failed or timed out.</param>
/// <param name="Attempt">The shard's failed attempts before this call.</param>
/// <param name="Message">Why the call failed, or null.</param>
public sealed record ShardEvent(int Round, ShardFiles Shard, string Silo, bool Succeeded, int Attempt, string? Message);

/// <summary>
/// Runs rounds of one call per shard over the live silos, the way Spark schedules tasks: each silo has workers that take
/// the next shard from a shared queue, so faster silos take more shards, and a shard whose call fails (the silo died,
/// the call timed out) goes back to the queue for another silo, while the failed silo gets no more work in this fit.
/// A shard stays on the silo that first ran it (its "home") for later rounds, where logistic regression keeps its rows in
/// memory; when the home fails, every shard homed there gets a new grain generation (a fresh key) placed on a live silo
/// through Orleans' placement hint, so nothing waits for the cluster to declare the dead silo dead. Results come back in
/// shard order, whoever computed them, so a merge over them does not depend on the schedule.
/// <para>
/// A round starts even: no worker takes a second shard before every worker of the round has taken its first (or found none),
/// so K shards on K silos get one each however late a busy machine starts a silo's worker; after that, first come, first served.
/// </para>
/// <para>
/// Nothing waits forever: each call is bounded by <see cref="ClusterFitOptions.ShardTimeout"/>, each shard by
/// <see cref="ClusterFitOptions.MaxAttempts"/>, and a round ends when every shard is done or the fit has failed.
/// </para>
/// </summary>
internal sealed class ShardScheduler
{
    private sealed record Silo(SiloAddress Address, string Name)
    {
        public bool Alive { get; set; } = true;
    }

    private readonly IClusterClient _client;
    private readonly string _fitId;
    private readonly IReadOnlyList<ShardFiles> _shards;
    private readonly ClusterFitOptions _options;
    private readonly List<Silo> _silos = [];
    private readonly int[] _home;        // silo index per shard, −1 when none yet (or its silo failed)
    private readonly int[] _generation;  // grain key generation per shard
    private readonly int[] _failures;    // failed attempts per shard over the whole fit
    private readonly object _lock = new();
    private readonly List<CancellationTokenSource> _gone = []; // cancelled when the cluster no longer lists the silo as active
    private int _round = -1;

    /// <summary>How often a round asks the cluster which silos are still active (a killed silo's calls fail then, not at the timeout).</summary>
    public static readonly TimeSpan WatchPeriod = TimeSpan.FromSeconds(5);

    private ShardScheduler(IClusterClient client, IReadOnlyList<ShardFiles> shards, ClusterFitOptions options)
    {
        _client = client;
        _shards = shards;
        _options = options;
        _fitId = Guid.NewGuid().ToString("N");
        _home = Enumerable.Repeat(-1, shards.Count).ToArray();
        _generation = new int[shards.Count];
        _failures = new int[shards.Count];
    }

    /// <summary>The silos that were active when the fit started (HOST:PORT).</summary>
    public IReadOnlyList<string> Silos => _silos.Select(s => s.Name).ToArray();

    /// <summary>Asks the cluster for its active silos and prepares a schedule over them.</summary>
    public static async Task<ShardScheduler> CreateAsync(IClusterClient client, IReadOnlyList<ShardFiles> shards, ClusterFitOptions options)
    {
        options.Validate();
        if (shards.Count == 0) throw new ArgumentException("--x: give at least one shard file");
        var scheduler = new ShardScheduler(client, shards, options);
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(options.ShardTimeout);
        foreach (var address in hosts.Keys.OrderBy(a => a.ToString(), StringComparer.Ordinal))
        {
            scheduler._silos.Add(new Silo(address, address.Endpoint.ToString()));
            scheduler._gone.Add(new CancellationTokenSource());
        }
        if (scheduler._silos.Count == 0) throw new ClusterException("the cluster has no active silo; start one with 'mtl cluster silo'");
        return scheduler;
    }

    /// <summary>
    /// Gives every shard without a home one on a live silo, each to the silo with the fewest shards homed so far (the first
    /// in silo order on a tie), so the next round starts balanced: K shards on K silos get one each, whichever silo's worker
    /// starts first. Without it the first round is first come, first served, and a silo whose worker starts early (or is
    /// fast) can take a second shard before a slower silo takes its first, and keeps both as their home for later rounds
    /// (data-parallel training calls it before every step, so each slice has its own silo while there are enough).
    /// </summary>
    public void Spread()
    {
        lock (_lock)
        {
            var alive = Enumerable.Range(0, _silos.Count).Where(s => _silos[s].Alive).ToArray();
            if (alive.Length == 0) return;
            var load = new int[_silos.Count];
            foreach (int home in _home)
                if (home >= 0) load[home]++;
            for (int shard = 0; shard < _home.Length; shard++)
            {
                if (_home[shard] >= 0) continue;
                int best = alive[0];
                foreach (int silo in alive)
                    if (load[silo] < load[best]) best = silo;
                _home[shard] = best;
                load[best]++;
            }
        }
    }

    /// <summary>
    /// Runs one call per shard and returns the replies in shard order. A reply with an error (bad data) ends the fit with
    /// that error; a failed call is retried on another silo.
    /// </summary>
    /// <exception cref="ClusterException">When a shard's data are bad, a shard failed on <see cref="ClusterFitOptions.MaxAttempts"/> silos, or no silo is left.</exception>
    public async Task<T[]> RunAsync<T>(Func<IShardGrain, ShardFiles, Task<T>> call) where T : class, IShardReply
    {
        Round<T> round;
        List<Task> workers;
        lock (_lock)
        {
            if (!_silos.Any(s => s.Alive)) throw new ClusterException($"every silo of the cluster ({string.Join(", ", Silos)}) failed during the fit");
            var alive = _silos.Select((silo, index) => (silo, index)).Where(p => p.silo.Alive).ToList();
            var started = round = new Round<T>(this, Interlocked.Increment(ref _round), alive.Count * _options.ShardsPerSilo);
            workers = alive.SelectMany(p => Enumerable.Range(0, _options.ShardsPerSilo).Select(_ => Task.Run(() => started.WorkAsync(p.index, call)))).ToList();
        }
        using (var done = new CancellationTokenSource())
        {
            var watch = WatchAsync(done.Token);
            await Task.WhenAll(workers);
            done.Cancel();
            await watch;
        }
        if (round.Failure is not null) throw round.Failure;
        return round.Results;
    }

    // Orleans fails a call to a silo that died only once its response timeout passes; the membership notices sooner
    // (missed probes): every WatchPeriod, the calls in flight on silos no longer active are given up, to run elsewhere.
    private async Task WatchAsync(CancellationToken done)
    {
        var management = _client.GetGrain<IManagementGrain>(0);
        while (true)
        {
            Dictionary<SiloAddress, SiloStatus> active;
            try
            {
                await Task.Delay(WatchPeriod, done);
                active = await management.GetHosts(onlyActive: true).WaitAsync(WatchPeriod, done);
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (!done.IsCancellationRequested)
            {
                continue; // the membership could not be read this time (the gateway is busy or moving): ask again next period
            }
            for (int s = 0; s < _silos.Count; s++)
                if (!active.ContainsKey(_silos[s].Address)) await _gone[s].CancelAsync();
        }
    }

    /// <summary>Deactivates the shard grains of this fit (best effort: a silo that is gone has nothing to release).</summary>
    public async Task ReleaseAsync()
    {
        var releases = new List<Task>();
        for (int shard = 0; shard < _shards.Count; shard++)
            if (_home[shard] >= 0 && _silos[_home[shard]].Alive) releases.Add(Grain(shard).Release());
        try
        {
            await Task.WhenAll(releases).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // Releasing only frees memory early; an activation we cannot reach is collected when idle (10 minutes).
        }
    }

    private IShardGrain Grain(int shard) => _client.GetGrain<IShardGrain>($"{_fitId}/{shard}/{_generation[shard]}");

    /// <summary>One round: the queue of shards still to run, their results, and the first failure.</summary>
    private sealed class Round<T>(ShardScheduler owner, int number, int workers) where T : class, IShardReply
    {
        private readonly List<int> _pending = Enumerable.Range(0, owner._shards.Count).ToList();
        private int _inFlight;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _starting = workers; // workers that have not yet taken their first shard (or found none)
        private readonly TaskCompletionSource _allStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public T[] Results { get; } = new T[owner._shards.Count];

        public ClusterException? Failure { get; private set; }

        public async Task WorkAsync(int silo, Func<IShardGrain, ShardFiles, Task<T>> call)
        {
            bool first = true;
            while (true)
            {
                int shard;
                Task changed;
                IShardGrain grain;
                Task? others = null;
                lock (owner._lock)
                {
                    if (Failure is not null || !owner._silos[silo].Alive)
                    {
                        if (first) Started();
                        return;
                    }
                    if (owner._gone[silo].IsCancellationRequested)
                    {
                        LoseSilo(silo); // the cluster dropped it since the last round: its shards move before any call
                        Signal();
                        if (first) Started();
                        return;
                    }
                    if (!first && _starting > 0)
                    {
                        others = _allStarted.Task; // a second shard only once every worker has had its first
                        shard = -1;
                        changed = Task.CompletedTask;
                        grain = null!;
                    }
                    else
                    {
                        shard = Take(silo);
                        if (first)
                        {
                            first = false;
                            Started();
                        }
                        changed = _changed.Task;
                        if (shard < 0 && _pending.Count == 0 && _inFlight == 0) return;
                        if (shard >= 0)
                        {
                            _inFlight++;
                            owner._home[shard] = silo;
                            grain = owner.Grain(shard);
                        }
                        else grain = null!;
                    }
                }
                if (others is not null)
                {
                    await others;
                    continue;
                }
                if (shard < 0)
                {
                    await changed; // another worker finished or failed a shard: look again
                    continue;
                }
                await RunOneAsync(silo, shard, grain, call);
            }
        }

        // One more worker has made its first take (caller holds the lock).
        private void Started()
        {
            if (--_starting == 0) _allStarted.SetResult();
        }

        // The first pending shard homed on this silo, else the first with no home; −1 when none (caller holds the lock).
        private int Take(int silo)
        {
            int at = _pending.FindIndex(s => owner._home[s] == silo);
            if (at < 0) at = _pending.FindIndex(s => owner._home[s] < 0);
            if (at < 0) return -1;
            int shard = _pending[at];
            _pending.RemoveAt(at);
            return shard;
        }

        private async Task RunOneAsync(int silo, int shard, IShardGrain grain, Func<IShardGrain, ShardFiles, Task<T>> call)
        {
            var files = owner._shards[shard];
            string siloName = owner._silos[silo].Name;
            T? reply = null;
            Exception? failed = null;
            try
            {
                // A new activation goes to this silo (Orleans honours the hint while the silo is active).
                RequestContext.Set(IPlacementDirector.PlacementHintKey, owner._silos[silo].Address);
                reply = await call(grain, files).WaitAsync(owner._options.ShardTimeout, owner._gone[silo].Token);
            }
            catch (OperationCanceledException error) when (owner._gone[silo].IsCancellationRequested)
            {
                failed = new SiloUnavailableException($"the silo {siloName} left the cluster (its membership status is no longer active)", error);
            }
            catch (Exception error)
            {
                failed = error is TimeoutException
                    ? new TimeoutException($"no answer within {owner._options.ShardTimeout.TotalSeconds:0.#} s (raise --shard-timeout for shards this large)", error)
                    : error;
            }
            finally
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }

            int attempt;
            lock (owner._lock)
            {
                _inFlight--;
                attempt = owner._failures[shard];
                if (reply is not null) Completed(silo, shard, reply);
                else Failed(silo, shard, failed!);
                Signal();
            }
            if (owner._options.OnEvent is { } onEvent)
                await onEvent(new ShardEvent(number, files, reply?.Silo ?? siloName, reply is not null, attempt,
                    failed is null ? null : failed.GetBaseException().Message));
        }

        // Caller holds the lock.
        private void Completed(int silo, int shard, T reply)
        {
            if (reply.Error is not null)
            {
                Failure ??= new ClusterException(reply.Error);
                return;
            }
            Results[shard] = reply;
            if (!owner._silos[silo].Alive)
            {
                // The silo was lost while this call was in flight (another worker's call failed): the result stands, the
                // shard moves on for later rounds.
                owner._home[shard] = -1;
                owner._generation[shard]++;
                return;
            }
            // Orleans placed the grain elsewhere only if this silo is no longer active: keep the shard where it ran and
            // give this silo no more work.
            if (reply.Silo != owner._silos[silo].Name)
            {
                int actual = owner._silos.FindIndex(s => s.Name == reply.Silo);
                owner._home[shard] = actual;
                if (actual < 0) owner._generation[shard]++;
                LoseSilo(silo);
            }
        }

        // Caller holds the lock.
        private void Failed(int silo, int shard, Exception error)
        {
            owner._failures[shard]++;
            LoseSilo(silo);
            if (owner._failures[shard] >= owner._options.MaxAttempts)
            {
                Failure ??= new ClusterException(
                    $"{owner._shards[shard]} failed on {owner._failures[shard]} silo{(owner._failures[shard] == 1 ? "" : "s")}; the last, {owner._silos[silo].Name}: {error.GetBaseException().Message}", error);
                return;
            }
            _pending.Add(shard);
            _pending.Sort();
            if (!owner._silos.Any(s => s.Alive))
                Failure ??= new ClusterException($"every silo of the cluster ({string.Join(", ", owner.Silos)}) failed during the fit; the last error: {error.GetBaseException().Message}", error);
        }

        // The silo gets no more work in this fit; its shards get a fresh grain generation with no home (caller holds the lock).
        private void LoseSilo(int silo)
        {
            owner._silos[silo].Alive = false;
            for (int s = 0; s < owner._home.Length; s++)
                if (owner._home[s] == silo)
                {
                    owner._home[s] = -1;
                    owner._generation[s]++;
                }
        }

        private void Signal()
        {
            var old = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            old.SetResult();
        }
    }
}
