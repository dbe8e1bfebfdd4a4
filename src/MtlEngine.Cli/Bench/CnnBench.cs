using System.Diagnostics;
using System.Globalization;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench cnn</c>: convolution forward + backward and a small CNN's training step, float32, fixed so that the
/// PyTorch peer benchmarks/peers/cnn_peer.py runs the same (issue 22). Prints one line per workload:
/// <list type="bullet">
/// <item><c>name=conv2d_a threads=T us_fwd_bwd=...</c>: batch 64, 3 → 32 channels, 32×32, 3×3, padding 1, forward and the
/// input, weight and bias gradients (the median of several runs, <see cref="BenchTiming"/>);</item>
/// <item><c>name=conv2d_b threads=T us_fwd_bwd=...</c>: batch 64, 32 → 64 channels, 16×16, 3×3, padding 1;</item>
/// <item><c>name=cnn_step threads=T steps=50 us_per_step=... final_loss=... alloc_bytes_per_step=...</c>: LeNet-5-like on
/// 28×28×1 (conv 6@5×5 pad 2 → ReLU → max-pool 2 → conv 16@5×5 → ReLU → max-pool 2 → flatten → 120 → ReLU → 84 → ReLU →
/// two 10-class heads, cross-entropies summed), batch 128, Adam 1e-3, 8 seeded random batches cycled, 5 warm-up steps,
/// then the mean of 50 timed steps, each inside a <see cref="TensorArena"/> step; alloc_bytes_per_step counts managed
/// bytes on all threads.</item>
/// </list>
/// </summary>
internal static class CnnBench
{
    private const int Batches = 8;

    /// <summary>The workload's sizes: the bench's, or smaller ones for tests.</summary>
    /// <param name="ConvBatch">Samples of the two convolution lines.</param>
    /// <param name="CnnBatch">Samples per training step.</param>
    /// <param name="Steps">Timed training steps.</param>
    /// <param name="WarmupSteps">Untimed training steps first.</param>
    internal sealed record Workload(int ConvBatch = 64, int CnnBatch = 128, int Steps = 50, int WarmupSteps = 5);

    /// <summary>Runs the benchmark and writes its lines; returns the exit code.</summary>
    /// <exception cref="ArgumentException">For an unknown or unavailable device, or fewer than 1 thread.</exception>
    public static int Run(int threads, string device, TextWriter output) => Run(threads, device, output, new Workload());

    /// <summary>The same with other sizes (tests).</summary>
    internal static int Run(int threads, string device, TextWriter output, Workload workload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(workload);
        if (threads < 1) throw new ArgumentException($"bench cnn needs --threads ≥ 1 (got {threads}).");
        var target = Device.Parse(device);
        bool opened = target.Kind != DeviceKind.Cpu && !GpuDevices.IsOpen(target);
        if (target.Kind != DeviceKind.Cpu)
        {
            try { GpuDevices.Get(target); }
            catch (Kernels.Gpu.GpuDeviceUnavailableException e) { throw new ArgumentException(e.Message, e); } // a user error: exit 2, one line
        }
        try
        {
            using var parallelism = TensorParallelism.Use(new Parallelism(threads));
            ConvLine("conv2d_a", workload.ConvBatch, 3, 32, 32, threads, target, output);
            ConvLine("conv2d_b", workload.ConvBatch, 32, 64, 16, threads, target, output);
            CnnStep(workload, threads, target, output);
            return 0;
        }
        finally
        {
            if (opened) GpuDevices.Release(target); // the accelerator and its memory, deterministically
        }
    }

    /// <summary>Waits for the device's queued kernels (a timing must include them); nothing on the CPU.</summary>
    private static void Wait(Device device)
    {
        if (device.Kind != DeviceKind.Cpu) GpuDevices.Get(device).Synchronize();
    }

