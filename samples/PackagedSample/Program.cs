// A user's app on the MtlEngine packages: load the shipped digits, split them, fit a logistic regression on the pixels,
// predict the test part, save the model file, load it back and check that the loaded model predicts the same labels.
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Learn.ModelSelection;
using MtlEngine.Tensors;

var digits = ShippedDatasets.LoadDigits();
var split = TrainTestSplit.Split(digits.SampleCount, testSize: 0.25, seed: 7, stratify: digits.Labels);
var (xTrain, yTrain) = Rows(digits, split.Train);
var (xTest, yTest) = Rows(digits, split.Test);

var model = new LogisticRegression { C = 0.1, MaxIterations = 500 }.Fit(xTrain, yTrain);
int[] predicted = model.Predict(xTest);
double accuracy = predicted.Zip(yTest).Count(p => p.First == p.Second) / (double)yTest.Length;
Console.WriteLine($"digits: {xTrain.Dim(0)} training and {xTest.Dim(0)} test images, test accuracy {accuracy:F3}");

string path = Path.Combine(Path.GetTempPath(), $"packaged-sample-{Environment.ProcessId}.safetensors");
try
{
    model.Save(path);
    int[] reloaded = LogisticRegressionModel.Load(path).Predict(xTest);
    bool same = reloaded.SequenceEqual(predicted);
    Console.WriteLine($"saved and reloaded {Path.GetFileName(path)}: predictions {(same ? "identical" : "DIFFERENT")}");
    if (!same || accuracy < 0.9)
        return 1;
}
finally
{
    File.Delete(path);
}
return 0;

// The features and first task's labels of the given rows.
static (MtlTensor<double> X, int[] Y) Rows(ClassificationDataset data, int[] rows)
{
    int d = data.FeatureCount;
    var all = data.Features.ToArray();
    var x = new double[rows.Length * d];
    var y = new int[rows.Length];
    for (int i = 0; i < rows.Length; i++)
    {
        all.AsSpan(rows[i] * d, d).CopyTo(x.AsSpan(i * d, d));
        y[i] = data.Labels[rows[i]];
    }
    return (MtlTensor.FromArray(x, rows.Length, d), y);
}
