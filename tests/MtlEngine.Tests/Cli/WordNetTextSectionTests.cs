using MtlEngine.Cli.Demo;

namespace MtlEngine.Tests.Cli;

public class WordNetTextSectionTests
{
    [Fact]
    public void BothTasksBeatTheMajorityClassOnTheSharedRepresentation()
    {
        var rows = WordNetTextSection.Experiment(samples: 3000);
        Assert.Equal(["part of speech", "supersense"], rows.Select(r => r.Task));
        Assert.Equal([4, 45], rows.Select(r => r.Classes));
        foreach (var row in rows)
        {
            Assert.True(row.Accuracy > row.Baseline + 0.05, $"{row.Task}: accuracy {row.Accuracy} vs majority {row.Baseline}");
            Assert.InRange(row.MacroF1, 0.0, 1.0);
        }
    }
}
