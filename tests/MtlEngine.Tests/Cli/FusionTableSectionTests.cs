using MtlEngine.Cli.Demo;

namespace MtlEngine.Tests.Cli;

/// <summary>The demo's fusion table on emoji (a reduced set of models and epochs, to stay fast), and the section as the demo runs it.</summary>
public class FusionTableSectionTests
{
    [Fact]
    public void AModalityAloneAndAFusionLearnAndOnlyTheFusionIsScoredWithAModalityMissing()
    {
        var rows = FusionTableSection.Experiment(["name only", "concat + md"], epochs: 3);
        Assert.Equal(["name only", "concat + md"], rows.Select(r => r.Model).ToArray());
        foreach (var row in rows)
        {
            Assert.InRange(row.Category, 0.2, 1.0); // learned something: 9 categories, the largest about 20%
            Assert.InRange(row.Subcategory, 0.0, 1.0);
        }
        Assert.True(double.IsNaN(rows[0].PictureMissing) && double.IsNaN(rows[0].NameMissing));
        var fused = rows[1];
        Assert.InRange(fused.PictureMissing, 0.0, 1.0);
        Assert.InRange(fused.NameMissing, 0.0, 1.0);
        Assert.NotEqual(fused.PictureMissing, fused.NameMissing);
    }

    [Fact]
    public void TheDemoRunsTheSection()
    {
        var output = new StringWriter();
        Assert.Equal(0, DemoCommand.Run(["mm-fusion"], output));
        string text = output.ToString();
        Assert.Contains("== multi-modal fusion on emoji", text);
        foreach (string model in FusionTableSection.Models) Assert.Contains(model, text);
        Assert.Contains("demo done: 1 section", text);
    }
}
