using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Elementwise;

/// <summary>
/// A one-input element-wise operation y = f(x) written once per width: a scalar form for the tail and the
/// reference twin, and 128/256/512-bit vector forms for <see cref="ElementwiseDriver"/>. Implement it as a
/// small <c>readonly struct</c> so that the JIT specializes the driver for it.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IUnaryOperator<T>
{
    /// <summary>f(x) for one element.</summary>
    T Invoke(T x);
    /// <summary>f(x) lane by lane.</summary>
    Vector128<T> Invoke(Vector128<T> x);
    /// <summary>f(x) lane by lane.</summary>
    Vector256<T> Invoke(Vector256<T> x);
    /// <summary>f(x) lane by lane.</summary>
    Vector512<T> Invoke(Vector512<T> x);
}

/// <summary>A two-input element-wise operation z = f(x, y); see <see cref="IUnaryOperator{T}"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IBinaryOperator<T>
{
    /// <summary>f(x, y) for one pair.</summary>
    T Invoke(T x, T y);
    /// <summary>f(x, y) lane by lane.</summary>
    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y);
    /// <summary>f(x, y) lane by lane.</summary>
    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);
    /// <summary>f(x, y) lane by lane.</summary>
    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y);
}

/// <summary>A three-input element-wise operation d = f(a, b, c); see <see cref="IUnaryOperator{T}"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITernaryOperator<T>
{
    /// <summary>f(a, b, c) for one triple.</summary>
    T Invoke(T a, T b, T c);
    /// <summary>f(a, b, c) lane by lane.</summary>
    Vector128<T> Invoke(Vector128<T> a, Vector128<T> b, Vector128<T> c);
    /// <summary>f(a, b, c) lane by lane.</summary>
    Vector256<T> Invoke(Vector256<T> a, Vector256<T> b, Vector256<T> c);
    /// <summary>f(a, b, c) lane by lane.</summary>
    Vector512<T> Invoke(Vector512<T> a, Vector512<T> b, Vector512<T> c);
}

/// <summary>
/// A one-input operation as the strided driver sees it: a span form (vectorized, by TensorPrimitives or by
/// <see cref="ElementwiseDriver"/>) and a scalar form for single elements.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IUnarySpanOperator<T>
{
    /// <summary>f(x) for one element.</summary>
    T Invoke(T x);
    /// <summary>d[i] = f(x[i]) for every i; <paramref name="d"/> may be <paramref name="x"/> itself.</summary>
    void Invoke(ReadOnlySpan<T> x, Span<T> d);
}

/// <summary>A two-input operation as the strided driver sees it, including the forms with one scalar input.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IBinarySpanOperator<T>
{
    /// <summary>f(x, y) for one pair.</summary>
    T Invoke(T x, T y);
    /// <summary>d[i] = f(x[i], y[i]).</summary>
    void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d);
    /// <summary>d[i] = f(x[i], y): the right input broadcast along the span.</summary>
    void Invoke(ReadOnlySpan<T> x, T y, Span<T> d);
    /// <summary>d[i] = f(x, y[i]): the left input broadcast along the span.</summary>
    void Invoke(T x, ReadOnlySpan<T> y, Span<T> d);
}

/// <summary>A three-input operation as the strided driver sees it.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITernarySpanOperator<T>
{
    /// <summary>f(a, b, c) for one triple.</summary>
    T Invoke(T a, T b, T c);
    /// <summary>d[i] = f(a[i], b[i], c[i]).</summary>
    void Invoke(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> d);
}

/// <summary>Runs an <see cref="IUnaryOperator{T}"/> through <see cref="ElementwiseDriver"/> as a span operator.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TOp">The vector operator.</typeparam>
public readonly struct VectorizedUnary<T, TOp>(TOp op) : IUnarySpanOperator<T>
    where T : unmanaged
    where TOp : struct, IUnaryOperator<T>
{
    /// <inheritdoc />
    public T Invoke(T x) => op.Invoke(x);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, Span<T> d) => ElementwiseDriver.Unary(x, d, op);
}

/// <summary>Runs an <see cref="IBinaryOperator{T}"/> through <see cref="ElementwiseDriver"/> as a span operator.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TOp">The vector operator.</typeparam>
public readonly struct VectorizedBinary<T, TOp>(TOp op) : IBinarySpanOperator<T>
    where T : unmanaged
    where TOp : struct, IBinaryOperator<T>
{
    /// <inheritdoc />
    public T Invoke(T x, T y) => op.Invoke(x, y);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => ElementwiseDriver.Binary(x, y, d, op);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => ElementwiseDriver.Binary(x, y, d, op);
    /// <inheritdoc />
    public void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => ElementwiseDriver.Binary(x, y, d, op);
}

/// <summary>Runs an <see cref="ITernaryOperator{T}"/> through <see cref="ElementwiseDriver"/> as a span operator.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TOp">The vector operator.</typeparam>
public readonly struct VectorizedTernary<T, TOp>(TOp op) : ITernarySpanOperator<T>
    where T : unmanaged
    where TOp : struct, ITernaryOperator<T>
{
    /// <inheritdoc />
    public T Invoke(T a, T b, T c) => op.Invoke(a, b, c);
    /// <inheritdoc />
    public void Invoke(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> d) => ElementwiseDriver.Ternary(a, b, c, d, op);
}
