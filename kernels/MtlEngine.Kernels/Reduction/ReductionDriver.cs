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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Aggregate<T, TTransform, TAggregate>(ReadOnlySpan<T> x, TTransform transform, TAggregate aggregate)
        where T : unmanaged
        where TTransform : struct, IUnaryOperator<T>
        where TAggregate : struct, IAggregationOperator<T>
    {
        if (x.IsEmpty)
            throw new ArgumentException("Cannot aggregate an empty span: the reduction has no identity element.", nameof(x));
        ref T xr = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
        {
            nuint w = (nuint)Vector512<T>.Count, i = w;
            var a0 = transform.Invoke(Vector512.LoadUnsafe(ref xr));
            if (n >= 4 * w)
            {
                var a1 = transform.Invoke(Vector512.LoadUnsafe(ref xr, w));
                var a2 = transform.Invoke(Vector512.LoadUnsafe(ref xr, 2 * w));
                var a3 = transform.Invoke(Vector512.LoadUnsafe(ref xr, 3 * w));
                for (i = 4 * w; i + 4 * w <= n; i += 4 * w)
                {
                    a0 = aggregate.Invoke(a0, transform.Invoke(Vector512.LoadUnsafe(ref xr, i)));
                    a1 = aggregate.Invoke(a1, transform.Invoke(Vector512.LoadUnsafe(ref xr, i + w)));
                    a2 = aggregate.Invoke(a2, transform.Invoke(Vector512.LoadUnsafe(ref xr, i + 2 * w)));
                    a3 = aggregate.Invoke(a3, transform.Invoke(Vector512.LoadUnsafe(ref xr, i + 3 * w)));
                }
                a0 = aggregate.Invoke(aggregate.Invoke(a0, a1), aggregate.Invoke(a2, a3));
            }
            for (; i + w <= n; i += w)
                a0 = aggregate.Invoke(a0, transform.Invoke(Vector512.LoadUnsafe(ref xr, i)));
            T result = a0.GetElement(0);
            for (int lane = 1; lane < Vector512<T>.Count; lane++) result = aggregate.Invoke(result, a0.GetElement(lane));
            return Tail(ref xr, i, n, result, transform, aggregate);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
        {
            nuint w = (nuint)Vector256<T>.Count, i = w;
            var a0 = transform.Invoke(Vector256.LoadUnsafe(ref xr));
            if (n >= 4 * w)
            {
                var a1 = transform.Invoke(Vector256.LoadUnsafe(ref xr, w));
                var a2 = transform.Invoke(Vector256.LoadUnsafe(ref xr, 2 * w));
                var a3 = transform.Invoke(Vector256.LoadUnsafe(ref xr, 3 * w));
                for (i = 4 * w; i + 4 * w <= n; i += 4 * w)
                {
                    a0 = aggregate.Invoke(a0, transform.Invoke(Vector256.LoadUnsafe(ref xr, i)));
                    a1 = aggregate.Invoke(a1, transform.Invoke(Vector256.LoadUnsafe(ref xr, i + w)));
                    a2 = aggregate.Invoke(a2, transform.Invoke(Vector256.LoadUnsafe(ref xr, i + 2 * w)));
                    a3 = aggregate.Invoke(a3, transform.Invoke(Vector256.LoadUnsafe(ref xr, i + 3 * w)));
                }
                a0 = aggregate.Invoke(aggregate.Invoke(a0, a1), aggregate.Invoke(a2, a3));
            }
            for (; i + w <= n; i += w)
                a0 = aggregate.Invoke(a0, transform.Invoke(Vector256.LoadUnsafe(ref xr, i)));
            T result = a0.GetElement(0);
            for (int lane = 1; lane < Vector256<T>.Count; lane++) result = aggregate.Invoke(result, a0.GetElement(lane));
            return Tail(ref xr, i, n, result, transform, aggregate);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
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

    private static T Tail<T, TTransform, TAggregate>(ref T xr, nuint i, nuint n, T result, TTransform transform, TAggregate aggregate)
        where TTransform : struct, IUnaryOperator<T>
        where TAggregate : struct, IAggregationOperator<T>
    {
        for (; i < n; i++) result = aggregate.Invoke(result, transform.Invoke(Unsafe.Add(ref xr, i)));
        return result;
    }
}
