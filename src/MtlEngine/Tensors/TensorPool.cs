using System.Numerics;

namespace MtlEngine.Tensors;

/// <summary>
/// The tensor and storage objects of a backward pass, reused from pass to pass on the same thread. While a pass runs
/// (<see cref="Open"/> … <see cref="Close"/>), every tensor an operation creates (<see cref="MtlTensor{T}.Create(TensorStorage{T}, int, ReadOnlySpan{int}, ReadOnlySpan{int})"/>)
/// and every host storage it rents (<see cref="TensorArena.RentStorage{T}"/>) is taken from here and recorded; when the
/// outermost pass closes, all of them come back.
/// </summary>
/// <remarks>
/// <para><b>Why this cannot bite.</b> The pool lends only to the inside of a backward pass, whose results are the
/// intermediate gradients: they live in the pass's own tables and never leave it. What a pass hands out is a copy made
/// with lending suspended (<see cref="Suspend"/>): a leaf's new <c>Grad</c>, or the results of <c>Grad.Of</c>; an existing
/// <c>Grad</c> is added into in place. So when the pass ends nothing outside it refers to the objects it borrowed: the pool
/// knows they are unreferenced, by construction, without asking the user to give anything back. The graph records no
/// node while the pass runs (it runs under no-grad), so no kept tensor can point at them either.</para>
/// <para>As a safety net, an object that comes back is retired: its storage reads as empty and reading a returned
/// tensor's elements throws <see cref="ArenaReuseException"/> (never stale or recycled values), until it is lent again.</para>
/// <para>Per thread and element type, nothing global; it affects allocation only, never values.</para>
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
internal static class TensorPool<T> where T : unmanaged, INumber<T>
{
    [ThreadStatic] private static State? t_state;

    internal sealed class State
    {
        public int Depth;
        public int Suspended;
        public readonly List<MtlTensor<T>> Lent = [];
        public readonly Stack<MtlTensor<T>> Free = new();
        public readonly List<CpuStorage<T>> LentStorages = [];
        public readonly Stack<CpuStorage<T>> FreeStorages = new();
        public bool IsLending => Depth > 0 && Suspended == 0;
    }

    /// <summary>A storage that tensors point at after they came back: empty, and reading it throws.</summary>
    private static readonly CpuStorage<T> s_retired = Retired();

    private static CpuStorage<T> Retired()
    {
        var storage = new CpuStorage<T>(Array.Empty<T>());
        storage.Retire();
        return storage;
    }

    /// <summary>True while this thread's pool lends (inside a backward pass, not suspended).</summary>
    public static bool IsLending => t_state is { } state && state.IsLending;

    /// <summary>The number of tensor objects lent since the outermost pass opened (tests).</summary>
    public static int LentCount => t_state?.Lent.Count ?? 0;

    /// <summary>Starts lending (a backward pass begins); passes may nest, and only the outermost one takes the objects back.</summary>
    public static void Open()
    {
        var state = t_state ??= new State();
        state.Depth++;
    }

    /// <summary>Ends a pass; when it is the outermost, every lent tensor and storage is retired and goes back to the pool.</summary>
    public static void Close()
    {
        var state = t_state!;
        if (--state.Depth > 0) return;
        foreach (var tensor in state.Lent)
        {
            tensor.Retire(s_retired);
            state.Free.Push(tensor);
        }
        state.Lent.Clear();
        foreach (var storage in state.LentStorages)
        {
            storage.Retire();
            state.FreeStorages.Push(storage);
        }
        state.LentStorages.Clear();
    }

    /// <summary>Stops lending until the returned scope is disposed: what is created meanwhile leaves the pass (a leaf's Grad).</summary>
    public static SuspendScope Suspend()
    {
        var state = t_state;
        if (state is not null) state.Suspended++;
        return new SuspendScope(state);
    }

    /// <summary>A tensor object to initialize, recorded as lent, or null when the pool is not lending.</summary>
    public static MtlTensor<T>? TakeTensor()
    {
        var state = t_state;
        if (state is null || !state.IsLending) return null;
        if (!state.Free.TryPop(out var tensor)) tensor = new MtlTensor<T>(s_retired, [0]); // an empty view: nothing to check against the retired storage
        state.Lent.Add(tensor);
        return tensor;
    }

    /// <summary>A storage object to point at an array, recorded as lent, or null when the pool is not lending.</summary>
    public static CpuStorage<T>? TakeStorage()
    {
        var state = t_state;
        if (state is null || !state.IsLending) return null;
        if (!state.FreeStorages.TryPop(out var storage)) storage = Retired();
        state.LentStorages.Add(storage);
        return storage;
    }

    /// <summary>The scope of <see cref="Suspend"/>.</summary>
    public readonly struct SuspendScope : IDisposable
    {
        private readonly State? _state;

        internal SuspendScope(State? state) => _state = state;

        /// <summary>Lends again (if the pool lent before).</summary>
        public void Dispose()
        {
            if (_state is not null) _state.Suspended--;
        }
    }
}
