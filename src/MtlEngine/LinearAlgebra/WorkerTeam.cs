using System.Runtime.ExceptionServices;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// A team of threads held for one computation made of many short fork–join phases (the recursion levels of a
/// factorization): the calling thread runs the body, the other members spin (then yield) between phases, so a phase
/// starts within microseconds instead of waking a sleeping thread-pool worker each time. On our 2-core machines such a
/// wake-up after a millisecond of sequential work cost 0.1–0.7 ms, as much as a whole phase of an n = 1024 Cholesky.
/// <para>
/// A phase is a fixed set of shares, claimed by whichever member is free; the caller claims shares too, so a member that
/// never starts (a busy thread pool) only makes the phase sequential, it cannot block it. Which member runs a share does
/// not change what the share computes, so results do not depend on the team size.
/// </para>
/// </summary>
internal sealed class WorkerTeam
{
    private Action<int>? _share;
    private int _shares;
    private int _next;
    private int _done;
    private int _phase;
    private int _stopped;
    private ExceptionDispatchInfo? _failure;

    private WorkerTeam(int size) => Size = size;

    /// <summary>The number of members (threads), the caller's included.</summary>
    public int Size { get; }

    /// <summary>Runs <paramref name="body"/> on the calling thread with a team of <paramref name="size"/> members.</summary>
    public static void Run(int size, Action<WorkerTeam> body)
    {
        var team = new WorkerTeam(Math.Max(1, size));
        if (team.Size == 1)
        {
            body(team);
            return;
        }
        ExceptionDispatchInfo? failure = null;
        // Parallel.For runs member 0 on the calling thread; the others are thread-pool threads serving phases until stopped.
        Parallel.For(0, team.Size, new ParallelOptions { MaxDegreeOfParallelism = team.Size }, member =>
        {
            if (member != 0)
            {
                team.Serve();
                return;
            }
            try
            {
                body(team);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Volatile.Write(ref team._stopped, 1);
            }
        });
        failure?.Throw();
    }

    /// <summary>
    /// One phase: <paramref name="share"/>(0 .. <paramref name="shares"/> − 1), each share once, on the members free to
    /// take it; returns when all are done. Called by the body only (member 0). An exception of a share is rethrown here.
    /// </summary>
    public void ForEachShare(int shares, Action<int> share)
    {
        if (Size == 1)
        {
            for (int s = 0; s < shares; s++) share(s);
            return;
        }
        // Publish: the counters and the work first, then the phase number (members read it first).
        _done = 0;
        _share = share;
        _shares = shares;
        Volatile.Write(ref _next, 0);
        Volatile.Write(ref _phase, _phase + 1);
        Work();
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < shares) spin.SpinOnce(sleep1Threshold: -1);
        var failure = Interlocked.Exchange(ref _failure, null);
        failure?.Throw();
    }

    /// <summary>Claims and runs shares of the current phase until none is left.</summary>
    private void Work()
    {
        int s;
        while ((s = Interlocked.Increment(ref _next) - 1) < Volatile.Read(ref _shares))
        {
            try
            {
                _share!(s);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                Interlocked.Increment(ref _done);
            }
        }
    }

    /// <summary>A member other than the caller: spin (yielding when the machine is busy) until a phase is posted, work, repeat.</summary>
    private void Serve()
    {
        int seen = 0;
        var spin = new SpinWait();
        while (Volatile.Read(ref _stopped) == 0)
        {
            int phase = Volatile.Read(ref _phase);
            if (phase != seen)
            {
                seen = phase;
                Work();
                spin = new SpinWait();
                continue;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
