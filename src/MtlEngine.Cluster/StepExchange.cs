using System.Diagnostics;
using MtlEngine.Nn;
using Orleans.Concurrency;

namespace MtlEngine.Cluster;

/// <summary>
/// The meeting point of one synchronized data-parallel step's slices (<see cref="ISliceCollective"/> over the cluster): each
/// slice's grain sends its vector of round r, and every slice gets all K vectors of round r in slice order once the last has
/// come. The key is "run/step"; rounds are numbered per slice in call order (every slice makes the same calls). A finished
/// round stays, so a slice run again on another silo (its first silo died mid-step) replays the rounds already done and gets
/// their results at once — its own vectors are the lost slice's, bit for bit, as both compute the same thing.
/// </summary>
public interface IStepExchangeGrain : IGrainWithStringKey
{
    /// <summary>
    /// Gives slice <paramref name="participant"/>'s vector of round <paramref name="round"/> and returns every slice's, in
    /// slice order, or null when not all have come within <paramref name="wait"/> (ask again: a long poll, so no call waits
    /// past Orleans' response timeout).
    /// </summary>
    Task<double[][]?> AllGather(int participant, int participants, int round, double[] local, TimeSpan wait);

    /// <summary>Forgets the step's rounds and deactivates (the coordinator calls it once the step's replies are in).</summary>
    Task Release();

    /// <summary>
    /// Gives the exchange up: every <see cref="AllGather"/> waiting now or called later fails with <paramref name="reason"/>.
    /// The coordinator calls it when a slice could not reach the step's exchange (its silo died and a fresh activation knows
    /// no rounds), so the slices still waiting stop at once and the step is run again on a fresh exchange.
    /// </summary>
    Task Abort(string reason);
}

/// <summary>The silo side of <see cref="IStepExchangeGrain"/>: reentrant, so the K slices' calls of a round wait together.</summary>
[Reentrant]
internal sealed class StepExchangeGrain : Grain, IStepExchangeGrain
{
    private sealed class Round(int participants)
    {
        public double[]?[] Slots { get; } = new double[participants][];
        public int Filled { get; set; }
        public TaskCompletionSource<double[][]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Dictionary<int, Round> _rounds = [];
    private readonly TaskCompletionSource<string> _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<double[][]?> AllGather(int participant, int participants, int round, double[] local, TimeSpan wait)
    {
        if (_aborted.Task.IsCompleted) throw new InvalidOperationException($"the step's exchange was given up: {_aborted.Task.Result}");
        if (!_rounds.TryGetValue(round, out var r)) _rounds[round] = r = new Round(participants);
        if (r.Slots.Length != participants || participant < 0 || participant >= participants)
            throw new ArgumentException($"slice {participant} of {participants} joined round {round} of a step of {r.Slots.Length} slices; every silo must run the same version of mtl");
        if (r.Slots[participant] is null)
        {
            r.Slots[participant] = local;
            if (++r.Filled == participants) r.Done.SetResult(r.Slots!);
        }
        var first = await Task.WhenAny(r.Done.Task, _aborted.Task, Task.Delay(wait));
        if (first == _aborted.Task) throw new InvalidOperationException($"the step's exchange was given up: {_aborted.Task.Result}");
        return first == r.Done.Task ? r.Done.Task.Result : null;
    }

    public Task Abort(string reason)
    {
        _aborted.TrySetResult(reason);
        return Task.CompletedTask;
    }

    public Task Release()
    {
        _rounds.Clear();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

/// <summary>
/// A slice's <see cref="ISliceCollective"/> on a silo: every <see cref="AllGather"/> is the next round of the step's
/// <see cref="IStepExchangeGrain"/>, polled until every slice has come or <paramref name="timeout"/> has passed. It blocks
/// its thread, so the slice's work runs off the grain's scheduler (<see cref="Task.Run(Action)"/>). A call that fails (the
/// exchange's silo died, the exchange was given up) or a wait past the timeout throws <see cref="ExchangeLostException"/>,
/// which the slice reports so that the coordinator runs the step again on a fresh exchange.
/// </summary>
internal sealed class ClusterCollective(IGrainFactory grains, string key, int participant, int participants, TimeSpan timeout) : ISliceCollective
{
    /// <summary>How long one call waits at the exchange before asking again (well under Orleans' 30 s response timeout).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    private int _round;

    public int Slice => participant;

    public int Slices => participants;

    /// <summary>The payload bytes this slice moved through the exchange: 8 per value sent (every poll sends its vector) and received.</summary>
    public long Bytes { get; private set; }

    public double[][] AllGather(double[] local)
    {
        var exchange = grains.GetGrain<IStepExchangeGrain>(key);
        int round = _round++;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            double[][]? all;
            try
            {
                Bytes += 8L * local.Length;
                all = exchange.AllGather(participant, participants, round, local, Poll).GetAwaiter().GetResult();
            }
            catch (Exception error)
            {
                throw new ExchangeLostException($"slice {participant} lost the step's exchange {key} at round {round}: {error.GetBaseException().Message}", error);
            }
            if (all is not null)
            {
                foreach (var part in all) Bytes += 8L * part.Length;
                return all;
            }
            if (clock.Elapsed > timeout)
                throw new ExchangeLostException($"slice {participant} waited {timeout.TotalSeconds:0} s at round {round} of the step's exchange {key} for the other {participants - 1} slices; a slice was lost, or the silos run different models");
        }
    }
}

/// <summary>A slice could not complete a round of its step's exchange (<see cref="ClusterCollective"/>): the step is run again on a fresh exchange.</summary>
internal sealed class ExchangeLostException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary><paramref name="error"/> or the first of its inner exceptions that is an <see cref="ExchangeLostException"/>, else null.</summary>
    public static ExchangeLostException? Find(Exception? error) => error switch
    {
        null => null,
        ExchangeLostException lost => lost,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(e => e is not null),
        _ => Find(error.InnerException),
    };
}
