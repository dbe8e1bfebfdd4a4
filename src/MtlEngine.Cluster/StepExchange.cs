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

    public async Task<double[][]?> AllGather(int participant, int participants, int round, double[] local, TimeSpan wait)
    {
        if (!_rounds.TryGetValue(round, out var r)) _rounds[round] = r = new Round(participants);
        if (r.Slots.Length != participants || participant < 0 || participant >= participants)
            throw new ArgumentException($"slice {participant} of {participants} joined round {round} of a step of {r.Slots.Length} slices; every silo must run the same version of mtl");
        if (r.Slots[participant] is null)
        {
            r.Slots[participant] = local;
            if (++r.Filled == participants) r.Done.SetResult(r.Slots!);
        }
        var first = await Task.WhenAny(r.Done.Task, Task.Delay(wait));
        return first == r.Done.Task ? r.Done.Task.Result : null;
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
/// its thread, so the slice's work runs off the grain's scheduler (<see cref="Task.Run(Action)"/>).
/// </summary>
internal sealed class ClusterCollective(IGrainFactory grains, string key, int participant, int participants, TimeSpan timeout) : ISliceCollective
{
    /// <summary>How long one call waits at the exchange before asking again (well under Orleans' 30 s response timeout).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    private int _round;

    public int Slice => participant;

    public int Slices => participants;

    public double[][] AllGather(double[] local)
    {
        var exchange = grains.GetGrain<IStepExchangeGrain>(key);
        int round = _round++;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (exchange.AllGather(participant, participants, round, local, Poll).GetAwaiter().GetResult() is { } all) return all;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"slice {participant} waited {timeout.TotalSeconds:0} s at round {round} of the step's batch statistics for the other {participants - 1} slices; a slice was lost, or the silos run different models");
        }
    }
}
