using System.Runtime.Intrinsics;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// One vector width of doubles for the eigensolver's shared loops (<see cref="Tridiagonalization.DotAxpy4{TV, TL}"/>, <see cref="Tridiagonalization.SubtractPanel{TV, TL}"/>, <see cref="Tridiagonalization.PanelDots{TV, TL}"/>, the secular equation's sums): the JIT
/// compiles a loop once per width and inlines these, so the shared loop is the code a copy per width would be.
/// </summary>
/// <typeparam name="TV">The vector type.</typeparam>
internal interface IDoubleLanes<TV>
{
    /// <summary>Doubles per vector.</summary>
    static abstract int Count { get; }

    /// <summary>x in every lane.</summary>
    static abstract TV Broadcast(double x);

    /// <summary>The vector at x[i..].</summary>
    static abstract TV Load(ref double x, nuint i);

    /// <summary>Writes v to x[i..].</summary>
    static abstract void Store(TV v, ref double x, nuint i);

    /// <summary>a·b + c lane by lane, rounded once.</summary>
    static abstract TV FusedMultiplyAdd(TV a, TV b, TV c);

    /// <summary>The sum of the lanes.</summary>
    static abstract double Sum(TV v);

    /// <summary>a + b lane by lane.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a − b lane by lane.</summary>
    static abstract TV Subtract(TV a, TV b);

    /// <summary>a·b lane by lane.</summary>
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a / b lane by lane.</summary>
    static abstract TV Divide(TV a, TV b);
}

/// <summary>512-bit vectors of doubles (AVX-512).</summary>
internal readonly struct DoubleLanes512 : IDoubleLanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    public static Vector512<double> Broadcast(double x) => Vector512.Create(x);
    public static Vector512<double> Load(ref double x, nuint i) => Vector512.LoadUnsafe(ref x, i);
    public static void Store(Vector512<double> v, ref double x, nuint i) => v.StoreUnsafe(ref x, i);
    public static Vector512<double> FusedMultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    public static double Sum(Vector512<double> v) => Vector512.Sum(v);
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;
    public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    public static Vector512<double> Divide(Vector512<double> a, Vector512<double> b) => a / b;
}

/// <summary>256-bit vectors of doubles (AVX2 + FMA).</summary>
internal readonly struct DoubleLanes256 : IDoubleLanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;
    public static Vector256<double> Broadcast(double x) => Vector256.Create(x);
    public static Vector256<double> Load(ref double x, nuint i) => Vector256.LoadUnsafe(ref x, i);
    public static void Store(Vector256<double> v, ref double x, nuint i) => v.StoreUnsafe(ref x, i);
    public static Vector256<double> FusedMultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
    public static double Sum(Vector256<double> v) => Vector256.Sum(v);
    public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    public static Vector256<double> Subtract(Vector256<double> a, Vector256<double> b) => a - b;
    public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;
    public static Vector256<double> Divide(Vector256<double> a, Vector256<double> b) => a / b;
}
