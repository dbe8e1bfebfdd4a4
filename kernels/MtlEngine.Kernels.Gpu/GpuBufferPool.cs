using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// Reuses device memory: a buffer returned to the pool is handed out again to the next request for the same
/// element type and length, so a loop that allocates the same shapes every step stops allocating device
/// memory after its first step. Buffers go back by disposing the <see cref="GpuBuffer{T}"/> (deterministic,
/// <c>using</c>); the pool frees everything it holds when it (its <see cref="GpuContext"/>) is disposed.
/// Thread-safe.
/// <para>A buffer may go back while a kernel that reads it is still queued: every copy and kernel runs on the
/// accelerator's default stream, in the order issued, so the next user's writes come after that kernel.</para>
/// </summary>
public sealed class GpuBufferPool : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly Dictionary<(Type Element, long Length), Stack<MemoryBuffer>> _free = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    internal GpuBufferPool(Accelerator accelerator) => _accelerator = accelerator;

    /// <summary>Device buffers allocated so far (a rent served from the pool allocates none).</summary>
    public long DeviceAllocations { get; private set; }

    /// <summary>Bytes of device memory the pool owns now: buffers rented out plus buffers waiting for reuse.</summary>
    public long DeviceBytes { get; private set; }

    /// <summary>Buffers rented and not yet returned.</summary>
    public long Outstanding { get; private set; }

    /// <summary>
    /// A buffer of <paramref name="length"/> elements (contents undefined: a reused buffer holds its previous
    /// data), from the pool when one of that type and length is free, otherwise newly allocated.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">When the pool's context was disposed.</exception>
    public GpuBuffer<T> Rent<T>(long length) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Outstanding++;
            if (_free.TryGetValue((typeof(T), length), out var stack) && stack.Count > 0)
                return new GpuBuffer<T>(this, (MemoryBuffer1D<T, Stride1D.Dense>)stack.Pop());
            var buffer = _accelerator.Allocate1D<T>(length);
            DeviceAllocations++;
            DeviceBytes += buffer.LengthInBytes;
            return new GpuBuffer<T>(this, buffer);
        }
    }

    internal void Return<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        lock (_lock)
        {
            Outstanding--;
            if (_disposed) { buffer.Dispose(); return; }
            var key = (typeof(T), buffer.Length);
            if (!_free.TryGetValue(key, out var stack)) _free[key] = stack = new Stack<MemoryBuffer>();
            stack.Push(buffer);
        }
    }

    /// <summary>Frees every buffer waiting for reuse (rented ones are freed when they come back).</summary>
    public void Trim()
    {
        lock (_lock)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0)
                {
                    var buffer = stack.Pop();
                    DeviceBytes -= buffer.LengthInBytes;
                    buffer.Dispose();
                }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Trim();
        lock (_lock) _disposed = true;
    }
}

/// <summary>
/// A device buffer rented from a <see cref="GpuBufferPool"/>; <see cref="Dispose"/> returns it to the pool.
/// Use it with <c>using</c>. Its contents are undefined until written.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class GpuBuffer<T> : IDisposable where T : unmanaged
{
    private readonly GpuBufferPool _pool;
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    internal GpuBuffer(GpuBufferPool pool, MemoryBuffer1D<T, Stride1D.Dense> buffer)
    {
        _pool = pool;
        _buffer = buffer;
    }

    /// <summary>The number of elements.</summary>
    public long Length => Buffer.Length;

    /// <summary>The whole buffer as a view for kernels.</summary>
    /// <exception cref="ObjectDisposedException">When the buffer was returned to its pool.</exception>
    public ArrayView<T> View => Buffer.View;

    private MemoryBuffer1D<T, Stride1D.Dense> Buffer =>
        _buffer ?? throw new ObjectDisposedException(nameof(GpuBuffer<T>), "This device buffer was returned to its pool (disposed); a tensor over it can no longer be used.");

    /// <summary>Copies <paramref name="source"/> (host) into the first elements of the buffer.</summary>
    public void CopyFromHost(ReadOnlySpan<T> source)
    {
        if (source.Length > Length)
            throw new ArgumentException($"Cannot copy {source.Length} elements into a device buffer of {Length}.", nameof(source));
        if (source.Length > 0) View.SubView(0, source.Length).CopyFromCPU(source);
    }

    /// <summary>Copies the first <paramref name="destination"/>.Length elements, starting at <paramref name="offset"/>, to host memory.</summary>
    public void CopyToHost(long offset, Span<T> destination)
    {
        if (offset < 0 || offset + destination.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Elements [{offset}, {offset + destination.Length}) are outside a device buffer of {Length}.");
        if (destination.Length > 0) View.SubView(offset, destination.Length).CopyToCPU(destination);
    }

    /// <summary>Returns the buffer to its pool. Idempotent.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) _pool.Return(buffer);
    }
}
