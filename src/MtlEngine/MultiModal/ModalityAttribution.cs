using System.Numerics;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.MultiModal;

/// <summary>What an input's encoding starts from on the integration path of <see cref="ModalityAttribution.IntegratedGradients{T}"/>.</summary>
public enum AttributionBaseline
{
    /// <summary>The encoder's missing fill (zeros, the running mean or the learned token): "this input is missing".</summary>
    MissingFill,
    /// <summary>Zeros for every input.</summary>
    Zeros,
}

/// <summary>Integrated gradients of one task's output per input (modality), for each sample.</summary>
/// <param name="Inputs">The inputs' names, in the model's order.</param>
/// <param name="Attributions">(n, inputs): sample s's attribution to input i.</param>
/// <param name="Output">f(x) of each sample: the scalar output explained (see <see cref="ModalityAttribution.IntegratedGradients{T}"/>).</param>
/// <param name="BaselineOutput">f(baseline) of each sample: every input's encoding at its baseline.</param>
public sealed record ModalityIntegratedGradients(IReadOnlyList<string> Inputs, double[,] Attributions, double[] Output, double[] BaselineOutput)
{
    /// <summary>The largest |Σᵢ attributionᵢ − (f(x) − f(baseline))| over the samples: 0 up to the path integral's discretization.</summary>
    public double CompletenessError
    {
        get
        {
            double worst = 0;
            for (int s = 0; s < Output.Length; s++)
            {
                double sum = 0;
                for (int i = 0; i < Inputs.Count; i++) sum += Attributions[s, i];
                worst = Math.Max(worst, Math.Abs(sum - (Output[s] - BaselineOutput[s])));
            }
            return worst;
        }
    }

    /// <summary>The mean over the samples of |attribution| of each input.</summary>
    public double[] MeanAbsolute() => Mean(Math.Abs);

    /// <summary>The mean over the samples of the attribution of each input.</summary>
    public double[] MeanSigned() => Mean(v => v);

    private double[] Mean(Func<double, double> f)
    {
        var result = new double[Inputs.Count];
        int n = Output.Length;
        for (int i = 0; i < Inputs.Count; i++)
        {
            for (int s = 0; s < n; s++) result[i] += f(Attributions[s, i]);
            result[i] = n == 0 ? double.NaN : result[i] / n;
        }
        return result;
    }
}

