using MtlEngine.Cli.Demo;

namespace MtlEngine.Tests.Cli;

/// <summary>The demo's architecture × strategy table on digits (a reduced grid, to stay fast).</summary>
public class StrategyTableSectionTests
{
    [Fact]
    public void TheTableHasTheSingleTaskRowThenOneRowPerPairWithItsDeltaM()
    {
        var rows = StrategyTableSection.Experiment(["hps"], ["ew", "pcgrad"]);
        Assert.Equal(["single-task", "hps", "hps"], rows.Select(r => r.Architecture).ToArray());
        Assert.Equal(["—", "ew", "pcgrad"], rows.Select(r => r.Strategy).ToArray());
        Assert.True(double.IsNaN(rows[0].DeltaMPercent));
        var single = rows[0].Accuracy;
        Assert.All(single, a => Assert.InRange(a, 0.5, 1.0)); // learned something: the digit's chance is 10%, the binary tasks' 50%
        foreach (var row in rows.Skip(1))
        {
            Assert.Equal(3, row.Accuracy.Count);
            double expected = 100.0 / 3 * Enumerable.Range(0, 3).Sum(t => (row.Accuracy[t] - single[t]) / single[t]);
            Assert.Equal(expected, row.DeltaMPercent, 10);
        }
        Assert.NotEqual(rows[1].Accuracy, rows[2].Accuracy); // the strategies train differently
    }
}
