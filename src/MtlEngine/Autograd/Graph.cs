using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

/// <summary>
/// The recording seam and the backward walk. Every differentiable tensor operation passes its result
/// through <c>Record</c>
/// (one line per operation): when grad mode is on and an input requires grad, the result gets a
/// <see cref="GradNode{T}"/>. <see cref="Backward{T}"/> is micrograd's: a topological order of the nodes
/// reachable from the output, then one reversed loop that calls each node's rule.
/// </summary>
internal static class Graph
{
    /// <summary>Records a one- or two-input operation on <paramref name="output"/> when needed, and returns it.</summary>
    public static MtlTensor<T> Record<T>(MtlTensor<T> output, GradientRule<T> rule, MtlTensor<T> a, MtlTensor<T>? b = null,
        T scalar = default, int[]? axes = null, bool keepDims = false, object? saved = null)
        where T : unmanaged, INumber<T>
    {
        if (!Grad.IsEnabled || !(a.RequiresGrad || (b is not null && b.RequiresGrad))) return output;
        if (ReferenceEquals(output, a) || ReferenceEquals(output, b)) return output; // an operation that returned its input (Contiguous on a contiguous tensor)
        output.Node = GradNode<T>.Rent(rule, GradNode<T>.RentInputs(a, b), output, scalar, axes, keepDims, saved, ownsInputs: true);
        return output;
    }

    /// <summary>Records a three-input operation (a convolution with bias) when needed, and returns it; its inputs array is rented (no allocation in a steady step).</summary>
    public static MtlTensor<T> Record<T>(MtlTensor<T> output, GradientRule<T> rule, MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T> c, object? saved)
        where T : unmanaged, INumber<T>
    {
        if (!Grad.IsEnabled || !(a.RequiresGrad || b.RequiresGrad || c.RequiresGrad)) return output;
        if (ReferenceEquals(output, a) || ReferenceEquals(output, b) || ReferenceEquals(output, c)) return output;
        output.Node = GradNode<T>.Rent(rule, GradNode<T>.RentInputs(a, b, c), output, saved: saved, ownsInputs: true);
        return output;
    }

    /// <summary>Records an operation of any number of inputs (concatenate, where) when needed, and returns its output.</summary>
    public static MtlTensor<T> Record<T>(MtlTensor<T> output, GradientRule<T> rule, MtlTensor<T>[] inputs, int[]? axes = null, object? saved = null)
        where T : unmanaged, INumber<T>
    {
        if (!Grad.IsEnabled) return output;
        bool any = false;
        foreach (var input in inputs)
        {
            if (ReferenceEquals(input, output)) return output;
            any |= input.RequiresGrad;
        }
        if (!any) return output;
        output.Node = GradNode<T>.Rent(rule, inputs, output, axes: axes, saved: saved);
        return output;
    }

