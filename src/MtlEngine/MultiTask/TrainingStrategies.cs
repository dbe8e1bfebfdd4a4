using System.Globalization;
using System.Numerics;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask;

/// <summary>One training strategy of the registry: its name, what it is, its parameters, and whether it aggregates gradients.</summary>
/// <param name="Name">The name <c>training.weighting</c> takes (<c>ew</c>, <c>uw</c>, <c>pcgrad</c>, ...).</param>
/// <param name="Summary">One line: the paper and what the method does.</param>
/// <param name="Parameters">Its numeric parameters with their defaults (a NaN default means "the training learning rate").</param>
/// <param name="Aggregation">True for gradient-aggregation methods (a Jacobian a step; <c>rep_grad</c> applies to them).</param>
public sealed record TrainingStrategyEntry(string Name, string Summary, IReadOnlyList<AggregatorParameter> Parameters, bool Aggregation);

/// <summary>What every strategy may need besides its own parameters.</summary>
/// <param name="LearningRate">The training learning rate: the default of the strategies' own learning rates (UW, GradNorm, IMTL-L).</param>
/// <param name="Seed">Seeds the randomized strategies (RLW, and aggregators such as GradDrop).</param>
/// <param name="RepresentationGradients">For aggregation methods: aggregate the gradients of the shared representation (LibMTL's <c>rep_grad</c>).</param>
/// <param name="RecordConflict">Loss-weighting methods also compute the gradient-conflict matrix (T extra backward passes a step);
/// aggregation methods always do, from their Jacobian.</param>
public sealed record TrainingStrategyOptions(double LearningRate = 1e-3, ulong Seed = 0, bool RepresentationGradients = false, bool RecordConflict = false);

/// <summary>
/// The registry of multi-task training strategies by name, for the <c>mtl train</c> spec (<c>training.weighting</c>) and
/// for library users: the loss-weighting methods of <see cref="Weighting"/> and every gradient aggregator of
/// <see cref="GradientAggregators"/>, wrapped in an <see cref="AggregationStrategy{T}"/>.
/// </summary>
public static class TrainingStrategies
{
    private const string RateNote = " (default: the training learning rate)";

    private static readonly TrainingStrategyEntry[] LossWeighting =
    [
        new("ew", "Equal weighting: Σₜ lossₜ.", [], false),
        new("fixed", "Fixed weighting: Σₜ wₜ·lossₜ with each task's weight.", [], false),
        new("uw", "Kendall 2018, uncertainty weighting: Σₜ lossₜ/(2e^{sₜ}) + sₜ/2 with learned log-variances sₜ.",
            [new("uw-lr", double.NaN, "the learning rate of the log-variances" + RateNote)], false),
        new("dwa", "Liu 2019, dynamic weight average: T·softmax of the last two epochs' loss ratios over a temperature.",
            [new("dwa-temperature", 2, "the temperature τ, > 0")], false),
        new("rlw", "Lin 2021, random loss weighting: softmax of standard normal draws, fresh every step.", [], false),
        new("gls", "Chennupati 2019, geometric loss strategy: the geometric mean of the task losses.", [], false),
        new("db-mtl", "Lin 2023, dual balancing: log-losses, EMA task gradients rescaled to the largest norm.",
            [new("db-mtl-beta", 0.9, "the EMA memory β, in [0, 1)"), new("db-mtl-beta-sigma", 0, "the decay σ of β/k^σ, ≥ 0")], false),
        new("famo", "Liu 2023, fast adaptive multitask optimization: softmax logits that follow the log-loss decrease.",
            [new("famo-lr", 0.025, "the logits' learning rate, > 0"), new("famo-gamma", 1e-3, "the logits' weight decay, ≥ 0")], false),
        new("gradnorm", "Chen 2018, GradNorm: learned weights that equalize the last shared layer's gradient norms.",
            [new("gradnorm-alpha", 1.5, "the restoring strength α, ≥ 0"), new("gradnorm-lr", double.NaN, "the learning rate of the weights" + RateNote),
             new("gradnorm-reference-epoch", 0, "1: LibMTL's reference losses (equal weights through the first epoch, its mean loss); 0: the first step's (the paper's)")], false),
        new("imtl-l", "Liu 2021, IMTL-L: learned scales e^{sₜ} that balance the losses (Σₜ e^{sₜ}·lossₜ − sₜ).",
            [new("imtl-l-lr", double.NaN, "the learning rate of the scales" + RateNote)], false),
    ];

    /// <summary>Every strategy: the loss-weighting methods, then IMTL (IMTL-L with the <c>imtl-g</c> aggregator) and MGDA-UB
    /// (<c>mgda</c> on the representation) where those aggregators exist, then every aggregator by its own name.</summary>
    public static IReadOnlyList<TrainingStrategyEntry> All
    {
        get
        {
            var all = new List<TrainingStrategyEntry>(LossWeighting);
            var aggregators = GradientAggregators.All;
            bool Free(string name) => aggregators.All(a => a.Name != name); // an aggregator of that name would take precedence
            if (Free("imtl") && aggregators.FirstOrDefault(a => a.Name == "imtl-g") is { } imtlG)
                all.Add(new("imtl", "Liu 2021, IMTL: IMTL-L's loss scales with the IMTL-G aggregation of the scaled losses' gradients.",
                    [.. LossWeighting.Single(e => e.Name == "imtl-l").Parameters, .. imtlG.Parameters], true));
            if (Free("mgda-ub") && aggregators.FirstOrDefault(a => a.Name == "mgda") is { } mgda)
                all.Add(new("mgda-ub", "Sener 2018, MGDA-UB: MGDA on the gradients of the shared representation (rep_grad).", mgda.Parameters, true));
            all.AddRange(aggregators.Select(a => new TrainingStrategyEntry(a.Name, a.Summary, a.Parameters, true)));
            return all;
        }
    }

