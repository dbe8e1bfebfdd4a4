using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using MtlEngine.Kernels.Elementwise;

namespace MtlEngine.Kernels.Reduction;

/// <summary>
/// Reductions of a contiguous span to one value. Sums use a fixed pairwise (blocked) order: blocks of
/// <see cref="PairwiseBlock"/> elements are summed by the vectorized driver and the block sums are added as
/// a balanced binary tree, which bounds the rounding error by O(log n · ε) and makes the result independent
/// of how many threads evaluate the tree.
/// </summary>
public static class ReductionKernels
{
    /// <summary>The leaf size of the pairwise summation tree (a multiple of every vector width).</summary>
    public const int PairwiseBlock = 1024;

    /// <summary>Σ x[i] (0 for an empty span), in pairwise order.</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T> =>
        PairwiseSum(x, default(CopyOperator<T>));

    /// <summary>
    /// Σ x[i] in the same pairwise order as <see cref="Sum{T}(ReadOnlySpan{T})"/>, with the top levels of the
    /// tree evaluated on up to <see cref="Parallelism.Degree"/> threads: the result is bit-identical for every
    /// degree.
    /// </summary>
    public static T Sum<T>(ReadOnlyMemory<T> x, Parallelism parallelism) where T : unmanaged, INumber<T>
    {
        int depth = 0;
        while ((1 << depth) < parallelism.Degree && (x.Length >> depth) > StridedLayout.MinElementsPerThread) depth++;
        return ParallelPairwiseSum(x, depth);
    }

    private static T ParallelPairwiseSum<T>(ReadOnlyMemory<T> x, int depth) where T : unmanaged, INumber<T>
    {
        if (depth == 0 || x.Length <= PairwiseBlock) return Sum(x.Span);
        int half = SplitPoint(x.Length);
        T left = default, right = default;
        Parallel.Invoke(
            () => left = ParallelPairwiseSum(x[..half], depth - 1),
            () => right = ParallelPairwiseSum(x[half..], depth - 1));
        return left + right;
    }

    /// <summary>Σ t(x[i]) in pairwise order (0 for an empty span).</summary>
    public static T PairwiseSum<T, TTransform>(ReadOnlySpan<T> x, TTransform transform)
        where T : unmanaged, INumber<T>
        where TTransform : struct, IUnaryOperator<T>
    {
        if (x.IsEmpty) return T.Zero;
        if (x.Length <= PairwiseBlock) return ReductionDriver.Aggregate(x, transform, default(AddAggregation<T>));
        int half = SplitPoint(x.Length);
        return PairwiseSum(x[..half], transform) + PairwiseSum(x[half..], transform);
    }

    // The left half is a whole number of blocks, so the tree depends only on the length.
    private static int SplitPoint(int length) => Math.Max(PairwiseBlock, length / 2 / PairwiseBlock * PairwiseBlock);

