using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Tensors;

// Element-wise arithmetic with NumPy broadcasting: the shapes are aligned at their last dimension and
// size-1 dimensions stretch (see Broadcast). Each method validates and makes one call into the strided
// driver; the result is a new contiguous tensor. Operators use the default parallelism.
public sealed partial class MtlTensor<T>
{
    /// <summary>x + y element-wise, broadcasting the two shapes.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Add(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, other, default(AddOperator<T>), parallelism, "Add"), GradientRules.Add, this, other);

    /// <summary>x + s for every element x and one scalar s.</summary>
    public MtlTensor<T> Add(T scalar, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, TensorOps.Scalar(scalar), default(AddOperator<T>), parallelism, "Add"), GradientRules.AddScalar, this);

    /// <summary>x + y element-wise with broadcasting (default parallelism).</summary>
    public static MtlTensor<T> operator +(MtlTensor<T> x, MtlTensor<T> y) => x.Add(y);

    /// <summary>x + y for every element x of the tensor and the scalar y.</summary>
    public static MtlTensor<T> operator +(MtlTensor<T> x, T y) => x.Add(y);

    /// <summary>x + y for the scalar x and every element y of the tensor.</summary>
    public static MtlTensor<T> operator +(T x, MtlTensor<T> y) => Graph.Record(TensorOps.Zip(TensorOps.Scalar(x), y, default(AddOperator<T>), null, "Add"), GradientRules.AddScalar, y);

    /// <summary>x − y element-wise, broadcasting the two shapes.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Subtract(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, other, default(SubtractOperator<T>), parallelism, "Subtract"), GradientRules.Subtract, this, other);

    /// <summary>x − s for every element x and one scalar s.</summary>
    public MtlTensor<T> Subtract(T scalar, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, TensorOps.Scalar(scalar), default(SubtractOperator<T>), parallelism, "Subtract"), GradientRules.AddScalar, this);

    /// <summary>x − y element-wise with broadcasting (default parallelism).</summary>
    public static MtlTensor<T> operator -(MtlTensor<T> x, MtlTensor<T> y) => x.Subtract(y);

    /// <summary>x − y for every element x of the tensor and the scalar y.</summary>
    public static MtlTensor<T> operator -(MtlTensor<T> x, T y) => x.Subtract(y);

    /// <summary>x − y for the scalar x and every element y of the tensor.</summary>
    public static MtlTensor<T> operator -(T x, MtlTensor<T> y) => Graph.Record(TensorOps.Zip(TensorOps.Scalar(x), y, default(SubtractOperator<T>), null, "Subtract"), GradientRules.ScalarSubtract, y);

    /// <summary>x · y element-wise, broadcasting the two shapes.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Multiply(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, other, default(MultiplyOperator<T>), parallelism, "Multiply"), GradientRules.Multiply, this, other);

    /// <summary>x · s for every element x and one scalar s.</summary>
    public MtlTensor<T> Multiply(T scalar, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, TensorOps.Scalar(scalar), default(MultiplyOperator<T>), parallelism, "Multiply"), GradientRules.MultiplyScalar, this, scalar: scalar);

    /// <summary>x · y element-wise with broadcasting (default parallelism).</summary>
    public static MtlTensor<T> operator *(MtlTensor<T> x, MtlTensor<T> y) => x.Multiply(y);

    /// <summary>x · y for every element x of the tensor and the scalar y.</summary>
    public static MtlTensor<T> operator *(MtlTensor<T> x, T y) => x.Multiply(y);

    /// <summary>x · y for the scalar x and every element y of the tensor.</summary>
    public static MtlTensor<T> operator *(T x, MtlTensor<T> y) => Graph.Record(TensorOps.Zip(TensorOps.Scalar(x), y, default(MultiplyOperator<T>), null, "Multiply"), GradientRules.MultiplyScalar, y, scalar: x);

    /// <summary>x / y element-wise, broadcasting the two shapes.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Divide(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, other, default(DivideOperator<T>), parallelism, "Divide"), GradientRules.Divide, this, other);

    /// <summary>x / s for every element x and one scalar s.</summary>
    public MtlTensor<T> Divide(T scalar, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, TensorOps.Scalar(scalar), default(DivideOperator<T>), parallelism, "Divide"), GradientRules.DivideScalar, this, scalar: scalar);

    /// <summary>x / y element-wise with broadcasting (default parallelism).</summary>
    public static MtlTensor<T> operator /(MtlTensor<T> x, MtlTensor<T> y) => x.Divide(y);

    /// <summary>x / y for every element x of the tensor and the scalar y.</summary>
    public static MtlTensor<T> operator /(MtlTensor<T> x, T y) => x.Divide(y);

    /// <summary>x / y for the scalar x and every element y of the tensor.</summary>
    public static MtlTensor<T> operator /(T x, MtlTensor<T> y) => Graph.Record(TensorOps.Zip(TensorOps.Scalar(x), y, default(DivideOperator<T>), null, "Divide"), GradientRules.ScalarDivide, y, scalar: x);

    /// <summary>max(x, y) element-wise with broadcasting; NaN when either is NaN (NumPy's maximum).</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Maximum(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, other, default(MaximumOperator<T>), parallelism, "Maximum"), GradientRules.Maximum, this, other);

    /// <summary>max(x, s) for every element x and one scalar s.</summary>
    public MtlTensor<T> Maximum(T scalar, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, TensorOps.Scalar(scalar), default(MaximumOperator<T>), parallelism, "Maximum"), GradientRules.MaximumScalar, this, scalar: scalar);

    /// <summary>min(x, y) element-wise with broadcasting; NaN when either is NaN (NumPy's minimum).</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public MtlTensor<T> Minimum(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, other, default(MinimumOperator<T>), parallelism, "Minimum"), GradientRules.Minimum, this, other);

    /// <summary>min(x, s) for every element x and one scalar s.</summary>
    public MtlTensor<T> Minimum(T scalar, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Zip(this, TensorOps.Scalar(scalar), default(MinimumOperator<T>), parallelism, "Minimum"), GradientRules.MinimumScalar, this, scalar: scalar);

    /// <summary>−x element-wise.</summary>
    public MtlTensor<T> Negate(Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Map(this, default(NegateOperator<T>), parallelism), GradientRules.Negate, this);

    /// <summary>−x element-wise (default parallelism).</summary>
    public static MtlTensor<T> operator -(MtlTensor<T> x) => x.Negate();
}

public static partial class MtlTensor
{
    /// <summary>xʸ element-wise with broadcasting.</summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast; the message names both.</exception>
    public static MtlTensor<T> Pow<T>(this MtlTensor<T> x, MtlTensor<T> exponent, Parallelism? parallelism = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Zip(x, exponent, default(PowOperator<T>), parallelism, "Pow"), GradientRules.Pow, x, exponent);

    /// <summary>xᵖ for every element x and one exponent p.</summary>
    public static MtlTensor<T> Pow<T>(this MtlTensor<T> x, T exponent, Parallelism? parallelism = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, new PowScalarOperator<T>(exponent), parallelism), GradientRules.PowScalar, x, scalar: exponent);

    /// <summary>bˣ for one base b and every element x of the exponent tensor.</summary>
    public static MtlTensor<T> Pow<T>(T @base, MtlTensor<T> exponent, Parallelism? parallelism = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Zip(TensorOps.Scalar(@base), exponent, default(PowOperator<T>), parallelism, "Pow"), GradientRules.ScalarPow, exponent, scalar: @base);
}
