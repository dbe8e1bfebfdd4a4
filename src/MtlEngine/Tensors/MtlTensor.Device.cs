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
    public MtlTensor<T> To(Device device)
    {
        if (device == Device) return this;
        if (device.Kind == DeviceKind.Cpu)
            return MtlTensor.FromArray(DownloadContiguous(), _shape.ToArray());
        var host = Device.Kind == DeviceKind.Cpu ? Contiguous().AsSpan() : (Span<T>)DownloadContiguous();
        var storage = new GpuStorage<T>(device, Length);
        storage.Buffer.CopyFromHost(host);
        return new MtlTensor<T>(storage, _shape);
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
