using System.Diagnostics;
using System.Globalization;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench mlp</c>: one multi-task training step, timed. The workload (issue 5, fixed so that the PyTorch peer
/// benchmarks/peers/mlp_peer.py runs the same): input 512 → Linear 256 → ReLU → Linear 256 → ReLU → three heads
/// (10-class cross-entropy, 5-class cross-entropy, 1-output MSE), losses summed, batch 256, Adam lr 1e-3, float32,
/// 20 seeded random batches cycled, 10 warm-up steps, then the timed steps. Prints
/// <c>name=mlp_multitask steps=100 batch=256 us_per_step=... final_loss=... alloc_bytes_per_step=...</c>
/// with us_per_step the mean over the timed steps and alloc_bytes_per_step the managed bytes allocated per timed
/// step on all threads.
/// <para>With <c>--device cuda|ilgpu-cpu</c> the same workload runs on the GPU kernels: the network is moved there
/// (<c>Module.To</c>), the 20 batches are uploaded once before timing, and each step runs forward, backward and Adam on
/// the device (the fused softmax cross-entropy; the labels, host ints, are uploaded per step), reading back only the
/// loss (<c>Item</c>, which also waits for the step's kernels). The same line is printed; alloc_bytes_per_step counts
/// managed (host) bytes. Asking for <c>cuda</c> without a CUDA device is a user error that names ilgpu-cpu and cpu.</para>
/// </summary>
internal static class MlpBench
{
    private const int Batches = 20, WarmupSteps = 10;

    /// <summary>The workload's sizes: the bench's (512, 256, 256), or smaller ones for tests on ilgpu-cpu.</summary>
    /// <param name="Inputs">The input width.</param>
    /// <param name="Hidden">The width of both trunk layers.</param>
    /// <param name="Batch">Samples per step.</param>
    internal sealed record Workload(int Inputs = 512, int Hidden = 256, int Batch = 256);

    /// <summary>Runs the benchmark and writes its line; returns the exit code.</summary>
    /// <exception cref="ArgumentException">For an unknown or unavailable device (the message of a missing CUDA device names
    /// ilgpu-cpu and cpu), or fewer than 1 step or thread.</exception>
    public static int Run(int threads, int steps, string device, TextWriter output) => Run(threads, steps, device, output, new Workload());

    /// <summary>The same with other sizes (tests).</summary>
    internal static int Run(int threads, int steps, string device, TextWriter output, Workload workload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(device);
        if (steps < 1) throw new ArgumentException($"bench mlp needs --steps ≥ 1 (got {steps}).");
        if (threads < 1) throw new ArgumentException($"bench mlp needs --threads ≥ 1 (got {threads}).");
        var target = Device.Parse(device);
        if (target.Kind == DeviceKind.Cpu) return Run(threads, steps, target, output, workload);
        bool opened = !GpuDevices.IsOpen(target);
        try { GpuDevices.Get(target); }
        catch (GpuDeviceUnavailableException e) { throw new ArgumentException(e.Message, e); } // a user error: exit code 2, one line
        try
        {
            return Run(threads, steps, target, output, workload);
        }
        finally
        {
            if (opened) GpuDevices.Release(target); // the accelerator and its memory, deterministically
        }
    }

    private static int Run(int threads, int steps, Device device, TextWriter output, Workload workload)
    {
        var (inputs, hidden, batch) = workload;
        using var parallelism = TensorParallelism.Use(new Parallelism(threads)); // every tensor operation of the step

        var random = new TensorRandom(2024);
        var tasks = new[] { new TaskSpec("a", TaskKind.Classification, 10), new TaskSpec("b", TaskKind.Classification, 5), new TaskSpec("c", TaskKind.Regression, 1) };
        var net = new MultiTaskNet<float>(inputs, [hidden, hidden], tasks, random);
        net.To(device);
        using var optimizer = new Adam<float>(net.Parameters(), 1e-3);
        var x = new MtlTensor<float>[Batches];
        var labelsA = new int[Batches][];
        var labelsB = new int[Batches][];
        var y = new MtlTensor<float>[Batches];
        for (int b = 0; b < Batches; b++)
        {
            x[b] = random.Normal([batch, inputs], 0f, 1f).To(device);
            labelsA[b] = random.Integers([batch], 0, 10).ToArray();
            labelsB[b] = random.Integers([batch], 0, 5).ToArray();
            y[b] = random.Normal([batch, 1], 0f, 1f).To(device);
        }

        var arena = new TensorArena();
        float Step(int s)
        {
            using var step = arena.Step();
            int b = s % Batches;
            var outputs = net.ForwardTasks(x[b]);
            var loss = Losses.CrossEntropy(outputs[0], labelsA[b]) + Losses.CrossEntropy(outputs[1], labelsB[b]) + Losses.MeanSquaredError(outputs[2], y[b]);
            optimizer.ZeroGrad(); // as the PyTorch peer: the optimizer's flat parameter list, no module walk
            loss.Backward();
            optimizer.Step();
            return loss.Item();
        }

        for (int s = 0; s < WarmupSteps; s++) Step(s);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        float last = 0;
        for (int s = 0; s < steps; s++) last = Step(WarmupSteps + s);
        double seconds = watch.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name=mlp_multitask steps={steps} batch={batch} us_per_step={seconds / steps * 1e6:F1} final_loss={last:F6} alloc_bytes_per_step={allocated / steps}"));
        if (device.Kind != DeviceKind.Cpu)
        {
            // Give the device memory back (batches, parameters, gradients; the optimizer's state goes with `using`).
            foreach (var t in x.Concat(y)) t.ReleaseDeviceMemory();
            foreach (var p in net.Parameters())
            {
                p.Grad?.ReleaseDeviceMemory();
                p.ReleaseDeviceMemory();
            }
        }
        return 0;
    }
}
