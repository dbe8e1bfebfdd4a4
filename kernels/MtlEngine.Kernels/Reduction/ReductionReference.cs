using System.Numerics;

namespace MtlEngine.Kernels.Reduction;

/// <summary>
/// Textbook scalar twins of <see cref="ReductionKernels"/>: one plain loop each, in index order. They are
/// the tests' oracle, not a fast path.
/// </summary>
public static class ReductionReference
{
    /// <summary>Σ x[i], left to right.</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : INumber<T>
    {
        T s = T.Zero;
        foreach (T v in x) s += v;
        return s;
    }

    /// <summary>max x[i] by comparison (NaN wins).</summary>
    public static T Max<T>(ReadOnlySpan<T> x) where T : INumber<T>
    {
        T m = x[0];
        foreach (T v in x) m = T.Max(m, v);
        return m;
    }

    /// <summary>min x[i] by comparison (NaN wins).</summary>
    public static T Min<T>(ReadOnlySpan<T> x) where T : INumber<T>
    {
        T m = x[0];
        foreach (T v in x) m = T.Min(m, v);
        return m;
    }

    /// <summary>The first index of the maximum, or of the first NaN.</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> x) where T : INumber<T>
    {
        int best = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (T.IsNaN(x[i])) return i;
            if (x[i] > x[best]) best = i;
        }
        return best;
    }

    /// <summary>The first index of the minimum, or of the first NaN.</summary>
    public static int ArgMin<T>(ReadOnlySpan<T> x) where T : INumber<T>
    {
        int best = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (T.IsNaN(x[i])) return i;
            if (x[i] < x[best]) best = i;
        }
        return best;
    }

    /// <summary>Σ (x[i] − μ)² / (n − ddof) with μ the mean: the plain two-pass formula.</summary>
    public static T Variance<T>(ReadOnlySpan<T> x, int ddof) where T : IFloatingPointIeee754<T>
    {
        if (x.Length - ddof <= 0) return T.NaN;
        T mean = Sum(x) / T.CreateChecked(x.Length);
        T s = T.Zero;
        foreach (T v in x) s += (v - mean) * (v - mean);
        return s / T.CreateChecked(x.Length - ddof);
    }

    /// <summary>m + log Σ exp(x[i] − m) with m = max x.</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return T.NegativeInfinity;
        T m = Max(x);
        if (!T.IsFinite(m)) return m;
        T s = T.Zero;
        foreach (T v in x) s += T.Exp(v - m);
        return m + T.Log(s);
    }

    /// <summary>(Σ |x[i]|ᵖ)^(1/p), or max |x[i]| for p = ∞, without scaling.</summary>
    public static T Norm<T>(ReadOnlySpan<T> x, T p) where T : IFloatingPointIeee754<T>
    {
        T s = T.Zero;
        if (T.IsPositiveInfinity(p))
        {
            foreach (T v in x) s = T.Max(s, T.Abs(v));
            return s;
        }
        foreach (T v in x) s += T.Pow(T.Abs(v), p);
        return T.Pow(s, T.One / p);
    }
}
