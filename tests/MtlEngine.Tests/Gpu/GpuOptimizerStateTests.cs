using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>
/// The optimizers on ilgpu-cpu run the CPU's formulas (OptimizerRules) and so give the CPU's bits from the same
/// gradients; their state is downloaded by StateDict and uploaded by LoadStateDict, also across devices.
/// </summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class GpuOptimizerStateTests
{
    private static readonly Device IlgpuCpu = Device.Parse("ilgpu-cpu");

    public static TheoryData<string> Kinds => new() { "sgd_nesterov", "sgd_dampening", "adam", "adamw", "rmsprop_centered_momentum", "rmsprop" };

    private static Optimizer<float> Make(string kind, MtlTensor<float>[] ps) => kind switch
    {
        "sgd_nesterov" => new Sgd<float>([new ParameterGroup<float>(ps[..1]), new ParameterGroup<float>(ps[1..]) { LearningRate = 0.02 }], 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        "sgd_dampening" => new Sgd<float>(ps, 0.05, momentum: 0.5, dampening: 0.1),
        "adam" => new Adam<float>([new ParameterGroup<float>(ps[..1]) { Beta1 = 0.8 }, new ParameterGroup<float>(ps[1..])], 0.01, weightDecay: 0.1),
        "adamw" => new AdamW<float>(ps, 0.01, weightDecay: 0.1),
        "rmsprop_centered_momentum" => new RmsProp<float>([new ParameterGroup<float>(ps[..1]) { Centered = true, Momentum = 0.5 }, new ParameterGroup<float>(ps[1..]) { Momentum = 0.9 }], 0.01, weightDecay: 0.01),
        "rmsprop" => new RmsProp<float>(ps, 0.01),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>
    /// Two parameters (37 and 3×5 values) on <paramref name="device"/> take <paramref name="steps"/> steps from fixed
    /// gradients (the second parameter has none in step 1). With <paramref name="resumeAt"/>, the state is saved there and
    /// loaded into fresh parameters and a fresh optimizer on <paramref name="resumeOn"/>. Returns the final bits.
    /// </summary>
    private static int[] Run(string kind, Device device, int steps, int? resumeAt = null, Device? resumeOn = null)
    {
        MtlTensor<float>[] Parameters(Device on, ulong seed) =>
        [
            new TensorRandom(seed).Normal([37], 0f, 1f).To(on),
            new TensorRandom(seed + 1).Normal([3, 5], 0f, 1f).To(on),
        ];
        var ps = Parameters(device, 4);
        var optimizer = Make(kind, ps);
        try
        {
            for (int s = 0; s < steps; s++)
            {
                if (s == resumeAt)
                {
                    var weights = ps.Select(p => p.ToArray()).ToArray();
                    var state = optimizer.StateDict();
                    optimizer.Dispose();
                    var target = resumeOn ?? device;
                    ps = Parameters(target, 9);
                    for (int k = 0; k < ps.Length; k++) MtlTensor.FromArray(weights[k], ps[k].Shape.ToArray()).CopyTo(ps[k]);
                    optimizer = Make(kind, ps);
                    optimizer.LoadStateDict(state);
                }
                for (int k = 0; k < ps.Length; k++)
                {
                    var random = new TensorRandom(1000 + (ulong)(10 * s + k));
                    ps[k].Grad = k == 1 && s == 1 ? null : random.Normal(ps[k].Shape.ToArray(), 0f, 1f).To(ps[k].Device);
                }
                optimizer.Step();
            }
            return ps.SelectMany(p => p.ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();
        }
        finally
        {
            optimizer.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_device_steps_give_the_cpu_bits(string kind) =>
        Assert.Equal(Run(kind, Device.Cpu, 5), Run(kind, IlgpuCpu, 5));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Device_state_is_saved_and_loaded_with_the_same_bits(string kind)
    {
        var uninterrupted = Run(kind, IlgpuCpu, 6);
        Assert.Equal(uninterrupted, Run(kind, IlgpuCpu, 6, resumeAt: 3));
        Assert.Equal(uninterrupted, Run(kind, Device.Cpu, 6, resumeAt: 3, resumeOn: IlgpuCpu)); // saved on the cpu, resumed on the device
        Assert.Equal(uninterrupted, Run(kind, IlgpuCpu, 6, resumeAt: 3, resumeOn: Device.Cpu)); // and back
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Clipping_on_the_device_matches_the_cpu(double normType)
    {
        float[][] Clip(Device device, bool byValue, out double norm)
        {
            var ps = new[] { MtlTensor.Zeros<float>(7).To(device), MtlTensor.Zeros<float>(3, 4).To(device) };
            for (int k = 0; k < ps.Length; k++)
            {
                ps[k].RequiresGrad = true;
                ps[k].Grad = new TensorRandom(50 + (ulong)k).Normal(ps[k].Shape.ToArray(), 0f, 2f).To(device);
            }
            norm = byValue ? 0 : GradientClipping.ClipNorm(ps, 1.5, normType);
            if (byValue) GradientClipping.ClipValue(ps, 0.7);
            return ps.Select(p => p.Grad!.ToArray()).ToArray();
        }
        var cpu = Clip(Device.Cpu, false, out double cpuNorm);
        var device = Clip(IlgpuCpu, false, out double deviceNorm);
        Assert.Equal(cpuNorm, deviceNorm, 1e-5 * cpuNorm);
        Assert.True(cpuNorm > 1.5); // it clipped
        for (int k = 0; k < cpu.Length; k++)
            for (int i = 0; i < cpu[k].Length; i++) Assert.Equal(cpu[k][i], device[k][i], 1e-6f);
        Assert.Equal(Clip(Device.Cpu, true, out _), Clip(IlgpuCpu, true, out _));
    }
}
