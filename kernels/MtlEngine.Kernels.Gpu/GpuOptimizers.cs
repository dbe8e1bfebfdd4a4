using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// The constants of one SGD step (PyTorch's <c>torch.optim.SGD</c>), computed on the host:
/// <code>
/// d ← g + λp;  b ← d on the first step, else μb + (1 − τ)d;  d ← d + μb (Nesterov) or b;  p ← p − η·d
/// </code>
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="LearningRate">η.</param>
/// <param name="Momentum">μ (0: no momentum buffer is read or written).</param>
/// <param name="Keep">1 − τ (τ the dampening).</param>
/// <param name="WeightDecay">λ.</param>
/// <param name="FirstStep">1 on the first step (the buffer starts as d), else 0.</param>
/// <param name="Nesterov">1 for the Nesterov form, else 0.</param>
public readonly record struct SgdStep<T>(T LearningRate, T Momentum, T Keep, T WeightDecay, int FirstStep, int Nesterov) where T : unmanaged;

/// <summary>
/// The constants of one Adam or AdamW step (PyTorch's <c>torch.optim.Adam</c> / <c>AdamW</c>), computed on the host:
/// <code>
/// AdamW: p ← p·(1 − ηλ);  Adam: g ← g + λp
/// m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − (η / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Beta1">β₁.</param>
/// <param name="Beta2">β₂.</param>
/// <param name="OneMinusBeta1">1 − β₁ (rounded in T, as the CPU loop does).</param>
/// <param name="OneMinusBeta2">1 − β₂.</param>
/// <param name="StepSize">η / (1 − β₁ᵗ).</param>
/// <param name="SqrtCorrection2">√(1 − β₂ᵗ).</param>
/// <param name="Epsilon">ε.</param>
/// <param name="WeightDecay">λ (Adam's L2 term).</param>
/// <param name="Decay">1 − ηλ (AdamW's decoupled decay).</param>
/// <param name="Decoupled">1 for AdamW, 0 for Adam.</param>
public readonly record struct AdamStep<T>(T Beta1, T Beta2, T OneMinusBeta1, T OneMinusBeta2, T StepSize, T SqrtCorrection2,
    T Epsilon, T WeightDecay, T Decay, int Decoupled) where T : unmanaged;

/// <summary>
/// Optimizer updates on the GPU: one thread per parameter element, the same arithmetic in the same order as the
/// CPU loops of <c>MtlEngine.Nn.Sgd</c> and <c>Adam</c>, so that a parameter on <c>ilgpu-cpu</c> follows the CPU
/// run. Parameters, gradients and state are contiguous views of equal length; everything is updated in place.
/// </summary>
public static class GpuOptimizers
{
    /// <summary>One SGD step over p (in place) from g, with the momentum buffer b (unused when μ = 0).</summary>
    /// <exception cref="ArgumentException">When the views' lengths differ.</exception>
    public static void Sgd<T>(GpuContext gpu, ArrayView<T> p, ArrayView<T> g, ArrayView<T> buffer, SgdStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (g.Length != p.Length || (step.Momentum != T.Zero && buffer.Length != p.Length))
            throw new ArgumentException($"SGD on the device needs a gradient (and a momentum buffer) of the parameter's {p.Length} elements; got {g.Length} and {buffer.Length}.");
        if (p.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdStep<T>>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdStep<T>>)SgdKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdStep<T>>(SgdKernel<T>));
        kernel((int)p.Length, p, g, step.Momentum != T.Zero ? buffer : p, step);
    }

    /// <summary>One Adam (or AdamW) step over p (in place) from g, with the moment buffers m and v.</summary>
    /// <exception cref="ArgumentException">When the views' lengths differ.</exception>
    public static void Adam<T>(GpuContext gpu, ArrayView<T> p, ArrayView<T> g, ArrayView<T> m, ArrayView<T> v, AdamStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException($"Adam on the device needs a gradient and two moment buffers of the parameter's {p.Length} elements; got {g.Length}, {m.Length} and {v.Length}.");
        if (p.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, AdamStep<T>>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, AdamStep<T>>)AdamKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, AdamStep<T>>(AdamKernel<T>));
        kernel((int)p.Length, p, g, m, v, step);
    }

    internal static void SgdKernel<T>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> buffer, SgdStep<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T pi = p[i];
        T d = g[i] + s.WeightDecay * pi;
        if (s.Momentum != T.Zero)
        {
            T b = s.FirstStep != 0 ? d : s.Momentum * buffer[i] + s.Keep * d;
            buffer[i] = b;
            d = s.Nesterov != 0 ? d + s.Momentum * b : b;
        }
        p[i] = pi - s.LearningRate * d;
    }

    internal static void AdamKernel<T>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> m, ArrayView<T> v, AdamStep<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T pi = p[i], gi = g[i];
        if (s.Decoupled != 0) pi *= s.Decay;
        else gi += s.WeightDecay * pi;
        T mi = s.Beta1 * m[i] + s.OneMinusBeta1 * gi;
        T vi = s.Beta2 * v[i] + s.OneMinusBeta2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - s.StepSize * mi / (T.Sqrt(vi) / s.SqrtCorrection2 + s.Epsilon);
    }
}
