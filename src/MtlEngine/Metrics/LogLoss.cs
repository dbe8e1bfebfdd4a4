using MtlEngine.Tensors;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Metrics;

/// <summary>
/// The cross-entropy (log) loss, as scikit-learn's <c>log_loss</c>:
/// <code>
/// p̃ᵢ = clip(pᵢ, ε, 1 − ε) / Σ_c clip(p_ic, ε, 1 − ε)       L = −(1/n)·Σᵢ log p̃_{i, yᵢ}
/// </code>
/// with ε = 2.220446049250313e-16 (machine epsilon of float64, scikit-learn's <c>eps="auto"</c>); clipping keeps the loss
/// finite when a probability is exactly 0 or 1, and the rows are renormalized after clipping as scikit-learn does.
/// </summary>
public static class LogLoss
{
    /// <summary>The clipping ε (float64 machine epsilon).</summary>
    public const double Epsilon = MachineEpsilon.Double;

    /// <summary>
    /// Multiclass log loss: <paramref name="probabilities"/> of shape (n_samples, n_classes), column c for the c-th of the
    /// sorted <paramref name="labels"/> (default: the sorted labels of yTrue).
    /// </summary>
    /// <exception cref="MetricInputException">When shapes disagree or a label of yTrue is not in labels.</exception>
    public static double Compute(int[] yTrue, MtlTensor<double> probabilities, int[]? labels = null, double[]? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        var (n, k, p) = MetricInput.Matrix(probabilities, "probabilities");
        MetricInput.SameLength(yTrue.Length, n, "yTrue", "probabilities (rows)");
        MetricInput.NotEmpty(n, "yTrue");
        labels ??= MetricInput.UniqueLabels(yTrue);
        if (k == 1 && labels.Length == 2)
        {
            // A single column is the probability of the positive (greater) label, as scikit-learn.
            var two = new double[2 * n];
            for (int i = 0; i < n; i++) { two[2 * i] = 1 - p[i]; two[2 * i + 1] = p[i]; }
            p = two;
            k = 2;
        }
        if (labels.Length != k)
            throw new MetricInputException($"probabilities has {k} columns but there are {labels.Length} classes [{string.Join(", ", labels)}]; pass one column per class in sorted order, or pass labels.");
        if (sampleWeight is not null) MetricInput.SameLength(n, sampleWeight.Length, "yTrue", "sampleWeight");
        double loss = 0, total = 0;
        for (int i = 0; i < n; i++)
        {
            int c = Array.BinarySearch(labels, yTrue[i]);
            if (c < 0)
                throw new MetricInputException($"yTrue[{i}] = {yTrue[i]} is not among the labels [{string.Join(", ", labels)}].");
            double rowSum = 0;
            for (int j = 0; j < k; j++) rowSum += Math.Clamp(p[i * k + j], Epsilon, 1 - Epsilon);
            double w = sampleWeight?[i] ?? 1.0;
            loss -= w * Math.Log(Math.Clamp(p[i * k + c], Epsilon, 1 - Epsilon) / rowSum);
            total += w;
        }
        return loss / total;
    }

    /// <summary>Binary log loss: <paramref name="probabilityOfPositive"/> is the probability of the greater label.</summary>
    /// <exception cref="MetricInputException">When lengths disagree or yTrue does not hold exactly two classes.</exception>
    public static double Binary(int[] yTrue, double[] probabilityOfPositive, double[]? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(probabilityOfPositive);
        var labels = MetricInput.UniqueLabels(yTrue);
        if (labels.Length != 2)
            throw new MetricInputException($"Binary log loss needs exactly two classes in yTrue, but it holds [{string.Join(", ", labels)}]; call LogLoss.Compute with the labels given explicitly.");
        return Compute(yTrue, MtlTensor.FromArray((double[])probabilityOfPositive.Clone(), probabilityOfPositive.Length), labels, sampleWeight);
    }
}
