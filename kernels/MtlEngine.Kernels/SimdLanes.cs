using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Kernels;

// Two concepts, two interfaces: ISimdLanes is HOW a loop is written at one vector width, IVectorPath (VectorPaths.cs) is
// WHICH width a kernel takes on this machine, chosen inside the kernel (512-bit where accelerated, else 256-bit with FMA,
// else Vector<T> or scalar) and set by the tests to the 256-bit forms on AVX-512 machines, which one fixed-width lanes
// type cannot say.

/// <summary>
/// One vector width TV of T, for the loops written once over it: the element-wise and reduction drivers
/// (<see cref="ElementwiseDriver"/>, <see cref="ReductionDriver"/>), the register tiles (the GEMM's broadcast microkernel,
/// the direct convolution's and the Winograd multiply's tiles) and the symmetric eigensolver's panel and secular-equation
/// loops. The members take and return the raw vectors TV of T, so that a loop over TLanes : ISimdLanes&lt;T, TV&gt;
/// compiles, per width, to the code of a loop written out for that width (TLanes is a struct: the JIT specializes the loop
/// per width, inlines these and folds <see cref="IsAccelerated"/> and <see cref="Count"/> to constants; a wrapper struct
/// around the vector instead cost a register move per row, the JIT writing a row's second fused multiply-add into the dying
/// broadcast, then moving it). Memory is reached either through pointers (the tiles over packed or pinned buffers) or
/// through a reference and an element offset (the span loops).
/// </summary>
/// <typeparam name="T">The element type (float or double in the tiles and the eigensolver; any the drivers' operators take).</typeparam>
/// <typeparam name="TV">Vector512, Vector256, Vector128 or Vector of T.</typeparam>
public unsafe interface ISimdLanes<T, TV> where T : unmanaged where TV : struct
{
    /// <summary>Whether this machine accelerates the width for T (the drivers skip a width it does not).</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>The T lanes of one vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector at <paramref name="source"/>.</summary>
    static abstract TV Load(T* source);

    /// <summary>The vector at <paramref name="source"/>[<paramref name="index"/>..].</summary>
    static abstract TV Load(ref T source, nuint index);

    /// <summary>Writes <paramref name="value"/> to <paramref name="target"/>.</summary>
    static abstract void Store(TV value, T* target);

    /// <summary>Writes <paramref name="value"/> to <paramref name="target"/>[<paramref name="index"/>..].</summary>
    static abstract void Store(TV value, ref T target, nuint index);

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TV Broadcast(T value);

    /// <summary>Lane <paramref name="lane"/> of <paramref name="value"/>.</summary>
    static abstract T Lane(TV value, int lane);

    /// <summary>The sum of the lanes.</summary>
    static abstract T Sum(TV value);

    /// <summary>a + b lane by lane.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a − b lane by lane.</summary>
    static abstract TV Subtract(TV a, TV b);

    /// <summary>a·b lane by lane.</summary>
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a / b lane by lane.</summary>
    static abstract TV Divide(TV a, TV b);

    /// <summary>−a lane by lane (the sign bit flipped: −0 for 0).</summary>
    static abstract TV Negate(TV a);

    /// <summary>a·b + c lane by lane, rounded once for float and double (vfmadd231ps/pd).</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>All ones in the lanes where a = b, zeros elsewhere (a mask for <see cref="Select"/>).</summary>
    static abstract TV Equal(TV a, TV b);

    /// <summary>All ones in the lanes where a &lt; b, zeros elsewhere (a mask for <see cref="Select"/>).</summary>
    static abstract TV LessThan(TV a, TV b);

    /// <summary>Per lane, <paramref name="ifTrue"/> where <paramref name="mask"/> is all ones, else <paramref name="ifFalse"/> (bitwise select).</summary>
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);

    /// <summary>op(x) lane by lane.</summary>
    static abstract TV Invoke<TOp>(TOp op, TV x) where TOp : struct, IUnaryOperator<T>;

    /// <summary>op(x, y) lane by lane.</summary>
    static abstract TV Invoke<TOp>(TOp op, TV x, TV y) where TOp : struct, IBinaryOperator<T>;

    /// <summary>op(a, b, c) lane by lane.</summary>
    static abstract TV Invoke<TOp>(TOp op, TV a, TV b, TV c) where TOp : struct, ITernaryOperator<T>;

    /// <summary>a ⊕ b lane by lane.</summary>
    static abstract TV Aggregate<TAggregate>(TAggregate aggregate, TV a, TV b) where TAggregate : struct, IAggregationOperator<T>;
}

