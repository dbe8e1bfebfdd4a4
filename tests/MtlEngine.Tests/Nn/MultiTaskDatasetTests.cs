using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Nn;

public class MultiTaskDatasetTests
{
    private static MultiTaskDataset<float> Data(int n) =>
        new MultiTaskDataset<float>(n)
            .AddInput("x", Enumerable.Range(0, n * 5).Select(i => MathF.Sin(0.37f * i)).ToArray(), [n, 5])
            .AddLabels("a", Enumerable.Range(0, n).Select(i => i % 3).ToArray());

    [Fact]
    public void ABatchGatheredInAStepHasTheBatchsValuesReusesItsBufferAndExpiresWithTheStep()
    {
        var data = Data(9);
        int[] first = [7, 0, 3, 3], second = [1, 8, 2, 5];
        var arena = new TensorArena();
        MtlTensor<float> kept;
        float[] buffer;
        using (arena.Step())
        {
            kept = data.BatchInStep(first).Input("x").RequireValues("x");
            Assert.Equal(data.Batch(first).Input("x").RequireValues("x").ToArray(), kept.ToArray()); // the textbook gather, bit for bit
            buffer = kept.CpuStorage.Data;
        }
        using (arena.Step())
        {
            var next = data.BatchInStep(second).Input("x").RequireValues("x");
            Assert.Same(buffer, next.CpuStorage.Data); // the second step's batch takes the first one's buffer
            Assert.Equal(data.Batch(second).Input("x").RequireValues("x").ToArray(), next.ToArray());
            Assert.Throws<ArenaReuseException>(() => kept.ToArray()); // the first batch is gone, loudly
        }
        Assert.Equal(data.Batch(first).Input("x").RequireValues("x").ToArray(), data.BatchInStep(first).Input("x").RequireValues("x").ToArray()); // no step: a new array
        Assert.Throws<ArgumentOutOfRangeException>(() => data.BatchInStep([9]));
    }
}
