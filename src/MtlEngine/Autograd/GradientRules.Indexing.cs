using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

// Indexing by integers: index_select and index_add are each other's adjoint, and so are gather and scatter_add,
// so every rule here is one call of the partner operation. The axis is n.Axes[0]; the indices are n.Saved.
internal static partial class GradientRules
{
    /// <summary>z = index_select(x, a, idx), z[.., j, ..] = x[.., idx[j], ..]: ∂L/∂x = index_add(0, a, idx, g) (repeats accumulate).</summary>
    public static MtlTensor<T> IndexSelect<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        Zeros(n.Inputs[0]).IndexAdd(n.Axes![0], (int[])n.Saved!, g);

    /// <summary>z = index_add(x, a, idx, s), z[.., idx[j], ..] += s[.., j, ..]: ∂L/∂x = g, ∂L/∂s = index_select(g, a, idx).</summary>
    public static MtlTensor<T> IndexAdd<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        i == 0 ? g : g.IndexSelect(n.Axes![0], (int[])n.Saved!);

    /// <summary>z = gather(x, a, idx), z[p] = x[p with p[a] = idx[p]]: ∂L/∂x = scatter_add(0, a, idx, g).</summary>
    public static MtlTensor<T> Gather<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T> =>
        Zeros(n.Inputs[0]).ScatterAdd(n.Axes![0], (MtlTensor<int>)n.Saved!, g);

    /// <summary>
    /// z = scatter_add(x, a, idx, s), z[p with p[a] = idx[p]] += s[p]: ∂L/∂x = g, ∂L/∂s = gather(g, a, idx) where the index
    /// reaches, 0 on the part of s beyond the index's shape (it was never read).
    /// </summary>
    public static MtlTensor<T> ScatterAdd<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        if (i == 0) return g;
        var index = (MtlTensor<int>)n.Saved!;
        var gathered = g.Gather(n.Axes![0], index);
        var source = n.Inputs[1];
        if (source.Shape.SequenceEqual(index.Shape)) return gathered;
        var result = Zeros(source);
        var ranges = new SliceRange[index.Rank];
        for (int d = 0; d < ranges.Length; d++) ranges[d] = new SliceRange(0, index.Shape[d]);
        gathered.CopyTo(result.Slice(ranges));
        return result;
    }

    /// <summary>
    /// z = E[idx] (an embedding lookup, index_select on axis 0) with a padding row p: ∂L/∂E = index_add(0, 0, idx, g) with
    /// row p zeroed, so the padding row never learns (PyTorch's <c>padding_idx</c>).
    /// </summary>
    public static MtlTensor<T> Embedding<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var (indices, padding) = ((int[], int))n.Saved!;
        var result = Zeros(n.Inputs[0]).IndexAdd(0, indices, g.Reshape(indices.Length, n.Inputs[0].Shape[1]));
        result.Select(0, padding).Fill(T.Zero);
        return result;
    }

    /// <summary>Zeros of <paramref name="like"/>'s shape, from the step's arena when there is one (these operations run on the host).</summary>
    private static MtlTensor<T> Zeros<T>(MtlTensor<T> like) where T : unmanaged, INumber<T>
    {
        if (GpuTensorOps.OnDevice(like)) return MtlTensor.ZerosLike(like); // on the input's device (index_add runs there)
        var zeros = TensorOps.Uninitialized<T>(like.Shape.ToArray());
        zeros.Fill(T.Zero);
        return zeros;
    }
}
