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

/// <summary>A metric of one task: accuracy for classification and binary tasks, RMSE for regression.</summary>
public sealed record TaskMetric(string Task, string Metric, double Value);

/// <summary>What one epoch did.</summary>
public sealed record EpochReport(int Epoch, double TrainLoss, double ValidationLoss, IReadOnlyList<TaskMetric> Validation);

/// <summary>The history of a training run; the network holds the weights of <paramref name="BestEpoch"/>.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochReport> History, int BestEpoch, bool StoppedEarly);

/// <summary>
/// Trains a <see cref="MultiTaskNet{T}"/> on loss = Σ wᵢ·lossᵢ with Adam(W): seeded validation split and
/// shuffling, mini-batches, early stopping on the validation loss (the best weights are restored), per-task
/// metrics each epoch, progress reports and cancellation.
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
        CheckTargets(net, data);
        var random = new TensorRandom(options.Seed);
        int[] order = random.Permutation(data.Samples);
        int validationCount = (int)Math.Round(data.Samples * options.ValidationFraction);
        if (validationCount >= data.Samples) validationCount = data.Samples - 1;
        int[] validation = order[..validationCount];
        int[] train = order[validationCount..];

        using Optimizer<T> optimizer = options.WeightDecay > 0
            ? new AdamW<T>(net.Parameters(), options.LearningRate, weightDecay: options.WeightDecay)
            : new Adam<T>(net.Parameters(), options.LearningRate);
        var device = net.Device; // where the parameters live (Module.To): the steps run there
        var history = new List<EpochReport>();
        double best = double.PositiveInfinity;
        int bestEpoch = 0, sinceBest = 0;
        IReadOnlyList<Data.NdArray>? bestState = null;
        bool stoppedEarly = false;
        var arena = new TensorArena();
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            net.Train();
            int[] shuffled = random.Permutation(train.Length);
            double lossSum = 0;
            int batches = 0;
            for (int start = 0; start < train.Length; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var step = arena.Step(); // every tensor of this step reuses last step's buffers; only loss.Item() leaves it
                int count = Math.Min(options.BatchSize, train.Length - start);
                var rows = new int[count];
                for (int r = 0; r < count; r++) rows[r] = train[shuffled[start + r]];
                var outputs = net.ForwardTasks(Gather(data, rows).To(device)); // on a device: the batch uploaded
                var loss = TotalLoss(net.Tasks, outputs, data, rows, out _, withMetrics: false);
                net.ZeroGrad();
                loss.Backward();
                if (options.ClipNorm is double clip) GradientClipping.ClipByNorm(net.Parameters(), clip);
                optimizer.Step();
                lossSum += double.CreateChecked(loss.Item());
                batches++;
            }
            var (validationLoss, metrics) = validation.Length > 0 ? Evaluate(net, data, validation) : (lossSum / Math.Max(1, batches), (IReadOnlyList<TaskMetric>)[]);
            var report = new EpochReport(epoch, lossSum / Math.Max(1, batches), validationLoss, metrics);
            history.Add(report);
            progress?.Report(report);
            if (validationLoss < best)
            {
                best = validationLoss;
                bestEpoch = epoch;
                sinceBest = 0;
                bestState = net.StateDict();
            }
            else if (++sinceBest >= options.Patience)
            {
                stoppedEarly = true;
                break;
            }
        }
        if (bestState is not null) net.LoadStateDict(bestState);
        net.Eval();
        return new TrainingResult(history, bestEpoch, stoppedEarly);
    }

    /// <summary>The total loss and per-task metrics on the samples <paramref name="rows"/> (all when null), in evaluation mode without recording.</summary>
    public static (double Loss, IReadOnlyList<TaskMetric> Metrics) Evaluate<T>(MultiTaskNet<T> net, MultiTaskData<T> data, int[]? rows = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(data);
        rows ??= Enumerable.Range(0, data.Samples).ToArray();
        bool wasTraining = net.Training;
        net.Eval();
        using var _ = Grad.NoGrad();
        using var memory = DeviceMemoryScope.Begin(); // on a device: every tensor of the evaluation goes back to the pool
        var outputs = net.ForwardTasks(Gather(data, rows).To(net.Device));
        var loss = TotalLoss(net.Tasks, outputs, data, rows, out var metrics);
        net.Train(wasTraining);
        return (double.CreateChecked(loss.Item()), metrics);
    }

    /// <summary>The rows of the feature matrix as a (rows, features) tensor.</summary>
    internal static MtlTensor<T> Gather<T>(MultiTaskData<T> data, int[] rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = data.FeatureCount;
        var x = new T[rows.Length * d];
        for (int r = 0; r < rows.Length; r++)
            Array.Copy(data.Features, (long)rows[r] * d, x, (long)r * d, d);
        return MtlTensor.FromArray(x, rows.Length, d);
    }

    /// <summary>Σ wᵢ·lossᵢ over the tasks for a batch, with each task's metric (unless <paramref name="withMetrics"/> is false: training
    /// steps discard them, and on a device each one is a read back to the host).</summary>
    private static MtlTensor<T> TotalLoss<T>(IReadOnlyList<TaskSpec> tasks, MtlTensor<T>[] outputs, MultiTaskData<T> data, int[] rows, out IReadOnlyList<TaskMetric> metrics,
        bool withMetrics = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MtlTensor<T>? total = null;
        var list = new List<TaskMetric>();
        for (int t = 0; t < tasks.Count; t++)
        {
            var task = tasks[t];
            var targets = data.Targets[t];
            var output = outputs[t];
            MtlTensor<T> loss;
            if (task.Kind == TaskKind.Classification)
            {
                var labels = new int[rows.Length];
                for (int r = 0; r < rows.Length; r++) labels[r] = targets.Labels![rows[r]];
                loss = Losses.CrossEntropy(output, labels);
                if (withMetrics) list.Add(new TaskMetric(task.Name, "accuracy", Accuracy(output, labels)));
            }
            else
            {
                int k = task.Outputs;
                var y = new T[rows.Length * k];
                var mask = new T[rows.Length * k];
                for (int r = 0; r < rows.Length; r++)
                    for (int j = 0; j < k; j++)
                    {
                        T v = targets.Values![(long)rows[r] * k + j];
                        bool present = !T.IsNaN(v);
                        y[r * k + j] = present ? v : T.Zero;
                        mask[r * k + j] = present ? T.One : T.Zero;
                    }
                var yt = MtlTensor.FromArray(y, rows.Length, k).To(output.Device); // on a device: the targets uploaded
                var mt = MtlTensor.FromArray(mask, rows.Length, k).To(output.Device);
                if (task.Kind == TaskKind.Binary)
                {
                    loss = Losses.BinaryCrossEntropyWithLogits(output, yt, mask: mt);
                    if (withMetrics) list.Add(new TaskMetric(task.Name, "accuracy", BinaryAccuracy(output, y, mask)));
                }
                else
                {
                    loss = Losses.MeanSquaredError(output, yt, mask: mt);
                    if (withMetrics)
                    {
                        double mse;
                        using (Grad.NoGrad()) mse = double.CreateChecked(loss.Item());
                        list.Add(new TaskMetric(task.Name, "rmse", Math.Sqrt(mse)));
                    }
                }
            }
            var weighted = loss * T.CreateChecked(task.Weight);
            total = total is null ? weighted : total + weighted;
        }
        metrics = list;
        return total!;
    }

    private static double Accuracy<T>(MtlTensor<T> logits, int[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] predicted;
        using (Grad.NoGrad()) predicted = logits.ArgMax(1).ToArray();
        int correct = 0, counted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0) continue;
            counted++;
            if (predicted[i] == labels[i]) correct++;
        }
        return counted == 0 ? double.NaN : (double)correct / counted;
    }

    private static double BinaryAccuracy<T>(MtlTensor<T> logits, T[] y, T[] mask) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = logits.Detach().Contiguous().ToArray();
        int correct = 0, counted = 0;
        T half = T.CreateChecked(0.5);
        for (int i = 0; i < z.Length; i++)
        {
            if (mask[i] == T.Zero) continue;
            counted++;
            if ((z[i] > T.Zero) == (y[i] > half)) correct++;
        }
        return counted == 0 ? double.NaN : (double)correct / counted;
    }

    private static void CheckTargets<T>(MultiTaskNet<T> net, MultiTaskData<T> data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (data.Targets.Count != net.Tasks.Count)
            throw new ArgumentException($"The data has targets for {data.Targets.Count} tasks but the network has {net.Tasks.Count} heads.");
        for (int t = 0; t < net.Tasks.Count; t++)
        {
            var task = net.Tasks[t];
            var targets = data.Targets[t];
            if (task.Kind == TaskKind.Classification && (targets.Labels is null || targets.Labels.Length != data.Samples))
                throw new ArgumentException($"Task \"{task.Name}\" is a classification task and needs {data.Samples} labels.");
            if (task.Kind != TaskKind.Classification && (targets.Values is null || targets.Values.Length != (long)data.Samples * task.Outputs))
                throw new ArgumentException($"Task \"{task.Name}\" needs samples × outputs = {data.Samples} × {task.Outputs} values (NaN where missing).");
        }
    }
}
