using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MtlEngine.Cli.Train;

/// <summary>A problem in a training spec, at a JSON path (<c>tasks[1].path</c>): the message reads "PATH: problem".</summary>
internal sealed class SpecException(string path, string problem) : UsageException($"{path}: {problem}")
{
    /// <summary>Where in the spec (a JSON path such as <c>training.early_stopping.patience</c>).</summary>
    public string JsonPath { get; } = path;
}

/// <summary>One input of the spec: its file and how to encode it.</summary>
/// <param name="Name">The input's name (unique).</param>
/// <param name="Type"><c>numeric</c>, <c>image</c> or <c>text</c>.</param>
/// <param name="Path">The file, resolved against the spec's folder.</param>
/// <param name="Column">For a .tsv/.csv text file: the column (name or 0-based index); null for one sample per line.</param>
/// <param name="Encoder">The encoder.</param>
/// <param name="JsonPath">Where the input is in the spec (for messages).</param>
/// <param name="Missing">How a missing value of this input is filled: <c>zeros</c> (the fusion sees it missing), <c>mean</c> or <c>learned</c>.</param>
internal sealed record InputSpec(string Name, string Type, string Path, string? Column, EncoderSpec Encoder, string JsonPath, string Missing = "zeros");

/// <summary>An input's encoder.</summary>
/// <param name="Type"><c>mlp</c>, <c>cnn</c>, <c>embedding-bag</c>, <c>tfidf-mlp</c>, <c>transformer</c> or <c>identity</c>.</param>
/// <param name="Hidden">mlp, tfidf-mlp: the hidden widths (the last is the encoder's output width).</param>
/// <param name="Channels">cnn: the channels of each conv block.</param>
/// <param name="Dim">embedding-bag, transformer: the embedding width.</param>
/// <param name="MaxTokens">text encoders: the most tokens kept per sample.</param>
/// <param name="MinCount">text encoders: a token enters the vocabulary when it occurs in at least this many training samples.</param>
internal sealed record EncoderSpec(string Type, int[] Hidden, int[] Channels, int Dim, int MaxTokens, int MinCount)
{
    /// <summary>transformer: the attention heads (they divide dim).</summary>
    public int Heads { get; init; } = 2;

    /// <summary>transformer: the hidden width of the block's feed-forward network (null: 2·dim).</summary>
    public int? FeedForward { get; init; }

    /// <summary>transformer: pre-LN (true) or post-LN (false, the default).</summary>
    public bool NormFirst { get; init; }

    /// <summary>cnn: k of every k×k convolution (odd; 3 by default).</summary>
    public int Kernel { get; init; } = 3;

    /// <summary>cnn: <c>pool</c> (a 2×2 average pool of the last maps, the default) or <c>flatten</c> (the whole last map).</summary>
    public string Readout { get; init; } = "pool";
}

/// <summary>One task of the spec.</summary>
/// <param name="Name">The task's name (unique).</param>
/// <param name="Type"><c>category</c>, <c>binary</c> or <c>numeric</c>.</param>
/// <param name="Path">The label file, resolved against the spec's folder.</param>
/// <param name="Column">For a .csv label file: the column (name or 0-based index); null for every column.</param>
/// <param name="Weight">wₜ in Σ wₜ·lossₜ.</param>
/// <param name="JsonPath">Where the task is in the spec.</param>
internal sealed record TaskSpecEntry(string Name, string Type, string Path, string? Column, double Weight, string JsonPath);

/// <summary>How the rows are split: a held-out test part (a file of row indices or a seeded fraction), then validation from the rest
/// (a file of row indices, <paramref name="ValidationPath"/>, or a seeded fraction of the rows that are not test rows).</summary>
internal sealed record SplitSpec(string? TestPath, double TestFraction, double ValidationFraction, ulong Seed, string? ValidationPath = null);

/// <summary>The model: architecture, fusion of the encoded inputs, the shared trunk's widths, dropout.</summary>
/// <param name="Architecture">The architecture (<see cref="TrainSpec.Architectures"/>).</param>
/// <param name="Fusion">The fusion's name (<see cref="MultiModal.Fusions.Names"/>).</param>
/// <param name="Hidden">The shared trunk's widths.</param>
/// <param name="Dropout">Dropout after each trunk activation.</param>
/// <param name="FusionDim">fusion_dim: d of the fusions that project (null: 64; for tensor fusion: no projection).</param>
/// <param name="FusionRank">fusion_rank: r of low-rank fusion.</param>
/// <param name="FusionHeads">fusion_heads: the attention heads of cross-attention.</param>
/// <param name="FusionWeights">fusion_weights: late fusion's <c>mean</c> or <c>learned</c> weights of the inputs.</param>
internal sealed record ModelSpec(string Architecture, string Fusion, int[] Hidden, double Dropout, int? FusionDim = null, int FusionRank = 4, int FusionHeads = 1,
    string FusionWeights = "mean")
{
    /// <summary>The settings of the architectures beyond HPS (experts, levels, towers, ...).</summary>
    public ArchitectureSettings Settings { get; init; } = new();
}

/// <summary>
/// The settings of the multi-task architectures (the <c>model</c> keys besides architecture, fusion, hidden and dropout).
/// </summary>
/// <param name="ExpertHidden">Each expert's widths (mmoe, cgc, ple, dselect-k); the model's <c>hidden</c> when not given.</param>
/// <param name="TowerHidden">Each task tower's widths before its head (every architecture but hps).</param>
/// <param name="Experts">E, the number of experts (mmoe, dselect-k).</param>
/// <param name="SharedExperts">Shared experts per level (cgc, ple).</param>
/// <param name="TaskExperts">Experts of each task per level (cgc, ple).</param>
/// <param name="Levels">Extraction levels (ple).</param>
/// <param name="K">Experts each task selects (dselect-k).</param>
/// <param name="Gamma">γ of the smooth-step (dselect-k).</param>
/// <param name="DSelectEntropy">τ, the weight of the selectors' entropy added to the training loss (dselect-k; 0: none).</param>
internal sealed record ArchitectureSettings(int[]? ExpertHidden = null, int[]? TowerHidden = null, int Experts = 4, int SharedExperts = 1, int TaskExperts = 1,
    int Levels = 2, int K = 2, double Gamma = 1, double DSelectEntropy = 0);

