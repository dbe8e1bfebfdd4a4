using System.Text.Json.Nodes;
using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiTask;

/// <summary>
/// MMoE, DSelect-k, cross-stitch and PLE against the same networks written in PyTorch from the papers' formulas
/// (Fixtures/MultiTask/make_architecture_fixtures.py): closed-form input and weights, set by parameter name.
/// </summary>
public class ArchitectureTorchTests
{
    private static readonly JsonNode s_fixtures = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "MultiTask", "architecture_fixtures.json")))!;
    private static readonly TaskSpec[] s_tasks = [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 2)];

    private static KeyValuePair<string, InputEncoder<double>>[] Dense() => [new("x", new IdentityEncoder<double>(3))];

    /// <summary>Sets every parameter p of <paramref name="model"/> to p[i] = 0.5 sin(0.37 i + b), b = 0.1·(Σ of the name's character codes mod 97).</summary>
    private static void SetClosedFormWeights(Module<double> model)
    {
        using (Grad.NoGrad())
            foreach (var (name, p) in model.NamedParameters())
            {
                double b = 0.1 * (name.Sum(c => (int)c) % 97);
                var span = p.AsSpan();
                for (int i = 0; i < span.Length; i++) span[i] = 0.5 * Math.Sin(0.37 * i + b);
            }
    }

    private static ModelOutput<double> Run(MultiTaskModel<double> model)
    {
        SetClosedFormWeights(model);
        var x = s_fixtures["x"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(Math.Sin(0.1), x[0], 15);
        return model.Forward(Batch<double>.Of("x", MtlTensor.FromArray(x, 4, 3)));
    }

    private static void AssertMatches(string fixture, ModelOutput<double> output)
    {
        foreach (var task in s_tasks)
        {
            var expected = s_fixtures[fixture]![task.Name]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var actual = output[task.Name].ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12, $"{fixture}.{task.Name}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    [Fact]
    public void MmoeMatchesPyTorch() =>
        AssertMatches("mmoe", Run(new MultiGateMixtureOfExperts<double>(Dense(), s_tasks, 3, [5], new TensorRandom(1), towerHidden: [2])));

    [Fact]
    public void DSelectKAndItsRegularizationMatchPyTorch()
    {
        var model = new DSelectK<double>(Dense(), s_tasks, experts: 3, k: 2, expertHidden: [4], new TensorRandom(1), gamma: 2, entropyRegularization: 0.1);
        AssertMatches("dselect_k", Run(model));
        var x = MtlTensor.FromArray(s_fixtures["x"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), 4, 3);
        var regularization = model.ForwardWithRegularization(Batch<double>.Of("x", x)).Regularization.Item();
        Assert.Equal(s_fixtures["dselect_k"]!["regularization"]!.GetValue<double>(), regularization, 10);
    }

    [Fact]
    public void CrossStitchMatchesPyTorch() =>
        AssertMatches("cross_stitch", Run(new CrossStitch<double>(Dense(), s_tasks, [4, 3], new TensorRandom(1), towerHidden: [2])));

    [Fact]
    public void PleMatchesPyTorch() =>
        AssertMatches("ple", Run(new ProgressiveLayeredExtraction<double>(Dense(), s_tasks, levels: 2, sharedExperts: 1, taskExperts: 2, expertHidden: [4], new TensorRandom(1))));
}
