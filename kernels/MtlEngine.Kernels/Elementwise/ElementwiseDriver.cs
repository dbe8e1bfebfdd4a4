using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Elementwise;

/// <summary>
/// The one driver for element-wise operator structs over contiguous spans. It walks the span with the widest
/// vectors the hardware accelerates (512, then 256, then 128 bits), each width taking what the wider one
/// left, and finishes the last few elements with the scalar form. Types that have no vector form (e.g.
/// <see cref="decimal"/>) run the scalar form throughout.
/// </summary>
/// <remarks>The output may be one of the inputs (in place); partially overlapping spans are not supported.</remarks>
public static class ElementwiseDriver
{
    /// <summary>d[i] = op(x[i]).</summary>
    /// <exception cref="ArgumentException">When <paramref name="d"/> is shorter than <paramref name="x"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unary<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOperator<T>
    {
        CheckDestination(x.Length, d.Length);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        i = UnaryLoop<T, TOp, Vector512<T>, SimdLanes512<T>>(ref xr, ref dr, i, n, op);
        i = UnaryLoop<T, TOp, Vector256<T>, SimdLanes256<T>>(ref xr, ref dr, i, n, op);
        i = UnaryLoop<T, TOp, Vector128<T>, SimdLanes128<T>>(ref xr, ref dr, i, n, op);
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i));
    }

    /// <summary>d[i] = op(x[i], y[i]).</summary>
    /// <exception cref="ArgumentException">When the inputs differ in length or <paramref name="d"/> is shorter.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOperator<T>
    {
        CheckSameLength(x.Length, y.Length);
        CheckDestination(x.Length, d.Length);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        i = BinaryLoop<T, TOp, Vector512<T>, SimdLanes512<T>>(ref xr, ref yr, ref dr, i, n, op);
        i = BinaryLoop<T, TOp, Vector256<T>, SimdLanes256<T>>(ref xr, ref yr, ref dr, i, n, op);
        i = BinaryLoop<T, TOp, Vector128<T>, SimdLanes128<T>>(ref xr, ref yr, ref dr, i, n, op);
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }

    /// <summary>d[i] = op(x[i], y): the right input is one value broadcast along the span.</summary>
    /// <exception cref="ArgumentException">When <paramref name="d"/> is shorter than <paramref name="x"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<T, TOp>(ReadOnlySpan<T> x, T y, Span<T> d, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOperator<T>
    {
        CheckDestination(x.Length, d.Length);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        i = BroadcastLoop<T, TOp, Vector512<T>, SimdLanes512<T>>(ref xr, y, ref dr, i, n, op);
        i = BroadcastLoop<T, TOp, Vector256<T>, SimdLanes256<T>>(ref xr, y, ref dr, i, n, op);
        i = BroadcastLoop<T, TOp, Vector128<T>, SimdLanes128<T>>(ref xr, y, ref dr, i, n, op);
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), y);
    }

    /// <summary>d[i] = op(x, y[i]): the left input is one value broadcast along the span.</summary>
    /// <exception cref="ArgumentException">When <paramref name="d"/> is shorter than <paramref name="y"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<T, TOp>(T x, ReadOnlySpan<T> y, Span<T> d, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOperator<T> =>
        Binary(y, x, d, new Swapped<T, TOp>(op));   // op(x, y[i]) = swapped(y[i], x): the span-and-scalar walk above

    /// <summary>The operator with its inputs exchanged, f(y, x) for op = f (a struct, so the JIT inlines it away).</summary>
    private readonly struct Swapped<T, TOp>(TOp op) : IBinaryOperator<T>
        where T : unmanaged
        where TOp : struct, IBinaryOperator<T>
    {
        public T Invoke(T x, T y) => op.Invoke(y, x);
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => op.Invoke(y, x);
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => op.Invoke(y, x);
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => op.Invoke(y, x);
    }

    /// <summary>d[i] = op(a[i], b[i], c[i]).</summary>
    /// <exception cref="ArgumentException">When the inputs differ in length or <paramref name="d"/> is shorter.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Ternary<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> d, TOp op)
        where T : unmanaged
        where TOp : struct, ITernaryOperator<T>
    {
        CheckSameLength(a.Length, b.Length);
        CheckSameLength(a.Length, c.Length);
        CheckDestination(a.Length, d.Length);
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T cr = ref MemoryMarshal.GetReference(c);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)a.Length, i = 0;
        i = TernaryLoop<T, TOp, Vector512<T>, SimdLanes512<T>>(ref ar, ref br, ref cr, ref dr, i, n, op);
        i = TernaryLoop<T, TOp, Vector256<T>, SimdLanes256<T>>(ref ar, ref br, ref cr, ref dr, i, n, op);
        i = TernaryLoop<T, TOp, Vector128<T>, SimdLanes128<T>>(ref ar, ref br, ref cr, ref dr, i, n, op);
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i), Unsafe.Add(ref cr, i));
    }

    // The vector loops, once for every width: TL is SimdLanes512/256/128, a struct, so the JIT compiles each loop per
    // width with TL's members inlined (the code of the loops written out per width). A width the machine does not accelerate
    // (TL.IsAccelerated false, a constant) leaves i as it is.

    /// <summary>d[i..] = op(x[i..]) for whole vectors TV from <paramref name="i"/>; returns where the vectors stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint UnaryLoop<T, TOp, TV, TL>(ref T xr, ref T dr, nuint i, nuint n, TOp op)
        where T : unmanaged where TV : struct where TOp : struct, IUnaryOperator<T> where TL : ISimdLanes<T, TV>
    {
        if (!TL.IsAccelerated) return i;
        for (nuint w = (nuint)TL.Count; i + w <= n; i += w)
            TL.Store(TL.Invoke(op, TL.Load(ref xr, i)), ref dr, i);
        return i;
    }

    /// <summary>d[i..] = op(x[i..], y[i..]) for whole vectors TV from <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint BinaryLoop<T, TOp, TV, TL>(ref T xr, ref T yr, ref T dr, nuint i, nuint n, TOp op)
        where T : unmanaged where TV : struct where TOp : struct, IBinaryOperator<T> where TL : ISimdLanes<T, TV>
    {
        if (!TL.IsAccelerated) return i;
        for (nuint w = (nuint)TL.Count; i + w <= n; i += w)
            TL.Store(TL.Invoke(op, TL.Load(ref xr, i), TL.Load(ref yr, i)), ref dr, i);
        return i;
    }

    /// <summary>d[i..] = op(x[i..], y) for whole vectors TV from <paramref name="i"/>, y in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint BroadcastLoop<T, TOp, TV, TL>(ref T xr, T y, ref T dr, nuint i, nuint n, TOp op)
        where T : unmanaged where TV : struct where TOp : struct, IBinaryOperator<T> where TL : ISimdLanes<T, TV>
    {
        if (!TL.IsAccelerated) return i;
        var yv = TL.Broadcast(y);
        for (nuint w = (nuint)TL.Count; i + w <= n; i += w)
            TL.Store(TL.Invoke(op, TL.Load(ref xr, i), yv), ref dr, i);
        return i;
    }

    /// <summary>d[i..] = op(a[i..], b[i..], c[i..]) for whole vectors TV from <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint TernaryLoop<T, TOp, TV, TL>(ref T ar, ref T br, ref T cr, ref T dr, nuint i, nuint n, TOp op)
        where T : unmanaged where TV : struct where TOp : struct, ITernaryOperator<T> where TL : ISimdLanes<T, TV>
    {
        if (!TL.IsAccelerated) return i;
        for (nuint w = (nuint)TL.Count; i + w <= n; i += w)
            TL.Store(TL.Invoke(op, TL.Load(ref ar, i), TL.Load(ref br, i), TL.Load(ref cr, i)), ref dr, i);
        return i;
    }

    internal static void CheckSameLength(int first, int second)
    {
        if (first != second)
            throw new ArgumentException($"The inputs have {first} and {second} elements; element-wise kernels need inputs of equal length.");
    }

    internal static void CheckDestination(int inputLength, int destinationLength)
    {
        if (destinationLength < inputLength)
            throw new ArgumentException($"The destination holds {destinationLength} elements but the input has {inputLength}; pass a destination at least as long as the input.");
    }
}

