using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>Tensor element-wise operations on ilgpu-cpu tensors against the same operations on the CPU.</summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuTensorOpsTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    private static MtlTensor<double> Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new double[MtlTensor<double>.CheckedLength(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextDouble() * 4 - 2;
        return MtlTensor.FromArray(data, shape);
    }

    private static void Same(MtlTensor<double> cpu, MtlTensor<double> device)
    {
        Assert.Equal(IlgpuCpu, device.Device);
        Assert.Equal(cpu.Shape.ToArray(), device.Shape.ToArray());
        var expected = cpu.ToArray();
        var actual = device.To(Device.Cpu).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-14);
    }

    [Fact]
    public void Binary_operations_broadcast_on_the_device_like_on_the_cpu()
    {
        var x = Random(1, 3, 1, 5);
        var y = Random(2, 4, 1);
        var gx = x.To(IlgpuCpu);
        var gy = y.To(IlgpuCpu);
        Same(x + y, gx + gy);
        Same(x - y, gx - gy);
        Same(x * y, gx * gy);
        Same(x.Maximum(y), gx.Maximum(gy));
        Same(x * x, gx * gx);           // same shapes, contiguous: the contiguous kernel
        Same(x * 2.5, gx * 2.5);       // a CPU scalar goes with a device tensor
        Same(1.0 - x, 1.0 - gx);
        Same(x.Transpose(0, 2) / 3.0, gx.Transpose(0, 2) / 3.0); // a strided device view
    }

    [Fact]
    public void Unary_operations_run_on_the_device()
    {
        var x = Random(3, 2, 7).Slice(1, 6, -1, -2); // a reversed, strided view
        var gx = Random(3, 2, 7).To(IlgpuCpu).Slice(1, 6, -1, -2);
        Same(-x, -gx);
        Same(x.Abs(), gx.Abs());
        Same(x.Relu(), gx.Relu());
        Same(MtlTensor.Exp(x), MtlTensor.Exp(gx));
        Same(MtlTensor.Sigmoid(x), MtlTensor.Sigmoid(gx));
        Same(MtlTensor.Zeros<double>(0, 3).Abs(), MtlTensor.Zeros<double>(0, 3).To(IlgpuCpu).Abs());
    }

    [Fact]
    public void Operands_on_different_devices_are_an_error_that_says_how_to_fix_it()
    {
        var x = Random(4, 2, 3);
        var e = Assert.Throws<InvalidOperationException>(() => x.To(IlgpuCpu) + x);
        Assert.Contains("To(", e.Message);
        // Where, a three-operand operation, checks devices too.
        Assert.Contains("To(", Assert.Throws<InvalidOperationException>(() => MtlTensor.Where(x.To(IlgpuCpu), x, 0.0)).Message);
    }

    [Fact]
    public void A_loop_that_releases_its_results_allocates_no_new_device_memory()
    {
        var a = Random(5, 16, 8).To(IlgpuCpu);
        var b = Random(6, 8).To(IlgpuCpu);
        var pool = GpuDevices.Get(IlgpuCpu).Pool;
        void Step()
        {
            var sum = a + b;
            var activated = sum.Relu();
            var scaled = activated * 0.5;
            sum.ReleaseDeviceMemory();
            activated.ReleaseDeviceMemory();
            scaled.ReleaseDeviceMemory();
        }
        Step();
        long allocations = pool.DeviceAllocations;
        for (int i = 0; i < 30; i++) Step();
        Assert.Equal(allocations, pool.DeviceAllocations);
    }

    [Fact]
    public void A_loop_of_scoped_steps_reuses_its_buffers_and_keeps_what_it_keeps()
    {
        var w = Random(8, 6, 4).To(IlgpuCpu);
        var x = Random(9, 5, 6).To(IlgpuCpu);
        var pool = GpuDevices.Get(IlgpuCpu).Pool;
        MtlTensor<double> Step(MtlTensor<double> weights)
        {
            using var scope = DeviceMemoryScope.Begin();
            var hidden = x.Matmul(weights).Relu();         // intermediates: released with the scope
            var update = hidden.Sum(0) * 0.01;             // shape (4,)
            var next = scope.Keep(weights - update);        // survives the scope
            Assert.Equal(4, scope.Count);                   // matmul, relu, sum, scale
            return next;
        }
        var expected = w.To(Device.Cpu);
        var xHost = x.To(Device.Cpu);
        var current = w;
        long allocations = 0;
        for (int i = 0; i < 12; i++)
        {
            // Two weight buffers alternate (the step reads one while it writes the other): steady state from step 2.
            if (i == 2) allocations = pool.DeviceAllocations;
            var next = Step(current);
            current.ReleaseDeviceMemory();
            current = next;
            expected -= xHost.Matmul(expected).Relu().Sum(0) * 0.01;
        }
        Assert.Equal(allocations, pool.DeviceAllocations);
        var actual = current.To(Device.Cpu).ToArray();
        var reference = expected.ToArray();
        for (int i = 0; i < actual.Length; i++) Assert.Equal(reference[i], actual[i], 1e-12);
    }

    [Fact]
    public void Scopes_close_innermost_first()
    {
        var outer = DeviceMemoryScope.Begin();
        var inner = DeviceMemoryScope.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void Reductions_over_adjacent_axes_run_on_the_device()
    {
        var x = Random(7, 3, 4, 5, 2);
        var gx = x.To(IlgpuCpu);
        Same(x.Sum(1), gx.Sum(1));
        Same(x.Sum([1, 2], keepDims: true), gx.Sum([1, 2], keepDims: true));
        Same(x.Max(-1), gx.Max(-1));
        Same(x.Min(0), gx.Min(0));
        Same(x.Mean([2, 3]), gx.Mean([2, 3]));
        Same(x.Transpose(0, 3).Sum(2), gx.Transpose(0, 3).Sum(2)); // a strided view is gathered first
        Same(MtlTensor.Zeros<double>(2, 0).Sum(1), MtlTensor.Zeros<double>(2, 0).To(IlgpuCpu).Sum(1));
        Assert.Throws<ArgumentException>(() => MtlTensor.Zeros<double>(2, 0).To(IlgpuCpu).Max(1)); // the CPU's rule
        Same(x.Sum([0, 2]), gx.Sum([0, 2]));                       // non-adjacent axes: gathered kept-first on the device
    }

    [Fact]
    public void Tensors_moved_with_To_feed_the_kernels()
    {
        var host = MtlTensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)(i * 0.5 - 2)).ToArray(), 3, 4);
        var device = host.To(IlgpuCpu);
        var storage = Assert.IsType<GpuStorage<float>>(device.Storage);
        using var d = storage.Context.Pool.Rent<float>(12);
        GpuTranspose.Transpose(storage.Context, storage.View, 3, 4, d.View);
        storage.Context.Synchronize();
        var result = new float[12];
        d.CopyToHost(0, result);
        Assert.Equal(host.Transpose().ToArray(), result);
        device.ReleaseDeviceMemory();
    }
}

