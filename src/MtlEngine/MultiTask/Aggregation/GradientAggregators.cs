using System.Globalization;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>A numeric parameter of an aggregation method, as <c>mtl aggregate</c> and the <c>mtl train</c> spec spell it.</summary>
/// <param name="Name">The option name without dashes, prefixed by the method (<c>cagrad-c</c>, <c>fairgrad-alpha</c>).</param>
/// <param name="Default">The paper's default.</param>
/// <param name="Description">One line: what it is and its allowed range.</param>
public sealed record AggregatorParameter(string Name, double Default, string Description);

/// <summary>One aggregation method of the registry: its name, its parameters, and how to build it.</summary>
/// <param name="Name">The method's name (<c>mgda</c>, <c>pcgrad</c>, ...).</param>
/// <param name="Summary">One line: the paper and what the method does.</param>
/// <param name="Parameters">Its numeric parameters with their defaults.</param>
/// <param name="Create">Builds the aggregator from a value for every parameter (defaults filled in) and a seed (for the randomized methods).</param>
public sealed record AggregatorEntry(string Name, string Summary, IReadOnlyList<AggregatorParameter> Parameters,
    Func<IReadOnlyDictionary<string, double>, ulong, GradientAggregator> Create);

/// <summary>
/// The registry of gradient-aggregation methods by name, shared by <c>mtl aggregate</c>, the <c>mtl train</c> spec and
/// library users who pick a method from configuration.
/// </summary>
public static class GradientAggregators
{
    /// <summary>Every method, in the order the documentation lists them.</summary>
    public static IReadOnlyList<AggregatorEntry> All { get; } =
    [
        new("mean", "Equal weighting: the mean of the task gradients", [], (_, _) => new MeanAggregator()),
        new("mgda", "Sener & Koltun 2018: the min-norm point of the convex hull of the task gradients (exact)",
            [new("mgda-normalize", 0, "0: no gradient normalization (the paper's problem), 1: each gradient scaled to unit l2 norm first")],
            (p, _) => new MgdaAggregator(Choice<MgdaNormalization>(p["mgda-normalize"], "mgda-normalize", "0 (none) or 1 (l2)"))),
        new("upgrad", "Quinton & Lavoie 2024: the mean of the projections of each task gradient onto the dual cone of all of them (exact, unregularized)",
            [], (_, _) => new UpGradAggregator()),
        new("cagrad", "Liu et al. 2021: the best worst-task direction in a ball of radius c·|g0| around the mean gradient g0 (exact dual)",
            [new("cagrad-c", 0.5, "c ≥ 0: the radius of the ball around the mean gradient, in units of its norm"),
             new("cagrad-rescale", 0, "0: none (the paper's problem), 1: divide by 1 + c² (LibMTL's default), 2: divide by 1 + c")],
            (p, _) => new CaGradAggregator(p["cagrad-c"], Choice<CaGradRescale>(p["cagrad-rescale"], "cagrad-rescale", "0, 1 or 2"))),
        new("imtl-g", "Liu et al. 2021: the combination (weights summing to 1) with equal projections on every unit task gradient",
            [], (_, _) => new ImtlGAggregator()),
        new("aligned-mtl", "Senushkin et al. 2023: the task gradients made orthogonal and of equal norm (eigendecomposition of the Gramian), then summed",
            [], (_, _) => new AlignedMtlAggregator()),
        new("pcgrad", "Yu et al. 2020: each task gradient projected off the ones it conflicts with, in a random order; D the sum", [],
            (_, seed) => new PCGrad(seed)),
        new("gradvac", "Wang et al. 2021: gradient vaccine, each task gradient turned toward an EMA target of its cosine with the others; D the sum",
            [new("gradvac-beta", 0.5, "EMA rate of the cosine targets, in [0, 1]")], (p, seed) => new GradVac(p["gradvac-beta"], seed)),
        new("graddrop", "Chen et al. 2020: gradient sign dropout, per parameter the positive or negative parts kept at random by sign purity",
            [new("graddrop-leak", 0.0, "fraction of every gradient always kept, in [0, 1]")], (p, seed) => new GradDrop(p["graddrop-leak"], seed)),
        new("nash-mtl", "Navon et al. 2022: Nash bargaining weights, the exact solution of (J·Jᵀ)·α = 1/α; D = αᵀJ",
            [new("nash-mtl-max-norm", 0.0, "clip ‖D‖ to this norm when positive (LibMTL: 1); 0 leaves ‖D‖ = √T")], (p, _) => new NashMtl(p["nash-mtl-max-norm"])),
        new("fairgrad", "Ban & Ji 2024: α-fair weights, the exact solution of (J·Jᵀ)·w = w^(−1/α); D = wᵀJ",
            [new("fairgrad-alpha", 1.0, "fairness α > 0 (1: proportional fairness, as nash-mtl)")], (p, _) => new FairGrad(p["fairgrad-alpha"])),
    ];

    /// <summary>An enumeration value from a numeric parameter that must be one of its whole values.</summary>
    private static TEnum Choice<TEnum>(double value, string name, string allowed) where TEnum : struct, Enum
    {
        if (value != Math.Floor(value) || !Enum.IsDefined(typeof(TEnum), (int)value))
            throw new ArgumentException($"The parameter \"{name}\" is {value.ToString(CultureInfo.InvariantCulture)}; it must be {allowed}.");
        return (TEnum)Enum.ToObject(typeof(TEnum), (int)value);
    }

    /// <summary>The names of every method.</summary>
    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <summary>The entry of a method.</summary>
    /// <exception cref="ArgumentException">When there is no method of that name (the message lists them).</exception>
    public static AggregatorEntry Entry(string name) =>
        All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown aggregation method \"{name}\"; the methods are: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Builds a method with the given parameter values (missing ones at their defaults) and seed.</summary>
    /// <exception cref="ArgumentException">When the method is unknown, a parameter is not one of its own, or a value is not finite.</exception>
    public static GradientAggregator Create(string name, IReadOnlyDictionary<string, double>? parameters = null, ulong seed = 0)
    {
        var entry = Entry(name);
        var values = entry.Parameters.ToDictionary(p => p.Name, p => p.Default);
        foreach (var (key, value) in parameters ?? new Dictionary<string, double>())
        {
            if (!values.ContainsKey(key))
                throw new ArgumentException(entry.Parameters.Count == 0
                    ? $"The method \"{name}\" has no parameter \"{key}\"; it takes none."
                    : $"The method \"{name}\" has no parameter \"{key}\"; its parameters are: {string.Join(", ", entry.Parameters.Select(p => p.Name))}.", nameof(parameters));
            if (!double.IsFinite(value)) throw new ArgumentException($"The parameter \"{key}\" is {value.ToString(CultureInfo.InvariantCulture)}; it must be finite.", nameof(parameters));
            values[key] = value;
        }
        return entry.Create(values, seed);
    }
}
