using System.Diagnostics;
using System.Globalization;
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
/// </summary>
internal static class MlpBench
{
    private const int Inputs = 512, Hidden = 256, Batch = 256, Batches = 20, WarmupSteps = 10;

    /// <summary>Runs the benchmark and writes its line; returns the exit code.</summary>
    /// <exception cref="ArgumentException">For a device other than cpu, or fewer than 1 step or thread.</exception>
    public static int Run(int threads, int steps, string device, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!string.Equals(device, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"bench mlp runs on device 'cpu' only for now (got '{device}').");
        if (steps < 1) throw new ArgumentException($"bench mlp needs --steps ≥ 1 (got {steps}).");
        if (threads < 1) throw new ArgumentException($"bench mlp needs --threads ≥ 1 (got {threads}).");
        using var parallelism = TensorParallelism.Use(new Kernels.Parallelism(threads)); // every tensor operation of the step

        var random = new TensorRandom(2024);
        var tasks = new[] { new TaskSpec("a", TaskKind.Classification, 10), new TaskSpec("b", TaskKind.Classification, 5), new TaskSpec("c", TaskKind.Regression, 1) };
        var net = new MultiTaskNet<float>(Inputs, [Hidden, Hidden], tasks, random);
        var optimizer = new Adam<float>(net.Parameters(), 1e-3);
        var x = new MtlTensor<float>[Batches];
        var labelsA = new int[Batches][];
        var labelsB = new int[Batches][];
        var y = new MtlTensor<float>[Batches];
        for (int b = 0; b < Batches; b++)
        {
            x[b] = random.Normal([Batch, Inputs], 0f, 1f);
            labelsA[b] = random.Integers([Batch], 0, 10).ToArray();
            labelsB[b] = random.Integers([Batch], 0, 5).ToArray();
            y[b] = random.Normal([Batch, 1], 0f, 1f);
        }

        var arena = new TensorArena();
        float Step(int s)
        {
            using var step = arena.Step();
            int b = s % Batches;
            var outputs = net.ForwardTasks(x[b]);
            var loss = Losses.CrossEntropy(outputs[0], labelsA[b]) + Losses.CrossEntropy(outputs[1], labelsB[b]) + Losses.MeanSquaredError(outputs[2], y[b]);
            net.ZeroGrad();
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
            $"name=mlp_multitask steps={steps} batch={Batch} us_per_step={seconds / steps * 1e6:F1} final_loss={last:F6} alloc_bytes_per_step={allocated / steps}"));
        return 0;
    }
}
