using System.Text.Json;
using System.Text.Json.Nodes;
using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Train;

/// <summary>
/// <c>mtl predict --model DIR/model.safetensors --input NAME=FILE ... --out P.npz [--proba]</c> for a model written by
/// <c>mtl train</c>: the file alone predicts (the spec, the preprocessing and the tasks are in its metadata). One array per
/// task: class labels (int64) or, with --proba, probabilities (softmax for a category task, sigmoid for a binary one) as
/// float64; values (float64) for a numeric task.
/// </summary>
internal static class TrainPredict
{
    /// <summary>The per-task predictions of the model in <paramref name="contents"/> for the named input files.</summary>
    public static IReadOnlyList<NdArray> Predict(ModelFileContents contents, IReadOnlyList<string> inputs, bool proba)
    {
        var (spec, preprocessing, tasks, scaling) = Describe(contents);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in inputs)
        {
            int equals = entry.IndexOf('=');
            if (equals <= 0 || equals == entry.Length - 1)
                throw new UsageException($"--input {TrainSpec.Escape(entry)}: write NAME=FILE, one per model input ({string.Join(", ", spec.Inputs.Select(i => i.Name))})");
            string name = entry[..equals], path = entry[(equals + 1)..];
            if (spec.Inputs.All(i => i.Name != name))
                throw new UsageException($"--input {TrainSpec.Escape(name)}: the model has no such input; its inputs are {string.Join(", ", spec.Inputs.Select(i => i.Name))}");
            if (!File.Exists(path)) throw new UsageException($"{TrainSpec.Escape(path)} (--input {name}): no such file");
            if (!files.TryAdd(name, path)) throw new UsageException($"--input {name} is given twice");
        }
        var missing = spec.Inputs.Where(i => !files.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0) throw new UsageException($"--input: the model reads [{string.Join(", ", spec.Inputs.Select(i => i.Name))}]; give {string.Join(", ", missing.Select(m => m + "=FILE"))}");

        var raw = spec.Inputs.Select(i => TrainFiles.ReadInput(i, files[i.Name], "--input " + i.Name)).ToList();
        int rows = raw[0].Rows;
        foreach (var r in raw)
            if (r.Rows != rows)
                throw new UsageException($"--input {r.Spec.Name} has {r.Rows} rows but --input {raw[0].Spec.Name} has {rows}; every input covers the same samples");
        var dataset = TrainRun.BuildDataset(rows, raw, preprocessing, [], scaling);
        var model = TrainRun.BuildModel(spec, preprocessing, tasks);
        try
        {
            model.LoadStateDict(contents.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(contents.Path, e.Message, e);
        }
        model.Eval();
        var outputs = TrainRun.PredictTasks(model, dataset, Enumerable.Range(0, rows).ToArray(), scaling);
        return tasks.Select(t => Result(t, outputs[t.Name], proba)).ToList();
    }

    /// <summary>The spec, the preprocessing and the tasks a model file carries.</summary>
    private static (TrainSpec Spec, List<InputPreprocessing> Preprocessing, List<TaskSpec> Tasks, Dictionary<string, TargetScaling> Scaling) Describe(ModelFileContents contents)
    {
        try
        {
            var spec = TrainSpec.Parse(contents.Text(TrainRun.SpecKey), Path.GetDirectoryName(Path.GetFullPath(contents.Path))!, checkFiles: false);
            var pre = JsonNode.Parse(contents.Text(TrainRun.PreprocessingKey))!.AsObject();
            var preprocessing = spec.Inputs.Select(i => InputPreprocessing.FromJson(i.Name, pre[i.Name]?.AsObject()
                ?? throw new DataFormatException(contents.Path, $"the model's preprocessing has no entry for input \"{i.Name}\""))).ToList();
            var taskArray = JsonNode.Parse(contents.Text(TrainRun.TasksKey))!.AsArray();
            var tasks = taskArray.Select(t => new TaskSpec(
                t!["name"]!.GetValue<string>(), Enum.Parse<TaskKind>(t["kind"]!.GetValue<string>()), t["outputs"]!.GetValue<int>(), t["weight"]!.GetValue<double>())).ToList();
            var scaling = new Dictionary<string, TargetScaling>();
            foreach (var t in taskArray)
                if (t!["mean"] is JsonArray mean && t["scale"] is JsonArray scale)
                    scaling[t["name"]!.GetValue<string>()] = new TargetScaling(mean.Select(v => v!.GetValue<float>()).ToArray(), scale.Select(v => v!.GetValue<float>()).ToArray());
            return (spec, preprocessing, tasks, scaling);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException or SpecException or NullReferenceException)
        {
            throw new DataFormatException(contents.Path, $"its mtl-train metadata is unreadable ({e.Message})", e);
        }
    }

    private static NdArray Result(TaskSpec task, MtlTensor<float> output, bool proba)
    {
        var z = output.ToArray();
        int n = output.Shape[0], k = output.Shape[1];
        if (task.Kind == TaskKind.Regression)
            return NdArray.Create(task.Name, z.Select(v => (double)v).ToArray(), n, k);
        if (task.Kind == TaskKind.Binary)
            return proba
                ? NdArray.Create(task.Name, z.Select(v => 1 / (1 + Math.Exp(-(double)v))).ToArray(), n, k)
                : NdArray.Create(task.Name, z.Select(v => v > 0 ? 1L : 0L).ToArray(), n, k);
        var (labels, probabilities) = TrainRun.Classes(output);
        return proba
            ? NdArray.Create(task.Name, probabilities.ToArray(), n, k)
            : NdArray.Create(task.Name, labels.Select(l => (long)l).ToArray(), n);
    }
}
