using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Optimizers;

/// <summary>
/// The CPU optimizer updates over spans, in place: each runs its <see cref="OptimizerRules"/> formula on the widest
/// vectors the machine accelerates (Vector512, else Vector256, else Vector128), then on scalars for the tail. The
/// reference twins run the same formula one element at a time; both give the same bits (the tests hold them so).
/// </summary>
public static class OptimizerKernels
{
    /// <summary>One SGD step over <paramref name="p"/> from <paramref name="g"/>, with the momentum buffer <paramref name="buffer"/> (empty when unused).</summary>
    /// <exception cref="ArgumentException">When the lengths differ.</exception>
    public static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buffer, SgdStep<T> step) where T : unmanaged, IFloatingPointIeee754<T> =>
        Sgd(p, g, buffer, step, 512);

    /// <summary>
    /// As <see cref="Sgd{T}(Span{T}, ReadOnlySpan{T}, Span{T}, SgdStep{T})"/> on vectors of at most <paramref name="widestBits"/> bits (512, 256 or 128): the tests run the
    /// narrower forms, which production runs only on machines without the wider vectors, on every machine that has them.
    /// </summary>
    internal static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buffer, SgdStep<T> step, int widestBits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths("SGD", p.Length, g.Length, step.UseMomentum != 0 ? buffer.Length : p.Length);
        if (step.UseMomentum == 0) buffer = p; // never touched
        int i = 0;
        if (widestBits >= 512 && Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported) i = SgdLoop<T, Lanes512<T>, Lanes512<T>>(p, g, buffer, step, 0);
        else if (widestBits >= 256 && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported) i = SgdLoop<T, Lanes256<T>, Lanes256<T>>(p, g, buffer, step, 0);
        else if (widestBits >= 128 && Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported) i = SgdLoop<T, Lanes128<T>, Lanes128<T>>(p, g, buffer, step, 0);
        SgdLoop<T, T, ScalarLanes<T>>(p, g, buffer, step, i);
    }

    /// <summary>The reference twin of <see cref="Sgd{T}(Span{T}, ReadOnlySpan{T}, Span{T}, SgdStep{T})"/>: one element at a time.</summary>
    public static void SgdReference<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buffer, SgdStep<T> step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths("SGD", p.Length, g.Length, step.UseMomentum != 0 ? buffer.Length : p.Length);
        SgdLoop<T, T, ScalarLanes<T>>(p, g, step.UseMomentum != 0 ? buffer : p, step, 0);
    }

    /// <summary>One Adam (or AdamW) step over <paramref name="p"/> from <paramref name="g"/>, with the moments <paramref name="m"/> and <paramref name="v"/>.</summary>
    /// <exception cref="ArgumentException">When the lengths differ.</exception>
    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamStep<T> step) where T : unmanaged, IFloatingPointIeee754<T> =>
        Adam(p, g, m, v, step, 512);

    /// <summary>
    /// As <see cref="Adam{T}(Span{T}, ReadOnlySpan{T}, Span{T}, Span{T}, AdamStep{T})"/> on vectors of at most <paramref name="widestBits"/> bits (512, 256 or 128): the tests run the
    /// narrower forms, which production runs only on machines without the wider vectors, on every machine that has them.
    /// </summary>
    internal static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamStep<T> step, int widestBits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths("Adam", p.Length, g.Length, m.Length, v.Length);
        int i = 0;
        if (widestBits >= 512 && Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported) i = AdamLoop<T, Lanes512<T>, Lanes512<T>>(p, g, m, v, step, 0);
        else if (widestBits >= 256 && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported) i = AdamLoop<T, Lanes256<T>, Lanes256<T>>(p, g, m, v, step, 0);
        else if (widestBits >= 128 && Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported) i = AdamLoop<T, Lanes128<T>, Lanes128<T>>(p, g, m, v, step, 0);
        AdamLoop<T, T, ScalarLanes<T>>(p, g, m, v, step, i);
    }

    /// <summary>The reference twin of <see cref="Adam{T}(Span{T}, ReadOnlySpan{T}, Span{T}, Span{T}, AdamStep{T})"/>: one element at a time.</summary>
    public static void AdamReference<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamStep<T> step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths("Adam", p.Length, g.Length, m.Length, v.Length);
        AdamLoop<T, T, ScalarLanes<T>>(p, g, m, v, step, 0);
    }

    /// <summary>
    /// One RMSprop step over <paramref name="p"/> from <paramref name="g"/>, with the square average <paramref name="v"/>,
    /// the momentum buffer <paramref name="buffer"/> and the gradient average <paramref name="gAverage"/> (each empty when unused).
    /// </summary>
    /// <exception cref="ArgumentException">When the lengths differ.</exception>
    public static void RmsProp<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, Span<T> buffer, Span<T> gAverage, RmsPropStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RmsProp(p, g, v, buffer, gAverage, step, 512);

    /// <summary>
    /// As <see cref="RmsProp{T}(Span{T}, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, RmsPropStep{T})"/> on vectors of at most <paramref name="widestBits"/> bits (512, 256 or 128): the tests run the
    /// narrower forms, which production runs only on machines without the wider vectors, on every machine that has them.
    /// </summary>
    internal static void RmsProp<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, Span<T> buffer, Span<T> gAverage, RmsPropStep<T> step, int widestBits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths("RMSprop", p.Length, g.Length, v.Length, step.UseMomentum != 0 ? buffer.Length : p.Length, step.Centered != 0 ? gAverage.Length : p.Length);
        if (step.UseMomentum == 0) buffer = p; // never touched
        if (step.Centered == 0) gAverage = p;
        int i = 0;
        if (widestBits >= 512 && Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported) i = RmsPropLoop<T, Lanes512<T>, Lanes512<T>>(p, g, v, buffer, gAverage, step, 0);
        else if (widestBits >= 256 && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported) i = RmsPropLoop<T, Lanes256<T>, Lanes256<T>>(p, g, v, buffer, gAverage, step, 0);
        else if (widestBits >= 128 && Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported) i = RmsPropLoop<T, Lanes128<T>, Lanes128<T>>(p, g, v, buffer, gAverage, step, 0);
        RmsPropLoop<T, T, ScalarLanes<T>>(p, g, v, buffer, gAverage, step, i);
    }

    /// <summary>The reference twin of <see cref="RmsProp{T}(Span{T}, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, RmsPropStep{T})"/>: one element at a time.</summary>
    public static void RmsPropReference<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, Span<T> buffer, Span<T> gAverage, RmsPropStep<T> step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths("RMSprop", p.Length, g.Length, v.Length, step.UseMomentum != 0 ? buffer.Length : p.Length, step.Centered != 0 ? gAverage.Length : p.Length);
        RmsPropLoop<T, T, ScalarLanes<T>>(p, g, v, step.UseMomentum != 0 ? buffer : p, step.Centered != 0 ? gAverage : p, step, 0);
    }

    // The loops: elements [start, last whole lane group) through the rule on TV lanes; returns where they stopped.
    // Unused state spans alias p: the rule never reads or writes them, so the aliasing is harmless.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SgdLoop<T, TV, TL>(Span<T> p, ReadOnlySpan<T> g, Span<T> buffer, SgdStep<T> s, int i)
        where T : unmanaged where TV : unmanaged, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>
        where TL : ILanes<T, TV>
    {
        var c = new SgdStep<TV>(TL.Broadcast(s.LearningRate), TL.Broadcast(s.Momentum), TL.Broadcast(s.Keep), TL.Broadcast(s.WeightDecay), s.UseMomentum, s.FirstStep, s.Nesterov);
        for (; i <= p.Length - TL.Count; i += TL.Count)
        {
            TV pi = TL.Load(p, i), bi = TL.Load(buffer, i);
            OptimizerRules.Sgd(ref pi, TL.Load(g, i), ref bi, c);
            if (s.UseMomentum != 0) TL.Store(bi, buffer, i);
            TL.Store(pi, p, i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AdamLoop<T, TV, TL>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamStep<T> s, int i)
        where T : unmanaged
        where TV : unmanaged, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>, IDivisionOperators<TV, TV, TV>
        where TL : ILanes<T, TV>
    {
        var c = new AdamStep<TV>(TL.Broadcast(s.Beta1), TL.Broadcast(s.Beta2), TL.Broadcast(s.OneMinusBeta1), TL.Broadcast(s.OneMinusBeta2), TL.Broadcast(s.StepSize),
            TL.Broadcast(s.SqrtCorrection2), TL.Broadcast(s.Epsilon), TL.Broadcast(s.WeightDecay), TL.Broadcast(s.Decay), s.Decoupled);
        for (; i <= p.Length - TL.Count; i += TL.Count)
        {
            TV pi = TL.Load(p, i), mi = TL.Load(m, i), vi = TL.Load(v, i);
            OptimizerRules.Adam<TV, TL>(ref pi, TL.Load(g, i), ref mi, ref vi, c);
            TL.Store(mi, m, i);
            TL.Store(vi, v, i);
            TL.Store(pi, p, i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RmsPropLoop<T, TV, TL>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, Span<T> buffer, Span<T> gAverage, RmsPropStep<T> s, int i)
        where T : unmanaged
        where TV : unmanaged, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>, IDivisionOperators<TV, TV, TV>
        where TL : ILanes<T, TV>
    {
        var c = new RmsPropStep<TV>(TL.Broadcast(s.LearningRate), TL.Broadcast(s.Alpha), TL.Broadcast(s.OneMinusAlpha), TL.Broadcast(s.Epsilon),
            TL.Broadcast(s.WeightDecay), TL.Broadcast(s.Momentum), s.UseMomentum, s.Centered);
        for (; i <= p.Length - TL.Count; i += TL.Count)
        {
            TV pi = TL.Load(p, i), vi = TL.Load(v, i), bi = TL.Load(buffer, i), ai = TL.Load(gAverage, i);
            OptimizerRules.RmsProp<TV, TL>(ref pi, TL.Load(g, i), ref vi, ref bi, ref ai, c);
            TL.Store(vi, v, i);
            if (s.UseMomentum != 0) TL.Store(bi, buffer, i);
            if (s.Centered != 0) TL.Store(ai, gAverage, i);
            TL.Store(pi, p, i);
        }
        return i;
    }

    private static void CheckLengths(string optimizer, int parameterLength, params ReadOnlySpan<int> others)
    {
        foreach (int length in others)
            if (length != parameterLength)
                throw new ArgumentException($"{optimizer} needs a gradient and state buffers of the parameter's {parameterLength} elements, but one has {length}.");
    }
}
