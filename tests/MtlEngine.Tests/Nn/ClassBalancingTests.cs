using System.Text.Json;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

/// <summary>
/// Class imbalance in training: balanced class weights against scikit-learn's compute_class_weight("balanced"), the
/// weighted cross-entropy of a task against PyTorch's F.cross_entropy(weight=...) with missing labels
/// (Fixtures/Nn/make_class_weight_fixtures.py), and the statistics of weighted and class-balanced sampling.
/// </summary>
public class ClassBalancingTests
{
    private static readonly JsonElement Fixture = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Nn", "class_weight_fixtures.json"))).RootElement;

    private static int[] Labels => NnFixtures.Ints(Fixture.GetProperty("labels"));

    [Fact]
    public void BalancedClassWeightsMatchScikitLearnAndGiveAnAbsentClassOne()
    {
        var weights = ClassBalancing.BalancedClassWeights(Labels, 5);
        NnFixtures.AssertClose(NnFixtures.Doubles(Fixture.GetProperty("balanced_weights")), weights, 1e-15, "class weights");
        Assert.Throws<ArgumentException>(() => ClassBalancing.BalancedClassWeights(Labels, 4)); // label 4 is outside 4 classes
        Assert.Throws<ArgumentException>(() => ClassBalancing.BalancedClassWeights([-1, -1], 2));
    }

    [Fact]
    public void WeightedTaskLossMatchesPyTorchsWeightedCrossEntropy()
    {
        int n = Labels.Length;
        var values = new double[n * 5];
        for (int i = 0; i < values.Length; i++) values[i] = Math.Sin(0.7 * i + 0.1) * 2;
        var logits = MtlTensor.FromArray(values, n, 5);
        logits.RequiresGrad = true;
        var task = new TaskSpec("t", TaskKind.Classification, 5) { ClassWeights = ClassBalancing.BalancedClassWeights(Labels, 5) };
        var loss = TaskObjectives.Loss(task, logits, BatchTarget<double>.FromLabels(Labels));
        loss.Backward();
        Assert.Equal(Fixture.GetProperty("loss").GetDouble(), loss.Item(), 13);
        NnFixtures.AssertClose(NnFixtures.Doubles(Fixture.GetProperty("grad")), logits.Grad!, 1e-13, "dL/dz");
        // Without weights the loss differs: the weights matter.
        Assert.NotEqual(loss.Item(), TaskObjectives.Loss(task with { ClassWeights = null }, logits.Detach(), BatchTarget<double>.FromLabels(Labels)).Item(), 6);
    }

    [Fact]
    public void WeightedDrawsFollowTheWeightsAndNeverPickAZeroWeight()
    {
        double[] weights = [1, 3, 0, 6, 0];
        const int count = 40000;
        var drawn = ClassBalancing.Draw(new TensorRandom(3), weights, count);
        var frequency = new double[weights.Length];
        foreach (int d in drawn) frequency[d] += 1.0 / count;
        Assert.Equal(0, frequency[2]);
        Assert.Equal(0, frequency[4]);
        for (int i = 0; i < weights.Length; i++)
            Assert.True(Math.Abs(frequency[i] - weights[i] / 10) < 0.01, $"position {i}: drawn {frequency[i]:0.####}, expected {weights[i] / 10}");
        Assert.Equal(drawn, ClassBalancing.Draw(new TensorRandom(3), weights, count)); // seeded
        Assert.Throws<ArgumentException>(() => ClassBalancing.Draw(new TensorRandom(3), [0.0, 0.0], 3));
        Assert.Throws<ArgumentException>(() => ClassBalancing.Draw(new TensorRandom(3), [1.0, -1.0], 3));
    }

    [Fact]
    public void BalancedSampleWeightsDrawEveryClassEquallyOften()
    {
        // 90 rows of class 0, 9 of class 1, 1 of class 2.
        var labels = Enumerable.Range(0, 100).Select(i => i < 90 ? 0 : i < 99 ? 1 : 2).ToArray();
        var weights = ClassBalancing.BalancedSampleWeights(labels);
        Assert.Equal(1.0 / 90, weights[0], 15);
        Assert.Equal(1.0, weights[99]);
        var drawn = ClassBalancing.Draw(new TensorRandom(8), weights, 30000);
        var share = new double[3];
        foreach (int d in drawn) share[labels[d]] += 1.0 / drawn.Length;
        Assert.All(share, s => Assert.True(Math.Abs(s - 1.0 / 3) < 0.015, $"class share {s:0.####}"));
    }

    [Fact]
    public void TrainerRefusesSampleWeightsOfTheWrongLength()
    {
        var data = new MultiTaskDataset<double>(4).AddInput("x", new double[] { 0, 1, 2, 3 }, [4, 1]).AddLabels("t", [0, 1, 0, 1]);
        var model = new MtlEngine.MultiTask.HardParameterSharing<double>([new("x", new MtlEngine.MultiModal.IdentityEncoder<double>(1))], [2], [new TaskSpec("t", TaskKind.Classification, 2)], new TensorRandom(1));
        var trainer = new Trainer<double>(model, new Sgd<double>(model.Parameters(), 0.1), new TrainingOptions(Epochs: 1, BatchSize: 2) { SampleWeights = [1.0, 2.0] });
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, [0, 1, 2], []));
        Assert.Contains("2 weights for 3 training rows", e.Message);
    }
}
