using System.Runtime.Intrinsics;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Kernels;

/// <summary>
/// One vector width TV (Vector512/256/128 of T) for the element-wise and reduction drivers' loops: loads, stores and an
/// operator struct's form at that width. <see cref="ElementwiseDriver"/> and <see cref="ReductionDriver"/> write each loop
/// once over TL : IVectorLanes&lt;T, TV&gt;; TL is a struct, so the JIT compiles a loop per width with these members inlined
/// and <see cref="IsAccelerated"/> folded to a constant: the code of the loops written out per width.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TV">The vector of T.</typeparam>
internal interface IVectorLanes<T, TV>
{
    /// <summary>Whether this machine accelerates the width for T (the drivers skip a width it does not).</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>The lanes of one vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector at x[i..].</summary>
    static abstract TV Load(ref T x, nuint i);

    /// <summary>x in every lane.</summary>
    static abstract TV Broadcast(T x);

    /// <summary>Writes v to d[i..].</summary>
    static abstract void Store(TV v, ref T d, nuint i);

    /// <summary>Lane <paramref name="lane"/> of <paramref name="v"/>.</summary>
    static abstract T Lane(TV v, int lane);

    /// <summary>op(x) lane by lane.</summary>
    static abstract TV Invoke<TOp>(TOp op, TV x) where TOp : struct, IUnaryOperator<T>;

    /// <summary>op(x, y) lane by lane.</summary>
    static abstract TV Invoke<TOp>(TOp op, TV x, TV y) where TOp : struct, IBinaryOperator<T>;

    /// <summary>op(a, b, c) lane by lane.</summary>
    static abstract TV Invoke<TOp>(TOp op, TV a, TV b, TV c) where TOp : struct, ITernaryOperator<T>;

    /// <summary>a ⊕ b lane by lane.</summary>
    static abstract TV Aggregate<TAggregate>(TAggregate aggregate, TV a, TV b) where TAggregate : struct, IAggregationOperator<T>;
}

/// <summary>512-bit lanes (AVX-512).</summary>
internal readonly struct VectorLanes512<T> : IVectorLanes<T, Vector512<T>>
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Load(ref T x, nuint i) => Vector512.LoadUnsafe(ref x, i);
    public static Vector512<T> Broadcast(T x) => Vector512.Create(x);
    public static void Store(Vector512<T> v, ref T d, nuint i) => v.StoreUnsafe(ref d, i);
    public static T Lane(Vector512<T> v, int lane) => v.GetElement(lane);
    public static Vector512<T> Invoke<TOp>(TOp op, Vector512<T> x) where TOp : struct, IUnaryOperator<T> => op.Invoke(x);
    public static Vector512<T> Invoke<TOp>(TOp op, Vector512<T> x, Vector512<T> y) where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);
    public static Vector512<T> Invoke<TOp>(TOp op, Vector512<T> a, Vector512<T> b, Vector512<T> c) where TOp : struct, ITernaryOperator<T> => op.Invoke(a, b, c);
    public static Vector512<T> Aggregate<TAggregate>(TAggregate aggregate, Vector512<T> a, Vector512<T> b) where TAggregate : struct, IAggregationOperator<T> => aggregate.Invoke(a, b);
}

/// <summary>256-bit lanes (AVX2).</summary>
internal readonly struct VectorLanes256<T> : IVectorLanes<T, Vector256<T>>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Load(ref T x, nuint i) => Vector256.LoadUnsafe(ref x, i);
    public static Vector256<T> Broadcast(T x) => Vector256.Create(x);
    public static void Store(Vector256<T> v, ref T d, nuint i) => v.StoreUnsafe(ref d, i);
    public static T Lane(Vector256<T> v, int lane) => v.GetElement(lane);
    public static Vector256<T> Invoke<TOp>(TOp op, Vector256<T> x) where TOp : struct, IUnaryOperator<T> => op.Invoke(x);
    public static Vector256<T> Invoke<TOp>(TOp op, Vector256<T> x, Vector256<T> y) where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);
    public static Vector256<T> Invoke<TOp>(TOp op, Vector256<T> a, Vector256<T> b, Vector256<T> c) where TOp : struct, ITernaryOperator<T> => op.Invoke(a, b, c);
    public static Vector256<T> Aggregate<TAggregate>(TAggregate aggregate, Vector256<T> a, Vector256<T> b) where TAggregate : struct, IAggregationOperator<T> => aggregate.Invoke(a, b);
}

/// <summary>128-bit lanes (SSE, NEON).</summary>
internal readonly struct VectorLanes128<T> : IVectorLanes<T, Vector128<T>>
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;
    public static int Count => Vector128<T>.Count;
    public static Vector128<T> Load(ref T x, nuint i) => Vector128.LoadUnsafe(ref x, i);
    public static Vector128<T> Broadcast(T x) => Vector128.Create(x);
    public static void Store(Vector128<T> v, ref T d, nuint i) => v.StoreUnsafe(ref d, i);
    public static T Lane(Vector128<T> v, int lane) => v.GetElement(lane);
    public static Vector128<T> Invoke<TOp>(TOp op, Vector128<T> x) where TOp : struct, IUnaryOperator<T> => op.Invoke(x);
    public static Vector128<T> Invoke<TOp>(TOp op, Vector128<T> x, Vector128<T> y) where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);
    public static Vector128<T> Invoke<TOp>(TOp op, Vector128<T> a, Vector128<T> b, Vector128<T> c) where TOp : struct, ITernaryOperator<T> => op.Invoke(a, b, c);
    public static Vector128<T> Aggregate<TAggregate>(TAggregate aggregate, Vector128<T> a, Vector128<T> b) where TAggregate : struct, IAggregationOperator<T> => aggregate.Invoke(a, b);
}
