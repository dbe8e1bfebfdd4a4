namespace MtlEngine.Tensors;

/// <summary>
/// Releases device memory deterministically for a block of code: every <see cref="GpuStorage{T}"/> created while
/// the scope is the innermost one on this async flow goes back to its pool when the scope is disposed, except the
/// storages of tensors passed to <see cref="Keep{T}"/> (which move to the enclosing scope, or survive when there
/// is none). A training step written as
/// <code>
/// using (var scope = DeviceMemoryScope.Begin())
/// {
///     var loss = Step(batch);           // intermediates (activations, gradients) are released at the end
///     scope.Keep(newWeights);           // what the next step needs stays
/// }
/// </code>
/// reuses the same pooled buffers every step instead of allocating new ones. A <see cref="TensorArena"/> step does the
/// same for the device tensors created in it when no scope is open. Scopes nest; tensors created
/// outside any scope are released only by <see cref="MtlTensor{T}.ReleaseDeviceMemory"/>. A tensor whose
/// storage was released must not be used again.
/// The innermost scope flows with the async context (not the thread): it affects device memory and lifetimes only,
/// never values.
/// </summary>
public sealed class DeviceMemoryScope : IDisposable
{
    private static readonly AsyncLocal<DeviceMemoryScope?> Innermost = new();

    private readonly DeviceMemoryScope? _parent;
    private readonly List<IDisposable> _owned = [];
    private bool _disposed;

    private DeviceMemoryScope(DeviceMemoryScope? parent) => _parent = parent;

    /// <summary>Opens a scope nested in the current one (if any); dispose it to release what was created inside.</summary>
    public static DeviceMemoryScope Begin()
    {
        var scope = new DeviceMemoryScope(Innermost.Value);
        Innermost.Value = scope;
        return scope;
    }

    /// <summary>The number of device storages this scope will release.</summary>
    public int Count
    {
        get { lock (_owned) return _owned.Count; }
    }

    /// <summary>Keeps <paramref name="tensor"/>'s storage alive past this scope (it moves to the enclosing scope). Returns the tensor.</summary>
    public MtlTensor<T> Keep<T>(MtlTensor<T> tensor) where T : unmanaged, System.Numerics.INumber<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Storage is GpuStorage<T> storage)
        {
            bool removed;
            lock (_owned) removed = _owned.Remove(storage);
            if (removed) _parent?.Track(storage);
        }
        return tensor;
    }

    /// <summary>
    /// Called by <see cref="GpuStorage{T}"/> when it is created: the innermost scope takes ownership, or, when there is
    /// none, the open <see cref="TensorArena"/> step of this thread (released when the step ends).
    /// </summary>
    internal static void Adopt(IDisposable storage)
    {
        if (Innermost.Value is { } scope) scope.Track(storage);
        else TensorArena.AdoptDeviceStorage(storage);
    }

    private void Track(IDisposable storage)
    {
        lock (_owned)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _owned.Add(storage);
        }
    }

    /// <summary>Returns every storage created in this scope (and not kept) to its pool, and ends the scope.</summary>
    /// <exception cref="InvalidOperationException">When an inner scope is still open (scopes must close innermost first).</exception>
    public void Dispose()
    {
        if (_disposed) return;
        if (Innermost.Value != this)
            throw new InvalidOperationException("A DeviceMemoryScope was disposed while an inner scope was still open; dispose scopes innermost first (use 'using').");
        List<IDisposable> owned;
        lock (_owned)
        {
            _disposed = true;
            owned = [.. _owned];
            _owned.Clear();
        }
        Innermost.Value = _parent;
        foreach (var storage in owned) storage.Dispose();
    }
}
