using MtlEngine.Metrics;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Metrics;

/// <summary>Identities and edge cases of the metrics.</summary>
public class MetricsTests
{
    [Fact]
    public void LengthMismatchNamesBothLengths()
    {
        var e = Assert.Throws<MetricInputException>(() => ClassificationMetrics.Accuracy([0, 1, 1], [0, 1]));
        Assert.Contains("3", e.Message);
        Assert.Contains("2", e.Message);
        e = Assert.Throws<MetricInputException>(() => RocAuc.Binary([0, 1, 1, 0], [0.1, 0.2]));
        Assert.Contains("length 4", e.Message);
        Assert.Contains("length 2", e.Message);
        e = Assert.Throws<MetricInputException>(() => RegressionMetrics.MeanSquaredError([1.0, 2.0], [1.0, 2.0, 3.0]));
        Assert.Contains("length 2", e.Message);
        Assert.Contains("length 3", e.Message);
        e = Assert.Throws<MetricInputException>(() => LogLoss.Binary([0, 1, 1], [0.2, 0.9]));
        Assert.Contains("length 3", e.Message);
        Assert.Throws<MetricInputException>(() => LogLoss.Binary([1, 1], [0.2, 0.9]));
    }

    [Fact]
    public void LogLossClipsCertainWrongPredictionsToAFiniteValue()
    {
        double loss = LogLoss.Binary([0, 1], [1.0, 1.0]);
        Assert.True(double.IsFinite(loss));
        Assert.Equal(-Math.Log(LogLoss.Epsilon) / 2, loss, 6);
    }

    [Fact]
    public void MicroAveragesEqualAccuracyForSingleLabelMulticlass()
    {
        var rng = new Random(3);
        var yTrue = Enumerable.Range(0, 200).Select(_ => rng.Next(5)).ToArray();
        var yPred = yTrue.Select(y => rng.NextDouble() < 0.6 ? y : rng.Next(5)).ToArray();
        double acc = ClassificationMetrics.Accuracy(yTrue, yPred);
        Assert.Equal(acc, ClassificationMetrics.Precision(yTrue, yPred, Averaging.Micro), 12);
        Assert.Equal(acc, ClassificationMetrics.Recall(yTrue, yPred, Averaging.Micro), 12);
        Assert.Equal(acc, ClassificationMetrics.F1Score(yTrue, yPred, Averaging.Micro), 12);
        // Weighted recall is accuracy too: Σ (support/n)·tp/support = Σ tp / n.
        Assert.Equal(acc, ClassificationMetrics.Recall(yTrue, yPred, Averaging.Weighted), 12);
    }

    [Fact]
    public void ZeroDivisionTakesTheDocumentedValue()
    {
        // Class 2 is never predicted: its precision is 0/0.
        int[] yTrue = [0, 1, 2, 2], yPred = [0, 1, 1, 1];
        Assert.Equal(0.0, ClassificationMetrics.PrecisionPerClass(yTrue, yPred)[2]);
        Assert.True(double.IsNaN(ClassificationMetrics.PrecisionPerClass(yTrue, yPred, double.NaN)[2]));
        Assert.Equal(1.0, ClassificationMetrics.PrecisionPerClass(yTrue, yPred, 1.0)[2]);
    }

    [Fact]
    public void RankAucAgreesWithPairwiseTwinOnManySizesWithTies()
    {
        var rng = new Random(11);
        for (int n = 2; n < 60; n++)
        {
            var y = Enumerable.Range(0, n).Select(i => i < 1 ? 0 : i < 2 ? 1 : rng.Next(2)).ToArray();
            var s = Enumerable.Range(0, n).Select(_ => (double)rng.Next(6)).ToArray();
            Assert.Equal(RocAuc.BinaryPairwise(y, s), RocAuc.Binary(y, s), 12);
        }
    }

    [Fact]
    public void AucOfPerfectAndReversedScores()
    {
        int[] y = [0, 0, 1, 1];
        Assert.Equal(1.0, RocAuc.Binary(y, [0.1, 0.2, 0.8, 0.9]));
        Assert.Equal(0.0, RocAuc.Binary(y, [0.9, 0.8, 0.2, 0.1]));
        Assert.Equal(0.5, RocAuc.Binary(y, [0.5, 0.5, 0.5, 0.5]));
    }

    [Fact]
    public void R2OfConstantTargetFollowsScikitLearn()
    {
        Assert.Equal(1.0, RegressionMetrics.R2([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]));
        Assert.Equal(0.0, RegressionMetrics.R2([2.0, 2.0, 2.0], [2.0, 2.5, 2.0]));
        var y = MtlTensor.FromArray(new double[,] { { 1, 5 }, { 2, 5 }, { 3, 5 } });
        Assert.Equal(2, RegressionMetrics.R2PerTarget(y, y).Length);
        Assert.Equal(1.0, RegressionMetrics.R2(y, y, MultiOutput.VarianceWeighted));
    }

    [Fact]
    public void TaskReportPrintsAnAlignedTable()
    {
        var report = new TaskReport(
        [
            TaskMetrics.Classification("species", [0, 1, 2, 2], [0, 1, 1, 2]),
            TaskMetrics.Regression("petal width", [1.0, 2.0, 3.0], [1.1, 1.9, 3.2]),
        ]);
        var lines = report.ToTable().TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
        Assert.StartsWith("task", lines[0]);
        Assert.Contains("accuracy", lines[0]);
        Assert.Contains("r2", lines[0]);
        Assert.Contains("0.7500", lines[1]);
        Assert.Contains("-", lines[2]);
    }
}
