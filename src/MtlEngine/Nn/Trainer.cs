using System.Diagnostics;
using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Data;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>A metric of one task: accuracy for classification and binary tasks, RMSE for regression.</summary>
public sealed record TaskMetric(string Task, string Metric, double Value);

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">The epoch (1-based).</param>
/// <param name="TrainLoss">The weighted training loss Σ wₜ·lossₜ, averaged over the epoch's batches.</param>
/// <param name="ValidationLoss">The weighted validation loss (the training loss when there are no validation rows).</param>
/// <param name="Validation">Each task's validation metric.</param>
/// <param name="TaskTrainLosses">Each task's training loss, averaged over the epoch's batches.</param>
/// <param name="TaskValidationLosses">Each task's validation loss (null without validation rows).</param>
/// <param name="TaskWeights">The task weights of the training strategy (empty when it does not weight tasks).</param>
/// <param name="Seconds">The wall time of the epoch's training steps (validation excluded).</param>
/// <param name="GradientConflict">The cosines between the task gradients (T × T, task order) averaged over the epoch's steps,
/// where the strategy records them (<see cref="ITrainingStrategy{T}.GradientConflict"/>); null otherwise.</param>
public sealed record EpochReport(int Epoch, double TrainLoss, double ValidationLoss, IReadOnlyList<TaskMetric> Validation,
    IReadOnlyDictionary<string, double>? TaskTrainLosses = null, IReadOnlyDictionary<string, double>? TaskValidationLosses = null,
    IReadOnlyDictionary<string, double>? TaskWeights = null, double Seconds = 0, IReadOnlyList<IReadOnlyList<double>>? GradientConflict = null);

/// <summary>The history of a training run; the model holds the weights of <paramref name="BestEpoch"/> when early stopping restored them.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochReport> History, int BestEpoch, bool StoppedEarly);

/// <summary>Early stopping: stop after <paramref name="Patience"/> epochs without a better validation metric, and restore the best weights.</summary>
/// <param name="Metric"><c>loss</c> (the weighted validation loss, Σ wₜ·lossₜ), <c>TASK.loss</c>, <c>TASK.METRIC</c>
/// (<c>digit.accuracy</c>, <c>price.rmse</c>), or <c>accuracy</c> (<see cref="Evaluation.MeanAccuracy"/>: the mean of the tasks'
/// validation accuracies, higher is better; every task must be a classification or binary task).</param>
/// <param name="Patience">Epochs without improvement before stopping.</param>
/// <param name="HigherIsBetter">Whether larger values are better; null infers it from the name (accuracy, f1, r2, auc: higher).</param>
/// <param name="RestoreBest">Load the best epoch's weights at the end.</param>
public sealed record EarlyStopping(string Metric = "loss", int Patience = 5, bool? HigherIsBetter = null, bool RestoreBest = true)
{
    /// <summary>Whether larger values of <see cref="Metric"/> are better.</summary>
    public bool Maximizes => HigherIsBetter ?? (Metric.EndsWith("accuracy", StringComparison.Ordinal) || Metric.EndsWith("f1", StringComparison.Ordinal)
        || Metric.EndsWith("r2", StringComparison.Ordinal) || Metric.EndsWith("auc", StringComparison.Ordinal));
}

/// <summary>Options of a <see cref="Trainer{T}"/>.</summary>
/// <param name="Epochs">The most passes over the training rows.</param>
/// <param name="BatchSize">Samples per step (the last batch of an epoch may be smaller).</param>
/// <param name="Seed">Seeds the shuffling (the order of each epoch's batches).</param>
/// <param name="EarlyStopping">Early stopping on a validation metric, or null to run every epoch (the last weights are kept).</param>
/// <param name="ClipNorm">Clip the gradients' global 2-norm to this value after the backward pass, or null.</param>
/// <param name="CheckpointPath">A safetensors file written after every epoch and on cancellation (model, optimizer, progress),
/// from which <c>Trainer.Fit</c> resumes when <paramref name="Resume"/> is set; null for none.</param>
/// <param name="Resume">Continue from <paramref name="CheckpointPath"/> when that file exists.</param>
/// <param name="EvaluationBatchSize">Samples per forward pass when evaluating.</param>
public sealed record TrainingOptions(int Epochs = 20, int BatchSize = 64, ulong Seed = 0, EarlyStopping? EarlyStopping = null, double? ClipNorm = null,
    string? CheckpointPath = null, bool Resume = false, int EvaluationBatchSize = 1024)
{
    /// <summary>
    /// A sampling weight per training row (aligned with the rows given to <c>Fit</c>), or null to shuffle: each epoch then
    /// draws as many rows as there are, with replacement, row r with probability ∝ its weight (<see cref="ClassBalancing.Draw"/>;
    /// <see cref="ClassBalancing.BalancedSampleWeights"/> balances a task's classes).
    /// </summary>
    public IReadOnlyList<double>? SampleWeights { get; init; }
}

