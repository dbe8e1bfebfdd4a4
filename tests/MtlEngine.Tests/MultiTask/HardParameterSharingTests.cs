using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiTask;

public class HardParameterSharingTests
{
    private static HardParameterSharing<double> Model() => new(
        [new("stats", new MlpEncoder<double>(3, [4], new TensorRandom(1))), new("tokens", new EmbeddingBagEncoder<double>(6, 2, new TensorRandom(2)))],
        [5], [new TaskSpec("a", TaskKind.Classification, 3), new TaskSpec("b", TaskKind.Regression, 1)], new TensorRandom(3));

    private static Batch<double> Batch(double[] stats, double[] present) => new(new Dictionary<string, BatchInput<double>>
    {
        ["stats"] = BatchInput<double>.Dense(MtlTensor.FromArray(stats, 2, 3), MtlTensor.FromArray(present, 2)),
        ["tokens"] = BatchInput<double>.Index(MtlTensor.FromArray(new[] { 1, 4, -1, 5, -1, -1 }, 2, 3)),
    });

    [Fact]
    public void EncodersAndTrunkAreSharedAndEachHeadBelongsToItsTask()
    {
        var model = Model();
        Assert.Equal(["encoders.stats.layers.0.weight", "encoders.stats.layers.0.bias", "encoders.tokens.bag.weight", "trunk.0.weight", "trunk.0.bias"],
            model.SharedParameters().Select(p => p.Key).ToArray());
        Assert.Equal(["heads.b.weight", "heads.b.bias"], model.TaskParameters("b").Select(p => p.Key).ToArray());
        Assert.Equal(["stats", "tokens"], model.InputNames);
        Assert.Equal(5, model.RepresentationWidth);
    }

    [Fact]
    public void AMissingInputDoesNotLeakIntoTheOutputs()
    {
        var model = Model();
        var first = model.Forward(Batch([1, 2, 3, 4, 5, 6], [1, 0]));
        var changed = model.Forward(Batch([1, 2, 3, -40, 50, 1e6], [1, 0])); // only the missing sample's values differ
        Assert.Equal(first["a"].ToArray(), changed["a"].ToArray());
        Assert.Equal(first["b"].ToArray(), changed["b"].ToArray());
        Assert.Same(first.Representations["a"], first.Representations["b"]); // every task reads the one shared representation
    }
}