/// <summary>
/// The training loop's settings; the strategy is <c>Weighting</c> with its own parameters <c>WeightingParams</c>
/// (<c>training.weighting_params</c>), <c>RepGrad</c> aggregates the shared representation's gradients
/// (<c>training.rep_grad</c>), <c>GradientConflict</c> records the conflict matrix with a loss-weighting strategy too,
/// <c>ModalityDropout</c> is p of modality dropout for every input (0: off; per-input rates: <see cref="ModalityDropoutRates"/>).
/// </summary>
internal sealed record TrainingSpec(int Epochs, int BatchSize, string Optimizer, double LearningRate, double WeightDecay, string Weighting,
    ulong Seed, string? EarlyStoppingMetric, int Patience, double? ClipNorm,
    IReadOnlyDictionary<string, double>? WeightingParams = null, bool RepGrad = false, bool GradientConflict = false, double ModalityDropout = 0)
{
    /// <summary>
    /// <c>training.class_weights</c>: per classification task, its class weights in the cross-entropy (null = balanced, as
    /// scikit-learn's <c>compute_class_weight("balanced")</c> over the training rows); null when not asked.
    /// </summary>
    public IReadOnlyDictionary<string, double[]?>? ClassWeights { get; init; }

    /// <summary><c>training.sampling: "balanced"</c>: the classification task whose classes each epoch draws equally often (with replacement); null to shuffle.</summary>
    public string? BalancedSamplingTask { get; init; }

    /// <summary>
    /// <c>training.modality_dropout</c> given per input (an object of input name → rate; inputs not listed: 0), or null when it is
    /// one number for every input (<see cref="ModalityDropout"/>, then 0 here).
    /// </summary>
    public IReadOnlyDictionary<string, double>? ModalityDropoutRates { get; init; }

    /// <summary><c>training.lr_schedule</c>: the learning rate per epoch, or null for a constant <see cref="LearningRate"/>.</summary>
    public LrScheduleSpec? LrSchedule { get; init; }
}

/// <summary>
/// <c>training.lr_schedule</c>: the learning rate of each epoch (constant within it), as PyTorch's schedulers stepped once per
/// epoch. The first <paramref name="WarmupEpochs"/> epochs ramp up linearly (epoch e ≤ W runs at η·e/W); from epoch W + 1 on,
/// with j = e − W − 1 the epochs since the warm-up and T = epochs − W: <c>cosine</c> (CosineAnnealingLR, T_max = T) runs at
/// η_min + ½(η − η_min)(1 + cos(πj/T)), <c>step</c> (StepLR) at η·γ^⌊j / step_size⌋.
/// </summary>
/// <param name="Kind"><c>cosine</c> or <c>step</c>.</param>
/// <param name="WarmupEpochs">W (0: none).</param>
/// <param name="MinLr">cosine: η_min (0 ≤ η_min ≤ η).</param>
/// <param name="StepSize">step: epochs between decays.</param>
/// <param name="Gamma">step: γ, the decay factor.</param>
internal sealed record LrScheduleSpec(string Kind, int WarmupEpochs, double MinLr, int StepSize, double Gamma)
{
    /// <summary>The kinds.</summary>
    public static readonly string[] Kinds = ["cosine", "step"];

    /// <summary>The factor by which the learning rate η is scaled, as a function of the 0-based epoch (epoch e is index e − 1).</summary>
    public Nn.ILearningRateSchedule EpochFactor(double learningRate, int epochs)
    {
        Nn.ILearningRateSchedule after = Kind == "cosine"
            ? new Nn.CosineSchedule(1.0, epochs - WarmupEpochs, MinLr / learningRate)
            : new Nn.StepSchedule(1.0, StepSize, Gamma);
        return WarmupEpochs == 0 ? after : new Nn.WarmupSchedule(after, WarmupEpochs);
    }

    /// <summary>The learning rate of each step: <see cref="EpochFactor"/> of the step's epoch (<paramref name="batchesPerEpoch"/> steps an epoch) times η.</summary>
    public Nn.ILearningRateSchedule StepFactor(double learningRate, int epochs, int batchesPerEpoch)
    {
        var factor = EpochFactor(learningRate, epochs);
        return new Nn.LambdaSchedule(step => factor.RateAt(step / batchesPerEpoch));
    }
}

/// <summary>What metrics.json holds beyond the test and validation metrics: the robustness curves of every input (when asked).</summary>
/// <param name="Robustness">Write the robustness curve of every input and task (the test metric with the input missing for 0, 10, …, 100% of the test samples) and its area.</param>
/// <param name="RobustnessSteps">The steps from 0 to 100% (10: every 10%).</param>
internal sealed record EvaluationSpec(bool Robustness = false, int RobustnessSteps = 10)
{
    /// <summary><c>evaluation.attribution</c>: write each input's integrated gradients and drop-one contribution per task.</summary>
    public bool Attribution { get; init; }

    /// <summary><c>evaluation.attribution_steps</c>: m of the integrated gradients' midpoint rule.</summary>
    public int AttributionSteps { get; init; } = 32;

    /// <summary><c>evaluation.attribution_baseline</c>: <c>fill</c> (each encoder's missing fill) or <c>zeros</c>.</summary>
    public string AttributionBaseline { get; init; } = "fill";
}

