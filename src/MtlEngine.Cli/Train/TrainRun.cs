using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MtlEngine.Data;
using MtlEngine.Metrics;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Train;

/// <summary>Everything read and checked for a run: raw files, the split, the fitted preprocessing, the data set.</summary>
internal sealed class PreparedData
{
    public required IReadOnlyList<RawInput> Inputs { get; init; }
    public required IReadOnlyList<RawTask> Tasks { get; init; }
    public required int Rows { get; init; }
    public required int[] TrainRows { get; init; }
    public required int[] ValidationRows { get; init; }
    public required int[] TestRows { get; init; }
    public required IReadOnlyList<InputPreprocessing> Preprocessing { get; init; }
    public required MultiTaskDataset<float> Dataset { get; init; }
    public required IReadOnlyList<TaskSpec> TaskSpecs { get; init; }
    public required IReadOnlyDictionary<string, TargetScaling> TargetScaling { get; init; }
}

/// <summary>
/// A numeric task's targets are learned standardized, (y − mean)/scale per column with the training rows' statistics, so
/// that targets in the hundreds train as easily as targets near 1; predictions and metrics are in the original units.
/// </summary>
internal sealed record TargetScaling(float[] Mean, float[] Scale)
{
    public static TargetScaling Fit(RawTask task, int[] trainRows)
    {
        var (mean, scale) = InputPreprocessing.ColumnStatistics(task.Values!, task.Outputs, trainRows);
        return new TargetScaling(mean, scale);
    }

    public float[] Standardize(float[] values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (values[i] - Mean[i % Mean.Length]) / Scale[i % Mean.Length];
        return result;
    }

    public MtlTensor<float> Unstandardize(MtlTensor<float> outputs)
    {
        var z = outputs.ToArray();
        for (int i = 0; i < z.Length; i++) z[i] = z[i] * Scale[i % Mean.Length] + Mean[i % Mean.Length];
        return MtlTensor.FromArray(z, outputs.Shape.ToArray());
    }
}

/// <summary>
/// <c>mtl train</c> as a library of steps: read and check the files (<see cref="Prepare"/>), build the model from the
/// spec (<see cref="BuildModel"/>), train it with the open <see cref="Trainer{T}"/>, and write the output folder
/// (model.safetensors with the spec and the preprocessing in its metadata, metrics.json, history.csv).
/// </summary>
internal static class TrainRun
{
    public const string ModelKind = "mtl-train";
    public const string SpecKey = "mtl.spec";
    public const string PreprocessingKey = "mtl.preprocessing";
    public const string TasksKey = "mtl.tasks";

    /// <summary>Reads every file of the spec, checks them against each other, splits the rows and fits the preprocessing on the training rows.</summary>
    public static PreparedData Prepare(TrainSpec spec)
    {
        var inputs = spec.Inputs.Select(i => TrainFiles.ReadInput(i, i.Path, i.JsonPath + ".path")).ToList();
        var tasks = spec.Tasks.Select(TrainFiles.ReadTask).ToList();
        int rows = inputs[0].Rows;
        string first = $"{spec.Inputs[0].JsonPath}.path ({TrainFiles.Name(spec.Inputs[0].Path)})";
        foreach (var input in inputs.Skip(1))
            if (input.Rows != rows)
                throw new SpecException(input.Spec.JsonPath + ".path", $"{TrainFiles.Name(input.Spec.Path)} has {input.Rows} rows, but {first} has {rows}; every input and task covers the same samples");
        foreach (var task in tasks)
            if (task.Rows != rows)
                throw new SpecException(task.Spec.JsonPath + ".path", $"{TrainFiles.Name(task.Spec.Path)} has {task.Rows} rows, but {first} has {rows}; every input and task covers the same samples");
        if (rows < 3) throw new SpecException(first, $"has {rows} rows; training needs at least 3 (train, validation, test)");

        var (train, validation, test) = Split(spec.Split, rows);
        var preprocessing = inputs.Select(i => InputPreprocessing.Fit(i, train)).ToList();
        var taskSpecs = tasks.Select(t => new TaskSpec(t.Spec.Name, t.Kind, t.Outputs, t.Spec.Weight) { ClassWeights = ClassWeightsOf(spec.Training, t, train) }).ToList();
        var scaling = tasks.Where(t => t.Kind == TaskKind.Regression).ToDictionary(t => t.Spec.Name, t => TargetScaling.Fit(t, train));
        var dataset = BuildDataset(rows, inputs, preprocessing, tasks, scaling);
        return new PreparedData
        {
            Inputs = inputs, Tasks = tasks, Rows = rows, TrainRows = train, ValidationRows = validation, TestRows = test,
            Preprocessing = preprocessing, Dataset = dataset, TaskSpecs = taskSpecs, TargetScaling = scaling,
        };
    }

