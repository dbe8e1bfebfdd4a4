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
internal sealed class GradNode<T> where T : unmanaged, INumber<T>
{
    public GradNode(GradientRule<T> rule, MtlTensor<T>[] inputs, MtlTensor<T> output)
    {
        Rule = rule;
        Inputs = inputs;
        Output = output;
    }

    /// <summary>The derivative rule (a method of <see cref="GradientRules"/>).</summary>
    public GradientRule<T> Rule { get; }

    /// <summary>The operation's name, the rule's name.</summary>
    public string Operation => Rule.Method.Name;

    /// <summary>The operands; released (empty) after a backward pass without retain-graph.</summary>
    public MtlTensor<T>[] Inputs { get; private set; }

    /// <summary>The result of the operation (its value is used by rules such as exp, tanh, sigmoid, sqrt).</summary>
    public MtlTensor<T> Output { get; }

    /// <summary>A scalar operand (x + s, x · s, xᵖ, ...), or the ddof / p of a reduction.</summary>
    public T Scalar { get; init; }

    /// <summary>The axes a reduction reduced (null: all).</summary>
    public int[]? Axes { get; init; }

    /// <summary>Whether a reduction kept the reduced axes as size 1.</summary>
    public bool KeepDims { get; init; }

    /// <summary>Anything else a rule needs (for views, the function that re-applies the view to a tensor of the input's shape).</summary>
    public object? Saved { get; init; }

    /// <summary>True after the graph was released by a backward pass.</summary>
    public bool Released { get; private set; }

    /// <summary>Drops the references to the inputs so that the graph's memory can be reclaimed.</summary>
    public void Release()
    {
        Inputs = [];
        Released = true;
    }
}