[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuMatmulTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    private static MtlTensor<float> Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new float[MtlTensor<float>.CheckedLength(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return MtlTensor.FromArray(data, shape);
    }

    private static void Close(MtlTensor<float> cpu, MtlTensor<float> device, int k)
    {
        Assert.Equal(IlgpuCpu, device.Device);
        Assert.Equal(cpu.Shape.ToArray(), device.Shape.ToArray());
        var expected = cpu.ToArray();
        var actual = device.To(Device.Cpu).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 2e-6 * (k + 4));
    }

    [Theory]
    [InlineData(3, 40, 5)]   // m < k
    [InlineData(33, 2, 70)]  // k < n
    [InlineData(0, 4, 3)]
    [InlineData(5, 0, 6)]
    public void Device_matmul_matches_the_cpu_matmul(int m, int k, int n)
    {
        var a = Random(m + k, m, k);
        var b = Random(k + n, k, n);
        Close(a.Matmul(b), a.To(IlgpuCpu).Matmul(b.To(IlgpuCpu)), k);
        // Transposed operands stay views on the device.
        var at = Random(7, k, m);
        var bt = Random(8, n, k);
        Close(at.Transpose().Matmul(bt.Transpose()), at.To(IlgpuCpu).Transpose().Matmul(bt.To(IlgpuCpu).Transpose()), k);
    }

    [Fact]
    public void Vector_operands_are_promoted_as_in_numpy()
    {
        var a = Random(1, 4, 6);
        var v = Random(2, 6);
        var w = Random(3, 4);
        Close(a.Matmul(v), a.To(IlgpuCpu).Matmul(v.To(IlgpuCpu)), 6);
        Close(w.Matmul(a), w.To(IlgpuCpu).Matmul(a.To(IlgpuCpu)), 4);
        Close(v.Matmul(v), v.To(IlgpuCpu).Matmul(v.To(IlgpuCpu)), 6);
    }

    [Fact]
    public void Batched_operands_broadcast_as_in_numpy()
    {
        var a = Random(1, 2, 3, 4);
        Close(a.Matmul(a.Transpose(1, 2)), a.To(IlgpuCpu).Matmul(a.To(IlgpuCpu).Transpose(1, 2)), 4);
        var b = Random(2, 3, 1, 4, 5);   // batch (3, 1) against a's (2,): broadcast to (3, 2)
        Close(a.Matmul(b), a.To(IlgpuCpu).Matmul(b.To(IlgpuCpu)), 4);
        var v = Random(3, 4);
        Close(a.Matmul(v), a.To(IlgpuCpu).Matmul(v.To(IlgpuCpu)), 4);
        Close(v.Matmul(b), v.To(IlgpuCpu).Matmul(b.To(IlgpuCpu)), 4);
    }

    [Fact]
    public void Mixed_device_operands_and_bad_shapes_are_clear_errors()
    {
        var b = Random(2, 3, 4);
        Assert.Contains("To(", Assert.Throws<InvalidOperationException>(() => b.To(IlgpuCpu).Matmul(b.Transpose())).Message);
        Assert.Throws<ArgumentException>(() => b.To(IlgpuCpu).Matmul(b.To(IlgpuCpu)));
    }
}
