using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// The <c>mtl predict</c> entries of the model kinds saved by the library without an <c>mtl fit</c> subcommand of their
/// own: "multitask_ridge", "multitask_elasticnet" and "incremental_pca" (see <see cref="PredictCommand.Predictors"/>).
/// </summary>
internal static class ModelPredictors
{
    /// <summary>"multitask_ridge": every task's predictions for the same X, X·w_tᵀ + b_t in column t, shape (n_samples, T).</summary>
    public static MtlTensor<double> MultiTaskRidge(ModelFileContents file, MtlTensor<double> x, bool proba)
    {
        NoProba(file, proba, "a multitask_ridge model is a regressor");
        var model = MultiTaskRidgeModel.Load(file.Path);
        CheckFeatures(file, x, model.Features);
        return model.PredictAll(x);
    }

    /// <summary>"multitask_elasticnet" (also the multi-task lasso): X·Wᵀ + b, shape (n_samples, n_targets).</summary>
    public static MtlTensor<double> MultiTaskElasticNet(ModelFileContents file, MtlTensor<double> x, bool proba)
    {
        NoProba(file, proba, "a multitask_elasticnet model is a regressor");
        var model = MultiTaskElasticNetModel.Load(file.Path);
        CheckFeatures(file, x, model.Features);
        return model.Predict(x);
    }

    /// <summary>"incremental_pca": the transform, shape (n_samples, k).</summary>
    public static MtlTensor<double> IncrementalPca(ModelFileContents file, MtlTensor<double> x, bool proba)
    {
        NoProba(file, proba, "an incremental_pca model writes its transform");
        var model = IncrementalPcaModel.Load(file.Path);
        CheckFeatures(file, x, model.Pca.Features);
        return model.Transform(x);
    }

    internal static void NoProba(ModelFileContents file, bool proba, string what)
    {
        if (proba) throw new UsageException($"{file.Path} (--model): {what}; --proba applies to classifiers");
    }

    internal static void CheckFeatures(ModelFileContents file, MtlTensor<double> x, int features)
    {
        if (x.Dim(1) != features)
            throw new UsageException($"--x has {x.Dim(1)} features but the {file.Kind} model in {file.Path} was fitted on {features}");
    }
}
