using MtlEngine.Autograd;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.MultiTask.WeightingFixture;

namespace MtlEngine.Tests.MultiTask.Weighting;

/// <summary>
/// <see cref="AggregationStrategy{T}"/>: with the sum of the task gradients as the aggregator it must reproduce equal
/// weighting's gradients exactly, on the shared parameters and on the shared representation (rep_grad); with the mean,
/// the shared parameters get EW/T and the heads still their own task's gradient; the conflict matrix is the cosines of
/// independently computed task gradients.
/// </summary>
public class WeightingAggregationTests
{
    private static Dictionary<string, double[]> Ew() =>
        Gradients(Model(), step => step.Backward(step.WeightedLoss(Tasks.ToDictionary(t => t.Name, _ => 1.0))));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheSumAggregatorGivesEqualWeightingsGradients(bool representation)
    {
        var strategy = new AggregationStrategy<double>(new SumAggregator(), Tasks, representation);
        AssertClose(Ew(), Gradients(Model(), strategy.Backward));
        Assert.Equal([1.0, 1.0, 1.0], strategy.LastWeights);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheMeanAggregatorScalesTheSharedGradientsAndLeavesEachHeadItsOwn(bool representation)
    {
        var model = Model();
        var ew = Ew();
        var actual = Gradients(model, new AggregationStrategy<double>(new MeanAggregator(), Tasks, representation).Backward);
        var expected = ew.ToDictionary(p => p.Key, p => model.RoleOf(p.Key).Role == ParameterRole.Shared ? p.Value.Select(v => v / 3).ToArray() : p.Value);
        AssertClose(expected, actual);
        Assert.Contains(actual, p => p.Key.StartsWith("heads.a", StringComparison.Ordinal) && p.Value.Any(v => v != 0));
    }

    [Fact]
    public void TheConflictMatrixIsTheCosinesOfTheTaskGradientsOnTheSharedParameters()
    {
        var model = Model();
        var step = Step(model);
        var shared = model.SharedParameters().Select(p => p.Value).ToList();
        var rows = step.TaskLosses.Values.Select(loss => Grad.Of(loss, shared, retainGraph: true).SelectMany(g => g!.ToArray()).ToArray()).ToArray();
        var strategy = new AggregationStrategy<double>(new SumAggregator(), Tasks);
        strategy.Backward(step);
        var conflict = strategy.GradientConflict!;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double dot = rows[i].Zip(rows[j], (a, b) => a * b).Sum();
                double cosine = dot / Math.Sqrt(rows[i].Sum(v => v * v) * rows[j].Sum(v => v * v));
                Assert.Equal(cosine, conflict[i][j], 12);
            }
        Assert.Equal(1.0, conflict[1][1], 12);
    }

    [Fact]
    public void TheAggregatorReadsTheTaskLossesAndTheJacobianHasOneColumnPerSharedValue()
    {
        var model = Model();
        var recorder = new RecordingAggregator();
        var strategy = new AggregationStrategy<double>(recorder, Tasks);
        strategy.Backward(Step(model));
        Assert.Equal(Losses(model), recorder.Losses!);
        Assert.Equal(3, recorder.Jacobian!.Rows);
        Assert.Equal(model.SharedParameters().Sum(p => p.Value.Length), recorder.Jacobian.Columns);

        var onRepresentation = new RecordingAggregator();
        new AggregationStrategy<double>(onRepresentation, Tasks, representationGradients: true).Backward(Step(model));
        Assert.Equal(7 * 5, onRepresentation.Jacobian!.Columns); // n samples × the representation's width, per sample
    }

    [Fact]
    public void FullImtlWithTheSumAggregatorStartsAsEqualWeighting()
    {
        // IMTL-L's scales start at e⁰ = 1, so the aggregated gradients of the scaled losses are EW's on the first step.
        var strategy = new ImpartialLossWeighting<double>(Tasks, 0.1, new AggregationStrategy<double>(new SumAggregator(), Tasks));
        Assert.Equal("imtl", strategy.Name);
        AssertClose(Ew(), Gradients(Model(), strategy.Backward));
        Assert.NotNull(strategy.GradientConflict);
    }

    private sealed class RecordingAggregator : GradientAggregator
    {
        public DenseMatrix? Jacobian { get; private set; }
        public double[]? Losses { get; private set; }
        public override string Name => "recording";

        protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
        {
            Jacobian = jacobian.Clone();
            Losses = losses;
            return new AggregationResult(new double[jacobian.Columns], null);
        }
    }
}
