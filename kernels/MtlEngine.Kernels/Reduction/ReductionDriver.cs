using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Kernels.Reduction;

/// <summary>
/// The one driver for vectorized reductions of a contiguous span: ⊕ᵢ t(x[i]) for a transform t and an
/// aggregation ⊕. It uses the widest vectors the hardware accelerates, with four independent accumulators
/// (to hide the latency of ⊕), folds them in a fixed order, and finishes the tail with scalars. For a given
/// length and machine the order of operations is fixed, so the result is reproducible.
/// </summary>
public static class ReductionDriver
{
    /// <summary>⊕ᵢ t(x[i]) over a non-empty span.</summary>
    /// <exception cref="ArgumentException">When <paramref name="x"/> is empty (an aggregation has no identity here).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Aggregate<T, TTransform, TAggregate>(ReadOnlySpan<T> x, TTransform transform, TAggregate aggregate)
        where T : unmanaged
        where TTransform : struct, IUnaryOperator<T>
        where TAggregate : struct, IAggregationOperator<T> =>
        Aggregate(x, transform, aggregate, 512);

    /// <summary>
    /// As <see cref="Aggregate{T, TTransform, TAggregate}(ReadOnlySpan{T}, TTransform, TAggregate)"/> on vectors of at most
    /// <paramref name="widestBits"/> bits (512, 256 or 128): the tests run the narrower forms, which production runs only
    /// on machines without the wider vectors, on every machine that has them.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="x"/> is empty.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T Aggregate<T, TTransform, TAggregate>(ReadOnlySpan<T> x, TTransform transform, TAggregate aggregate, int widestBits)
        where T : unmanaged
        where TTransform : struct, IUnaryOperator<T>
        where TAggregate : struct, IAggregationOperator<T>
    {
        if (x.IsEmpty)
            throw new ArgumentException("Cannot aggregate an empty span: the reduction has no identity element.", nameof(x));
        ref T xr = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        if (widestBits >= 512 && Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
            return FourAccumulators<T, TTransform, TAggregate, Vector512<T>, SimdLanes512<T>>(ref xr, n, transform, aggregate);
        if (widestBits >= 256 && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
            return FourAccumulators<T, TTransform, TAggregate, Vector256<T>, SimdLanes256<T>>(ref xr, n, transform, aggregate);
        if (widestBits >= 128 && Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
        {
            nuint w = (nuint)Vector128<T>.Count, i = w;
            var a0 = transform.Invoke(Vector128.LoadUnsafe(ref xr));
            for (; i + w <= n; i += w)
                a0 = aggregate.Invoke(a0, transform.Invoke(Vector128.LoadUnsafe(ref xr, i)));
            T result = a0.GetElement(0);
            for (int lane = 1; lane < Vector128<T>.Count; lane++) result = aggregate.Invoke(result, a0.GetElement(lane));
            return Tail(ref xr, i, n, result, transform, aggregate);
        }
        return Tail(ref xr, 1, n, transform.Invoke(xr), transform, aggregate);
    }

    /// <summary>
    /// The wide loop on vectors TV (n ≥ one vector): four accumulators over groups of four vectors while they last,
    /// folded (a0 ⊕ a1) ⊕ (a2 ⊕ a3), then one vector at a time, the lanes in order, the tail in scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FourAccumulators<T, TTransform, TAggregate, TV, TL>(ref T xr, nuint n, TTransform transform, TAggregate aggregate)
        where T : unmanaged
        where TTransform : struct, IUnaryOperator<T>
        where TAggregate : struct, IAggregationOperator<T>
        where TV : struct
        where TL : ISimdLanes<T, TV>
    {
        nuint w = (nuint)TL.Count, i = w;
        var a0 = TL.Invoke(transform, TL.Load(ref xr, 0));
        if (n >= 4 * w)
        {
            var a1 = TL.Invoke(transform, TL.Load(ref xr, w));
            var a2 = TL.Invoke(transform, TL.Load(ref xr, 2 * w));
            var a3 = TL.Invoke(transform, TL.Load(ref xr, 3 * w));
            for (i = 4 * w; i + 4 * w <= n; i += 4 * w)
            {
                a0 = TL.Aggregate(aggregate, a0, TL.Invoke(transform, TL.Load(ref xr, i)));
                a1 = TL.Aggregate(aggregate, a1, TL.Invoke(transform, TL.Load(ref xr, i + w)));
                a2 = TL.Aggregate(aggregate, a2, TL.Invoke(transform, TL.Load(ref xr, i + 2 * w)));
                a3 = TL.Aggregate(aggregate, a3, TL.Invoke(transform, TL.Load(ref xr, i + 3 * w)));
            }
            a0 = TL.Aggregate(aggregate, TL.Aggregate(aggregate, a0, a1), TL.Aggregate(aggregate, a2, a3));
        }
        for (; i + w <= n; i += w)
            a0 = TL.Aggregate(aggregate, a0, TL.Invoke(transform, TL.Load(ref xr, i)));
        T result = TL.Lane(a0, 0);
        for (int lane = 1; lane < TL.Count; lane++) result = aggregate.Invoke(result, TL.Lane(a0, lane));
        return Tail(ref xr, i, n, result, transform, aggregate);
    }

    private static T Tail<T, TTransform, TAggregate>(ref T xr, nuint i, nuint n, T result, TTransform transform, TAggregate aggregate)
        where TTransform : struct, IUnaryOperator<T>
        where TAggregate : struct, IAggregationOperator<T>
    {
        for (; i < n; i++) result = aggregate.Invoke(result, transform.Invoke(Unsafe.Add(ref xr, i)));
        return result;
    }
}