/// <summary>AVX-512: 512-bit vectors, 32 registers.</summary>
public readonly unsafe struct SimdLanes512<T> : ISimdLanes<T, Vector512<T>> where T : unmanaged
{
    /// <inheritdoc />
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    /// <inheritdoc />
    public static int Count => Vector512<T>.Count;

    /// <inheritdoc />
    public static Vector512<T> Load(T* source) => Vector512.Load(source);

    /// <inheritdoc />
    public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    /// <inheritdoc />
    public static void Store(Vector512<T> value, T* target) => value.Store(target);

    /// <inheritdoc />
    public static void Store(Vector512<T> value, ref T target, nuint index) => value.StoreUnsafe(ref target, index);

    /// <inheritdoc />
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    /// <inheritdoc />
    public static T Lane(Vector512<T> value, int lane) => value.GetElement(lane);

    /// <inheritdoc />
    public static T Sum(Vector512<T> value) => Vector512.Sum(value);

    /// <inheritdoc />
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    /// <inheritdoc />
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    /// <inheritdoc />
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    /// <inheritdoc />
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

    /// <inheritdoc />
    public static Vector512<T> Negate(Vector512<T> a) => -a;

    /// <inheritdoc />
    public static Vector512<T> Equal(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);

    /// <inheritdoc />
    public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);

    /// <inheritdoc />
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> ifTrue, Vector512<T> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <inheritdoc />
    public static Vector512<T> Invoke<TOp>(TOp op, Vector512<T> x) where TOp : struct, IUnaryOperator<T> => op.Invoke(x);

    /// <inheritdoc />
    public static Vector512<T> Invoke<TOp>(TOp op, Vector512<T> x, Vector512<T> y) where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);

    /// <inheritdoc />
    public static Vector512<T> Invoke<TOp>(TOp op, Vector512<T> a, Vector512<T> b, Vector512<T> c) where TOp : struct, ITernaryOperator<T> => op.Invoke(a, b, c);

    /// <inheritdoc />
    public static Vector512<T> Aggregate<TAggregate>(TAggregate aggregate, Vector512<T> a, Vector512<T> b) where TAggregate : struct, IAggregationOperator<T> => aggregate.Invoke(a, b);
}

/// <summary>
/// AVX2 + FMA (the Zen 3 path): 256-bit vectors, 16 registers (<see cref="Simd256"/>: one instruction each).
/// <see cref="MultiplyAdd"/> needs FMA (<see cref="IVectorPath.Fma256"/>); the other members run wherever
/// <see cref="IsAccelerated"/>.
/// </summary>
public readonly unsafe struct SimdLanes256<T> : ISimdLanes<T, Vector256<T>> where T : unmanaged
{
    /// <inheritdoc />
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;

    /// <inheritdoc />
    public static int Count => Vector256<T>.Count;

    /// <inheritdoc />
    public static Vector256<T> Load(T* source) => Simd256.Load(source);

    /// <inheritdoc />
    public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    /// <inheritdoc />
    public static void Store(Vector256<T> value, T* target) => Simd256.Store(value, target);

    /// <inheritdoc />
    public static void Store(Vector256<T> value, ref T target, nuint index) => value.StoreUnsafe(ref target, index);

    /// <inheritdoc />
    public static Vector256<T> Broadcast(T value) => Simd256.Broadcast(value);

    /// <inheritdoc />
    public static T Lane(Vector256<T> value, int lane) => value.GetElement(lane);

    /// <inheritdoc />
    public static T Sum(Vector256<T> value) => Vector256.Sum(value);

    /// <inheritdoc />
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    /// <inheritdoc />
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    /// <inheritdoc />
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    /// <inheritdoc />
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

    /// <inheritdoc />
    public static Vector256<T> Negate(Vector256<T> a) => -a;

    /// <inheritdoc />
    public static Vector256<T> Equal(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);

    /// <inheritdoc />
    public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);

    /// <inheritdoc />
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> ifTrue, Vector256<T> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    /// <inheritdoc />
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Simd256.Fma(a, b, c);

    /// <inheritdoc />
    public static Vector256<T> Invoke<TOp>(TOp op, Vector256<T> x) where TOp : struct, IUnaryOperator<T> => op.Invoke(x);

    /// <inheritdoc />
    public static Vector256<T> Invoke<TOp>(TOp op, Vector256<T> x, Vector256<T> y) where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);

    /// <inheritdoc />
    public static Vector256<T> Invoke<TOp>(TOp op, Vector256<T> a, Vector256<T> b, Vector256<T> c) where TOp : struct, ITernaryOperator<T> => op.Invoke(a, b, c);

    /// <inheritdoc />
    public static Vector256<T> Aggregate<TAggregate>(TAggregate aggregate, Vector256<T> a, Vector256<T> b) where TAggregate : struct, IAggregationOperator<T> => aggregate.Invoke(a, b);
}

