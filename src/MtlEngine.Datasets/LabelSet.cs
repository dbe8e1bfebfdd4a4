namespace MtlEngine.Datasets;

/// <summary>
/// One classification task over a data set's samples: a label per sample (0 .. <see cref="ClassCount"/> − 1)
/// and the name of each class. A data set with several label sets is a multi-task data set.
/// </summary>
public sealed class LabelSet
{
    /// <summary>Creates a label set after checking that every label names a class.</summary>
    /// <param name="task">The task's name (for example "digit" or "parity").</param>
    /// <param name="labels">One class index per sample, of shape (n_samples,). Not copied.</param>
    /// <param name="classNames">The class names, indexed by label.</param>
    /// <exception cref="ArgumentException">When a label is outside [0, class count).</exception>
    public LabelSet(string task, int[] labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException(
                    $"Label set '{task}': sample {i} has label {labels[i]}, outside [0, {classNames.Count}) for {classNames.Count} class names.",
                    nameof(labels));
        }
        Task = task;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>The task's name.</summary>
    public string Task { get; }

    /// <summary>One class index per sample, of shape (n_samples,).</summary>
    public int[] Labels { get; }

    /// <summary>The class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>How many samples each class has, indexed by label.</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }
}
