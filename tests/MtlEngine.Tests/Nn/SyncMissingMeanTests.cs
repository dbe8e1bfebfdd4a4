using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

/// <summary>
/// The running-mean fill of a missing input (<c>missing_mean</c>, <see cref="MissingFill.Mean"/>) in data-parallel training:
/// the slices all-gather their counts and sums of present representations, so the buffer is updated with the whole batch's
/// mean on every slice and comes back to the coordinator; the sliced run equals the local run to double rounding, buffer
/// included, also when a slice holds no present row of the input.
/// </summary>
public sealed class SyncMissingMeanTests
{
    /// <summary>Two dense inputs (a: 3 wide; b: 2 wide, missing on rows 3 to 7 of every 10, filled by its running mean), one task, HPS.</summary>
    internal static HardParameterSharing<T> Model<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = new MlpEncoder<T>(3, [4], new TensorRandom(1));
        var b = new MlpEncoder<T>(2, [3], new TensorRandom(2));
        b.UseMissingFill(MissingFill.Mean);
        return new HardParameterSharing<T>([new("a", a), new("b", b)], [5], [new TaskSpec("t", TaskKind.Classification, 3)], new TensorRandom(3));
    }

    private static double[] State(HardParameterSharing<double> model) =>
        [.. DataParallel.GetParameters(model), .. model.NamedBuffers().SelectMany(b => b.Value.Contiguous().ToArray())];

    private static double[] MissingMean(HardParameterSharing<double> model) =>
        model.NamedBuffers().Single(b => b.Key.EndsWith("missing_mean", StringComparison.Ordinal)).Value.Contiguous().ToArray();

    private static HardParameterSharing<double> Train(Func<HardParameterSharing<double>, MultiTaskDataset<double>, IStepGradients<double>?> gradients, string weighting)
    {
        var data = SyncAlignmentTests.Data<double>();
        var model = Model<double>();
        using var optimizer = new Adam<double>(model.Parameters(), 0.01);
        var strategy = TrainingStrategies.Create<double>(weighting, model.Tasks);
        new Trainer<double>(model, optimizer, new TrainingOptions(Epochs: 2, BatchSize: 10, Seed: 5), strategy) { StepGradients = gradients(model, data) }
            .Fit(data, Enumerable.Range(0, 23).ToArray());
        return model;
    }

    [Theory]
    [InlineData(3, "fixed", false)]
    [InlineData(4, "uw", true)]
    public void SlicedTrainingWithTheMeanFillEqualsTheLocalRunBufferIncluded(int slices, string weighting, bool perTask)
    {
        Assert.True(DataParallel.IsSynchronized(Model<double>()));
        var local = Train((_, _) => null, weighting);
        var sliced = Train((model, data) => new SlicedStepGradients<double>(model, data, Model<double>, slices, [1.0], perTask), weighting);
        var (a, b) = (State(local), State(sliced));
        double difference = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(difference <= 1e-10, $"{slices} slices, {weighting}: the parameters and missing_mean differ from the local run's by {difference:E2}");
        // The buffer moved (so a coordinator left at zeros, or a slice's own mean, would show).
        Assert.True(MissingMean(sliced).Max(Math.Abs) > 1e-3);
    }

    [Fact]
    public void AnEncoderWithAnotherFillNeedsNoCollective()
    {
        var model = SyncAlignmentTests.Model<double>(0); // the joint alignment is synchronized; its encoders fill with zeros
        Assert.All(model.NamedModules().Select(m => m.Value).OfType<InputEncoder<double>>(), e => Assert.False(((ISynchronizedModule)e).NeedsCollective));
        var plain = new MlpEncoder<double>(2, [3], new TensorRandom(2));
        Assert.False(DataParallel.IsSynchronized(plain));
        Assert.True(DataParallel.IsSynchronized(plain.UseMissingFill(MissingFill.Mean)));
    }
}
