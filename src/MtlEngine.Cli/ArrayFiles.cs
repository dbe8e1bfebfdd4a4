using MtlEngine.Data;

namespace MtlEngine.Cli;

/// <summary>What the CLI needs around <see cref="ArrayFile"/>: extension checks with messages that say how to fix them, and dtype names.</summary>
internal static class ArrayFiles
{
    /// <summary>The extensions <see cref="ArrayFile"/> reads and writes.</summary>
    public static readonly string[] Extensions = [".npy", ".npz", ".safetensors", ".csv"];

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

    /// <summary>Reads every array of <paramref name="path"/> after checking its extension and that it exists.</summary>
    public static IReadOnlyList<NdArray> Read(string path)
    {
        Extension(path);
        if (Directory.Exists(path)) throw new UsageException($"{path}: is a directory, not an array file");
        if (!File.Exists(path)) throw new UsageException($"{path}: no such file");
        return ArrayFile.Read(path);
    }

    /// <summary>NumPy's name of a dtype ("float32", "uint8", ...).</summary>
    public static string DTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.UInt8 => "uint8",
        DType.Bool => "bool",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
