using System.Runtime.ExceptionServices;

namespace MtlEngine.Kernels;

/// <summary>One share of a fork–join loop (<see cref="ForkJoin.Run{TBody}"/>): a struct, so that a call allocates no closure.</summary>
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
/// The job object (one per body type) is reused: it goes back to a few spare slots when the last of the caller and its
/// queued work items is done with it, and a call that finds every spare taken (nested, concurrent, or work items that have not started yet) makes a new one.
/// An exception in a share is rethrown on the caller (the first one) after every claimed share has finished.
/// </remarks>
public static class ForkJoin
{
    /// <summary>Runs <paramref name="body"/> for every share in [0, <paramref name="shares"/>), on up to that many threads.</summary>
    public static void Run<TBody>(int shares, TBody body) where TBody : struct, IShareBody
    {
        if (shares <= 1)
        {
            if (shares == 1) body.Run(0);
            return;
        }
        var job = Job<TBody>.Take();
        job.Start(body, shares);
        for (int w = 1; w < shares; w++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        job.Work();
        job.Finish();
    }

    private sealed class Job<TBody> : IThreadPoolWorkItem where TBody : struct, IShareBody
    {
        private const int Spares = 8;
        private static readonly Job<TBody>?[] s_spares = new Job<TBody>?[Spares];

        private TBody _body;
        private int _shares, _next, _done, _holders;
        private ExceptionDispatchInfo? _failure;

        public static Job<TBody> Take()
        {
            for (int i = 0; i < Spares; i++)
                if (Interlocked.Exchange(ref s_spares[i], null) is { } spare) return spare;
            return new Job<TBody>();
        }

        public void Start(TBody body, int shares)
        {
            _body = body;
            _shares = shares;
            _next = 0;
            _done = 0;
            _failure = null;
            _holders = shares; // the caller and shares − 1 work items
        }

        /// <summary>A queued work item: claims shares (none if it starts late), then lets go of the job.</summary>
        public void Execute()
        {
            Work();
            Leave();
        }

        /// <summary>Claims and runs shares until none is left.</summary>
        public void Work()
        {
            while (true)
            {
                int share = Interlocked.Increment(ref _next) - 1;
                if (share >= _shares) return;
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

        /// <summary>The caller: waits for the shares other threads took, lets go of the job, and rethrows a failure.</summary>
        public void Finish()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < _shares) spin.SpinOnce(sleep1Threshold: -1);
            var failure = _failure;
            Leave();
            failure?.Throw();
        }

        private void Leave()
        {
            if (Interlocked.Decrement(ref _holders) != 0) return;
            _body = default; // keep no arrays alive
            _failure = null;
            for (int i = 0; i < Spares; i++)
                if (Interlocked.CompareExchange(ref s_spares[i], this, null) is null) return;
        }
    }
}
