using ILGPU;
using MtlEngine.Kernels.Gpu;

namespace MtlEngine.Tensors;

/// <summary>
/// Storage in device memory: a buffer rented from the device's <see cref="GpuBufferPool"/>. Dispose it (or call
/// <see cref="MtlTensor{T}.ReleaseDeviceMemory"/> on a tensor over it, or create it inside a
/// <see cref="DeviceMemoryScope"/>) to give the buffer back to the pool; the tensors over it cannot be used afterwards.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class GpuStorage<T> : TensorStorage<T>, IDisposable where T : unmanaged
{
    private readonly GpuBuffer<T> _buffer;

    /// <summary>Rents a buffer of <paramref name="length"/> elements (contents undefined) on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentException">When <paramref name="device"/> is the CPU.</exception>
    /// <exception cref="GpuDeviceUnavailableException">When the device does not exist on this machine.</exception>
    public GpuStorage(Device device, long length) : this(device, length, scoped: true) { }

    /// <summary>
    /// Rents a buffer; with <paramref name="scoped"/> false the storage is not adopted by the current
    /// <see cref="DeviceMemoryScope"/> or <see cref="TensorArena"/> step (for parameters, their gradients and
    /// optimizer state, which outlive a step).
    /// </summary>
    internal GpuStorage(Device device, long length, bool scoped)
    {
        Context = GpuDevices.Get(device);
        Device = device;
        _buffer = Context.Pool.Rent<T>(length);
        if (scoped) DeviceMemoryScope.Adopt(this);
    }

    /// <summary>The shared context of the device.</summary>
    public GpuContext Context { get; }

    /// <inheritdoc />
    public override Device Device { get; }

    /// <inheritdoc />
    public override long Length => _buffer.Length;

    /// <summary>The buffer as a view for kernels.</summary>
    /// <exception cref="ObjectDisposedException">When the storage or its device context was released.</exception>
    public ArrayView<T> View => Buffer.View;

    /// <summary>The rented buffer (copies to and from the host).</summary>
    /// <exception cref="ObjectDisposedException">When the device context was released (<see cref="GpuDevices.Release"/>).</exception>
    public GpuBuffer<T> Buffer
    {
        get
        {
            if (Context.IsDisposed)
                throw new ObjectDisposedException(nameof(GpuStorage<T>), $"The {Device} context of this tensor was released (GpuDevices.Release); move tensors to the cpu before releasing their device.");
            return _buffer;
        }
    }

    /// <summary>Returns the buffer to the device's pool. Idempotent.</summary>
    public void Dispose() => _buffer.Dispose();
}

/// <summary>
/// One shared <see cref="GpuContext"/> per GPU device for the whole process, created on first use: ILGPU contexts
/// and accelerators are expensive, and compiled kernels and pooled buffers live in them. This registry is the
/// only process-wide state of the GPU backend; it holds no choice of device (every call names its device), so it
/// affects speed and memory only (compiled kernels, pooled buffers), never results.
/// <para>Release is deterministic: <see cref="Release"/> disposes one device's context (its pooled buffers, kernels
/// and accelerator), <see cref="ReleaseAll"/> every context; both run at process exit as well, so an ILGPU
/// accelerator is never left to the finalizer. A tensor on a released device must not be used again; the next
/// <see cref="Get"/> creates a fresh context.</para>
/// </summary>
public static class GpuDevices
{
    private static readonly Dictionary<Device, GpuContext> Contexts = [];
    private static readonly Lock Gate = new();
    private static bool s_exitHooked;

    /// <summary>The shared context of <paramref name="device"/> (<c>cuda</c>, <c>cuda:N</c> or <c>ilgpu-cpu</c>).</summary>
    /// <exception cref="ArgumentException">When <paramref name="device"/> is the CPU, which has no GPU context.</exception>
    /// <exception cref="GpuDeviceUnavailableException">When there is no such CUDA device; the message names <c>ilgpu-cpu</c> and <c>cpu</c>.</exception>
    public static GpuContext Get(Device device)
    {
        var backend = device.Kind switch
        {
            DeviceKind.Cuda => GpuBackend.Cuda,
            DeviceKind.IlgpuCpu => GpuBackend.IlgpuCpu,
            _ => throw new ArgumentException($"Device '{device}' has no GPU context; GPU storage lives on 'cuda' or 'ilgpu-cpu'.", nameof(device)),
        };
        lock (Gate)
        {
            if (!Contexts.TryGetValue(device, out var context) || context.IsDisposed)
            {
                Contexts[device] = context = GpuContext.Create(backend, device.Index);
                if (!s_exitHooked)
                {
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => ReleaseAll();
                    s_exitHooked = true;
                }
            }
            return context;
        }
    }

    /// <summary>True when a context for <paramref name="device"/> is open.</summary>
    public static bool IsOpen(Device device)
    {
        lock (Gate) return Contexts.TryGetValue(device, out var context) && !context.IsDisposed;
    }

    /// <summary>Disposes the context of <paramref name="device"/> (if one is open): its device memory, kernels and accelerator.</summary>
    /// <returns>True when a context was disposed.</returns>
    public static bool Release(Device device)
    {
        GpuContext? context;
        lock (Gate)
        {
            if (!Contexts.Remove(device, out context)) return false;
        }
        bool open = !context.IsDisposed;
        context.Dispose();
        return open;
    }

    /// <summary>Disposes every open context (called at process exit too).</summary>
    public static void ReleaseAll()
    {
        List<GpuContext> all;
        lock (Gate)
        {
            all = [.. Contexts.Values];
            Contexts.Clear();
        }
        foreach (var context in all) context.Dispose();
    }
}
