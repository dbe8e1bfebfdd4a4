namespace MtlEngine.Fuzzing;

/// <summary>The inputs the harness mutates: every format MtlEngine reads.</summary>
public enum FuzzFormat
{
    /// <summary>NumPy .npy.</summary>
    Npy,
    /// <summary>NumPy .npz (zip of .npy).</summary>
    Npz,
    /// <summary>safetensors.</summary>
    Safetensors,
    /// <summary>Numeric CSV.</summary>
    Csv,
    /// <summary>Model files of every kind (safetensors with an <c>mtl.model</c> kind), loaded by every loader.</summary>
    Model,
    /// <summary>The JSON spec of <c>mtl train</c>.</summary>
    Spec,
    /// <summary>The <c>mtl</c> command line on mutated array and model files: exit code 2 with one printable line, never 1.</summary>
    Cli,
}

/// <summary>What one case did: read fine, was refused with a typed error, or failed (a crash, an untyped exception, a hang).</summary>
public enum FuzzOutcome
{
    /// <summary>The input was read (or loaded) without error.</summary>
    Accepted,
    /// <summary>The input was refused with one of our typed errors.</summary>
    Rejected,
    /// <summary>An exception outside our typed family, a wrong exit code or message, or a case that took too long.</summary>
    Failed,
}

/// <summary>A failing case: its format, index, what went wrong and the input that does it.</summary>
/// <param name="Format">The format.</param>
/// <param name="Case">The case index (with the seed it reproduces the input).</param>
/// <param name="Kind">The failure class: the exception type, "exit 1", "slow", ...</param>
/// <param name="Message">The exception message or the CLI's output.</param>
/// <param name="Input">The mutated input.</param>
public sealed record FuzzFailure(FuzzFormat Format, long Case, string Kind, string Message, byte[] Input);

/// <summary>What a run did.</summary>
/// <param name="Cases">Cases run.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Rejected">Cases refused with a typed error.</param>
/// <param name="Failures">Every failing case (the run stops collecting inputs after the first 100).</param>
/// <param name="SlowestCase">The longest single case.</param>
/// <param name="TimePerFormat">The time spent in the cases of each format (generation included).</param>
public sealed record FuzzResult(long Cases, TimeSpan Elapsed, long Rejected, IReadOnlyList<FuzzFailure> Failures, TimeSpan SlowestCase,
    IReadOnlyDictionary<FuzzFormat, TimeSpan> TimePerFormat);
