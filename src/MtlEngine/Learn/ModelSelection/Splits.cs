using MtlEngine.Tensors.Random;

namespace MtlEngine.Learn.ModelSelection;

/// <summary>One split of sample indices into a training and a test part (both sorted ascending).</summary>
/// <param name="Train">The training rows.</param>
/// <param name="Test">The test rows.</param>
public sealed record SplitIndices(int[] Train, int[] Test);

/// <summary>
/// A seeded random train/test split, as scikit-learn's <c>train_test_split</c> in sizes: n_test = ⌈testSize·n⌉,
/// n_train = n − n_test. With <c>stratify</c> labels, each class contributes to the test set in proportion to its size
/// (largest-remainder rounding; scikit-learn's own rounding may differ by one sample per class). The permutation comes
/// from <see cref="TensorRandom"/>, so indices are reproducible here but not equal to NumPy's.
/// </summary>
public static class TrainTestSplit
{
    /// <summary>Splits n samples.</summary>
    /// <param name="samples">n, the number of samples.</param>
    /// <param name="testSize">The fraction in the test part, in (0, 1) (default 0.25).</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="stratify">Labels of length n to keep class proportions, or null.</param>
    /// <exception cref="LearnInputException">When the sizes leave a part empty, or stratify has the wrong length.</exception>
    public static SplitIndices Split(int samples, double testSize = 0.25, ulong seed = 0, int[]? stratify = null)
    {
        if (!(testSize > 0 && testSize < 1))
            throw new LearnInputException($"testSize must be in (0, 1), but is {testSize}.");
        int nTest = (int)Math.Ceiling(testSize * samples), nTrain = samples - nTest;
        if (nTest == 0 || nTrain == 0)
            throw new LearnInputException($"With {samples} samples and testSize {testSize} the split has {nTrain} training and {nTest} test samples; both must be at least 1.");
        var random = new TensorRandom(seed);
        if (stratify is null)
        {
            var order = random.Permutation(samples);
            return new SplitIndices(Sorted(order[nTest..]), Sorted(order[..nTest]));
        }
        if (stratify.Length != samples)
            throw new LearnInputException($"stratify has length {stratify.Length} but there are {samples} samples; pass one label per sample.");
        var classes = stratify.Distinct().Order().ToArray();
        var members = classes.Select(c => Enumerable.Range(0, samples).Where(i => stratify[i] == c).ToArray()).ToArray();
        // Largest remainder: floor of each class's share, then the leftover samples to the largest fractional parts.
        var share = members.Select(m => (double)m.Length * nTest / samples).ToArray();
        var take = share.Select(s => (int)Math.Floor(s)).ToArray();
        foreach (int c in Enumerable.Range(0, classes.Length).OrderByDescending(c => share[c] - take[c]).ThenBy(c => c).Take(nTest - take.Sum()))
            take[c]++;
        var train = new List<int>();
        var test = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            var perm = random.Permutation(members[c].Length);
            for (int r = 0; r < perm.Length; r++) (r < take[c] ? test : train).Add(members[c][perm[r]]);
        }
        return new SplitIndices(Sorted([.. train]), Sorted([.. test]));
    }

    internal static int[] Sorted(int[] indices)
    {
        Array.Sort(indices);
        return indices;
    }
}