    /// <summary>The class weights <c>training.class_weights</c> gives a category task: balanced over the training rows, or the spec's list (one per class); null for none.</summary>
    private static double[]? ClassWeightsOf(TrainingSpec training, RawTask task, int[] trainRows)
    {
        if (training.ClassWeights is null || !training.ClassWeights.TryGetValue(task.Spec.Name, out var given)) return null;
        if (given is not null)
            return given.Length == task.Outputs ? given
                : throw new SpecException($"training.class_weights.{task.Spec.Name}", $"has {given.Length} weights, but task \"{task.Spec.Name}\" has {task.Outputs} classes; give one per class");
        var labels = trainRows.Select(r => task.Labels![r]).ToArray();
        if (labels.All(l => l < 0)) throw new SpecException($"training.class_weights.{task.Spec.Name}", $"task \"{task.Spec.Name}\" has no label in the training rows to balance");
        return ClassBalancing.BalancedClassWeights(labels, task.Outputs);
    }

    /// <summary>The sampling weight of each training row when <c>training.sampling</c> is balanced (1/count of its class of the chosen task); null to shuffle.</summary>
    public static double[]? SampleWeights(TrainingSpec training, PreparedData data)
    {
        if (training.BalancedSamplingTask is not { } name) return null;
        var task = data.Tasks.First(t => t.Spec.Name == name);
        return ClassBalancing.BalancedSampleWeights(data.TrainRows.Select(r => task.Labels![r]).ToArray());
    }

    /// <summary>The data set of the preprocessed inputs and the tasks' targets.</summary>
    public static MultiTaskDataset<float> BuildDataset(int rows, IReadOnlyList<RawInput> inputs, IReadOnlyList<InputPreprocessing> preprocessing, IReadOnlyList<RawTask> tasks,
        IReadOnlyDictionary<string, TargetScaling> scaling)
    {
        var dataset = new MultiTaskDataset<float>(rows);
        for (int i = 0; i < inputs.Count; i++) preprocessing[i].AddTo(dataset, inputs[i]);
        foreach (var task in tasks)
        {
            if (task.Labels is not null) dataset.AddLabels(task.Spec.Name, task.Labels);
            else dataset.AddValues(task.Spec.Name, scaling.TryGetValue(task.Spec.Name, out var s) ? s.Standardize(task.Values!) : task.Values!, task.Outputs);
        }
        return dataset;
    }