    /// <summary>One 3×3, padding 1 convolution's forward and backward (input, weight and bias gradients).</summary>
    private static void ConvLine(string name, int batch, int inChannels, int outChannels, int size, int threads, Device device, TextWriter output)
    {
        var random = new TensorRandom(2024);
        var conv = new Conv2d<float>(inChannels, outChannels, (3, 3), random, padding: (1, 1));
        conv.To(device);
        var x = random.Normal([batch, inChannels, size, size], 0f, 1f).To(device);
        x.RequiresGrad = true;
        var upstream = random.Normal([batch, outChannels, size, size], 0f, 1f).To(device);
        var arena = new TensorArena();
        double seconds = BenchTiming.MedianSeconds(() =>
        {
            using var step = arena.Step();
            conv.Forward(x).Backward(upstream); // the gradients accumulate into x.Grad, weight.Grad and bias.Grad
            Wait(device);
        });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"name={name} threads={threads} us_fwd_bwd={seconds * 1e6:F1}"));
    }

    private static void CnnStep(Workload workload, int threads, Device device, TextWriter output)
    {
        int batch = workload.CnnBatch;
        var random = new TensorRandom(2024);
        var net = new LeNet(random);
        net.To(device);
        using var optimizer = new Adam<float>(net.Parameters(), 1e-3);
        var x = new MtlTensor<float>[Batches];
        var labelsA = new int[Batches][];
        var labelsB = new int[Batches][];
        for (int b = 0; b < Batches; b++)
        {
            x[b] = random.Normal([batch, 1, 28, 28], 0f, 1f).To(device); // uploaded once, before timing
            labelsA[b] = random.Integers([batch], 0, 10).ToArray();
            labelsB[b] = random.Integers([batch], 0, 10).ToArray();
        }

        var arena = new TensorArena();
        float Step(int s)
        {
            using var step = arena.Step();
            int b = s % Batches;
            var (a, c) = net.ForwardHeads(x[b]);
            var loss = Losses.CrossEntropy(a, labelsA[b]) + Losses.CrossEntropy(c, labelsB[b]);
            net.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            return loss.Item(); // on a device: also waits for the step's kernels
        }

        for (int s = 0; s < workload.WarmupSteps; s++) Step(s);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        float last = 0;
        for (int s = 0; s < workload.Steps; s++) last = Step(workload.WarmupSteps + s);
        double seconds = watch.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name=cnn_step threads={threads} steps={workload.Steps} batch={batch} us_per_step={seconds / workload.Steps * 1e6:F1} final_loss={last:F6} alloc_bytes_per_step={allocated / workload.Steps}"));
    }

    /// <summary>LeNet-5-like trunk with two 10-class heads (PyTorch's names: features.0.weight, head_a.weight, ...).</summary>
    private sealed class LeNet : Module<float>
    {
        private readonly Sequential<float> _features;
        private readonly Linear<float> _headA, _headB;

        public LeNet(TensorRandom random)
        {
            _features = RegisterModule("features", new Sequential<float>(
                new Conv2d<float>(1, 6, (5, 5), random, padding: (2, 2)), new ReLU<float>(), new MaxPool2d<float>(2),
                new Conv2d<float>(6, 16, (5, 5), random), new ReLU<float>(), new MaxPool2d<float>(2), new Flatten<float>(),
                new Linear<float>(16 * 5 * 5, 120, random), new ReLU<float>(), new Linear<float>(120, 84, random), new ReLU<float>()));
            _headA = RegisterModule("head_a", new Linear<float>(84, 10, random));
            _headB = RegisterModule("head_b", new Linear<float>(84, 10, random));
        }

        public (MtlTensor<float> A, MtlTensor<float> B) ForwardHeads(MtlTensor<float> input)
        {
            var h = _features.Forward(input);
            return (_headA.Forward(h), _headB.Forward(h));
        }

        public override MtlTensor<float> Forward(MtlTensor<float> input) => ForwardHeads(input).A;
    }
}
