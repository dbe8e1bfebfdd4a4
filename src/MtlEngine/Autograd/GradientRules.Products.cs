using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

internal static partial class GradientRules
{
    /// <summary>
    /// Z = X·Y (NumPy matmul, batched and broadcast): ∂L/∂X = G·Yᵀ and ∂L/∂Y = Xᵀ·G. Yᵀ and Xᵀ are transposed
    /// views (swapped strides) that the GEMM reads directly, never copies. A 1-D operand was promoted to a
    /// matrix (x → (1, k), y → (k, 1)), so G gets the promoted axis back first and the result loses it again;
    /// broadcast batch dimensions are summed back by the graph.
    /// </summary>
    public static MtlTensor<T> Matmul<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        MtlTensor<T> x = n.Inputs[0], y = n.Inputs[1];
        // Put the removed axes back: n (last) when y was a vector, then m (before n) when x was one.
        if (y.Rank == 1) { y = y.Unsqueeze(-1); g = g.Unsqueeze(g.Rank); }
        if (x.Rank == 1) { x = x.Unsqueeze(0); g = g.Unsqueeze(g.Rank - 1); }
        if (i == 0)
        {
            var dx = g.Matmul(y.Transpose(-1, -2));
            return n.Inputs[0].Rank == 1 ? dx.Squeeze(-2) : dx;
        }
        if (IsTransposedMatrix(y) && x.Rank == 2 && g.Rank == 2)
            return g.Transpose(-1, -2).Matmul(x).Transpose(-1, -2); // (Gᵀ·X)ᵀ: Y's own layout, see IsTransposedMatrix
        var dy = x.Transpose(-1, -2).Matmul(g);
        return n.Inputs[1].Rank == 1 ? dy.Squeeze(-1) : dy;
    }

    /// <summary>
    /// Whether <paramref name="y"/> is a matrix stored column-major (a transposed view of a row-major matrix, as
    /// <c>Linear</c>'s Wᵀ). Its gradient Xᵀ·G is then computed as (Gᵀ·X)ᵀ: the same products, but the GEMM writes them
    /// in Y's own layout, so the transpose's rule hands W a row-major gradient and adding it into W.Grad is a contiguous
    /// pass, not a strided transpose (which took a fifth of an MMoE training step on 1296×128 experts).
    /// </summary>
    private static bool IsTransposedMatrix<T>(MtlTensor<T> y) where T : unmanaged, INumber<T> =>
        y.Rank == 2 && y.Shape[0] > 1 && y.Shape[1] > 1 && y.Strides[0] == 1 && y.Strides[1] == y.Shape[0];

    /// <summary>
    /// out[b] = Σⱼ sⱼ·E[iⱼ] over bag b's indices: ∂L/∂E[iⱼ] += sⱼ·g[b] (a scatter-add into the rows that were read).
    /// </summary>
    public static MtlTensor<T> EmbeddingBag<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var layout = (BagLayout<T>)n.Saved!;
        var table = n.Inputs[0];
        int dim = table.Shape[1], bags = layout.Offsets.Length;
        var result = MtlTensor.Zeros<T>(table.Shape.ToArray());
        var grad = result.AsSpan();
        var upstream = g.Contiguous().AsSpan();
        for (int b = 0; b < bags; b++)
        {
            int end = b + 1 < bags ? layout.Offsets[b + 1] : layout.Indices.Length;
            var row = upstream.Slice(b * dim, dim);
            for (int j = layout.Offsets[b]; j < end; j++)
            {
                var target = grad.Slice(layout.Indices[j] * dim, dim);
                T s = layout.Scales[j];
                for (int k = 0; k < dim; k++) target[k] += s * row[k];
            }
        }
        return result;
    }
}
