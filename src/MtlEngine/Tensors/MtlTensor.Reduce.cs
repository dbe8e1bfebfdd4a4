using MtlEngine.Autograd;
using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Tensors;

// Reductions over all elements (axes = null), one axis, or a set of axes (negative axes count from the
// end). The reduced dimensions disappear from the result, or stay as size 1 with keepDims. Reducing over
// zero elements follows NumPy: sum 0, mean NaN, logsumexp −∞, norms 0; max, min, argmax and argmin throw.
// Each output element is reduced by one thread in a fixed order, so results do not depend on the degree of
// parallelism; a full sum splits its fixed pairwise tree over threads, with the same guarantee.
public sealed partial class MtlTensor<T>
{
    /// <summary>Σ over <paramref name="axes"/> (all when null).</summary>
    /// <exception cref="ArgumentException">When an axis is out of range or named twice.</exception>
    public MtlTensor<T> Sum(int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null)
    {
        if (axes is null && !keepDims && !GpuTensorOps.OnDevice(this)) // on a device the sum stays there (a 0-d device tensor)
            return Graph.Record(TensorOps.Scalar(TensorOps.SumAll(this, parallelism)), GradientRules.Sum, this);
        return Graph.Record(TensorOps.Reduce<T, T, SumReducer<T>>(this, axes, keepDims, default, parallelism, "Sum", needsElements: false), GradientRules.Sum, this, axes: axes, keepDims: keepDims);
    }

    /// <summary>Σ over one axis.</summary>
    public MtlTensor<T> Sum(int axis, bool keepDims = false, Parallelism? parallelism = null) => Sum([axis], keepDims, parallelism);

    /// <summary>The maximum over <paramref name="axes"/> (all when null); NaN where a reduced element is NaN.</summary>
    /// <exception cref="ArgumentException">When the reduced axes hold zero elements, or an axis is out of range or named twice.</exception>
    public MtlTensor<T> Max(int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Reduce<T, T, MaxReducer<T>>(this, axes, keepDims, default, parallelism, "Max", needsElements: true), GradientRules.Max, this, axes: axes, keepDims: keepDims);

    /// <summary>The maximum over one axis.</summary>
    public MtlTensor<T> Max(int axis, bool keepDims = false, Parallelism? parallelism = null) => Max([axis], keepDims, parallelism);

    /// <summary>The minimum over <paramref name="axes"/> (all when null); NaN where a reduced element is NaN.</summary>
    /// <exception cref="ArgumentException">When the reduced axes hold zero elements, or an axis is out of range or named twice.</exception>
    public MtlTensor<T> Min(int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null) =>
        Graph.Record(TensorOps.Reduce<T, T, MinReducer<T>>(this, axes, keepDims, default, parallelism, "Min", needsElements: true), GradientRules.Min, this, axes: axes, keepDims: keepDims);

    /// <summary>The minimum over one axis.</summary>
    public MtlTensor<T> Min(int axis, bool keepDims = false, Parallelism? parallelism = null) => Min([axis], keepDims, parallelism);

    /// <summary>
    /// The index of the first maximum along <paramref name="axis"/>, or, when it is null, in the row-major
    /// flattening of the whole tensor (a 0-d result). The index of the first NaN wins, as in NumPy.
    /// </summary>
    /// <exception cref="ArgumentException">When the axis holds zero elements.</exception>
    public MtlTensor<int> ArgMax(int? axis = null, bool keepDims = false, Parallelism? parallelism = null) =>
        TensorOps.Reduce<T, int, ArgMaxReducer<T>>(this, axis is int a ? [a] : null, keepDims, default, parallelism, "ArgMax", needsElements: true);

    /// <summary>The index of the first minimum along <paramref name="axis"/> (or of the flattened tensor when null).</summary>
    /// <exception cref="ArgumentException">When the axis holds zero elements.</exception>
    public MtlTensor<int> ArgMin(int? axis = null, bool keepDims = false, Parallelism? parallelism = null) =>
        TensorOps.Reduce<T, int, ArgMinReducer<T>>(this, axis is int a ? [a] : null, keepDims, default, parallelism, "ArgMin", needsElements: true);
}

public static partial class MtlTensor
{
    /// <summary>The mean over <paramref name="axes"/> (all when null); NaN over zero elements.</summary>
    /// <exception cref="ArgumentException">When an axis is out of range or named twice.</exception>
    public static MtlTensor<T> Mean<T>(this MtlTensor<T> x, int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (axes is null && !keepDims && !GpuTensorOps.OnDevice(x))
            return Graph.Record(TensorOps.Scalar(x.Length == 0 ? T.NaN : TensorOps.SumAll(x, parallelism) / T.CreateChecked(x.Length)), GradientRules.Mean, x);
        return Graph.Record(TensorOps.Reduce<T, T, MeanReducer<T>>(x, axes, keepDims, default, parallelism, "Mean", needsElements: false), GradientRules.Mean, x, axes: axes, keepDims: keepDims);
    }

