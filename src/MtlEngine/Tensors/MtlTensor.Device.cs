using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gpu;

namespace MtlEngine.Tensors;

// Devices: explicit copies between host and device memory.
public sealed partial class MtlTensor<T>
{
    /// <summary>
    /// This tensor on <paramref name="device"/>: the same tensor when it is already there, otherwise a copy,
    /// contiguous (row-major) on the destination. Copies are always explicit: no operation moves data between
    /// devices by itself. Host → device uploads a contiguous host copy; device → host first gathers a strided
    /// view into a contiguous device buffer with the strided-copy kernel; device → other device goes through
    /// the host.
    /// </summary>
    /// <exception cref="GpuDeviceUnavailableException">When <paramref name="device"/> is a CUDA device this machine
    /// does not have; the message names <c>ilgpu-cpu</c> and <c>cpu</c> as the alternatives.</exception>
    public MtlTensor<T> To(Device device) => To(device, scoped: true);

    /// <summary>As <see cref="To(Device)"/>; with <paramref name="scoped"/> false a device copy is not released with the open
    /// <see cref="DeviceMemoryScope"/> or <see cref="TensorArena"/> step (for what outlives a step: a parameter's gradient).</summary>
    internal MtlTensor<T> To(Device device, bool scoped)
    {
        if (device == Device) return this;
        if (device.Kind == DeviceKind.Cpu)
            return MtlTensor.FromArray(DownloadContiguous(), _shape.ToArray());
        var host = Device.Kind == DeviceKind.Cpu ? Contiguous().AsSpan() : (Span<T>)DownloadContiguous();
        var storage = new GpuStorage<T>(device, Length, scoped);
        storage.Buffer.CopyFromHost(host);
        return new MtlTensor<T>(storage, _shape);
    }

    /// <summary>
    /// Moves this tensor's data to <paramref name="device"/> in place (PyTorch's <c>param.data = param.data.to(device)</c>):
    /// afterwards the same object lives there, contiguous, and its <see cref="Grad"/> (if any) was moved too. For
    /// parameters (<c>Module.To</c>), which modules and optimizers hold by reference. The device storage is owned by the
    /// tensor, not by any scope or arena step; the old device storage goes back to its pool. Views of the old storage
    /// keep reading the old storage (on the CPU) or must not be used (on a device).
    /// </summary>
    /// <exception cref="InvalidOperationException">When the tensor was computed by a recorded operation (move leaves only).</exception>
    internal void MoveTo(Device device)
    {
        if (device == Device) return;
        if (Node is not null)
            throw new InvalidOperationException($"Only leaf tensors (parameters) can be moved in place; this one was computed by {Node.Operation}.");
        var moved = To(device, scoped: false);
        var old = Storage;
        Storage = moved.Storage;
        Offset = 0;
        _strides = ContiguousStrides(_shape);
        (old as GpuStorage<T>)?.Dispose();
        Grad?.MoveTo(device);
    }

    /// <summary>
    /// Returns this tensor's device buffer to its pool, so that the next allocation of the same size reuses it.
    /// This tensor and every view of the same storage must not be used afterwards. Does nothing on the CPU.
    /// </summary>
    public void ReleaseDeviceMemory()
    {
        if (Storage is GpuStorage<T> gpu) gpu.Dispose();
    }

    /// <summary>The elements in row-major order, copied from the device (a strided view is gathered on the device first).</summary>
    private T[] DownloadContiguous()
    {
        if (Storage is not GpuStorage<T> gpu)
            return Contiguous().AsSpan().ToArray();
        var result = new T[Length];
        if (Length == 0) return result;
        if (IsContiguous)
        {
            gpu.Context.Synchronize();
            gpu.Buffer.CopyToHost(Offset, result);
            return result;
        }
        using var gathered = gpu.Context.Pool.Rent<T>(Length);
        GpuElementwise.Unary(gpu.Context, gpu.View, Offset, _strides, gathered.View, _shape, new VectorizedUnary<T, CopyOperator<T>>());
        gpu.Context.Synchronize();
        gathered.CopyToHost(0, result);
        return result;
    }
}