/// <summary>128-bit vectors (SSE, NEON): the element-wise and reduction drivers' narrowest width.</summary>
public readonly unsafe struct SimdLanes128<T> : ISimdLanes<T, Vector128<T>> where T : unmanaged
{
    /// <inheritdoc />
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;

    /// <inheritdoc />
    public static int Count => Vector128<T>.Count;

    /// <inheritdoc />
    public static Vector128<T> Load(T* source) => Vector128.Load(source);

    /// <inheritdoc />
    public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    /// <inheritdoc />
    public static void Store(Vector128<T> value, T* target) => value.Store(target);

    /// <inheritdoc />
    public static void Store(Vector128<T> value, ref T target, nuint index) => value.StoreUnsafe(ref target, index);

    /// <inheritdoc />
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    /// <inheritdoc />
    public static T Lane(Vector128<T> value, int lane) => value.GetElement(lane);

    /// <inheritdoc />
    public static T Sum(Vector128<T> value) => Vector128.Sum(value);

    /// <inheritdoc />
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    /// <inheritdoc />
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    /// <inheritdoc />
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    /// <inheritdoc />
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

    /// <inheritdoc />
    public static Vector128<T> Negate(Vector128<T> a) => -a;

    /// <inheritdoc />
    public static Vector128<T> Equal(Vector128<T> a, Vector128<T> b) => Vector128.Equals(a, b);

    /// <inheritdoc />
    public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);

    /// <inheritdoc />
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> ifTrue, Vector128<T> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <inheritdoc />
    public static Vector128<T> Invoke<TOp>(TOp op, Vector128<T> x) where TOp : struct, IUnaryOperator<T> => op.Invoke(x);

    /// <inheritdoc />
    public static Vector128<T> Invoke<TOp>(TOp op, Vector128<T> x, Vector128<T> y) where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);

    /// <inheritdoc />
    public static Vector128<T> Invoke<TOp>(TOp op, Vector128<T> a, Vector128<T> b, Vector128<T> c) where TOp : struct, ITernaryOperator<T> => op.Invoke(a, b, c);

    /// <inheritdoc />
    public static Vector128<T> Aggregate<TAggregate>(TAggregate aggregate, Vector128<T> a, Vector128<T> b) where TAggregate : struct, IAggregationOperator<T> => aggregate.Invoke(a, b);
}

