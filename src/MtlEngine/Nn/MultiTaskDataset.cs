using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Samples with several named inputs and several tasks' targets, held in host memory, from which the
/// <see cref="Trainer{T}"/> gathers batches by row. Inputs are dense (n, ...) arrays or integer index arrays
/// (n, ...), each with an optional per-sample presence mask; targets are class labels (negative = missing) or
/// values (n, outputs) with NaN marking a missing value. The first axis of every array is the sample axis.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class MultiTaskDataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, Column> _inputs = [];
    private readonly Dictionary<string, Column> _targets = [];

    /// <summary>A data set of <paramref name="count"/> samples, to be filled with <see cref="AddInput"/> and the target methods.</summary>
    public MultiTaskDataset(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
    }

    /// <summary>n, the number of samples.</summary>
    public int Count { get; }

    /// <summary>The input names, in the order they were added.</summary>
    public IReadOnlyList<string> InputNames => [.. _inputs.Keys];

    /// <summary>The task names with targets, in the order they were added.</summary>
    public IReadOnlyList<string> TaskNames => [.. _targets.Keys];

    /// <summary>Adds a dense input: <paramref name="values"/> of shape (n, ...), row-major.</summary>
    /// <param name="name">The input's name.</param>
    /// <param name="values">The values.</param>
    /// <param name="shape">The shape, first axis n.</param>
    /// <param name="present">Optional presence per sample (false = missing for that sample).</param>
    /// <exception cref="ArgumentException">When the name is taken or the shapes do not match.</exception>
    public MultiTaskDataset<T> AddInput(string name, T[] values, int[] shape, bool[]? present = null)
    {
        _inputs.Add(CheckName(name, _inputs, "input"), new Column(CheckShape(name, values, shape), shape, CheckPresent(name, present)));
        return this;
    }

    /// <summary>Adds an index input (token ids, codes): <paramref name="indices"/> of shape (n, ...), row-major.</summary>
    /// <inheritdoc cref="AddInput"/>
    public MultiTaskDataset<T> AddIndexInput(string name, int[] indices, int[] shape, bool[]? present = null)
    {
        _inputs.Add(CheckName(name, _inputs, "input"), new Column(CheckShape(name, indices, shape), shape, CheckPresent(name, present)));
        return this;
    }

    /// <summary>Adds class labels for task <paramref name="task"/>, one per sample; a negative label is missing.</summary>
    /// <exception cref="ArgumentException">When the task already has targets or the length is not n.</exception>
    public MultiTaskDataset<T> AddLabels(string task, int[] labels)
    {
        _targets.Add(CheckName(task, _targets, "task"), new Column(CheckShape(task, labels, [Count]), [Count], null));
        return this;
    }

    /// <summary>Adds values (n, outputs), row-major, for a binary or regression task; NaN marks a missing value.</summary>
    /// <exception cref="ArgumentException">When the task already has targets or the length is not n × outputs.</exception>
    public MultiTaskDataset<T> AddValues(string task, T[] values, int outputs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        _targets.Add(CheckName(task, _targets, "task"), new Column(CheckShape(task, values, [Count, outputs]), [Count, outputs], null));
        return this;
    }

    /// <summary>The presence of input <paramref name="name"/> per sample (a copy; false = missing), or null when every sample has it.</summary>
    /// <exception cref="KeyNotFoundException">When there is no such input.</exception>
    public bool[]? Presence(string name) => (bool[]?)Input(name).Present?.Clone();

    /// <summary>
    /// A data set that shares every array with this one except the presence mask of input <paramref name="name"/>, which is
    /// <paramref name="present"/> (for evaluating a model with an input made missing, e.g. a robustness curve).
    /// </summary>
    /// <exception cref="KeyNotFoundException">When there is no such input.</exception>
    /// <exception cref="ArgumentException">When the mask does not have one entry per sample.</exception>
    public MultiTaskDataset<T> WithPresence(string name, bool[] present)
    {
        ArgumentNullException.ThrowIfNull(present);
        _ = Input(name); // checks the name
        var result = new MultiTaskDataset<T>(Count);
        foreach (var (key, value) in _inputs) result._inputs[key] = key == name ? value with { Present = CheckPresent(name, (bool[])present.Clone()) } : value;
        foreach (var (key, value) in _targets) result._targets[key] = value;
        return result;
    }

    private Column Input(string name) => _inputs.TryGetValue(name, out var column)
        ? column
        : throw new KeyNotFoundException($"The data set has no input \"{name}\"; it has [{string.Join(", ", _inputs.Keys)}].");

    /// <summary>Whether task <paramref name="task"/> has labels (classification) rather than values.</summary>
    public bool HasLabels(string task) => Target(task).Data is int[];

    /// <summary>The labels of task <paramref name="task"/> (a classification task), all samples.</summary>
    public int[] Labels(string task) => Target(task).Data as int[]
        ?? throw new InvalidOperationException($"Task \"{task}\" has values, not class labels.");

    /// <summary>The values of task <paramref name="task"/> (n × outputs, row-major), all samples, and the number of outputs.</summary>
    public (T[] Values, int Outputs) Values(string task)
    {
        var column = Target(task);
        return column.Data is T[] values ? (values, column.Shape[1]) : throw new InvalidOperationException($"Task \"{task}\" has class labels, not values.");
    }

    /// <summary>The samples <paramref name="rows"/> as a batch (inputs, masks and targets gathered in that order).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a row is outside [0, n).</exception>
    public Batch<T> Batch(ReadOnlySpan<int> rows) => Gather(rows, inStep: false);

    /// <summary>
    /// As <see cref="Batch"/>, but the dense inputs are gathered into tensors of the open <see cref="TensorArena"/> step
    /// (the trainer's): a loop of fixed batch sizes then reuses their buffers instead of allocating them every step. They
    /// follow the arena's lifetime rule (reading them after the next step begins throws), as every result of the step does.
    /// </summary>
    internal Batch<T> BatchInStep(ReadOnlySpan<int> rows) => Gather(rows, inStep: true);

    private Batch<T> Gather(ReadOnlySpan<int> rows, bool inStep)
    {
        var targets = Targets(rows); // checks the rows too
        var inputs = new Dictionary<string, BatchInput<T>>();
        foreach (var (name, column) in _inputs)
        {
            int[] shape = [rows.Length, .. column.Shape[1..]];
            var present = column.Present is null ? null : MtlTensor.FromArray(GatherPresent(column.Present, rows), rows.Length);
            inputs[name] = column.Data switch
            {
                T[] values when inStep => BatchInput<T>.Dense(GatherRowsInStep(values, column.RowLength, rows, shape), present),
                T[] values => BatchInput<T>.Dense(MtlTensor.FromArray(GatherRows(values, column.RowLength, rows), shape), present),
                int[] indices => BatchInput<T>.Index(MtlTensor.FromArray(GatherRows(indices, column.RowLength, rows), shape), present),
                _ => throw new InvalidOperationException("unreachable"),
            };
        }
        return new Batch<T>(inputs, targets);
    }

    /// <summary>Every task's targets for the samples <paramref name="rows"/> (no inputs: for scoring predictions made elsewhere).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a row is outside [0, n).</exception>
    public IReadOnlyDictionary<string, BatchTarget<T>> Targets(ReadOnlySpan<int> rows)
    {
        foreach (int row in rows)
            if ((uint)row >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"Row {row} is outside the data set's {Count} samples.");
        var targets = new Dictionary<string, BatchTarget<T>>();
        foreach (var (task, column) in _targets)
        {
            if (column.Data is int[] labels)
            {
                targets[task] = BatchTarget<T>.FromLabels(GatherRows(labels, 1, rows));
                continue;
            }
            int outputs = column.Shape[1];
            var values = GatherRows((T[])column.Data, outputs, rows);
            var mask = new T[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                bool present = !T.IsNaN(values[i]);
                mask[i] = present ? T.One : T.Zero;
                if (!present) values[i] = T.Zero;
            }
            targets[task] = BatchTarget<T>.FromValues(MtlTensor.FromArray(values, rows.Length, outputs), MtlTensor.FromArray(mask, rows.Length, outputs));
        }
        return targets;
    }

    private Column Target(string task) => _targets.TryGetValue(task, out var column)
        ? column
        : throw new KeyNotFoundException($"The data set has no targets for task \"{task}\"; it has [{string.Join(", ", _targets.Keys)}].");

    private static TElement[] GatherRows<TElement>(TElement[] data, int rowLength, ReadOnlySpan<int> rows)
    {
        var result = new TElement[rows.Length * rowLength];
        for (int r = 0; r < rows.Length; r++)
            Array.Copy(data, (long)rows[r] * rowLength, result, (long)r * rowLength, rowLength);
        return result;
    }

    /// <summary>The rows gathered as <see cref="GatherRows{TElement}"/> does, into a tensor from the open arena step (if any).</summary>
    private static MtlTensor<T> GatherRowsInStep(T[] data, int rowLength, ReadOnlySpan<int> rows, int[] shape)
    {
        var result = TensorOps.Uninitialized<T>(shape);
        var target = result.CpuStorage.Data;
        for (int r = 0; r < rows.Length; r++)
            Array.Copy(data, (long)rows[r] * rowLength, target, (long)r * rowLength, rowLength);
        return result;
    }

    private static T[] GatherPresent(bool[] present, ReadOnlySpan<int> rows)
    {
        var result = new T[rows.Length];
        for (int r = 0; r < rows.Length; r++) result[r] = present[rows[r]] ? T.One : T.Zero;
        return result;
    }

    private static string CheckName(string name, Dictionary<string, Column> taken, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (taken.ContainsKey(name)) throw new ArgumentException($"The data set already has an {what} named \"{name}\".", nameof(name));
        return name;
    }

    private TElement[] CheckShape<TElement>(string name, TElement[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape[0] != Count)
            throw new ArgumentException($"\"{name}\" has shape {MtlTensor<T>.ShapeText(shape)}; its first axis must be the data set's {Count} samples.");
        if (MtlTensor<T>.CheckedLength(shape) != data.Length)
            throw new ArgumentException($"\"{name}\" has {data.Length} values, not the {MtlTensor<T>.CheckedLength(shape)} of shape {MtlTensor<T>.ShapeText(shape)}.");
        return data;
    }

    private bool[]? CheckPresent(string name, bool[]? present)
    {
        if (present is not null && present.Length != Count)
            throw new ArgumentException($"The presence mask of \"{name}\" has {present.Length} entries, not one per sample ({Count}).");
        return present;
    }

    private sealed record Column(Array Data, int[] Shape, bool[]? Present)
    {
        public int RowLength => Shape.Length == 1 ? 1 : Data.Length / Math.Max(1, Shape[0]);
    }
}
