using MtlEngine.Data;
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
        var model = new Option<string>("--model") { Description = "A model file written by 'mtl fit' or 'mtl train' (.safetensors).", Required = true };
        var x = new Option<string?>("--x") { Description = "The features of a 'mtl fit' model: a float .npy of shape (n_samples, n_features)." };
        var inputs = new Option<string[]>("--input")
        {
            Description = "NAME=FILE for each input of a 'mtl train' model (repeat the option).", AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out") { Description = "Where to write the predictions: float64 .npy ('mtl fit'), .npz with one array per task ('mtl train').", Required = true };
        var proba = new Option<bool>("--proba") { Description = "Class probabilities instead of labels (classifiers only)." };
        var command = new Command("predict", "Apply a fitted or trained model and write the predictions (for PCA: the transform).") { model, x, inputs, output, proba };
        command.SetAction(parsed =>
        {
            string modelPath = parsed.GetValue(model)!;
            if (!File.Exists(modelPath)) throw new UsageException($"{modelPath} (--model): no such file");
            var contents = ModelFile.Read(modelPath, expectedKind: null);
            string outPath = parsed.GetValue(output)!;
            if (contents.Kind == Train.TrainRun.ModelKind)
            {
                if (parsed.GetValue(x) is not null) throw new UsageException("--x is for 'mtl fit' models; give this 'mtl train' model's inputs as --input NAME=FILE");
                var arrays = Train.TrainPredict.Predict(contents, parsed.GetValue(inputs) ?? [], parsed.GetValue(proba));
                if (outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && arrays.Count > 1)
                    throw new UsageException($"{outPath} (--out): the model has {arrays.Count} tasks; write them to an .npz (one array per task)");
                if (!outPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && !outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                    throw new UsageException($"{outPath} (--out): write the predictions to an .npz (or an .npy for a one-task model)");
                ArrayFile.Write(outPath, arrays);
                stdout.WriteLine($"wrote {outPath}: " + string.Join(", ", arrays.Select(a => $"{a.Name} {MtlTensor<double>.ShapeText(a.Shape)}")));
                return 0;
            }
            if (!Predictors.TryGetValue(contents.Kind, out var predictor))
                throw new UsageException($"{modelPath} (--model): unknown model kind '{contents.Kind}'; this build predicts with {string.Join(", ", Predictors.Keys.Append(Train.TrainRun.ModelKind))}");
            if ((parsed.GetValue(inputs) ?? []).Length > 0) throw new UsageException("--input is for 'mtl train' models; give a 'mtl fit' model's features as --x X.npy");
            var features = FitInput.Features(parsed.GetValue(x) ?? throw new UsageException("--x is required for a 'mtl fit' model"));
            var result = predictor(contents, features, parsed.GetValue(proba));
            FitInput.WriteResult(outPath, result);
            stdout.WriteLine($"wrote {outPath}: shape {MtlTensor<double>.ShapeText(result.Shape)} ({contents.Kind})");
            return 0;
        });
        return command;
    }
}
