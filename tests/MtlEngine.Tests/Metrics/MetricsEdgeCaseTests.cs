using System.Text.Json;
using MtlEngine.Metrics;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Metrics;

/// <summary>Edge cases of the metrics against scikit-learn 1.2 (Fixtures/Learn/make_metrics_fixtures.py).</summary>
public class MetricsEdgeCaseTests
{
    private const double Tight = 1e-12;

    private static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "metrics_fixtures.json"))).RootElement;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Precision_recall_f1_follow_zero_division(int index)
    {
        var c = Root.GetProperty("zero_division")[index];
        var yTrue = Labels(c.GetProperty("y_true"));
        var yPred = Labels(c.GetProperty("y_pred"));
        double zd = c.GetProperty("zero_division").GetDouble();
        Close(Vector(c.GetProperty("precision_per_class")), ClassificationMetrics.PrecisionPerClass(yTrue, yPred, zd), Tight, "precision per class");
        Close(Vector(c.GetProperty("recall_per_class")), ClassificationMetrics.RecallPerClass(yTrue, yPred, zd), Tight, "recall per class");
        Close(Vector(c.GetProperty("f1_per_class")), ClassificationMetrics.F1PerClass(yTrue, yPred, zd), Tight, "f1 per class");
        foreach (var (avg, key) in new[] { (Averaging.Macro, "macro"), (Averaging.Micro, "micro"), (Averaging.Weighted, "weighted") })
        {
            Close(c.GetProperty("precision_" + key).GetDouble(), ClassificationMetrics.Precision(yTrue, yPred, avg, zeroDivision: zd), Tight, "precision " + key);
            Close(c.GetProperty("recall_" + key).GetDouble(), ClassificationMetrics.Recall(yTrue, yPred, avg, zeroDivision: zd), Tight, "recall " + key);
            Close(c.GetProperty("f1_" + key).GetDouble(), ClassificationMetrics.F1Score(yTrue, yPred, avg, zeroDivision: zd), Tight, "f1 " + key);
        }
    }

    [Fact]
    public void Binary_averaging_with_absent_positive_class_and_zero_division()
    {
        foreach (var c in Root.GetProperty("binary").EnumerateArray())
        {
            var yTrue = Labels(c.GetProperty("y_true"));
            var yPred = Labels(c.GetProperty("y_pred"));
            double zd = c.GetProperty("zero_division").GetDouble();
            string what = $"{c.GetProperty("y_true")} {c.GetProperty("y_pred")} zd={zd}";
            Close(c.GetProperty("precision").GetDouble(), ClassificationMetrics.Precision(yTrue, yPred, Averaging.Binary, zeroDivision: zd), Tight, "precision " + what);
            Close(c.GetProperty("recall").GetDouble(), ClassificationMetrics.Recall(yTrue, yPred, Averaging.Binary, zeroDivision: zd), Tight, "recall " + what);
            Close(c.GetProperty("f1").GetDouble(), ClassificationMetrics.F1Score(yTrue, yPred, Averaging.Binary, zeroDivision: zd), Tight, "f1 " + what);
        }
    }

    [Fact]
    public void Weighted_accuracy_and_confusion_matrix_with_given_labels()
    {
        var a = Root.GetProperty("weighted_accuracy");
        var yTrue = Labels(a.GetProperty("y_true"));
        var yPred = Labels(a.GetProperty("y_pred"));
        Close(a.GetProperty("accuracy").GetDouble(), ClassificationMetrics.Accuracy(yTrue, yPred, Vector(a.GetProperty("w"))), Tight, "weighted accuracy");
        Close(a.GetProperty("accuracy_unweighted").GetDouble(), ClassificationMetrics.Accuracy(yTrue, yPred), Tight, "accuracy");
        var c = Root.GetProperty("confusion_labels");
        var cm = ClassificationMetrics.ConfusionMatrix(Labels(c.GetProperty("y_true")), Labels(c.GetProperty("y_pred")), Labels(c.GetProperty("labels")));
        Assert.Equal(Array2(c.GetProperty("matrix")).Cast<double>(), cm.Cast<long>().Select(v => (double)v));
    }

    [Fact]
    public void Digits_one_vs_rest_auc_and_log_loss()
    {
        var c = Root.GetProperty("digits_auc");
        var y = Labels(c.GetProperty("y"));
        var p = Matrix(c.GetProperty("proba"));
        Close(c.GetProperty("ovr_macro").GetDouble(), RocAuc.OneVsRest(y, p, RocAverage.Macro), Tight, "ovr macro");
        Close(c.GetProperty("ovr_weighted").GetDouble(), RocAuc.OneVsRest(y, p, RocAverage.Weighted), Tight, "ovr weighted");
        Close(Vector(c.GetProperty("ovr_per_class")), RocAuc.OneVsRestPerClass(y, p), Tight, "ovr per class");
        Close(c.GetProperty("log_loss").GetDouble(), LogLoss.Compute(y, p), Tight, "log loss");
        Close(c.GetProperty("log_loss_weighted").GetDouble(), LogLoss.Compute(y, p, sampleWeight: [.. y.Select(v => v % 3 + 0.5)]), Tight, "weighted log loss");
        var values = p.ToArray();
        var argmax = Enumerable.Range(0, y.Length).Select(i => Enumerable.Range(0, 10).MaxBy(j => values[i * 10 + j])).ToArray();
        Close(c.GetProperty("accuracy").GetDouble(), ClassificationMetrics.Accuracy(y, argmax), Tight, "accuracy");

        // Scores that are not probabilities are refused, as scikit-learn does.
        var raw = MtlTensor.FromArray([.. values.Select(v => 2 * v)], y.Length, 10);
        var e = Assert.Throws<MetricInputException>(() => RocAuc.OneVsRest(y, raw));
        Assert.Contains("sum to 1", e.Message);

        var l = Root.GetProperty("log_loss_labels");
        Close(l.GetProperty("value").GetDouble(), LogLoss.Compute(Labels(l.GetProperty("y")), Matrix(l.GetProperty("proba")), Labels(l.GetProperty("labels"))), Tight, "log loss with labels");
    }

    [Fact]
    public void R2_with_constant_targets_and_multi_output_averaging()
    {
        var c = Root.GetProperty("r2");
        var y = Matrix(c.GetProperty("y"));
        var p = Matrix(c.GetProperty("p"));
        Close(Vector(c.GetProperty("raw")), RegressionMetrics.R2PerTarget(y, p), Tight, "r2 raw");
        Close(c.GetProperty("uniform").GetDouble(), RegressionMetrics.R2(y, p), Tight, "r2 uniform");
        Close(c.GetProperty("variance_weighted").GetDouble(), RegressionMetrics.R2(y, p, MultiOutput.VarianceWeighted), Tight, "r2 variance weighted");
        Close(Vector(c.GetProperty("mse_raw")), RegressionMetrics.MeanSquaredErrorPerTarget(y, p), Tight, "mse raw");
        Close(Vector(c.GetProperty("mae_raw")), RegressionMetrics.MeanAbsoluteErrorPerTarget(y, p), Tight, "mae raw");

        var k = Root.GetProperty("r2_all_constant");
        var yc = Matrix(k.GetProperty("y"));
        var pc = Matrix(k.GetProperty("p"));
        Close(Vector(k.GetProperty("raw")), RegressionMetrics.R2PerTarget(yc, pc), Tight, "r2 raw, constant targets");
        Close(k.GetProperty("variance_weighted").GetDouble(), RegressionMetrics.R2(yc, pc, MultiOutput.VarianceWeighted), Tight, "r2 variance weighted, constant targets");

        Assert.True(Root.GetProperty("r2_one_sample_is_nan").GetBoolean());
        Assert.True(double.IsNaN(RegressionMetrics.R2([1.0], [2.0])));
    }
}
