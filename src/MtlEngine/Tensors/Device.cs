namespace MtlEngine.Tensors;

/// <summary>The kind of place a tensor's storage lives.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, computed on by the CPU SIMD kernels.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA accelerator (tensor storage: <see cref="GpuStorage{T}"/>).</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator, which runs the GPU kernels on the CPU (tensor storage: <see cref="GpuStorage{T}"/>).</summary>
    IlgpuCpu,
}

/// <summary>
/// Where a tensor lives. Moving a tensor between devices is always explicit; no operation copies
/// between devices silently.
/// </summary>
/// <param name="Kind">The kind of device.</param>
/// <param name="Index">The device's index among devices of its kind (0 for the CPU).</param>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    /// <summary>The host CPU.</summary>
    public static Device Cpu => new(DeviceKind.Cpu);

    /// <summary>Parses a device name as the command line spells it: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>, <c>ilgpu-cpu</c>.</summary>
    /// <exception cref="ArgumentException">When the name is not a known device.</exception>
    public static Device Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string[] parts = name.Trim().ToLowerInvariant().Split(':', 2);
        int index = 0;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out index) || index < 0))
            throw new ArgumentException($"Device '{name}' has an invalid index; expected e.g. 'cuda:0'.", nameof(name));
        return parts[0] switch
        {
            "cpu" => new Device(DeviceKind.Cpu, index),
            "cuda" => new Device(DeviceKind.Cuda, index),
            "ilgpu-cpu" => new Device(DeviceKind.IlgpuCpu, index),
            _ => throw new ArgumentException($"Unknown device '{name}'; expected one of: cpu, cuda, ilgpu-cpu.", nameof(name)),
        };
    }

    /// <summary>The device's name as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => Index == 0 ? "cuda" : $"cuda:{Index}",
        _ => Index == 0 ? "ilgpu-cpu" : $"ilgpu-cpu:{Index}",
    };
}
