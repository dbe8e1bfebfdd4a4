using System.Numerics;

namespace MtlEngine.Tensors;

/// <summary>
/// Buffer reuse for loops that repeat the same computation (a training step): inside <c>using (arena.Step())</c>
/// every new result of a tensor operation takes, request by request, the buffer that the same request got in the
/// previous step (when the length matches; otherwise a new one, kept for the next step). After the first step a
/// loop of fixed shapes allocates no new large arrays.
/// </summary>
/// <remarks>
/// The price is a lifetime rule, which the arena enforces: a tensor computed inside a step is valid only until the next step of the same
/// arena begins (reading it after that throws <see cref="ArenaReuseException"/> instead of returning what a later step wrote) (a tensor on a GPU device: until the step ends, when its buffer goes back to the device pool). Copy (Clone outside a step) or read (Item, ToArray) whatever must outlive it. Parameters,
/// their gradients and optimizer state are not results of operations and are never taken from the arena.
/// The arena belongs to one thread's loop; steps may not be nested on the same arena.
/// The open step is found through a thread-static: it affects memory and lifetimes only, never values (outside an
/// arena a result's array is just as uninitialized, so every operation writes all of it either way).
/// </remarks>
public sealed class TensorArena
{
    [ThreadStatic] private static TensorArena? t_current;

    private readonly List<Array?> _buffers = [];
    private readonly List<IDisposable> _deviceStorages = [];
    private int _next;
    private bool _active;
    private long _stepNumber;

    /// <summary>The number of the current (or last) step: 1 for the first. Tensors lent by an earlier step are no longer valid.</summary>
    public long StepNumber => _stepNumber;

    /// <summary>Bytes held by the arena's buffers.</summary>
    public long HeldBytes => _buffers.Sum(b => b is null ? 0L : (long)b.Length * System.Runtime.InteropServices.Marshal.SizeOf(b.GetType().GetElementType()!));

    /// <summary>Starts a step on this thread: results of tensor operations reuse the previous step's buffers until the scope is disposed.</summary>
    /// <exception cref="InvalidOperationException">When a step of this arena is already open.</exception>
    public ArenaStep Step()
    {
        if (_active) throw new InvalidOperationException("This arena already has an open step; dispose it before starting the next.");
        _active = true;
        _next = 0;
        _stepNumber++;
        var previous = t_current;
        t_current = this;
        return new ArenaStep(this, previous);
    }

    /// <summary>
    /// Uninitialized host storage of <paramref name="length"/> elements for a result: from the current step's arena when
    /// there is one (stamped with the step, so that use after the next step throws), else new.
    /// </summary>
    internal static CpuStorage<T> RentStorage<T>(int length) where T : unmanaged, INumber<T>
    {
        var arena = t_current;
        var data = Rent<T>(length);
        if (TensorPool<T>.TakeStorage() is { } pooled) // inside a backward pass: the storage object itself is reused too
        {
            pooled.Lend(data, arena, arena is null ? 0 : arena._stepNumber);
            return pooled;
        }
        return arena is null ? new CpuStorage<T>(data) : new CpuStorage<T>(data, arena, arena._stepNumber);
    }

    /// <summary>The arena named by a storage that went back to the backward pass's pool: its step never matches, so reading throws.</summary>
    internal static readonly TensorArena Retired = new();

    /// <summary>An uninitialized array of <paramref name="length"/> elements: from the current step's arena when there is one, else new.
    /// Scratch only: a result tensor's storage comes from <see cref="RentStorage{T}"/>.</summary>
    internal static T[] Rent<T>(int length) where T : unmanaged, INumber<T>
    {
        var arena = t_current;
        if (arena is null) return GC.AllocateUninitializedArray<T>(length);
        int slot = arena._next++;
        if (slot < arena._buffers.Count && arena._buffers[slot] is T[] reused && reused.Length == length) return reused;
        var fresh = GC.AllocateUninitializedArray<T>(length);
        if (slot < arena._buffers.Count) arena._buffers[slot] = fresh; else arena._buffers.Add(fresh);
        return fresh;
    }

    /// <summary>
    /// Takes a device storage created during this thread's open step (if any): it goes back to its device pool when the
    /// step ends. Device buffers come from the device's own pool, so a step of fixed shapes stops allocating device
    /// memory after its first step, as host memory does with the arena.
    /// </summary>
    internal static void AdoptDeviceStorage(IDisposable storage)
    {
        if (t_current is { } arena) arena._deviceStorages.Add(storage);
    }

    /// <summary>The scope of one step; disposing it ends the step.</summary>
    public readonly struct ArenaStep : IDisposable
    {
        private readonly TensorArena _arena;
        private readonly TensorArena? _previous;

        internal ArenaStep(TensorArena arena, TensorArena? previous)
        {
            _arena = arena;
            _previous = previous;
        }

        /// <summary>Ends the step and restores the arena that was current before it (if any).</summary>
        public void Dispose()
        {
            if (_arena is null) return;
            _arena._active = false;
            t_current = _previous;
            foreach (var storage in _arena._deviceStorages) storage.Dispose();
            _arena._deviceStorages.Clear();
        }
    }
}
