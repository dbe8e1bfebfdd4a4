using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// One named input of a batch: dense values (features, pictures, precomputed embeddings) or integer indices (token
/// ids), with an optional per-sample presence mask for inputs that are missing for some samples.
/// </summary>
/// <typeparam name="T">The element type of dense values and of the mask.</typeparam>
public sealed class BatchInput<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private BatchInput(MtlTensor<T>? values, MtlTensor<int>? indices, MtlTensor<T>? present)
    {
        Values = values;
        Indices = indices;
        int count = (values?.Rank ?? indices!.Rank) == 0
            ? throw new ArgumentException("A batch input needs a first (sample) axis, but got a 0-d tensor.")
            : values?.Shape[0] ?? indices!.Shape[0];
        if (present is not null && (present.Rank != 1 || present.Shape[0] != count))
            throw new ArgumentException($"The presence mask of a batch input has shape {MtlTensor<T>.ShapeText(present.Shape)}; it must be ({count},), one 0/1 value per sample.");
        Count = count;
        Present = present;
    }

    /// <summary>Dense values of shape (n, ...).</summary>
    /// <param name="values">The values; the first axis is the sample axis.</param>
    /// <param name="present">Optional mask of shape (n,): 1 where the sample has this input, 0 where it is missing.</param>
    public static BatchInput<T> Dense(MtlTensor<T> values, MtlTensor<T>? present = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new BatchInput<T>(values, null, present);
    }

    /// <summary>Integer indices (token ids, category codes) of shape (n, ...).</summary>
    /// <param name="indices">The indices; the first axis is the sample axis.</param>
    /// <param name="present">Optional mask of shape (n,): 1 where the sample has this input, 0 where it is missing.</param>
    public static BatchInput<T> Index(MtlTensor<int> indices, MtlTensor<T>? present = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return new BatchInput<T>(null, indices, present);
    }

    /// <summary>The dense values, or null for an index input.</summary>
    public MtlTensor<T>? Values { get; }

    /// <summary>The indices, or null for a dense input.</summary>
    public MtlTensor<int>? Indices { get; }

    /// <summary>The presence mask of shape (n,) (1 present, 0 missing), or null when every sample has this input.</summary>
    public MtlTensor<T>? Present { get; }

    /// <summary>n, the number of samples.</summary>
    public int Count { get; }

    /// <summary>The dense values, or a clear error for an index input.</summary>
    /// <exception cref="InvalidOperationException">When the input holds indices.</exception>
    public MtlTensor<T> RequireValues(string name) => Values
        ?? throw new InvalidOperationException($"Input \"{name}\" holds integer indices, but this encoder needs dense values; use an embedding encoder for it.");

    /// <summary>The indices, or a clear error for a dense input.</summary>
    /// <exception cref="InvalidOperationException">When the input holds dense values.</exception>
    public MtlTensor<int> RequireIndices(string name) => Indices
        ?? throw new InvalidOperationException($"Input \"{name}\" holds dense values, but this encoder needs integer indices.");
}