    /// <summary>Seeds ∂output/∂output and accumulates into the leaves' <see cref="MtlTensor{T}.Grad"/>.</summary>
    public static void Backward<T>(MtlTensor<T> output, MtlTensor<T>? gradient, bool retainGraph) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(output);
        var workspace = Workspace<T>.Rent();
        TensorPool<T>.Open(); // the pass's intermediate gradients reuse the last pass's tensor objects (they never leave the pass)
        try
        {
            var grads = Propagate(output, gradient, retainGraph, targets: null, workspace);
            foreach (var (tensor, grad) in grads)
            {
                if (!tensor.IsLeaf) continue;
                AccumulateInto(tensor, grad);
            }
        }
        finally
        {
            workspace.Return();
            TensorPool<T>.Close();
        }
    }

    /// <summary>∂output/∂input for each input (leaf or intermediate); nothing is written to any tensor's Grad.</summary>
    public static MtlTensor<T>?[] Gradients<T>(MtlTensor<T> output, IReadOnlyList<MtlTensor<T>> inputs, MtlTensor<T>? gradient, bool retainGraph)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        var targets = new HashSet<MtlTensor<T>>(inputs, ReferenceEqualityComparer.Instance);
        var workspace = Workspace<T>.Rent();
        TensorPool<T>.Open();
        try
        {
            var grads = Propagate(output, gradient, retainGraph, targets, workspace);
            var result = new MtlTensor<T>?[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
                if (grads.TryGetValue(inputs[i], out var g)) result[i] = MaterializeAs(g, inputs[i]); // copies: they leave the pass
            return result;
        }
        finally
        {
            workspace.Return();
            TensorPool<T>.Close();
        }
    }

    /// <summary>
    /// The reverse pass: for each tensor in reverse topological order, its total upstream gradient is pushed to its
    /// inputs by its node's rule. With <paramref name="targets"/>, only nodes that lead to a target are visited and
    /// the pass stops at the targets (their gradient is complete once every consumer has been visited).
    /// Returns the gradients of the leaves (or of the targets).
    /// </summary>
    private static Dictionary<MtlTensor<T>, MtlTensor<T>> Propagate<T>(MtlTensor<T> output, MtlTensor<T>? gradient, bool retainGraph,
        HashSet<MtlTensor<T>>? targets, Workspace<T> workspace) where T : unmanaged, INumber<T>
    {
        if (!output.RequiresGrad)
            throw new InvalidOperationException(
                $"Backward was called on a tensor of shape {MtlTensor<T>.ShapeText(output.Shape)} that does not require grad: no input of the computation had RequiresGrad = true, or it ran under Grad.NoGrad().");
        MtlTensor<T> seed;
        if (gradient is null)
        {
            if (output.Length != 1)
                throw new InvalidOperationException(
                    $"Backward without a gradient needs a one-element output (a loss), but the tensor has shape {MtlTensor<T>.ShapeText(output.Shape)}; pass the upstream gradient or reduce it (Sum, Mean) first.");
            seed = GpuTensorOps.OnDevice(output) ? MtlTensor.OnesLike(output) : TensorOps.Scalar(T.One).Reshape(output.ShapeArray); // the 1 from the step's arena
        }
        else
        {
            if (!Broadcast.AreCompatible(gradient.Shape, output.Shape) || gradient.Rank > output.Rank)
                throw new ArgumentException(
                    $"The gradient of shape {MtlTensor<T>.ShapeText(gradient.Shape)} does not match the output of shape {MtlTensor<T>.ShapeText(output.Shape)}.", nameof(gradient));
            seed = gradient;
        }

        var order = TopologicalOrder(output, targets, workspace);
        var reaches = workspace.Reaches;
        var pending = workspace.Pending;
        pending[output] = seed;
        var result = workspace.Result;
        using (Grad.NoGrad())
        {
            for (int t = order.Count - 1; t >= 0; t--)
            {
                var tensor = order[t];
                if (!pending.Remove(tensor, out var upstream)) continue;
                var node = tensor.Node;
                bool isTarget = targets is not null && targets.Contains(tensor);
                if (node is null || isTarget)
                {
                    result[tensor] = upstream;
                    if (node is null || targets is not null && !LeadsPastTarget(node, targets, reaches)) continue;
                }
                if (node.Released)
                    throw new InvalidOperationException(
                        $"Backward reached the {node.Operation} node a second time after its graph was released; pass retainGraph: true to the earlier Backward (or Grad.Of) call.");
                var inputs = node.Inputs;
                for (int i = 0; i < inputs.Length; i++)
                {
                    var input = inputs[i];
                    if (!input.RequiresGrad) continue;
                    if (targets is not null && !targets.Contains(input) && !reaches.Contains(input)) continue;
                    var g = node.Rule(node, upstream, i);
                    if (g is null) continue;
                    g = SumToShape(g, input.ShapeArray);
                    pending[input] = pending.TryGetValue(input, out var sofar) ? sofar.Add(g) : g;
                }
            }
            if (!retainGraph)
                foreach (var tensor in order)
                    tensor.Node?.Recycle(); // released: the output keeps its operation's marker, the node serves the next step
        }
        return result;
    }

    private static bool LeadsPastTarget<T>(GradNode<T> node, HashSet<MtlTensor<T>> targets, HashSet<MtlTensor<T>> reaches) where T : unmanaged, INumber<T>
    {
        foreach (var input in node.Inputs)
            if (input.RequiresGrad && (targets.Contains(input) || reaches.Contains(input))) return true;
        return false;
    }

    /// <summary>
    /// The tensors reachable from <paramref name="output"/> through inputs that require grad, each after all of its
    /// inputs (iterative depth-first post-order, so deep graphs do not overflow the stack). With
    /// <paramref name="targets"/>, the workspace's Reaches collects the tensors from which a target can be reached.
    /// </summary>
    private static List<MtlTensor<T>> TopologicalOrder<T>(MtlTensor<T> output, HashSet<MtlTensor<T>>? targets, Workspace<T> workspace)
        where T : unmanaged, INumber<T>
    {
        var order = workspace.Order;
        var visited = workspace.Visited;
        var reaches = workspace.Reaches;
        var stack = workspace.Stack;
        stack.Push((output, 0));
        visited.Add(output);
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            var inputs = tensor.Node?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((tensor, next + 1));
                var input = inputs[next];
                if (input.RequiresGrad && visited.Add(input)) stack.Push((input, 0));
                continue;
            }
            order.Add(tensor);
            if (targets is not null)
            {
                bool reach = false;
                foreach (var input in inputs)
                    reach |= input.RequiresGrad && (targets.Contains(input) || reaches.Contains(input));
                if (reach) reaches.Add(tensor);
            }
        }
        return order;
    }

    /// <summary>
    /// Sums a gradient of a broadcast shape back to the <paramref name="shape"/> of the operand that was broadcast:
    /// over the leading dimensions the operand lacked and over every dimension where it had size 1.
    /// </summary>
    public static MtlTensor<T> SumToShape<T>(MtlTensor<T> grad, ReadOnlySpan<int> shape) where T : unmanaged, INumber<T>
    {
        if (grad.Shape.SequenceEqual(shape)) return grad;
        return SumToShape(grad, shape.ToArray());
    }

    /// <summary><see cref="SumToShape{T}(MtlTensor{T}, ReadOnlySpan{int})"/> for a shape held in an array (an input's own, interned: no copy).</summary>
    public static MtlTensor<T> SumToShape<T>(MtlTensor<T> grad, int[] shape) where T : unmanaged, INumber<T>
    {
        if (grad.Shape.SequenceEqual(shape)) return grad;
        int lead = grad.Rank - shape.Length;
        if (lead < 0)
            return grad.BroadcastTo(shape); // a scalar-like gradient for a larger operand (a rule that returned the upstream of a reduction)
        Span<int> axes = grad.Rank <= 16 ? stackalloc int[grad.Rank] : new int[grad.Rank];
        int count = 0;
        for (int d = 0; d < grad.Rank; d++)
            if (d < lead || (shape[d - lead] == 1 && grad.Shape[d] != 1)) axes[count++] = d;
        var summed = count == 0 ? grad : grad.Sum(ShapeCache.Intern(axes[..count]), keepDims: true);
        return summed.Reshape(shape);
    }

    /// <summary>
    /// Adds <paramref name="grad"/> (of <paramref name="leaf"/>'s shape, or broadcastable to it, on its device) into the
    /// leaf's Grad as a backward pass does: a copy when Grad is null, else Grad += grad in place. For strategies that write a
    /// computed gradient (an aggregated direction) where a backward pass would have.
    /// </summary>
    internal static void AccumulateGrad<T>(MtlTensor<T> leaf, MtlTensor<T> grad) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(grad);
        using var _ = Grad.NoGrad();
        AccumulateInto(leaf, grad);
    }

    /// <summary>Adds <paramref name="grad"/> into the leaf's Grad, reusing its buffer when it has one.</summary>
    private static void AccumulateInto<T>(MtlTensor<T> leaf, MtlTensor<T> grad) where T : unmanaged, INumber<T>
    {
        if (leaf.Grad is null)
        {
            leaf.Grad = MaterializeAs(grad, leaf, scoped: false); // lives with the leaf, not with a scope or arena step
            return;
        }
        var target = leaf.Grad;
        if (!target.Shape.SequenceEqual(leaf.Shape))
            throw new InvalidOperationException(
                $"The Grad of a tensor of shape {MtlTensor<T>.ShapeText(leaf.Shape)} has shape {MtlTensor<T>.ShapeText(target.Shape)}; set it to null or a tensor of the leaf's shape.");
        if (GpuTensorOps.OnDevice(target))
        {
            // target += grad in place on the device (no copy between devices: the graph ran where the leaf lives).
            GpuTensorOps.Update(target, grad, default(AddOperator<T>), "Backward");
            return;
        }
        var shape = leaf.Shape;
        // target += grad in place (element-wise, so reading and writing the same element is safe).
        StridedDriver.Binary(shape, TensorOps.View(target, shape), TensorOps.View(grad, shape), TensorOps.View(target), default(AddOperator<T>), TensorParallelism.Current);
    }

    /// <summary>
    /// A new contiguous tensor of <paramref name="like"/>'s shape holding <paramref name="grad"/> (broadcast if needed), owned
    /// by the caller, on <paramref name="like"/>'s device (there, unless <paramref name="scoped"/>, outside any scope or arena step).
    /// </summary>
    private static MtlTensor<T> MaterializeAs<T>(MtlTensor<T> grad, MtlTensor<T> like, bool scoped = true) where T : unmanaged, INumber<T>
    {
        using var leaves = TensorPool<T>.Suspend(); // the copy leaves the pass: never from its pool
        var result = GpuTensorOps.OnDevice(like)
            ? GpuTensorOps.Full(like.Device, like.Shape.ToArray(), T.Zero, scoped)
            : MtlTensor.Zeros<T>(like.Shape.ToArray());
        var source = grad.Shape.SequenceEqual(like.Shape) ? grad : grad.BroadcastTo(like.Shape.ToArray());
        source.CopyTo(result);
        return result;
    }

    /// <summary>
    /// The collections of one backward pass, kept per thread and element type and reused, so that a training step's
    /// backward allocates none of them; a pass that starts while another holds them (a rule that runs its own backward)
    /// takes fresh ones. <see cref="Return"/> clears them, so they keep no tensor alive. Affects allocation only, never results.
    /// </summary>
    private sealed class Workspace<T> where T : unmanaged, INumber<T>
    {
        [ThreadStatic] private static Workspace<T>? t_free;

        public readonly List<MtlTensor<T>> Order = [];
        public readonly HashSet<MtlTensor<T>> Visited = new(ReferenceEqualityComparer.Instance);
        public readonly HashSet<MtlTensor<T>> Reaches = new(ReferenceEqualityComparer.Instance);
        public readonly Stack<(MtlTensor<T> Tensor, int Next)> Stack = new();
        public readonly Dictionary<MtlTensor<T>, MtlTensor<T>> Pending = new(ReferenceEqualityComparer.Instance);
        public readonly Dictionary<MtlTensor<T>, MtlTensor<T>> Result = new(ReferenceEqualityComparer.Instance);

        public static Workspace<T> Rent()
        {
            var workspace = t_free ?? new Workspace<T>();
            t_free = null;
            return workspace;
        }

        public void Return()
        {
            Order.Clear();
            Visited.Clear();
            Reaches.Clear();
            Stack.Clear();
            Pending.Clear();
            Result.Clear();
            t_free = this;
        }
    }
}
