using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// An associative combination for the GPU reductions: the result over a run is
/// <c>Finish(Combine(...Combine(Identity, x₀)..., xₙ₋₁), n)</c>. One small struct per reduction.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IGpuReduction<T>
{
    /// <summary>The neutral element (the result over an empty run, before <see cref="Finish"/>).</summary>
    T Identity { get; }
    /// <summary>Combines two partial results.</summary>
    T Combine(T x, T y);
    /// <summary>Turns the combined value of a run of <paramref name="count"/> elements into the result (e.g. the mean divides).</summary>
    T Finish(T combined, T count);
}

/// <summary>Σ x.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SumReduction<T> : IGpuReduction<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Identity => T.Zero;
    /// <inheritdoc />
    public T Combine(T x, T y) => x + y;
    /// <inheritdoc />
    public T Finish(T combined, T count) => combined;
}

/// <summary>Σ x / n (NaN for an empty run, as NumPy).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MeanReduction<T> : IGpuReduction<T> where T : INumber<T>
{
    /// <inheritdoc />
    public T Identity => T.Zero;
    /// <inheritdoc />
    public T Combine(T x, T y) => x + y;
    /// <inheritdoc />
    public T Finish(T combined, T count) => combined / count;
}

/// <summary>max x (−∞ for an empty run; NaN propagates).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MaxReduction<T> : IGpuReduction<T> where T : IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Identity => T.NegativeInfinity;
    /// <inheritdoc />
    public T Combine(T x, T y) => x > y || T.IsNaN(x) ? x : y;
    /// <inheritdoc />
    public T Finish(T combined, T count) => combined;
}

/// <summary>min x (+∞ for an empty run; NaN propagates).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MinReduction<T> : IGpuReduction<T> where T : IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Identity => T.PositiveInfinity;
    /// <inheritdoc />
    public T Combine(T x, T y) => x < y || T.IsNaN(x) ? x : y;
    /// <inheritdoc />
    public T Finish(T combined, T count) => combined;
}

/// <summary>
/// Reductions over one axis on the GPU. A contiguous tensor is seen as (outer, n, inner) with the reduced axis
/// in the middle; output element (o, q) reduces x[o, ·, q]. One group of <see cref="GpuContext.ReductionGroupSize"/> threads per
/// output element: each thread combines a strided share of the n elements, then the group combines the
/// partial results in shared memory by halving (a tree of log₂ (group size) steps), so a long axis is summed in
/// pairs of similar size rather than one long running sum.
/// </summary>
public static class GpuReduce
{
    /// <summary>
    /// The most threads per group of the reduction and softmax kernels (their shared memory holds this many partial
    /// results), and the group size of the transpose tile. The group size they run with is the context's
    /// <see cref="GpuContext.ReductionGroupSize"/>, a power of two up to this.
    /// </summary>
    public const int GroupSize = 64;