/// <summary>
/// The <c>alignment</c> section: a two-tower contrastive model (CLIP's symmetric InfoNCE, learnable temperature) of two inputs,
/// each through an encoder as its spec says, projected to <paramref name="Dim"/>; trained on the training rows that have both
/// inputs, then evaluated by retrieval on the test rows that have both (written into metrics.json under <c>alignment</c>).
/// </summary>
/// <param name="InputA">The first input's name (the queries of <c>a_to_b</c>).</param>
/// <param name="InputB">The second input's name.</param>
/// <param name="Dim">The width of the shared space.</param>
/// <param name="Temperature">τ at the start (the logits are cosine/τ; τ ≥ 0.01, CLIP's clamp at 100).</param>
/// <param name="Epochs">Passes over the training pairs.</param>
/// <param name="BatchSize">Pairs per step (the negatives of each pair are the batch's other pairs).</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="Retrieval">Write the retrieval metrics (Recall@1/5/10 both ways, median and mean rank) into metrics.json.</param>
internal sealed record AlignmentSpec(string InputA, string InputB, int Dim = 64, double Temperature = 0.07, int Epochs = 20, int BatchSize = 128,
    double LearningRate = 1e-3, bool Retrieval = true)
{
    /// <summary>
    /// <c>alignment.joint</c>: instead of a model of its own, the task model is trained with Σ task losses + λ·InfoNCE of the
    /// two inputs' encodings (its own encoders, projected to <see cref="Dim"/>; <see cref="MultiModal.JointAlignment{T}"/>), and
    /// metrics.json <c>alignment</c> holds that model's retrieval.
    /// </summary>
    public bool Joint { get; init; }

    /// <summary><c>alignment.weight</c>: λ of the joint alignment loss.</summary>
    public double Weight { get; init; } = 1;
}

