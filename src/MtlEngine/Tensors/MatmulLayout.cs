using System.Numerics;

namespace MtlEngine.Tensors;

/// <summary>
/// The layout of a batched product a @ b with NumPy <c>matmul</c> semantics, shared by the CPU and GPU paths:
/// 1-D operands promoted ((k,) is (1, k) on the left and (k, 1) on the right, a size-1 dimension with stride 0),
/// the batch dimensions (everything before the last two) broadcast right-aligned, the result's shape (the promoted
/// dimensions dropped), the strides of each operand's matrices, and the element offset of every matrix in the batch
/// (row-major order over the batch shape).
/// </summary>
internal readonly record struct MatmulLayout(
    int M, int K, int N,
    int RowStrideA, int ColumnStrideA, int RowStrideB, int ColumnStrideB,
    int[] BatchShape, int[] ResultShape, int[] OffsetsA, int[] OffsetsB)
{
    /// <summary>The number of matrices in the batch.</summary>
    public int Batch => OffsetsA.Length;

    /// <exception cref="ArgumentException">When the inner dimensions differ or the batch dimensions do not broadcast.</exception>
    public static MatmulLayout Of<T>(MtlTensor<T> a, MtlTensor<T> b) where T : unmanaged, INumber<T>
    {
        // The promoted shapes and strides in stack space (a matmul per layer and step: only the layout's own arrays are allocated).
        int aRank = Math.Max(a.Rank, 2), bRank = Math.Max(b.Rank, 2);
        Span<int> aShape = aRank <= 16 ? stackalloc int[aRank] : new int[aRank], aStrides = aRank <= 16 ? stackalloc int[aRank] : new int[aRank];
        Span<int> bShape = bRank <= 16 ? stackalloc int[bRank] : new int[bRank], bStrides = bRank <= 16 ? stackalloc int[bRank] : new int[bRank];
        if (a.Rank == 1) { (aShape[0], aShape[1], aStrides[0], aStrides[1]) = (1, a.Shape[0], 0, a.Strides[0]); }
        else { a.Shape.CopyTo(aShape); a.Strides.CopyTo(aStrides); }
        if (b.Rank == 1) { (bShape[0], bShape[1], bStrides[0], bStrides[1]) = (b.Shape[0], 1, b.Strides[0], 0); }
        else { b.Shape.CopyTo(bShape); b.Strides.CopyTo(bStrides); }
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        if (bShape[^2] != k)
            throw new ArgumentException(
                $"Matmul: the inner dimensions differ: {MtlTensor<T>.ShapeText(a.Shape)} @ {MtlTensor<T>.ShapeText(b.Shape)} contracts {k} with {bShape[^2]}; the last dimension of the left operand must equal the second-to-last of the right.");

        int batchRank = Math.Max(aShape.Length, bShape.Length) - 2;
        Span<int> batchShape = batchRank <= 16 ? stackalloc int[batchRank] : new int[batchRank];
        Span<int> aBatchStrides = batchRank <= 16 ? stackalloc int[batchRank] : new int[batchRank];
        Span<int> bBatchStrides = batchRank <= 16 ? stackalloc int[batchRank] : new int[batchRank];
        for (int d = 0; d < batchRank; d++)
        {
            int da = d - (batchRank - (aShape.Length - 2)), db = d - (batchRank - (bShape.Length - 2));
            int sa = da >= 0 ? aShape[da] : 1, sb = db >= 0 ? bShape[db] : 1;
            if (sa != sb && sa != 1 && sb != 1)
                throw new ArgumentException(
                    $"Matmul: batch dimensions of {MtlTensor<T>.ShapeText(a.Shape)} and {MtlTensor<T>.ShapeText(b.Shape)} do not broadcast ({sa} vs {sb} at batch axis {d}); each pair must be equal or one of them 1.");
            batchShape[d] = Math.Max(sa, sb);
            aBatchStrides[d] = da >= 0 && sa != 1 ? aStrides[da] : 0;
            bBatchStrides[d] = db >= 0 && sb != 1 ? bStrides[db] : 0;
        }

        int resultRank = batchRank + (a.Rank > 1 ? 1 : 0) + (b.Rank > 1 ? 1 : 0);
        Span<int> resultShape = resultRank <= 16 ? stackalloc int[resultRank] : new int[resultRank];
        batchShape.CopyTo(resultShape);
        if (a.Rank > 1) resultShape[batchRank] = m;
        if (b.Rank > 1) resultShape[^1] = n;

        int batch = MtlTensor<T>.CheckedLength(batchShape);
        if (batch == 1)
        {
            // One matrix (a layer's product, every step): the layout's arrays are interned, so nothing is allocated.
            ReadOnlySpan<int> offsetA = [a.Offset], offsetB = [b.Offset];
            return new MatmulLayout(m, k, n, aStrides[^2], aStrides[^1], bStrides[^2], bStrides[^1], ShapeCache.Intern(batchShape),
                ShapeCache.Intern(resultShape), ShapeCache.Intern(offsetA), ShapeCache.Intern(offsetB));
        }
        var offsetsA = new int[batch];
        var offsetsB = new int[batch];
        Span<int> index = batchRank <= 16 ? stackalloc int[batchRank] : new int[batchRank];
        for (int t = 0; t < batch; t++)
        {
            int ao = a.Offset, bo = b.Offset;
            for (int d = 0; d < batchRank; d++) { ao += index[d] * aBatchStrides[d]; bo += index[d] * bBatchStrides[d]; }
            offsetsA[t] = ao;
            offsetsB[t] = bo;
            for (int d = batchRank - 1; d >= 0 && ++index[d] == batchShape[d]; d--) index[d] = 0;
        }
        return new MatmulLayout(m, k, n, aStrides[^2], aStrides[^1], bStrides[^2], bStrides[^1], batchShape.ToArray(), resultShape.ToArray(), offsetsA, offsetsB);
    }
}
