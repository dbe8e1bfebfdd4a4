using MtlEngine.Metrics;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Metrics;

/// <summary>Metrics against scikit-learn 1.2 on iris, wine and breast cancer with fixed predictions (Fixtures/Learn).</summary>
public class MetricsFixtureTests
{
    private const double Tight = 1e-12;

    [Theory]
    [InlineData("metrics_iris")]
    [InlineData("metrics_wine")]
    [InlineData("metrics_breast_cancer")]
    public void ClassificationMetricsMatchScikitLearn(string name)
    {
        var c = Case(name);
        var yTrue = Labels(c.GetProperty("y_true"));
        var yPred = Labels(c.GetProperty("y_pred"));
        Close(c.GetProperty("accuracy").GetDouble(), ClassificationMetrics.Accuracy(yTrue, yPred), Tight, "accuracy");
        var cm = ClassificationMetrics.ConfusionMatrix(yTrue, yPred);
        var expectedCm = Array2(c.GetProperty("confusion"));
        Assert.Equal(expectedCm.Cast<double>().ToArray(), cm.Cast<long>().Select(v => (double)v).ToArray());
        Close(Vector(c.GetProperty("precision_per_class")), ClassificationMetrics.PrecisionPerClass(yTrue, yPred), Tight, "precision per class");
        Close(Vector(c.GetProperty("recall_per_class")), ClassificationMetrics.RecallPerClass(yTrue, yPred), Tight, "recall per class");
        Close(Vector(c.GetProperty("f1_per_class")), ClassificationMetrics.F1PerClass(yTrue, yPred), Tight, "f1 per class");
        foreach (var (avg, key) in new[] { (Averaging.Macro, "macro"), (Averaging.Micro, "micro"), (Averaging.Weighted, "weighted") })
        {
            Close(c.GetProperty("precision_" + key).GetDouble(), ClassificationMetrics.Precision(yTrue, yPred, avg), Tight, "precision " + key);
            Close(c.GetProperty("recall_" + key).GetDouble(), ClassificationMetrics.Recall(yTrue, yPred, avg), Tight, "recall " + key);
            Close(c.GetProperty("f1_" + key).GetDouble(), ClassificationMetrics.F1Score(yTrue, yPred, avg), Tight, "f1 " + key);
        }
        var proba = Matrix(c.GetProperty("proba"));
        Close(c.GetProperty("log_loss").GetDouble(), LogLoss.Compute(yTrue, proba), Tight, "log loss");
        if (proba.Dim(1) > 2)
        {
            Close(c.GetProperty("roc_auc_ovr_macro").GetDouble(), RocAuc.OneVsRest(yTrue, proba, RocAverage.Macro), Tight, "auc ovr macro");
            Close(c.GetProperty("roc_auc_ovr_weighted").GetDouble(), RocAuc.OneVsRest(yTrue, proba, RocAverage.Weighted), Tight, "auc ovr weighted");
        }
    }

    [Fact]
    public void BinaryMetricsMatchScikitLearnWithTiedScoresAndClippedProbabilities()
    {
        var c = Case("metrics_breast_cancer");
        var yTrue = Labels(c.GetProperty("y_true"));
        var yPred = Labels(c.GetProperty("y_pred"));
        var scores = Vector(c.GetProperty("scores"));
        Assert.True(scores.Distinct().Count() < scores.Length / 4, "the fixture should have many tied scores");
        Close(c.GetProperty("roc_auc").GetDouble(), RocAuc.Binary(yTrue, scores), Tight, "auc");
        Close(c.GetProperty("roc_auc").GetDouble(), RocAuc.BinaryPairwise(yTrue, scores), Tight, "auc (pairwise twin)");
        Close(c.GetProperty("precision_binary").GetDouble(), ClassificationMetrics.Precision(yTrue, yPred, Averaging.Binary), Tight, "precision");
        Close(c.GetProperty("recall_binary").GetDouble(), ClassificationMetrics.Recall(yTrue, yPred, Averaging.Binary), Tight, "recall");
        Close(c.GetProperty("f1_binary").GetDouble(), ClassificationMetrics.F1Score(yTrue, yPred, Averaging.Binary), Tight, "f1");
        var p1 = Vector(c.GetProperty("p1"));
        Assert.Contains(0.0, p1);
        Close(c.GetProperty("log_loss").GetDouble(), LogLoss.Binary(yTrue, p1), Tight, "binary log loss");
    }

    [Fact]
    public void RegressionMetricsMatchScikitLearn()
    {
        var c = Case("regression");
        var y = Matrix(c.GetProperty("y"));
        var p = Matrix(c.GetProperty("p"));
        Close(Vector(c.GetProperty("mse_raw")), RegressionMetrics.MeanSquaredErrorPerTarget(y, p), Tight, "mse raw");
        Close(c.GetProperty("mse").GetDouble(), RegressionMetrics.MeanSquaredError(y, p), Tight, "mse");
        Close(Vector(c.GetProperty("mae_raw")), RegressionMetrics.MeanAbsoluteErrorPerTarget(y, p), Tight, "mae raw");
        Close(c.GetProperty("mae").GetDouble(), RegressionMetrics.MeanAbsoluteError(y, p), Tight, "mae");
        Close(Vector(c.GetProperty("r2_raw")), RegressionMetrics.R2PerTarget(y, p), Tight, "r2 raw");
        Close(c.GetProperty("r2_uniform").GetDouble(), RegressionMetrics.R2(y, p), Tight, "r2 uniform");
        Close(c.GetProperty("r2_variance_weighted").GetDouble(), RegressionMetrics.R2(y, p, MultiOutput.VarianceWeighted), Tight, "r2 variance weighted");
    }
}