/// <summary>
/// The declarative spec of <c>mtl train</c> (in the spirit of Ludwig's config): inputs with their encoders, tasks, the
/// split, the model and the training. Every key has a default except the inputs' and tasks' name, type and path; an
/// unknown key or value is an error that names its JSON path and the allowed keys or values.
/// </summary>
internal sealed record TrainSpec(IReadOnlyList<InputSpec> Inputs, IReadOnlyList<TaskSpecEntry> Tasks, SplitSpec Split, ModelSpec Model, TrainingSpec Training,
    string Json)
{
    /// <summary>The <c>evaluation</c> section.</summary>
    public EvaluationSpec Evaluation { get; init; } = new();

    /// <summary>The <c>alignment</c> section, or null when the spec has none.</summary>
    public AlignmentSpec? Alignment { get; init; }

    public static readonly string[] MissingFills = ["zeros", "mean", "learned"];

    public static readonly string[] InputTypes = ["numeric", "image", "text"];
    /// <summary>The readouts of the cnn encoder (<c>encoder.readout</c>).</summary>
    public static readonly string[] CnnReadouts = ["pool", "flatten"];

    public static readonly string[] EncoderTypes = ["mlp", "cnn", "embedding-bag", "tfidf-mlp", "transformer", "identity"];
    public static readonly string[] TaskTypes = ["category", "binary", "numeric"];
    public static readonly string[] Architectures = ["hps", "cross-stitch", "mmoe", "cgc", "ple", "dselect-k", "mtan"];

    /// <summary>Which architectures read each architecture-specific key of <c>model</c>.</summary>
    private static readonly Dictionary<string, string[]> s_architectureKeys = new()
    {
        ["hidden"] = ["hps", "cross-stitch", "mmoe", "cgc", "ple", "dselect-k"],
        ["expert_hidden"] = ["mmoe", "cgc", "ple", "dselect-k"],
        ["tower_hidden"] = ["cross-stitch", "mmoe", "cgc", "ple", "dselect-k", "mtan"],
        ["experts"] = ["mmoe", "dselect-k"],
        ["shared_experts"] = ["cgc", "ple"],
        ["task_experts"] = ["cgc", "ple"],
        ["levels"] = ["ple"],
        ["k"] = ["dselect-k"],
        ["gamma"] = ["dselect-k"],
        ["dselect_entropy"] = ["dselect-k"],
    };
    public static readonly string[] Fusions = [.. MultiModal.Fusions.Names];
    public static readonly string[] Optimizers = ["adam", "adamw", "sgd"];
    /// <summary>The training strategies (<c>training.weighting</c>): every name of the registry, read at run time.</summary>
    public static string[] Weightings => [.. MultiTask.TrainingStrategies.Names];

    /// <summary>The encoders each input type accepts, the first being its default.</summary>
    public static string[] EncodersFor(string inputType) => inputType switch
    {
        "numeric" => ["mlp", "identity"],
        "image" => ["cnn", "mlp", "identity"],
        _ => ["embedding-bag", "tfidf-mlp", "transformer"],
    };

    /// <summary>Reads and checks a spec file; relative paths in it are resolved against its folder.</summary>
    /// <exception cref="UsageException">When the file is missing or not JSON.</exception>
    /// <exception cref="SpecException">For any problem inside the spec, with its JSON path.</exception>
    public static TrainSpec Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"{path} (--spec): no such file");
        Data.InputFile.CheckRegular(path);
        string json = File.ReadAllText(path);
        return Parse(json, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Parses the spec text; relative paths resolve against <paramref name="folder"/>, and must name existing files unless
    /// <paramref name="checkFiles"/> is false (a spec read back from a model file, whose data files may be elsewhere now).</summary>
    public static TrainSpec Parse(string json, string folder, bool checkFiles = true)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SpecException("$", $"not valid JSON ({e.Message})");
        }
        using (document)
        {
            try
            {
                return Parse(document, json, folder, checkFiles);
            }
            catch (InvalidOperationException e) when (e.TargetSite?.DeclaringType?.Namespace?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true)
            {
                // A string escapes half a surrogate pair ("\ud800"): it has no UTF-8 form and .NET will not decode it.
                throw new SpecException("$", $"holds a string that is not valid Unicode (a lone UTF-16 surrogate escape such as \\ud800): {e.Message}");
            }
        }
    }

    private static TrainSpec Parse(JsonDocument document, string json, string folder, bool checkFiles)
    {
        var root = Reader.Object(document.RootElement, "$", ["inputs", "tasks", "split", "model", "training", "evaluation", "alignment"], checkFiles);
        var inputs = ReadInputs(root, folder);
        var tasks = ReadTasks(root, folder);
        var split = ReadSplit(root, folder);
        var model = ReadModel(root);
        CheckArchitectureInputs(model, inputs);
        if (model.Architecture == "mtan" && ReadEvaluation(root).Attribution)
            throw new SpecException("evaluation.attribution", "integrated gradients move each input's encoding before the fusion, and mtan attends to the CNN's feature maps instead; use another architecture");
        var training = ReadTraining(root, tasks, inputs);
        if (model.Fusion is "film" or "cross-attention" && inputs.Count < 2)
            throw new SpecException("model.fusion", $"\"{model.Fusion}\" fuses at least two inputs, but the spec has one; use concat (or add an input)");
        return new TrainSpec(inputs, tasks, split, model, training, JsonNode.Parse(json, documentOptions: new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
        })!.ToJsonString()) { Evaluation = ReadEvaluation(root), Alignment = ReadAlignment(root, inputs, model.Architecture) };
    }

    private static List<InputSpec> ReadInputs(Reader.Obj root, string folder)
    {
        var array = root.Array("inputs", required: true);
        if (array.Count == 0) throw new SpecException("inputs", "needs at least one input");
        var result = new List<InputSpec>();
        for (int i = 0; i < array.Count; i++)
        {
            string at = $"inputs[{i}]";
            var o = root.Element(array[i], at, ["name", "type", "path", "column", "encoder", "missing"]);
            string name = o.Name("name");
            if (result.Any(r => r.Name == name)) throw new SpecException(at + ".name", $"the input name \"{name}\" is used twice");
            string type = o.Choice("type", InputTypes, null);
            string file = o.FilePath("path", folder);
            string? column = o.OptionalText("column");
            var encoderObject = o.OptionalObject("encoder", ["type", "hidden", "channels", "dim", "max_tokens", "min_count", "heads", "feedforward", "norm_first", "kernel", "readout"]);
            string[] allowed = EncodersFor(type);
            string encoderType = encoderObject?.Choice("type", allowed, allowed[0]) ?? allowed[0];
            var encoder = new EncoderSpec(encoderType,
                encoderObject?.PositiveInts("hidden") ?? [64],
                encoderObject?.PositiveInts("channels") ?? [16, 32],
                encoderObject?.Int("dim", 64, min: 1) ?? 64,
                encoderObject?.Int("max_tokens", 64, min: 1) ?? 64,
                encoderObject?.Int("min_count", 1, min: 1) ?? 1)
            {
                Heads = encoderObject?.Int("heads", 2, min: 1) ?? 2,
                FeedForward = encoderObject is not null && encoderObject.Has("feedforward") ? encoderObject.Int("feedforward", 128, min: 1) : null,
                NormFirst = encoderObject?.Bool("norm_first", false) ?? false,
                Kernel = encoderObject?.Int("kernel", 3, min: 1) ?? 3,
                Readout = encoderObject?.Choice("readout", CnnReadouts, "pool") ?? "pool",
            };
            if (encoderObject is not null)
                foreach (string key in new[] { "kernel", "readout" })
                    if (encoderObject.Has(key) && encoderType != "cnn")
                        throw new SpecException($"{at}.encoder.{key}", $"is a setting of the cnn encoder, and this input's encoder is {encoderType}");
            if (encoder.Kernel % 2 == 0)
                throw new SpecException($"{at}.encoder.kernel", $"is {encoder.Kernel}; give an odd size (3, 5, ...), so that padding (k - 1)/2 keeps the picture's size");
            if (encoderObject is not null)
                foreach (string key in new[] { "heads", "feedforward", "norm_first" })
                    if (encoderObject.Has(key) && encoderType != "transformer")
                        throw new SpecException($"{at}.encoder.{key}", $"is a setting of the transformer encoder, and this input's encoder is {encoderType}");
            if (encoderType == "transformer" && encoder.Dim % encoder.Heads != 0)
                throw new SpecException($"{at}.encoder.heads", $"must divide encoder.dim ({encoder.Dim}), not {encoder.Heads}");
            result.Add(new InputSpec(name, type, file, column, encoder, at, o.Choice("missing", MissingFills, "zeros")));
        }
        return result;
    }

    private static List<TaskSpecEntry> ReadTasks(Reader.Obj root, string folder)
    {
        var array = root.Array("tasks", required: true);
        if (array.Count == 0) throw new SpecException("tasks", "needs at least one task");
        var result = new List<TaskSpecEntry>();
        for (int i = 0; i < array.Count; i++)
        {
            string at = $"tasks[{i}]";
            var o = root.Element(array[i], at, ["name", "type", "path", "column", "weight"]);
            string name = o.Name("name");
            if (result.Any(r => r.Name == name)) throw new SpecException(at + ".name", $"the task name \"{name}\" is used twice");
            result.Add(new TaskSpecEntry(name, o.Choice("type", TaskTypes, null), o.FilePath("path", folder), o.OptionalText("column"),
                o.Double("weight", 1.0, min: 0, minInclusive: true), at));
        }
        return result;
    }

    private static SplitSpec ReadSplit(Reader.Obj root, string folder)
    {
        var o = root.OptionalObject("split", ["test", "test_fraction", "validation", "validation_fraction", "seed"]);
        if (o is null) return new SplitSpec(null, 0.2, 0.1, 0);
        string? test = o.Has("test") ? o.FilePath("test", folder) : null;
        if (test is not null && o.Has("test_fraction"))
            throw new SpecException("split", "give either test (a file of row indices) or test_fraction, not both");
        string? validation = o.Has("validation") ? o.FilePath("validation", folder) : null;
        if (validation is not null && o.Has("validation_fraction"))
            throw new SpecException("split", "give either validation (a file of row indices) or validation_fraction, not both");
        return new SplitSpec(test, o.Double("test_fraction", 0.2, min: 0, minInclusive: true, max: 1),
            o.Double("validation_fraction", 0.1, min: 0, minInclusive: true, max: 1), (ulong)o.Int("seed", 0, min: 0), validation);
    }

    private static ModelSpec ReadModel(Reader.Obj root)
    {
        var o = root.OptionalObject("model", ["architecture", "fusion", "hidden", "dropout", "fusion_dim", "fusion_rank", "fusion_heads", "fusion_weights", .. s_architectureKeys.Keys.Where(k => k != "hidden")]);
        if (o is null) return new ModelSpec("hps", "concat", [128], 0);
        string architecture = o.Choice("architecture", Architectures, "hps");
        foreach (var (key, users) in s_architectureKeys)
            if (o.Has(key) && !users.Contains(architecture))
                throw new SpecException("model." + key, $"architecture {architecture} does not use this key; it is for {string.Join(", ", users)}");
        bool stacked = architecture is not ("hps" or "mtan"); // the architectures whose widths must not be empty
        var hidden = o.Has("hidden") ? o.PositiveInts("hidden", allowEmpty: !stacked)! : [128];
        if (o.Has("hidden") && o.Has("expert_hidden"))
            throw new SpecException("model.expert_hidden", "give the experts' widths as hidden or as expert_hidden, not both");
        var settings = new ArchitectureSettings(
            ExpertHidden: o.PositiveInts("expert_hidden"),
            TowerHidden: o.Has("tower_hidden") ? o.PositiveInts("tower_hidden", allowEmpty: true) : null,
            Experts: o.Int("experts", 4, min: architecture == "dselect-k" ? 2 : 1),
            SharedExperts: o.Int("shared_experts", 1, min: 0),
            TaskExperts: o.Int("task_experts", 1, min: 0),
            Levels: o.Int("levels", 2, min: 1),
            K: o.Int("k", 2, min: 1),
            Gamma: o.Double("gamma", 1, min: 0),
            DSelectEntropy: o.Double("dselect_entropy", 0, min: 0, minInclusive: true));
        if (architecture == "dselect-k" && settings.K > settings.Experts)
            throw new SpecException("model.k", $"selects {settings.K} experts but there are {settings.Experts} (model.experts); k must be at most the number of experts");
        if (architecture is "cgc" or "ple" && settings.SharedExperts + settings.TaskExperts == 0)
            throw new SpecException("model.shared_experts", "with task_experts 0 too, the gates have no expert to mix; give at least one shared or task expert");
        if (architecture == "ple" && settings.Levels > 1 && settings.SharedExperts == 0)
            throw new SpecException("model.shared_experts", $"PLE with {settings.Levels} levels needs at least one shared expert per level (the shared path between levels)");
        var model = new ModelSpec(architecture, o.Choice("fusion", Fusions, "concat"), hidden, o.Double("dropout", 0, min: 0, minInclusive: true, max: 1),
            o.Has("fusion_dim") ? o.Int("fusion_dim", 64, min: 1) : null, o.Int("fusion_rank", 4, min: 1), o.Int("fusion_heads", 1, min: 1),
            o.Choice("fusion_weights", ["mean", "learned"], "mean"))
        {
            Settings = settings,
        };
        if (model.Fusion == "cross-attention" && (model.FusionDim ?? MultiModal.FusionOptions.DefaultDimension) % model.FusionHeads != 0)
            throw new SpecException("model.fusion_heads", $"must divide fusion_dim ({model.FusionDim ?? MultiModal.FusionOptions.DefaultDimension}), not {model.FusionHeads}");
        return model;
    }

    /// <summary>MTAN's attention modules read a CNN's feature maps: every input must be a picture with the cnn encoder.</summary>
    private static void CheckArchitectureInputs(ModelSpec model, IReadOnlyList<InputSpec> inputs)
    {
        if (model.Architecture != "mtan") return;
        foreach (var input in inputs)
            if (input.Encoder.Type != "cnn")
                throw new SpecException(input.JsonPath + ".encoder.type",
                    $"model.architecture mtan puts task attention on a CNN's feature maps, so every input needs the cnn encoder (an image input); input \"{input.Name}\" has {input.Encoder.Type}");
    }

    /// <summary>The training settings; the weighting defaults to <c>ew</c>, or to <c>fixed</c> when a task has a weight other than 1.</summary>
    private static TrainingSpec ReadTraining(Reader.Obj root, IReadOnlyList<TaskSpecEntry> tasks, IReadOnlyList<InputSpec> inputs)
    {
        var weighted = tasks.FirstOrDefault(t => t.Weight != 1);
        string defaultWeighting = weighted is null ? "ew" : "fixed";
        var o = root.OptionalObject("training", ["epochs", "batch_size", "optimizer", "learning_rate", "weight_decay", "weighting", "weighting_params",
            "rep_grad", "gradient_conflict", "seed", "early_stopping", "clip_norm", "modality_dropout", "class_weights", "sampling", "sampling_task", "lr_schedule"]);
        if (o is null) return new TrainingSpec(20, 64, "adam", 1e-3, 0, defaultWeighting, 0, null, 5, null);
        var stop = o.OptionalObject("early_stopping", ["metric", "patience"]);
        string weighting = o.Choice("weighting", Weightings, defaultWeighting);
        if (weighting == "ew" && weighted is not null)
            throw new SpecException("training.weighting", $"\"ew\" weighs every task 1, but {weighted.JsonPath}.weight is {weighted.Weight.ToString(CultureInfo.InvariantCulture)}; use \"fixed\" to weigh the tasks by their weights");
        var entry = MultiTask.TrainingStrategies.Entry(weighting);
        var parameterNames = entry.Parameters.Select(p => p.Name).ToArray();
        Reader.Obj? parameters;
        try
        {
            parameters = o.OptionalObject("weighting_params", parameterNames);
        }
        catch (SpecException e) when (parameterNames.Length == 0 && e.JsonPath.StartsWith("training.weighting_params.", StringComparison.Ordinal))
        {
            throw new SpecException(e.JsonPath, $"\"{weighting}\" (training.weighting) takes no parameters");
        }
        var values = new Dictionary<string, double>();
        if (parameters is not null)
            foreach (string name in parameterNames)
                if (parameters.Has(name)) values[name] = parameters.Double(name, 0, min: double.NegativeInfinity);
        bool repGrad = o.Bool("rep_grad", false);
        if (repGrad && !entry.Aggregation)
            throw new SpecException("training.rep_grad", $"applies to gradient-aggregation methods, and \"{weighting}\" (training.weighting) weighs the losses");
        var training = new TrainingSpec(o.Int("epochs", 20, min: 1), o.Int("batch_size", 64, min: 1), o.Choice("optimizer", Optimizers, "adam"),
            o.Double("learning_rate", 1e-3, min: 0), o.Double("weight_decay", 0, min: 0, minInclusive: true), weighting,
            (ulong)o.Int("seed", 0, min: 0), stop?.Text("metric", "loss"), stop?.Int("patience", 5, min: 1) ?? 5,
            o.Has("clip_norm") ? o.Double("clip_norm", 1, min: 0) : null, values, repGrad, o.Bool("gradient_conflict", false),
            ModalityDropoutRates(o, inputs) is null ? o.Double("modality_dropout", 0, min: 0, minInclusive: true, max: 1) : 0)
        {
            ModalityDropoutRates = ModalityDropoutRates(o, inputs),
        };
        training = training with { LrSchedule = ReadLrSchedule(o, training) };
        return ReadBalancing(o, tasks, training);
    }

    /// <summary><c>training.lr_schedule</c> (null when absent); a key of the other kind, or a warm-up as long as the run, is an error.</summary>
    private static LrScheduleSpec? ReadLrSchedule(Reader.Obj training, TrainingSpec read)
    {
        const string at = "training.lr_schedule";
        var o = training.OptionalObject("lr_schedule", ["kind", "warmup_epochs", "min_lr", "step_size", "gamma"]);
        if (o is null) return null;
        string kind = o.Choice("kind", LrScheduleSpec.Kinds, null);
        foreach (string key in kind == "cosine" ? new[] { "step_size", "gamma" } : new[] { "min_lr" })
            if (o.Has(key))
                throw new SpecException($"{at}.{key}", $"is a setting of kind \"{(kind == "cosine" ? "step" : "cosine")}\", and {at}.kind is \"{kind}\": remove it");
        int warmup = o.Int("warmup_epochs", 0, min: 0);
        if (warmup >= read.Epochs)
            throw new SpecException($"{at}.warmup_epochs", $"must be less than training.epochs ({read.Epochs}), not {warmup}: the schedule runs after the warm-up");
        double minLr = kind == "cosine" ? o.Double("min_lr", 0, min: 0, minInclusive: true) : 0;
        if (minLr > read.LearningRate)
            throw new SpecException($"{at}.min_lr", $"must be ≤ training.learning_rate ({read.LearningRate.ToString(CultureInfo.InvariantCulture)}), not {minLr.ToString(CultureInfo.InvariantCulture)}");
        double gamma = kind == "step" ? o.Double("gamma", 0.1, min: 0) : 0.1;
        if (gamma > 1) throw new SpecException($"{at}.gamma", $"must be in (0, 1] (a decay), not {gamma.ToString(CultureInfo.InvariantCulture)}");
        return new LrScheduleSpec(kind, warmup, minLr, kind == "step" ? o.Int("step_size", 30, min: 1) : 30, gamma);
    }

    /// <summary>
    /// <c>training.modality_dropout</c> as an object of input name → its rate in [0, 1) (an input not listed: 0); null when the
    /// key is a number (one rate for every input) or absent.
    /// </summary>
    private static IReadOnlyDictionary<string, double>? ModalityDropoutRates(Reader.Obj training, IReadOnlyList<InputSpec> inputs)
    {
        if (!training.Has("modality_dropout")) return null;
        var kind = training.Raw("modality_dropout").ValueKind;
        if (kind == JsonValueKind.Number) return null;
        if (kind != JsonValueKind.Object)
            throw new SpecException("training.modality_dropout", "must be a number in [0, 1) (the rate of every input) or an object of input name → rate");
        var rates = training.OptionalObject("modality_dropout", [.. inputs.Select(i => i.Name)])!;
        var result = new Dictionary<string, double>();
        foreach (var input in inputs)
            if (rates.Has(input.Name)) result[input.Name] = rates.Double(input.Name, 0, min: 0, minInclusive: true, max: 1);
        return result;
    }

    /// <summary>
    /// <c>training.class_weights</c> (<c>"balanced"</c> for every category task, or an object of task name → <c>"balanced"</c> or
    /// a list of class weights) and <c>training.sampling</c> (<c>"balanced"</c>, on <c>sampling_task</c> or the one category task).
    /// </summary>
    private static TrainingSpec ReadBalancing(Reader.Obj o, IReadOnlyList<TaskSpecEntry> tasks, TrainingSpec training)
    {
        var categories = tasks.Where(t => t.Type == "category").Select(t => t.Name).ToArray();
        Dictionary<string, double[]?>? weights = null;
        if (o.Has("class_weights"))
        {
            const string at = "training.class_weights";
            var element = o.Raw("class_weights");
            weights = [];
            if (element.ValueKind == JsonValueKind.String)
            {
                if (element.GetString() != "balanced") throw new SpecException(at, $"\"{element.GetString()}\" is not allowed here; give \"balanced\" or an object of task name → \"balanced\" or a list of class weights");
                if (categories.Length == 0) throw new SpecException(at, "weighs the classes of category tasks, and the spec has none");
                foreach (string name in categories) weights[name] = null;
            }
            else if (element.ValueKind == JsonValueKind.Object)
                foreach (var property in element.EnumerateObject())
                {
                    string path = $"{at}.{property.Name}";
                    var task = tasks.FirstOrDefault(t => t.Name == property.Name)
                        ?? throw new SpecException(path, $"there is no task \"{property.Name}\"; the tasks are {string.Join(", ", tasks.Select(t => t.Name))}");
                    if (task.Type != "category") throw new SpecException(path, $"task \"{task.Name}\" is {task.Type}; class weights apply to category tasks");
                    var value = property.Value;
                    if (value.ValueKind == JsonValueKind.String && value.GetString() == "balanced") weights[task.Name] = null;
                    else if (value.ValueKind == JsonValueKind.Array)
                    {
                        var list = new List<double>();
                        int k = 0;
                        foreach (var item in value.EnumerateArray())
                        {
                            if (item.ValueKind != JsonValueKind.Number || !(item.GetDouble() >= 0) || !double.IsFinite(item.GetDouble()))
                                throw new SpecException($"{path}[{k}]", "must be a finite number ≥ 0");
                            list.Add(item.GetDouble());
                            k++;
                        }
                        if (list.Count == 0 || list.All(w => w == 0)) throw new SpecException(path, "needs at least one positive class weight");
                        weights[task.Name] = [.. list];
                    }
                    else throw new SpecException(path, "must be \"balanced\" or a list of class weights (one per class)");
                }
            else throw new SpecException(at, "must be \"balanced\" or an object of task name → \"balanced\" or a list of class weights");
        }
        string? samplingTask = null;
        if (o.Choice("sampling", ["shuffle", "balanced"], "shuffle") == "balanced")
        {
            if (o.Has("sampling_task"))
            {
                samplingTask = o.Text("sampling_task", null);
                if (!categories.Contains(samplingTask))
                    throw new SpecException("training.sampling_task", $"\"{samplingTask}\" is not a category task; the category tasks are {(categories.Length == 0 ? "none" : string.Join(", ", categories))}");
            }
            else if (categories.Length == 1) samplingTask = categories[0];
            else throw new SpecException("training.sampling", categories.Length == 0
                ? "\"balanced\" draws the classes of a category task equally often, and the spec has none"
                : $"\"balanced\" balances one task's classes: name it in training.sampling_task ({string.Join(", ", categories)})");
        }
        else if (o.Has("sampling_task")) throw new SpecException("training.sampling_task", "applies with training.sampling \"balanced\"");
        return training with { ClassWeights = weights, BalancedSamplingTask = samplingTask };
    }

    private static AlignmentSpec? ReadAlignment(Reader.Obj root, IReadOnlyList<InputSpec> inputs, string architecture)
    {
        var o = root.OptionalObject("alignment", ["inputs", "dim", "temperature", "epochs", "batch_size", "learning_rate", "retrieval", "joint", "weight"]);
        if (o is null) return null;
        bool joint = o.Bool("joint", false);
        if (joint)
        {
            foreach (string key in new[] { "epochs", "batch_size", "learning_rate" })
                if (o.Has(key))
                    throw new SpecException($"alignment.{key}", "is a setting of the separate two-tower model; with \"joint\": true the alignment trains with the task model (training's epochs, batch_size and learning_rate): remove it");
            if (architecture == "mtan")
                throw new SpecException("alignment.joint", "mtan attends to the CNNs' feature maps per task and fuses no encodings to align; use another architecture or \"joint\": false");
        }
        else if (o.Has("weight"))
            throw new SpecException("alignment.weight", "is λ, the weight of the joint alignment loss beside the task losses; it applies with \"joint\": true");
        var names = o.Array("inputs", required: true);
        if (names.Count != 2) throw new SpecException("alignment.inputs", $"names the two inputs to align, not {names.Count}");
        var chosen = new string[2];
        for (int k = 0; k < 2; k++)
        {
            string at = $"alignment.inputs[{k}]";
            if (names[k].ValueKind != JsonValueKind.String) throw new SpecException(at, "must be an input's name");
            chosen[k] = names[k].GetString()!;
            if (!inputs.Any(i => i.Name == chosen[k]))
                throw new SpecException(at, $"there is no input \"{chosen[k]}\"; the inputs are {string.Join(", ", inputs.Select(i => i.Name))}");
        }
        if (chosen[0] == chosen[1]) throw new SpecException("alignment.inputs[1]", $"aligns \"{chosen[0]}\" with itself; name two different inputs");
        return new AlignmentSpec(chosen[0], chosen[1], o.Int("dim", 64, min: 1), o.Double("temperature", 0.07, min: 0.01, minInclusive: true),
            o.Int("epochs", 20, min: 1), o.Int("batch_size", 128, min: 2), o.Double("learning_rate", 1e-3, min: 0), o.Bool("retrieval", true))
        {
            Joint = joint,
            Weight = o.Double("weight", 1, min: 0, minInclusive: true),
        };
    }

    private static EvaluationSpec ReadEvaluation(Reader.Obj root)
    {
        var o = root.OptionalObject("evaluation", ["robustness", "robustness_steps", "attribution", "attribution_steps", "attribution_baseline"]);
        if (o is null) return new EvaluationSpec();
        return new EvaluationSpec(o.Bool("robustness", false), o.Int("robustness_steps", 10, min: 1))
        {
            Attribution = o.Bool("attribution", false),
            AttributionSteps = o.Int("attribution_steps", 32, min: 1),
            AttributionBaseline = o.Choice("attribution_baseline", ["fill", "zeros"], "fill"),
        };
    }

    /// <summary>Reading JSON values with their path in every message.</summary>
    internal static class Reader
    {
        public static Obj Object(JsonElement element, string path, string[] allowed, bool checkFiles = true)
        {
            if (element.ValueKind != JsonValueKind.Object) throw new SpecException(path, $"must be an object, not {Kind(element)}");
            foreach (var property in element.EnumerateObject())
                if (!allowed.Contains(property.Name))
                    throw new SpecException(Join(path, property.Name), $"unknown key; the allowed keys are {string.Join(", ", allowed)}");
            return new Obj(element, path, checkFiles);
        }

        private static string Join(string path, string key) => path == "$" ? key : path + "." + key;

        private static string Kind(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        };

        internal sealed class Obj(JsonElement element, string path, bool checkFiles)
        {
            /// <summary>An element of one of this object's arrays, read with the same file rule.</summary>
            public Obj Element(JsonElement item, string at, string[] allowed) => Object(item, at, allowed, checkFiles);

            public bool Has(string key) => element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

            private string At(string key) => Join(path, key);

            private JsonElement? Get(string key, bool required)
            {
                if (element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null) return v;
                if (required) throw new SpecException(At(key), "is required");
                return null;
            }

            /// <summary>The value of a key that must be present, as JSON (for keys of more than one form).</summary>
            public JsonElement Raw(string key) => Get(key, required: true)!.Value;

            public IReadOnlyList<JsonElement> Array(string key, bool required)
            {
                var v = Get(key, required);
                if (v is null) return [];
                if (v.Value.ValueKind != JsonValueKind.Array) throw new SpecException(At(key), $"must be an array, not {Kind(v.Value)}");
                return v.Value.EnumerateArray().ToList();
            }

            public Obj? OptionalObject(string key, string[] allowed)
            {
                var v = Get(key, required: false);
                return v is null ? null : Object(v.Value, At(key), allowed, checkFiles);
            }

            public string Text(string key, string? fallback)
            {
                var v = Get(key, fallback is null);
                if (v is null) return fallback!;
                if (v.Value.ValueKind != JsonValueKind.String) throw new SpecException(At(key), $"must be a string, not {Kind(v.Value)}");
                return v.Value.GetString()!;
            }

            public string? OptionalText(string key)
            {
                var v = Get(key, required: false);
                if (v is null) return null;
                return v.Value.ValueKind switch
                {
                    JsonValueKind.String => v.Value.GetString(),
                    JsonValueKind.Number when v.Value.TryGetInt32(out int n) && n >= 0 => n.ToString(CultureInfo.InvariantCulture),
                    _ => throw new SpecException(At(key), $"must be a column name or a 0-based column index, not {Kind(v.Value)}"),
                };
            }

            public string Name(string key)
            {
                string name = Text(key, null);
                if (name.Length == 0 || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                    throw new SpecException(At(key), $"\"{Escape(name)}\" is not a valid name; use 1 to 64 letters, digits, '_' or '-'");
                return name;
            }

            public string Choice(string key, string[] allowed, string? fallback)
            {
                string value = Text(key, fallback);
                if (!allowed.Contains(value))
                    throw new SpecException(At(key), $"\"{Escape(value)}\" is not allowed here; the allowed values are {string.Join(", ", allowed)}");
                return value;
            }

            public string FilePath(string key, string folder)
            {
                string value = Text(key, null);
                string full = Path.IsPathRooted(value) ? value : Path.GetFullPath(Path.Combine(folder, value));
                if (!checkFiles) return full;
                if (Directory.Exists(full)) throw new SpecException(At(key), $"{Escape(value)} is a folder, not a file");
                if (!File.Exists(full)) throw new SpecException(At(key), $"file not found: {Escape(value)}");
                return full;
            }

            public bool Bool(string key, bool fallback)
            {
                var v = Get(key, required: false);
                if (v is null) return fallback;
                return v.Value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new SpecException(At(key), $"must be true or false, not {Kind(v.Value)}"),
                };
            }

            public int Int(string key, int fallback, int min)
            {
                var v = Get(key, required: false);
                if (v is null) return fallback;
                if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt32(out int value))
                    throw new SpecException(At(key), $"must be an integer, not {(v.Value.ValueKind == JsonValueKind.Number ? v.Value.GetRawText() : Kind(v.Value))}");
                if (value < min) throw new SpecException(At(key), $"must be ≥ {min}, not {value}");
                return value;
            }

            public double Double(string key, double fallback, double min, bool minInclusive = false, double max = double.PositiveInfinity)
            {
                var v = Get(key, required: false);
                if (v is null) return fallback;
                if (v.Value.ValueKind != JsonValueKind.Number) throw new SpecException(At(key), $"must be a number, not {Kind(v.Value)}");
                double value = v.Value.GetDouble();
                bool ok = (minInclusive ? value >= min : value > min) && value < max && double.IsFinite(value);
                if (!ok)
                {
                    string range = double.IsPositiveInfinity(max) ? $"{(minInclusive ? "≥" : ">")} {Format(min)}" : $"in {(minInclusive ? "[" : "(")}{Format(min)}, {Format(max)})";
                    throw new SpecException(At(key), $"must be {range}, not {v.Value.GetRawText()}");
                }
                return value;
            }

            public int[]? PositiveInts(string key, bool allowEmpty = false)
            {
                var v = Get(key, required: false);
                if (v is null) return null;
                if (v.Value.ValueKind != JsonValueKind.Array) throw new SpecException(At(key), $"must be an array of positive integers, not {Kind(v.Value)}");
                var values = new List<int>();
                int i = 0;
                foreach (var item in v.Value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int n) || n < 1)
                        throw new SpecException($"{At(key)}[{i}]", $"must be a positive integer, not {item.GetRawText()}");
                    values.Add(n);
                    i++;
                }
                if (values.Count == 0 && !allowEmpty) throw new SpecException(At(key), "needs at least one width");
                return [.. values];
            }
        }

        private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>A value from the spec, safe to print: control characters escaped.</summary>
    public static string Escape(string value) =>
        string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