    /// <summary>Test rows (a file, or a seeded fraction), then the validation rows (a file, or a seeded fraction of the remaining rows); the rest train.</summary>
    private static (int[] Train, int[] Validation, int[] Test) Split(SplitSpec split, int rows)
    {
        int[] test;
        if (split.TestPath is not null) test = TrainFiles.ReadRowIndices(split.TestPath, rows, "split.test");
        else
        {
            int count = (int)Math.Round(rows * split.TestFraction);
            test = new TensorRandom(split.Seed).Permutation(rows)[..count].Order().ToArray();
        }
        var isTest = new bool[rows];
        foreach (int r in test) isTest[r] = true;
        var rest = Enumerable.Range(0, rows).Where(r => !isTest[r]).ToArray();
        if (split.ValidationPath is not null)
        {
            var given = TrainFiles.ReadRowIndices(split.ValidationPath, rows, "split.validation");
            var isValidation = new bool[rows];
            foreach (int r in given)
            {
                if (isTest[r])
                    throw new SpecException("split.validation", $"{TrainFiles.Name(split.ValidationPath)} holds row {r}, which is also a test row; "
                        + "validation and test rows must differ (give the test rows as a file, split.test, that the validation file avoids)");
                isValidation[r] = true;
            }
            var trainRows = rest.Where(r => !isValidation[r]).ToArray();
            if (trainRows.Length == 0)
                throw new SpecException("split.validation", $"{TrainFiles.Name(split.ValidationPath)} holds every row that is not a test row; leave some rows for training");
            return (trainRows, given, test);
        }
        var order = new TensorRandom(split.Seed, stream: 1).Permutation(rest.Length);
        int validationCount = Math.Min((int)Math.Round(rest.Length * split.ValidationFraction), rest.Length - 1);
        var validation = order[..validationCount].Select(i => rest[i]).Order().ToArray();
        var train = order[validationCount..].Select(i => rest[i]).Order().ToArray();
        return (train, validation, test);
    }

    /// <summary>The encoder of one input as its spec says, sized from its preprocessing, with its missing fill.</summary>
    public static InputEncoder<float> BuildEncoder(InputSpec input, InputPreprocessing p, TensorRandom random)
    {
        int flat = p.SampleShape.Aggregate(1, (a, b) => a * b);
        InputEncoder<float> encoder = input.Encoder.Type switch
        {
            "mlp" => new MlpEncoder<float>(flat, input.Encoder.Hidden, random),
            "cnn" => new CnnEncoder<float>(p.SampleShape[0], p.SampleShape[1], p.SampleShape[2], input.Encoder.Channels, random,
                input.Encoder.Kernel, input.Encoder.Readout == "flatten" ? CnnReadout.Flatten : CnnReadout.Pool),
            "embedding-bag" => new EmbeddingBagEncoder<float>(p.Vocabulary.Length, input.Encoder.Dim, random),
            "tfidf-mlp" => new TfidfMlpEncoder<float>(p.Idf.Length > 0 ? p.Idf : [1.0], input.Encoder.Hidden, random),
            "transformer" => new TransformerTextEncoder<float>(p.Vocabulary.Length, p.MaxTokens, input.Encoder.Dim, input.Encoder.Heads,
                input.Encoder.FeedForward ?? 2 * input.Encoder.Dim, random, input.Encoder.NormFirst),
            _ => new IdentityEncoder<float>(flat),
        };
        if (input.Missing != "zeros") encoder.UseMissingFill(input.Missing == "mean" ? MissingFill.Mean : MissingFill.Learned);
        return encoder;
    }

