namespace MtlEngine.Metrics;

/// <summary>How per-class precision, recall and F1 are combined into one number (scikit-learn's <c>average</c>).</summary>
public enum Averaging
{
    /// <summary>Only the positive class's value (binary problems; scikit-learn's default <c>average='binary'</c>).</summary>
    Binary,
    /// <summary>The unweighted mean over classes: every class counts the same.</summary>
    Macro,
    /// <summary>From the counts summed over classes (Σtp, Σfp, Σfn); for single-label multiclass, micro precision = recall = F1 = accuracy.</summary>
    Micro,
    /// <summary>The mean over classes weighted by support (the number of true samples of each class).</summary>
    Weighted,
}

/// <summary>
/// Classification metrics on integer labels, matching scikit-learn's <c>sklearn.metrics</c>. The classes are the sorted
/// union of the labels in <c>yTrue</c> and <c>yPred</c> (scikit-learn's <c>unique_labels</c>). Per class c:
/// <code>
/// precision_c = tp_c / (tp_c + fp_c)     recall_c = tp_c / (tp_c + fn_c)     F1_c = 2·tp_c / (2·tp_c + fp_c + fn_c)
/// </code>
/// A ratio whose denominator is zero takes <c>zeroDivision</c>, by default 0.0: scikit-learn's default
/// <c>zero_division="warn"</c> returns 0.0 (and warns). Pass <see cref="double.NaN"/> or 1.0 for the other choices.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>The fraction of samples whose predicted label equals the true one (weighted by <paramref name="sampleWeight"/> when given).</summary>
    /// <exception cref="MetricInputException">When the lengths differ or the input is empty.</exception>
    public static double Accuracy(int[] yTrue, int[] yPred, double[]? sampleWeight = null)
    {
        CheckPair(yTrue, yPred);
        if (sampleWeight is not null) MetricInput.SameLength(yTrue.Length, sampleWeight.Length, "yTrue", "sampleWeight");
        double hit = 0, total = 0;
        for (int i = 0; i < yTrue.Length; i++)
        {
            double w = sampleWeight?[i] ?? 1.0;
            total += w;
            if (yTrue[i] == yPred[i]) hit += w;
        }
        return hit / total;
    }

    /// <summary>
    /// The confusion matrix C of shape (k, k): C[i, j] counts samples of true class labels[i] predicted as labels[j]
    /// (rows true, columns predicted, as scikit-learn). Labels default to the sorted union of both arrays.
    /// </summary>
    /// <exception cref="MetricInputException">When the lengths differ.</exception>
    public static long[,] ConfusionMatrix(int[] yTrue, int[] yPred, int[]? labels = null)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        MetricInput.SameLength(yTrue.Length, yPred.Length, "yTrue", "yPred");
        labels ??= MetricInput.UniqueLabels(yTrue, yPred);
        var index = new Dictionary<int, int>();
        for (int i = 0; i < labels.Length; i++)
            if (!index.TryAdd(labels[i], i))
                throw new MetricInputException($"labels contains {labels[i]} twice; pass each label once.");
        var c = new long[labels.Length, labels.Length];
        for (int s = 0; s < yTrue.Length; s++)
            if (index.TryGetValue(yTrue[s], out int i) && index.TryGetValue(yPred[s], out int j))
                c[i, j]++;
        return c;
    }

    /// <summary>The per-class counts (labels sorted; true positives, false positives, false negatives, support).</summary>
    public static ClassCounts Counts(int[] yTrue, int[] yPred)
    {
        CheckPair(yTrue, yPred);
        var labels = MetricInput.UniqueLabels(yTrue, yPred);
        var cm = ConfusionMatrix(yTrue, yPred, labels);
        int k = labels.Length;
        var tp = new long[k];
        var fp = new long[k];
        var fn = new long[k];
        var support = new long[k];
        for (int i = 0; i < k; i++)
        {
            tp[i] = cm[i, i];
            for (int j = 0; j < k; j++)
            {
                support[i] += cm[i, j];
                if (j != i) { fn[i] += cm[i, j]; fp[i] += cm[j, i]; }
            }
        }
        return new ClassCounts(labels, tp, fp, fn, support);
    }

    /// <summary>Precision per class (in the order of the sorted labels, see <see cref="Counts"/>).</summary>
    public static double[] PrecisionPerClass(int[] yTrue, int[] yPred, double zeroDivision = 0.0)
    {
        var c = Counts(yTrue, yPred);
        return [.. Enumerable.Range(0, c.Labels.Length).Select(i => Divide(c.TruePositives[i], c.TruePositives[i] + c.FalsePositives[i], zeroDivision))];
    }

    /// <summary>Recall per class (in the order of the sorted labels).</summary>
    public static double[] RecallPerClass(int[] yTrue, int[] yPred, double zeroDivision = 0.0)
    {
        var c = Counts(yTrue, yPred);
        return [.. Enumerable.Range(0, c.Labels.Length).Select(i => Divide(c.TruePositives[i], c.TruePositives[i] + c.FalseNegatives[i], zeroDivision))];
    }

    /// <summary>F1 per class (in the order of the sorted labels): 2·tp / (2·tp + fp + fn).</summary>
    public static double[] F1PerClass(int[] yTrue, int[] yPred, double zeroDivision = 0.0)
    {
        var c = Counts(yTrue, yPred);
        return [.. Enumerable.Range(0, c.Labels.Length).Select(i => F1(c, i, zeroDivision))];
    }

    /// <summary>Precision averaged as <paramref name="average"/> (for <see cref="Averaging.Binary"/>: of <paramref name="positiveLabel"/>).</summary>
    /// <exception cref="MetricInputException">When the lengths differ, or Binary is asked of more than two classes.</exception>
    public static double Precision(int[] yTrue, int[] yPred, Averaging average, int positiveLabel = 1, double zeroDivision = 0.0) =>
        Averaged(yTrue, yPred, average, positiveLabel, zeroDivision, (tp, fp, fn) => Divide(tp, tp + fp, zeroDivision));

    /// <summary>Recall averaged as <paramref name="average"/>.</summary>
    /// <exception cref="MetricInputException">When the lengths differ, or Binary is asked of more than two classes.</exception>
    public static double Recall(int[] yTrue, int[] yPred, Averaging average, int positiveLabel = 1, double zeroDivision = 0.0) =>
        Averaged(yTrue, yPred, average, positiveLabel, zeroDivision, (tp, fp, fn) => Divide(tp, tp + fn, zeroDivision));

    /// <summary>F1 averaged as <paramref name="average"/> (macro: the mean of per-class F1, not the F1 of mean precision and recall).</summary>
    /// <exception cref="MetricInputException">When the lengths differ, or Binary is asked of more than two classes.</exception>
    public static double F1Score(int[] yTrue, int[] yPred, Averaging average, int positiveLabel = 1, double zeroDivision = 0.0) =>
        Averaged(yTrue, yPred, average, positiveLabel, zeroDivision, (tp, fp, fn) => Divide(2 * tp, 2 * tp + fp + fn, zeroDivision));

    private static double Averaged(int[] yTrue, int[] yPred, Averaging average, int positiveLabel, double zeroDivision, Func<long, long, long, double> metric)
    {
        var c = Counts(yTrue, yPred);
        int k = c.Labels.Length;
        switch (average)
        {
            case Averaging.Binary:
                if (k > 2)
                    throw new MetricInputException($"Binary averaging needs at most two classes, but the labels are [{string.Join(", ", c.Labels)}]; choose Averaging.Macro, Micro or Weighted.");
                int p = Array.IndexOf(c.Labels, positiveLabel);
                if (p < 0)
                {
                    if (k == 2)
                        throw new MetricInputException($"The positive label {positiveLabel} is not among the labels [{string.Join(", ", c.Labels)}]; pass positiveLabel.");
                    return metric(0, 0, 0);
                }
                return metric(c.TruePositives[p], c.FalsePositives[p], c.FalseNegatives[p]);
            case Averaging.Micro:
                return metric(c.TruePositives.Sum(), c.FalsePositives.Sum(), c.FalseNegatives.Sum());
            case Averaging.Macro:
                return Enumerable.Range(0, k).Average(i => metric(c.TruePositives[i], c.FalsePositives[i], c.FalseNegatives[i]));
            case Averaging.Weighted:
                long total = c.Support.Sum();
                if (total == 0) return zeroDivision;
                double sum = 0;
                for (int i = 0; i < k; i++) sum += c.Support[i] * metric(c.TruePositives[i], c.FalsePositives[i], c.FalseNegatives[i]);
                return sum / total;
            default:
                throw new ArgumentOutOfRangeException(nameof(average), average, "Unknown averaging.");
        }
    }

    private static double F1(ClassCounts c, int i, double zeroDivision) =>
        Divide(2 * c.TruePositives[i], 2 * c.TruePositives[i] + c.FalsePositives[i] + c.FalseNegatives[i], zeroDivision);

    private static double Divide(long numerator, long denominator, double zeroDivision) =>
        denominator == 0 ? zeroDivision : (double)numerator / denominator;

    private static void CheckPair(int[] yTrue, int[] yPred)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        MetricInput.SameLength(yTrue.Length, yPred.Length, "yTrue", "yPred");
        MetricInput.NotEmpty(yTrue.Length, "yTrue");
    }
}

/// <summary>Per-class counts, aligned with the sorted <see cref="Labels"/>.</summary>
/// <param name="Labels">The classes, sorted.</param>
/// <param name="TruePositives">tp per class.</param>
/// <param name="FalsePositives">fp per class (predicted as the class, truly another).</param>
/// <param name="FalseNegatives">fn per class (truly the class, predicted as another).</param>
/// <param name="Support">The number of true samples per class.</param>
public sealed record ClassCounts(int[] Labels, long[] TruePositives, long[] FalsePositives, long[] FalseNegatives, long[] Support);
