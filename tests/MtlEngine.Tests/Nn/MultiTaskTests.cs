using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

public class MultiTaskTests
{
    /// <summary>Two related tasks on the same latent z = A·x: the class of argmax(z) and the value z₀ − z₁, with some labels missing.</summary>
    private static MultiTaskData<float> Synthetic(int n, ulong seed)
    {
        var random = new TensorRandom(seed);
        var x = random.Normal([n, 6], 0f, 1f).ToArray();
        var a = random.Normal([3, 6], 0f, 1f).ToArray();
        var labels = new int[n];
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            var z = new float[3];
            for (int c = 0; c < 3; c++)
                for (int k = 0; k < 6; k++) z[c] += a[c * 6 + k] * x[i * 6 + k];
            labels[i] = i % 10 == 3 ? -1 : Array.IndexOf(z, z.Max());
            values[i] = i % 10 == 7 ? float.NaN : z[0] - z[1];
        }
        return new MultiTaskData<float>(x, n, 6, [new TaskTargets<float>(Labels: labels), new TaskTargets<float>(Values: values)]);
    }

    private static readonly TaskSpec[] Tasks = [new("class", TaskKind.Classification, 3), new("value", TaskKind.Regression, 1, Weight: 0.5)];

    [Fact]
    public void LearnsTwoRelatedTasks()
    {
        var data = Synthetic(1200, 1);
        var net = new MultiTaskNet<float>(6, [32, 32], Tasks, new TensorRandom(2));
        var before = MultiTaskTrainer.Evaluate(net, data);
        var reports = new List<EpochReport>();
        var result = MultiTaskTrainer.Fit(net, data, new TrainerOptions(Epochs: 25, BatchSize: 32, LearningRate: 3e-3, Seed: 3), new SyncProgress<EpochReport>(reports.Add));
        Assert.Equal(result.History.Count, reports.Count);
        var after = MultiTaskTrainer.Evaluate(net, data);
        Assert.True(after.Loss < before.Loss / 5, $"loss {before.Loss} → {after.Loss}");
        Assert.True(after.Metrics[0].Value > 0.9, $"accuracy {after.Metrics[0].Value}");
        Assert.True(after.Metrics[1].Value < 0.5 * before.Metrics[1].Value, $"rmse {before.Metrics[1].Value} → {after.Metrics[1].Value}");
        Assert.False(net.Training);
    }

    [Fact]
    public void TrainingIsReproducibleFromTheSeed()
    {
        var data = Synthetic(200, 4);
        double[] Run()
        {
            var net = new MultiTaskNet<float>(6, [8], Tasks, new TensorRandom(5));
            return MultiTaskTrainer.Fit(net, data, new TrainerOptions(Epochs: 3, Seed: 6)).History.Select(h => h.ValidationLoss).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestEpoch()
    {
        var data = Synthetic(200, 7);
        var net = new MultiTaskNet<float>(6, [16], Tasks, new TensorRandom(8));
        // A huge learning rate makes the validation loss jump around, so patience 1 stops early.
        var result = MultiTaskTrainer.Fit(net, data, new TrainerOptions(Epochs: 40, LearningRate: 0.5, Patience: 1, Seed: 9));
        Assert.True(result.StoppedEarly);
        double best = result.History.Min(h => h.ValidationLoss);
        Assert.Equal(best, result.History[result.BestEpoch - 1].ValidationLoss);
        var validation = new TensorRandom(9).Permutation(200)[..20];
        Assert.Equal(best, MultiTaskTrainer.Evaluate(net, data, validation).Loss, 5);
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        var data = Synthetic(100, 10);
        var net = new MultiTaskNet<float>(6, [8], Tasks, new TensorRandom(11));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => MultiTaskTrainer.Fit(net, data, cancellationToken: cts.Token));
    }

    [Fact]
    public void PerTaskGradientsOfTheSharedRepresentationFromOneForwardPass()
    {
        var data = Synthetic(16, 12);
        var net = new MultiTaskNet<double>(6, [5], Tasks, new TensorRandom(13));
        var x = MtlTensor.FromArray(data.Features.Select(v => (double)v).ToArray(), 16, 6);
        var h = net.Forward(x);
        var outputs = net.ForwardHeads(h);
        var labels = data.Targets[0].Labels!;
        var l1 = Losses.CrossEntropy(outputs[0], labels);
        var l2 = Losses.MeanSquaredError(outputs[1], MtlTensor.FromArray(data.Targets[1].Values!.Select(v => float.IsNaN(v) ? 0.0 : v).ToArray(), 16, 1));
        var trunkWeight = net.Trunk.Parameters()[0];
        var grads = Grad.PerTask([l1, l2], [h, trunkWeight], retainGraph: true);
        Assert.Equal(h.Shape.ToArray(), grads[0][0]!.Shape.ToArray());
        // The chain rule through the trunk: ∂L/∂W₀ computed directly equals the backward of ⟨∂L/∂h, h⟩ from the same graph.
        var viaH = Grad.Of(h, [trunkWeight], gradient: grads[1][0], retainGraph: true)[0]!;
        var direct = grads[1][1]!.ToArray();
        var chained = viaH.ToArray();
        for (int i = 0; i < direct.Length; i++) Assert.Equal(direct[i], chained[i], 12);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
