using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// Owns one ILGPU <see cref="Context"/> and one accelerator. Create it once and share it: kernels are compiled
/// once per context and cached.
/// </summary>
public sealed class GpuContext : IDisposable
{
    private GpuContext(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    /// <summary>The ILGPU context.</summary>
    public Context Context { get; }

    /// <summary>The accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>ILGPU's CPU accelerator: runs the GPU kernels on the CPU (how the tests exercise them without a GPU).</summary>
    public static GpuContext CreateCpu()
    {
        var context = Context.Create(builder => builder.CPU().EnableAlgorithms());
        return new GpuContext(context, context.CreateCPUAccelerator(0));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
