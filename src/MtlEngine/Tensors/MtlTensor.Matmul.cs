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

        // Promote 1-D operands: (k,) → (1, k) on the left, (k,) → (k, 1) on the right (a size-1 dimension with stride 0).
        int[] aShape = Rank == 1 ? [1, _shape[0]] : _shape, aStrides = Rank == 1 ? [0, _strides[0]] : _strides;
        int[] bShape = other.Rank == 1 ? [other._shape[0], 1] : other._shape, bStrides = other.Rank == 1 ? [other._strides[0], 0] : other._strides;
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        if (bShape[^2] != k)
            throw new ArgumentException(
                $"Matmul: the inner dimensions differ: {ShapeText(Shape)} @ {ShapeText(other.Shape)} contracts {k} with {bShape[^2]}; the last dimension of the left operand must equal the second-to-last of the right.");

        // Broadcast the batch dimensions (everything before the last two), right-aligned as in NumPy.
        int batchRank = Math.Max(aShape.Length, bShape.Length) - 2;
        var batchShape = new int[batchRank];
        var aBatchStrides = new int[batchRank];
        var bBatchStrides = new int[batchRank];
        for (int d = 0; d < batchRank; d++)
        {
            int da = d - (batchRank - (aShape.Length - 2)), db = d - (batchRank - (bShape.Length - 2));
            int sa = da >= 0 ? aShape[da] : 1, sb = db >= 0 ? bShape[db] : 1;
            if (sa != sb && sa != 1 && sb != 1)
                throw new ArgumentException(
                    $"Matmul: batch dimensions of {ShapeText(Shape)} and {ShapeText(other.Shape)} do not broadcast ({sa} vs {sb} at batch axis {d}); each pair must be equal or one of them 1.");
            batchShape[d] = Math.Max(sa, sb);
            aBatchStrides[d] = da >= 0 && sa != 1 ? aStrides[da] : 0;
            bBatchStrides[d] = db >= 0 && sb != 1 ? bStrides[db] : 0;
        }

        var resultShape = new List<int>(batchShape);
        if (Rank > 1) resultShape.Add(m);
        if (other.Rank > 1) resultShape.Add(n);
        var result = TensorOps.Uninitialized<T>([.. resultShape]); // from the step's arena when there is one
        if (k == 0) result.Fill(T.Zero);
        var output = result.CpuStorage.Data;
        int batch = CheckedLength(batchShape);
        if (batch == 0 || m == 0 || n == 0) return result;

        // Offsets of every matrix in the batch (row-major order over the batch shape).
        var aOffsets = new int[batch];
        var bOffsets = new int[batch];
        var index = new int[batchRank];
        for (int t = 0; t < batch; t++)
        {
            int ao = Offset, bo = other.Offset;
            for (int d = 0; d < batchRank; d++) { ao += index[d] * aBatchStrides[d]; bo += index[d] * bBatchStrides[d]; }
            aOffsets[t] = ao; bOffsets[t] = bo;
            for (int d = batchRank - 1; d >= 0 && ++index[d] == batchShape[d]; d--) index[d] = 0;
        }

        var threads = parallelism ?? TensorParallelism.Current;
        int rsA = aStrides[^2], csA = aStrides[^1], rsB = bStrides[^2], csB = bStrides[^1];
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
