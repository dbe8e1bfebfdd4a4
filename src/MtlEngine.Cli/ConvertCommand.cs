using System.CommandLine;
using MtlEngine.Data;

namespace MtlEngine.Cli;

/// <summary>
/// <c>mtl convert IN OUT [--name NAME]</c>: converts between .csv, .npy, .npz and .safetensors, choosing both
/// formats by extension. A single-array target (.npy, .csv) takes the source's only array, or the member
/// <c>--name</c> picks from a multi-array source. A multi-array target (.npz, .safetensors) takes every array
/// (or only <c>--name</c>); an unnamed array (from .npy or .csv) is stored as "arr_0", NumPy's name in np.savez.
/// Safetensors metadata is kept from safetensors to safetensors, and a CSV header from CSV to CSV.
/// </summary>
internal static class ConvertCommand
{
    /// <summary>NumPy's <c>np.savez</c> names unnamed arrays arr_0, arr_1, ... by position.</summary>
    private const string UnnamedMemberPrefix = "arr_";

    public static Command Create(TextWriter stdout)
    {
        var input = new Argument<string>("IN") { Description = "The source file: .npy, .npz, .safetensors or .csv." };
        var output = new Argument<string>("OUT") { Description = "The file to write; its extension picks the format. Overwritten if it exists." };
        var name = new Option<string?>("--name") { Description = "The array (member) of a multi-array source to convert.", HelpName = "NAME" };
        var command = new Command("convert", "Convert arrays between .csv, .npy, .npz and .safetensors (formats chosen by extension).") { input, output, name };
        command.SetAction(parsed => Run(parsed.GetRequiredValue(input), parsed.GetRequiredValue(output), parsed.GetValue(name), stdout));
        return command;
    }

    public static int Run(string inputPath, string outputPath, string? name, TextWriter stdout)
    {
        string outputExtension = ArrayFiles.Extension(outputPath); // check before reading anything
        var source = ArrayFiles.Read(inputPath);
        var selected = Select(inputPath, source.Arrays, name, single: !ArrayFiles.HoldsManyArrays(outputPath));
        if (ArrayFiles.HoldsManyArrays(outputPath))
            selected = selected.Select((a, i) => a.Name.Length > 0 ? a : a.WithName(UnnamedMemberPrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        else if (outputExtension == ".csv" && selected[0].Shape.Length is not (1 or 2))
            throw new UsageException(
                $"{inputPath}: array '{Describe(selected[0])}' has shape {Output.TextTable.Shape(selected[0].Shape)}; CSV holds only 1-d or 2-d arrays (use .npy, .npz or .safetensors)");

        // What the source format adds travels when the target format can hold it: safetensors metadata, CSV column names.
        if (outputExtension == ".safetensors")
            Safetensors.Write(outputPath, selected, source.Metadata);
        else if (outputExtension == ".csv" && source.ColumnNames is { } columns && selected[0].Shape.Length == 2 && selected[0].Shape[1] == columns.Count)
            Csv.Write(outputPath, selected[0], columns);
        else
            ArrayFile.Write(outputPath, selected);
        stdout.WriteLine($"wrote {outputPath}: {string.Join(", ", selected.Select(a => $"{Describe(a)} {ArrayFiles.DTypeName(a.DType)} {Output.TextTable.Shape(a.Shape)}"))}");
        return Program.ExitSuccess;
    }

    /// <summary>The arrays to write: the one named <paramref name="name"/>, the only one, or (for a multi-array target) all.</summary>
    private static List<NdArray> Select(string inputPath, IReadOnlyList<NdArray> arrays, string? name, bool single)
    {
        string names = string.Join(", ", arrays.Select(Describe));
        if (name is not null)
        {
            var match = arrays.Where(a => a.Name == name).ToList();
            if (match.Count == 0)
                throw new UsageException($"{inputPath}: no array named '{name}'; it holds: {names}");
            return match;
        }
        if (arrays.Count == 0)
            throw new UsageException($"{inputPath}: holds no arrays; nothing to convert");
        if (single && arrays.Count > 1)
            throw new UsageException($"{inputPath}: holds {arrays.Count} arrays and the target holds one; pick one with --name (one of: {names})");
        return arrays.ToList();
    }

    private static string Describe(NdArray array) => array.Name.Length == 0 ? "(unnamed)" : array.Name;
}