/// <summary>
/// K-fold cross-validation, as scikit-learn's <c>KFold</c>: the (optionally shuffled) samples are cut into k consecutive
/// folds, the first n mod k of size ⌊n/k⌋ + 1, the rest ⌊n/k⌋; each fold is the test part once. Without shuffling the
/// folds equal scikit-learn's exactly.
/// </summary>
/// <param name="Splits">k, at least 2 (default 5).</param>
/// <param name="Shuffle">Permute the samples first (default false).</param>
/// <param name="Seed">The seed of the permutation.</param>
public sealed record KFold(int Splits = 5, bool Shuffle = false, ulong Seed = 0)
{
    /// <summary>The k splits of n samples.</summary>
    /// <exception cref="LearnInputException">When k &lt; 2 or k &gt; n.</exception>
    public IReadOnlyList<SplitIndices> Split(int samples)
    {
        if (Splits < 2 || Splits > samples)
            throw new LearnInputException($"KFold needs 2 ≤ Splits ≤ n_samples, but Splits = {Splits} and n_samples = {samples}.");
        var order = Shuffle ? new TensorRandom(Seed).Permutation(samples) : [.. Enumerable.Range(0, samples)];
        var result = new List<SplitIndices>(Splits);
        int start = 0;
        for (int f = 0; f < Splits; f++)
        {
            int size = samples / Splits + (f < samples % Splits ? 1 : 0);
            var test = order[start..(start + size)];
            var train = order[..start].Concat(order[(start + size)..]).ToArray();
            result.Add(new SplitIndices(TrainTestSplit.Sorted(train), TrainTestSplit.Sorted(test)));
            start += size;
        }
        return result;
    }
}

/// <summary>
/// Stratified K-fold, scikit-learn's <c>StratifiedKFold</c> algorithm: classes are numbered in order of first
/// appearance; the labels sorted by that number are dealt round-robin to the k folds (fold f gets sorted positions
/// f, f + k, …), which fixes how many samples of each class each fold receives; the samples of each class are then
/// assigned to folds in order (shuffled first when asked). Without shuffling the folds equal scikit-learn's exactly.
/// </summary>
/// <param name="Splits">k, at least 2 (default 5).</param>
/// <param name="Shuffle">Shuffle within each class first (default false).</param>
/// <param name="Seed">The seed of the shuffles.</param>
public sealed record StratifiedKFold(int Splits = 5, bool Shuffle = false, ulong Seed = 0)
{
    /// <summary>The k splits for labels y.</summary>
    /// <exception cref="LearnInputException">When k &lt; 2 or every class has fewer than k members.</exception>
    public IReadOnlyList<SplitIndices> Split(int[] y)
    {
        ArgumentNullException.ThrowIfNull(y);
        int n = y.Length;
        var firstSeen = new Dictionary<int, int>();
        var encoded = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (!firstSeen.TryGetValue(y[i], out int code)) firstSeen[y[i]] = code = firstSeen.Count;
            encoded[i] = code;
        }
        int classes = firstSeen.Count;
        var counts = new int[classes];
        foreach (int c in encoded) counts[c]++;
        if (Splits < 2 || counts.All(c => c < Splits))
            throw new LearnInputException($"StratifiedKFold needs Splits ≥ 2 and at least one class with ≥ Splits members, but Splits = {Splits} and the class sizes are [{string.Join(", ", counts)}].");
        // allocation[f, c] = how many of class c fold f receives: deal the sorted codes round-robin.
        var sortedCodes = encoded.Order().ToArray();
        var allocation = new int[Splits, classes];
        for (int r = 0; r < n; r++) allocation[r % Splits, sortedCodes[r]]++;
        var fold = new int[n];
        var random = new TensorRandom(Seed);
        for (int c = 0; c < classes; c++)
        {
            var foldsOfClass = new List<int>();
            for (int f = 0; f < Splits; f++) foldsOfClass.AddRange(Enumerable.Repeat(f, allocation[f, c]));
            if (Shuffle)
            {
                var perm = random.Permutation(foldsOfClass.Count);
                foldsOfClass = [.. perm.Select(p => foldsOfClass[p])];
            }
            int k = 0;
            for (int i = 0; i < n; i++)
                if (encoded[i] == c) fold[i] = foldsOfClass[k++];
        }
        var result = new List<SplitIndices>(Splits);
        for (int f = 0; f < Splits; f++)
            result.Add(new SplitIndices(
                [.. Enumerable.Range(0, n).Where(i => fold[i] != f)],
                [.. Enumerable.Range(0, n).Where(i => fold[i] == f)]));
        return result;
    }
}
