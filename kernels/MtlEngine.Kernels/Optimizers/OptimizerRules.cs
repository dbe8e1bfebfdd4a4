using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels.Optimizers;

/// <summary>
/// The arithmetic the optimizer rules need of a lane type <typeparamref name="TV"/> (a scalar T, or a Vector128/256/512 of
/// T): +, −, ×, ÷ come from the operator interfaces that both implement, the square root from here.
/// </summary>
/// <typeparam name="TV">A scalar or a vector of lanes.</typeparam>
public interface ISquareRoot<TV>
{
    /// <summary>√x, lane by lane (correctly rounded, as IEEE 754 requires, so every width gives the same bits).</summary>
    static abstract TV Sqrt(TV x);
}

/// <summary>How the CPU drivers read and write spans of T as lanes <typeparamref name="TV"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TV">T itself, or a vector of T (<see cref="Lanes256{T}"/>, ...).</typeparam>
public interface ILanes<T, TV> : ISquareRoot<TV>
{
    /// <summary>Elements per lane value.</summary>
    static abstract int Count { get; }

    /// <summary>x in every lane.</summary>
    static abstract TV Broadcast(T x);

    /// <summary>The <see cref="Count"/> elements of <paramref name="source"/> from <paramref name="index"/> on.</summary>
    static abstract TV Load(ReadOnlySpan<T> source, int index);

    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/> from <paramref name="index"/> on.</summary>
    static abstract void Store(TV value, Span<T> destination, int index);
}

/// <summary>One element at a time: the scalar lanes of the tails, of the reference twins and of the GPU kernels.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ScalarLanes<T> : ILanes<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public static int Count => 1;
    /// <inheritdoc />
    public static T Broadcast(T x) => x;
    /// <inheritdoc />
    public static T Load(ReadOnlySpan<T> source, int index) => source[index];
    /// <inheritdoc />
    public static void Store(T value, Span<T> destination, int index) => destination[index] = value;
    /// <inheritdoc />
    public static T Sqrt(T x) => T.Sqrt(x);
}

/// <summary>
/// 128-bit lanes: a Vector128 of T with the arithmetic operators, so that the rules' formulas read the same on vectors as on
/// scalars (generic code cannot reach Vector128's operators through the operator interfaces for an open T).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="value">The lanes.</param>
public readonly struct Lanes128<T>(Vector128<T> value) : ILanes<T, Lanes128<T>>,
    IAdditionOperators<Lanes128<T>, Lanes128<T>, Lanes128<T>>, ISubtractionOperators<Lanes128<T>, Lanes128<T>, Lanes128<T>>,
    IMultiplyOperators<Lanes128<T>, Lanes128<T>, Lanes128<T>>, IDivisionOperators<Lanes128<T>, Lanes128<T>, Lanes128<T>>
    where T : unmanaged
{
    /// <summary>The lanes.</summary>
    public Vector128<T> Value { get; } = value;

    /// <inheritdoc />
    public static int Count => Vector128<T>.Count;
    /// <inheritdoc />
    public static Lanes128<T> Broadcast(T x) => new(Vector128.Create(x));
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128<T> Load(ReadOnlySpan<T> source, int index) => new(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)index));
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes128<T> value, Span<T> destination, int index) => value.Value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)index);
    /// <inheritdoc />
    public static Lanes128<T> Sqrt(Lanes128<T> x) => new(Vector128.Sqrt(x.Value));
    /// <summary>a + b lane by lane.</summary>
    public static Lanes128<T> operator +(Lanes128<T> left, Lanes128<T> right) => new(left.Value + right.Value);
    /// <summary>a − b lane by lane.</summary>
    public static Lanes128<T> operator -(Lanes128<T> left, Lanes128<T> right) => new(left.Value - right.Value);
    /// <summary>a × b lane by lane.</summary>
    public static Lanes128<T> operator *(Lanes128<T> left, Lanes128<T> right) => new(left.Value * right.Value);
    /// <summary>a ÷ b lane by lane.</summary>
    public static Lanes128<T> operator /(Lanes128<T> left, Lanes128<T> right) => new(left.Value / right.Value);
}

