using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MtlEngine.Cli;

/// <summary>
/// Checks every option value on the command line before any command runs, the same way for all commands:
/// numbers are read in the invariant culture with a decimal point and nothing else (System.CommandLine's own parser
/// accepts thousands separators, so <c>--alpha 1,5</c> would be 15), <c>--threads</c> has an upper bound, and the folder
/// of an output file must exist. Each problem is a <see cref="UsageException"/> naming the option.
/// </summary>
internal static partial class OptionChecks
{
    /// <summary>The most threads any command accepts: 64 per core, at most 1024 (more only adds scheduling overhead, and a
    /// huge count made runs hang in thread creation).</summary>
    public static int MaxThreads => Math.Min(1024, 64 * Environment.ProcessorCount);

    /// <summary>Options and arguments that name a file to write (not a folder: 'train' and 'example' create their --out folders).</summary>
    private static readonly string[] OutputFileOptions = ["--out", "--save", "--weights-out"];
    private static readonly string[] FolderCommands = ["train", "example", "demo"];

    /// <summary>Checks the values given on the command line of <paramref name="parsed"/>.</summary>
    /// <exception cref="UsageException">For the first value that is not acceptable.</exception>
    public static void Check(ParseResult parsed)
    {
        for (SymbolResult? result = parsed.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command) continue;
            foreach (SymbolResult child in command.Children)
            {
                switch (child)
                {
                    case OptionResult { Implicit: false } option:
                        CheckValues(option.Option.Name, option.Option.ValueType, option.Tokens);
                        if (option.Option.Name == "--threads") CheckThreads(option.Tokens);
                        if (OutputFileOptions.Contains(option.Option.Name) && !FolderCommands.Contains(command.Command.Name))
                            foreach (Token token in option.Tokens) CheckOutputFolder(token.Value, option.Option.Name);
                        break;
                    case ArgumentResult argument:
                        CheckValues(argument.Argument.Name, argument.Argument.ValueType, argument.Tokens);
                        if (argument.Argument.Name == "OUT")
                            foreach (Token token in argument.Tokens) CheckOutputFolder(token.Value, "OUT");
                        break;
                }
            }
        }
    }

    /// <summary>
    /// System.CommandLine's error messages with .NET type names (<c>System.Nullable`1[System.Double]</c>) put in words.
    /// </summary>
    public static string Readable(string message) =>
        TypeName().Replace(NullableType().Replace(message, "System.$1"), match => match.Groups[1].Value switch
        {
            "Double" or "Single" or "Decimal" => "number",
            "Int32" or "Int64" or "UInt32" or "UInt64" or "Int16" or "UInt16" or "Byte" => "whole number",
            "Boolean" => "true or false",
            "String" => "text",
            var other => other,
        });

    private static void CheckValues(string name, Type valueType, IReadOnlyList<Token> tokens)
    {
        Type type = Nullable.GetUnderlyingType(valueType) ?? (valueType.IsArray ? valueType.GetElementType()! : valueType);
        type = Nullable.GetUnderlyingType(type) ?? type;
        foreach (Token token in tokens)
        {
            string text = token.Value;
            if (type == typeof(double) || type == typeof(float))
            {
                // Float without AllowThousands (and without surrounding spaces): "1,5" and "1 5" are not numbers.
                if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                        CultureInfo.InvariantCulture, out double value) || (type == typeof(float) && float.IsInfinity((float)value) && double.IsFinite(value)))
                    throw new UsageException(text.Contains(',')
                        ? $"{name} {Shown(text)}: not a number; write one number with a decimal point (1.5), without commas or thousands separators"
                        : $"{name} {Shown(text)}: not a number (expected something like 0.5, 10 or 1e-3)");
            }
            else if (type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(ulong))
            {
                bool signed = type == typeof(int) || type == typeof(long);
                var style = signed ? NumberStyles.AllowLeadingSign : NumberStyles.None;
                bool ok = type == typeof(int) ? int.TryParse(text, style, CultureInfo.InvariantCulture, out _)
                    : type == typeof(long) ? long.TryParse(text, style, CultureInfo.InvariantCulture, out _)
                    : type == typeof(uint) ? uint.TryParse(text, style, CultureInfo.InvariantCulture, out _)
                    : ulong.TryParse(text, style, CultureInfo.InvariantCulture, out _);
                if (!ok)
                    throw new UsageException($"{name} {Shown(text)}: not a whole number{(signed ? "" : " ≥ 0")} in range (expected digits only, such as 8)");
            }
        }
    }

    private static void CheckThreads(IReadOnlyList<Token> tokens)
    {
        foreach (Token token in tokens)
            if (int.TryParse(token.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int threads) && (threads < 1 || threads > MaxThreads))
                throw new UsageException($"--threads {threads.ToString(CultureInfo.InvariantCulture)}: must be between 1 and {MaxThreads.ToString(CultureInfo.InvariantCulture)} (64 per core on this {Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)}-core machine, at most 1024)");
    }

    private static void CheckOutputFolder(string path, string name)
    {
        if (path.Length == 0) throw new UsageException($"{name}: the output path is empty");
        string? folder;
        try
        {
            folder = Path.GetDirectoryName(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{Shown(path)} ({name}): not a valid path: {e.Message}");
        }
        if (folder is not null && !Directory.Exists(folder))
            throw new UsageException($"{Shown(path)} ({name}): the folder {Shown(folder)} does not exist; create it first");
        if (Directory.Exists(path))
            throw new UsageException($"{Shown(path)} ({name}): is a folder; give the path of a file to write");
    }

    private static string Shown(string text) => Data.Printable.Escape(text.Length > 80 ? text[..80] + "..." : text);

    [GeneratedRegex(@"System\.Nullable`1\[System\.(\w+)\]")]
    private static partial Regex NullableType();

    [GeneratedRegex(@"System\.(Double|Single|Decimal|Int16|UInt16|Int32|Int64|UInt32|UInt64|Byte|Boolean|String)\b")]
    private static partial Regex TypeName();
}