/// <summary>
/// <see cref="Vector{T}"/> (any hardware the runtime vectorizes; <see cref="SimdPortable"/>). The operator forms run the
/// operator's Vector512/256/128 form on the same bits (Vector&lt;T&gt; is one of those sizes; the choice is a JIT constant).
/// </summary>
public readonly unsafe struct SimdLanesPortable<T> : ISimdLanes<T, Vector<T>> where T : unmanaged
{
    /// <inheritdoc />
    public static bool IsAccelerated => Vector.IsHardwareAccelerated && Vector<T>.IsSupported;

    /// <inheritdoc />
    public static int Count => Vector<T>.Count;

    /// <inheritdoc />
    public static Vector<T> Load(T* source) => SimdPortable.Load(source);

    /// <inheritdoc />
    public static Vector<T> Load(ref T source, nuint index) => Vector.LoadUnsafe(ref source, index);

    /// <inheritdoc />
    public static void Store(Vector<T> value, T* target) => SimdPortable.Store(value, target);

    /// <inheritdoc />
    public static void Store(Vector<T> value, ref T target, nuint index) => value.StoreUnsafe(ref target, index);

    /// <inheritdoc />
    public static Vector<T> Broadcast(T value) => SimdPortable.Broadcast(value);

    /// <inheritdoc />
    public static T Lane(Vector<T> value, int lane) => value[lane];

    /// <inheritdoc />
    public static T Sum(Vector<T> value) => Vector.Sum(value);

    /// <inheritdoc />
    public static Vector<T> Add(Vector<T> a, Vector<T> b) => a + b;

    /// <inheritdoc />
    public static Vector<T> Subtract(Vector<T> a, Vector<T> b) => a - b;

    /// <inheritdoc />
    public static Vector<T> Multiply(Vector<T> a, Vector<T> b) => a * b;

    /// <inheritdoc />
    public static Vector<T> Divide(Vector<T> a, Vector<T> b) => a / b;

    /// <inheritdoc />
    public static Vector<T> Negate(Vector<T> a) => -a;

    /// <inheritdoc />
    public static Vector<T> Equal(Vector<T> a, Vector<T> b) => Vector.Equals(a, b);

    /// <inheritdoc />
    public static Vector<T> LessThan(Vector<T> a, Vector<T> b) => Vector.LessThan(a, b);

    /// <inheritdoc />
    public static Vector<T> Select(Vector<T> mask, Vector<T> ifTrue, Vector<T> ifFalse) => Vector.ConditionalSelect(mask, ifTrue, ifFalse);

    /// <inheritdoc />
    public static Vector<T> MultiplyAdd(Vector<T> a, Vector<T> b, Vector<T> c) => SimdPortable.Fma(a, b, c);

    /// <inheritdoc />
    public static Vector<T> Invoke<TOp>(TOp op, Vector<T> x) where TOp : struct, IUnaryOperator<T> =>
        Vector<byte>.Count == 64 ? op.Invoke(x.AsVector512()).AsVector()
        : Vector<byte>.Count == 32 ? op.Invoke(x.AsVector256()).AsVector()
        : Vector<byte>.Count == 16 ? op.Invoke(x.AsVector128()).AsVector()
        : throw NoOperatorForm();

    /// <inheritdoc />
    public static Vector<T> Invoke<TOp>(TOp op, Vector<T> x, Vector<T> y) where TOp : struct, IBinaryOperator<T> =>
        Vector<byte>.Count == 64 ? op.Invoke(x.AsVector512(), y.AsVector512()).AsVector()
        : Vector<byte>.Count == 32 ? op.Invoke(x.AsVector256(), y.AsVector256()).AsVector()
        : Vector<byte>.Count == 16 ? op.Invoke(x.AsVector128(), y.AsVector128()).AsVector()
        : throw NoOperatorForm();

    /// <inheritdoc />
    public static Vector<T> Invoke<TOp>(TOp op, Vector<T> a, Vector<T> b, Vector<T> c) where TOp : struct, ITernaryOperator<T> =>
        Vector<byte>.Count == 64 ? op.Invoke(a.AsVector512(), b.AsVector512(), c.AsVector512()).AsVector()
        : Vector<byte>.Count == 32 ? op.Invoke(a.AsVector256(), b.AsVector256(), c.AsVector256()).AsVector()
        : Vector<byte>.Count == 16 ? op.Invoke(a.AsVector128(), b.AsVector128(), c.AsVector128()).AsVector()
        : throw NoOperatorForm();

    /// <inheritdoc />
    public static Vector<T> Aggregate<TAggregate>(TAggregate aggregate, Vector<T> a, Vector<T> b) where TAggregate : struct, IAggregationOperator<T> =>
        Vector<byte>.Count == 64 ? aggregate.Invoke(a.AsVector512(), b.AsVector512()).AsVector()
        : Vector<byte>.Count == 32 ? aggregate.Invoke(a.AsVector256(), b.AsVector256()).AsVector()
        : Vector<byte>.Count == 16 ? aggregate.Invoke(a.AsVector128(), b.AsVector128()).AsVector()
        : throw NoOperatorForm();

    private static NotSupportedException NoOperatorForm() => new($"Vector<T> of {Vector<byte>.Count} bytes has no Vector128/256/512 operator form.");
}

/// <summary>A register tile's height as a type (4, 6, 8 or 12 rows): the JIT compiles a tile once per height, the rows past
/// it constant-false branches that it drops.</summary>
internal interface ITileRows
{
    /// <summary>The rows.</summary>
    static abstract int Count { get; }
}

/// <summary>Four rows (the portable GEMM kernel, the AVX2 kernel's short tile, the direct convolution's smallest tile).</summary>
internal readonly struct Rows4 : ITileRows
{
    public static int Count => 4;
}

/// <summary>Six rows (the AVX2 GEMM kernel; the direct convolution's 256-bit tile).</summary>
internal readonly struct Rows6 : ITileRows
{
    public static int Count => 6;
}

/// <summary>Eight rows.</summary>
internal readonly struct Rows8 : ITileRows
{
    public static int Count => 8;
}

/// <summary>Twelve rows.</summary>
internal readonly struct Rows12 : ITileRows
{
    public static int Count => 12;
}
