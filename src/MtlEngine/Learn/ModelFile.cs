using System.Globalization;
using MtlEngine.Data;

namespace MtlEngine.Learn;

/// <summary>
/// The file format of fitted estimators: one safetensors file whose tensors are the fitted arrays under
/// scikit-learn's names (<c>coef_</c>, <c>intercept_</c>, <c>components_</c>, ...) and whose <c>__metadata__</c> holds
/// the model kind under <see cref="KindKey"/> ("ridge", "pca", "logreg", ...), <see cref="VersionKey"/> and the
/// options as strings. Python reads it with <c>safetensors.numpy.load_file</c> (or any safetensors reader).
/// Each fitted model type has <c>Save(path)</c> and a static <c>Load(path)</c> built on <see cref="Write"/> and
/// <see cref="Read"/>.
/// </summary>
public static class ModelFile
{
    /// <summary>The metadata key that names the model kind.</summary>
    public const string KindKey = "mtl.model";

    /// <summary>The metadata key of the format version.</summary>
    public const string VersionKey = "mtl.format_version";

    /// <summary>The format version written today.</summary>
    public const string Version = "1";

    /// <summary>Writes a model: <paramref name="tensors"/> plus <paramref name="metadata"/> with the kind and version added.</summary>
    public static void Write(string path, string kind, IReadOnlyList<NdArray> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(tensors);
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { [KindKey] = kind, [VersionKey] = Version };
        if (metadata is not null)
            foreach (var (key, value) in metadata) all[key] = value;
        Safetensors.Write(path, tensors, all);
    }

    /// <summary>The kind stored in a model file.</summary>
    /// <exception cref="DataFormatException">When the file is not a model file written by <see cref="Write"/>.</exception>
    public static string ReadKind(string path) => Read(path, expectedKind: null).Kind;

    /// <summary>Reads a model file and checks its kind (when <paramref name="expectedKind"/> is given) and version.</summary>
    /// <exception cref="DataFormatException">When it is not a model file, or one of another kind or a newer version.</exception>
    public static ModelFileContents Read(string path, string? expectedKind)
    {
        var file = Safetensors.Read(path);
        if (!file.Metadata.TryGetValue(KindKey, out var kind))
            throw new DataFormatException(path, $"not an MtlEngine model file: its safetensors metadata has no '{KindKey}' entry (write models with 'mtl fit')");
        if (expectedKind is not null && kind != expectedKind)
            throw new DataFormatException(path, $"holds a '{kind}' model, not a '{expectedKind}' model");
        if (file.Metadata.TryGetValue(VersionKey, out var version) && version != Version)
            throw new DataFormatException(path, $"model format version {version} is not supported (this MtlEngine reads version {Version})");
        return new ModelFileContents(path, kind, file.Tensors, file.Metadata);
    }
}

/// <summary>A model file's kind, tensors and metadata, with typed accessors whose errors name the file and the entry.</summary>
public sealed record ModelFileContents(string Path, string Kind, IReadOnlyList<NdArray> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="DataFormatException">When the file has no such tensor.</exception>
    public NdArray Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new DataFormatException(Path, $"the '{Kind}' model has no tensor '{name}'");

    /// <summary>
    /// Refuses a tensor that a model of this kind does not hold (a file relabelled from another kind, or a tensor added by
    /// hand), naming it and the tensors this kind holds.
    /// </summary>
    /// <exception cref="DataFormatException">When the file has a tensor not in <paramref name="names"/>.</exception>
    public void OnlyTensors(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var tensor in Tensors)
            if (!names.Contains(tensor.Name, StringComparer.Ordinal))
                throw new DataFormatException(Path,
                    $"has a tensor '{tensor.Name}' that a '{Kind}' model does not hold (it holds {string.Join(", ", names)}); is it a model of another kind relabelled '{Kind}'?");
    }

    /// <summary>True when the file has a tensor named <paramref name="name"/>.</summary>
    public bool HasTensor(string name) => Tensors.Any(t => t.Name == name);

    /// <summary>The metadata string under <paramref name="key"/>.</summary>
    /// <exception cref="DataFormatException">When it is missing.</exception>
    public string Text(string key) =>
        Metadata.TryGetValue(key, out var value) ? value : throw new DataFormatException(Path, $"the '{Kind}' model's metadata has no '{key}' entry");

    /// <summary>The metadata value under <paramref name="key"/> as an invariant-culture double.</summary>
    /// <exception cref="DataFormatException">When it is missing or not a number.</exception>
    public double Number(string key) =>
        double.TryParse(Text(key), NumberStyles.Float & ~NumberStyles.AllowTrailingWhite & ~NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new DataFormatException(Path, $"the '{Kind}' model's metadata entry '{key}' is '{Text(key)}', not a number");
}