    /// <summary>d[o·inner + q] = reduce over p of x[(o·n + p)·inner + q].</summary>
    /// <exception cref="ArgumentException">When a size is negative or the views' lengths do not match the sizes.</exception>
    public static void Axis<T, TReduction>(GpuContext gpu, ArrayView<T> x, int outer, int n, int inner, ArrayView<T> d, TReduction reduction)
        where T : unmanaged, INumber<T> where TReduction : struct, IGpuReduction<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (outer < 0 || n < 0 || inner < 0)
            throw new ArgumentException($"Reduction sizes (outer {outer}, n {n}, inner {inner}) must be non-negative.");
        if (x.Length != (long)outer * n * inner || d.Length != (long)outer * inner)
            throw new ArgumentException($"A reduction over (outer {outer}, n {n}, inner {inner}) needs an input of {(long)outer * n * inner} elements and an output of {(long)outer * inner}; got {x.Length} and {d.Length}.");
        if (d.Length == 0) return;
        var kernel = gpu.Kernel<Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int, T, TReduction>>(
            (Action<ArrayView<T>, ArrayView<T>, int, int, T, TReduction>)AxisKernel<T, TReduction>,
            a => a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int, T, TReduction>(AxisKernel<T, TReduction>));
        kernel(new KernelConfig((int)d.Length, gpu.ReductionGroupSize), x, d, n, inner, T.CreateTruncating(n), reduction);
    }

    /// <summary>
    /// d[o·inner + q] = the index p of the first maximum (or minimum, when <paramref name="max"/> is false) of
    /// x[(o·n + p)·inner + q] over p; the first NaN wins, as in NumPy. n must be ≥ 1 where d is not empty.
    /// </summary>
    /// <exception cref="ArgumentException">When a size is negative, n is 0 for a non-empty output, or the views do not match the sizes.</exception>
    public static void ArgAxis<T>(GpuContext gpu, ArrayView<T> x, int outer, int n, int inner, ArrayView<int> d, bool max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (outer < 0 || n < 0 || inner < 0)
            throw new ArgumentException($"Reduction sizes (outer {outer}, n {n}, inner {inner}) must be non-negative.");
        if (x.Length != (long)outer * n * inner || d.Length != (long)outer * inner)
            throw new ArgumentException($"An arg-reduction over (outer {outer}, n {n}, inner {inner}) needs an input of {(long)outer * n * inner} elements and an output of {(long)outer * inner}; got {x.Length} and {d.Length}.");
        if (d.Length == 0) return;
        if (n == 0) throw new ArgumentException("An arg-reduction over zero elements has no answer.");
        var kernel = gpu.Kernel<Action<KernelConfig, ArrayView<T>, ArrayView<int>, int, int, int>>(
            (Action<ArrayView<T>, ArrayView<int>, int, int, int>)ArgAxisKernel<T>,
            a => a.LoadStreamKernel<ArrayView<T>, ArrayView<int>, int, int, int>(ArgAxisKernel<T>));
        kernel(new KernelConfig((int)d.Length, gpu.ReductionGroupSize), x, d, n, inner, max ? 1 : 0);
    }

    /// <summary>
    /// True when (value a at index ia) beats (value b at index ib) for the first maximum (or minimum): a NaN beats
    /// any number, a larger (smaller) value beats a smaller (larger) one, and on a tie the smaller index wins.
    /// </summary>
    private static bool Beats<T>(T a, int ia, T b, int ib, int max) where T : IFloatingPointIeee754<T>
    {
        bool aNaN = T.IsNaN(a), bNaN = T.IsNaN(b);
        if (aNaN || bNaN) return aNaN && (!bNaN || ia < ib);
        if (a == b) return ia < ib;
        return max != 0 ? a > b : a < b;
    }

    internal static void ArgAxisKernel<T>(ArrayView<T> x, ArrayView<int> d, int n, int inner, int max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = SharedMemory.Allocate<T>(GroupSize);
        var indices = SharedMemory.Allocate<int>(GroupSize);
        int output = Grid.IdxX, o = output / inner, q = output % inner, thread = Group.IdxX;
        long start = (long)o * n * inner + q;
        T best = max != 0 ? T.NegativeInfinity : T.PositiveInfinity;
        int bestIndex = int.MaxValue;
        for (int p = thread; p < n; p += Group.DimX)
        {
            T v = x[start + (long)p * inner];
            if (Beats(v, p, best, bestIndex, max)) { best = v; bestIndex = p; }
        }
        values[thread] = best;
        indices[thread] = bestIndex;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (thread < half && Beats(values[thread + half], indices[thread + half], values[thread], indices[thread], max))
            {
                values[thread] = values[thread + half];
                indices[thread] = indices[thread + half];
            }
            Group.Barrier();
        }
        if (thread == 0) d[output] = indices[0];
    }

    internal static void AxisKernel<T, TReduction>(ArrayView<T> x, ArrayView<T> d, int n, int inner, T count, TReduction reduction)
        where T : unmanaged, INumber<T> where TReduction : struct, IGpuReduction<T>
    {
        var shared = SharedMemory.Allocate<T>(GroupSize);
        int output = Grid.IdxX, o = output / inner, q = output % inner;
        long start = (long)o * n * inner + q;
        T partial = reduction.Identity;
        for (int p = Group.IdxX; p < n; p += Group.DimX)
            partial = reduction.Combine(partial, x[start + (long)p * inner]);
        T total = GroupCombine(shared, partial, reduction);
        if (Group.IdxX == 0) d[output] = reduction.Finish(total, count);
    }

    /// <summary>
    /// Combines one value per thread of the group by a shared-memory tree and returns the result to every thread.
    /// Every thread of the group must call it (it contains barriers).
    /// </summary>
    internal static T GroupCombine<T, TReduction>(ArrayView<T> shared, T value, TReduction reduction)
        where T : unmanaged where TReduction : struct, IGpuReduction<T>
    {
        int thread = Group.IdxX;
        shared[thread] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (thread < half) shared[thread] = reduction.Combine(shared[thread], shared[thread + half]);
            Group.Barrier();
        }
        T result = shared[0];
        Group.Barrier(); // shared may be reused by the caller's next combine
        return result;
    }
}
