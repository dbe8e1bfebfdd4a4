using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

/// <summary>
/// The derivative of every primitive operation, one short rule each (tinygrad's table, micrograd's closures).
/// A rule receives the node (inputs x = n.Inputs[0], y = n.Inputs[1], output z = n.Output) and the upstream
/// gradient g = ∂L/∂z, and returns ∂L/∂input for input i — in the broadcast shape is fine: the graph sums it
/// back to the input's shape. Rules run under no-grad and use the ordinary tensor operations. Composite
/// operations (softmax, layer norm, losses) have no rule: they are built from these.
/// </summary>
internal static partial class GradientRules
{
    // ---- arithmetic: z = x ∘ y (with broadcasting) ----

    /// <summary>z = x + y: ∂z/∂x = ∂z/∂y = 1.</summary>
    public static MtlTensor<T> Add<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g;

    /// <summary>z = x − y: ∂z/∂x = 1, ∂z/∂y = −1.</summary>
    public static MtlTensor<T> Subtract<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => i == 0 ? g : -g;

    /// <summary>z = x · y: ∂z/∂x = y, ∂z/∂y = x.</summary>
    public static MtlTensor<T> Multiply<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g * n.Inputs[1 - i];

    /// <summary>z = x / y: ∂z/∂x = 1/y, ∂z/∂y = −x/y² = −z/y.</summary>
    public static MtlTensor<T> Divide<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        i == 0 ? g / n.Inputs[1] : -(g * n.Output / n.Inputs[1]);

    /// <summary>z = −x.</summary>
    public static MtlTensor<T> Negate<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => -g;

    /// <summary>z = max(x, y): the gradient goes to the larger operand, split in half on a tie (PyTorch's rule).</summary>
    public static MtlTensor<T> Maximum<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        g * Winner(n.Inputs[i], n.Inputs[1 - i], larger: true);

    /// <summary>z = min(x, y): the gradient goes to the smaller operand, split in half on a tie.</summary>
    public static MtlTensor<T> Minimum<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        g * Winner(n.Inputs[i], n.Inputs[1 - i], larger: false);

    // ---- with a scalar s = n.Scalar ----

    /// <summary>z = x + s or x − s: ∂z/∂x = 1.</summary>
    public static MtlTensor<T> AddScalar<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g;

    /// <summary>z = s − x: ∂z/∂x = −1.</summary>
    public static MtlTensor<T> ScalarSubtract<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => -g;

    /// <summary>z = x · s (or s · x): ∂z/∂x = s.</summary>
    public static MtlTensor<T> MultiplyScalar<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g * n.Scalar;

    /// <summary>z = x / s: ∂z/∂x = 1/s.</summary>
    public static MtlTensor<T> DivideScalar<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g / n.Scalar;

    /// <summary>z = s / x: ∂z/∂x = −s/x² = −z/x.</summary>
    public static MtlTensor<T> ScalarDivide<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => -(g * n.Output / n.Inputs[0]);

    /// <summary>z = max(x, s): 1 where x &gt; s, ½ where x = s.</summary>
    public static MtlTensor<T> MaximumScalar<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        g * Winner(n.Inputs[0], MtlTensor.Scalar(n.Scalar), larger: true);

    /// <summary>z = min(x, s): 1 where x &lt; s, ½ where x = s.</summary>
    public static MtlTensor<T> MinimumScalar<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        g * Winner(n.Inputs[0], MtlTensor.Scalar(n.Scalar), larger: false);

    /// <summary>z = clamp(x, lo, hi): 1 where lo ≤ x ≤ hi (where the value passed through unchanged), else 0.</summary>
    public static MtlTensor<T> Clamp<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g * n.Inputs[0].Equal(n.Output);

    // ---- unary ----

    /// <summary>z = |x|: ∂z/∂x = sign(x) (0 at 0).</summary>
    public static MtlTensor<T> Abs<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g * n.Inputs[0].Sign();

    /// <summary>z = x²: ∂z/∂x = 2x.</summary>
    public static MtlTensor<T> Square<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g * n.Inputs[0] * T.CreateChecked(2);

    /// <summary>z = relu(x): 1 where x &gt; 0, so the gradient at 0 is 0 (the kernel compares the input, not the output).</summary>
    public static MtlTensor<T> Relu<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => n.Inputs[0].ReluGradient(g);

    /// <summary>z = eˣ: ∂z/∂x = z.</summary>
    public static MtlTensor<T> Exp<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g * n.Output;

    /// <summary>z = ln x: ∂z/∂x = 1/x.</summary>
    public static MtlTensor<T> Log<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g / n.Inputs[0];

    /// <summary>z = ln(1 + x): ∂z/∂x = 1/(1 + x).</summary>
    public static MtlTensor<T> Log1p<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g / (n.Inputs[0] + T.One);

