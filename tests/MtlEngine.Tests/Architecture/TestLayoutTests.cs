namespace MtlEngine.Tests.Architecture;

/// <summary>
/// The test folders mirror the sources: a test of <c>src/MtlEngine/Learn/Ridge/Ridge.cs</c> lives in
/// <c>Learn/Ridge/</c>, a test of <c>kernels/MtlEngine.Kernels/Gemm/Gemm.cs</c> in <c>Kernels/Gemm/</c>, and a test of
/// another project <c>src/MtlEngine.X</c> or <c>kernels/MtlEngine.X</c> in <c>X/</c> (Cli, Cluster, Datasets, Plots,
/// Kernels). A test's namespace is <c>MtlEngine.Tests</c> followed by the namespace of the code it tests, so a folder
/// that is only a folder in the sources (Learn/Ridge, whose types are in MtlEngine.Learn) keeps its parent's namespace.
/// Every folder of this project must correspond to a source folder, except the few in <see cref="Exceptions"/>.
/// </summary>
public sealed class TestLayoutTests
{
    /// <summary>Top-level folders that mirror no single source folder, each with its reason.</summary>
    private static readonly Dictionary<string, string> Exceptions = new(StringComparer.Ordinal)
    {
        ["Architecture"] = "rules over the whole engine (layer dependencies, this layout)",
        ["Fixtures"] = "the reference data and the scripts that write them, one folder per area (Fixtures/<Area>/)",
        ["Fuzz"] = "runs the harness of tests/MtlEngine.Fuzzing against every file reader",
        ["Gpu"] = "the tests that need a device, across layers (kernels/MtlEngine.Kernels.Gpu and the tensors, layers and training routed onto it)",
    };

    [Fact]
    public void EveryTestFolderMirrorsASourceFolder()
    {
        string root = RepositoryRoot();
        string tests = Path.Combine(root, "tests", "MtlEngine.Tests");
        var orphans = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories(tests, "*", SearchOption.AllDirectories))
        {
            var parts = Path.GetRelativePath(tests, directory).Split(Path.DirectorySeparatorChar);
            if (parts[0] is "bin" or "obj" || Exceptions.ContainsKey(parts[0])) continue;
            if (!Directory.Exists(SourceFolder(root, parts))) orphans.Add(string.Join('/', parts));
        }
        Assert.True(orphans.Count == 0,
            "Test folders with no source folder of the same path (move the tests to the folder of the code they test, or list the folder in Exceptions with the reason):\n"
            + string.Join("\n", orphans));
    }

    [Fact]
    public void TheRuleRejectsAFolderWithNoSource()
    {
        string root = RepositoryRoot();
        Assert.True(Directory.Exists(SourceFolder(root, ["Learn", "Ridge"])));
        Assert.True(Directory.Exists(SourceFolder(root, ["Kernels", "Gemm"])));
        Assert.True(Directory.Exists(SourceFolder(root, ["Cli", "Fit"])));
        Assert.False(Directory.Exists(SourceFolder(root, ["Gemm"])));
        Assert.False(Directory.Exists(SourceFolder(root, ["Nn", "Explain"])));
    }

    /// <summary>
    /// The source folder a test folder mirrors: <c>X/rest</c> is <c>src/MtlEngine.X/rest</c> or
    /// <c>kernels/MtlEngine.X/rest</c> where that project exists, else <c>src/MtlEngine/X/rest</c>.
    /// </summary>
    private static string SourceFolder(string root, string[] parts)
    {
        var rest = parts.Skip(1).ToArray();
        foreach (var tree in new[] { "src", "kernels" })
        {
            string project = Path.Combine(root, tree, "MtlEngine." + parts[0]);
            if (Directory.Exists(project)) return Path.Combine([project, .. rest]);
        }
        return Path.Combine([root, "src", "MtlEngine", .. parts]);
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MtlEngine.sln"))) return d.FullName;
        throw new InvalidOperationException($"No MtlEngine.sln above {AppContext.BaseDirectory}: the layout test reads the source tree, so run it from a checkout.");
    }
}
