using System.Numerics;
using System.Numerics.Tensors;

namespace MtlEngine.Kernels.Reduction;

/// <summary>
/// Softmax cross-entropy of a (rows, classes) block of logits z in one pass per row, the loss and its gradient together
/// (the CPU twin of the GPU's fused kernel). Row i carries two coefficients: hᵢ on its label's term and eᵢ on the
/// smoothing term, so that with lseᵢ = log Σ_c exp(z_ic), pᵢ = softmax(zᵢ) and class weights w (W = Σ_c w_c):
/// <code>
///   loss       = Σᵢ hᵢ·(lseᵢ − z_{i,yᵢ}) + eᵢ·(W·lseᵢ − Σ_c w_c·z_ic)
///   ∂loss/∂z_ic = (hᵢ + eᵢ·W)·p_ic − hᵢ·[c = yᵢ] − eᵢ·w_c
/// </code>
/// A row with hᵢ = eᵢ = 0 (a missing label) contributes nothing and gets a zero gradient row.
/// </summary>
public static class SoftmaxCrossEntropyKernel
{
    /// <summary>Computes the loss and writes ∂loss/∂z into <paramref name="gradient"/>.</summary>
    /// <param name="logits">z, row-major (rows, classes).</param>
    /// <param name="classes">The number of classes (the row length).</param>
    /// <param name="labels">yᵢ per row, in [0, classes) for a row with nonzero coefficients.</param>
    /// <param name="labelCoefficients">hᵢ per row.</param>
    /// <param name="smoothingCoefficients">eᵢ per row (empty: all 0, no smoothing).</param>
    /// <param name="classWeights">w (empty: all 1).</param>
    /// <param name="gradient">∂loss/∂z, row-major (rows, classes), overwritten.</param>
    /// <returns>The loss, summed over the rows in order.</returns>
    public static T Run<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<int> labels, ReadOnlySpan<T> labelCoefficients,
        ReadOnlySpan<T> smoothingCoefficients, ReadOnlySpan<T> classWeights, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = labels.Length;
        T weightSum = classWeights.IsEmpty ? T.CreateChecked(classes) : TensorPrimitives.Sum(classWeights);
        T loss = T.Zero;
        for (int i = 0; i < rows; i++)
        {
            var z = logits.Slice(i * classes, classes);
            var g = gradient.Slice(i * classes, classes);
            T h = labelCoefficients[i], e = smoothingCoefficients.IsEmpty ? T.Zero : smoothingCoefficients[i];
            if (h == T.Zero && e == T.Zero)
            {
                g.Clear();
                continue;
            }
            // p = exp(z − m) / s with m the row's maximum (so nothing overflows); lse = m + log s.
            T m = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, m, g);
            TensorPrimitives.Exp(g, g);
            T s = TensorPrimitives.Sum(g);
            T lse = m + T.Log(s);
            int y = labels[i];
            loss += h * (lse - z[y]);
            TensorPrimitives.Multiply(g, (h + e * weightSum) / s, g);
            g[y] -= h;
            if (e == T.Zero) continue;
            if (classWeights.IsEmpty)
            {
                loss += e * (weightSum * lse - TensorPrimitives.Sum(z));
                TensorPrimitives.Subtract(g, e, g);
            }
            else
            {
                loss += e * (weightSum * lse - TensorPrimitives.Dot(classWeights, z));
                TensorPrimitives.MultiplyAdd(classWeights, -e, g, g);
            }
        }
        return loss;
    }
}