    /// <summary>The names of every strategy.</summary>
    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <summary>The entry of a strategy.</summary>
    /// <exception cref="ArgumentException">When there is no strategy of that name (the message lists them).</exception>
    public static TrainingStrategyEntry Entry(string name) =>
        All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown training strategy \"{name}\"; the strategies are: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Builds a strategy for <paramref name="tasks"/> with the given parameter values (missing ones at their defaults).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="name">The strategy's name.</param>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="parameters">Values of the strategy's own parameters, by name (<c>dwa-temperature</c>, ...).</param>
    /// <param name="options">The training learning rate, the seed, <c>rep_grad</c>, and whether to record the conflict matrix.</param>
    /// <exception cref="ArgumentException">When the name is unknown, a parameter is not the strategy's or out of its range, or
    /// <c>rep_grad</c> is asked of a loss-weighting method.</exception>
    public static ITrainingStrategy<T> Create<T>(string name, IReadOnlyList<TaskSpec> tasks, IReadOnlyDictionary<string, double>? parameters = null,
        TrainingStrategyOptions? options = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tasks);
        options ??= new TrainingStrategyOptions();
        var entry = Entry(name);
        var values = entry.Parameters.ToDictionary(p => p.Name, p => double.IsNaN(p.Default) ? options.LearningRate : p.Default);
        foreach (var (key, value) in parameters ?? new Dictionary<string, double>())
        {
            if (!values.ContainsKey(key))
                throw new ArgumentException(entry.Parameters.Count == 0
                    ? $"The strategy \"{name}\" has no parameter \"{key}\"; it takes none."
                    : $"The strategy \"{name}\" has no parameter \"{key}\"; its parameters are: {string.Join(", ", entry.Parameters.Select(p => p.Name))}.", nameof(parameters));
            if (!double.IsFinite(value)) throw new ArgumentException($"The parameter \"{key}\" is {value.ToString(CultureInfo.InvariantCulture)}; it must be finite.", nameof(parameters));
            values[key] = value;
        }
        if (options.RepresentationGradients && !entry.Aggregation)
            throw new ArgumentException($"rep_grad applies to gradient-aggregation methods; \"{name}\" weighs the losses and has no representation gradients to aggregate.", nameof(options));
        bool record = options.RecordConflict;
        try
        {
            return name switch
            {
                "ew" => new FixedWeights<T>(tasks, equal: true, record),
                "fixed" => new FixedWeights<T>(tasks, equal: false, record),
                "uw" => new UncertaintyWeighting<T>(tasks, values["uw-lr"], recordConflict: record),
                "dwa" => new DynamicWeightAverage<T>(tasks, values["dwa-temperature"], record),
                "rlw" => new RandomLossWeighting<T>(tasks, options.Seed, record),
                "gls" => new GeometricLossStrategy<T>(tasks, record),
                "db-mtl" => new DualBalancing<T>(tasks, values["db-mtl-beta"], values["db-mtl-beta-sigma"]),
                "famo" => new Famo<T>(tasks, values["famo-lr"], values["famo-gamma"], record),
                "gradnorm" => new GradNorm<T>(tasks, values["gradnorm-alpha"], values["gradnorm-lr"], record, FirstEpochReference(values["gradnorm-reference-epoch"])),
                "imtl-l" => new ImpartialLossWeighting<T>(tasks, values["imtl-l-lr"], recordConflict: record),
                "imtl" when GradientAggregators.Names.All(n => n != "imtl") => new ImpartialLossWeighting<T>(tasks, values["imtl-l-lr"],
                    new AggregationStrategy<T>(GradientAggregators.Create("imtl-g", Without(values, "imtl-l-lr"), options.Seed), tasks, options.RepresentationGradients)),
                "mgda-ub" when GradientAggregators.Names.All(n => n != "mgda-ub") => new AggregationStrategy<T>(GradientAggregators.Create("mgda", values, options.Seed), tasks, representationGradients: true, "mgda-ub"),
                _ => new AggregationStrategy<T>(GradientAggregators.Create(name, values, options.Seed), tasks, options.RepresentationGradients),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            string problem = e.Message.Split(" (Parameter", 2)[0].Split('\n', 2)[0].Trim();
            throw new ArgumentException($"The strategy \"{name}\": {problem} (got {e.ActualValue}).", nameof(parameters), e);
        }
    }

    private static bool FirstEpochReference(double value) => value switch
    {
        0 => false,
        1 => true,
        _ => throw new ArgumentOutOfRangeException("gradnorm-reference-epoch", value, "gradnorm-reference-epoch must be 0 (the first step's losses) or 1 (the first epoch's)."),
    };

    private static Dictionary<string, double> Without(Dictionary<string, double> values, string key) =>
        values.Where(p => p.Key != key).ToDictionary(p => p.Key, p => p.Value);
}
