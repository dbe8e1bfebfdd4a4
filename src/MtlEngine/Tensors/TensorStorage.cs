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
    private readonly T[] _data;
    private readonly TensorArena? _arena; // the arena whose step lent the array, or null
    private readonly long _step;          // that step's number: the array is ours only while the arena is still in it

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

    private void ThrowReused() => throw new ArenaReuseException(
        $"A tensor computed in step {_step} of a TensorArena was used in step {_arena!.StepNumber}, after its buffer was lent again; " +
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
