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
    /// <summary>Wraps an existing array without copying it.</summary>
    public CpuStorage(T[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
    }

    /// <summary>Allocates a zeroed buffer of <paramref name="length"/> elements.</summary>
    public CpuStorage(int length) : this(new T[length]) { }

    /// <summary>The array that holds the elements.</summary>
    public T[] Data { get; }

    /// <inheritdoc />
    public override Device Device => Device.Cpu;

    /// <inheritdoc />
    public override long Length => Data.Length;

    /// <summary>The whole buffer as a span.</summary>
    public Span<T> Span => Data;
}
