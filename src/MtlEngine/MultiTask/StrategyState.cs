using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// The state a training strategy or a gradient aggregator carries across steps, as named float64 arrays (what the
/// trainer's checkpoints hold under <c>strategy.</c>): writing it and reading it back with the checks that say which
/// entry is missing or of the wrong size.
/// </summary>
public sealed class StrategyState
{
    private readonly Dictionary<string, double[]> _entries;

    /// <summary>An empty state to write into.</summary>
    public StrategyState() => _entries = new Dictionary<string, double[]>(StringComparer.Ordinal);

    /// <summary>A state read back (name → values).</summary>
    public StrategyState(IReadOnlyDictionary<string, double[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = new Dictionary<string, double[]>(entries, StringComparer.Ordinal);
    }

    /// <summary>The entries, by name (empty arrays are not kept: an absent entry reads as empty).</summary>
    public IReadOnlyDictionary<string, double[]> Entries => _entries;

    /// <summary>Stores a copy of <paramref name="values"/> under <paramref name="name"/> (nothing when empty).</summary>
    public void Put(string name, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (values.IsEmpty) _entries.Remove(name);
        else _entries[name] = values.ToArray();
    }

    /// <summary>Stores a generator's position exactly (two 32-bit halves, each exact in a double).</summary>
    public void PutPosition(string name, TensorRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Put(name, [random.Position >> 32, random.Position & 0xFFFF_FFFFUL]);
    }

    /// <summary>The values under <paramref name="name"/>, which must hold <paramref name="length"/> of them.</summary>
    /// <exception cref="ArgumentException">When the entry is missing or has another length.</exception>
    public double[] Get(string name, int length)
    {
        var values = Optional(name) ?? throw new ArgumentException($"The strategy state has no entry \"{name}\" (it has [{string.Join(", ", _entries.Keys)}]).");
        return values.Length == length
            ? values
            : throw new ArgumentException($"The strategy state's entry \"{name}\" holds {values.Length} values, but {length} are needed.");
    }

    /// <summary>The values under <paramref name="name"/>, or null when there is no such entry.</summary>
    public double[]? Optional(string name) => _entries.TryGetValue(name, out var values) ? values : null;

    /// <summary>Copies the entry <paramref name="name"/> (of the target's length) into <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">When the entry is missing or has another length.</exception>
    public void CopyTo(string name, double[] target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Get(name, target.Length).CopyTo(target, 0);
    }

    /// <summary>Sets a generator's position from an entry <see cref="PutPosition"/> wrote.</summary>
    /// <exception cref="ArgumentException">When the entry is missing or not two exact 32-bit halves.</exception>
    public void GetPosition(string name, TensorRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var halves = Get(name, 2);
        foreach (double h in halves)
            if (!(h >= 0 && h <= uint.MaxValue && h == Math.Floor(h)))
                throw new ArgumentException($"The strategy state's entry \"{name}\" is not a generator position (got {halves[0]}, {halves[1]}).");
        random.Position = ((ulong)halves[0] << 32) | (ulong)halves[1];
    }

    /// <summary>The entries whose names start with <paramref name="prefix"/>, the prefix removed (an aggregator's part of a strategy's state).</summary>
    public StrategyState Section(string prefix) => new(_entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
        .ToDictionary(e => e.Key[prefix.Length..], e => e.Value));

    /// <summary>Stores every entry of <paramref name="section"/> under <paramref name="prefix"/>.</summary>
    public void PutSection(string prefix, StrategyState section)
    {
        ArgumentNullException.ThrowIfNull(section);
        foreach (var (name, values) in section._entries) _entries[prefix + name] = values;
    }
}
