using MtlEngine.Tensors.Random;

namespace MtlEngine.Learn.ModelSelection;

/// <summary>Class weights aligned with sorted <see cref="Classes"/>.</summary>
/// <param name="Classes">The sorted classes.</param>
/// <param name="Weights">The weight of each class.</param>
public sealed record ClassWeightTable(int[] Classes, double[] Weights)
{
    /// <summary>The weight of one class.</summary>
    /// <exception cref="LearnInputException">When the class is unknown.</exception>
    public double For(int label)
    {
        int c = Array.BinarySearch(Classes, label);
        if (c < 0) throw new LearnInputException($"Class {label} has no weight; the classes are [{string.Join(", ", Classes)}].");
        return Weights[c];
    }

    /// <summary>One weight per sample: the weight of its class.</summary>
    public double[] SampleWeights(int[] labels) => [.. labels.Select(For)];
}

/// <summary>Weights that balance classes, as scikit-learn's <c>compute_class_weight("balanced")</c>.</summary>
public static class ClassWeights
{
    /// <summary>w_c = n_samples / (n_classes · count_c): every class then carries the same total weight n/k.</summary>
    /// <exception cref="LearnInputException">When labels is empty.</exception>
    public static ClassWeightTable Balanced(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length == 0) throw new LearnInputException("Class weights need at least one label.");
        var groups = labels.GroupBy(l => l).OrderBy(g => g.Key).ToArray();
        return new ClassWeightTable(
            [.. groups.Select(g => g.Key)],
            [.. groups.Select(g => (double)labels.Length / (groups.Length * g.Count()))]);
    }
}

/// <summary>
/// Class-balanced resampling for imbalanced data: returns row indices (sorted) to take from X and y.
/// Over-sampling keeps every sample and draws extra ones of each smaller class with replacement until it matches the
/// largest class; under-sampling draws, without replacement, as many of each class as the smallest class has.
/// </summary>
public static class ClassBalancedResampling
{
    /// <summary>Indices whose classes all have the size of the largest class.</summary>
    public static int[] OverSample(int[] labels, ulong seed = 0)
    {
        var members = Members(labels);
        int target = members.Max(m => m.Length);
        var random = new TensorRandom(seed);
        var result = new List<int>();
        foreach (var m in members)
        {
            result.AddRange(m);
            int extra = target - m.Length;
            if (extra == 0) continue;
            var draws = random.Integers(new[] { extra }, 0, m.Length).ToArray();
            result.AddRange(draws.Select(d => m[d]));
        }
        return TrainTestSplit.Sorted([.. result]);
    }

    /// <summary>Indices whose classes all have the size of the smallest class.</summary>
    public static int[] UnderSample(int[] labels, ulong seed = 0)
    {
        var members = Members(labels);
        int target = members.Min(m => m.Length);
        var random = new TensorRandom(seed);
        var result = new List<int>();
        foreach (var m in members)
            result.AddRange(random.Permutation(m.Length).Take(target).Select(p => m[p]));
        return TrainTestSplit.Sorted([.. result]);
    }

    private static int[][] Members(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length == 0) throw new LearnInputException("Resampling needs at least one label.");
        return [.. labels.Select((l, i) => (l, i)).GroupBy(p => p.l).OrderBy(g => g.Key).Select(g => g.Select(p => p.i).ToArray())];
    }
}
