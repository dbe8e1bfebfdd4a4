using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Composite operations built from the primitive tensor operations, so that autograd differentiates them
/// through the primitives' rules and they need no gradient code of their own.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m) along <paramref name="axis"/>, with m = max(x) detached: the shift
    /// cancels in the ratio (so no gradient needs to flow through it) and keeps e^(·) ≤ 1.
    /// </summary>
    public static MtlTensor<T> Softmax<T>(this MtlTensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var e = (x - x.Max(axis, keepDims: true).Detach()).Exp();
        return e / e.Sum(axis, keepDims: true);
    }

    /// <summary>
    /// log softmax(x) = x − log Σ exp(x) along <paramref name="axis"/>; stable for large logits. Uses the composed
    /// log-sum-exp: measured faster forward + backward than the fused reduction with its own rule (82 µs against
    /// 120 µs for 256 × 10 float logits), and the tests hold the two equal.
    /// </summary>
    public static MtlTensor<T> LogSoftmax<T>(this MtlTensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return x - x.LogSumExpComposed(axis, keepDims: true);
    }

    /// <summary>
    /// log Σ exp(x) composed from primitives (tinygrad's form): m + log Σ exp(x − m) with m = max(x) <em>detached</em>.
    /// m only shifts the computation (the result does not depend on it), so detaching it is exact, and it avoids
    /// sending gradient through max's tie-breaking. The twin of the fused <see cref="MtlTensor.LogSumExp{T}(MtlTensor{T}, int, bool, Parallelism?)"/>.
    /// </summary>
    public static MtlTensor<T> LogSumExpComposed<T>(this MtlTensor<T> x, int axis, bool keepDims = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var m = x.Max(axis, keepDims: true).Detach();
        var result = (x - m).Exp().Sum(axis, keepDims: true).Log() + m;
        return keepDims ? result : result.Squeeze(axis);
    }

    /// <summary>
    /// GELU with the tanh approximation (PyTorch's <c>approximate='tanh'</c>):
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    /// </summary>
    public static MtlTensor<T> Gelu<T>(this MtlTensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        T c = T.Sqrt(T.CreateChecked(2) / T.Pi);
        var inner = (x + x.Pow(T.CreateChecked(3)) * T.CreateChecked(0.044715)) * c;
        return x * (inner.Tanh() + T.One) * T.CreateChecked(0.5);
    }

    /// <summary>
    /// Layer normalization over the last axis: (x − μ) / √(σ² + ε) · γ + β, with μ and σ² (population) of each row;
    /// γ and β of shape (features,) or null.
    /// </summary>
    public static MtlTensor<T> LayerNorm<T>(this MtlTensor<T> x, MtlTensor<T>? weight, MtlTensor<T>? bias, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var mean = x.Mean(-1, keepDims: true);
        var variance = x.Variance(-1, keepDims: true);
        var y = (x - mean) / (variance + epsilon).Sqrt();
        if (weight is not null) y = y * weight;
        if (bias is not null) y = y + bias;
        return y;
    }

    /// <summary>
    /// softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) so that it never overflows. The two kinks are
    /// written as selections on the same detached condition x &gt; 0 so that their gradients meet: at x = 0 the derivative is
    /// 0 + σ(0)·1 = ½ (relu and abs, whose gradients at 0 are both 0, would give 0 there).
    /// </summary>
    public static MtlTensor<T> Softplus<T>(this MtlTensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        MtlTensor<T> positive;
        using (Autograd.Grad.NoGrad()) positive = x.Detach().Greater(T.Zero);
        return MtlTensor.Where(positive, x, T.Zero) + MtlTensor.Where(positive, -x, x).Exp().Log1p();
    }

    /// <summary>One-hot rows: a (labels, classes) tensor with 1 at [i, labels[i]]; a negative label (missing) gives a zero row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a label is ≥ <paramref name="classes"/>.</exception>
    public static MtlTensor<T> OneHot<T>(ReadOnlySpan<int> labels, int classes) where T : unmanaged, INumber<T>
    {
        var result = MtlTensor.Zeros<T>(labels.Length, classes);
        var data = result.AsSpan();
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if (label >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} at row {i} is not below the number of classes {classes}.");
            if (label >= 0) data[i * classes + label] = T.One;
        }
        return result;
    }
}
