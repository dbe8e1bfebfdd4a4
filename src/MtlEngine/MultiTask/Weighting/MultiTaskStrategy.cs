using System.Numerics;
using MtlEngine.Data;
using MtlEngine.LinearAlgebra;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// The common part of every multi-task training strategy of this folder: the per-epoch record of the task weights (the
/// mean over the epoch's steps) and of the gradient-conflict matrix (the cosines between the task gradients, averaged
/// over the epoch's steps). Strategies that build the Jacobian of the task losses anyway (gradient aggregation, DB-MTL)
/// record the conflict for free; loss-weighting strategies record it only when asked (<c>recordConflict</c>), since it
/// costs T extra backward passes a step.
/// </summary>
/// <remarks>
/// <see cref="TaskWeights"/> and <see cref="GradientConflict"/> read, while an epoch runs, the means over its steps so
/// far; after <see cref="OnEpochEnd"/>, the finished epoch's until the next step. The <see cref="Trainer{T}"/> copies
/// both into each <see cref="EpochReport"/>.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public abstract class MultiTaskStrategy<T> : ITrainingStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _weightSums;
    private readonly double[] _conflictSums;
    private int _weightSteps;
    private int _conflictSteps;
    private Dictionary<string, double> _epochWeights = [];
    private double[][]? _epochConflict;
    private bool _conflictRecorded;

    /// <summary>Sets up the record for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="recordConflict">Compute the gradient-conflict matrix each step even when the strategy needs no Jacobian
    /// (T extra backward passes over the shared parameters).</param>
    /// <exception cref="ArgumentException">When there are no tasks.</exception>
    protected MultiTaskStrategy(IReadOnlyList<TaskSpec> tasks, bool recordConflict)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0) throw new ArgumentException("A multi-task strategy needs at least one task.", nameof(tasks));
        TaskNames = tasks.Select(t => t.Name).ToArray();
        RecordsConflict = recordConflict;
        _weightSums = new double[tasks.Count];
        _conflictSums = new double[tasks.Count * tasks.Count];
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The task names, in the order of every per-task array of this strategy.</summary>
    public IReadOnlyList<string> TaskNames { get; }

    /// <summary>The number of tasks T.</summary>
    public int TaskCount => TaskNames.Count;

    /// <summary>Whether the gradient-conflict matrix is computed every step.</summary>
    public bool RecordsConflict { get; }

    /// <summary>True for strategies that build the Jacobian of the task losses every step and so record the conflict for free.</summary>
    protected virtual bool HasJacobian => false;

    /// <summary>The task weights of the last step (one per task), or empty before the first step or when the strategy does not weight tasks.</summary>
    public IReadOnlyList<double> LastWeights { get; private set; } = [];

    /// <summary>The mean task weights over the current epoch's steps (the finished epoch's right after <see cref="OnEpochEnd"/>).</summary>
    public IReadOnlyDictionary<string, double> TaskWeights => _weightSteps == 0 ? _epochWeights : MeanWeights();

    /// <summary>
    /// The mean over the current epoch's steps of the cosines cos(gᵢ, gⱼ) = ⟨gᵢ, gⱼ⟩/(‖gᵢ‖‖gⱼ‖) between the task
    /// gradients (on the shared parameters, or on the shared representation in <c>rep_grad</c> mode), T × T in task
    /// order; null when not recorded. A task with a zero gradient has cosine 0 with every other task.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>>? GradientConflict => _conflictSteps == 0 ? _epochConflict : MeanConflict();

    /// <inheritdoc />
    public void Backward(TrainingStep<T> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.TaskLosses.Count != TaskCount || !TaskNames.SequenceEqual(step.TaskLosses.Keys))
            throw new ArgumentException($"The strategy was built for the tasks [{string.Join(", ", TaskNames)}], but the step has [{string.Join(", ", step.TaskLosses.Keys)}].", nameof(step));
        _conflictRecorded = false;
        if (RecordsConflict && !HasJacobian)
        {
            var shared = step.Model.SharedParameters().Select(p => p.Value).ToList();
            RecordConflict(TaskJacobian.Flatten(step.TaskGradients(shared), shared.Count));
        }
        BackwardCore(step);
    }

    /// <summary>Fills the parameters' gradients for this step (zero on entry); calls <see cref="RecordWeights"/> with the weights it used.</summary>
    protected abstract void BackwardCore(TrainingStep<T> step);

    /// <summary>Records this step's task weights (one per task, in task order).</summary>
    protected void RecordWeights(ReadOnlySpan<double> weights)
    {
        if (weights.Length != TaskCount) throw new ArgumentException($"There are {weights.Length} weights for {TaskCount} tasks.", nameof(weights));
        for (int t = 0; t < weights.Length; t++) _weightSums[t] += weights[t];
        _weightSteps++;
        LastWeights = weights.ToArray();
    }

    /// <summary>Records the cosines between the rows of this step's Jacobian (once a step; a second call is ignored).</summary>
    protected void RecordConflict(DenseMatrix jacobian)
    {
        ArgumentNullException.ThrowIfNull(jacobian);
        if (_conflictRecorded) return;
        _conflictRecorded = true;
        var cosines = TaskJacobian.Cosines(jacobian);
        for (int i = 0; i < _conflictSums.Length; i++) _conflictSums[i] += cosines.Data[i];
        _conflictSteps++;
    }

    /// <inheritdoc />
    public void OnEpochEnd(EpochReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (_weightSteps > 0) _epochWeights = MeanWeights();
        _epochConflict = _conflictSteps > 0 ? MeanConflict() : null;
        Array.Clear(_weightSums);
        Array.Clear(_conflictSums);
        _weightSteps = 0;
        _conflictSteps = 0;
        OnEpochEndCore(report);
    }

    /// <summary>What the strategy learns between epochs (DWA: the loss history); nothing by default.</summary>
    protected virtual void OnEpochEndCore(EpochReport report) { }

    /// <inheritdoc />
    public virtual void AfterOptimizerStep(TrainingStep<T> step) { }

    /// <summary>
    /// The epoch record (the sums of the weights and cosines so far, the last epoch's means, the last weights) under
    /// <c>record.</c>, and what the strategy itself learned (<see cref="SaveState"/>), as 1-D float64 arrays.
    /// </summary>
    public IReadOnlyList<NdArray> StateDict()
    {
        var state = new StrategyState();
        state.Put("record.weight_sums", _weightSums);
        state.Put("record.conflict_sums", _conflictSums);
        state.Put("record.steps", [_weightSteps, _conflictSteps, 1]); // the 1 keeps the entry when both counts are 0
        state.Put("record.epoch_weights", _epochWeights.Count == 0 ? [] : TaskNames.Select(n => _epochWeights[n]).ToArray());
        state.Put("record.epoch_conflict", _epochConflict is null ? [] : _epochConflict.SelectMany(r => r).ToArray());
        state.Put("record.last_weights", LastWeights.ToArray());
        SaveState(state);
        return state.Entries.Select(e => NdArray.Create(e.Key, e.Value, e.Value.Length)).ToList();
    }

    /// <summary>Restores what <see cref="StateDict"/> wrote: the epoch record and the strategy's own state.</summary>
    /// <exception cref="ArgumentException">When an entry is missing or of the wrong size (another strategy's or task count's state).</exception>
    public void LoadStateDict(IReadOnlyList<NdArray> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var entries = new StrategyState(state.ToDictionary(a => a.Name, a => a.ToDoubleArray()));
        var weightSums = entries.Get("record.weight_sums", TaskCount);
        var conflictSums = entries.Optional("record.conflict_sums") ?? new double[_conflictSums.Length];
        if (conflictSums.Length != _conflictSums.Length)
            throw new ArgumentException($"The strategy state's entry \"record.conflict_sums\" holds {conflictSums.Length} values, but {_conflictSums.Length} are needed.");
        var steps = entries.Get("record.steps", 3);
        var epochWeights = entries.Optional("record.epoch_weights");
        var epochConflict = entries.Optional("record.epoch_conflict");
        var lastWeights = entries.Optional("record.last_weights");
        if (epochWeights is not null && epochWeights.Length != TaskCount || epochConflict is not null && epochConflict.Length != TaskCount * TaskCount
            || lastWeights is not null && lastWeights.Length != TaskCount)
            throw new ArgumentException($"The strategy state's record is not for {TaskCount} tasks.");
        LoadState(entries);
        weightSums.CopyTo(_weightSums, 0);
        conflictSums.CopyTo(_conflictSums, 0);
        _weightSteps = checked((int)steps[0]);
        _conflictSteps = checked((int)steps[1]);
        _epochWeights = epochWeights is null ? [] : ByTask(epochWeights);
        _epochConflict = epochConflict is null ? null
            : Enumerable.Range(0, TaskCount).Select(i => epochConflict.AsSpan(i * TaskCount, TaskCount).ToArray()).ToArray();
        LastWeights = lastWeights ?? [];
    }

    /// <summary>Writes what the strategy has learned (learned weights and their Adam moments, histories, buffers, random positions); nothing by default.</summary>
    protected virtual void SaveState(StrategyState state) { }

    /// <summary>Restores what <see cref="SaveState"/> wrote; nothing by default.</summary>
    /// <exception cref="ArgumentException">When an entry is missing or of the wrong size.</exception>
    protected virtual void LoadState(StrategyState state) { }

    /// <summary>Each task's loss on the step, as doubles in task order.</summary>
    protected static double[] LossValues(TrainingStep<T> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step.TaskLosses.Values.Select(l => double.CreateChecked(l.Item())).ToArray();
    }

    /// <summary>The weights as the dictionary <see cref="TrainingStep{T}.WeightedLoss"/> takes.</summary>
    protected Dictionary<string, double> ByTask(ReadOnlySpan<double> weights)
    {
        var result = new Dictionary<string, double>(TaskCount);
        for (int t = 0; t < TaskCount; t++) result[TaskNames[t]] = weights[t];
        return result;
    }

    /// <summary>One backward pass of Σ wₜ·lossₜ, recording w as the step's weights.</summary>
    protected void BackwardWeighted(TrainingStep<T> step, double[] weights)
    {
        ArgumentNullException.ThrowIfNull(step);
        RecordWeights(weights);
        step.Backward(step.WeightedLoss(ByTask(weights)));
    }

    private Dictionary<string, double> MeanWeights()
    {
        var result = new Dictionary<string, double>(TaskCount);
        for (int t = 0; t < TaskCount; t++) result[TaskNames[t]] = _weightSums[t] / _weightSteps;
        return result;
    }

    private double[][] MeanConflict()
    {
        var result = new double[TaskCount][];
        for (int i = 0; i < TaskCount; i++)
        {
            result[i] = new double[TaskCount];
            for (int j = 0; j < TaskCount; j++) result[i][j] = _conflictSums[i * TaskCount + j] / _conflictSteps;
        }
        return result;
    }
}