/// <summary>What a trainer reports while it runs: after every batch (<see cref="Epoch"/> null) and after every epoch.</summary>
/// <param name="EpochNumber">The current epoch (1-based).</param>
/// <param name="Epochs">The most epochs.</param>
/// <param name="BatchNumber">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="TaskLosses">The last batch's loss per task.</param>
/// <param name="Epoch">The epoch's report, after its validation; null after a batch.</param>
public sealed record TrainingProgress(int EpochNumber, int Epochs, int BatchNumber, int Batches, IReadOnlyDictionary<string, double> TaskLosses, EpochReport? Epoch);

/// <summary>The validation (or test) result of a model on some rows.</summary>
/// <param name="Loss">Σ wₜ·lossₜ with the tasks' weights.</param>
/// <param name="TaskLosses">Each task's loss.</param>
/// <param name="Metrics">Each task's metric (accuracy or RMSE).</param>
public sealed record Evaluation(double Loss, IReadOnlyDictionary<string, double> TaskLosses, IReadOnlyList<TaskMetric> Metrics)
{
    /// <summary>The name of the mean of the tasks' accuracies (unweighted, one term per task) as a metric: <c>accuracy</c>.</summary>
    public const string MeanAccuracy = "accuracy";

    /// <summary>The value of <c>loss</c>, <c>TASK.loss</c>, <c>TASK.METRIC</c> or <see cref="MeanAccuracy"/> (the mean of the
    /// tasks' accuracies, when every task's metric is accuracy; NaN when a task's is, e.g. no row labelled).</summary>
    /// <exception cref="ArgumentException">When no such value exists; the message lists those that do.</exception>
    public double Value(string metric)
    {
        if (metric == "loss") return Loss;
        if (metric == MeanAccuracy && HasMeanAccuracy) return Metrics.Average(m => m.Value);
        foreach (var (task, loss) in TaskLosses)
            if (metric == task + ".loss") return loss;
        foreach (var m in Metrics)
            if (metric == m.Task + "." + m.Metric) return m.Value;
        var known = new List<string> { "loss" };
        known.AddRange(TaskLosses.Keys.Select(t => t + ".loss"));
        known.AddRange(Metrics.Select(m => m.Task + "." + m.Metric));
        if (HasMeanAccuracy) known.Add(MeanAccuracy);
        throw new ArgumentException($"There is no validation metric \"{metric}\"; the allowed values are [{string.Join(", ", known)}]"
            + (metric == MeanAccuracy ? " (\"accuracy\", the mean of the tasks' accuracies, needs every task to report accuracy)." : "."));
    }

    private bool HasMeanAccuracy => Metrics.Count > 0 && Metrics.All(m => m.Metric == MeanAccuracy);
}

