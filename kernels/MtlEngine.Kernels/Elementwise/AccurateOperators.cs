using System.Numerics;
using System.Numerics.Tensors;
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
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> u, Vector128<T> log)
        {
            var one = Vector128<T>.One;
            var corrected = Vector128.ConditionalSelect(Vector128.Equals(u, Vector128.Create(T.PositiveInfinity)), log, x * log / (u - one));
            return Vector128.ConditionalSelect(Vector128.Equals(u, one), x, corrected);
        }
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> u, Vector256<T> log)
        {
            var one = Vector256<T>.One;
            var corrected = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(T.PositiveInfinity)), log, x * log / (u - one));
            return Vector256.ConditionalSelect(Vector256.Equals(u, one), x, corrected);
        }
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> u, Vector512<T> log)
        {
            var one = Vector512<T>.One;
            var corrected = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(T.PositiveInfinity)), log, x * log / (u - one));
            return Vector512.ConditionalSelect(Vector512.Equals(u, one), x, corrected);
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
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> u, Vector128<T> log)
        {
            var one = Vector128<T>.One;
            var um1 = u - one;
            var r = Vector128.ConditionalSelect(Vector128.Equals(u, Vector128.Create(T.PositiveInfinity)), u, um1 * x / log);
            r = Vector128.ConditionalSelect(Vector128.Equals(um1, -one), -one, r);
            return Vector128.ConditionalSelect(Vector128.Equals(u, one), x, r);
        }
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> u, Vector256<T> log)
        {
            var one = Vector256<T>.One;
            var um1 = u - one;
            var r = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(T.PositiveInfinity)), u, um1 * x / log);
            r = Vector256.ConditionalSelect(Vector256.Equals(um1, -one), -one, r);
            return Vector256.ConditionalSelect(Vector256.Equals(u, one), x, r);
        }
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> u, Vector512<T> log)
        {
            var one = Vector512<T>.One;
            var um1 = u - one;
            var r = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(T.PositiveInfinity)), u, um1 * x / log);
            r = Vector512.ConditionalSelect(Vector512.Equals(um1, -one), -one, r);
            return Vector512.ConditionalSelect(Vector512.Equals(u, one), x, r);
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
        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> t)
        {
            var r = Vector128.ConditionalSelect(Vector128.Equals(t, Vector128.Create(T.PositiveInfinity)), Vector128<T>.One, t / (t + Vector128.Create(T.CreateTruncating(2))));
            return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), -r, r);
        }
        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> t)
        {
            var r = Vector256.ConditionalSelect(Vector256.Equals(t, Vector256.Create(T.PositiveInfinity)), Vector256<T>.One, t / (t + Vector256.Create(T.CreateTruncating(2))));
            return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -r, r);
        }
        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> t)
        {
            var r = Vector512.ConditionalSelect(Vector512.Equals(t, Vector512.Create(T.PositiveInfinity)), Vector512<T>.One, t / (t + Vector512.Create(T.CreateTruncating(2))));
            return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -r, r);
        }
    }
}