    /// <summary>The spec's model: an encoder per input (sized from the preprocessing), fused, then the architecture of
    /// <c>model.architecture</c> (HPS's shared trunk, cross-stitch columns, experts and gates, MTAN's attention) and a head per task.</summary>
    public static Nn.MultiTaskModel<float> BuildModel(TrainSpec spec, IReadOnlyList<InputPreprocessing> preprocessing, IReadOnlyList<TaskSpec> tasks)
    {
        var random = new TensorRandom(spec.Training.Seed);
        var encoders = new List<KeyValuePair<string, InputEncoder<float>>>();
        for (int i = 0; i < spec.Inputs.Count; i++)
        {
            var input = spec.Inputs[i];
            var encoder = BuildEncoder(input, preprocessing[i], random);
            encoders.Add(new(input.Name, encoder));
        }
        var fusion = BuildFusion(spec.Model, encoders.Select(e => e.Value.OutputWidth).ToArray(), random);
        var model = spec.Model;
        var settings = model.Settings;
        var experts = settings.ExpertHidden ?? model.Hidden;
        var towers = settings.TowerHidden ?? [];
        FusedInputModel<float> built = model.Architecture switch
        {
            "cross-stitch" => new CrossStitch<float>(encoders, tasks, model.Hidden, random, towers, model.Dropout, fusion),
            "mmoe" => new MultiGateMixtureOfExperts<float>(encoders, tasks, settings.Experts, experts, random, towers, model.Dropout, fusion),
            "cgc" => new CustomizedGateControl<float>(encoders, tasks, settings.SharedExperts, settings.TaskExperts, experts, random, towers, model.Dropout, fusion),
            "ple" => new ProgressiveLayeredExtraction<float>(encoders, tasks, settings.Levels, settings.SharedExperts, settings.TaskExperts, experts, random,
                towers, model.Dropout, fusion),
            "dselect-k" => new DSelectK<float>(encoders, tasks, settings.Experts, settings.K, experts, random, settings.Gamma, settings.DSelectEntropy, towerHidden: towers,
                dropout: model.Dropout, fusion: fusion),
            "mtan" => new MultiTaskAttentionNetwork<float>(encoders, tasks, random, towers, model.Dropout, fusion),
            _ => new HardParameterSharing<float>(encoders, model.Hidden, tasks, random, model.Dropout, fusion),
        };
        if (spec.Training.ModalityDropout > 0) built.UseModalityDropout(spec.Training.ModalityDropout, spec.Training.Seed + 2000UL);
        else if (spec.Training.ModalityDropoutRates is { } rates && rates.Values.Any(p => p > 0)) built.UseModalityDropout(rates, spec.Training.Seed + 2000UL);
        if (spec.Alignment is { Joint: true } alignment) // the projections from a stream of their own: the task model's weights stay as without them
            built.UseJointAlignment(alignment.InputA, alignment.InputB, alignment.Dim, alignment.Weight, new TensorRandom(spec.Training.Seed, stream: 8),
                Math.Log(1 / alignment.Temperature));
        return built;
    }

    /// <summary>The spec's fusion of encodings of the given widths (model.fusion with fusion_dim, fusion_rank, fusion_heads, fusion_weights).</summary>
    public static Fusion<float> BuildFusion(ModelSpec model, IReadOnlyList<int> widths, TensorRandom random) =>
        Fusions.Create<float>(model.Fusion, widths, random,
            new FusionOptions(model.FusionDim, model.FusionRank, model.FusionHeads, LearnedWeights: model.FusionWeights == "learned"));

    public static Optimizer<float> BuildOptimizer(TrainingSpec training, Module<float> model) => training.Optimizer switch
    {
        "sgd" => new Sgd<float>(model.Parameters(), training.LearningRate, momentum: 0.9, weightDecay: training.WeightDecay),
        "adamw" => new AdamW<float>(model.Parameters(), training.LearningRate, weightDecay: training.WeightDecay),
        _ => new Adam<float>(model.Parameters(), training.LearningRate, weightDecay: training.WeightDecay),
    };

    /// <summary>The model's outputs on <paramref name="rows"/>, numeric tasks back in their original units.</summary>
    public static IReadOnlyDictionary<string, MtlTensor<float>> PredictTasks(Nn.MultiTaskModel<float> model, MultiTaskDataset<float> dataset, int[] rows,
        IReadOnlyDictionary<string, TargetScaling> scaling)
    {
        var outputs = Trainer<float>.Predict(model, dataset, rows);
        return outputs.ToDictionary(o => o.Key, o => scaling.TryGetValue(o.Key, out var s) ? s.Unstandardize(o.Value) : o.Value);
    }