/// <summary>
/// Trains any <see cref="MultiTaskModel{T}"/> on a <see cref="MultiTaskDataset{T}"/>: seeded shuffling, mini-batches
/// inside a <see cref="TensorArena"/> step, a pluggable <see cref="ITrainingStrategy{T}"/> between the task losses and
/// the optimizer, hooks after the backward pass and after each epoch, validation each epoch, early stopping on a
/// chosen metric with the best weights restored, checkpoints that resume to bitwise the same run, progress reports
/// and cancellation (at the end of a batch, after writing the checkpoint). Deterministic for a seed and thread count.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class Trainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const string FormatVersion = "1";

    /// <summary>Creates a trainer; the model's parameters are what <paramref name="optimizer"/> updates.</summary>
    /// <param name="model">The model (its parameters must each be shared or owned by a task).</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="options">The options (defaults: 20 epochs of 64, seed 0, no early stopping).</param>
    /// <param name="strategy">How task losses become gradients (default: <see cref="FixedWeighting{T}"/> with the tasks' weights).</param>
    /// <exception cref="ArgumentException">When an option is out of range.</exception>
    public Trainer(MultiTaskModel<T> model, Optimizer<T> optimizer, TrainingOptions? options = null, ITrainingStrategy<T>? strategy = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        Model = model;
        Optimizer = optimizer;
        Options = options ?? new TrainingOptions();
        if (Options.Epochs < 0) throw new ArgumentException($"Epochs must be ≥ 0 (got {Options.Epochs}).", nameof(options));
        if (Options.BatchSize < 1) throw new ArgumentException($"The batch size must be ≥ 1 (got {Options.BatchSize}).", nameof(options));
        if (Options.EvaluationBatchSize < 1) throw new ArgumentException($"The evaluation batch size must be ≥ 1 (got {Options.EvaluationBatchSize}).", nameof(options));
        if (Options.EarlyStopping is { Patience: < 1 } stop) throw new ArgumentException($"Early stopping needs a patience ≥ 1 (got {stop.Patience}).", nameof(options));
        if (Options.Resume && Options.CheckpointPath is null) throw new ArgumentException("Resume needs a CheckpointPath.", nameof(options));
        Strategy = strategy ?? new FixedWeighting<T>(model.Tasks);
        model.CheckRoles();
    }

    /// <summary>The model being trained.</summary>
    public MultiTaskModel<T> Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer<T> Optimizer { get; }

    /// <summary>The options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The strategy that turns task losses into gradients.</summary>
    public ITrainingStrategy<T> Strategy { get; }

    /// <summary>
    /// Sets the learning rates before every optimizer step from the run's step index (0-based, counted across epochs and
    /// saved in checkpoints, so a resumed run continues its schedule), or null to keep the optimizer's rates.
    /// </summary>
    public LearningRateScheduler<T>? Scheduler { get; set; }

    /// <summary>Called after the strategy's backward pass (and clipping), before the optimizer steps: read or change gradients here.</summary>
    public Action<TrainingStep<T>>? AfterBackward { get; set; }

    /// <summary>Called after each epoch's validation with its report.</summary>
    public Action<EpochReport>? AfterEpoch { get; set; }

    /// <summary>
    /// Computes each step's gradients elsewhere (data-parallel training: <see cref="DataParallel"/>), or null for the
    /// trainer's own forward and backward pass. When set, the step is: zero the gradients, <see cref="IStepGradients{T}.Compute"/>
    /// on the batch's rows, clipping, the schedule and the optimizer; the strategy's backward and <see cref="AfterBackward"/>
    /// are not called, so it suits strategies that backpropagate Σₜ wₜ·lossₜ with constant weights (ew, fixed). An
    /// <see cref="ITaskStepGradients{T}"/> with <see cref="ITaskStepGradients{T}.PerTask"/> set gives each task's gradient
    /// instead, and the step runs the strategy and <see cref="AfterBackward"/> as a local step does.
    /// </summary>
    public IStepGradients<T>? StepGradients { get; set; }

    /// <summary>
    /// Whether each step runs inside a <see cref="TensorArena"/> step (true, always outside the tests): false runs the same
    /// steps with every tensor in a new array, the textbook twin that the tests hold the arena's steps against bit for bit.
    /// </summary>
    internal bool StepsInArena { get; set; } = true;

    /// <summary>Trains the model in place on <paramref name="trainRows"/>, validating on <paramref name="validationRows"/> after each epoch.</summary>
    /// <param name="data">The samples.</param>
    /// <param name="trainRows">The training rows.</param>
    /// <param name="validationRows">The validation rows (null or empty: no validation; early stopping then watches the training loss).</param>
    /// <param name="progress">Receives a report after every batch and every epoch.</param>
    /// <param name="cancellationToken">Stops training at the end of a batch (after writing the checkpoint, if any).</param>
    /// <returns>The history, the best epoch and whether early stopping ended the run.</returns>
    /// <exception cref="OperationCanceledException">When cancelled.</exception>
    /// <exception cref="ArgumentException">When the data lacks an input or a task of the model, or a row is out of range.</exception>
    public TrainingResult Fit(MultiTaskDataset<T> data, int[] trainRows, int[]? validationRows = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Fit(data, trainRows, validationRows ?? [], shufflePosition: 0, progress, cancellationToken);

    /// <summary>
    /// Trains the model in place on <paramref name="rows"/> less a seeded validation part of them: the first
    /// round(<paramref name="validationFraction"/>·n) rows of a permutation drawn from the seed validate, the rest train,
    /// and the epochs' shuffles continue from the same generator.
    /// </summary>
    /// <inheritdoc cref="Fit(MultiTaskDataset{T}, int[], int[], IProgress{TrainingProgress}, CancellationToken)"/>
    /// <param name="data">The samples.</param>
    /// <param name="rows">The rows to train and validate on.</param>
    /// <param name="validationFraction">The share of <paramref name="rows"/> held out for validation, in [0, 1).</param>
    /// <param name="progress">Receives a report after every batch and every epoch.</param>
    /// <param name="cancellationToken">Stops training at the end of a batch (after writing the checkpoint, if any).</param>
    public TrainingResult Fit(MultiTaskDataset<T> data, int[] rows, double validationFraction, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        var random = new TensorRandom(Options.Seed);
        int[] order = random.Permutation(rows.Length);
        int validationCount = (int)Math.Round(rows.Length * validationFraction);
        if (validationCount >= rows.Length) validationCount = rows.Length - 1;
        int[] validation = order[..validationCount].Select(i => rows[i]).ToArray();
        int[] train = order[validationCount..].Select(i => rows[i]).ToArray();
        return Fit(data, train, validation, random.Position, progress, cancellationToken);
    }

    private TrainingResult Fit(MultiTaskDataset<T> data, int[] trainRows, int[] validationRows, ulong shufflePosition, IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainRows);
        CheckData(Model, data);
        if (trainRows.Length == 0) throw new ArgumentException("There are no training rows.", nameof(trainRows));
        var stopping = Options.EarlyStopping;
        if (stopping is not null && validationRows.Length == 0) Watch(stopping, 0); // refused before training, not after an epoch
        var state = new RunState(Options.Seed);
        state.Random.Position = shufflePosition;
        if (Options.Resume && File.Exists(Options.CheckpointPath)) state = LoadCheckpoint(Options.CheckpointPath!);

        int batches = (trainRows.Length + Options.BatchSize - 1) / Options.BatchSize;
        var arena = StepsInArena ? new TensorArena() : null;
        var taskNames = Model.Tasks.Select(t => t.Name).ToArray();
        for (; state.Epoch <= Options.Epochs && !state.Stopped; state.Epoch++, state.Batch = 0)
        {
            Model.Train();
            if (state.Resumed) state.Random.Position = state.EpochRandomPosition; // a resumed epoch: the same permutation again
            else StartEpoch(state, taskNames.Length);
            state.Resumed = false;
            if (Options.SampleWeights is not null && Options.SampleWeights.Count != trainRows.Length)
                throw new ArgumentException($"TrainingOptions.SampleWeights has {Options.SampleWeights.Count} weights for {trainRows.Length} training rows; give one per row.");
            int[] shuffled = Options.SampleWeights is null ? state.Random.Permutation(trainRows.Length) : ClassBalancing.Draw(state.Random, Options.SampleWeights, trainRows.Length);
            var clock = Stopwatch.StartNew();
            for (; state.Batch < batches; state.Batch++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    state.EpochSeconds += clock.Elapsed.TotalSeconds;
                    if (Options.CheckpointPath is not null) SaveCheckpoint(Options.CheckpointPath, state);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                int start = state.Batch * Options.BatchSize, count = Math.Min(Options.BatchSize, trainRows.Length - start);
                var rows = new int[count];
                for (int r = 0; r < count; r++) rows[r] = trainRows[shuffled[start + r]];
                var losses = StepGradients is null
                    ? TrainStep(data, rows, arena, state.Epoch, state.Steps++)
                    : ComputedStep(data, rows, arena, state.Epoch, state.Steps++);
                for (int t = 0; t < losses.Length; t++) state.LossSums[t] += losses[t];
                progress?.Report(new TrainingProgress(state.Epoch, Options.Epochs, state.Batch + 1, batches, ToDictionary(taskNames, losses), null));
            }
            state.EpochSeconds += clock.Elapsed.TotalSeconds;

            var trainLosses = state.LossSums.Select(s => s / batches).ToArray();
            double trainLoss = WeightedSum(Model, trainLosses);
            var validation = validationRows.Length > 0 ? Evaluate(Model, data, validationRows, Options.EvaluationBatchSize) : null;
            var report = new EpochReport(state.Epoch, trainLoss, validation?.Loss ?? trainLoss, validation?.Metrics ?? [],
                ToDictionary(taskNames, trainLosses), validation?.TaskLosses, new Dictionary<string, double>(Strategy.TaskWeights), state.EpochSeconds,
                Strategy.GradientConflict);
            state.History.Add(report);
            Strategy.OnEpochEnd(report);
            AfterEpoch?.Invoke(report);
            progress?.Report(new TrainingProgress(state.Epoch, Options.Epochs, batches, batches, report.TaskTrainLosses!, report));

            double watched = stopping is null ? report.ValidationLoss : validation is null ? Watch(stopping, trainLoss) : validation.Value(stopping.Metric);
            bool better = state.BestEpoch == 0 || (stopping?.Maximizes == true ? watched > state.Best : watched < state.Best);
            if (better)
            {
                state.Best = watched;
                state.BestEpoch = state.Epoch;
                state.SinceBest = 0;
                if (stopping?.RestoreBest == true) state.BestWeights = Model.StateDict();
            }
            else if (stopping is not null && ++state.SinceBest >= stopping.Patience)
                state.Stopped = true;
            if (Options.CheckpointPath is not null)
            {
                state.Epoch++; // the checkpoint resumes at the start of the next epoch
                state.Batch = 0;
                StartEpoch(state, taskNames.Length);
                SaveCheckpoint(Options.CheckpointPath, state);
                state.Epoch--;
            }
        }
        if (stopping?.RestoreBest == true && state.BestWeights is not null) Model.LoadStateDict(state.BestWeights);
        Model.Eval();
        return new TrainingResult(state.History, state.BestEpoch, state.Stopped);
    }

    /// <summary>Resets the per-epoch counters; the epoch's shuffle starts at the generator's current position.</summary>
    private static void StartEpoch(RunState state, int tasks)
    {
        state.EpochRandomPosition = state.Random.Position;
        state.LossSums = new double[tasks];
        state.EpochSeconds = 0;
    }

    private static double Watch(EarlyStopping stopping, double trainLoss) => stopping.Metric == "loss"
        ? trainLoss
        : throw new ArgumentException($"Early stopping on \"{stopping.Metric}\" needs validation rows; without them only \"loss\" (the training loss) can be watched.");

    /// <summary>One step: forward, task losses, the strategy's backward, clipping, the hook, the optimizer. Returns each task's loss.</summary>
    private double[] TrainStep(MultiTaskDataset<T> data, int[] rows, TensorArena? arena, int epoch, long stepIndex)
    {
        using var step = arena?.Step(); // every tensor of the step reuses last step's buffers; only the loss values leave it
        var device = Model.Device;
        var batch = ToDevice(data.BatchInStep(rows), device); // the inputs too: gathered into the step's buffers
        var output = Model.Forward(batch);
        var losses = new Dictionary<string, MtlTensor<T>>();
        foreach (var task in Model.Tasks) losses[task.Name] = TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
        var trainingStep = new TrainingStep<T>(Model, batch, output, losses, epoch, stepIndex);
        Optimizer.ZeroGrad();
        var auxiliary = AuxiliaryGradients(output);
        Strategy.Backward(trainingStep);
        if (auxiliary is not null) AddToGradients(auxiliary);
        if (Options.ClipNorm is double clip) GradientClipping.ClipNorm(Optimizer.Parameters, clip);
        AfterBackward?.Invoke(trainingStep);
        Scheduler?.Apply(checked((int)stepIndex));
        Optimizer.Step();
        Strategy.AfterOptimizerStep(trainingStep);
        var values = new double[Model.Tasks.Count];
        for (int t = 0; t < values.Length; t++) values[t] = double.CreateChecked(losses[Model.Tasks[t].Name].Item());
        return values;
    }

    /// <summary>
    /// A step whose gradients <see cref="StepGradients"/> computes; the optimizer's part as in <see cref="TrainStep"/>, and
    /// inside the arena's step as it: what the gradients' computation runs on this thread (the slices of a
    /// <see cref="SlicedStepGradients{T}"/> without synchronized modules) and the strategy's surrogate step reuse last step's
    /// buffers; only the losses, the gradients (each parameter's Grad) and the optimizer's state leave it.
    /// </summary>
    private double[] ComputedStep(MultiTaskDataset<T> data, int[] rows, TensorArena? arena, int epoch, long stepIndex)
    {
        using var step = arena?.Step();
        Optimizer.ZeroGrad();
        if (StepGradients is ITaskStepGradients<T> { PerTask: true } perTask) return StrategyStep(perTask, data, rows, epoch, stepIndex);
        var losses = StepGradients!.Compute(rows, epoch, stepIndex);
        if (Options.ClipNorm is double clip) GradientClipping.ClipNorm(Optimizer.Parameters, clip);
        Scheduler?.Apply(checked((int)stepIndex));
        Optimizer.Step();
        return losses;
    }

    /// <summary>
    /// A step whose per-task gradients <see cref="StepGradients"/> computes (<see cref="ITaskStepGradients{T}"/>): the strategy,
    /// clipping, the hook, the optimizer and the strategy's after-step as in <see cref="TrainStep"/>, on a step whose task
    /// losses carry those gradients (<see cref="DataParallel.SurrogateStep{T}"/>).
    /// </summary>
    private double[] StrategyStep(ITaskStepGradients<T> perTask, MultiTaskDataset<T> data, int[] rows, int epoch, long stepIndex)
    {
        var gradients = perTask.ComputeTasks(rows, epoch, stepIndex);
        var trainingStep = DataParallel.SurrogateStep(Model, data.BatchInStep(rows), gradients, epoch, stepIndex); // gathered into the step's buffers, as TrainStep's
        Strategy.Backward(trainingStep);
        if (AuxiliaryGradients(gradients) is { } auxiliary) AddToGradients(auxiliary);
        if (Options.ClipNorm is double clip) GradientClipping.ClipNorm(Optimizer.Parameters, clip);
        AfterBackward?.Invoke(trainingStep);
        Scheduler?.Apply(checked((int)stepIndex));
        Optimizer.Step();
        Strategy.AfterOptimizerStep(trainingStep);
        return gradients.Losses;
    }

    /// <summary>
    /// The gradients of the model's <see cref="ModelOutput{T}.AuxiliaryLoss"/> on the optimizer's parameters (the graph kept
    /// for the strategy's passes), or null without one.
    /// </summary>
    private List<(MtlTensor<T> Parameter, MtlTensor<T> Gradient)>? AuxiliaryGradients(ModelOutput<T> output)
    {
        if (output.AuxiliaryLoss is not { RequiresGrad: true } auxiliary) return null;
        var parameters = Optimizer.Parameters;
        var gradients = Grad.Of(auxiliary, parameters, retainGraph: true);
        var pairs = new List<(MtlTensor<T>, MtlTensor<T>)>();
        for (int k = 0; k < parameters.Count; k++)
            if (gradients[k] is { } g) pairs.Add((parameters[k], g));
        return pairs;
    }

    /// <summary>
    /// The step's gradient of the model's auxiliary loss as (parameter, gradient) pairs over the parameters it reached (rounded
    /// to T), or null when it reached none: what <see cref="AuxiliaryGradients(ModelOutput{T})"/> gives on a local step.
    /// </summary>
    private List<(MtlTensor<T> Parameter, MtlTensor<T> Gradient)>? AuxiliaryGradients(TaskStepGradients gradients)
    {
        if (gradients.Auxiliary is not { } flat || gradients.AuxiliaryReached is not { } reached || !reached.Contains(true)) return null;
        var parameters = Model.Parameters();
        var pairs = new List<(MtlTensor<T>, MtlTensor<T>)>();
        int at = 0;
        for (int k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (reached[k]) pairs.Add((p, DataParallel.LikeParameter(p, flat.AsSpan(at, p.Length))));
            at += p.Length;
        }
        return pairs;
    }

    /// <summary>
    /// Adds each gradient to its parameter's Grad as a backward pass accumulates into a leaf (<see cref="Graph.AccumulateGrad"/>):
    /// what one backward pass of Σ ⟨θ, g⟩ with g held constant gives, bitwise, without building and running it
    /// (<see cref="MultiTask.Weighting.TaskJacobian.AddToGradients"/> and its twin test).
    /// </summary>
    private static void AddToGradients(List<(MtlTensor<T> Parameter, MtlTensor<T> Gradient)> pairs)
    {
        foreach (var (parameter, gradient) in pairs)
            if (parameter.RequiresGrad) Graph.AccumulateGrad(parameter, gradient.Detach());
    }

    /// <summary>
    /// The weighted loss, each task's loss and metric of <paramref name="model"/> on <paramref name="rows"/>, in evaluation
    /// mode without recording (the model's mode is restored after), in forward passes of <paramref name="batchSize"/> samples.
    /// </summary>
    /// <exception cref="ArgumentException">When the data lacks an input or a task of the model.</exception>
    public static Evaluation Evaluate(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        CheckData(model, data);
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            var outputs = Predict(model, data, rows, batchSize);
            var targets = data.Targets(rows); // the inputs were gathered once, by Predict
            var taskLosses = new Dictionary<string, double>();
            var metrics = new List<TaskMetric>();
            using (Grad.NoGrad())
                foreach (var task in model.Tasks)
                {
                    var target = targets[task.Name];
                    taskLosses[task.Name] = double.CreateChecked(TaskObjectives.Loss(task, outputs[task.Name], target).Item());
                    metrics.Add(new TaskMetric(task.Name, TaskObjectives.MetricName(task.Kind), TaskObjectives.Metric(task, outputs[task.Name], target)));
                }
            return new Evaluation(WeightedSum(model, model.Tasks.Select(t => taskLosses[t.Name]).ToArray()), taskLosses, metrics);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>
    /// The model's outputs on <paramref name="rows"/> as host tensors (task name → (rows, outputs)), computed in batches of
    /// <paramref name="batchSize"/> without recording, in the model's current mode.
    /// </summary>
    public static IReadOnlyDictionary<string, MtlTensor<T>> Predict(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var parts = model.Tasks.ToDictionary(t => t.Name, _ => new List<T>());
        var widths = new Dictionary<string, int>();
        using var _ = Grad.NoGrad();
        for (int start = 0; start < rows.Length; start += batchSize)
        {
            using var memory = DeviceMemoryScope.Begin(); // on a device: the batch's tensors go back to the pool
            var batch = ToDevice(data.Batch(rows.AsSpan(start, Math.Min(batchSize, rows.Length - start))), model.Device);
            var output = model.Forward(batch);
            foreach (var task in model.Tasks)
            {
                var values = output[task.Name];
                widths[task.Name] = values.Rank == 2 ? values.Shape[1] : 1;
                parts[task.Name].AddRange(values.To(Device.Cpu).Contiguous().ToArray());
            }
        }
        return model.Tasks.ToDictionary(t => t.Name, t =>
            MtlTensor.FromArray(parts[t.Name].ToArray(), rows.Length, widths.GetValueOrDefault(t.Name, t.Outputs)));
    }

    private static double WeightedSum(MultiTaskModel<T> model, double[] taskLosses)
    {
        double sum = 0;
        for (int t = 0; t < taskLosses.Length; t++) sum += model.Tasks[t].Weight * taskLosses[t];
        return sum;
    }

    private static Dictionary<string, double> ToDictionary(string[] names, double[] values)
    {
        var result = new Dictionary<string, double>(names.Length);
        for (int i = 0; i < names.Length; i++) result[names[i]] = values[i];
        return result;
    }

    private static void CheckData(MultiTaskModel<T> model, MultiTaskDataset<T> data)
    {
        foreach (string input in model.InputNames)
            if (!data.InputNames.Contains(input))
                throw new ArgumentException($"The model reads input \"{input}\", which the data set lacks (it has [{string.Join(", ", data.InputNames)}]).");
        foreach (var task in model.Tasks)
        {
            if (!data.TaskNames.Contains(task.Name))
                throw new ArgumentException($"The model has task \"{task.Name}\", for which the data set has no targets (it has [{string.Join(", ", data.TaskNames)}]).");
            if ((task.Kind == TaskKind.Classification) != data.HasLabels(task.Name))
                throw new ArgumentException(task.Kind == TaskKind.Classification
                    ? $"Task \"{task.Name}\" is a classification task and needs class labels, but the data set has values for it."
                    : $"Task \"{task.Name}\" is a {task.Kind.ToString().ToLowerInvariant()} task and needs values, but the data set has class labels for it.");
            if (task.Kind != TaskKind.Classification && data.Values(task.Name).Outputs != task.Outputs)
                throw new ArgumentException($"Task \"{task.Name}\" has {task.Outputs} outputs but the data set has {data.Values(task.Name).Outputs} values per sample.");
        }
    }

    private static Batch<T> ToDevice(Batch<T> batch, Device device)
    {
        if (device.Kind == DeviceKind.Cpu) return batch;
        var inputs = new Dictionary<string, BatchInput<T>>();
        foreach (var (name, input) in batch.Inputs)
            inputs[name] = input.Values is null
                ? BatchInput<T>.Index(input.Indices!, input.Present?.To(device))
                : BatchInput<T>.Dense(input.Values.To(device), input.Present?.To(device));
        return new Batch<T>(inputs, batch.Targets);
    }

    // ---- checkpoints: the model, the optimizer, the best weights and the run's counters in one safetensors file ----

    /// <summary>Everything a run needs to continue exactly where it stopped.</summary>
    private sealed class RunState(ulong seed)
    {
        public TensorRandom Random { get; } = new(seed);
        public int Epoch { get; set; } = 1;
        public int Batch { get; set; }
        public long Steps { get; set; }
        public ulong EpochRandomPosition { get; set; }
        public double[] LossSums { get; set; } = [];
        public double EpochSeconds { get; set; }
        public List<EpochReport> History { get; } = [];
        public double Best { get; set; } = double.NaN;
        public int BestEpoch { get; set; }
        public int SinceBest { get; set; }
        public bool Stopped { get; set; }
        public bool Resumed { get; set; }
        public IReadOnlyList<NdArray>? BestWeights { get; set; }
    }

    private void SaveCheckpoint(string path, RunState state)
    {
        var arrays = new List<NdArray>();
        arrays.AddRange(Model.StateDict().Select(a => a.WithName("model." + a.Name)));
        arrays.AddRange(Optimizer.StateDict().Select(a => a.WithName("optimizer." + a.Name)));
        if (state.BestWeights is not null) arrays.AddRange(state.BestWeights.Select(a => a.WithName("best." + a.Name)));
        arrays.AddRange(Strategy.StateDict().Select(a => a.WithName("strategy." + a.Name)));
        arrays.Add(NdArray.Create("run.loss_sums", state.LossSums.Length == 0 ? new double[Model.Tasks.Count] : state.LossSums, Model.Tasks.Count));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["mtl.checkpoint"] = FormatVersion,
            ["run"] = CheckpointJson.Write(state.Epoch, state.Batch, state.Steps, state.EpochRandomPosition, state.Random.Position, state.EpochSeconds,
                state.Best, state.BestEpoch, state.SinceBest, state.Stopped, state.History, ModuleRandomPositions()),
        };
        string temporary = path + ".tmp";
        Safetensors.Write(temporary, arrays, metadata);
        File.Move(temporary, path, overwrite: true); // a crash mid-write leaves the previous checkpoint intact
    }

    /// <summary>The generator position of every module that draws random numbers (dropout), by module name.</summary>
    private Dictionary<string, ulong> ModuleRandomPositions() => Model.NamedModules()
        .Where(m => m.Value is IRandomizedModule)
        .ToDictionary(m => m.Key, m => ((IRandomizedModule)m.Value).Random.Position);

    private RunState LoadCheckpoint(string path)
    {
        var file = Safetensors.Read(path);
        if (!file.Metadata.TryGetValue("mtl.checkpoint", out var version) || version != FormatVersion || !file.Metadata.TryGetValue("run", out var run))
            throw new DataFormatException(path, "is not a training checkpoint of this version (metadata mtl.checkpoint = 1 and run are required).");
        List<NdArray> Section(string prefix) =>
            file.Tensors.Where(a => a.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(a => a.WithName(a.Name[prefix.Length..])).ToList();
        Model.LoadStateDict(Section("model."));
        Optimizer.LoadStateDict(Section("optimizer."));
        try
        {
            Strategy.LoadStateDict(Section("strategy."));
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(path, $"does not hold the state of the training strategy \"{Strategy.Name}\": {e.Message}");
        }
        var best = Section("best.");
        var state = new RunState(Options.Seed) { BestWeights = best.Count > 0 ? best : null };
        var sums = file.Tensors.FirstOrDefault(a => a.Name == "run.loss_sums")
            ?? throw new DataFormatException(path, "has no run.loss_sums tensor.");
        state.LossSums = sums.ToDoubleArray();
        if (state.LossSums.Length != Model.Tasks.Count)
            throw new DataFormatException(path, $"holds losses of {state.LossSums.Length} tasks, but the model has {Model.Tasks.Count}.");
        CheckpointJson.Read(run, path, state.History, out int epoch, out int batch, out long steps, out ulong epochPosition, out ulong position,
            out double seconds, out double bestValue, out int bestEpoch, out int sinceBest, out bool stopped, out var modulePositions);
        foreach (var (name, module) in Model.NamedModules())
            if (module is IRandomizedModule randomized)
                randomized.Random.Position = modulePositions.TryGetValue(name, out ulong p)
                    ? p
                    : throw new DataFormatException(path, $"has no random position for module \"{name}\"; it was written for another architecture.");
        state.Epoch = epoch;
        state.Batch = batch;
        state.Steps = steps;
        state.EpochRandomPosition = epochPosition;
        state.Random.Position = position;
        state.EpochSeconds = seconds;
        state.Best = bestValue;
        state.BestEpoch = bestEpoch;
        state.SinceBest = sinceBest;
        state.Stopped = stopped;
        state.Resumed = true;
        return state;
    }
}
