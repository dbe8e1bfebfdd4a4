using MtlEngine.Autograd;

namespace MtlEngine.Tensors;

// Reverse-mode autograd on the tensor itself (PyTorch's model): a leaf the user marks with RequiresGrad,
// every operation on such a tensor records a GradNode while grad mode is on (see Grad.NoGrad), and
// Backward() walks the recorded graph in reverse topological order, adding ∂output/∂leaf into each
// leaf's Grad. The rules live in Autograd/GradientRules.cs; the walk in Autograd/Graph.cs.
public sealed partial class MtlTensor<T>
{
    private bool _requiresGrad;

    /// <summary>
    /// True when gradients flow to this tensor: set it on a leaf (a parameter or an input) to have
    /// <see cref="Backward(MtlTensor{T}?, bool)"/> fill <see cref="Grad"/>; a tensor computed from such a tensor
    /// while grad mode is on reports true as well.
    /// </summary>
    /// <exception cref="InvalidOperationException">When set on a tensor that an operation computed (only leaves can be marked).</exception>
    public bool RequiresGrad
    {
        get => _requiresGrad || Node is not null;
        set
        {
            if (Node is not null)
                throw new InvalidOperationException(
                    $"RequiresGrad can only be set on a leaf tensor, but this tensor of shape {ShapeText(Shape)} was computed by {Node.Operation}; call Detach() to get a leaf.");
            _requiresGrad = value;
        }
    }

    /// <summary>
    /// The accumulated gradient ∂L/∂this of every <see cref="Backward(MtlTensor{T}?, bool)"/> call since it was
    /// last cleared (same shape as this tensor, contiguous), or null when none has reached it. Only leaves get one.
    /// </summary>
    public MtlTensor<T>? Grad { get; set; }

    /// <summary>True when no recorded operation produced this tensor (a parameter, an input, or a detached value).</summary>
    public bool IsLeaf => Node is null;

    /// <summary>The name of the operation that produced this tensor in the graph (e.g. <c>Multiply</c>), or null for a leaf.</summary>
    public string? GradFunction => Node?.Operation;

    /// <summary>The recorded operation that produced this tensor (null for a leaf).</summary>
    internal GradNode<T>? Node { get; set; }

    /// <summary>
    /// Back-propagates from this tensor: adds ∂this/∂leaf · <paramref name="gradient"/> into the <see cref="Grad"/> of
    /// every leaf that requires grad, visiting the graph in reverse topological order. Runs under no-grad.
    /// </summary>
    /// <param name="gradient">The upstream gradient, of this tensor's shape (broadcast allowed); may be omitted for a one-element tensor (it is then 1).</param>
    /// <param name="retainGraph">Keep the graph so that Backward can run through it again (per-task gradients, higher-level loops); by default its saved tensors are released.</param>
    /// <exception cref="InvalidOperationException">When this tensor does not require grad, has more than one element and no gradient was given, or the graph was already released.</exception>
    public void Backward(MtlTensor<T>? gradient = null, bool retainGraph = false) => Graph.Backward(this, gradient, retainGraph);

    /// <summary>A leaf sharing this tensor's storage, outside the graph: gradients do not flow through it.</summary>
    public MtlTensor<T> Detach() => new(Storage, Offset, _shape, _strides);

    /// <summary>Clears the accumulated gradient: zero-fills <see cref="Grad"/> in place, so its buffer is reused by the next backward pass.</summary>
    public void ZeroGrad() => Grad?.Fill(T.Zero);
}
