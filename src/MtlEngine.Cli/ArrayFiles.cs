using MtlEngine.Data;

namespace MtlEngine.Cli;

/// <summary>What the CLI needs around <see cref="ArrayFile"/>: extension checks with messages that say how to fix them, and dtype names.</summary>
internal static class ArrayFiles
{
    /// <summary>The extensions <see cref="ArrayFile"/> reads and writes.</summary>
    public static IReadOnlyList<string> Extensions => ArrayFile.Extensions;

    /// <summary>True for the formats that hold several named arrays (.npz, .safetensors).</summary>
    public static bool HoldsManyArrays(string path) => Extension(path) is ".npz" or ".safetensors";

    /// <summary>The lower-case extension of <paramref name="path"/> after checking that it is a supported one.</summary>
    /// <exception cref="UsageException">When it is not.</exception>
    public static string Extension(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(extension))
            throw new UsageException(
                $"{path}: unknown file extension '{extension}'; use one of {string.Join(", ", Extensions)}");
        return extension;
    }

    /// <summary>
    /// Reads every array of <paramref name="path"/> after checking its extension and that it exists, with what
    /// the format adds: safetensors' <c>__metadata__</c> and a CSV file's column names.
    /// </summary>
    public static ArraySource Read(string path)
    {
        string extension = Extension(path);
        if (Directory.Exists(path)) throw new UsageException($"{path}: is a directory, not an array file");
        if (!File.Exists(path)) throw new UsageException($"{path}: no such file");
        switch (extension)
        {
            case ".safetensors":
                var safetensors = Safetensors.Read(path);
                return new ArraySource(safetensors.Tensors, safetensors.Metadata, null);
            case ".csv":
                var table = Csv.Read(path);
                return new ArraySource([table.Array], new Dictionary<string, string>(), table.ColumnNames);
            default:
                return new ArraySource(ArrayFile.Read(path), new Dictionary<string, string>(), null);
        }
    }

    /// <summary>NumPy's name of a dtype ("float32", "uint8", ...).</summary>
    public static string DTypeName(DType dtype) => DTypes.NumpyName(dtype);

    /// <summary>Reads the .npy file an option names, or says in one line why it cannot (not .npy, a folder, missing).</summary>
    public static NdArray ReadNpy(string path, string option)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"{path} ({option}): expected a .npy file");
        if (Directory.Exists(path)) throw new UsageException($"{path} ({option}): is a directory, not a .npy file");
        if (!File.Exists(path)) throw new UsageException($"{path} ({option}): no such file");
        return Npy.Read(path);
    }
}

/// <summary>The arrays of a file, with safetensors' metadata (else empty) and a CSV header's column names (else null).</summary>
internal sealed record ArraySource(IReadOnlyList<NdArray> Arrays, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<string>? ColumnNames);
