using MtlEngine.Tensors;

namespace MtlEngine.Datasets;

/// <summary>A named group of feature columns of a data set (one "view" of each sample in multi-view learning).</summary>
/// <param name="Name">The view's name (for example "mean").</param>
/// <param name="Features">The view's features, a contiguous tensor of shape (n_samples, n_view_features).</param>
/// <param name="FeatureNames">The name of each column.</param>
public sealed record FeatureView(string Name, MtlTensor<double> Features, IReadOnlyList<string> FeatureNames);
