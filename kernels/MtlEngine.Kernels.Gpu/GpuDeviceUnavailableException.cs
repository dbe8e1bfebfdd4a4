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

/// <summary>
/// ILGPU could not compile a kernel for the device: the kernel, or an operator struct it calls, uses something
/// the device compiler does not support (a <c>throw</c>, a managed allocation, a virtual call). The message names
/// the kernel with its generic arguments; the context stays usable for other kernels.
/// </summary>
public sealed class GpuKernelCompilationException : NotSupportedException
{
    /// <summary>Creates the error for <paramref name="kernel"/> on <paramref name="device"/>.</summary>
    public GpuKernelCompilationException(System.Reflection.MethodInfo kernel, string device, Exception inner)
        : base($"The GPU kernel {Describe(kernel)} cannot be compiled for '{device}': {inner.Message.Split('\n')[0]} " +
               "Run this operation on the cpu (To(Device.Cpu)) or give its operator a device form that cannot throw.", inner)
    {
        Kernel = Describe(kernel);
    }

    /// <summary>The kernel and its generic arguments, e.g. <c>UnaryKernel&lt;Single, ClampOperator`1&gt;</c>.</summary>
    public string Kernel { get; }

    private static string Describe(System.Reflection.MethodInfo kernel) =>
        kernel.IsGenericMethod ? $"{kernel.Name}<{string.Join(", ", kernel.GetGenericArguments().Select(a => a.Name))}>" : kernel.Name;
}
