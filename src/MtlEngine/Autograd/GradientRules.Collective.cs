using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

internal static partial class GradientRules
{
    /// <summary>
    /// y = [x₀; x₁; …; x_{K−1}] on every slice (the all-gather, slice s holding xₛ): the total loss is Σ_{s'} L_{s'}, and every
    /// slice's y feeds its own L_{s'}, so ∂(Σ L)/∂xₛ = Σ_{s'} (∂L_{s'}/∂y)[s] — each slice sends its whole upstream gradient
    /// through the same collective and adds row s of every slice's, in slice order (the reduce-scatter).
    /// </summary>
    public static MtlTensor<T> AllGather<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var collective = (ISliceCollective)n.Saved!;
        var x = n.Inputs[0];
        var all = collective.AllGather(DataParallel.ToDouble(g));
        int m = x.Length, at = collective.Slice * m;
        var sum = new double[m];
        foreach (var upstream in all)
            for (int k = 0; k < m; k++) sum[k] += upstream[at + k];
        var result = new T[m];
        for (int k = 0; k < m; k++) result[k] = T.CreateChecked(sum[k]);
        var gradient = MtlTensor.FromArray(result, x.Shape.ToArray());
        return x.Device.Kind == DeviceKind.Cpu ? gradient : gradient.To(x.Device);
    }
}
