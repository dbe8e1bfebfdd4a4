using MtlEngine.Autograd;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>
/// The tensor operations that autograd, the nn modules and the optimizers need, on ilgpu-cpu tensors against the
/// same operations on the CPU (the CPU is the twin): whole-tensor and any-axes reductions, where, comparisons,
/// clamp, arg-reductions, copies and fills, element access, and gradients through a small graph.
/// </summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuRoutingTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    private static MtlTensor<double> Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new double[MtlTensor<double>.CheckedLength(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = Math.Round(random.NextDouble() * 4 - 2, 3);
        return MtlTensor.FromArray(data, shape);
    }

    private static void Same<T>(MtlTensor<T> cpu, MtlTensor<T> device, double tolerance = 1e-12) where T : unmanaged, System.Numerics.INumber<T>
    {
        Assert.Equal(IlgpuCpu, device.Device);
        Assert.Equal(cpu.Shape.ToArray(), device.Shape.ToArray());
        var expected = cpu.ToArray();
        var actual = device.To(Device.Cpu).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            if (double.IsNaN(e)) { Assert.True(double.IsNaN(a), $"element {i}: expected NaN, got {a}"); continue; }
            if (double.IsInfinity(e)) { Assert.Equal(e, a); continue; }
            Assert.True(Math.Abs(e - a) <= tolerance * (1 + Math.Abs(e)), $"element {i}: expected {e}, got {a}");
        }
    }

    [Fact]
    public void Whole_tensor_sum_and_mean_stay_on_the_device_until_read()
    {
        var x = Random(1, 3, 5, 7);
        var gx = x.To(IlgpuCpu);
        var sum = gx.Sum();
        Assert.Equal(IlgpuCpu, sum.Device);
        Assert.Equal(0, sum.Rank);
        Assert.Equal(x.Sum().Item(), sum.Item(), 1e-12);
        Assert.Equal(x.Mean().Item(), gx.Mean().Item(), 1e-12);
        Assert.Equal(x.Transpose().Sum().Item(), gx.Transpose().Sum().Item(), 1e-12);
        Assert.Equal(0.0, MtlTensor.Zeros<double>(IlgpuCpu, 0, 4).Sum().Item());
        Assert.True(double.IsNaN(MtlTensor.Zeros<double>(IlgpuCpu, 0).Mean().Item()));
    }

    [Fact]
    public void Reductions_run_over_any_set_of_axes()
    {
        var x = Random(2, 3, 4, 5, 2);
        var gx = x.To(IlgpuCpu);
        Same(x.Sum([0, 2], keepDims: true), gx.Sum([0, 2], keepDims: true));
        Same(x.Max([1, 3]), gx.Max([1, 3]));
        Same(x.Min([0, 3]), gx.Min([0, 3]));
        Same(x.Mean([0, 1, 3]), gx.Mean([0, 1, 3]));
        Same(x.Permute(2, 0, 3, 1).Sum([1, 3]), gx.Permute(2, 0, 3, 1).Sum([1, 3]));
        Same(x.Variance([0, 2]), gx.Variance([0, 2]));
        Same(x.Variance(-1, ddof: 1, keepDims: true), gx.Variance(-1, ddof: 1, keepDims: true));
        Same(x.Std([1]), gx.Std([1]));
        Same(x.LogSumExp([1, 3]), gx.LogSumExp([1, 3]));
        Same(x.Norm(2.0, [0, 2]), gx.Norm(2.0, [0, 2]));
        Same(x.Norm(1.0, [3]), gx.Norm(1.0, [3]));
        Same(x.Norm(3.0, [1]), gx.Norm(3.0, [1]));
        Same(x.Norm(double.PositiveInfinity, null), gx.Norm(double.PositiveInfinity, null));
        Same(x.Variance([0], ddof: 3), gx.Variance([0], ddof: 3)); // n − ddof ≤ 0: NaN, as on the cpu
    }

    [Fact]
    public void Where_comparisons_and_clamp_run_on_the_device()
    {
        var x = Random(3, 4, 6);
        var y = Random(4, 6);
        var gx = x.To(IlgpuCpu);
        var gy = y.To(IlgpuCpu);
        Same(x.Equal(y), gx.Equal(gy));
        Same(x.NotEqual(x.Slice(1, 0, 6)), gx.NotEqual(gx.Slice(1, 0, 6)));
        Same(x.Less(y), gx.Less(gy));
        Same(x.LessEqual(0.5), gx.LessEqual(0.5));
        Same(x.Greater(y), gx.Greater(gy));
        Same(x.GreaterEqual(-0.25), gx.GreaterEqual(-0.25));
        Same(MtlTensor.Where(x.Greater(y), x, y), MtlTensor.Where(gx.Greater(gy), gx, gy));
        Same(MtlTensor.Where(x.Less(0.0), 0.0, y), MtlTensor.Where(gx.Less(0.0), 0.0, gy));   // a scalar branch and a broadcast one
        Same(MtlTensor.Where(y.Less(0.0), x, -1.0), MtlTensor.Where(gy.Less(0.0), gx, -1.0));
        Same(x.Clamp(-0.5, 1.25), gx.Clamp(-0.5, 1.25));
        Same(x.Transpose().Clamp(0, 0), gx.Transpose().Clamp(0, 0));
        Assert.Throws<ArgumentException>(() => gx.Clamp(1, -1));
        var nan = MtlTensor.FromArray([double.NaN, 3, -3], 3);
        Same(nan.Clamp(-1, 1), nan.To(IlgpuCpu).Clamp(-1, 1));
    }

    [Fact]
    public void ArgMax_and_ArgMin_find_the_first_extremum_and_the_first_NaN()
    {
        var x = MtlTensor.FromArray(new double[]
        {
            1, 5, 5, -2,
            7, 7, 7, 7,
            0, double.NaN, 9, double.NaN,
            -1, -1, -8, -8,
        }, 4, 4);
        var gx = x.To(IlgpuCpu);
        Same(x.ArgMax(1), gx.ArgMax(1));
        Same(x.ArgMin(1), gx.ArgMin(1));
        Same(x.ArgMax(0, keepDims: true), gx.ArgMax(0, keepDims: true));
        Same(x.ArgMin(), gx.ArgMin());
        var big = Random(5, 3, 150);    // longer than a group of 64: the tree combine decides
        Same(big.ArgMax(1), big.To(IlgpuCpu).ArgMax(1));
        Same(big.Transpose().ArgMin(0), big.To(IlgpuCpu).Transpose().ArgMin(0));
        Same(big.ArgMax(), big.To(IlgpuCpu).ArgMax());
        Assert.Throws<ArgumentException>(() => MtlTensor.Zeros<double>(IlgpuCpu, 2, 0).ArgMax(1));
    }

    [Fact]
    public void Copies_fills_views_and_element_access_stay_on_the_device()
    {
        var x = Random(6, 3, 4);
        var gx = x.To(IlgpuCpu);
        Same(x.Transpose().Reshape(12), gx.Transpose().Reshape(12));   // no view exists: a device copy
        Same(x.Transpose().Contiguous(), gx.Transpose().Contiguous());
        var target = MtlTensor.Zeros<double>(4, 3);
        var gtarget = MtlTensor.Zeros<double>(IlgpuCpu, 4, 3);
        x.Slice(1, 0, 3).CopyTo(target.Slice(0, 1, 4).Transpose());
        gx.Slice(1, 0, 3).CopyTo(gtarget.Slice(0, 1, 4).Transpose());
        Same(target, gtarget);
        x.CopyTo(gtarget.Transpose());                                  // host → device: an explicit upload
        Same(x.Transpose(), gtarget);
        gtarget.Slice(1, 1, 2).Fill(2.5);
        target = x.Transpose().Clone();
        target.Slice(1, 1, 2).Fill(2.5);
        Same(target, gtarget);
        Assert.Equal(x[2, 1], gx[2, 1]);
        var written = gx.Clone();
        written[2, 1] = 9;
        Assert.Equal(9, written.To(Device.Cpu)[2, 1]);
        Assert.Equal(x[2, 1], gx[2, 1]);
        Same(MtlTensor.OnesLike(x), MtlTensor.OnesLike(gx));
        Same(MtlTensor.Concatenate([x, x * 2], 1), MtlTensor.Concatenate([gx, gx * 2], 1));
        Assert.Equal(x.To2DArray(), gx.Transpose().Transpose().To2DArray());
    }

    [Fact]
    public void Gram_and_projection_products_of_ridge_and_pca_run_on_the_device()
    {
        var x = Random(10, 9, 5);           // (n_samples, n_features)
        var y = Random(11, 9, 2);           // two targets
        var components = Random(12, 3, 5);  // (n_components, n_features)
        var gx = x.To(IlgpuCpu);
        Same(x.Transpose().Matmul(x), gx.Transpose().Matmul(gx));                               // XᵀX
        Same(x.Transpose().Matmul(y), gx.Transpose().Matmul(y.To(IlgpuCpu)));                  // Xᵀy
        var centered = x - x.Mean(0, keepDims: true);
        var gcentered = gx - gx.Mean(0, keepDims: true);
        Same(centered.Transpose().Matmul(centered) / 8.0, gcentered.Transpose().Matmul(gcentered) / 8.0); // covariance
        Same(centered.Matmul(components.Transpose()), gcentered.Matmul(components.To(IlgpuCpu).Transpose())); // PCA transform
    }

    [Fact]
    public void Gradients_through_a_small_graph_match_the_cpu()
    {
        // Everything a Linear + ReLU + loss network uses: matmul with a transposed weight, broadcast bias, relu, sums over
        // axes, log-sum-exp, clamp, where, max, mean, slices, and the graph summing broadcast gradients back.
        MtlTensor<double>[] Run(Device device)
        {
            var x = Random(7, 5, 4).To(device);
            var w = Random(8, 3, 4).To(device);
            var b = Random(9, 3).To(device);
            w.RequiresGrad = true;
            b.RequiresGrad = true;
            var h = (x.Matmul(w.Transpose()) + b).Relu();
            var z = h.LogSumExp(1) + h.Max(0).Sum() + h.Clamp(0.1, 0.9).Sum(0).Mean();
            var masked = MtlTensor.Where(h.Greater(0.5), h * 2.0, h.Square());
            var loss = z.Sum() + masked.Slice(0, 1, 4).Mean() + w.Variance().Sqrt();
            loss.Backward();
            return [loss.Detach(), w.Grad!, b.Grad!];
        }
        var cpu = Run(Device.Cpu);
        var device = Run(IlgpuCpu);
        for (int i = 0; i < cpu.Length; i++) Same(cpu[i], device[i], 1e-10);
    }
}
