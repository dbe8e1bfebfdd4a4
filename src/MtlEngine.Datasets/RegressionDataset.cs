using MtlEngine.Tensors;

namespace MtlEngine.Datasets;

/// <summary>A table of numeric features with one or more real-valued targets per row.</summary>
public sealed class RegressionDataset
{
    /// <summary>Creates the data set after checking the shapes.</summary>
    /// <exception cref="ArgumentException">When features and targets differ in rows or the names do not match the columns.</exception>
    public RegressionDataset(
        string name,
        MtlTensor<double> features,
        IReadOnlyList<string> featureNames,
        MtlTensor<double> targets,
        IReadOnlyList<string> targetNames)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(targetNames);
        if (features.Rank != 2 || targets.Rank != 2 || features.Dim(0) != targets.Dim(0)
            || features.Dim(1) != featureNames.Count || targets.Dim(1) != targetNames.Count)
            throw new ArgumentException(
                $"Data set '{name}': features {MtlTensor<double>.ShapeText(features.Shape)} with {featureNames.Count} names and targets "
                + $"{MtlTensor<double>.ShapeText(targets.Shape)} with {targetNames.Count} names do not agree; expected (n, {featureNames.Count}) and (n, {targetNames.Count}).");
        Name = name;
        Features = features;
        FeatureNames = featureNames;
        Targets = targets;
        TargetNames = targetNames;
    }

    /// <summary>The data set's name.</summary>
    public string Name { get; }

    /// <summary>The features, a contiguous tensor of shape (n_samples, n_features).</summary>
    public MtlTensor<double> Features { get; }

    /// <summary>The name of each feature column.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The targets, a contiguous tensor of shape (n_samples, n_targets) (n_targets = 1 for a single target).</summary>
    public MtlTensor<double> Targets { get; }

    /// <summary>The name of each target column.</summary>
    public IReadOnlyList<string> TargetNames { get; }

    /// <summary>The number of samples (rows).</summary>
    public int SampleCount => Features.Dim(0);

    /// <summary>A copy of target column <paramref name="column"/>, of shape (n_samples,).</summary>
    public double[] Target(int column = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, TargetNames.Count);
        var all = Targets.CpuStorage.Data;
        int start = Targets.Offset + column * Targets.Strides[1], rowStride = Targets.Strides[0];
        var result = new double[SampleCount];
        for (int i = 0; i < result.Length; i++) result[i] = all[start + i * rowStride];
        return result;
    }
}
