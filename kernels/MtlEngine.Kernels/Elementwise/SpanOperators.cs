using System.Numerics;
using System.Numerics.Tensors;

namespace MtlEngine.Kernels.Elementwise;

// Span operators whose span forms are TensorPrimitives' vectorized kernels. The scalar form is the
// textbook definition; it serves the strided driver's scalar loop and the tests' reference twins.

/// <summary>eˣ, vectorized by TensorPrimitives.Exp.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ExpOperator<T> : IUnarySpanOperator<T> where T : IExponentialFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Exp(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Exp(x, d);
}

/// <summary>ln x, vectorized by TensorPrimitives.Log.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct LogOperator<T> : IUnarySpanOperator<T> where T : ILogarithmicFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Log(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Log(x, d);
}




/// <summary>σ(x) = 1 / (1 + e⁻ˣ), vectorized by TensorPrimitives.Sigmoid.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SigmoidOperator<T> : IUnarySpanOperator<T> where T : IExponentialFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.One / (T.One + T.Exp(-x));
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) { if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, d); } // TensorPrimitives.Sigmoid rejects empty spans.
}

/// <summary>√x, vectorized by TensorPrimitives.Sqrt.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SqrtOperator<T> : IUnarySpanOperator<T> where T : IRootFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Sqrt(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Sqrt(x, d);
}

/// <summary>1 / x, vectorized by TensorPrimitives.Reciprocal.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ReciprocalOperator<T> : IUnarySpanOperator<T> where T : IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.One / x;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Reciprocal(x, d);
}

/// <summary>sin x, vectorized by TensorPrimitives.Sin.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SinOperator<T> : IUnarySpanOperator<T> where T : ITrigonometricFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Sin(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Sin(x, d);
}

/// <summary>cos x, vectorized by TensorPrimitives.Cos.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct CosOperator<T> : IUnarySpanOperator<T> where T : ITrigonometricFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Cos(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Cos(x, d);
}

/// <summary>|x|, vectorized by TensorPrimitives.Abs.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct AbsOperator<T> : IUnarySpanOperator<T> where T : INumberBase<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Abs(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Abs(x, d);
}

/// <summary>−x, vectorized by TensorPrimitives.Negate.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct NegateOperator<T> : IUnarySpanOperator<T> where T : IUnaryNegationOperators<T, T>
{
    /// <inheritdoc />
    public T Invoke(T x) => -x;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Negate(x, d);
}

/// <summary>xᵖ for a fixed exponent p, vectorized by TensorPrimitives.Pow.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="exponent">The exponent p.</param>
public readonly struct PowScalarOperator<T>(T exponent) : IUnarySpanOperator<T> where T : IPowerFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Pow(x, exponent);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Pow(x, exponent, d);
}

/// <summary>clamp(x, lo, hi) = min(max(x, lo), hi) with lo ≤ hi, vectorized by TensorPrimitives.Clamp.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="min">The lower bound lo.</param>
/// <param name="max">The upper bound hi.</param>
public readonly struct ClampOperator<T>(T min, T max) : IUnarySpanOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => T.Clamp(x, min, max);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Clamp(x, min, max, d);
}

/// <summary>x + y, vectorized by TensorPrimitives.Add.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct AddOperator<T> : IBinarySpanOperator<T> where T : IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x + y;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(y, x, d);
}

/// <summary>x − y, vectorized by TensorPrimitives.Subtract.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SubtractOperator<T> : IBinarySpanOperator<T> where T : ISubtractionOperators<T, T, T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x - y;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
}

/// <summary>x · y, vectorized by TensorPrimitives.Multiply.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MultiplyOperator<T> : IBinarySpanOperator<T> where T : IMultiplyOperators<T, T, T>, IMultiplicativeIdentity<T, T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x * y;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(y, x, d);
}

/// <summary>x / y, vectorized by TensorPrimitives.Divide.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct DivideOperator<T> : IBinarySpanOperator<T> where T : IDivisionOperators<T, T, T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => x / y;
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary>max(x, y), NaN if either is NaN, vectorized by TensorPrimitives.Max.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MaximumOperator<T> : IBinarySpanOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => T.Max(x, y);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Max(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Max(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Max(y, x, d);
}

/// <summary>min(x, y), NaN if either is NaN, vectorized by TensorPrimitives.Min.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MinimumOperator<T> : IBinarySpanOperator<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => T.Min(x, y);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Min(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Min(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Min(y, x, d);
}

/// <summary>xʸ, vectorized by TensorPrimitives.Pow.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct PowOperator<T> : IBinarySpanOperator<T> where T : IPowerFunctions<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => T.Pow(x, y);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Pow(x, y, d);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Pow(x, y, d);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Pow(x, y, d);
}
