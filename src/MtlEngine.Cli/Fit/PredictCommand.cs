using System.CommandLine;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// <c>mtl predict --model M.safetensors --x X.npy --out P.npy [--proba]</c>: applies a model saved by <c>mtl fit</c>
/// (for PCA: the transform) and writes the result as a float64 .npy. The model kind in the file's metadata
/// (<see cref="ModelFile.KindKey"/>) picks the predictor in <see cref="Predictors"/>.
/// </summary>
internal static class PredictCommand
{
    /// <summary>A predictor: (model file, X, proba?) → the output written to --out.</summary>
    internal delegate MtlTensor<double> Predictor(ModelFileContents model, MtlTensor<double> x, bool proba);

    /// <summary>The predictor of each model kind. One entry per estimator.</summary>
    internal static readonly IReadOnlyDictionary<string, Predictor> Predictors = new Dictionary<string, Predictor>(StringComparer.Ordinal)
    {
        [RidgeModel.Kind] = RidgeFitCommand.Predict,
        [PcaModel.Kind] = PcaFitCommand.Transform,
        [LogisticRegressionModel.Kind] = LogregFitCommand.Predict,
        [MultiTaskRidgeModel.Kind] = ModelPredictors.MultiTaskRidge,
        [MultiTaskElasticNetModel.Kind] = ModelPredictors.MultiTaskElasticNet,
        [CcaModel.Kind] = CcaFitCommand.Transform,
        [IncrementalPcaModel.Kind] = ModelPredictors.IncrementalPca,
    };

    public static Command Create(TextWriter stdout)
    {
        var model = new Option<string>("--model") { Description = "A model file written by 'mtl fit' (.safetensors).", Required = true };
        var x = FitCommand.XOption();
        var output = new Option<string>("--out") { Description = "Where to write the predictions (float64 .npy).", Required = true };
        var proba = new Option<bool>("--proba") { Description = "Class probabilities instead of labels (classifiers only)." };
        var command = new Command("predict", "Apply a fitted model to X and write the predictions (for PCA: the transform) as a float64 .npy.") { model, x, output, proba };
        command.SetAction(parsed =>
        {
            string modelPath = parsed.GetValue(model)!;
            if (!File.Exists(modelPath)) throw new UsageException($"{modelPath} (--model): no such file");
            var contents = ModelFile.Read(modelPath, expectedKind: null);
            if (!Predictors.TryGetValue(contents.Kind, out var predictor))
                throw new UsageException($"{modelPath} (--model): unknown model kind '{contents.Kind}'; this build predicts with {string.Join(", ", Predictors.Keys)}");
            var features = FitInput.Features(parsed.GetValue(x)!);
            string outPath = parsed.GetValue(output)!;
            var result = predictor(contents, features, parsed.GetValue(proba));
            FitInput.WriteResult(outPath, result);
            stdout.WriteLine($"wrote {outPath}: shape {MtlTensor<double>.ShapeText(result.Shape)} ({contents.Kind})");
            return 0;
        });
        return command;
    }
}
