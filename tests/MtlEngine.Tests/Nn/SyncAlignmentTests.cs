using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

/// <summary>
/// The joint alignment's InfoNCE in data-parallel training: the slices all-gather their projected rows, so each contrasts
/// every pair of the whole batch and keeps its share; the sliced run equals the local run to double rounding, with an input
/// missing on some rows (a slice may hold no pair at all).
/// </summary>
public sealed class SyncAlignmentTests
{
    /// <summary>Two dense inputs (a: 3 wide; b: 2 wide, missing on rows 3 to 7 of every 10), one task, HPS and a joint alignment.</summary>
    private static HardParameterSharing<double> Model(double weight) => Model<double>(weight);

    /// <inheritdoc cref="Model(double)"/>
    internal static HardParameterSharing<T> Model<T>(double weight) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = new MtlEngine.MultiModal.MlpEncoder<T>(3, [4], new TensorRandom(1));
        var b = new MtlEngine.MultiModal.MlpEncoder<T>(2, [3], new TensorRandom(2));
        var model = new HardParameterSharing<T>([new("a", a), new("b", b)], [5], [new TaskSpec("t", TaskKind.Classification, 3)], new TensorRandom(3));
        model.UseJointAlignment("a", "b", 2, weight, new TensorRandom(4));
        return model;
    }

    private static MultiTaskDataset<double> Data() => Data<double>();

    /// <summary>23 rows in closed form; input b missing on rows 3 to 7 of every 10.</summary>
    internal static MultiTaskDataset<T> Data<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int n = 23;
        var a = Enumerable.Range(0, 3 * n).Select(i => Math.Sin(0.53 * i) + 0.3 * Math.Cos(1.7 * i)).ToArray();
        var b = Enumerable.Range(0, 2 * n).Select(i => Math.Cos(0.41 * i) - 0.2 * Math.Sin(2.3 * i)).ToArray();
        var present = Enumerable.Range(0, n).Select(i => i % 10 is < 3 or > 7).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => (i * 5) % 3).ToArray();
        return new MultiTaskDataset<T>(n).AddInput("a", a.Select(T.CreateChecked).ToArray(), [n, 3])
            .AddInput("b", b.Select(T.CreateChecked).ToArray(), [n, 2], present).AddLabels("t", labels);
    }

    private static (HardParameterSharing<double> Model, TrainingResult Result) Train(double weight, Func<HardParameterSharing<double>, MultiTaskDataset<double>, IStepGradients<double>?> gradients,
        string weighting = "fixed")
    {
        var data = Data();
        var model = Model(weight);
        using var optimizer = new Adam<double>(model.Parameters(), 0.01);
        var strategy = TrainingStrategies.Create<double>(weighting, model.Tasks);
        var trainer = new Trainer<double>(model, optimizer, new TrainingOptions(Epochs: 2, BatchSize: 10, Seed: 5), strategy) { StepGradients = gradients(model, data) };
        return (model, trainer.Fit(data, Enumerable.Range(0, 23).ToArray()));
    }

    private static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Theory]
    [InlineData(3, "fixed", false)]
    [InlineData(2, "uw", true)]
    public void SlicedTrainingWithTheJointAlignmentEqualsTheLocalRun(int slices, string weighting, bool perTask)
    {
        DataParallel.CheckReplicable(Model(0.5)); // synchronized: no longer refused
        var (local, localResult) = Train(0.5, (_, _) => null, weighting);
        var (sliced, slicedResult) = Train(0.5, (model, data) => new SlicedStepGradients<double>(model, data, () => Model(0.5), slices, [1.0], perTask), weighting);
        double difference = MaxDifference(DataParallel.GetParameters(local), DataParallel.GetParameters(sliced));
        Assert.True(difference <= 1e-10, $"{slices} slices, {weighting}: the parameters differ from the local run's by {difference:E2}");
        for (int e = 0; e < 2; e++) Assert.Equal(localResult.History[e].TrainLoss, slicedResult.History[e].TrainLoss, 1e-10);
        // The alignment moves the run (so a slice's share gone wrong shows): without it the parameters end elsewhere.
        var (plain, _) = Train(0, (_, _) => null, weighting);
        Assert.True(MaxDifference(DataParallel.GetParameters(local), DataParallel.GetParameters(plain)) > 1e-3);
    }

    /// <summary>
    /// A slice holding no pair still takes part (it sends no rows and keeps a share of 0): rows 3 to 5 lack input b, so the
    /// first of 2 slices has none, and the summed gradient is the one-slice step's. A slice without the collective refuses the
    /// whole-batch loss instead of contrasting its own pairs only.
    /// </summary>
    [Fact]
    public void ASliceWithoutPairsTakesPartAndAnUnsynchronizedSliceRefuses()
    {
        var data = Data();
        int[] rows = [3, 4, 5, 6, 7, 0, 1, 8, 9];
        var model = Model(0.5);
        var sliced = new SlicedStepGradients<double>(model, data, () => Model(0.5), 2, [1.0]);
        var losses = sliced.Compute(rows, 1, 0);
        var gradient = model.Parameters().SelectMany(p => p.Grad!.Contiguous().ToArray()).ToArray();

        var whole = new double[gradient.Length];
        using (var one = new InProcessCollective(1))
            Assert.Equal(losses[0], DataParallel.SliceGradients(Model(0.5), data, rows, [1.0], [1.0], whole, collective: one.For(0))[0], 1e-12);
        Assert.True(MaxDifference(gradient, whole) <= 1e-12, $"the sliced gradient differs from the whole batch's by {MaxDifference(gradient, whole):E2}");

        var error = Assert.Throws<ArgumentException>(() => DataParallel.SliceGradients(Model(0.5), data, rows[4..], [0.5], [1.0], whole));
        Assert.Contains("not a sum over the batch's rows", error.Message);
    }
}
