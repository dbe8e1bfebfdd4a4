using MtlEngine.Cli.Bench;

namespace MtlEngine.Tests.Nn;

public class MlpBenchTests
{
    [Fact]
    public void PrintsTheIssuesLine()
    {
        var output = new StringWriter();
        Assert.Equal(0, MlpBench.Run(Environment.ProcessorCount, 2, "cpu", output));
        Assert.Matches(@"^name=mlp_multitask steps=2 batch=256 us_per_step=[0-9.]+ final_loss=[0-9.]+ alloc_bytes_per_step=[0-9]+\r?\n$", output.ToString());
    }

    [Fact]
    public void RunsOnOneThread()
    {
        var output = new StringWriter();
        Assert.Equal(0, MlpBench.Run(1, 1, "cpu", output));
        Assert.StartsWith("name=mlp_multitask steps=1 ", output.ToString());
    }

    [Fact]
    public void RejectsAnotherDevice() =>
        Assert.Throws<ArgumentException>(() => MlpBench.Run(Environment.ProcessorCount, 2, "cuda", TextWriter.Null));
}