    /// <summary>The class of each row of logits (the first largest) and the softmax probabilities, in float64.</summary>
    public static (int[] Labels, MtlTensor<double> Probabilities) Classes(MtlTensor<float> logits)
    {
        var scores = MtlTensor.FromArray(logits.ToArray().Select(v => (double)v).ToArray(), logits.Shape.ToArray());
        return (scores.ArgMax(1).ToArray(), scores.Softmax(-1));
    }

    /// <summary>The metrics of every task on some rows: accuracy, macro_f1, log_loss (category, binary); r2, mse, mae (numeric).</summary>
    public static JsonObject TaskMetrics(RawTask task, MtlTensor<float> outputs, int[] rows)
    {
        var o = new JsonObject();
        var z = outputs.ToArray();
        int k = outputs.Shape[1];
        if (task.Kind == TaskKind.Classification)
        {
            var labelled = Enumerable.Range(0, rows.Length).Where(r => task.Labels![rows[r]] >= 0).ToArray();
            o["samples"] = labelled.Length;
            if (labelled.Length == 0) return o;
            var (predicted, probabilities) = Classes(outputs.IndexSelect(0, labelled));
            var truth = labelled.Select(r => task.Labels![rows[r]]).ToArray();
            o["accuracy"] = ClassificationMetrics.Accuracy(truth, predicted);
            o["macro_f1"] = ClassificationMetrics.F1Score(truth, predicted, Averaging.Macro);
            o["log_loss"] = LogLoss.Compute(truth, probabilities, Enumerable.Range(0, k).ToArray());
            return o;
        }
        var yTrue = new List<double>();
        var yPred = new List<double>();
        for (int r = 0; r < rows.Length; r++)
            for (int j = 0; j < k; j++)
            {
                float v = task.Values![rows[r] * k + j];
                if (float.IsNaN(v)) continue;
                yTrue.Add(v);
                yPred.Add(z[r * k + j]);
            }
        o["samples"] = yTrue.Count;
        if (yTrue.Count == 0) return o;
        if (task.Kind == TaskKind.Binary)
        {
            var truth = yTrue.Select(v => (int)v).ToArray();
            var predicted = yPred.Select(v => v > 0 ? 1 : 0).ToArray();
            o["accuracy"] = ClassificationMetrics.Accuracy(truth, predicted);
            o["macro_f1"] = ClassificationMetrics.F1Score(truth, predicted, Averaging.Macro);
            o["log_loss"] = LogLoss.Binary(truth, yPred.Select(v => 1 / (1 + Math.Exp(-v))).ToArray());
            return o;
        }
        // R² per target over its labelled samples, then their mean (scikit-learn's multioutput="uniform_average").
        var perTarget = new List<double>();
        for (int j = 0; j < k; j++)
        {
            var t = new List<double>();
            var p = new List<double>();
            for (int r = 0; r < rows.Length; r++)
            {
                float v = task.Values![rows[r] * k + j];
                if (float.IsNaN(v)) continue;
                t.Add(v);
                p.Add(z[r * k + j]);
            }
            if (t.Count > 1) perTarget.Add(RegressionMetrics.R2(t.ToArray(), p.ToArray()));
        }
        o["r2"] = perTarget.Count > 0 ? perTarget.Average() : double.NaN;
        o["mse"] = RegressionMetrics.MeanSquaredError(yTrue.ToArray(), yPred.ToArray());
        o["mae"] = RegressionMetrics.MeanAbsoluteError(yTrue.ToArray(), yPred.ToArray());
        return o;
    }

