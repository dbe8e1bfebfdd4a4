using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Elementwise;

// log1p and expm1 exist to be accurate where 1 + x or eˣ − 1 cancel (|x| ≪ 1). TensorPrimitives.LogP1 and
// .ExpM1 (and the scalar double.LogP1/ExpM1) compute log(1 + x) and exp(x) − 1 directly and lose those
// digits, so these operators apply Kahan's corrections on top of the vectorized log and exp
// (Goldberg 1991, "What every computer scientist should know about floating-point arithmetic", Thm. 4;
// Higham 2002, "Accuracy and Stability of Numerical Algorithms", §1.14.1):
//   log1p(x) = x · ln(u) / (u − 1)  with u = fl(1 + x)   (= x when u = 1)
//   expm1(x) = (u − 1) · x / ln(u)  with u = fl(eˣ)      (= x when u = 1, −1 when u − 1 = −1)
// The rounding error of u cancels between numerator and denominator.
// tanh has the same trap (TensorPrimitives.Tanh forms (e²ˣ − 1)/(e²ˣ + 1) and returns ~1e-7, not 0, for
// float x = 0), so it is built on the accurate expm1:
//   tanh(x) = sign(x) · t / (t + 2)  with t = expm1(2|x|)   (= sign(x) when t overflows)

/// <summary>ln(1 + x), accurate for small |x| (Kahan's correction over the vectorized log).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct LogP1Operator<T> : IUnarySpanOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Chunk = 256;

    /// <inheritdoc />
    public T Invoke(T x)
    {
        T u = T.One + x;
        if (u == T.One) return x;
        T log = T.Log(u);
        return T.IsPositiveInfinity(u) ? log : x * log / (u - T.One);
    }

    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d)
    {
        ElementwiseDriver.CheckDestination(x.Length, d.Length);
        Span<T> u = stackalloc T[Chunk];
        Span<T> log = stackalloc T[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            ReadOnlySpan<T> xs = x.Slice(start, n);
            TensorPrimitives.Add(xs, T.One, u[..n]);
            TensorPrimitives.Log(u[..n], log[..n]);
            ElementwiseDriver.Ternary(xs, u[..n], log[..n], d.Slice(start, n), default(Correction));
        }
    }

    private readonly struct Correction : ITernaryOperator<T>
    {
        public T Invoke(T x, T u, T log) => u == T.One ? x : T.IsPositiveInfinity(u) ? log : x * log / (u - T.One);
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> u, Vector128<T> log) => Vectors<Vector128<T>, SimdLanes128<T>>(x, u, log);
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> u, Vector256<T> log) => Vectors<Vector256<T>, SimdLanes256<T>>(x, u, log);
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> u, Vector512<T> log) => Vectors<Vector512<T>, SimdLanes512<T>>(x, u, log);

        // The scalar form above, lane by lane, once for every width (TL a struct: the JIT compiles it per width, inlined).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Vectors<TV, TL>(TV x, TV u, TV log) where TV : struct where TL : ISimdLanes<T, TV>
        {
            TV one = TL.Broadcast(T.One);
            TV corrected = TL.Select(TL.Equal(u, TL.Broadcast(T.PositiveInfinity)), log, TL.Divide(TL.Multiply(x, log), TL.Subtract(u, one)));
            return TL.Select(TL.Equal(u, one), x, corrected);
        }
    }
}

/// <summary>eˣ − 1, accurate for small |x| (Kahan's correction over the vectorized exp and log).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ExpM1Operator<T> : IUnarySpanOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Chunk = 256;

    /// <inheritdoc />
    public T Invoke(T x)
    {
        T u = T.Exp(x);
        if (u == T.One) return x;
        T um1 = u - T.One;
        if (um1 == -T.One) return -T.One;
        if (T.IsPositiveInfinity(u)) return u;
        return um1 * x / T.Log(u);
    }

    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d)
    {
        ElementwiseDriver.CheckDestination(x.Length, d.Length);
        Span<T> u = stackalloc T[Chunk];
        Span<T> log = stackalloc T[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            ReadOnlySpan<T> xs = x.Slice(start, n);
            TensorPrimitives.Exp(xs, u[..n]);
            TensorPrimitives.Log(u[..n], log[..n]);
            ElementwiseDriver.Ternary(xs, u[..n], log[..n], d.Slice(start, n), default(Correction));
        }
    }

    private readonly struct Correction : ITernaryOperator<T>
    {
        public T Invoke(T x, T u, T log)
        {
            if (u == T.One) return x;
            T um1 = u - T.One;
            if (um1 == -T.One) return -T.One;
            return T.IsPositiveInfinity(u) ? u : um1 * x / log;
        }
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> u, Vector128<T> log) => Vectors<Vector128<T>, SimdLanes128<T>>(x, u, log);
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> u, Vector256<T> log) => Vectors<Vector256<T>, SimdLanes256<T>>(x, u, log);
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> u, Vector512<T> log) => Vectors<Vector512<T>, SimdLanes512<T>>(x, u, log);

        // The scalar form above, lane by lane, once for every width.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Vectors<TV, TL>(TV x, TV u, TV log) where TV : struct where TL : ISimdLanes<T, TV>
        {
            TV one = TL.Broadcast(T.One);
            TV um1 = TL.Subtract(u, one);
            TV r = TL.Select(TL.Equal(u, TL.Broadcast(T.PositiveInfinity)), u, TL.Divide(TL.Multiply(um1, x), log));
            r = TL.Select(TL.Equal(um1, TL.Negate(one)), TL.Negate(one), r);
            return TL.Select(TL.Equal(u, one), x, r);
        }
    }
}

/// <summary>tanh x, accurate in relative terms near 0: sign(x)·t/(t + 2) with t = expm1(2|x|).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct TanhOperator<T> : IUnarySpanOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Chunk = 256;

    /// <inheritdoc />
    public T Invoke(T x) => T.Tanh(x);

    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d)
    {
        ElementwiseDriver.CheckDestination(x.Length, d.Length);
        Span<T> t = stackalloc T[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            ReadOnlySpan<T> xs = x.Slice(start, n);
            TensorPrimitives.Abs(xs, t[..n]);
            TensorPrimitives.Add(t[..n], t[..n], t[..n]);
            default(ExpM1Operator<T>).Invoke(t[..n], t[..n]);
            ElementwiseDriver.Binary(xs, t[..n], d.Slice(start, n), default(Combine));
        }
    }

    private readonly struct Combine : IBinaryOperator<T>
    {
        public T Invoke(T x, T t)
        {
            T r = T.IsPositiveInfinity(t) ? T.One : t / (t + T.CreateTruncating(2));
            return x < T.Zero ? -r : r;
        }
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> t) => Vectors<Vector128<T>, SimdLanes128<T>>(x, t);
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> t) => Vectors<Vector256<T>, SimdLanes256<T>>(x, t);
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> t) => Vectors<Vector512<T>, SimdLanes512<T>>(x, t);

        // The scalar form above, lane by lane, once for every width.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Vectors<TV, TL>(TV x, TV t) where TV : struct where TL : ISimdLanes<T, TV>
        {
            TV r = TL.Select(TL.Equal(t, TL.Broadcast(T.PositiveInfinity)), TL.Broadcast(T.One), TL.Divide(t, TL.Add(t, TL.Broadcast(T.CreateTruncating(2)))));
            return TL.Select(TL.LessThan(x, TL.Broadcast(T.Zero)), TL.Negate(r), r);
        }
    }
}
