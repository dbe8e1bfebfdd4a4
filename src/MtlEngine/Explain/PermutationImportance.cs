using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Explain;

/// <summary>The importance of each feature: the mean and standard deviation over repeats of the score drop.</summary>
/// <param name="BaselineScore">The score on the unpermuted data.</param>
/// <param name="Mean">Per feature: mean over repeats of (baseline score − score with that column shuffled).</param>
/// <param name="StandardDeviation">Per feature: the standard deviation of that drop over repeats.</param>
public sealed record FeatureImportance(double BaselineScore, double[] Mean, double[] StandardDeviation);

/// <summary>
/// Permutation feature importance (Breiman 2001; scikit-learn's <c>permutation_importance</c>): shuffle one column
/// at a time, with a seeded permutation, and measure how much a score (higher is better) drops. Works for any
/// fitted model, since it only calls <c>score</c>.
/// </summary>
public static class PermutationImportance
{
    /// <summary>Computes the importances.</summary>
    /// <param name="score">The model's score on a feature matrix (accuracy, R², −loss, ...), higher is better.</param>
    /// <param name="features">The evaluation data, shape (n, features).</param>
    /// <param name="repeats">Shuffles per feature.</param>
    /// <param name="seed">Seeds the permutations.</param>
    /// <exception cref="ArgumentException">When the features are not a matrix.</exception>
    public static FeatureImportance Compute<T>(Func<MtlTensor<T>, double> score, MtlTensor<T> features, int repeats = 5, ulong seed = 0)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        if (features.Rank != 2)
            throw new ArgumentException($"Permutation importance needs a (samples, features) matrix, but got shape {MtlTensor<T>.ShapeText(features.Shape)}.");
        int n = features.Shape[0], d = features.Shape[1];
        var original = features.Contiguous().ToArray();
        double baseline = score(MtlTensor.FromArray((T[])original.Clone(), n, d));
        var random = new TensorRandom(seed);
        var mean = new double[d];
        var std = new double[d];
        var work = new T[original.Length];
        var drops = new double[repeats];
        for (int j = 0; j < d; j++)
        {
            for (int r = 0; r < repeats; r++)
            {
                Array.Copy(original, work, original.Length);
                int[] permutation = random.Permutation(n);
                for (int i = 0; i < n; i++) work[i * d + j] = original[permutation[i] * d + j];
                drops[r] = baseline - score(MtlTensor.FromArray((T[])work.Clone(), n, d));
            }
            mean[j] = drops.Average();
            std[j] = Math.Sqrt(drops.Sum(v => (v - mean[j]) * (v - mean[j])) / repeats);
        }
        return new FeatureImportance(baseline, mean, std);
    }
}
