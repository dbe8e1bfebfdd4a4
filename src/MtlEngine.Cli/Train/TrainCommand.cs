using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using Spectre.Console;

namespace MtlEngine.Cli.Train;

/// <summary>
/// <c>mtl train --spec S.json --out DIR [--threads T] [--device cpu|cuda|ilgpu-cpu] [--resume] [--check]</c>: trains the
/// multi-task, multi-input model a JSON spec describes on the user's files and writes DIR/model.safetensors,
/// DIR/metrics.json and DIR/history.csv. Ctrl+C stops at the end of the batch, writes DIR/checkpoint.safetensors and exits
/// with 130; <c>--resume</c> continues from it. <c>--check</c> validates the spec and the files and exits.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The exit code of a run stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int ExitInterrupted = 130;

    public static Command Create(TextWriter stdout)
    {
        var spec = new Option<string>("--spec") { Description = "The training spec (JSON); paths in it are relative to its folder.", Required = true };
        var output = new Option<string?>("--out") { Description = "The output folder (created if missing): model.safetensors, metrics.json, history.csv." };
        var threads = new Option<int>("--threads") { Description = "Threads for the tensor kernels (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var device = new Option<string>("--device") { Description = "cpu (default), cuda or ilgpu-cpu.", DefaultValueFactory = _ => "cpu" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run whose checkpoint is in --out (after Ctrl+C)." };
        var check = new Option<bool>("--check") { Description = "Validate the spec and its files, print what would be trained, and exit." };
        var command = new Command("train", "Train a multi-task model on your files as a JSON spec describes it (inputs with encoders, tasks, split, model, training).")
            { spec, output, threads, device, resume, check };
        var (clusterOptions, readCluster) = Cluster.ClusterTrainSession.Options();
        foreach (var option in clusterOptions) command.Options.Add(option);
        command.SetAction(parsed => Run(parsed.GetValue(spec)!, parsed.GetValue(output), parsed.GetValue(threads), parsed.GetValue(device)!,
            parsed.GetValue(resume), parsed.GetValue(check), stdout, CancellationToken.None, interactiveCancel: true, cluster: readCluster(parsed)));
        return command;
    }

    /// <summary>Runs the command (also from tests, with their own token); returns the exit code.</summary>
    internal static int Run(string specPath, string? outDir, int threads, string deviceName, bool resume, bool check, TextWriter stdout,
        CancellationToken cancellationToken, bool interactiveCancel = false, Action<TrainingProgress>? observer = null,
        Cluster.ClusterTrainSettings? cluster = null)
    {
        if (threads < 1 || threads > 1024) throw new UsageException($"--threads must be in [1, 1024], not {threads}");
        var spec = TrainSpec.Load(specPath);
        if (!check && outDir is null) throw new UsageException("--out is required (the folder to write the model, metrics.json and history.csv into)");
        using var parallelism = TensorParallelism.Use(new Parallelism(threads));
        var data = TrainRun.Prepare(spec);
        if (spec.Training.EarlyStoppingMetric is { } watched) CheckMetric(watched, data.TaskSpecs, data.ValidationRows.Length > 0);
        var strategy = BuildStrategy(spec.Training, data.TaskSpecs); // checked before training (and by --check)
        if (check)
        {
            stdout.WriteLine($"spec ok: {data.Rows} samples (train {data.TrainRows.Length}, validation {data.ValidationRows.Length}, test {data.TestRows.Length})");
            for (int i = 0; i < spec.Inputs.Count; i++)
                stdout.WriteLine($"  input {spec.Inputs[i].Name}: {spec.Inputs[i].Type}, {Describe(data.Preprocessing[i])}, encoder {spec.Inputs[i].Encoder.Type}");
            var targets = data.Dataset.Targets(Enumerable.Range(0, data.Rows).ToArray());
            foreach (var task in data.Tasks)
                stdout.WriteLine($"  task {task.Spec.Name}: {task.Spec.Type}, {task.Outputs} {(task.Kind == TaskKind.Classification ? "classes" : "outputs")}, {targets[task.Spec.Name].LabelledCount} labelled samples");
            var built = TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs);
            stdout.WriteLine($"  model {spec.Model.Architecture}: {built.ParameterCount} parameters, {built.SharedParameters().Sum(p => (long)p.Value.Length)} shared");
            return 0;
        }

        Directory.CreateDirectory(outDir!);
        string checkpoint = Path.Combine(outDir!, "checkpoint.safetensors");
        if (resume && !File.Exists(checkpoint)) throw new UsageException($"{checkpoint} (--resume): no checkpoint to resume from; run without --resume first");
        var target = ParseDevice(deviceName);
        var model = TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs);
        model.To(target);
        using var optimizer = TrainRun.BuildOptimizer(spec.Training, model);
        var stopping = spec.Training.EarlyStoppingMetric is null ? null : new EarlyStopping(spec.Training.EarlyStoppingMetric, spec.Training.Patience);
        var options = new TrainingOptions(spec.Training.Epochs, spec.Training.BatchSize, spec.Training.Seed, stopping, spec.Training.ClipNorm, checkpoint, resume)
        {
            SampleWeights = TrainRun.SampleWeights(spec.Training, data),
        };
        var trainer = new Trainer<float>(model, optimizer, options, strategy);
        if (spec.Training.LrSchedule is { } schedule)
            trainer.Scheduler = LearningRateScheduler<float>.Scaled(optimizer,
                schedule.StepFactor(spec.Training.LearningRate, spec.Training.Epochs, (data.TrainRows.Length + spec.Training.BatchSize - 1) / spec.Training.BatchSize));
        var epochRates = new Dictionary<int, double>(); // the rate of each epoch's steps (the last step's: constant within an epoch)
        trainer.AfterEpoch = report => epochRates[report.Epoch] = optimizer.Groups[0].LearningRate ?? spec.Training.LearningRate;
        using var session = cluster is null ? null : Cluster.ClusterTrainSession.Start(cluster, specPath, spec.Training, model, data.Dataset, deviceName, stdout);
        if (session is not null) trainer.StepGradients = session.Training;

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler? handler = null;
        if (interactiveCancel)
        {
            handler = (_, e) =>
            {
                e.Cancel = true; // stop at the end of the batch, not now
                cts.Cancel();
            };
            Console.CancelKeyPress += handler;
        }
        TrainingResult result;
        try
        {
            result = Live(stdout)
                ? LiveProgress.Run(spec.Training.Epochs, (data.TrainRows.Length + spec.Training.BatchSize - 1) / spec.Training.BatchSize,
                    progress => trainer.Fit(data.Dataset, data.TrainRows, data.ValidationRows, progress, cts.Token))
                : trainer.Fit(data.Dataset, data.TrainRows, data.ValidationRows, new LineProgress(stdout, observer), cts.Token);
        }
        catch (OperationCanceledException)
        {
            stdout.WriteLine($"stopped: checkpoint written to {checkpoint}; continue with --resume");
            return ExitInterrupted;
        }
        catch (MtlEngine.Cluster.ClusterException error)
        {
            throw new UsageException(error.Message);
        }
        finally
        {
            if (handler is not null) Console.CancelKeyPress -= handler;
        }

        session?.Report(stdout);
        model.To(Device.Cpu);
        TrainRun.SaveModel(Path.Combine(outDir!, "model.safetensors"), model, spec, data.Preprocessing, data.TaskSpecs, data.TargetScaling);
        var metrics = Metrics(data, model, result);
        metrics["training"] = TrainingRecord(spec.Training, strategy, result, epochRates);
        if (spec.Evaluation.Robustness) metrics["robustness"] = TrainRun.Robustness(data, model, spec.Evaluation.RobustnessSteps, spec.Split.Seed);
        if (spec.Alignment is not null)
            metrics["alignment"] = spec.Alignment.Joint ? TrainAlignment.Joint(spec, data, (MultiTask.FusedInputModel<float>)model) : TrainAlignment.Run(spec, data);
        if (spec.Evaluation.Attribution) metrics["attribution"] = TrainRun.Attribution(data, model, spec.Evaluation, spec.Split.Seed);
        File.WriteAllText(Path.Combine(outDir!, "metrics.json"), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.WriteAllText(Path.Combine(outDir!, "history.csv"), TrainRun.History(result.History, data.TaskSpecs));
        File.Delete(checkpoint);
        TrainRun.WriteRepresentation(Path.Combine(outDir!, Report.RunReportReader.RepresentationFile), model, data);
        var reportClock = System.Diagnostics.Stopwatch.StartNew();
        int figures = Report.RunReport.Write(outDir!);
        double reportSeconds = reportClock.Elapsed.TotalSeconds;
        foreach (var (task, values) in metrics["tasks"]!.AsObject())
            stdout.WriteLine($"test {task}: " + string.Join(" ", values!["test"]!.AsObject().Select(p => $"{p.Key}={Format(p.Value!)}")));
        stdout.WriteLine($"wrote {Path.Combine(outDir!, "model.safetensors")}, metrics.json, history.csv ({result.History.Count} epochs, best {result.BestEpoch})");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {Path.Combine(outDir!, Report.RunReport.PageFile)} ({figures} figures, also in {Report.RunReport.FiguresFolder}/; {reportSeconds:0.00} s)"));
        return 0;
    }

    private static JsonObject Metrics(PreparedData data, Nn.MultiTaskModel<float> model, TrainingResult result)
    {
        var tasks = new JsonObject();
        var confusion = new JsonObject();
        var test = TrainRun.PredictTasks(model, data.Dataset, data.TestRows, data.TargetScaling);
        var validation = TrainRun.PredictTasks(model, data.Dataset, data.ValidationRows, data.TargetScaling);
        foreach (var task in data.Tasks)
        {
            tasks[task.Spec.Name] = new JsonObject
            {
                ["test"] = TrainRun.TaskMetrics(task, test[task.Spec.Name], data.TestRows),
                ["validation"] = TrainRun.TaskMetrics(task, validation[task.Spec.Name], data.ValidationRows),
            };
            if (TrainRun.Confusion(task, test[task.Spec.Name], data.TestRows) is { } counts) confusion[task.Spec.Name] = counts;
        }
        // The median epoch: the first epoch also pays the JIT compilation of every kernel it meets (0.2–0.4 s on our
        // machines), which would dominate the mean of a short run; it is reported on its own.
        var epochSeconds = result.History.Select(h => h.Seconds).Order().ToArray();
        double seconds = epochSeconds.Length == 0 ? 0
            : epochSeconds.Length % 2 == 1 ? epochSeconds[epochSeconds.Length / 2]
            : (epochSeconds[epochSeconds.Length / 2 - 1] + epochSeconds[epochSeconds.Length / 2]) / 2;
        return new JsonObject
        {
            ["tasks"] = tasks,
            ["seconds_per_epoch"] = seconds,
            ["seconds_first_epoch"] = result.History.Count == 0 ? 0 : result.History[0].Seconds,
            ["seconds_training"] = result.History.Sum(h => h.Seconds),
            ["epochs_run"] = result.History.Count,
            ["best_epoch"] = result.BestEpoch,
            ["stopped_early"] = result.StoppedEarly,
            ["samples"] = new JsonObject { ["train"] = data.TrainRows.Length, ["validation"] = data.ValidationRows.Length, ["test"] = data.TestRows.Length },
            [Report.RunReportReader.ConfusionKey] = confusion,
        };
    }

    /// <summary>The spec's training strategy (<c>training.weighting</c> with its parameters); a value out of range is a spec error.</summary>
    internal static ITrainingStrategy<float> BuildStrategy(TrainingSpec training, IReadOnlyList<TaskSpec> tasks)
    {
        try
        {
            return MultiTask.TrainingStrategies.Create<float>(training.Weighting, tasks, training.WeightingParams,
                new MultiTask.TrainingStrategyOptions(training.LearningRate, training.Seed, training.RepGrad, training.GradientConflict));
        }
        catch (ArgumentException e)
        {
            throw new SpecException("training.weighting_params", e.Message.Split('\n')[0].Trim());
        }
    }

    /// <summary>
    /// metrics.json's <c>training</c> section: the strategy and, per epoch, the mean task weights and the gradient-conflict
    /// matrix (cosines between the task gradients, task order; absent when not recorded), and the learning rate the epoch's
    /// steps ran at (absent for the epochs before a resume).
    /// </summary>
    private static JsonObject TrainingRecord(TrainingSpec training, ITrainingStrategy<float> strategy, TrainingResult result, IReadOnlyDictionary<int, double> rates)
    {
        var epochs = new JsonArray();
        foreach (var r in result.History)
        {
            var epoch = new JsonObject { ["epoch"] = r.Epoch };
            if (rates.TryGetValue(r.Epoch, out double rate)) epoch["learning_rate"] = rate;
            var weights = new JsonObject();
            foreach (var (task, w) in r.TaskWeights ?? new Dictionary<string, double>()) weights[task] = w;
            epoch["task_weights"] = weights;
            if (r.GradientConflict is { } conflict)
                epoch["gradient_conflict"] = new JsonArray(conflict.Select(row => (JsonNode)new JsonArray(row.Select(v => (JsonNode)v).ToArray())).ToArray());
            epochs.Add(epoch);
        }
        var parameters = new JsonObject();
        foreach (var (name, value) in training.WeightingParams ?? new Dictionary<string, double>()) parameters[name] = value;
        return new JsonObject
        {
            ["weighting"] = strategy.Name,
            ["weighting_params"] = parameters,
            ["rep_grad"] = training.RepGrad,
            ["gradient_conflict"] = "cosines between the task gradients on the shared parameters (on the shared representation with rep_grad), averaged over each epoch's steps",
            ["epochs"] = epochs,
        };
    }

    private static void CheckMetric(string metric, IReadOnlyList<TaskSpec> tasks, bool validation)
    {
        if (!validation && metric != "loss")
            throw new SpecException("training.early_stopping.metric", $"\"{TrainSpec.Escape(metric)}\" needs validation rows, but split.validation_fraction leaves none; use \"loss\" (the training loss) or a validation_fraction > 0");
        var allowed = new List<string> { "loss" };
        foreach (var t in tasks) allowed.AddRange([t.Name + ".loss", t.Name + "." + TaskObjectives.MetricName(t.Kind)]);
        bool meanAccuracy = tasks.All(t => TaskObjectives.MetricName(t.Kind) == Evaluation.MeanAccuracy);
        if (meanAccuracy) allowed.Add(Evaluation.MeanAccuracy); // the mean of the tasks' validation accuracies
        else if (metric == Evaluation.MeanAccuracy)
            throw new SpecException("training.early_stopping.metric", $"\"accuracy\" is the mean of the tasks' validation accuracies, and task \"{tasks.First(t => TaskObjectives.MetricName(t.Kind) != Evaluation.MeanAccuracy).Name}\" is numeric (rmse); the allowed values are {string.Join(", ", allowed)}");
        if (!allowed.Contains(metric))
            throw new SpecException("training.early_stopping.metric", $"\"{TrainSpec.Escape(metric)}\" is not allowed here; the allowed values are {string.Join(", ", allowed)}");
    }

    private static Device ParseDevice(string name)
    {
        Device device;
        try
        {
            device = Device.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--device: {e.Message}");
        }
        if (device.Kind == DeviceKind.Cpu) return device;
        try
        {
            GpuDevices.Get(device);
        }
        catch (GpuDeviceUnavailableException e)
        {
            throw new UsageException($"--device: {e.Message}");
        }
        return device;
    }

    private static string Describe(InputPreprocessing p) => p.Type == "text"
        ? $"vocabulary of {p.Vocabulary.Length} tokens"
        : "samples of shape (" + string.Join(", ", p.SampleShape) + ")";

    internal static string EpochLine(EpochReport epoch, int epochs)
    {
        var metrics = string.Join(" ", epoch.Validation.Select(m => $"{m.Task}.{m.Metric}={m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch.Epoch}/{epochs} train_loss={epoch.TrainLoss:0.#####} validation_loss={epoch.ValidationLoss:0.#####} {metrics} ({epoch.Seconds:0.##} s)");
    }

    private static string Format(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.Number
            ? double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture).ToString("0.####", CultureInfo.InvariantCulture)
            : node.ToJsonString();

    /// <summary>A live display when the output is the user's terminal; plain lines when it is redirected (a file, a pipe, a test).</summary>
    private static bool Live(TextWriter stdout) =>
        ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>One line per epoch (plain text, for logs and redirected output).</summary>
    private sealed class LineProgress(TextWriter output, Action<TrainingProgress>? observer) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            observer?.Invoke(value);
            if (value.Epoch is not { } epoch) return;
            output.WriteLine(EpochLine(epoch, value.Epochs));
            output.Flush();
        }
    }

    /// <summary>
    /// The live display on a terminal (Spectre.Console): one bar over all the run's batches with the epoch, the batch, the
    /// last batch's loss per task and the time left; a line per finished epoch with its validation metrics above it.
    /// </summary>
    private sealed class LiveProgress(ProgressTask bar) : IProgress<TrainingProgress>
    {
        public static TrainingResult Run(int epochs, int batches, Func<IProgress<TrainingProgress>, TrainingResult> train) =>
            AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context => train(new LiveProgress(context.AddTask("starting", maxValue: Math.Max(1, (double)epochs * batches)))));

        public void Report(TrainingProgress value)
        {
            if (value.Epoch is { } epoch)
            {
                AnsiConsole.WriteLine(EpochLine(epoch, value.Epochs));
                return;
            }
            bar.Value = (double)(value.EpochNumber - 1) * value.Batches + value.BatchNumber;
            var losses = string.Join(" ", value.TaskLosses.Select(l => $"{l.Key}={l.Value.ToString("0.###", CultureInfo.InvariantCulture)}"));
            bar.Description = Markup.Escape($"epoch {value.EpochNumber}/{value.Epochs} batch {value.BatchNumber}/{value.Batches} {losses}");
        }
    }
}
