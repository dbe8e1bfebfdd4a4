using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Tensors;

// Comparisons return a tensor of the same element type holding 1 where the comparison holds and 0
// elsewhere (a mask that multiplies directly), with NumPy broadcasting. NaN compares false except in
// NotEqual.
public sealed partial class MtlTensor<T>
{
    /// <summary>1 where x == y, else 0.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Equal(MtlTensor<T> other, Parallelism? parallelism = null) => CompareCore(other, new VectorizedBinary<T, EqualOperator<T>>(default), parallelism, "Equal");

    /// <summary>1 where x == s, else 0.</summary>
    public MtlTensor<T> Equal(T scalar, Parallelism? parallelism = null) => CompareCore(TensorOps.Scalar(scalar), new VectorizedBinary<T, EqualOperator<T>>(default), parallelism, "Equal");

    /// <summary>1 where x != y (or either is NaN), else 0.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> NotEqual(MtlTensor<T> other, Parallelism? parallelism = null) => CompareCore(other, new VectorizedBinary<T, NotEqualOperator<T>>(default), parallelism, "NotEqual");

    /// <summary>1 where x != s (or x is NaN), else 0.</summary>
    public MtlTensor<T> NotEqual(T scalar, Parallelism? parallelism = null) => CompareCore(TensorOps.Scalar(scalar), new VectorizedBinary<T, NotEqualOperator<T>>(default), parallelism, "NotEqual");

    /// <summary>1 where x &lt; y, else 0.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Less(MtlTensor<T> other, Parallelism? parallelism = null) => CompareCore(other, new VectorizedBinary<T, LessOperator<T>>(default), parallelism, "Less");

    /// <summary>1 where x &lt; s, else 0.</summary>
    public MtlTensor<T> Less(T scalar, Parallelism? parallelism = null) => CompareCore(TensorOps.Scalar(scalar), new VectorizedBinary<T, LessOperator<T>>(default), parallelism, "Less");

    /// <summary>1 where x ≤ y, else 0.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> LessEqual(MtlTensor<T> other, Parallelism? parallelism = null) => CompareCore(other, new VectorizedBinary<T, LessEqualOperator<T>>(default), parallelism, "LessEqual");

    /// <summary>1 where x ≤ s, else 0.</summary>
    public MtlTensor<T> LessEqual(T scalar, Parallelism? parallelism = null) => CompareCore(TensorOps.Scalar(scalar), new VectorizedBinary<T, LessEqualOperator<T>>(default), parallelism, "LessEqual");

    /// <summary>1 where x &gt; y, else 0.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Greater(MtlTensor<T> other, Parallelism? parallelism = null) => CompareCore(other, new VectorizedBinary<T, GreaterOperator<T>>(default), parallelism, "Greater");

    /// <summary>1 where x &gt; s, else 0.</summary>
    public MtlTensor<T> Greater(T scalar, Parallelism? parallelism = null) => CompareCore(TensorOps.Scalar(scalar), new VectorizedBinary<T, GreaterOperator<T>>(default), parallelism, "Greater");

    /// <summary>1 where x ≥ y, else 0.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> GreaterEqual(MtlTensor<T> other, Parallelism? parallelism = null) => CompareCore(other, new VectorizedBinary<T, GreaterEqualOperator<T>>(default), parallelism, "GreaterEqual");

    /// <summary>1 where x ≥ s, else 0.</summary>
    public MtlTensor<T> GreaterEqual(T scalar, Parallelism? parallelism = null) => CompareCore(TensorOps.Scalar(scalar), new VectorizedBinary<T, GreaterEqualOperator<T>>(default), parallelism, "GreaterEqual");

    private MtlTensor<T> CompareCore<TOp>(MtlTensor<T> other, TOp op, Parallelism? parallelism, string operation)
        where TOp : struct, IBinarySpanOperator<T> =>
        TensorOps.Zip(this, other, op, parallelism, operation);
}

public static partial class MtlTensor
{
    /// <summary>
    /// Picks <paramref name="a"/> where <paramref name="condition"/> is nonzero and <paramref name="b"/>
    /// elsewhere (NumPy's <c>where</c>; NaN counts as nonzero). The three shapes broadcast together.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names all three.</exception>
    public static MtlTensor<T> Where<T>(MtlTensor<T> condition, MtlTensor<T> a, MtlTensor<T> b, Parallelism? parallelism = null)
        where T : unmanaged, System.Numerics.INumber<T> =>
        Graph.Record(TensorOps.Zip3(condition, a, b, new VectorizedTernary<T, SelectOperator<T>>(default), parallelism, "Where"), GradientRules.Where, [condition, a, b]);

    /// <summary><see cref="Where{T}(MtlTensor{T}, MtlTensor{T}, MtlTensor{T}, Parallelism?)"/> with a scalar for the "false" branch (a masked fill).</summary>
    public static MtlTensor<T> Where<T>(MtlTensor<T> condition, MtlTensor<T> a, T b, Parallelism? parallelism = null)
        where T : unmanaged, System.Numerics.INumber<T> =>
        Where(condition, a, TensorOps.Scalar(b), parallelism);

    /// <summary><see cref="Where{T}(MtlTensor{T}, MtlTensor{T}, MtlTensor{T}, Parallelism?)"/> with a scalar for the "true" branch.</summary>
    public static MtlTensor<T> Where<T>(MtlTensor<T> condition, T a, MtlTensor<T> b, Parallelism? parallelism = null)
        where T : unmanaged, System.Numerics.INumber<T> =>
        Where(condition, TensorOps.Scalar(a), b, parallelism);
}