    /// <summary>The mean over one axis.</summary>
    public static MtlTensor<T> Mean<T>(this MtlTensor<T> x, int axis, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> => x.Mean([axis], keepDims, parallelism);

    /// <summary>
    /// The variance Σ (x − μ)² / (n − ddof) over <paramref name="axes"/> (all when null), by the corrected
    /// two-pass algorithm; ddof = 0 is the population variance (NumPy's default), 1 the sample variance.
    /// NaN where n − ddof ≤ 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="ddof"/> is negative.</exception>
    public static MtlTensor<T> Variance<T>(this MtlTensor<T> x, int[]? axes = null, int ddof = 0, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ddof);
        ArgumentNullException.ThrowIfNull(x);
        var result = GpuTensorOps.OnDevice(x)
            ? GpuTensorOps.Variance(x, TensorOps.ResolveAxes(axes, x.Rank, x.Shape, "Variance"), ReducedShape(x, axes, keepDims, "Variance"), ddof)
            : TensorOps.Reduce<T, T, VarianceReducer<T>>(x, axes, keepDims, new VarianceReducer<T>(ddof), parallelism, "Variance", needsElements: false);
        return Graph.Record(result, GradientRules.Variance, x, scalar: T.CreateChecked(ddof), axes: axes, keepDims: keepDims);
    }

    /// <summary>The variance over one axis.</summary>
    public static MtlTensor<T> Variance<T>(this MtlTensor<T> x, int axis, int ddof = 0, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> => x.Variance([axis], ddof, keepDims, parallelism);

    /// <summary>The standard deviation √variance over <paramref name="axes"/> (all when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="ddof"/> is negative.</exception>
    public static MtlTensor<T> Std<T>(this MtlTensor<T> x, int[]? axes = null, int ddof = 0, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MtlTensor<T> variance;
        using (Grad.NoGrad()) variance = x.Variance(axes, ddof, keepDims, parallelism);
        if (GpuTensorOps.OnDevice(variance))
        {
            var root = GpuTensorOps.Map(variance, default(Kernels.Elementwise.SqrtOperator<T>));
            variance.ReleaseDeviceMemory();
            variance = root;
        }
        else
        {
            var data = variance.CpuStorage.Data;
            System.Numerics.Tensors.TensorPrimitives.Sqrt<T>(data, data);
        }
        return Graph.Record(variance, GradientRules.Std, x, scalar: T.CreateChecked(ddof), axes: axes, keepDims: keepDims);
    }

    /// <summary>The standard deviation over one axis.</summary>
    public static MtlTensor<T> Std<T>(this MtlTensor<T> x, int axis, int ddof = 0, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> => x.Std([axis], ddof, keepDims, parallelism);

    /// <summary>
    /// log Σ exp(x) over <paramref name="axes"/> (all when null), computed as m + log Σ exp(x − m) with m the
    /// maximum so that nothing overflows; −∞ over zero elements.
    /// </summary>
    public static MtlTensor<T> LogSumExp<T>(this MtlTensor<T> x, int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Graph.Record(TensorOps.Reduce<T, T, LogSumExpReducer<T>>(x, axes, keepDims, default, parallelism, "LogSumExp", needsElements: false), GradientRules.LogSumExp, x, axes: axes, keepDims: keepDims);

    /// <summary>log Σ exp(x) over one axis.</summary>
    public static MtlTensor<T> LogSumExp<T>(this MtlTensor<T> x, int axis, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> => x.LogSumExp([axis], keepDims, parallelism);

    /// <summary>
    /// The vector p-norm (Σ |x|ᵖ)^(1/p) over <paramref name="axes"/> (all when null): p = 1, 2 (scaled by the
    /// largest magnitude so squares cannot overflow), any p &gt; 0, or +∞ for max |x|. 0 over zero elements.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When p is not positive.</exception>
    public static MtlTensor<T> Norm<T>(this MtlTensor<T> x, T p, int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(p > T.Zero))
            throw new ArgumentOutOfRangeException(nameof(p), p, "The norm's order p must be positive (1, 2, any p > 0, or +infinity).");
        ArgumentNullException.ThrowIfNull(x);
        var result = GpuTensorOps.OnDevice(x)
            ? GpuTensorOps.Norm(x, TensorOps.ResolveAxes(axes, x.Rank, x.Shape, "Norm"), ReducedShape(x, axes, keepDims, "Norm"), p)
            : TensorOps.Reduce<T, T, NormReducer<T>>(x, axes, keepDims, new NormReducer<T>(p), parallelism, "Norm", needsElements: false);
        return Graph.Record(result, GradientRules.Norm, x, scalar: p, axes: axes, keepDims: keepDims);
    }

    /// <summary>The shape a reduction of <paramref name="x"/> over <paramref name="axes"/> (all when null) leaves.</summary>
    private static int[] ReducedShape<T>(MtlTensor<T> x, int[]? axes, bool keepDims, string operation) where T : unmanaged, INumber<T> =>
        TensorOps.OutputShape(x.Shape, TensorOps.ResolveAxes(axes, x.Rank, x.Shape, operation), keepDims);

    /// <summary>The p-norm over one axis.</summary>
    public static MtlTensor<T> Norm<T>(this MtlTensor<T> x, T p, int axis, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> => x.Norm(p, [axis], keepDims, parallelism);

    /// <summary>The Euclidean (L2) norm over <paramref name="axes"/> (all when null).</summary>
    public static MtlTensor<T> Norm<T>(this MtlTensor<T> x, int[]? axes = null, bool keepDims = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T> => x.Norm(T.CreateChecked(2), axes, keepDims, parallelism);
}
