using MtlEngine.Cli.Demo;

namespace MtlEngine.Tests.Cli;

public class WordNetTextSectionTests
{
    [Fact]
    public void BothTasksAreFittedAndScoredOnTheSharedRepresentation()
    {
        // The mechanism on a small sample; that both tasks beat the majority class by more than 0.05 (about 17 s on 3,000
        // glosses) is checked on the demo's 12,000 by benchmarks/training_quality.sh.
        var rows = WordNetTextSection.Experiment(samples: 400);
        Assert.Equal(["part of speech", "supersense"], rows.Select(r => r.Task));
        Assert.Equal([4, 45], rows.Select(r => r.Classes));
        foreach (var row in rows)
        {
            Assert.InRange(row.Accuracy, 0.0, 1.0);
            Assert.InRange(row.Baseline, 0.0, 1.0);
            Assert.InRange(row.MacroF1, 0.0, 1.0);
            Assert.True(row.Iterations > 0, $"{row.Task}: no L-BFGS iteration");
        }
        Assert.True(rows[0].Accuracy > rows[0].Baseline, $"part of speech: accuracy {rows[0].Accuracy} vs majority {rows[0].Baseline}");
    }
}
