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
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector512.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector256.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector128.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
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
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector512.LoadUnsafe(ref xr, i), Vector512.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector256.LoadUnsafe(ref xr, i), Vector256.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector128.LoadUnsafe(ref xr, i), Vector128.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }
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
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            var yv = Vector512.Create(y);
            for (; i + w <= n; i += w)
                op.Invoke(Vector512.LoadUnsafe(ref xr, i), yv).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            var yv = Vector256.Create(y);
            for (; i + w <= n; i += w)
                op.Invoke(Vector256.LoadUnsafe(ref xr, i), yv).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            var yv = Vector128.Create(y);
            for (; i + w <= n; i += w)
                op.Invoke(Vector128.LoadUnsafe(ref xr, i), yv).StoreUnsafe(ref dr, i);
        }
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
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector512.LoadUnsafe(ref ar, i), Vector512.LoadUnsafe(ref br, i), Vector512.LoadUnsafe(ref cr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector256.LoadUnsafe(ref ar, i), Vector256.LoadUnsafe(ref br, i), Vector256.LoadUnsafe(ref cr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector128.LoadUnsafe(ref ar, i), Vector128.LoadUnsafe(ref br, i), Vector128.LoadUnsafe(ref cr, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i), Unsafe.Add(ref cr, i));
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
