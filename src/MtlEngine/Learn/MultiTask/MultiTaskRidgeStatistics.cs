using MtlEngine.Kernels;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// The sufficient statistics of a <see cref="MultiTaskRidge"/> fit, mergeable (see <see cref="IFitStatistics{TSelf}"/>): per
/// task t, the centred moments of [x y] — n_t, x̄_t, ȳ_t, G_t = X̃_tᵀX̃_t and c_t = X̃_tᵀỹ_t — which is all the block-arrow
/// normal equations of the one-shot fit read. Rows are added per task (<see cref="Add(int, MtlTensor{double}, MtlTensor{double})"/>);
/// merging merges task by task.
/// </summary>
public sealed class MultiTaskRidgeStatistics : IFitStatistics<MultiTaskRidgeStatistics>
{
    /// <summary>The kind in the binary format.</summary>
    public const string Kind = "multitask_ridge";

    private readonly CenteredMoments[] _tasks;

    /// <summary>Empty statistics for <paramref name="tasks"/> tasks of <paramref name="features"/> features each.</summary>
    /// <exception cref="LearnInputException">When d or T is below 1.</exception>
    public MultiTaskRidgeStatistics(int features, int tasks, Parallelism? parallelism = null)
    {
        if (features < 1 || tasks < 1)
            throw new LearnInputException($"MultiTaskRidge statistics need at least one feature and one task, but got {features} features and {tasks} tasks.");
        Features = features;
        Parallelism = parallelism;
        _tasks = [.. Enumerable.Range(0, tasks).Select(_ => new CenteredMoments(features + 1))];
    }

    private MultiTaskRidgeStatistics(int features, CenteredMoments[] tasks, Parallelism? parallelism)
    {
        Features = features;
        Parallelism = parallelism;
        _tasks = tasks;
    }

    /// <inheritdoc/>
    public int Features { get; }

    /// <summary>One target per task.</summary>
    public int Targets => 1;

    /// <summary>T, the number of tasks.</summary>
    public int Tasks => _tasks.Length;

    /// <summary>
    /// Threads for the SYRK of each added block, or null (the default) for all cores: <c>TensorParallelism.Current</c> of
    /// the thread that adds, read at each <c>Add</c> (see <see cref="MtlEngine.Parallelism"/>). Not saved; the statistics
    /// do not depend on it. The fit uses its options' <c>Parallelism</c>.
    /// </summary>
    public Parallelism? Parallelism { get; set; }

    /// <inheritdoc/>
    public long Rows => _tasks.Sum(t => t.Rows);

    /// <inheritdoc/>
    public double WeightSum => _tasks.Sum(t => t.WeightSum);

    /// <summary>The rows added to task <paramref name="task"/>.</summary>
    public long TaskRows(int task) => _tasks[CheckTask(task)].Rows;

    /// <summary>Adds rows of task <paramref name="task"/>: X (n, d) and y (n,) or (n, 1).</summary>
    /// <exception cref="LearnInputException">When the task is out of range, the shapes disagree or a value is not finite.</exception>
    public void Add(int task, MtlTensor<double> x, MtlTensor<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2 || y.Rank is not (1 or 2) || (y.Rank == 2 && y.Dim(1) != 1))
            throw new LearnInputException($"Task {task}: X must be (n, {Features}) and y (n,) or (n, 1), but they have shapes {MtlTensor<double>.ShapeText(x.Shape)} and {MtlTensor<double>.ShapeText(y.Shape)}.");
        Add(task, LearnInput.ElementSpan(x), LearnInput.ElementSpan(y));
    }

    /// <summary>Adds rows of task <paramref name="task"/>: X row-major (n·d values) and y (n values).</summary>
    public void Add(int task, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = StatisticsInput.Rows(x, Features, y, 1, []);
        _tasks[CheckTask(task)].Add(x, Features, y, 1, n, [], Parallelism ?? TensorParallelism.Current);
    }

    /// <summary>
    /// Not available without a task: the generic interface has no task index. Use <see cref="Add(int, ReadOnlySpan{double}, ReadOnlySpan{double})"/>
    /// (a cluster keeps one <see cref="RidgeStatistics"/> per task shard, or calls the task overload).
    /// </summary>
    /// <exception cref="LearnInputException">Always.</exception>
    void IFitStatistics<MultiTaskRidgeStatistics>.Add(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> sampleWeight) =>
        throw new LearnInputException("MultiTaskRidge statistics need the task of each block: call Add(task, x, y).");

    private int CheckTask(int task) => (uint)task < (uint)_tasks.Length
        ? task
        : throw new LearnInputException($"Task {task} is out of range for {_tasks.Length} tasks (0 to {_tasks.Length - 1}).");

    /// <inheritdoc/>
    public MultiTaskRidgeStatistics Merge(MultiTaskRidgeStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Features != Features || other.Tasks != Tasks)
            throw new LearnInputException($"Cannot merge MultiTaskRidge statistics of {other.Tasks} tasks × {other.Features} features into ones of {Tasks} tasks × {Features} features.");
        for (int t = 0; t < Tasks; t++) _tasks[t].Merge(other._tasks[t]);
        return this;
    }

    /// <inheritdoc/>
    public MultiTaskRidgeStatistics Copy() => new(Features, [.. _tasks.Select(t => t.Copy())], Parallelism);

    /// <summary>The model of <c>options.Fit(X_t, y_t)</c> on all rows of every task (to rounding).</summary>
    /// <exception cref="LearnInputException">When a task has no rows or a λ is not &gt; 0.</exception>
    public MultiTaskRidgeModel Fit(MultiTaskRidge options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.CheckPenalties();
        var tasks = new List<MultiTaskRidge.TaskData>(Tasks);
        for (int t = 0; t < Tasks; t++)
        {
            if (_tasks[t].Rows == 0)
                throw new LearnInputException($"Task {t} has no samples; every task needs at least one row.");
            var (gram, xty, xMean, yMean) = RidgeStatistics.NormalEquations(_tasks[t], Features, 1, options.FitIntercept);
            tasks.Add(new MultiTaskRidge.TaskData(xMean, yMean[0], gram, xty.Data));
        }
        return options.Fit(tasks);
    }

    /// <inheritdoc/>
    public void Save(Stream stream) => FitStatisticsFormat.Write(stream, Kind, writer =>
    {
        writer.Write(Features);
        writer.Write(Tasks);
        foreach (var task in _tasks) task.Write(writer);
    });

    /// <inheritdoc/>
    public static MultiTaskRidgeStatistics Load(Stream stream) => FitStatisticsFormat.Read(stream, Kind, reader =>
    {
        int d = reader.Count("the feature count", 1 << 16);
        int tasks = reader.Count("the task count", 1 << 16);
        if (d < 1 || tasks < 1) throw new Data.DataFormatException(reader.Source, $"{tasks} tasks of {d} features is not a MultiTaskRidge shape");
        return new MultiTaskRidgeStatistics(d, [.. Enumerable.Range(0, tasks).Select(_ => CenteredMoments.Read(reader, d + 1))], null);
    });
}
