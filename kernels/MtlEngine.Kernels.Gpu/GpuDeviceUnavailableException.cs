namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// A GPU device was asked for that this machine does not have (no NVIDIA GPU, no CUDA driver, or an index past
/// the last device). The message names the alternatives: <c>ilgpu-cpu</c> (the same GPU kernels on the CPU)
/// and <c>cpu</c> (the SIMD kernels).
/// </summary>
public sealed class GpuDeviceUnavailableException : InvalidOperationException
{
    /// <summary>Creates the error for <paramref name="device"/> with the reason it is unavailable.</summary>
    public GpuDeviceUnavailableException(string device, string reason, Exception? inner = null)
        : base($"Device '{device}' is not available: {reason}. Use --device ilgpu-cpu to run the GPU kernels on ILGPU's CPU accelerator, or --device cpu for the CPU SIMD kernels.", inner)
    {
        Device = device;
    }

    /// <summary>The device that was asked for, as the command line spells it.</summary>
    public string Device { get; }
}
