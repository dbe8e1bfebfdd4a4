using System.Runtime.ExceptionServices;

namespace MtlEngine.Kernels;

/// <summary>One share of a fork–join loop (<see cref="ForkJoin.Run{TBody}(int, TBody)"/>): a struct, so that a call allocates no closure.</summary>
public interface IShareBody
{
    /// <summary>Runs share <paramref name="share"/> of the loop.</summary>
    void Run(int share);
}

/// <summary>
/// <c>Parallel.For(0, shares, body)</c> without allocating: the kernels' threaded loops run every training step, and
/// <c>Parallel.For</c> allocates its options, closure, delegate and tasks each call (a 2-thread training step allocated
/// several times what one thread did). The caller queues one thread-pool work item per extra share, then claims shares
/// itself until none is left, and waits for the shares other threads took. A work item that starts late finds nothing
/// to claim, so a busy pool makes the loop sequential, never blocked. Which thread runs a share does not change what
/// the share computes, so results do not depend on the thread count or timing.
/// </summary>
/// <remarks>
/// The job object (one per body type) is reused: the caller hands it back to a few spare slots as soon as its loop is
/// done, even while work items it queued have not started. Such a work item belongs to the job, not to one loop: when it
/// starts it helps whichever loop the job runs then, or finds nothing to claim and leaves; and a loop queues only the
/// work items the job lacks (shares − 1 less those still queued). So a busy pool makes no new job objects (it made one a
/// loop while the earlier loops' work items waited: 6 to 20 KB a CNN step on 2 threads of a loaded machine). A claim is
/// one compare-exchange of the loop's (shares, next share) word, so a late work item can only claim a share of the loop
/// that published that word, with that loop's body; a nested or concurrent call that finds every spare taken makes a new job.
/// An exception in a share is rethrown on the caller (the first one) after every claimed share has finished.
/// </remarks>
public static class ForkJoin
{
    /// <summary>Runs <paramref name="body"/> for every share in [0, <paramref name="shares"/>), on up to that many threads.</summary>
    public static void Run<TBody>(int shares, TBody body) where TBody : struct, IShareBody => Run(shares, body, queue: null);

    /// <summary>
    /// As <see cref="Run{TBody}(int, TBody)"/>, with the work items handed to <paramref name="queue"/> instead of the thread
    /// pool (null: the pool): tests hold them back to start them late.
    /// </summary>
    internal static void Run<TBody>(int shares, TBody body, Action<IThreadPoolWorkItem>? queue) where TBody : struct, IShareBody
    {
        if (shares <= 1)
        {
            if (shares == 1) body.Run(0);
            return;
        }
        var job = Job<TBody>.Take();
        int missing = job.Start(body, shares);
        for (int w = 0; w < missing; w++)
        {
            if (queue is null) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
            else queue(job);
        }
        job.Work();
        job.Finish();
    }

    private sealed class Job<TBody> : IThreadPoolWorkItem where TBody : struct, IShareBody
    {
        private const int Spares = 8;
        private static readonly Job<TBody>?[] s_spares = new Job<TBody>?[Spares];

        private TBody _body;
        private long _claims; // the loop's shares (high 32 bits) and next share (low 32 bits): one word, claimed by compare-exchange
        private int _done, _queued;
        private ExceptionDispatchInfo? _failure;

        public static Job<TBody> Take()
        {
            for (int i = 0; i < Spares; i++)
                if (Interlocked.Exchange(ref s_spares[i], null) is { } spare) return spare;
            return new Job<TBody>();
        }

        /// <summary>Publishes a loop (the body before the claims word, so that a claim sees its body); returns the work items to queue.</summary>
        public int Start(TBody body, int shares)
        {
            _body = body;
            _failure = null;
            Volatile.Write(ref _done, 0);
            Interlocked.Exchange(ref _claims, (long)shares << 32);
            // Work items still queued from earlier loops will help this one (a work item that starts after this read decrements
            // _queued after it, so it sees this loop's claims).
            int missing = Math.Max(0, shares - 1 - Volatile.Read(ref _queued));
            Interlocked.Add(ref _queued, missing);
            return missing;
        }

        /// <summary>A queued work item: claims shares of whichever loop the job runs now (none if it is done), then leaves.</summary>
        public void Execute()
        {
            Interlocked.Decrement(ref _queued);
            Work();
        }

        /// <summary>Claims and runs shares until none is left.</summary>
        public void Work()
        {
            while (true)
            {
                long claims = Volatile.Read(ref _claims);
                int shares = (int)(claims >> 32), share = (int)claims;
                if (share >= shares) return;
                if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) != claims) continue;
                try
                {
                    _body.Run(share);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                }
                Interlocked.Increment(ref _done);
            }
        }

        /// <summary>The caller: waits for the shares other threads took, hands the job back to a spare slot, and rethrows a failure.</summary>
        public void Finish()
        {
            int shares = (int)(Volatile.Read(ref _claims) >> 32);
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < shares) spin.SpinOnce(sleep1Threshold: -1);
            var failure = _failure;
            _body = default; // keep no arrays alive (every share is done, and none is left to claim)
            _failure = null;
            for (int i = 0; i < Spares; i++)
                if (Interlocked.CompareExchange(ref s_spares[i], this, null) is null) break;
            failure?.Throw();
        }
    }
}