    /// <summary>
    /// The robustness curves for metrics.json: per input and task, the task's test metric (accuracy; r2 for numeric tasks) with
    /// the input missing for 0, 1/steps, …, 100% of the test samples (a seeded, nested choice) and the curve's normalized area.
    /// </summary>
    public static JsonObject Robustness(PreparedData data, Nn.MultiTaskModel<float> model, int steps, ulong seed)
    {
        var inputs = new JsonObject();
        foreach (var input in data.Preprocessing)
        {
            var metrics = data.Tasks.ToDictionary(t => t.Spec.Name, task => (Func<IReadOnlyDictionary<string, MtlTensor<float>>, double>)(outputs =>
            {
                var values = outputs[task.Spec.Name];
                if (data.TargetScaling.TryGetValue(task.Spec.Name, out var scaling)) values = scaling.Unstandardize(values);
                return TaskMetrics(task, values, data.TestRows)[RobustnessMetric(task)]?.GetValue<double>() ?? double.NaN;
            }));
            var curves = ModalityRobustness.Curves(model, data.Dataset, data.TestRows, input.Name, metrics, seed, steps);
            var tasks = new JsonObject();
            foreach (var task in data.Tasks)
            {
                var curve = curves[task.Spec.Name];
                tasks[task.Spec.Name] = new JsonObject
                {
                    ["metric"] = RobustnessMetric(task),
                    ["values"] = new JsonArray(curve.Values.Select(v => (JsonNode)v).ToArray()),
                    ["area"] = curve.Area,
                };
            }
            inputs[input.Name] = tasks;
        }
        return new JsonObject
        {
            ["missing_fractions"] = new JsonArray(ModalityRobustness.Fractions(steps).Select(f => (JsonNode)f).ToArray()),
            ["seed"] = seed,
            ["inputs"] = inputs,
        };
    }

