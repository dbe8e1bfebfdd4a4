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
    public void TheDemoListsTheSection()
    {
        // Running the whole section (six models, 12 epochs, about 27 s) and checking its heading and rows is
        // benchmarks/training_quality.sh's job.
        var section = Assert.Single(DemoCommand.Sections, s => s.Name == "mm-fusion");
        Assert.Same(FusionTableSection.Section, section);
        Assert.StartsWith("multi-modal fusion on emoji", section.Title);
        Assert.Equal(6, FusionTableSection.Models.Length);
    }
}
