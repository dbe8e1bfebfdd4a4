using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Autograd;

/// <summary>The outcome of <see cref="GradCheck.Check"/>: the largest disagreement and where it is.</summary>
/// <param name="Passed">True when every element satisfied |analytic − numeric| ≤ atol + rtol·|numeric|.</param>
/// <param name="MaxAbsoluteError">The largest |analytic − numeric| over all inputs and elements.</param>
/// <param name="Message">A description of the worst element (input, index, both values) for an assertion message.</param>
public sealed record GradCheckResult(bool Passed, double MaxAbsoluteError, string Message);

/// <summary>
/// Checks the analytic gradient of a function against central finite differences in double precision:
/// ∂L/∂xᵢ ≈ (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε, with truncation error O(ε²). A non-scalar output is reduced to
/// L = Σ r ⊙ f(x) with a fixed random r, so that every output element's gradient is tested (a plain sum would
/// hide rules that are wrong in a way that sums to zero).
/// </summary>
public static class GradCheck
{
    /// <summary>Compares the gradients that backward computes for <paramref name="f"/> with central differences.</summary>
    /// <param name="f">The function, built from tensor operations.</param>
    /// <param name="inputs">The points to check at; they are cloned into leaves that require grad (views are checked inside <paramref name="f"/>).</param>
    /// <param name="epsilon">The finite-difference step.</param>
    /// <param name="absoluteTolerance">The absolute tolerance.</param>
    /// <param name="relativeTolerance">The relative tolerance (against the numeric value).</param>
    /// <param name="seed">The seed of the output weighting r.</param>
    public static GradCheckResult Check(Func<MtlTensor<double>[], MtlTensor<double>> f, MtlTensor<double>[] inputs,
        double epsilon = 1e-6, double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5, ulong seed = 7)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        var leaves = new MtlTensor<double>[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            leaves[k] = inputs[k].Clone();
            leaves[k].RequiresGrad = true;
        }

        MtlTensor<double>? weights = null;
        MtlTensor<double> Objective()
        {
            var y = f(leaves);
            weights ??= new TensorRandom(seed).Uniform(y.Shape.ToArray(), 0.5, 1.5);
            return (y * weights).Sum();
        }

        Objective().Backward();
        double worst = 0;
        bool passed = true;
        string message = "all gradients agree";
        using (Grad.NoGrad())
        {
            for (int k = 0; k < leaves.Length; k++)
            {
                var data = leaves[k].AsSpan();
                var analytic = leaves[k].Grad?.ToArray() ?? new double[leaves[k].Length];
                for (int e = 0; e < data.Length; e++)
                {
                    double saved = data[e];
                    data[e] = saved + epsilon;
                    double plus = Objective().Item();
                    data[e] = saved - epsilon;
                    double minus = Objective().Item();
                    data[e] = saved;
                    double numeric = (plus - minus) / (2 * epsilon);
                    double error = Math.Abs(analytic[e] - numeric);
                    bool ok = error <= absoluteTolerance + relativeTolerance * Math.Abs(numeric);
                    if (!ok || double.IsNaN(error)) passed = false;
                    if (error > worst || double.IsNaN(error) || (!ok && passed))
                    {
                        worst = double.IsNaN(error) ? double.NaN : Math.Max(worst, error);
                        message = $"input {k} (shape {MtlTensor<double>.ShapeText(leaves[k].Shape)}), flat index {e}: analytic {analytic[e]:R}, numeric {numeric:R}, |difference| {error:G3}";
                    }
                }
            }
        }
        return new GradCheckResult(passed, worst, passed ? $"max |difference| {worst:G3}; " + message : message);
    }
}
