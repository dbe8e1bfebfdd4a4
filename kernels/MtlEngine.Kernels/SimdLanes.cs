using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Kernels;

/// <summary>
/// One vector width for the register tiles written once over it: the GEMM's broadcast microkernel (BroadcastTile: AVX2 and
/// portable), the direct convolution's tile and the Winograd tile. The members take and return the raw vectors TV of T, so
/// that a tile over TLanes : ISimdLanes&lt;T, TV&gt; compiles, per width, to the code of a tile written out for that width
/// (TLanes is a struct: the JIT specializes the tile per width and inlines these; a wrapper struct around the vector instead
/// cost a register move per row, the JIT writing a row's second fused multiply-add into the dying broadcast, then moving it).
/// </summary>
/// <typeparam name="T">The element type (float or double in the kernels).</typeparam>
/// <typeparam name="TV">Vector512, Vector256 or Vector of T.</typeparam>
internal unsafe interface ISimdLanes<T, TV> where T : unmanaged where TV : struct
{
    /// <summary>The T lanes of one vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector at <paramref name="source"/>.</summary>
    static abstract TV Load(T* source);

    /// <summary>Writes <paramref name="value"/> to <paramref name="target"/>.</summary>
    static abstract void Store(TV value, T* target);

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TV Broadcast(T value);

    /// <summary>a + b lane by lane.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a·b lane by lane.</summary>
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a·b + c lane by lane, rounded once for float and double (vfmadd231ps/pd).</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
}

/// <summary>AVX-512: 512-bit vectors, 32 registers.</summary>
internal readonly unsafe struct SimdLanes512<T> : ISimdLanes<T, Vector512<T>> where T : unmanaged
{
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Load(T* source) => Vector512.Load(source);
    public static void Store(Vector512<T> value, T* target) => value.Store(target);
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}

/// <summary>AVX2 + FMA (the Zen 3 path): 256-bit vectors, 16 registers (<see cref="Simd256"/>: one instruction each).</summary>
internal readonly unsafe struct SimdLanes256<T> : ISimdLanes<T, Vector256<T>> where T : unmanaged
{
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Load(T* source) => Simd256.Load(source);
    public static void Store(Vector256<T> value, T* target) => Simd256.Store(value, target);
    public static Vector256<T> Broadcast(T value) => Simd256.Broadcast(value);
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Simd256.Fma(a, b, c);
}

/// <summary><see cref="Vector{T}"/> (any hardware the runtime vectorizes; <see cref="SimdPortable"/>).</summary>
internal readonly unsafe struct SimdLanesPortable<T> : ISimdLanes<T, Vector<T>> where T : unmanaged
{
    public static int Count => Vector<T>.Count;
    public static Vector<T> Load(T* source) => SimdPortable.Load(source);
    public static void Store(Vector<T> value, T* target) => SimdPortable.Store(value, target);
    public static Vector<T> Broadcast(T value) => SimdPortable.Broadcast(value);
    public static Vector<T> Add(Vector<T> a, Vector<T> b) => a + b;
    public static Vector<T> Multiply(Vector<T> a, Vector<T> b) => a * b;
    public static Vector<T> MultiplyAdd(Vector<T> a, Vector<T> b, Vector<T> c) => SimdPortable.Fma(a, b, c);
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
