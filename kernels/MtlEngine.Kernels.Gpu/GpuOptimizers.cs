using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MtlEngine.Kernels.Optimizers;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// Optimizer updates on the GPU: one thread per parameter element, running the same <see cref="OptimizerRules"/>
/// formula as the CPU drivers (<see cref="OptimizerKernels"/>) on one scalar, so that a parameter on <c>ilgpu-cpu</c>
/// follows the CPU run bit for bit (on CUDA within an ulp per step, where multiply-adds may be fused). Parameters, gradients and state are contiguous views of equal length; everything
/// is updated in place. A state view that the step does not use (no momentum, not centered) may be any view; it is
/// neither read nor written.
/// </summary>
public static class GpuOptimizers
{
    /// <summary>One SGD step over p (in place) from g, with the momentum buffer b (unused without momentum).</summary>
    /// <exception cref="ArgumentException">When the views' lengths differ.</exception>
    public static void Sgd<T>(GpuContext gpu, ArrayView<T> p, ArrayView<T> g, ArrayView<T> buffer, SgdStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (g.Length != p.Length || (step.UseMomentum != 0 && buffer.Length != p.Length))
            throw new ArgumentException($"SGD on the device needs a gradient (and a momentum buffer) of the parameter's {p.Length} elements; got {g.Length} and {buffer.Length}.");
        if (p.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdStep<T>>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdStep<T>>)SgdKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdStep<T>>(SgdKernel<T>));
        kernel((int)p.Length, p, g, step.UseMomentum != 0 ? buffer : p, step);
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

    /// <summary>One RMSprop step over p (in place) from g, with the square average v, the momentum buffer and the gradient average (each unused when off).</summary>
    /// <exception cref="ArgumentException">When the views' lengths differ.</exception>
    public static void RmsProp<T>(GpuContext gpu, ArrayView<T> p, ArrayView<T> g, ArrayView<T> v, ArrayView<T> buffer, ArrayView<T> gAverage, RmsPropStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (g.Length != p.Length || v.Length != p.Length || (step.UseMomentum != 0 && buffer.Length != p.Length) || (step.Centered != 0 && gAverage.Length != p.Length))
            throw new ArgumentException($"RMSprop on the device needs a gradient and state buffers of the parameter's {p.Length} elements; got {g.Length}, {v.Length}, {buffer.Length} and {gAverage.Length}.");
        if (p.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, RmsPropStep<T>>>(
            (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, RmsPropStep<T>>)RmsPropKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, RmsPropStep<T>>(RmsPropKernel<T>));
        kernel((int)p.Length, p, g, v, step.UseMomentum != 0 ? buffer : p, step.Centered != 0 ? gAverage : p, step);
    }

    internal static void SgdKernel<T>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> buffer, SgdStep<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T pi = p[i], bi = s.UseMomentum != 0 ? buffer[i] : T.Zero;
        OptimizerRules.Sgd(ref pi, g[i], ref bi, s);
        if (s.UseMomentum != 0) buffer[i] = bi;
        p[i] = pi;
    }

    internal static void AdamKernel<T>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> m, ArrayView<T> v, AdamStep<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T pi = p[i], mi = m[i], vi = v[i];
        OptimizerRules.Adam<T, ScalarLanes<T>>(ref pi, g[i], ref mi, ref vi, s);
        m[i] = mi;
        v[i] = vi;
        p[i] = pi;
    }

    internal static void RmsPropKernel<T>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> v, ArrayView<T> buffer, ArrayView<T> gAverage, RmsPropStep<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T pi = p[i], vi = v[i];
        T bi = s.UseMomentum != 0 ? buffer[i] : T.Zero;
        T ai = s.Centered != 0 ? gAverage[i] : T.Zero;
        OptimizerRules.RmsProp<T, ScalarLanes<T>>(ref pi, g[i], ref vi, ref bi, ref ai, s);
        v[i] = vi;
        if (s.UseMomentum != 0) buffer[i] = bi;
        if (s.Centered != 0) gAverage[i] = ai;
        p[i] = pi;
    }
}
