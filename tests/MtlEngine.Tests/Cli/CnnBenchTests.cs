using System.Globalization;
using MtlEngine.Cli.Bench;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl bench cnn</c> with tiny sizes: the three key=value lines and a finite loss.</summary>
public class CnnBenchTests
{
    [Fact]
    public void PrintsOneLinePerWorkloadWithAFiniteLoss()
    {
        var output = new StringWriter();
        Assert.Equal(0, CnnBench.Run(2, "cpu", output, new CnnBench.Workload(ConvBatch: 2, CnnBatch: 4, Steps: 2, WarmupSteps: 1)));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^name=conv2d_a threads=2 us_fwd_bwd=[0-9.]+\r?$", lines[0]);
        Assert.Matches(@"^name=conv2d_b threads=2 us_fwd_bwd=[0-9.]+\r?$", lines[1]);
        var match = System.Text.RegularExpressions.Regex.Match(lines[2],
            @"^name=cnn_step threads=2 steps=2 batch=4 us_per_step=[0-9.]+ final_loss=([-0-9.eE+naNIfity]+) alloc_bytes_per_step=[0-9]+\r?$");
        Assert.True(match.Success, lines[2]);
        double loss = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(loss) && loss > 0, lines[2]);
    }

    [Fact]
    public void AnUnavailableCudaDeviceIsAUserError() =>
        Assert.Throws<ArgumentException>(() => CnnBench.Run(1, "cuda", TextWriter.Null, new CnnBench.Workload(1, 1, 1, 1)));
}
