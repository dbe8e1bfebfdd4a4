using MtlEngine.Data;

namespace MtlEngine.Tests.Cli;

/// <summary>The estimator-independent contract of <c>mtl fit</c> and <c>mtl predict</c>.</summary>
public class FitPredictCliTests
{
    [Fact]
    public void FitWithoutAnEstimatorIsAUserError() => CliRunner.AssertUserError("fit");

    [Fact]
    public void PredictWithAMissingModelNamesTheFile()
    {
        var line = CliRunner.AssertUserError("predict", "--model", "missing.safetensors", "--x", "x.npy", "--out", "p.npy");
        Assert.Contains("missing.safetensors", line);
    }

    [Fact]
    public void PredictWithAFileThatIsNotAModelIsAUserError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mtl-notmodel-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Write(path, [NdArray.Create("w", new double[] { 1 }, 1)]);
            var line = CliRunner.AssertUserError("predict", "--model", path, "--x", "x.npy", "--out", "p.npy");
            Assert.Contains("not an MtlEngine model file", line);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
