using ILGPU;
using ILGPU.Runtime;
using MtlEngine.Kernels.Gpu;

namespace MtlEngine.Tests.Gpu;

public class GpuContextTests
{
    private static void AddOne(Index1D i, ArrayView<float> data) => data[i] += 1f;

    [Fact]
    public void A_kernel_runs_on_the_ilgpu_cpu_accelerator()
    {
        using var gpu = GpuContext.CreateCpu();
        var kernel = gpu.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(AddOne);
        using var buffer = gpu.Accelerator.Allocate1D(new float[] { 1, 2, 3, 4, 5 });
        kernel((int)buffer.Length, buffer.View);
        gpu.Accelerator.Synchronize();
        Assert.Equal(new float[] { 2, 3, 4, 5, 6 }, buffer.GetAsArray1D());
    }
}