    /// <summary>max x[i]; NaN if any element is NaN.</summary>
    /// <exception cref="ArgumentException">When the span is empty.</exception>
    public static T Max<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        ThrowIfEmpty(x.Length, "maximum");
        return ReductionDriver.Aggregate(x, default(CopyOperator<T>), default(MaxAggregation<T>));
    }

    /// <summary>min x[i]; NaN if any element is NaN.</summary>
    /// <exception cref="ArgumentException">When the span is empty.</exception>
    public static T Min<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        ThrowIfEmpty(x.Length, "minimum");
        return ReductionDriver.Aggregate(x, default(CopyOperator<T>), default(MinAggregation<T>));
    }

    /// <summary>The index of the first maximum (of the first NaN if there is one), by TensorPrimitives.IndexOfMax.</summary>
    /// <exception cref="ArgumentException">When the span is empty.</exception>
    public static int ArgMax<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        ThrowIfEmpty(x.Length, "argmax");
        return TensorPrimitives.IndexOfMax(x);
    }

    /// <summary>The index of the first minimum (of the first NaN if there is one), by TensorPrimitives.IndexOfMin.</summary>
    /// <exception cref="ArgumentException">When the span is empty.</exception>
    public static int ArgMin<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        ThrowIfEmpty(x.Length, "argmin");
        return TensorPrimitives.IndexOfMin(x);
    }

    /// <summary>μ = Σ x[i] / n; NaN for an empty span.</summary>
    public static T Mean<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.IsEmpty ? T.NaN : Sum(x) / T.CreateChecked(x.Length);

    /// <summary>
    /// The variance Σ (x[i] − μ)² / (n − ddof) by the corrected two-pass algorithm (Chan, Golub and LeVeque
    /// 1983): with d = x − μ, var = (Σ d² − (Σ d)² / n) / (n − ddof); the second term removes the rounding
    /// error of μ. NaN when n − ddof ≤ 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="ddof"/> is negative.</exception>
    public static T Variance<T>(ReadOnlySpan<T> x, int ddof = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ddof);
        int n = x.Length;
        if (n - ddof <= 0) return T.NaN;
        T mean = Mean(x);
        T sumSquares = PairwiseSum(x, new SquaredDeviationTransform<T>(mean));
        T sum = PairwiseSum(x, new DeviationTransform<T>(mean));
        T count = T.CreateChecked(n);
        return (sumSquares - sum * sum / count) / T.CreateChecked(n - ddof);
    }

    /// <summary>
    /// log Σ exp(x[i]) computed as m + log Σ exp(x[i] − m) with m = max x, so that no exponential overflows.
    /// −∞ for an empty span; ±∞ or NaN when m is.
    /// </summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return T.NegativeInfinity;
        T m = Max(x);
        if (!T.IsFinite(m)) return m;
        T[] rented = ArrayPool<T>.Shared.Rent(x.Length);
        try
        {
            Span<T> shifted = rented.AsSpan(0, x.Length);
            TensorPrimitives.Subtract(x, m, shifted);
            TensorPrimitives.Exp(shifted, shifted);
            return m + T.Log(Sum<T>(shifted));
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>‖x‖₁ = Σ |x[i]| (0 for an empty span).</summary>
    public static T NormL1<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        PairwiseSum(x, default(AbsTransform<T>));

    /// <summary>‖x‖∞ = max |x[i]| (0 for an empty span).</summary>
    public static T NormInf<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.IsEmpty ? T.Zero : ReductionDriver.Aggregate(x, default(AbsTransform<T>), default(MaxAggregation<T>));

    /// <summary>
    /// ‖x‖₂ = s·√(Σ (x[i]/s)²) with s = ‖x‖∞: scaling by the largest magnitude keeps the squares from
    /// overflowing (or underflowing) when the norm itself is representable (as LAPACK's nrm2 does).
    /// </summary>
    public static T NormL2<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = NormInf(x);
        if (scale == T.Zero || !T.IsFinite(scale)) return scale;
        return scale * T.Sqrt(PairwiseSum(x, new ScaledSquareTransform<T>(scale)));
    }

    /// <summary>‖x‖ₚ = s·(Σ |x[i]/s|ᵖ)^(1/p) with s = ‖x‖∞ for p &gt; 0; p = +∞ gives the maximum norm.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When p is not positive or is NaN.</exception>
    public static T Norm<T>(ReadOnlySpan<T> x, T p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(p > T.Zero))
            throw new ArgumentOutOfRangeException(nameof(p), p, "The norm's order p must be positive (1, 2, any p > 0, or +infinity).");
        if (T.IsPositiveInfinity(p)) return NormInf(x);
        if (p == T.One) return NormL1(x);
        if (p == T.CreateChecked(2)) return NormL2(x);
        T scale = NormInf(x);
        if (scale == T.Zero || !T.IsFinite(scale)) return scale;
        T[] rented = ArrayPool<T>.Shared.Rent(x.Length);
        try
        {
            Span<T> scaled = rented.AsSpan(0, x.Length);
            TensorPrimitives.Abs(x, scaled);
            TensorPrimitives.Divide(scaled, scale, scaled);
            TensorPrimitives.Pow(scaled, p, scaled);
            return scale * T.Pow(Sum<T>(scaled), T.One / p);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    internal static void ThrowIfEmpty(int length, string operation)
    {
        if (length == 0)
            throw new ArgumentException($"Cannot take the {operation} of zero elements: it has no identity. Reduce a non-empty axis, or check the input's shape.");
    }
}
