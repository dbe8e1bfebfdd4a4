using ILGPU;
using ILGPU.Runtime;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>One ILGPU CPU-accelerator context shared by every test of a class (creating one costs ~0.1 s).</summary>
public sealed class IlgpuCpuFixture : IDisposable
{
    public GpuContext Gpu { get; } = GpuContext.CreateCpu(reductionGroupSize: GpuReduce.GroupSize); // the kernels as CUDA runs them
    public void Dispose() => Gpu.Dispose();
}

/// <summary>Test classes that use the process-wide ilgpu-cpu context (GpuDevices) and count its pool run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class SharedIlgpuCpuCollection
{
    public const string Name = "shared ilgpu-cpu context";
}

public class GpuContextTests(IlgpuCpuFixture fixture) : IClassFixture<IlgpuCpuFixture>
{
    private readonly GpuContext _gpu = fixture.Gpu;

    private static void AddOne(Index1D i, ArrayView<float> data) => data[i] += 1f;

    [Fact]
    public void A_kernel_runs_on_the_ilgpu_cpu_accelerator()
    {
        var kernel = _gpu.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(AddOne);
        using var buffer = _gpu.Accelerator.Allocate1D(new float[] { 1, 2, 3, 4, 5 });
        kernel((int)buffer.Length, buffer.View);
        _gpu.Accelerator.Synchronize();
        Assert.Equal(new float[] { 2, 3, 4, 5, 6 }, buffer.GetAsArray1D());
    }

    [NoCudaFact]
    public void Asking_for_cuda_without_a_cuda_device_names_the_alternatives()
    {
        var e = Assert.Throws<GpuDeviceUnavailableException>(() => GpuContext.Create(GpuBackend.Cuda));
        Assert.Equal("cuda", e.Device);
        Assert.Contains("ilgpu-cpu", e.Message);
        Assert.Contains("--device cpu", e.Message);
    }

    [CudaFact]
    public void Asking_for_cuda_on_a_machine_with_a_gpu_brings_the_context_up()
    {
        using var cuda = GpuContext.Create(GpuBackend.Cuda);
        Assert.Equal("cuda", cuda.DeviceName);
    }

    [Fact]
    public void Asking_for_a_cuda_device_index_that_does_not_exist_names_it()
    {
        var far = Assert.Throws<GpuDeviceUnavailableException>(() => GpuContext.Create(GpuBackend.Cuda, 4096));
        Assert.Equal("cuda:4096", far.Device);
    }

    [Fact]
    public void A_kernel_is_compiled_once_per_kernel_and_generic_arguments()
    {
        using var gpu = GpuContext.CreateCpu();
        using var x = gpu.Pool.Rent<double>(7);
        using var d = gpu.Pool.Rent<double>(7);
        x.CopyFromHost(new double[] { 1, 2, 3, 4, 5, 6, 7 });
        for (int i = 0; i < 3; i++) GpuElementwise.Unary(gpu, x.View, d.View, default(NegateOperator<double>));
        Assert.Equal(1, gpu.CompiledKernelCount);
        GpuElementwise.Unary(gpu, x.View, d.View, default(AbsOperator<double>));
        GpuElementwise.Binary(gpu, x.View, x.View, d.View, default(AddOperator<double>));
        GpuElementwise.Binary(gpu, x.View, x.View, d.View, default(AddOperator<double>));
        Assert.Equal(3, gpu.CompiledKernelCount);
        gpu.Synchronize();
        var host = new double[7];
        d.CopyToHost(0, host);
        Assert.Equal(new double[] { 2, 4, 6, 8, 10, 12, 14 }, host);
    }

    [Fact]
    public void The_pool_reuses_a_returned_buffer_of_the_same_type_and_length()
    {
        using var gpu = GpuContext.CreateCpu();
        var first = gpu.Pool.Rent<float>(100);
        first.Dispose();
        first.Dispose(); // idempotent
        using (gpu.Pool.Rent<float>(100)) { }
        Assert.Equal(1, gpu.Pool.DeviceAllocations);
        using var other = gpu.Pool.Rent<double>(100);     // another type: a new buffer
        using var longer = gpu.Pool.Rent<float>(101);     // another length: a new buffer
        Assert.Equal(3, gpu.Pool.DeviceAllocations);
        Assert.Equal(2, gpu.Pool.Outstanding);
        Assert.Throws<ObjectDisposedException>(() => first.View);
        gpu.Pool.Trim();
        Assert.Equal(100 * 8 + 101 * 4, gpu.Pool.DeviceBytes);
    }

