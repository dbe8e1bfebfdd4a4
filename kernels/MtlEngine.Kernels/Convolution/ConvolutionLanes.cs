using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// One vector width for the convolutions' register tiles (<see cref="DirectConvolution"/>'s and <see cref="WinogradTile"/>'s):
/// raw vectors TV of T, so that a tile written once over TLanes : IConvolutionLanes&lt;T, TV&gt; compiles, per width, to the
/// code of the tiles written out per width (a wrapper struct around the vector costs a register move per row: the JIT writes
/// a row's second fused multiply-add into the dying broadcast, then moves it).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TV">Vector512 or Vector256 of T.</typeparam>
internal unsafe interface IConvolutionLanes<T, TV> where T : unmanaged where TV : struct
{
    /// <summary>L: the T lanes of a vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>The L values at <paramref name="source"/>.</summary>
    static abstract TV Load(T* source);

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TV Broadcast(T value);

    /// <summary>a + b lane by lane.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>c + a·b with one rounding (vfmadd231ps/pd).</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>Writes the L lanes of <paramref name="value"/> to <paramref name="target"/>.</summary>
    static abstract void Store(TV value, T* target);
}

/// <summary>AVX-512: 512-bit vectors, 32 registers.</summary>
internal readonly unsafe struct ConvolutionLanes512<T> : IConvolutionLanes<T, Vector512<T>> where T : unmanaged
{
    public static int Lanes => Vector512<T>.Count;
    public static Vector512<T> Load(T* source) => Vector512.Load(source);
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    public static void Store(Vector512<T> value, T* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}

/// <summary>AVX2 + FMA (the Zen 3 path): 256-bit vectors, 16 registers.</summary>
internal readonly unsafe struct ConvolutionLanes256<T> : IConvolutionLanes<T, Vector256<T>> where T : unmanaged
{
    public static int Lanes => Vector256<T>.Count;
    public static Vector256<T> Load(T* source) => Vector256.Load(source);
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    public static void Store(Vector256<T> value, T* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}
