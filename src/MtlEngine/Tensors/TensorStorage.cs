namespace MtlEngine.Tensors;

/// <summary>
/// The flat buffer behind one or more tensors (a tensor is a view: storage + offset + shape + strides).
/// This is the device seam: <see cref="CpuStorage{T}"/> holds a managed array; a GPU storage will hold an
/// ILGPU buffer. Code that needs host memory asks for <see cref="CpuStorage{T}"/> and gets a clear error
/// for any other device.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public abstract class TensorStorage<T> where T : unmanaged
{
    /// <summary>The device this storage lives on.</summary>
    public abstract Device Device { get; }

    /// <summary>The number of elements in the buffer.</summary>
    public abstract long Length { get; }
}

/// <summary>Storage in host memory: a managed array.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class CpuStorage<T> : TensorStorage<T> where T : unmanaged
{
    private T[] _data;          // these three change only for a storage of the backward pass's pool (TensorPool), when it is lent again
    private TensorArena? _arena; // the arena whose step lent the array, or null
    private long _step;          // that step's number: the array is ours only while the arena is still in it

    /// <summary>Wraps an existing array without copying it.</summary>
    public CpuStorage(T[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
    }

    /// <summary>Wraps an array lent by <paramref name="arena"/> in its step <paramref name="step"/>.</summary>
    internal CpuStorage(T[] data, TensorArena arena, long step) : this(data)
    {
        _arena = arena;
        _step = step;
    }

    /// <summary>Points a storage of the backward pass's pool at <paramref name="data"/> (lent by <paramref name="arena"/> in
    /// <paramref name="step"/>, or by nobody when the arena is null).</summary>
    internal void Lend(T[] data, TensorArena? arena, long step)
    {
        _data = data;
        _arena = arena;
        _step = step;
    }

    /// <summary>Marks a storage that went back to the backward pass's pool: from now on reading it throws (until it is lent again).</summary>
    internal void Retire()
    {
        _data = [];
        _arena = TensorArena.Retired;
        _step = -1;
    }

    /// <summary>Allocates a zeroed buffer of <paramref name="length"/> elements.</summary>
    public CpuStorage(int length) : this(new T[length]) { }

    /// <summary>The array that holds the elements.</summary>
    /// <exception cref="ArenaReuseException">When the array was lent by a <see cref="TensorArena"/> step and a later step of
    /// that arena has begun (which may have overwritten it): a kept tensor is never read silently after reuse.</exception>
    public T[] Data
    {
        get
        {
            if (_arena is not null && _arena.StepNumber != _step) ThrowReused();
            return _data;
        }
    }

    private void ThrowReused() => throw new ArenaReuseException(ReferenceEquals(_arena, TensorArena.Retired)
        ? "A tensor made inside a backward pass (an intermediate gradient) was used after the pass ended and took it back for the next pass; " +
          "intermediate gradients never leave a pass (a leaf's Grad and the results of Grad.Of are copies), so this is a bug in the engine: please report it."
        : $"A tensor computed in step {_step} of a TensorArena was used in step {_arena!.StepNumber}, after its buffer was lent again; " +
          "Clone() it outside the step, or read it (Item, ToArray) before the next step begins.");

    /// <inheritdoc />
    public override Device Device => Device.Cpu;

    /// <inheritdoc />
    public override long Length => _data.Length;

    /// <summary>The whole buffer as a span.</summary>
    public Span<T> Span => Data;
}

/// <summary>A tensor computed inside a <see cref="TensorArena"/> step was used after a later step of that arena began.</summary>
public sealed class ArenaReuseException : InvalidOperationException
{
    /// <summary>Creates the exception with its message.</summary>
    public ArenaReuseException(string message) : base(message) { }
}
