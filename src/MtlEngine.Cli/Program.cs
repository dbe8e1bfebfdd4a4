using System.CommandLine;
using MtlEngine.Data;

namespace MtlEngine.Cli;

/// <summary>
/// The <c>mtl</c> command. Exit codes: 0 success; 2 a user error (a missing or malformed file, an unknown
/// extension, option or command, a bad option value, mismatched shapes), reported as one line
/// <c>mtl: message</c> on standard error; 1 an unexpected failure (a bug), also one line. Set the environment
/// variable <c>MTL_DEBUG=1</c> to get the exception's stack trace after that line.
/// </summary>
public static class Program
{
    /// <summary>Success.</summary>
    public const int ExitSuccess = 0;

    /// <summary>An unexpected failure: a bug in MtlEngine.</summary>
    public const int ExitInternalError = 1;

    /// <summary>A user error: bad input, arguments or options.</summary>
    public const int ExitUserError = 2;

    /// <summary>Runs the command line and returns its exit code.</summary>
    public static int Main(string[] args) =>
        Run(args, Console.Out, Console.Error, debug: Environment.GetEnvironmentVariable("MTL_DEBUG") == "1");

    /// <summary>
    /// Runs <c>mtl</c> with <paramref name="args"/>, writing results to <paramref name="stdout"/> and errors to
    /// <paramref name="stderr"/>, and returns the exit code (<see cref="ExitSuccess"/>, <see cref="ExitUserError"/>
    /// or <see cref="ExitInternalError"/>). Used by <see cref="Main"/> and, in-process, by the tests.
    /// </summary>
    /// <param name="args">The command-line arguments, without the program name.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where the one-line error message goes.</param>
    /// <param name="debug">When true, an error's stack trace follows its one-line message.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool debug = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var root = CreateRootCommand(stdout);
            var parsed = root.Parse(args);
            OptionChecks.Check(parsed);
            if (parsed.Errors.Count > 0)
                return Fail(stderr, ExitUserError, OptionChecks.Readable(string.Join(" ", parsed.Errors.Select(e => e.Message))) + " (see 'mtl --help')", null, debug);
            var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            int code = parsed.Invoke(configuration);
            stdout.Flush();
            return code;
        }
        catch (Exception error) when (IsUserError(error))
        {
            return Fail(stderr, ExitUserError, error.Message, error, debug);
        }
        catch (Exception error)
        {
            return Fail(stderr, ExitInternalError,
                $"internal error ({error.GetType().Name}): {error.Message} (this is a bug in MtlEngine; set MTL_DEBUG=1 for the stack trace)",
                error, debug);
        }
    }

    /// <summary>The root command with every subcommand; actions write to <paramref name="stdout"/>.</summary>
    internal static RootCommand CreateRootCommand(TextWriter stdout)
    {
        var root = new RootCommand("MtlEngine's command line: inspect and convert array files, fit and apply models, train multi-task models from a JSON spec, run the demo on the shipped data, run benchmarks.");
        root.Subcommands.Add(InspectCommand.Create(stdout));
        root.Subcommands.Add(ConvertCommand.Create(stdout));
        root.Subcommands.Add(Demo.DemoCommand.Create(stdout));
        root.Subcommands.Add(BenchCommand.Create(stdout));
        root.Subcommands.Add(Fit.FitCommand.Create(stdout));
        root.Subcommands.Add(Fit.PredictCommand.Create(stdout));
        root.Subcommands.Add(Train.TrainCommand.Create(stdout));
        root.Subcommands.Add(Train.ExampleCommand.Create(stdout));
        root.Subcommands.Add(AggregateCommand.Create(stdout));
        root.Subcommands.Add(Report.ReportCommand.Create(stdout));
        root.Subcommands.Add(Cluster.ClusterCommand.Create(stdout));
        return root;
    }

    /// <summary>
    /// Errors the user can fix (bad files, arguments, shapes) as opposed to bugs. <see cref="NotImplementedException"/>
    /// and <see cref="ArgumentNullException"/> are bugs even though the latter is an <see cref="ArgumentException"/>.
    /// </summary>
    internal static bool IsUserError(Exception error) => error switch
    {
        UsageException or DataFormatException => true,
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => true,
        ArgumentNullException => false,
        ArgumentException => true,
        IOException => true,
        _ => false,
    };

    private static int Fail(TextWriter stderr, int code, string message, Exception? error, bool debug)
    {
        stderr.WriteLine("mtl: " + Printable.Escape(OneLine(message)));
        if (debug && error is not null) stderr.WriteLine(error.ToString());
        stderr.Flush();
        return code;
    }

    /// <summary>Joins the lines of a message so that the error is exactly one line (other non-printing characters are escaped by <see cref="Fail"/>).</summary>
    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