    /// <summary>z = eˣ − 1: ∂z/∂x = z + 1.</summary>
    public static MtlTensor<T> Expm1<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g * (n.Output + T.One);

    /// <summary>z = tanh x: ∂z/∂x = 1 − z².</summary>
    public static MtlTensor<T> Tanh<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g * (T.One - n.Output.Square());

    /// <summary>z = σ(x): ∂z/∂x = z(1 − z).</summary>
    public static MtlTensor<T> Sigmoid<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g * n.Output * (T.One - n.Output);

    /// <summary>z = √x: ∂z/∂x = 1/(2z).</summary>
    public static MtlTensor<T> Sqrt<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g / n.Output * Half<T>();

    /// <summary>z = 1/x: ∂z/∂x = −1/x² = −z².</summary>
    public static MtlTensor<T> Reciprocal<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => -(g * n.Output.Square());

    /// <summary>z = sin x: ∂z/∂x = cos x.</summary>
    public static MtlTensor<T> Sin<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => g * n.Inputs[0].Cos();

    /// <summary>z = cos x: ∂z/∂x = −sin x.</summary>
    public static MtlTensor<T> Cos<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> => -(g * n.Inputs[0].Sin());

    /// <summary>z = xʸ: ∂z/∂x = y·xʸ⁻¹, ∂z/∂y = z·ln x (0 where x = 0, as in PyTorch).</summary>
    public static MtlTensor<T> Pow<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MtlTensor<T> x = n.Inputs[0], y = n.Inputs[1];
        return i == 0
            ? g * y * x.Pow(y - T.One)
            : g * MtlTensor.Where(x.Equal(T.Zero), T.Zero, n.Output * x.Log());
    }

    /// <summary>z = xᵖ for a scalar p: ∂z/∂x = p·xᵖ⁻¹.</summary>
    public static MtlTensor<T> PowScalar<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        g * n.Inputs[0].Pow(n.Scalar - T.One) * n.Scalar;

    /// <summary>z = bˣ for a scalar base b: ∂z/∂x = z·ln b.</summary>
    public static MtlTensor<T> ScalarPow<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        g * n.Output * T.Log(n.Scalar);

    /// <summary>z = where(c, a, b): the gradient goes to a where c holds and to b elsewhere; the condition gets none.</summary>
    public static MtlTensor<T>? Where<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => i switch
    {
        1 => MtlTensor.Where(n.Inputs[0], g, T.Zero),
        2 => MtlTensor.Where(n.Inputs[0], T.Zero, g),
        _ => null,
    };

    // ---- reductions over n.Axes (null: all), keeping them or not (n.KeepDims) ----

    /// <summary>z = Σ x: every element gets g.</summary>
    public static MtlTensor<T> Sum<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => Unreduce(n, g);

    /// <summary>z = Σ x / N: every element gets g / N.</summary>
    public static MtlTensor<T> Mean<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unreduce(n, g) / T.CreateChecked(ReducedCount(n));

    /// <summary>z = max x (or min x): g goes to the elements equal to z, shared evenly among ties.</summary>
    public static MtlTensor<T> Max<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var x = n.Inputs[0];
        var mask = x.Equal(Unreduce(n, n.Output));
        int[] axes = ReducedAxes(n);
        return Unreduce(n, g) * mask / mask.Sum(axes, keepDims: true);
    }

    /// <summary>z = min x: the same rule as <see cref="Max{T}"/> (g goes to the elements equal to z).</summary>
    public static MtlTensor<T> Min<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => Max(n, g, i);

    /// <summary>z = log Σ eˣ: ∂z/∂x = eˣ⁻ᶻ = softmax(x).</summary>
    public static MtlTensor<T> LogSumExp<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unreduce(n, g) * (n.Inputs[0] - Unreduce(n, n.Output)).Exp();

    /// <summary>z = Σ (x − μ)² / (N − ddof): ∂z/∂x = 2(x − μ)/(N − ddof) (the μ term cancels since Σ (x − μ) = 0).</summary>
    public static MtlTensor<T> Variance<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = n.Inputs[0];
        var centered = x - x.Mean(ReducedAxes(n), keepDims: true);
        return Unreduce(n, g) * centered * (T.CreateChecked(2) / (T.CreateChecked(ReducedCount(n)) - n.Scalar));
    }

    /// <summary>z = √variance: ∂z/∂x = (x − μ) / ((N − ddof)·z).</summary>
    public static MtlTensor<T> Std<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = n.Inputs[0];
        var centered = x - x.Mean(ReducedAxes(n), keepDims: true);
        return Unreduce(n, g) * centered / Unreduce(n, n.Output) / (T.CreateChecked(ReducedCount(n)) - n.Scalar);
    }

    /// <summary>
    /// z = (Σ |x|ᵖ)^(1/p): ∂z/∂x = sign(x)·|x|ᵖ⁻¹ / zᵖ⁻¹ (x / z for p = 2, sign(x) for p = 1), 0 where z = 0;
    /// for p = ∞ the rule of max |x|.
    /// </summary>
    public static MtlTensor<T> Norm<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T p = n.Scalar;
        var x = n.Inputs[0];
        var z = Unreduce(n, n.Output);
        var up = Unreduce(n, g);
        if (T.IsPositiveInfinity(p))
        {
            var mask = x.Abs().Equal(z);
            return up * x.Sign() * mask / mask.Sum(ReducedAxes(n), keepDims: true);
        }
        if (p == T.One) return up * x.Sign();
        var ratio = p == T.CreateChecked(2) ? x / z : x.Sign() * (x.Abs() / z).Pow(p - T.One);
        return up * MtlTensor.Where(z.Equal(T.Zero), T.Zero, ratio);
    }

    /// <summary>
    /// z = fused softmax cross-entropy of logits x (a device kernel, or the host's SoftmaxCrossEntropyKernel, that computed
    /// z and ∂z/∂x = (softmax(x) − onehot)/N — with weights and smoothing on the host — in one pass, saved on the node):
    /// ∂L/∂x = g·∂z/∂x.
    /// </summary>
    public static MtlTensor<T> SoftmaxCrossEntropy<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        g * (MtlTensor<T>)n.Saved!;

    // ---- views and copies: the gradient is the upstream put back where the view took it from ----

    /// <summary>A copy (Clone, Contiguous): the identity.</summary>
    public static MtlTensor<T> Copy<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g;

    /// <summary>A broadcast view: the identity here; the graph sums the gradient back to the input's shape.</summary>
    public static MtlTensor<T> BroadcastTo<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> => g;

    /// <summary>Reshape, View, Squeeze, Unsqueeze: the gradient reshaped back to the input's shape.</summary>
    public static MtlTensor<T> Reshape<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        g.Reshape(n.Inputs[0].Shape.ToArray());

    /// <summary>A permutation of the axes: the gradient permuted by the inverse permutation.</summary>
    public static MtlTensor<T> Permute<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        int[] axes = n.Axes!;
        var inverse = new int[axes.Length];
        for (int d = 0; d < axes.Length; d++) inverse[axes[d] < 0 ? axes[d] + axes.Length : axes[d]] = d;
        return g.Permute(inverse);
    }

    /// <summary>Slice, Select (any view that picks distinct elements): zeros of the input's shape with g copied into the same view of them.</summary>
    public static MtlTensor<T> Slice<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var view = (Func<MtlTensor<T>, MtlTensor<T>>)n.Saved!;
        var result = MtlTensor.ZerosLike(n.Inputs[0]); // on the input's device
        g.CopyTo(view(result));
        return result;
    }

    /// <summary>Concatenate along n.Axes[0]: each input gets its slice of g.</summary>
    public static MtlTensor<T> Concatenate<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        int axis = n.Axes![0];
        int start = 0;
        for (int k = 0; k < i; k++) start += n.Inputs[k].Shape[axis];
        return g.Slice(axis, start, start + n.Inputs[i].Shape[axis]);
    }

    // ---- helpers ----

    /// <summary>Weights 1 where <paramref name="x"/> wins against <paramref name="y"/>, ½ on a tie, 0 where it loses.</summary>
    private static MtlTensor<T> Winner<T>(MtlTensor<T> x, MtlTensor<T> y, bool larger) where T : unmanaged, INumber<T> =>
        (larger ? x.Greater(y) : x.Less(y)) + x.Equal(y) * Half<T>();

    private static T Half<T>() where T : unmanaged, INumber<T> => T.One / (T.One + T.One);

    /// <summary>The sorted, non-negative axes the node's reduction reduced.</summary>
    private static int[] ReducedAxes<T>(GradNode<T> n) where T : unmanaged, INumber<T>
    {
        var x = n.Inputs[0];
        return TensorOps.ResolveAxes(n.Axes, x.Rank, x.Shape, n.Operation);
    }

    /// <summary>N, the number of elements each output element of the reduction summarizes.</summary>
    private static long ReducedCount<T>(GradNode<T> n) where T : unmanaged, INumber<T>
    {
        long count = 1;
        foreach (int axis in ReducedAxes(n)) count *= n.Inputs[0].Shape[axis];
        return count;
    }

    /// <summary>A reduced tensor (the upstream gradient, or the output) broadcast back over the reduced axes to the input's shape.</summary>
    private static MtlTensor<T> Unreduce<T>(GradNode<T> n, MtlTensor<T> reduced) where T : unmanaged, INumber<T>
    {
        var x = n.Inputs[0];
        if (!n.KeepDims) reduced = reduced.Reshape(TensorOps.OutputShape(x.Shape, ReducedAxes(n), keepDims: true));
        return reduced.BroadcastTo(x.Shape.ToArray());
    }
}