/// <summary>
/// 256-bit lanes: a Vector256 of T with the arithmetic operators, so that the rules' formulas read the same on vectors as on
/// scalars (generic code cannot reach Vector256's operators through the operator interfaces for an open T).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="value">The lanes.</param>
public readonly struct Lanes256<T>(Vector256<T> value) : ILanes<T, Lanes256<T>>,
    IAdditionOperators<Lanes256<T>, Lanes256<T>, Lanes256<T>>, ISubtractionOperators<Lanes256<T>, Lanes256<T>, Lanes256<T>>,
    IMultiplyOperators<Lanes256<T>, Lanes256<T>, Lanes256<T>>, IDivisionOperators<Lanes256<T>, Lanes256<T>, Lanes256<T>>
    where T : unmanaged
{
    /// <summary>The lanes.</summary>
    public Vector256<T> Value { get; } = value;

    /// <inheritdoc />
    public static int Count => Vector256<T>.Count;
    /// <inheritdoc />
    public static Lanes256<T> Broadcast(T x) => new(Vector256.Create(x));
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Load(ReadOnlySpan<T> source, int index) => new(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)index));
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256<T> value, Span<T> destination, int index) => value.Value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)index);
    /// <inheritdoc />
    public static Lanes256<T> Sqrt(Lanes256<T> x) => new(Vector256.Sqrt(x.Value));
    /// <summary>a + b lane by lane.</summary>
    public static Lanes256<T> operator +(Lanes256<T> left, Lanes256<T> right) => new(left.Value + right.Value);
    /// <summary>a − b lane by lane.</summary>
    public static Lanes256<T> operator -(Lanes256<T> left, Lanes256<T> right) => new(left.Value - right.Value);
    /// <summary>a × b lane by lane.</summary>
    public static Lanes256<T> operator *(Lanes256<T> left, Lanes256<T> right) => new(left.Value * right.Value);
    /// <summary>a ÷ b lane by lane.</summary>
    public static Lanes256<T> operator /(Lanes256<T> left, Lanes256<T> right) => new(left.Value / right.Value);
}

/// <summary>
/// 512-bit lanes: a Vector512 of T with the arithmetic operators, so that the rules' formulas read the same on vectors as on
/// scalars (generic code cannot reach Vector512's operators through the operator interfaces for an open T).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="value">The lanes.</param>
public readonly struct Lanes512<T>(Vector512<T> value) : ILanes<T, Lanes512<T>>,
    IAdditionOperators<Lanes512<T>, Lanes512<T>, Lanes512<T>>, ISubtractionOperators<Lanes512<T>, Lanes512<T>, Lanes512<T>>,
    IMultiplyOperators<Lanes512<T>, Lanes512<T>, Lanes512<T>>, IDivisionOperators<Lanes512<T>, Lanes512<T>, Lanes512<T>>
    where T : unmanaged
{
    /// <summary>The lanes.</summary>
    public Vector512<T> Value { get; } = value;

    /// <inheritdoc />
    public static int Count => Vector512<T>.Count;
    /// <inheritdoc />
    public static Lanes512<T> Broadcast(T x) => new(Vector512.Create(x));
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Load(ReadOnlySpan<T> source, int index) => new(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)index));
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512<T> value, Span<T> destination, int index) => value.Value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)index);
    /// <inheritdoc />
    public static Lanes512<T> Sqrt(Lanes512<T> x) => new(Vector512.Sqrt(x.Value));
    /// <summary>a + b lane by lane.</summary>
    public static Lanes512<T> operator +(Lanes512<T> left, Lanes512<T> right) => new(left.Value + right.Value);
    /// <summary>a − b lane by lane.</summary>
    public static Lanes512<T> operator -(Lanes512<T> left, Lanes512<T> right) => new(left.Value - right.Value);
    /// <summary>a × b lane by lane.</summary>
    public static Lanes512<T> operator *(Lanes512<T> left, Lanes512<T> right) => new(left.Value * right.Value);
    /// <summary>a ÷ b lane by lane.</summary>
    public static Lanes512<T> operator /(Lanes512<T> left, Lanes512<T> right) => new(left.Value / right.Value);
}

/// <summary>
/// The constants of one SGD step (PyTorch's <c>torch.optim.SGD</c>), computed on the host; see <see cref="OptimizerRules.Sgd"/>.
/// </summary>
/// <typeparam name="T">The element type (or lane type).</typeparam>
/// <param name="LearningRate">η.</param>
/// <param name="Momentum">μ.</param>
/// <param name="Keep">1 − τ (τ the dampening).</param>
/// <param name="WeightDecay">λ.</param>
/// <param name="UseMomentum">1 when μ ≠ 0 (the momentum buffer is read and written), else 0.</param>
/// <param name="FirstStep">1 when the buffer is new (it starts as d), else 0.</param>
/// <param name="Nesterov">1 for the Nesterov form, else 0.</param>
public readonly record struct SgdStep<T>(T LearningRate, T Momentum, T Keep, T WeightDecay, int UseMomentum, int FirstStep, int Nesterov) where T : unmanaged;

/// <summary>
/// The constants of one Adam or AdamW step (PyTorch's <c>torch.optim.Adam</c> / <c>AdamW</c>), computed on the host;
/// see <see cref="OptimizerRules.Adam"/>.
/// </summary>
/// <typeparam name="T">The element type (or lane type).</typeparam>
/// <param name="Beta1">β₁.</param>
/// <param name="Beta2">β₂.</param>
/// <param name="OneMinusBeta1">1 − β₁ (rounded in T).</param>
/// <param name="OneMinusBeta2">1 − β₂.</param>
/// <param name="StepSize">η / (1 − β₁ᵗ).</param>
/// <param name="SqrtCorrection2">√(1 − β₂ᵗ).</param>
/// <param name="Epsilon">ε.</param>
/// <param name="WeightDecay">λ (Adam's L2 term).</param>
/// <param name="Decay">1 − ηλ (AdamW's decoupled decay).</param>
/// <param name="Decoupled">1 for AdamW, 0 for Adam.</param>
public readonly record struct AdamStep<T>(T Beta1, T Beta2, T OneMinusBeta1, T OneMinusBeta2, T StepSize, T SqrtCorrection2,
    T Epsilon, T WeightDecay, T Decay, int Decoupled) where T : unmanaged;

