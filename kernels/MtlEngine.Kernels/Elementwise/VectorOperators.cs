using System.Numerics;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Elementwise;

// Operators that TensorPrimitives does not offer vectorized for generic T. Each is one small struct whose
// scalar form is the definition (and the reference twin) and whose vector forms compute the same thing
// lane by lane. Comparisons return 1 or 0 in T: the all-ones lane mask of a vector comparison, ANDed with
// the bits of 1, leaves exactly 1 where the comparison holds and 0 elsewhere.

/// <summary>relu(x) = max(x, 0); NaN stays NaN (as in PyTorch).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ReluOperator<T> : IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Max(x, T.Zero);
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) => Vector128.Max(x, Vector128<T>.Zero);
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Max(x, Vector256<T>.Zero);
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Max(x, Vector512<T>.Zero);
}

/// <summary>
/// The relu gradient: f(x, g) = g where x &gt; 0, else 0. At x = 0 the gradient is 0 (the subgradient
/// PyTorch picks), so a relu that is exactly at its kink passes nothing back.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ReluGradientOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T g) => x > T.Zero ? g : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> g) => Vector128.GreaterThan(x, Vector128<T>.Zero) & g;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> g) => Vector256.GreaterThan(x, Vector256<T>.Zero) & g;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> g) => Vector512.GreaterThan(x, Vector512<T>.Zero) & g;
}

/// <summary>sign(x) ∈ {-1, 0, 1}; sign(±0) = 0 and sign(NaN) = NaN (as in NumPy).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SignOperator<T> : IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.IsNaN(x) ? x : x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x)
    {
        var sign = (Vector128.GreaterThan(x, Vector128<T>.Zero) & Vector128<T>.One) - (Vector128.LessThan(x, Vector128<T>.Zero) & Vector128<T>.One);
        return Vector128.ConditionalSelect(Vector128.IsNaN(x), x, sign);
    }
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x)
    {
        var sign = (Vector256.GreaterThan(x, Vector256<T>.Zero) & Vector256<T>.One) - (Vector256.LessThan(x, Vector256<T>.Zero) & Vector256<T>.One);
        return Vector256.ConditionalSelect(Vector256.IsNaN(x), x, sign);
    }
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x)
    {
        var sign = (Vector512.GreaterThan(x, Vector512<T>.Zero) & Vector512<T>.One) - (Vector512.LessThan(x, Vector512<T>.Zero) & Vector512<T>.One);
        return Vector512.ConditionalSelect(Vector512.IsNaN(x), x, sign);
    }
}

/// <summary>x² = x·x.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SquareOperator<T> : IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => x * x;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) => x * x;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) => x * x;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) => x * x;
}

/// <summary>The identity f(x) = x, which makes the driver a copy (used to gather strided data).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct CopyOperator<T> : IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => x;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) => x;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) => x;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) => x;
}

/// <summary>x == y → 1, else 0 (NaN equals nothing).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct EqualOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x == y ? T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Equals(x, y) & Vector128<T>.One;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Equals(x, y) & Vector256<T>.One;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Equals(x, y) & Vector512<T>.One;
}

/// <summary>x != y → 1, else 0 (NaN differs from everything, itself included).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct NotEqualOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x != y ? T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.AndNot(Vector128<T>.One, Vector128.Equals(x, y));
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.AndNot(Vector256<T>.One, Vector256.Equals(x, y));
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.AndNot(Vector512<T>.One, Vector512.Equals(x, y));
}

/// <summary>x &lt; y → 1, else 0.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct LessOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x < y ? T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.LessThan(x, y) & Vector128<T>.One;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.LessThan(x, y) & Vector256<T>.One;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.LessThan(x, y) & Vector512<T>.One;
}

/// <summary>x ≤ y → 1, else 0.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct LessEqualOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x <= y ? T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.LessThanOrEqual(x, y) & Vector128<T>.One;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.LessThanOrEqual(x, y) & Vector256<T>.One;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.LessThanOrEqual(x, y) & Vector512<T>.One;
}

/// <summary>x &gt; y → 1, else 0.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct GreaterOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x > y ? T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.GreaterThan(x, y) & Vector128<T>.One;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.GreaterThan(x, y) & Vector256<T>.One;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.GreaterThan(x, y) & Vector512<T>.One;
}

/// <summary>x ≥ y → 1, else 0.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct GreaterEqualOperator<T> : IBinaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x >= y ? T.One : T.Zero;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.GreaterThanOrEqual(x, y) & Vector128<T>.One;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.GreaterThanOrEqual(x, y) & Vector256<T>.One;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.GreaterThanOrEqual(x, y) & Vector512<T>.One;
}

/// <summary>where(c, a, b) = a where c ≠ 0, else b (NaN counts as true, as in NumPy).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SelectOperator<T> : ITernaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T c, T a, T b) => c != T.Zero ? a : b;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> c, Vector128<T> a, Vector128<T> b) => Vector128.ConditionalSelect(Vector128.Equals(c, Vector128<T>.Zero), b, a);
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> c, Vector256<T> a, Vector256<T> b) => Vector256.ConditionalSelect(Vector256.Equals(c, Vector256<T>.Zero), b, a);
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> c, Vector512<T> a, Vector512<T> b) => Vector512.ConditionalSelect(Vector512.Equals(c, Vector512<T>.Zero), b, a);
}
