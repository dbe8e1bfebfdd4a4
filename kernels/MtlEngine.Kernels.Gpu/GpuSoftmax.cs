using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// Softmax, log-softmax and the fused softmax cross-entropy over the last axis of a rows×classes matrix, one
/// group per row (two tree reductions in shared memory: the row maximum, then Σ exp(x − max)).
/// <code>
/// softmax(x)_j     = exp(x_j − m) / Σ_l exp(x_l − m),  m = max_l x_l   (subtracting m keeps exp from overflowing)
/// log_softmax(x)_j = x_j − m − log Σ_l exp(x_l − m)
/// loss             = −log_softmax(x)_y = log Σ_l exp(x_l − m) + m − x_y
/// ∂loss/∂x_j       = softmax(x)_j − [j = y]
/// </code>
/// </summary>
public static class GpuSoftmax
{
    /// <summary>d = softmax(x) (or log-softmax) along each row of the row-major rows×classes matrix x.</summary>
    /// <exception cref="ArgumentException">When the views do not hold rows×classes elements.</exception>
    public static void Forward<T>(GpuContext gpu, ArrayView<T> x, ArrayView<T> d, int rows, int classes, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        CheckSizes(x.Length, d.Length, rows, classes);
        if (rows == 0) return;
        var kernel = gpu.Kernel<Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int>>(
            (Action<ArrayView<T>, ArrayView<T>, int, int>)SoftmaxKernel<T>,
            a => a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(SoftmaxKernel<T>));
        kernel(new KernelConfig(rows, gpu.ReductionGroupSize), x, d, classes, log ? 1 : 0);
    }

    /// <summary>
    /// The fused cross-entropy: losses[r] = −log softmax(x_r)[labels[r]] and, in the same pass,
    /// gradient[r, j] = scale·(softmax(x_r)_j − [j = labels[r]]) (scale = 1/rows for the mean loss).
    /// A negative label marks a missing label (as in <c>Losses.CrossEntropy</c>): that row's loss and gradient are 0.
    /// A label ≥ classes gives a NaN loss and a NaN gradient row (check labels on the host first).
    /// </summary>
    /// <exception cref="ArgumentException">When the views do not match rows and classes.</exception>
    public static void CrossEntropy<T>(GpuContext gpu, ArrayView<T> logits, ArrayView<int> labels, int rows, int classes,
        ArrayView<T> losses, ArrayView<T> gradient, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        CheckSizes(logits.Length, gradient.Length, rows, classes);
        if (labels.Length != rows || losses.Length != rows)
            throw new ArgumentException($"Cross-entropy over {rows} rows needs {rows} labels and {rows} losses; got {labels.Length} and {losses.Length}.");
        if (rows == 0) return;
        var kernel = gpu.Kernel<Action<KernelConfig, ArrayView<T>, ArrayView<int>, int, ArrayView<T>, ArrayView<T>, T>>(
            (Action<ArrayView<T>, ArrayView<int>, int, ArrayView<T>, ArrayView<T>, T>)CrossEntropyKernel<T>,
            a => a.LoadStreamKernel<ArrayView<T>, ArrayView<int>, int, ArrayView<T>, ArrayView<T>, T>(CrossEntropyKernel<T>));
        kernel(new KernelConfig(rows, gpu.ReductionGroupSize), logits, labels, classes, losses, gradient, scale);
    }

    private static void CheckSizes(long xLength, long dLength, int rows, int classes)
    {
        if (rows < 0 || classes < 0 || xLength != (long)rows * classes || dLength != (long)rows * classes)
            throw new ArgumentException($"A softmax over {rows} rows of {classes} classes needs views of {(long)rows * classes} elements; got {xLength} and {dLength}.");
    }

    /// <summary>(m, log Σ exp(x − m)) of row <paramref name="start"/>..+classes, returned to every thread of the group.</summary>
    private static (T Max, T LogSum) RowLogSumExp<T>(ArrayView<T> shared, ArrayView<T> x, long start, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T partialMax = T.NegativeInfinity;
        for (int j = Group.IdxX; j < classes; j += Group.DimX)
        {
            T v = x[start + j];
            partialMax = v > partialMax || T.IsNaN(v) ? v : partialMax;
        }
        T max = GpuReduce.GroupCombine(shared, partialMax, default(MaxReduction<T>));
        T partialSum = T.Zero;
        for (int j = Group.IdxX; j < classes; j += Group.DimX)
            partialSum += T.Exp(x[start + j] - max);
        T sum = GpuReduce.GroupCombine(shared, partialSum, default(SumReduction<T>));
        return (max, T.Log(sum));
    }

    internal static void SoftmaxKernel<T>(ArrayView<T> x, ArrayView<T> d, int classes, int log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shared = SharedMemory.Allocate<T>(GpuReduce.GroupSize);
        long start = (long)Grid.IdxX * classes;
        var (max, logSum) = RowLogSumExp(shared, x, start, classes);
        for (int j = Group.IdxX; j < classes; j += Group.DimX)
        {
            T shifted = x[start + j] - max - logSum;
            d[start + j] = log != 0 ? shifted : T.Exp(shifted);
        }
    }

    internal static void CrossEntropyKernel<T>(ArrayView<T> logits, ArrayView<int> labels, int classes, ArrayView<T> losses, ArrayView<T> gradient, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shared = SharedMemory.Allocate<T>(GpuReduce.GroupSize);
        int row = Grid.IdxX;
        long start = (long)row * classes;
        int label = labels[row];
        bool missing = label < 0, valid = label < classes;
        var (max, logSum) = RowLogSumExp(shared, logits, start, classes);
        for (int j = Group.IdxX; j < classes; j += Group.DimX)
        {
            T probability = T.Exp(logits[start + j] - max - logSum);
            T target = j == label ? T.One : T.Zero;
            gradient[start + j] = missing ? T.Zero : valid ? scale * (probability - target) : T.NaN;
        }
        if (Group.IdxX == 0)
            losses[row] = missing ? T.Zero : valid ? logSum + max - logits[start + label] : T.NaN;
    }
}
