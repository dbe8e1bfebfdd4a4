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
    public GpuStorage(Device device, long length)
    {
        Context = GpuDevices.Get(device);
        Device = device;
        _buffer = Context.Pool.Rent<T>(length);
        DeviceMemoryScope.Adopt(this);
    }

    /// <summary>The shared context of the device.</summary>
    public GpuContext Context { get; }

    /// <inheritdoc />
    public override Device Device { get; }

    /// <inheritdoc />
    public override long Length => _buffer.Length;

    /// <summary>The buffer as a view for kernels.</summary>
    public ArrayView<T> View => _buffer.View;

    /// <summary>The rented buffer (copies to and from the host).</summary>
    public GpuBuffer<T> Buffer => _buffer;

    /// <summary>Returns the buffer to the device's pool. Idempotent.</summary>
    public void Dispose() => _buffer.Dispose();
}

/// <summary>
/// One shared <see cref="GpuContext"/> per GPU device for the whole process, created on first use: ILGPU contexts
/// and accelerators are expensive, and compiled kernels and pooled buffers live in them. This registry is the
/// only process-wide state of the GPU backend; it holds no choice of device (every call names its device).
/// </summary>
public static class GpuDevices
{
    private static readonly Dictionary<Device, GpuContext> Contexts = [];
    private static readonly Lock Gate = new();

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
            if (!Contexts.TryGetValue(device, out var context))
                Contexts[device] = context = GpuContext.Create(backend, device.Index);
            return context;
        }
    }
}
