namespace MtlEngine.Cli;

/// <summary>The <c>mtl</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns its exit code.</summary>
    public static int Main(string[] args) => 0;
}
