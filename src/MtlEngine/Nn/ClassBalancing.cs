using MtlEngine.Learn.ModelSelection;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>
/// Class imbalance in training: balanced class weights for a classification task's cross-entropy (scikit-learn's
/// <c>compute_class_weight("balanced")</c>, by <see cref="ClassWeights.Balanced"/>) and class-balanced sampling of the
/// training rows (PyTorch's <c>WeightedRandomSampler(weights, len(weights), replacement=True)</c> with each row weighted by
/// 1/(its class's count), so every class is drawn equally often in expectation).
/// </summary>
public static class ClassBalancing
{
    /// <summary>
    /// The weight of each of <paramref name="classes"/> classes: w_c = n/(k·count_c) over the labelled samples (negative labels
    /// are missing and skipped), n of them in k distinct classes, as scikit-learn's <c>compute_class_weight("balanced",
    /// classes=np.unique(y), y=y)</c>; a class without any sample gets 1 (it adds nothing to a training loss).
    /// </summary>
    /// <exception cref="ArgumentException">When a label is at least <paramref name="classes"/>, or no sample is labelled.</exception>
    public static double[] BalancedClassWeights(IReadOnlyList<int> labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var labelled = labels.Where(l => l >= 0).ToArray();
        if (labelled.Length == 0) throw new ArgumentException("Balanced class weights need at least one labelled sample.", nameof(labels));
        int largest = labelled.Max();
        if (largest >= classes) throw new ArgumentException($"Label {largest} is outside the {classes} classes.", nameof(labels));
        var table = ClassWeights.Balanced(labelled);
        var weights = new double[classes];
        Array.Fill(weights, 1.0);
        for (int c = 0; c < table.Classes.Length; c++) weights[table.Classes[c]] = table.Weights[c];
        return weights;
    }

    /// <summary>
    /// The sampling weight of each row: 1/(the number of rows of its label); rows whose label is missing (negative) count as
    /// one more group of their own, so they are drawn as often as one class.
    /// </summary>
    public static double[] BalancedSampleWeights(IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var counts = new Dictionary<int, int>();
        foreach (int l in labels) counts[Math.Max(l, -1)] = counts.GetValueOrDefault(Math.Max(l, -1)) + 1;
        return [.. labels.Select(l => 1.0 / counts[Math.Max(l, -1)])];
    }

    /// <summary>
    /// <paramref name="count"/> positions in [0, weights.Length) drawn independently with replacement, position i with
    /// probability weights[i]/Σ weights (inverse transform sampling on the cumulative sums, one uniform draw each).
    /// </summary>
    /// <exception cref="ArgumentException">When a weight is negative or not finite, or every weight is 0.</exception>
    public static int[] Draw(TensorRandom random, IReadOnlyList<double> weights, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var cumulative = new double[weights.Count];
        double total = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            if (!(weights[i] >= 0) || !double.IsFinite(weights[i]))
                throw new ArgumentException($"Sampling weight {i} is {weights[i]}; weights must be finite and non-negative.", nameof(weights));
            cumulative[i] = total += weights[i];
        }
        if (!(total > 0)) throw new ArgumentException("Every sampling weight is 0; at least one row must have a positive weight.", nameof(weights));
        var uniform = random.Uniform([count], 0.0, 1.0).ToArray();
        var drawn = new int[count];
        for (int k = 0; k < count; k++)
        {
            int at = Array.BinarySearch(cumulative, uniform[k] * total);
            at = at >= 0 ? at + 1 : ~at; // the first position whose cumulative sum exceeds u·total
            while (at < cumulative.Length - 1 && weights[at] == 0) at++;
            drawn[k] = Math.Min(at, cumulative.Length - 1);
        }
        return drawn;
    }
}
