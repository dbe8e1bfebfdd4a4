using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MtlEngine.Data;

namespace MtlEngine.Nn;

/// <summary>
/// The run counters and history of a <see cref="Trainer{T}"/> checkpoint as one JSON string (the <c>run</c> entry of the
/// safetensors metadata). Doubles are written with round-trip precision, so a resumed history equals the uninterrupted one.
/// </summary>
internal static class CheckpointJson
{
    public static string Write(int epoch, int batch, long steps, ulong epochPosition, ulong position, double seconds,
        double best, int bestEpoch, int sinceBest, bool stopped, IReadOnlyList<EpochReport> history, IReadOnlyDictionary<string, ulong> modulePositions)
    {
        var positions = new JsonObject();
        foreach (var (name, p) in modulePositions) positions[name] = p;
        var root = new JsonObject
        {
            ["epoch"] = epoch,
            ["batch"] = batch,
            ["steps"] = steps,
            ["epoch_random_position"] = epochPosition,
            ["random_position"] = position,
            ["epoch_seconds"] = Number(seconds),
            ["best"] = Number(best),
            ["best_epoch"] = bestEpoch,
            ["since_best"] = sinceBest,
            ["stopped"] = stopped,
            ["history"] = new JsonArray(history.Select(Report).ToArray()),
            ["module_random_positions"] = positions,
        };
        return root.ToJsonString();
    }

    public static void Read(string json, string path, List<EpochReport> history, out int epoch, out int batch, out long steps, out ulong epochPosition,
        out ulong position, out double seconds, out double best, out int bestEpoch, out int sinceBest, out bool stopped, out Dictionary<string, ulong> modulePositions)
    {
        try
        {
            var root = JsonNode.Parse(json)!.AsObject();
            epoch = root["epoch"]!.GetValue<int>();
            batch = root["batch"]!.GetValue<int>();
            steps = root["steps"]!.GetValue<long>();
            epochPosition = root["epoch_random_position"]!.GetValue<ulong>();
            position = root["random_position"]!.GetValue<ulong>();
            seconds = Parse(root["epoch_seconds"]!);
            best = Parse(root["best"]!);
            bestEpoch = root["best_epoch"]!.GetValue<int>();
            sinceBest = root["since_best"]!.GetValue<int>();
            stopped = root["stopped"]!.GetValue<bool>();
            foreach (var item in root["history"]!.AsArray()) history.Add(ReadReport(item!.AsObject()));
            modulePositions = root["module_random_positions"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<ulong>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new DataFormatException(path, $"has an unreadable run record in its metadata ({e.Message}).", e);
        }
    }

    private static JsonNode Report(EpochReport r) => new JsonObject
    {
        ["epoch"] = r.Epoch,
        ["train_loss"] = Number(r.TrainLoss),
        ["validation_loss"] = Number(r.ValidationLoss),
        ["metrics"] = new JsonArray(r.Validation.Select(m => (JsonNode)new JsonObject { ["task"] = m.Task, ["metric"] = m.Metric, ["value"] = Number(m.Value) }).ToArray()),
        ["task_train_losses"] = Map(r.TaskTrainLosses),
        ["task_validation_losses"] = Map(r.TaskValidationLosses),
        ["task_weights"] = Map(r.TaskWeights),
        ["seconds"] = Number(r.Seconds),
        ["gradient_conflict"] = r.GradientConflict is null ? null : new JsonArray(r.GradientConflict.Select(row => (JsonNode)new JsonArray(row.Select(Number).ToArray())).ToArray()),
    };

    private static EpochReport ReadReport(JsonObject o) => new(
        o["epoch"]!.GetValue<int>(), Parse(o["train_loss"]!), Parse(o["validation_loss"]!),
        o["metrics"]!.AsArray().Select(m => new TaskMetric(m!["task"]!.GetValue<string>(), m["metric"]!.GetValue<string>(), Parse(m["value"]!))).ToList(),
        ReadMap(o["task_train_losses"]), ReadMap(o["task_validation_losses"]), ReadMap(o["task_weights"]), Parse(o["seconds"]!),
        o["gradient_conflict"]?.AsArray().Select(row => (IReadOnlyList<double>)row!.AsArray().Select(v => Parse(v!)).ToArray()).ToArray());

    private static JsonNode? Map(IReadOnlyDictionary<string, double>? map)
    {
        if (map is null) return null;
        var o = new JsonObject();
        foreach (var (k, v) in map) o[k] = Number(v);
        return o;
    }

    private static Dictionary<string, double>? ReadMap(JsonNode? node) =>
        node?.AsObject().ToDictionary(p => p.Key, p => Parse(p.Value!));

    /// <summary>A double as a round-trip string (JSON has no NaN or infinity).</summary>
    private static JsonNode Number(double value) => JsonValue.Create(value.ToString("R", CultureInfo.InvariantCulture))!;

    private static double Parse(JsonNode node) => double.Parse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
