using System.Collections.Concurrent;
using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

/// <summary>
/// The derivative of one recorded operation: given the node and the upstream gradient ∂L/∂output, returns
/// ∂L/∂inputs[<paramref name="input"/>] (in the output's shape or the input's; the graph sums a broadcast
/// gradient back to the input's shape), or null when that input gets no gradient (a condition, a mask).
/// </summary>
internal delegate MtlTensor<T>? GradientRule<T>(GradNode<T> node, MtlTensor<T> upstream, int input) where T : unmanaged, INumber<T>;

/// <summary>
/// One recorded operation: its inputs, its output, the rule that pushes the gradient back, and whatever the
/// rule needs besides (a scalar operand, the reduced axes, a view to re-apply).
/// </summary>
/// <remarks>
/// Nodes are reused: a backward pass that releases its graph (no retain-graph) detaches each node from its output
/// (the output then points at the shared released marker of its operation, <see cref="ReleasedMarker"/>, so it still
/// reports its operation and still refuses a second backward pass) and gives the node back to this thread's free list,
/// from which <see cref="Rent"/> takes the nodes of the next step. A released node is referenced by nothing else (only
/// its output and the pass's own tables pointed at it), so reuse cannot change what any tensor means.
/// </remarks>
internal sealed class GradNode<T> where T : unmanaged, INumber<T>
{
    private const int MaxFree = 4096;
    [ThreadStatic] private static Stack<GradNode<T>>? t_free;
    [ThreadStatic] private static Stack<MtlTensor<T>[]>? t_freeOnes, t_freeTwos, t_freeThrees;
    private static readonly ConcurrentDictionary<GradientRule<T>, GradNode<T>> s_markers = new();

    public GradNode(GradientRule<T> rule, MtlTensor<T>[] inputs, MtlTensor<T> output)
    {
        Rule = rule;
        Inputs = inputs;
        Output = output;
    }

    /// <summary>A node from this thread's free list (else new) recording <paramref name="rule"/> on <paramref name="output"/>.</summary>
    public static GradNode<T> Rent(GradientRule<T> rule, MtlTensor<T>[] inputs, MtlTensor<T> output, T scalar = default, int[]? axes = null,
        bool keepDims = false, object? saved = null, bool ownsInputs = false)
    {
        if (t_free is not { Count: > 0 } free) return new GradNode<T>(rule, inputs, output) { Scalar = scalar, Axes = axes, KeepDims = keepDims, Saved = saved, _ownsInputs = ownsInputs };
        var node = free.Pop();
        (node.Rule, node.Inputs, node.Output, node.Scalar, node.Axes, node.KeepDims, node.Saved, node._ownsInputs, node.Released) =
            (rule, inputs, output, scalar, axes, keepDims, saved, ownsInputs, false);
        return node;
    }

    /// <summary>The inputs array [a] or [a, b], from this thread's free list (it goes back with its node).</summary>
    public static MtlTensor<T>[] RentInputs(MtlTensor<T> a, MtlTensor<T>? b)
    {
        if (b is null)
        {
            if (t_freeOnes is { Count: > 0 } ones) { var one = ones.Pop(); one[0] = a; return one; }
            return [a];
        }
        if (t_freeTwos is { Count: > 0 } twos) { var two = twos.Pop(); (two[0], two[1]) = (a, b); return two; }
        return [a, b];
    }

    /// <summary>The inputs array [a, b, c] (a convolution's input, weight and bias), from this thread's free list (it goes back with its node).</summary>
    public static MtlTensor<T>[] RentInputs(MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T> c)
    {
        if (t_freeThrees is { Count: > 0 } threes) { var three = threes.Pop(); (three[0], three[1], three[2]) = (a, b, c); return three; }
        return [a, b, c];
    }

    /// <summary>The released marker of <paramref name="rule"/>: what a released node's output points at (one per rule, shared).</summary>
    public static GradNode<T> ReleasedMarker(GradientRule<T> rule) =>
        s_markers.GetOrAdd(rule, static r => new GradNode<T>(r, [], null!) { Released = true, IsMarker = true });

    /// <summary>The derivative rule (a method of <see cref="GradientRules"/>).</summary>
    public GradientRule<T> Rule { get; private set; }

    /// <summary>The operation's name, the rule's name.</summary>
    public string Operation => Rule.Method.Name;

    /// <summary>The operands; released (empty) after a backward pass without retain-graph.</summary>
    public MtlTensor<T>[] Inputs { get; private set; }

    /// <summary>The result of the operation (its value is used by rules such as exp, tanh, sigmoid, sqrt).</summary>
    public MtlTensor<T> Output { get; private set; }

    /// <summary>A scalar operand (x + s, x · s, xᵖ, ...), or the ddof / p of a reduction.</summary>
    public T Scalar { get; private set; }

    /// <summary>The axes a reduction reduced (null: all).</summary>
    public int[]? Axes { get; private set; }

    /// <summary>Whether a reduction kept the reduced axes as size 1.</summary>
    public bool KeepDims { get; private set; }

    /// <summary>Anything else a rule needs (for views, the function that re-applies the view to a tensor of the input's shape).</summary>
    public object? Saved { get; private set; }

    /// <summary>True after the graph was released by a backward pass.</summary>
    public bool Released { get; private set; }

    /// <summary>True for the shared released marker of an operation (never reused, never given back).</summary>
    public bool IsMarker { get; private set; }

    private bool _ownsInputs; // the inputs array came from RentInputs and goes back with the node

    /// <summary>Drops the references to the inputs so that the graph's memory can be reclaimed.</summary>
    public void Release()
    {
        Inputs = [];
        Released = true;
    }

    /// <summary>
    /// Releases the node, points its output at the operation's released marker, and gives the node (and its inputs array)
    /// back to this thread's free list. Only for a node that its pass has just visited for the last time.
    /// </summary>
    public void Recycle()
    {
        if (IsMarker) return;
        if (ReferenceEquals(Output.Node, this)) Output.Node = ReleasedMarker(Rule);
        if (_ownsInputs)
        {
            var inputs = Inputs;
            Array.Clear(inputs);
            var arrays = inputs.Length switch { 1 => t_freeOnes ??= new(), 2 => t_freeTwos ??= new(), _ => t_freeThrees ??= new() };
            if (arrays.Count < MaxFree) arrays.Push(inputs);
        }
        Inputs = [];
        Output = null!;
        Axes = null;
        Saved = null;
        Released = true;
        _ownsInputs = false;
        var free = t_free ??= new();
        if (free.Count < MaxFree) free.Push(this); // beyond: left to the collector (a one-off huge graph is not held forever)
    }
}
