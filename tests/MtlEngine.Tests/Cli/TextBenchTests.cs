namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl bench text</c> on a few glosses: the two key=value lines.</summary>
public class TextBenchTests
{
    [Fact]
    public void Bench_text_prints_one_line_per_workload()
    {
        var (code, output, error) = CliRunner.Mtl("bench", "text", "--docs", "200");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("name=tfidf_wordnet docs=200 seconds=", lines[0]);
        Assert.StartsWith("name=tfidf_wordnet_bigrams docs=200 seconds=", lines[1]);
        Assert.Contains(" features=", lines[0]);
        Assert.EndsWith("threads=1", lines[1].TrimEnd());
    }
}