/// <summary>
/// The constants of one RMSprop step (PyTorch's <c>torch.optim.RMSprop</c>), computed on the host; see <see cref="OptimizerRules.RmsProp"/>.
/// </summary>
/// <typeparam name="T">The element type (or lane type).</typeparam>
/// <param name="LearningRate">η.</param>
/// <param name="Alpha">α, the smoothing constant.</param>
/// <param name="OneMinusAlpha">1 − α (rounded in T).</param>
/// <param name="Epsilon">ε.</param>
/// <param name="WeightDecay">λ (L2 term added to the gradient).</param>
/// <param name="Momentum">μ.</param>
/// <param name="UseMomentum">1 when μ &gt; 0 (the momentum buffer is read and written), else 0.</param>
/// <param name="Centered">1 for the centered form (the gradient average is read and written), else 0.</param>
public readonly record struct RmsPropStep<T>(T LearningRate, T Alpha, T OneMinusAlpha, T Epsilon, T WeightDecay, T Momentum, int UseMomentum, int Centered)
    where T : unmanaged;

/// <summary>
/// The update formulas of the optimizers, each written once, generic over the lane type: the CPU drivers
/// (<see cref="OptimizerKernels"/>) run them on Vector512/256/128 lanes and on scalars for the tail, the GPU kernels
/// (<c>GpuOptimizers</c>) on one scalar per thread. The operations are +, −, ×, ÷ and √, each correctly rounded, in
/// the same order at every width, so every width and the ilgpu-cpu device give the same bits (the tests hold them so; a
/// CUDA compiler may fuse a·b + c into one rounding, a difference of an ulp).
/// </summary>
public static class OptimizerRules
{
    /// <summary>
    /// SGD (PyTorch's order): d ← g + λp; b ← d on the first step, else μb + (1 − τ)d; d ← d + μb (Nesterov) or b;
    /// p ← p − η·d. Without momentum <paramref name="b"/> is neither read nor written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sgd<TV>(ref TV p, TV g, ref TV b, SgdStep<TV> s)
        where TV : unmanaged, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>
    {
        TV d = g + s.WeightDecay * p;
        if (s.UseMomentum != 0)
        {
            b = s.FirstStep != 0 ? d : s.Momentum * b + s.Keep * d;
            d = s.Nesterov != 0 ? d + s.Momentum * b : b;
        }
        p -= s.LearningRate * d;
    }

    /// <summary>
    /// Adam / AdamW (PyTorch's order): AdamW p ← p·(1 − ηλ), Adam g ← g + λp; m ← β₁m + (1 − β₁)g;
    /// v ← β₂v + (1 − β₂)g²; p ← p − (η / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Adam<TV, TMath>(ref TV p, TV g, ref TV m, ref TV v, AdamStep<TV> s)
        where TV : unmanaged, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>, IDivisionOperators<TV, TV, TV>
        where TMath : ISquareRoot<TV>
    {
        if (s.Decoupled != 0) p *= s.Decay;
        else g += s.WeightDecay * p;
        m = s.Beta1 * m + s.OneMinusBeta1 * g;
        v = s.Beta2 * v + s.OneMinusBeta2 * g * g;
        p -= s.StepSize * m / (TMath.Sqrt(v) / s.SqrtCorrection2 + s.Epsilon);
    }

    /// <summary>
    /// RMSprop (PyTorch's order): g ← g + λp; v ← αv + (1 − α)g²; centered: ḡ ← αḡ + (1 − α)g, a ← √(v − ḡ²) + ε,
    /// else a ← √v + ε; with momentum b ← μb + g/a, p ← p − η·b, else p ← p − η·(g/a). <paramref name="b"/> and
    /// <paramref name="gAverage"/> are touched only when momentum and the centered form are on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RmsProp<TV, TMath>(ref TV p, TV g, ref TV v, ref TV b, ref TV gAverage, RmsPropStep<TV> s)
        where TV : unmanaged, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>, IDivisionOperators<TV, TV, TV>
        where TMath : ISquareRoot<TV>
    {
        g += s.WeightDecay * p;
        v = s.Alpha * v + s.OneMinusAlpha * g * g;
        TV a;
        if (s.Centered != 0)
        {
            gAverage = s.Alpha * gAverage + s.OneMinusAlpha * g;
            a = TMath.Sqrt(v - gAverage * gAverage) + s.Epsilon;
        }
        else
        {
            a = TMath.Sqrt(v) + s.Epsilon;
        }
        if (s.UseMomentum != 0)
        {
            b = s.Momentum * b + g / a;
            p -= s.LearningRate * b;
        }
        else
        {
            p -= s.LearningRate * (g / a);
        }
    }
}
