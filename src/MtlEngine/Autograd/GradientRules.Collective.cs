using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

/// <summary>
/// What the backward of a gather of rows over data-parallel slices needs (kept free of the Nn types): the step's all-gather
/// of one vector a slice (in slice order), and where this slice's rows start in the gathered rows.
/// </summary>
internal sealed record GatheredRows(Func<double[], double[][]> AllGather, int Offset);

internal static partial class GradientRules
{
    /// <summary>
    /// y = [x₀; x₁; …; x_{K−1}] (the slices' rows, concatenated) on every slice, slice s holding xₛ at rows [oₛ, oₛ + nₛ): the
    /// total loss is Σ_{s'} L_{s'}, and every slice's y feeds its own L_{s'}, so ∂(Σ L)/∂xₛ = Σ_{s'} (∂L_{s'}/∂y)[oₛ : oₛ + nₛ] —
    /// each slice sends its whole upstream gradient through the same collective and adds its own rows of every slice's, in
    /// slice order (the reduce-scatter).
    /// </summary>
    public static MtlTensor<T> AllGatherRows<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var (allGather, offset) = (GatheredRows)n.Saved!;
        var x = n.Inputs[0];
        var upstreamValues = g.Contiguous().To(Device.Cpu).AsSpan();
        var local = new double[upstreamValues.Length];
        for (int k = 0; k < local.Length; k++) local[k] = double.CreateChecked(upstreamValues[k]);
        var all = allGather(local);
        int m = x.Length, width = x.Rank == 0 || x.Dim(0) == 0 ? 0 : m / x.Dim(0), at = offset * width;
        var sum = new double[m];
        foreach (var upstream in all)
            for (int k = 0; k < m; k++) sum[k] += upstream[at + k];
        var result = new T[m];
        for (int k = 0; k < m; k++) result[k] = T.CreateChecked(sum[k]);
        var gradient = MtlTensor.FromArray(result, x.Shape.ToArray());
        return x.Device.Kind == DeviceKind.Cpu ? gradient : gradient.To(x.Device);
    }
}
