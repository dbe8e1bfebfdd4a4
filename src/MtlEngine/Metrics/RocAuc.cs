using MtlEngine.Tensors;

namespace MtlEngine.Metrics;

/// <summary>How one-vs-rest ROC AUC values of a multiclass problem are combined.</summary>
public enum RocAverage
{
    /// <summary>The unweighted mean over classes.</summary>
    Macro,
    /// <summary>The mean weighted by each class's prevalence in yTrue.</summary>
    Weighted,
}

/// <summary>
/// The area under the ROC curve, as scikit-learn's <c>roc_auc_score</c>. For scores s and a binary truth it equals the
/// Mann–Whitney statistic: the probability that a random positive scores above a random negative, ties counting ½:
/// <code>
/// AUC = (Σ_{positives} rank(sᵢ) − n₊(n₊ + 1)/2) / (n₊·n₋)      ranks 1..n, tied scores given their mean rank
/// </code>
/// which is exactly the trapezoidal area under the ROC curve that scikit-learn computes (a tie is a diagonal step).
/// The textbook twin <see cref="BinaryPairwise"/> counts the n₊·n₋ pairs.
/// </summary>
public static class RocAuc
{
    /// <summary>
    /// Binary ROC AUC: <paramref name="yTrue"/> holds two distinct labels, the greater one positive (0/1 or −1/1, as
    /// scikit-learn), <paramref name="scores"/> the score of the positive class.
    /// </summary>
    /// <exception cref="MetricInputException">When lengths differ or yTrue does not hold exactly two classes.</exception>
    public static double Binary(int[] yTrue, double[] scores)
    {
        var positive = PositiveMask(yTrue, scores);
        return FromMask(positive, scores);
    }

    /// <summary>The textbook twin of <see cref="Binary"/>: counts pairs (positive, negative), a tie counting ½ — O(n₊·n₋).</summary>
    public static double BinaryPairwise(int[] yTrue, double[] scores)
    {
        var positive = PositiveMask(yTrue, scores);
        double count = 0;
        long pairs = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (!positive[i]) continue;
            for (int j = 0; j < scores.Length; j++)
            {
                if (positive[j]) continue;
                pairs++;
                count += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return count / pairs;
    }

    /// <summary>
    /// One-vs-rest multiclass ROC AUC: <paramref name="scores"/> of shape (n_samples, n_classes), column c the score
    /// of the c-th class of the sorted labels of <paramref name="yTrue"/>; each class against the rest, then averaged.
    /// As in scikit-learn, the scores must be probabilities (each row sums to 1).
    /// </summary>
    /// <exception cref="MetricInputException">When shapes disagree, the number of columns is not the number of classes, or a row does not sum to 1.</exception>
    public static double OneVsRest(int[] yTrue, MtlTensor<double> scores, RocAverage average = RocAverage.Macro)
    {
        var perClass = OneVsRestPerClass(yTrue, scores);
        var labels = MetricInput.UniqueLabels(yTrue);
        if (average == RocAverage.Macro) return perClass.Average();
        double sum = 0;
        for (int c = 0; c < labels.Length; c++)
            sum += perClass[c] * yTrue.Count(y => y == labels[c]);
        return sum / yTrue.Length;
    }

    /// <summary>The one-vs-rest AUC of each class (sorted labels); the scores must be probabilities (rows summing to 1).</summary>
    /// <exception cref="MetricInputException">When shapes disagree, the number of columns is not the number of classes, or a row does not sum to 1.</exception>
    public static double[] OneVsRestPerClass(int[] yTrue, MtlTensor<double> scores)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        var (n, k, values) = MetricInput.Matrix(scores, "scores");
        MetricInput.SameLength(yTrue.Length, n, "yTrue", "scores (rows)");
        var labels = MetricInput.UniqueLabels(yTrue);
        if (labels.Length < 2)
            throw new MetricInputException($"ROC AUC needs samples of at least two classes in yTrue, but it holds only [{string.Join(", ", labels)}].");
        if (labels.Length != k)
            throw new MetricInputException($"scores has {k} columns but yTrue holds {labels.Length} classes [{string.Join(", ", labels)}]; pass one score column per class, in sorted label order.");
        // scikit-learn accepts only probabilities here (np.allclose(1, rowsum): |rowsum − 1| ≤ 1e-8 + 1e-5).
        for (int i = 0; i < n; i++)
        {
            double rowSum = 0;
            for (int c = 0; c < k; c++) rowSum += values[i * k + c];
            if (!(Math.Abs(rowSum - 1) <= 1e-8 + 1e-5))
                throw new MetricInputException($"One-vs-rest ROC AUC needs probabilities that sum to 1 over the classes, but row {i} sums to {rowSum}; pass predicted probabilities (for example a softmax), not raw scores.");
        }
        var result = new double[k];
        var column = new double[n];
        var mask = new bool[n];
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = values[i * k + c];
                mask[i] = yTrue[i] == labels[c];
            }
            result[c] = FromMask(mask, column);
        }
        return result;
    }

    private static bool[] PositiveMask(int[] yTrue, double[] scores)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(scores);
        MetricInput.SameLength(yTrue.Length, scores.Length, "yTrue", "scores");
        var labels = MetricInput.UniqueLabels(yTrue);
        if (labels.Length != 2)
            throw new MetricInputException($"Binary ROC AUC needs exactly two classes in yTrue, but it holds [{string.Join(", ", labels)}]; for more classes use RocAuc.OneVsRest.");
        return [.. yTrue.Select(y => y == labels[1])];
    }

    // Midranks: sort the scores, give each run of equal scores the mean of its ranks.
    private static double FromMask(bool[] positive, double[] scores)
    {
        int n = scores.Length;
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort((double[])scores.Clone(), order);
        double rankSum = 0;
        long nPositive = 0;
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && scores[order[end]] == scores[order[start]]) end++;
            double midrank = (start + 1 + end) / 2.0; // mean of ranks start+1 .. end
            for (int r = start; r < end; r++)
                if (positive[order[r]]) { rankSum += midrank; nPositive++; }
            start = end;
        }
        long nNegative = n - nPositive;
        if (nPositive == 0 || nNegative == 0)
            throw new MetricInputException("ROC AUC is undefined when only one class is present in yTrue.");
        return (rankSum - nPositive * (nPositive + 1) / 2.0) / ((double)nPositive * nNegative);
    }
}
