using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Explain;

/// <summary>The attributions of one input and how well they satisfy completeness.</summary>
/// <param name="Attributions">One value per feature, shape (features,).</param>
/// <param name="OutputAtInput">f(x).</param>
/// <param name="OutputAtBaseline">f(x′).</param>
/// <param name="CompletenessGap">Σ attributions − (f(x) − f(x′)); near 0 when the path integral is resolved well (raise the step count otherwise).</param>
public sealed record Attribution<T>(MtlTensor<T> Attributions, double OutputAtInput, double OutputAtBaseline, double CompletenessGap)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Integrated gradients (Sundararajan, Taly &amp; Yan 2017): IGᵢ(x) = (xᵢ − x′ᵢ)·∫₀¹ ∂f(x′ + α(x − x′))/∂xᵢ dα,
/// the integral by the trapezoidal rule over <c>steps</c> intervals, all points in one batched forward and
/// backward pass. Completeness: Σᵢ IGᵢ = f(x) − f(x′) up to the quadrature error, which the result reports.
/// </summary>
public static class IntegratedGradients
{
    /// <summary>Attributes output <paramref name="outputIndex"/> of <paramref name="model"/> at <paramref name="input"/>.</summary>
    /// <param name="model">Maps a batch (n, features) to outputs (n, outputs) or (n,); e.g. <c>net.Forward</c> or <c>x => net.ForwardTasks(x)[task]</c>.</param>
    /// <param name="input">x, shape (features,).</param>
    /// <param name="outputIndex">Which output column to explain (ignored for a (n,) output).</param>
    /// <param name="baseline">x′ (default: zeros).</param>
    /// <param name="steps">Trapezoid intervals (the model sees steps + 1 points).</param>
    /// <exception cref="ArgumentException">When the shapes do not fit.</exception>
    public static Attribution<T> Attribute<T>(Func<MtlTensor<T>, MtlTensor<T>> model, MtlTensor<T> input, int outputIndex = 0,
        MtlTensor<T>? baseline = null, int steps = 64)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (input.Rank != 1)
            throw new ArgumentException($"Integrated gradients explain one sample of shape (features,), but got {MtlTensor<T>.ShapeText(input.Shape)}.");
        int d = input.Shape[0];
        var x = input.Detach().Contiguous().ToArray();
        var x0 = baseline?.Detach().Contiguous().ToArray() ?? new T[d];
        if (x0.Length != d)
            throw new ArgumentException($"The baseline has {x0.Length} values but the input {d}.");

        // The path points x′ + αₖ(x − x′), αₖ = k/steps, as one batch.
        var path = new T[(steps + 1) * d];
        for (int k = 0; k <= steps; k++)
        {
            T alpha = T.CreateChecked(k) / T.CreateChecked(steps);
            for (int i = 0; i < d; i++) path[k * d + i] = x0[i] + alpha * (x[i] - x0[i]);
        }
        var points = MtlTensor.FromArray(path, steps + 1, d);
        points.RequiresGrad = true;
        MtlTensor<T> outputs;
        using (Grad.EnableGrad())
        {
            outputs = model(points);
            var selected = outputs.Rank == 2 ? outputs.Select(1, outputIndex) : outputs;
            if (selected.Rank != 1 || selected.Shape[0] != steps + 1)
                throw new ArgumentException($"The model returned shape {MtlTensor<T>.ShapeText(outputs.Shape)} for a batch of {steps + 1}; it must return (n, outputs) or (n,).");
            selected.Sum().Backward();
        }
        var grads = points.Grad!.ToArray();
        var values = (outputs.Rank == 2 ? outputs.Select(1, outputIndex) : outputs).Detach().ToArray();

        // Trapezoid: ∫ ≈ (1/steps)·(½g₀ + g₁ + … + g_{steps−1} + ½g_steps).
        var attributions = new T[d];
        T half = T.CreateChecked(0.5);
        for (int k = 0; k <= steps; k++)
        {
            T w = k == 0 || k == steps ? half : T.One;
            for (int i = 0; i < d; i++) attributions[i] += w * grads[k * d + i];
        }
        double total = 0;
        for (int i = 0; i < d; i++)
        {
            attributions[i] = attributions[i] / T.CreateChecked(steps) * (x[i] - x0[i]);
            total += double.CreateChecked(attributions[i]);
        }
        double fx = double.CreateChecked(values[steps]), fx0 = double.CreateChecked(values[0]);
        return new Attribution<T>(MtlTensor.FromArray(attributions, d), fx, fx0, total - (fx - fx0));
    }
}
