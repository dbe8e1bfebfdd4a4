using System.Globalization;
using MtlEngine.Cli.Bench;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>
/// Losses, optimizers, the multi-task trainer and the MLP bench on ilgpu-cpu against the same code on the CPU, and the
/// device memory they use (pooled: no new device buffers after the first steps; released deterministically).
/// </summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuTrainingTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    [Fact]
    public void Fused_cross_entropy_matches_the_composed_cpu_loss_and_gradient()
    {
        var logits = new TensorRandom(3).Normal([7, 5], 0f, 3f);
        int[] labels = [0, 4, -1, 2, 2, -1, 1]; // −1: missing (does not count)
        var cpuLogits = logits.Clone();
        cpuLogits.RequiresGrad = true;
        var cpuLoss = Losses.CrossEntropy(cpuLogits, labels);
        cpuLoss.Backward();
        var deviceLogits = logits.To(IlgpuCpu);
        deviceLogits.RequiresGrad = true;
        var deviceLoss = Losses.CrossEntropy(deviceLogits, labels);
        Assert.Equal(IlgpuCpu, deviceLoss.Device);
        deviceLoss.Backward();
        Assert.Equal(cpuLoss.Item(), deviceLoss.Item(), 1e-5);
        DeviceAssert.Close(cpuLogits.Grad!.ToArray(), deviceLogits.Grad!.ToArray(), 1e-6, "gradient");
        // With class weights (no fused form) the composed loss runs on the device, the weights uploaded.
        Assert.Equal(Losses.CrossEntropy(logits, labels, [1f, 2f, 1f, 0.5f, 1f]).Item(),
            Losses.CrossEntropy(logits.To(IlgpuCpu), labels, [1f, 2f, 1f, 0.5f, 1f]).Item(), 1e-5);
        Assert.Equal(0f, Losses.CrossEntropy(logits.To(IlgpuCpu), [-1, -1, -1, -1, -1, -1, -1]).Item());
    }

    [Fact]
    public void Optimizers_step_on_the_device_as_on_the_cpu()
    {
        Func<IEnumerable<MtlTensor<float>>, Optimizer<float>>[] makers =
        [
            ps => new Sgd<float>(ps, 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
            ps => new Sgd<float>(ps, 0.05, momentum: 0.5, dampening: 0.1),
            ps => new Adam<float>(ps, 0.01, weightDecay: 0.1),
            ps => new AdamW<float>(ps, 0.01, weightDecay: 0.1),
        ];
        foreach (var make in makers)
        {
            float[] Run(Device device)
            {
                var p = new TensorRandom(4).Normal([37], 0f, 1f).To(device);
                p.RequiresGrad = true;
                using var optimizer = make([p]);
                for (int step = 0; step < 4; step++)
                {
                    optimizer.ZeroGrad();
                    (p.Square() * p).Sum().Backward();   // ∂/∂p = 3p²
                    optimizer.Step();
                }
                return p.ToArray();
            }
            DeviceAssert.Close(Run(Device.Cpu), Run(IlgpuCpu), 1e-6, make.Method.Name);
        }
    }

    /// <summary>A small multi-task problem: 6 features, a 3-class task, a 2-output binary task and a regression task with missing values.</summary>
    private static MultiTaskData<float> Problem(int samples)
    {
        var random = new TensorRandom(11);
        var x = random.Normal([samples, 6], 0f, 1f).ToArray();
        var labels = new int[samples];
        var binary = new float[samples * 2];
        var values = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            float a = x[i * 6], b = x[i * 6 + 1], c = x[i * 6 + 2];
            labels[i] = i % 17 == 0 ? -1 : a + b > 0.5f ? 2 : a - c > 0 ? 1 : 0;
            binary[i * 2] = b > 0 ? 1 : 0;
            binary[i * 2 + 1] = a * c > 0 ? 1 : 0;
            values[i] = i % 9 == 0 ? float.NaN : 0.5f * a - c + 0.1f * b * b;
        }
        return new MultiTaskData<float>(x, samples, 6, [new(labels), new(null, binary), new(null, values)]);
    }

    private static MultiTaskNet<float> Net() =>
        new(6, [8], [new TaskSpec("class", TaskKind.Classification, 3), new TaskSpec("flags", TaskKind.Binary, 2), new TaskSpec("value", TaskKind.Regression, 1, 0.5)],
            new TensorRandom(5));

    [Fact]
    public void A_multi_task_net_trains_20_steps_on_ilgpu_cpu_as_on_the_cpu()
    {
        // 100 samples, 20 held out, batches of 16: 5 steps per epoch, 4 epochs = 20 Adam(W) steps with clipping.
        // Tolerance: float32 sums in a different order (the GPU's tree reductions and tiled GEMM against the CPU's
        // pairwise sums and packed GEMM) differ by a few ulp per step; after 20 steps losses and parameters agree to 1e-4.
        var data = Problem(100);
        var options = new TrainerOptions(Epochs: 4, BatchSize: 16, LearningRate: 0.02, WeightDecay: 0.01, Seed: 3, ValidationFraction: 0.2, Patience: 10, ClipNorm: 1.0);
        var cpuNet = Net();
        var cpu = MultiTaskTrainer.Fit(cpuNet, data, options);
        var deviceNet = Net();
        deviceNet.To(IlgpuCpu);
        Assert.Equal(IlgpuCpu, deviceNet.Device);
        var device = MultiTaskTrainer.Fit(deviceNet, data, options);

        Assert.Equal(cpu.History.Count, device.History.Count);
        Assert.Equal(cpu.BestEpoch, device.BestEpoch);
        for (int e = 0; e < cpu.History.Count; e++)
        {
            Assert.Equal(cpu.History[e].TrainLoss, device.History[e].TrainLoss, 1e-4);
            Assert.Equal(cpu.History[e].ValidationLoss, device.History[e].ValidationLoss, 1e-4);
            for (int t = 0; t < cpu.History[e].Validation.Count; t++)
                Assert.Equal(cpu.History[e].Validation[t].Value, device.History[e].Validation[t].Value, 1e-3);
        }
        Assert.True(cpu.History[^1].TrainLoss < cpu.History[0].TrainLoss); // it learned something
        var cpuParameters = cpuNet.NamedParameters().ToList();
        var deviceParameters = deviceNet.NamedParameters().ToList();
        for (int k = 0; k < cpuParameters.Count; k++)
        {
            Assert.Equal(IlgpuCpu, deviceParameters[k].Value.Device);
            DeviceAssert.Close(cpuParameters[k].Value.ToArray(), deviceParameters[k].Value.ToArray(), 1e-4, cpuParameters[k].Key);
        }
    }

    [Fact]
    public void A_training_loop_allocates_no_new_device_buffers_after_its_first_steps()
    {
        var net = Net();
        net.To(IlgpuCpu);
        using var optimizer = new Adam<float>(net.Parameters(), 0.01);
        var x = new TensorRandom(1).Normal([16, 6], 0f, 1f).To(IlgpuCpu);
        var y = new TensorRandom(2).Normal([16, 1], 0f, 1f).To(IlgpuCpu);
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 3).ToArray();
        var gpu = GpuDevices.Get(IlgpuCpu);
        var pool = gpu.Pool;
        var arena = new TensorArena();
        float Step()
        {
            using var step = arena.Step(); // device tensors of the step go back to the pool when it ends
            var outputs = net.ForwardTasks(x);
            var loss = Losses.CrossEntropy(outputs[0], labels) + Losses.MeanSquaredError(outputs[2], y)
                + Losses.BinaryCrossEntropyWithLogits(outputs[1], outputs[1].Detach().Greater(0f));
            net.ZeroGrad();
            loss.Backward();
            GradientClipping.ClipNorm(net.Parameters(), 5.0);
            optimizer.Step();
            return loss.Item();
        }
        float first = Step();
        Step();
        long allocations = pool.DeviceAllocations, bytes = pool.DeviceBytes, outstanding = pool.Outstanding;
        int layouts = gpu.CachedLayoutCount; // strided kernels' layouts: uploaded in the first step, then read from the cache
        float last = 0;
        for (int s = 0; s < 3; s++) last = Step();
        Assert.Equal(allocations, pool.DeviceAllocations);
        Assert.Equal(bytes, pool.DeviceBytes);
        Assert.Equal(outstanding, pool.Outstanding);
        Assert.Equal(layouts, gpu.CachedLayoutCount);
        Assert.True(last < first);
    }

    [Fact]
    public void Mlp_bench_prints_the_cpu_line_on_ilgpu_cpu_and_refuses_a_missing_cuda()
    {
        var output = new StringWriter();
        Assert.Equal(0, MlpBench.Run(1, 1, "ilgpu-cpu", output, new MlpBench.Workload(Inputs: 16, Hidden: 8, Batch: 12)));
        var fields = output.ToString().Trim().Split(' ').Select(f => f.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(["name", "steps", "batch", "us_per_step", "final_loss", "alloc_bytes_per_step"], fields.Keys);
        Assert.InRange(double.Parse(fields["us_per_step"], CultureInfo.InvariantCulture), double.Epsilon, double.MaxValue); // finite and > 0 (a zero timer prints ∞)
        Assert.InRange(double.Parse(fields["final_loss"], CultureInfo.InvariantCulture), 0.5, 10);
        Assert.True(GpuDevices.IsOpen(IlgpuCpu)); // the shared context (opened by other tests) is left open
        try
        {
            MlpBench.Run(1, 1, "cuda:4096", TextWriter.Null);
            Assert.Fail("cuda:4096 should not exist.");
        }
        catch (ArgumentException e)
        {
            Assert.Contains("ilgpu-cpu", e.Message);
            Assert.Contains("cpu", e.Message.Replace("ilgpu-cpu", "", StringComparison.Ordinal));
        }
        Assert.Equal(2, MtlEngine.Cli.Program.Run(["bench", "mlp", "--device", "cuda:4096", "--steps", "1"], TextWriter.Null, TextWriter.Null));
    }

    [Fact]
    public void Device_contexts_are_released_deterministically()
    {
        var tensor = MtlTensor.Ones<float>(IlgpuCpu, 3);
        var context = GpuDevices.Get(IlgpuCpu);
        Assert.True(GpuDevices.Release(IlgpuCpu));
        Assert.True(context.IsDisposed);
        Assert.False(GpuDevices.IsOpen(IlgpuCpu));
        Assert.False(GpuDevices.Release(IlgpuCpu));
        context.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => tensor.ToArray());
        var fresh = GpuDevices.Get(IlgpuCpu);
        Assert.NotSame(context, fresh);
        Assert.Equal([1f, 1f, 1f], MtlTensor.Ones<float>(IlgpuCpu, 3).ToArray());
    }
}
