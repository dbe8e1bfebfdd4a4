using MtlEngine.Cli;

namespace MtlEngine.Tests.Cli;

/// <summary>Runs <c>mtl</c> in-process through <see cref="Program.Run"/> and checks the user-error contract.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Mtl(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A user error: exit code 2, nothing on stdout, exactly one line "mtl: ..." on stderr.</summary>
    public static string AssertUserError(params string[] args)
    {
        var (code, output, error) = Mtl(args);
        Assert.Equal(Program.ExitUserError, code);
        Assert.Equal("", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("mtl: ", lines[0]);
        Assert.DoesNotContain("   at ", error);
        return lines[0].TrimEnd('\r');
    }
}
