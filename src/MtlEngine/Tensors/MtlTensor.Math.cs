using MtlEngine.Autograd;
using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Tensors;

// Unary math. Operations defined for every numeric T are instance methods; those that need floating
// point (exp, log, ...) are extension methods constrained to IFloatingPointIeee754<T>, so x.Exp() reads
// the same but does not compile for an integer tensor. Each returns a new contiguous tensor.
public sealed partial class MtlTensor<T>
{
    /// <summary>|x| element-wise.</summary>
    public MtlTensor<T> Abs(Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Map(this, default(AbsOperator<T>), parallelism), GradientRules.Abs, this);

    /// <summary>x² element-wise.</summary>
    public MtlTensor<T> Square(Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Map(this, new VectorizedUnary<T, SquareOperator<T>>(default), parallelism), GradientRules.Square, this);

    /// <summary>sign(x) ∈ {−1, 0, 1} element-wise; sign(0) = 0 and sign(NaN) = NaN.</summary>
    public MtlTensor<T> Sign(Parallelism? parallelism = null) =>
        TensorOps.Map(this, new VectorizedUnary<T, SignOperator<T>>(default), parallelism);

    /// <summary>relu(x) = max(x, 0) element-wise.</summary>
    public MtlTensor<T> Relu(Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Map(this, new VectorizedUnary<T, ReluOperator<T>>(default), parallelism), GradientRules.Relu, this);

    /// <summary>
    /// The gradient that flows back through <see cref="Relu"/>: <paramref name="upstream"/> where this tensor
    /// (relu's input) is &gt; 0, else 0 (so the gradient at 0 is 0). Broadcasts like any binary operation.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes do not broadcast.</exception>
    public MtlTensor<T> ReluGradient(MtlTensor<T> upstream, Parallelism? parallelism = null) =>
        TensorOps.Zip(this, upstream, new VectorizedBinary<T, ReluGradientOperator<T>>(default), parallelism, "ReluGradient");

    /// <summary>min(max(x, <paramref name="min"/>), <paramref name="max"/>) element-wise.</summary>
    /// <exception cref="ArgumentException">When <paramref name="min"/> &gt; <paramref name="max"/>.</exception>
    public MtlTensor<T> Clamp(T min, T max, Parallelism? parallelism = null)
    {
        if (min > max)
            throw new ArgumentException($"Clamp needs min ≤ max, but min = {min} and max = {max}; swap them.");
        var result = GpuTensorOps.OnDevice(this)
            ? GpuTensorOps.Map(this, new Kernels.Gpu.DeviceClampOperator<T>(min, max)) // T.Clamp cannot be compiled for a device
            : TensorOps.Map(this, new ClampOperator<T>(min, max), parallelism);
        return Graph.Record(result, GradientRules.Clamp, this);
    }
}

public static partial class MtlTensor
{
    /// <summary>eˣ element-wise.</summary>
    public static MtlTensor<T> Exp<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(ExpOperator<T>), parallelism), GradientRules.Exp, x);

    /// <summary>ln x element-wise (NaN for x &lt; 0, −∞ for 0).</summary>
    public static MtlTensor<T> Log<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(LogOperator<T>), parallelism), GradientRules.Log, x);

    /// <summary>ln(1 + x) element-wise, accurate for small |x|.</summary>
    public static MtlTensor<T> Log1p<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(LogP1Operator<T>), parallelism), GradientRules.Log1p, x);

    /// <summary>eˣ − 1 element-wise, accurate for small |x|.</summary>
    public static MtlTensor<T> Expm1<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(ExpM1Operator<T>), parallelism), GradientRules.Expm1, x);

    /// <summary>tanh x element-wise.</summary>
    public static MtlTensor<T> Tanh<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(TanhOperator<T>), parallelism), GradientRules.Tanh, x);

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ) element-wise.</summary>
    public static MtlTensor<T> Sigmoid<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(SigmoidOperator<T>), parallelism), GradientRules.Sigmoid, x);

    /// <summary>√x element-wise (NaN for x &lt; 0).</summary>
    public static MtlTensor<T> Sqrt<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(SqrtOperator<T>), parallelism), GradientRules.Sqrt, x);

    /// <summary>1 / x element-wise.</summary>
    public static MtlTensor<T> Reciprocal<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(ReciprocalOperator<T>), parallelism), GradientRules.Reciprocal, x);

    /// <summary>sin x element-wise (radians).</summary>
    public static MtlTensor<T> Sin<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(SinOperator<T>), parallelism), GradientRules.Sin, x);

    /// <summary>cos x element-wise (radians).</summary>
    public static MtlTensor<T> Cos<T>(this MtlTensor<T> x, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Map(x, default(CosOperator<T>), parallelism), GradientRules.Cos, x);
}
