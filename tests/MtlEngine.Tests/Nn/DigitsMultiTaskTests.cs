using MtlEngine.Cli.Demo;

namespace MtlEngine.Tests.Nn;

public class DigitsMultiTaskTests
{
    [Fact]
    public void MultiTaskNetworkLearnsTheThreeDigitTasksInTwoEpochs()
    {
        // The mechanism: one shared trunk, a head per task, trained and scored per task. The target (digit ≥ 97%,
        // every task > 95% after up to 80 epochs, about 20 s) is checked by benchmarks/training_quality.sh.
        var rows = MultiTaskDigitsSection.Experiment(epochs: 2, singleTask: false);
        Assert.Equal(["digit", "parity", "at least 5"], rows.Select(r => r.Task).ToArray());
        Assert.True(rows[0].MultiTask > 0.5, $"digit accuracy {rows[0].MultiTask:P2} (chance: 10%)");
        Assert.All(rows.Skip(1), r => Assert.True(r.MultiTask > 0.6, $"{r.Task}: {r.MultiTask:P2} (chance: about 50%)"));
        Assert.All(rows, r => Assert.True(double.IsNaN(r.SingleTask)));
    }
}