    [Fact]
    public void Repeated_operations_allocate_no_new_device_memory_after_the_first()
    {
        using var gpu = GpuContext.CreateCpu();
        var data = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        void Step()
        {
            using var x = gpu.Pool.Rent<float>(37);
            using var y = gpu.Pool.Rent<float>(37);
            using var z = gpu.Pool.Rent<float>(37);
            x.CopyFromHost(data);
            GpuElementwise.Unary(gpu, x.View, y.View, default(ExpOperator<float>));
            GpuElementwise.Binary(gpu, x.View, 0, [37, 1], y.View, 0, [0, 1], z.View, [1, 37], default(MultiplyOperator<float>));
        }
        Step();
        gpu.Synchronize();
        long allocations = gpu.Pool.DeviceAllocations, bytes = gpu.Pool.DeviceBytes;
        for (int i = 0; i < 50; i++) Step();
        gpu.Synchronize();
        Assert.Equal(allocations, gpu.Pool.DeviceAllocations);
        Assert.Equal(bytes, gpu.Pool.DeviceBytes);
        Assert.Equal(0, gpu.Pool.Outstanding);
    }
}

[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuTensorTransferTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    [Fact]
    public void A_strided_view_goes_to_the_device_contiguous_and_comes_back_equal()
    {
        var host = MtlTensor.Arange<double>(24).Reshape(2, 3, 4).Permute(2, 0, 1).Slice(0, 3, 0, -2);
        var device = host.To(IlgpuCpu);
        Assert.Equal(IlgpuCpu, device.Device);
        Assert.True(device.IsContiguous);
        Assert.Equal(host.Shape.ToArray(), device.Shape.ToArray());
        Assert.Throws<InvalidOperationException>(() => device.AsSpan());
        var back = device.To(Device.Cpu);
        Assert.Equal(host.ToArray(), back.ToArray());

        // A strided view of device storage is gathered on the device on the way back.
        var transposed = device.Reshape(2, 6).Transpose();
        Assert.Equal(host.Reshape(2, 6).Transpose().ToArray(), transposed.To(Device.Cpu).ToArray());
        Assert.Same(device, device.To(IlgpuCpu));
        device.ReleaseDeviceMemory();
    }

    [Fact]
    public void Empty_and_scalar_tensors_round_trip()
    {
        var empty = MtlTensor.Zeros<float>(0, 3).To(IlgpuCpu);
        Assert.Equal(new[] { 0, 3 }, empty.To(Device.Cpu).Shape.ToArray());
        var scalar = MtlTensor.Scalar(2.5f).To(IlgpuCpu).To(Device.Cpu);
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(2.5f, scalar.ToArray()[0]);
    }

    [NoCudaFact]
    public void Moving_a_tensor_to_cuda_without_a_gpu_is_a_clear_error()
    {
        var x = MtlTensor.Ones<float>(2, 2);
        var e = Assert.Throws<GpuDeviceUnavailableException>(() => x.To(Device.Parse("cuda")));
        Assert.Contains("ilgpu-cpu", e.Message);
    }

    [CudaFact]
    public void Moving_a_tensor_to_cuda_and_back_keeps_its_values()
    {
        var x = MtlTensor.Ones<float>(2, 2);
        Assert.Equal(x.ToArray(), x.To(Device.Parse("cuda")).To(Device.Cpu).ToArray());
    }
}

public class GpuKernelCompilationTests
{
    [Fact]
    public void A_kernel_that_cannot_be_compiled_is_a_typed_error_and_the_context_stays_usable()
    {
        using var gpu = GpuContext.CreateCpu();
        using var x = gpu.Pool.Rent<float>(5);
        using var d = gpu.Pool.Rent<float>(5);
        x.CopyFromHost(new float[] { -2, -1, 0, 1, 2 });
        // float.Clamp throws when min > max: ILGPU compiles no throw.
        var e = Assert.Throws<GpuKernelCompilationException>(() => GpuElementwise.Unary(gpu, x.View, d.View, new ClampOperator<float>(-1, 1)));
        Assert.Contains("ClampOperator", e.Message);
        Assert.Contains("ilgpu-cpu", e.Message);
        GpuElementwise.Unary(gpu, x.View, d.View, default(NegateOperator<float>));
        GpuElementwise.Binary(gpu, x.View, x.View, d.View, default(AddOperator<float>));
        gpu.Synchronize();
        var host = new float[5];
        d.CopyToHost(0, host);
        Assert.Equal(new float[] { -4, -2, 0, 2, 4 }, host);
    }
}