/// <summary>
/// The targets of one task for the samples of a batch: class labels (negative = missing) for classification, or values
/// of shape (n, outputs) with a 0/1 mask of the same shape (0 where the value is missing) for binary and regression tasks.
/// </summary>
/// <typeparam name="T">The element type of values and mask.</typeparam>
public sealed class BatchTarget<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private BatchTarget(int[]? labels, MtlTensor<T>? values, MtlTensor<T>? mask)
    {
        Labels = labels;
        Values = values;
        Mask = mask;
    }

    /// <summary>Class indices, one per sample; a negative label marks a missing label.</summary>
    public static BatchTarget<T> FromLabels(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return new BatchTarget<T>(labels, null, null);
    }

    /// <summary>Values of shape (n, outputs) and their 0/1 mask of the same shape (0 = missing).</summary>
    /// <exception cref="ArgumentException">When the shapes differ or the values are not 2-d.</exception>
    public static BatchTarget<T> FromValues(MtlTensor<T> values, MtlTensor<T> mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        if (values.Rank != 2 || !values.Shape.SequenceEqual(mask.Shape))
            throw new ArgumentException($"Task values need shape (n, outputs) and a mask of the same shape, but got {MtlTensor<T>.ShapeText(values.Shape)} and {MtlTensor<T>.ShapeText(mask.Shape)}.");
        return new BatchTarget<T>(null, values, mask);
    }

    /// <summary>The labels of a classification task, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>The values of a binary or regression task, shape (n, outputs), or null.</summary>
    public MtlTensor<T>? Values { get; }

    /// <summary>1 where <see cref="Values"/> holds a label, 0 where it is missing; shape of <see cref="Values"/>.</summary>
    public MtlTensor<T>? Mask { get; }

    /// <summary>n, the number of samples.</summary>
    public int Count => Labels?.Length ?? Values!.Shape[0];

    /// <summary>How many samples have at least one label for this task.</summary>
    public int LabelledCount
    {
        get
        {
            if (Labels is not null) return Labels.Count(l => l >= 0);
            var mask = Mask!.Contiguous().ToArray();
            int outputs = Mask.Shape[1], count = 0;
            for (int i = 0; i < Count; i++)
                for (int j = 0; j < outputs; j++)
                    if (mask[i * outputs + j] != T.Zero) { count++; break; }
            return count;
        }
    }
}

/// <summary>
/// A batch for a model with several inputs and tasks: named inputs (each with its per-sample presence mask) and,
/// for training and evaluation, named targets (with missing labels marked). Every input and target has the same
/// number of samples.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class Batch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the batch and checks that every entry has the same number of samples.</summary>
    /// <param name="inputs">The inputs by name.</param>
    /// <param name="targets">The targets by task name (empty for prediction).</param>
    /// <exception cref="ArgumentException">When there is no input or the sample counts differ.</exception>
    public Batch(IReadOnlyDictionary<string, BatchInput<T>> inputs, IReadOnlyDictionary<string, BatchTarget<T>>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("A batch needs at least one input.", nameof(inputs));
        Inputs = inputs;
        Targets = targets ?? new Dictionary<string, BatchTarget<T>>();
        Count = inputs.Values.First().Count;
        foreach (var (name, input) in inputs)
            if (input.Count != Count)
                throw new ArgumentException($"Input \"{name}\" has {input.Count} samples but another input has {Count}; every input of a batch has the same samples.");
        foreach (var (name, target) in Targets)
            if (target.Count != Count)
                throw new ArgumentException($"The targets of task \"{name}\" cover {target.Count} samples but the inputs {Count}.");
    }

    /// <summary>A batch of one dense input named <paramref name="name"/> (no targets).</summary>
    public static Batch<T> Of(string name, MtlTensor<T> values) => new(new Dictionary<string, BatchInput<T>> { [name] = BatchInput<T>.Dense(values) });

    /// <summary>The inputs by name.</summary>
    public IReadOnlyDictionary<string, BatchInput<T>> Inputs { get; }

    /// <summary>The targets by task name.</summary>
    public IReadOnlyDictionary<string, BatchTarget<T>> Targets { get; }

    /// <summary>n, the number of samples.</summary>
    public int Count { get; }

    /// <summary>The input named <paramref name="name"/>, or an error that lists the batch's inputs.</summary>
    /// <exception cref="KeyNotFoundException">When the batch has no such input.</exception>
    public BatchInput<T> Input(string name) => Inputs.TryGetValue(name, out var input)
        ? input
        : throw new KeyNotFoundException($"The batch has no input \"{name}\"; it has [{string.Join(", ", Inputs.Keys)}].");

    /// <summary>The targets of task <paramref name="task"/>, or an error that lists the batch's tasks.</summary>
    /// <exception cref="KeyNotFoundException">When the batch has no targets for that task.</exception>
    public BatchTarget<T> Target(string task) => Targets.TryGetValue(task, out var target)
        ? target
        : throw new KeyNotFoundException($"The batch has no targets for task \"{task}\"; it has [{string.Join(", ", Targets.Keys)}].");
}
