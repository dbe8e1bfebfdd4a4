using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>The targets of one task for every sample: class labels (negative = missing) or values (NaN = missing).</summary>
/// <param name="Labels">For classification: one class index per sample.</param>
/// <param name="Values">For binary and regression tasks: samples × outputs values, row-major.</param>
public sealed record TaskTargets<T>(int[]? Labels = null, T[]? Values = null) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>A multi-task data set: a feature matrix and one <see cref="TaskTargets{T}"/> per task.</summary>
public sealed class MultiTaskData<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps the arrays (no copy).</summary>
    /// <exception cref="ArgumentException">When a length does not match samples × features.</exception>
    public MultiTaskData(T[] features, int samples, int featureCount, IReadOnlyList<TaskTargets<T>> targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Length != (long)samples * featureCount)
            throw new ArgumentException($"The feature array has {features.Length} values, not samples × features = {samples} × {featureCount}.");
        Features = features;
        Samples = samples;
        FeatureCount = featureCount;
        Targets = targets;
    }

    /// <summary>Samples × features, row-major.</summary>
    public T[] Features { get; }

    /// <summary>n.</summary>
    public int Samples { get; }

    /// <summary>d.</summary>
    public int FeatureCount { get; }

    /// <summary>One entry per task, in the network's task order.</summary>
    public IReadOnlyList<TaskTargets<T>> Targets { get; }
}

/// <summary>Training options; the defaults suit small tabular problems.</summary>
/// <param name="Epochs">The most passes over the training part.</param>
/// <param name="BatchSize">Samples per step.</param>
/// <param name="LearningRate">Adam's η.</param>
/// <param name="WeightDecay">AdamW's decoupled λ (0: plain Adam).</param>
/// <param name="Seed">Seeds the validation split and the shuffling.</param>
/// <param name="ValidationFraction">The share of samples held out for early stopping and metrics.</param>
/// <param name="Patience">Epochs without a better validation loss before stopping.</param>
/// <param name="ClipNorm">Clip the gradients' global norm to this value, or null.</param>
public sealed record TrainerOptions(int Epochs = 20, int BatchSize = 64, double LearningRate = 1e-3, double WeightDecay = 0, ulong Seed = 0,
    double ValidationFraction = 0.1, int Patience = 5, double? ClipNorm = null);

/// <summary>
/// Trains a <see cref="MultiTaskNet{T}"/> on loss = Σ wᵢ·lossᵢ with Adam(W): a seeded validation split, then the
/// <see cref="Trainer{T}"/> (seeded shuffling, mini-batches, early stopping on the validation loss with the best weights
/// restored, per-task metrics each epoch, progress reports and cancellation). A thin user of the open trainer.
/// </summary>
public static class MultiTaskTrainer
{
    /// <summary>Trains <paramref name="net"/> in place.</summary>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is cancelled (between steps).</exception>
    public static TrainingResult Fit<T>(MultiTaskNet<T> net, MultiTaskData<T> data, TrainerOptions? options = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new TrainerOptions();
        var dataset = ToDataset(net, data);

        using Optimizer<T> optimizer = options.WeightDecay > 0
            ? new AdamW<T>(net.Parameters(), options.LearningRate, weightDecay: options.WeightDecay)
            : new Adam<T>(net.Parameters(), options.LearningRate);
        var trainer = new Trainer<T>(net, optimizer, new TrainingOptions(options.Epochs, options.BatchSize, options.Seed,
            new EarlyStopping("loss", options.Patience), options.ClipNorm));
        var epochs = progress is null ? null : new EpochProgress(progress);
        return trainer.Fit(dataset, Enumerable.Range(0, data.Samples).ToArray(), options.ValidationFraction, epochs, cancellationToken);
    }

    /// <summary>The total loss and per-task metrics on the samples <paramref name="rows"/> (all when null), in evaluation mode without recording.</summary>
    public static (double Loss, IReadOnlyList<TaskMetric> Metrics) Evaluate<T>(MultiTaskNet<T> net, MultiTaskData<T> data, int[]? rows = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(data);
        rows ??= Enumerable.Range(0, data.Samples).ToArray();
        var evaluation = Trainer<T>.Evaluate(net, ToDataset(net, data), rows, batchSize: Math.Max(1, rows.Length));
        return (evaluation.Loss, evaluation.Metrics);
    }

    /// <summary>The feature matrix as the network's one input and each task's targets under its name (no copies).</summary>
    private static MultiTaskDataset<T> ToDataset<T>(MultiTaskNet<T> net, MultiTaskData<T> data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (data.Targets.Count != net.Tasks.Count)
            throw new ArgumentException($"The data has targets for {data.Targets.Count} tasks but the network has {net.Tasks.Count} heads.");
        var dataset = new MultiTaskDataset<T>(data.Samples).AddInput(MultiTaskNet<T>.InputName, data.Features, [data.Samples, data.FeatureCount]);
        for (int t = 0; t < net.Tasks.Count; t++)
        {
            var task = net.Tasks[t];
            var targets = data.Targets[t];
            if (task.Kind == TaskKind.Classification)
            {
                if (targets.Labels is null || targets.Labels.Length != data.Samples)
                    throw new ArgumentException($"Task \"{task.Name}\" is a classification task and needs {data.Samples} labels.");
                dataset.AddLabels(task.Name, targets.Labels);
            }
            else
            {
                if (targets.Values is null || targets.Values.Length != (long)data.Samples * task.Outputs)
                    throw new ArgumentException($"Task \"{task.Name}\" needs samples × outputs = {data.Samples} × {task.Outputs} values (NaN where missing).");
                dataset.AddValues(task.Name, targets.Values, task.Outputs);
            }
        }
        return dataset;
    }

    /// <summary>Forwards the trainer's epoch reports (not its batch reports).</summary>
    private sealed class EpochProgress(IProgress<EpochReport> inner) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Epoch is not null) inner.Report(value.Epoch);
        }
    }
}
