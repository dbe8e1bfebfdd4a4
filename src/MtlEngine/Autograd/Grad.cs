using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

/// <summary>
/// Grad mode and gradients on demand. Grad mode is on by default; inside <c>using (Grad.NoGrad())</c> no
/// operation records the graph (inference, optimizer updates, the backward pass itself). The flag is
/// per thread and scoped: disposing the scope restores what was there before.
/// It changes what is recorded (whether a backward pass can reach the inputs), never a forward value.
/// </summary>
public static class Grad
{
    [ThreadStatic] private static bool t_disabled;

    /// <summary>True when operations on tensors that require grad record the graph on this thread.</summary>
    public static bool IsEnabled => !t_disabled;

    /// <summary>Turns recording off on this thread until the returned scope is disposed.</summary>
    public static GradModeScope NoGrad() => new(enabled: false);

    /// <summary>Turns recording back on inside a <see cref="NoGrad"/> region until the returned scope is disposed.</summary>
    public static GradModeScope EnableGrad() => new(enabled: true);

    internal static bool SetEnabled(bool enabled)
    {
        bool previous = !t_disabled;
        t_disabled = !enabled;
        return previous;
    }

    /// <summary>
    /// The gradients ∂<paramref name="output"/>/∂input for each of <paramref name="inputs"/> — leaves (parameters) or
    /// intermediate tensors of the same graph (a shared representation) — without touching any tensor's
    /// <see cref="MtlTensor{T}.Grad"/>. An input the output does not depend on gets null.
    /// </summary>
    /// <param name="output">The tensor to differentiate (a loss).</param>
    /// <param name="inputs">The tensors to differentiate with respect to.</param>
    /// <param name="gradient">The upstream gradient (default: 1 for a one-element output).</param>
    /// <param name="retainGraph">Keep the graph for another pass (needed when several losses share it).</param>
    /// <exception cref="InvalidOperationException">When <paramref name="output"/> does not require grad or the graph was released.</exception>
    public static MtlTensor<T>?[] Of<T>(MtlTensor<T> output, IReadOnlyList<MtlTensor<T>> inputs, MtlTensor<T>? gradient = null, bool retainGraph = false)
        where T : unmanaged, INumber<T> =>
        Graph.Gradients(output, inputs, gradient, retainGraph);

    /// <summary>
    /// Per-task gradients from one forward pass: row i holds ∂losses[i]/∂input for each input (null where a loss does
    /// not depend on an input). The graph is kept between the losses and released after the last unless
    /// <paramref name="retainGraph"/>. This is what gradient-based multi-task weighting (GradNorm, PCGrad, MGDA) needs.
    /// </summary>
    public static MtlTensor<T>?[][] PerTask<T>(IReadOnlyList<MtlTensor<T>> losses, IReadOnlyList<MtlTensor<T>> inputs, bool retainGraph = false)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(losses);
        var result = new MtlTensor<T>?[losses.Count][];
        for (int i = 0; i < losses.Count; i++)
            result[i] = Of(losses[i], inputs, null, retainGraph || i < losses.Count - 1);
        return result;
    }
}

/// <summary>A scope that sets grad mode on this thread and restores the previous mode when disposed.</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool _previous;

    internal GradModeScope(bool enabled) => _previous = Grad.SetEnabled(enabled);

    /// <summary>Restores the grad mode that was active when the scope was created.</summary>
    public void Dispose() => Grad.SetEnabled(_previous);
}
