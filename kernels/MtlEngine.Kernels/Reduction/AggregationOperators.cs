using System.Numerics;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Reduction;

/// <summary>
/// An associative combination a ⊕ b that a reduction folds a span with (sum, max, min), written once per
/// width like the element-wise operators; <see cref="ReductionDriver"/> runs it.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IAggregationOperator<T>
{
    /// <summary>a ⊕ b for two scalars.</summary>
    T Invoke(T a, T b);
    /// <summary>a ⊕ b lane by lane.</summary>
    Vector128<T> Invoke(Vector128<T> a, Vector128<T> b);
    /// <summary>a ⊕ b lane by lane.</summary>
    Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);
    /// <summary>a ⊕ b lane by lane.</summary>
    Vector512<T> Invoke(Vector512<T> a, Vector512<T> b);
}

/// <summary>a + b.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct AddAggregation<T> : IAggregationOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T a, T b) => a + b;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a + b;
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a + b;
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a + b;
}

/// <summary>max(a, b), NaN if either is NaN.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MaxAggregation<T> : IAggregationOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T a, T b) => T.Max(a, b);
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
}

/// <summary>min(a, b), NaN if either is NaN.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MinAggregation<T> : IAggregationOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T a, T b) => T.Min(a, b);
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
}

/// <summary>|x|: the transform of the L1 and L∞ norms.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct AbsTransform<T> : Elementwise.IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Abs(x);
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) => Vector128.Abs(x);
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Abs(x);
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Abs(x);
}

/// <summary>x − μ: the deviation from a fixed mean μ.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="mean">The mean μ.</param>
public readonly struct DeviationTransform<T>(T mean) : Elementwise.IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => x - mean;
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) => x - Vector128.Create(mean);
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) => x - Vector256.Create(mean);
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) => x - Vector512.Create(mean);
}

/// <summary>(x − μ)²: the squared deviation from a fixed mean μ.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="mean">The mean μ.</param>
public readonly struct SquaredDeviationTransform<T>(T mean) : Elementwise.IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) { T e = x - mean; return e * e; }
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) { var e = x - Vector128.Create(mean); return e * e; }
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) { var e = x - Vector256.Create(mean); return e * e; }
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) { var e = x - Vector512.Create(mean); return e * e; }
}

/// <summary>(x / s)²: the square of x scaled by a fixed s, so that squaring cannot overflow when s = max |x|.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="scale">The scale s.</param>
public readonly struct ScaledSquareTransform<T>(T scale) : Elementwise.IUnaryOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) { T e = x / scale; return e * e; }
    /// <inheritdoc />
    public Vector128<T> Invoke(Vector128<T> x) { var e = x / Vector128.Create(scale); return e * e; }
    /// <inheritdoc />
    public Vector256<T> Invoke(Vector256<T> x) { var e = x / Vector256.Create(scale); return e * e; }
    /// <inheritdoc />
    public Vector512<T> Invoke(Vector512<T> x) { var e = x / Vector512.Create(scale); return e * e; }
}