/// <summary>
/// Which input a multi-modal model's prediction rests on. Integrated gradients (Sundararajan, Taly and Yan 2017) over the
/// inputs' encodings: each encoding e_i moves from its baseline b_i to e_i along one straight path, all inputs together,
/// <code>
/// IG_i = (e_i − b_i) · ∫₀¹ ∂f/∂z_i (b + α(e − b)) dα        (midpoint rule over m steps)
/// </code>
/// so Σᵢ IG_i = f(e) − f(b) (completeness) up to the rule's O(1/m²) error. Working on the encodings (after each
/// encoder, before the fusion) makes a text's token ids and a picture's pixels the same kind of thing: one vector per input.
/// </summary>
public static class ModalityAttribution
{
    /// <summary>
    /// The integrated gradients of task <paramref name="task"/> per input for each sample of <paramref name="batch"/>, in
    /// evaluation mode. The output explained is, per sample, the logit of the class the model predicts (classification), or the
    /// sum of the task's outputs (binary, regression).
    /// </summary>
    /// <param name="model">A model that encodes its inputs and fuses them (<see cref="FusedInputModel{T}.EncodeInputs"/>).</param>
    /// <param name="batch">The samples.</param>
    /// <param name="task">The task's name.</param>
    /// <param name="steps">m, the points of the midpoint rule.</param>
    /// <param name="baseline">Where each encoding starts.</param>
    /// <exception cref="ArgumentException">When the task is unknown or <paramref name="steps"/> is below 1.</exception>
    public static ModalityIntegratedGradients IntegratedGradients<T>(FusedInputModel<T> model, Batch<T> batch, string task, int steps = 32,
        AttributionBaseline baseline = AttributionBaseline.MissingFill) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var spec = model.Tasks.FirstOrDefault(t => t.Name == task)
            ?? throw new ArgumentException($"The model has no task \"{task}\"; its tasks are {string.Join(", ", model.Tasks.Select(t => t.Name))}.", nameof(task));
        int inputs = model.Encoders.Count, n = batch.Count;
        bool training = model.Training;
        var hook = model.EncodingHook;
        model.Eval();
        try
        {
            // The encodings at x and the output explained there (the predicted class is fixed by f(x)).
            var encodings = new MtlTensor<T>[inputs];
            model.EncodingHook = (i, e) => encodings[i] = e.Detach();
            MtlTensor<T> output;
            using (Autograd.Grad.NoGrad()) output = model.Forward(batch)[task].Detach();
            int[]? classes = spec.Kind == TaskKind.Classification ? output.ArgMax(1).ToArray() : null;
            var selector = Selector(output, classes);
            var fx = Explained(output, selector);
            var baselines = encodings.Select((e, i) => Baseline(model.Encoders[i], e, baseline)).ToArray();
            var fb = ExplainedAt(model, batch, task, selector, baselines);

            var gradientSums = encodings.Select(e => new double[e.Length]).ToArray();
            for (int k = 0; k < steps; k++)
            {
                T alpha = T.CreateChecked((k + 0.5) / steps);
                var points = new MtlTensor<T>[inputs];
                model.EncodingHook = (i, _) =>
                {
                    var z = (baselines[i] + (encodings[i] - baselines[i]) * alpha).Detach();
                    z.RequiresGrad = true;
                    return points[i] = z;
                };
                var y = model.Forward(batch)[task];
                (y * selector).Sum().Backward();
                for (int i = 0; i < inputs; i++)
                {
                    var g = points[i].Grad?.ToArray();
                    if (g is null) continue;
                    for (int j = 0; j < g.Length; j++) gradientSums[i][j] += double.CreateChecked(g[j]);
                }
            }
            var attributions = new double[n, inputs];
            for (int i = 0; i < inputs; i++)
            {
                var e = encodings[i].ToArray();
                var b = baselines[i].ToArray();
                int width = n == 0 ? 0 : e.Length / n;
                for (int s = 0; s < n; s++)
                    for (int j = 0; j < width; j++)
                        attributions[s, i] += double.CreateChecked(e[s * width + j] - b[s * width + j]) * gradientSums[i][s * width + j] / steps;
            }
            return new ModalityIntegratedGradients(model.InputNames, attributions, fx, fb);
        }
        finally
        {
            model.EncodingHook = hook;
            model.Train(training);
        }
    }

    /// <summary>The weights that pick the explained scalar of each row: a one-hot of the predicted class, or ones.</summary>
    private static MtlTensor<T> Selector<T>(MtlTensor<T> output, int[]? classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = output.Shape[0], width = output.Shape[1];
        var w = new T[n * width];
        for (int s = 0; s < n; s++)
            for (int c = 0; c < width; c++) w[s * width + c] = classes is null || classes[s] == c ? T.One : T.Zero;
        return MtlTensor.FromArray(w, n, width);
    }

    private static double[] Explained<T>(MtlTensor<T> output, MtlTensor<T> selector) where T : unmanaged, IFloatingPointIeee754<T> =>
        [.. (output * selector).Sum(1).ToArray().Select(double.CreateChecked)];

    private static double[] ExplainedAt<T>(FusedInputModel<T> model, Batch<T> batch, string task, MtlTensor<T> selector, MtlTensor<T>[] encodings)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        model.EncodingHook = (i, _) => encodings[i];
        using (Autograd.Grad.NoGrad()) return Explained(model.Forward(batch)[task].Detach(), selector);
    }

    /// <summary>An input's baseline encoding (n, width): zeros, or the encoder's fill of a missing input.</summary>
    private static MtlTensor<T> Baseline<T>(InputEncoder<T> encoder, MtlTensor<T> encoding, AttributionBaseline baseline) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var zeros = MtlTensor.Zeros<T>(encoding.Shape.ToArray());
        var fill = baseline == AttributionBaseline.Zeros ? null : encoder.MissingToken ?? encoder.MissingMean;
        return fill is null ? zeros : (zeros + fill.Detach()).Detach();
    }
}
