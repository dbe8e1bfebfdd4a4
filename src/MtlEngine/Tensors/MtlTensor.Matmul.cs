using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tensors;

public sealed partial class MtlTensor<T>
{
    /// <summary>
    /// The matrix product with NumPy <c>matmul</c> semantics: for operands of shape (..., m, k) and (..., k, n)
    /// the result has shape (broadcast(...), m, n); a 1-D left operand of shape (k,) is read as (1, k) and a 1-D
    /// right operand as (k, 1), and the promoted dimension is removed from the result. Transposed, sliced and
    /// broadcast views are handed to GEMM as strides, never copied. Float and double only; the result is a new
    /// contiguous tensor.
    /// </summary>
    /// <param name="other">The right operand.</param>
    /// <param name="parallelism">Threads for GEMM (default: <see cref="Parallelism.Default"/>, one per processor).</param>
    /// <exception cref="ArgumentException">When an operand is 0-d, the inner dimensions differ, or the batch dimensions do not broadcast.</exception>
    /// <exception cref="NotSupportedException">When <typeparamref name="T"/> is not float or double.</exception>
    /// <exception cref="InvalidOperationException">When an operand is not on the CPU.</exception>
    public MtlTensor<T> Matmul(MtlTensor<T> other, Parallelism? parallelism = null) =>
        Graph.Record(MatmulCore(other, parallelism), GradientRules.Matmul, this, other);

    private MtlTensor<T> MatmulCore(MtlTensor<T> other, Parallelism? parallelism)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Matmul runs on float and double tensors; {typeof(T).Name} is not supported (convert the tensor first).");
        if (Rank == 0 || other.Rank == 0)
            throw new ArgumentException($"Matmul needs operands of rank ≥ 1, but got shapes {ShapeText(Shape)} and {ShapeText(other.Shape)}; multiply by a scalar element-wise instead.");
        if (GpuTensorOps.OnDevice(this) || GpuTensorOps.OnDevice(other)) return GpuTensorOps.Matmul(this, other);
        var left = CpuStorage.Data;
        var right = other.CpuStorage.Data;

        var layout = MatmulLayout.Of(this, other);
        int m = layout.M, k = layout.K, n = layout.N, batch = layout.Batch;
        var result = TensorOps.Uninitialized<T>(layout.ResultShape); // from the step's arena when there is one
        if (k == 0) result.Fill(T.Zero);
        var output = result.CpuStorage.Data;
        if (batch == 0 || m == 0 || n == 0) return result;
        int[] aOffsets = layout.OffsetsA, bOffsets = layout.OffsetsB;

        var threads = parallelism ?? TensorParallelism.Current;
        int rsA = layout.RowStrideA, csA = layout.ColumnStrideA, rsB = layout.RowStrideB, csB = layout.ColumnStrideB;
        int aStep = batch > 1 ? aOffsets[1] - aOffsets[0] : 0, bStep = batch > 1 ? bOffsets[1] - bOffsets[0] : 0;
        if (IsArithmetic(aOffsets, aStep) && IsArithmetic(bOffsets, bStep))
        {
            // The batch is one stride per operand (contiguous, or broadcast with stride 0): one batched call.
            Gemm.MultiplyBatched(batch, T.One,
                new ReadOnlyMatrixSpan<T>(left, aOffsets[0], m, k, rsA, csA), aStep,
                new ReadOnlyMatrixSpan<T>(right, bOffsets[0], k, n, rsB, csB), bStep, T.Zero,
                new MatrixSpan<T>(output, 0, m, n, n, 1), m * n, threads);
            return result;
        }
        for (int t = 0; t < batch; t++)
            Gemm.Multiply(T.One,
                new ReadOnlyMatrixSpan<T>(left, aOffsets[t], m, k, rsA, csA),
                new ReadOnlyMatrixSpan<T>(right, bOffsets[t], k, n, rsB, csB), T.Zero,
                new MatrixSpan<T>(output, t * m * n, m, n, n, 1), threads);
        return result;
    }

    private static bool IsArithmetic(int[] offsets, int step)
    {
        for (int t = 1; t < offsets.Length; t++)
            if (offsets[t] - offsets[t - 1] != step) return false;
        return true;
    }
}
