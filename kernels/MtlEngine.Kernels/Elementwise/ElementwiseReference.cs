namespace MtlEngine.Kernels.Elementwise;

/// <summary>
/// Textbook scalar twins of the element-wise drivers: plain loops over the operators' scalar forms. They
/// are the tests' oracle, not a fast path.
/// </summary>
public static class ElementwiseReference
{
    /// <summary>d[i] = op(x[i]), one element at a time.</summary>
    public static void Unary<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op) where TOp : IUnaryOperator<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = op.Invoke(x[i]);
    }

    /// <summary>d[i] = op(x[i]) through the span operator's scalar form.</summary>
    public static void UnarySpan<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op) where TOp : IUnarySpanOperator<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = op.Invoke(x[i]);
    }

    /// <summary>d[i] = op(x[i], y[i]), one pair at a time.</summary>
    public static void Binary<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, TOp op) where TOp : IBinaryOperator<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = op.Invoke(x[i], y[i]);
    }

    /// <summary>d[i] = op(x[i], y[i]) through the span operator's scalar form.</summary>
    public static void BinarySpan<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, TOp op) where TOp : IBinarySpanOperator<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = op.Invoke(x[i], y[i]);
    }

    /// <summary>d[i] = op(a[i], b[i], c[i]), one triple at a time.</summary>
    public static void Ternary<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> d, TOp op) where TOp : ITernaryOperator<T>
    {
        for (int i = 0; i < a.Length; i++) d[i] = op.Invoke(a[i], b[i], c[i]);
    }

    /// <summary>
    /// d[i] = op(x[i], y[i]) for every multi-index i of <paramref name="shape"/>, each address computed from
    /// scratch as offset + Σ iₖ·strideₖ: the twin of <see cref="StridedDriver.Binary{T, TOp}"/>.
    /// </summary>
    public static void StridedBinary<T, TOp>(ReadOnlySpan<int> shape, StridedArray<T> x, StridedArray<T> y, StridedArray<T> d, TOp op)
        where TOp : IBinarySpanOperator<T>
    {
        foreach (int[] index in MultiIndices(shape.ToArray()))
            d.Data[Address(d, index)] = op.Invoke(x.Data[Address(x, index)], y.Data[Address(y, index)]);
    }

    /// <summary>The twin of <see cref="StridedDriver.Unary{T, TOp}"/>, element by element.</summary>
    public static void StridedUnary<T, TOp>(ReadOnlySpan<int> shape, StridedArray<T> x, StridedArray<T> d, TOp op)
        where TOp : IUnarySpanOperator<T>
    {
        foreach (int[] index in MultiIndices(shape.ToArray()))
            d.Data[Address(d, index)] = op.Invoke(x.Data[Address(x, index)]);
    }

    /// <summary>Every multi-index of <paramref name="shape"/> in row-major order (the last axis fastest), each decoded from its flat number.</summary>
    private static IEnumerable<int[]> MultiIndices(int[] shape)
    {
        long count = 1;
        foreach (int s in shape) count *= s;
        var index = new int[shape.Length];
        for (long flat = 0; flat < count; flat++)
        {
            long rest = flat;
            for (int k = shape.Length - 1; k >= 0; k--) { index[k] = (int)(rest % shape[k]); rest /= shape[k]; }
            yield return index;
        }
    }

    private static int Address<T>(StridedArray<T> a, int[] index)
    {
        int address = a.Offset;
        for (int k = 0; k < index.Length; k++) address += index[k] * a.Strides[k];
        return address;
    }
}