    /// <summary>
    /// metrics.json's <c>attribution</c>: per input and task, the test rows' mean |integrated gradient| and mean integrated
    /// gradient of the input's encoding (<see cref="ModalityAttribution"/>), and its drop-one contribution: the task's test metric
    /// with every input minus the metric with this input missing for every test sample; per task, the completeness error.
    /// </summary>
    public static JsonObject Attribution(PreparedData data, Nn.MultiTaskModel<float> model, EvaluationSpec evaluation, ulong seed)
    {
        var fused = (MultiTask.FusedInputModel<float>)model;
        var baseline = evaluation.AttributionBaseline == "zeros" ? AttributionBaseline.Zeros : AttributionBaseline.MissingFill;
        var rows = data.TestRows;
        var gradients = new Dictionary<string, ModalityIntegratedGradients>();
        foreach (var task in data.Tasks)
        {
            var result = new List<ModalityIntegratedGradients>();
            for (int start = 0; start < rows.Length; start += 256) // in chunks: m forward and backward passes each
            {
                var batch = data.Dataset.Batch(rows.AsSpan(start, Math.Min(256, rows.Length - start)));
                result.Add(ModalityAttribution.IntegratedGradients(fused, batch, task.Spec.Name, evaluation.AttributionSteps, baseline));
            }
            gradients[task.Spec.Name] = Concatenate(result, fused.InputNames);
        }
        var inputs = new JsonObject();
        for (int i = 0; i < data.Preprocessing.Count; i++)
        {
            var input = data.Preprocessing[i];
            var metrics = data.Tasks.ToDictionary(t => t.Spec.Name, task => (Func<IReadOnlyDictionary<string, MtlTensor<float>>, double>)(outputs =>
            {
                var values = outputs[task.Spec.Name];
                if (data.TargetScaling.TryGetValue(task.Spec.Name, out var scaling)) values = scaling.Unstandardize(values);
                return TaskMetrics(task, values, rows)[RobustnessMetric(task)]?.GetValue<double>() ?? double.NaN;
            }));
            var curves = ModalityRobustness.Curves(model, data.Dataset, rows, input.Name, metrics, seed, 1); // 0% and 100% missing
            var tasks = new JsonObject();
            foreach (var task in data.Tasks)
            {
                int at = fused.InputNames.ToList().IndexOf(input.Name);
                var curve = curves[task.Spec.Name];
                tasks[task.Spec.Name] = new JsonObject
                {
                    ["integrated_gradients_mean_abs"] = gradients[task.Spec.Name].MeanAbsolute()[at],
                    ["integrated_gradients_mean"] = gradients[task.Spec.Name].MeanSigned()[at],
                    ["drop_one"] = new JsonObject
                    {
                        ["metric"] = RobustnessMetric(task),
                        ["all_inputs"] = curve.Values[0],
                        ["without_input"] = curve.Values[^1],
                        ["contribution"] = curve.Values[0] - curve.Values[^1],
                    },
                };
            }
            inputs[input.Name] = tasks;
        }
        return new JsonObject
        {
            ["steps"] = evaluation.AttributionSteps,
            ["baseline"] = evaluation.AttributionBaseline,
            ["explained"] = "per test sample: the logit of the predicted class (category), the sum of the outputs (binary, numeric; standardized)",
            ["completeness_error"] = new JsonObject(gradients.Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Value.CompletenessError))),
            ["inputs"] = inputs,
        };
    }

    private static ModalityIntegratedGradients Concatenate(List<ModalityIntegratedGradients> parts, IReadOnlyList<string> inputs)
    {
        int n = parts.Sum(p => p.Output.Length);
        var attributions = new double[n, inputs.Count];
        int row = 0;
        foreach (var part in parts)
            for (int s = 0; s < part.Output.Length; s++, row++)
                for (int i = 0; i < inputs.Count; i++) attributions[row, i] = part.Attributions[s, i];
        return new ModalityIntegratedGradients(inputs, attributions, [.. parts.SelectMany(p => p.Output)], [.. parts.SelectMany(p => p.BaselineOutput)]);
    }

    private static string RobustnessMetric(RawTask task) => task.Kind == TaskKind.Regression ? "r2" : "accuracy";

    /// <summary>
    /// The confusion matrix of a category task (or a one-column binary task) on the labelled rows among <paramref name="rows"/>,
    /// as JSON rows (true class) of counts per predicted class, for the report; null for other tasks or no labelled row.
    /// </summary>
    public static JsonArray? Confusion(RawTask task, MtlTensor<float> outputs, int[] rows)
    {
        int[] truth, predicted;
        int classes;
        if (task.Kind == TaskKind.Classification)
        {
            var labelled = Enumerable.Range(0, rows.Length).Where(r => task.Labels![rows[r]] >= 0).ToArray();
            if (labelled.Length == 0) return null;
            classes = outputs.Shape[1];
            predicted = Classes(outputs.IndexSelect(0, labelled)).Labels;
            truth = labelled.Select(r => task.Labels![rows[r]]).ToArray();
        }
        else if (task.Kind == TaskKind.Binary && task.Outputs == 1)
        {
            var z = outputs.ToArray();
            var labelled = Enumerable.Range(0, rows.Length).Where(r => !float.IsNaN(task.Values![rows[r]])).ToArray();
            if (labelled.Length == 0) return null;
            classes = 2;
            predicted = labelled.Select(r => z[r] > 0 ? 1 : 0).ToArray();
            truth = labelled.Select(r => (int)task.Values![rows[r]]).ToArray();
        }
        else return null;
        var counts = ClassificationMetrics.ConfusionMatrix(truth, predicted, Enumerable.Range(0, classes).ToArray());
        return new JsonArray(Enumerable.Range(0, classes)
            .Select(i => (JsonNode)new JsonArray(Enumerable.Range(0, classes).Select(j => (JsonNode)counts[i, j]).ToArray())).ToArray());
    }

    /// <summary>Test rows whose shared representation is kept for the report's scatter plot (the first ones, in order).</summary>
    public const int MaxRepresentationRows = 2000;

    /// <summary>
    /// representation.npz for the report: the shared representation (the trunk's output) of the test rows, float32, and the
    /// labels of every category task on them (int64, −1 where missing). Nothing is written without test rows or a category task.
    /// </summary>
    public static void WriteRepresentation(string path, Nn.MultiTaskModel<float> model, PreparedData data)
    {
        var categories = data.Tasks.Where(t => t.Kind == TaskKind.Classification).ToList();
        var rows = data.TestRows.Take(MaxRepresentationRows).ToArray();
        if (File.Exists(path)) File.Delete(path); // a stale one from an earlier run in this folder
        if (rows.Length < 2 || categories.Count == 0) return;
        bool training = model.Training;
        model.Eval();
        MtlTensor<float> representation;
        try
        {
            using var _ = Autograd.Grad.NoGrad();
            var output = model.Forward(data.Dataset.Batch(rows));
            representation = output.Representations[categories[0].Spec.Name];
        }
        finally
        {
            model.Train(training);
        }
        int width = representation.Length / rows.Length;
        var arrays = new List<NdArray> { NdArray.Create(Report.RunReportReader.RepresentationArray, representation.ToArray(), rows.Length, width) };
        foreach (var task in categories)
            arrays.Add(NdArray.Create(task.Spec.Name, rows.Select(r => (long)task.Labels![r]).ToArray(), rows.Length));
        Npz.Write(path, arrays);
    }

    /// <summary>history.csv: one row per epoch: seconds, weighted losses, each task's train and validation loss, metric and weight.</summary>
    public static string History(IReadOnlyList<EpochReport> history, IReadOnlyList<TaskSpec> tasks)
    {
        var text = new StringBuilder("epoch,seconds,train_loss,validation_loss");
        foreach (var t in tasks) text.Append($",{t.Name}.train_loss,{t.Name}.validation_loss,{t.Name}.validation_{TaskObjectives.MetricName(t.Kind)},{t.Name}.weight");
        text.Append('\n');
        foreach (var r in history)
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{F(r.Seconds)},{F(r.TrainLoss)},{F(r.ValidationLoss)}");
            foreach (var t in tasks)
            {
                double metric = r.Validation.FirstOrDefault(m => m.Task == t.Name)?.Value ?? double.NaN;
                text.Append(CultureInfo.InvariantCulture, $",{F(r.TaskTrainLosses?.GetValueOrDefault(t.Name) ?? double.NaN)},{F(r.TaskValidationLosses?.GetValueOrDefault(t.Name) ?? double.NaN)},{F(metric)},{F(r.TaskWeights?.GetValueOrDefault(t.Name) ?? double.NaN)}");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    public static string F(double v) => double.IsNaN(v) ? "nan" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The model file: the weights under PyTorch-style names, the spec, the preprocessing and the tasks in the metadata.</summary>
    public static void SaveModel(string path, Nn.MultiTaskModel<float> model, TrainSpec spec, IReadOnlyList<InputPreprocessing> preprocessing, IReadOnlyList<TaskSpec> tasks,
        IReadOnlyDictionary<string, TargetScaling> scaling)
    {
        var pre = new JsonObject();
        foreach (var p in preprocessing) pre[p.Name] = p.ToJson();
        var taskJson = new JsonArray(tasks.Select(t => (JsonNode)new JsonObject
        {
            ["name"] = t.Name, ["kind"] = t.Kind.ToString(), ["outputs"] = t.Outputs, ["weight"] = t.Weight,
            ["mean"] = scaling.TryGetValue(t.Name, out var s) ? new JsonArray(s.Mean.Select(v => (JsonNode)v).ToArray()) : null,
            ["scale"] = scaling.TryGetValue(t.Name, out var c) ? new JsonArray(c.Scale.Select(v => (JsonNode)v).ToArray()) : null,
        }).ToArray());
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [Learn.ModelFile.KindKey] = ModelKind,
            [Learn.ModelFile.VersionKey] = Learn.ModelFile.Version,
            [SpecKey] = spec.Json,
            [PreprocessingKey] = pre.ToJsonString(),
            [TasksKey] = taskJson.ToJsonString(),
        };
        string temporary = path + ".tmp";
        Safetensors.Write(temporary, model.StateDict(), metadata);
        File.Move(temporary, path, overwrite: true);
    }
}
