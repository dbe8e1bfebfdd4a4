using MtlEngine.Tensors;

namespace MtlEngine.Datasets;

/// <summary>
/// A table of numeric features with one or more classification tasks over its rows, and optionally named
/// views (column groups) of the features.
/// </summary>
public sealed class ClassificationDataset
{
    /// <summary>Creates the data set after checking that every task and view has one row per sample.</summary>
    /// <exception cref="ArgumentException">When the shapes do not agree or no task is given.</exception>
    public ClassificationDataset(
        string name,
        MtlTensor<double> features,
        IReadOnlyList<string> featureNames,
        IReadOnlyList<LabelSet> tasks,
        IReadOnlyList<FeatureView>? views = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(tasks);
        if (features.Rank != 2 || features.Dim(1) != featureNames.Count)
            throw new ArgumentException(
                $"Data set '{name}': features of shape {MtlTensor<double>.ShapeText(features.Shape)} do not match {featureNames.Count} feature names; expected (n_samples, {featureNames.Count}).");
        if (tasks.Count == 0)
            throw new ArgumentException($"Data set '{name}' needs at least one task.", nameof(tasks));
        int n = features.Dim(0);
        foreach (var task in tasks)
        {
            if (task.Count != n)
                throw new ArgumentException($"Data set '{name}': task '{task.Task}' has {task.Count} labels for {n} samples.");
        }
        foreach (var view in views ?? [])
        {
            if (view.Features.Rank != 2 || view.Features.Dim(0) != n)
                throw new ArgumentException(
                    $"Data set '{name}': view '{view.Name}' has shape {MtlTensor<double>.ShapeText(view.Features.Shape)}, expected ({n}, n_view_features).");
        }
        Name = name;
        Features = features;
        FeatureNames = featureNames;
        Tasks = tasks;
        Views = views ?? [];
    }

    /// <summary>The data set's name.</summary>
    public string Name { get; }

    /// <summary>The features, a contiguous tensor of shape (n_samples, n_features).</summary>
    public MtlTensor<double> Features { get; }

    /// <summary>The name of each feature column.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The classification tasks; the first is the data set's own target.</summary>
    public IReadOnlyList<LabelSet> Tasks { get; }

    /// <summary>Named groups of feature columns (empty when the data set has no natural views).</summary>
    public IReadOnlyList<FeatureView> Views { get; }

    /// <summary>The number of samples (rows).</summary>
    public int SampleCount => Features.Dim(0);

    /// <summary>The number of features (columns).</summary>
    public int FeatureCount => Features.Dim(1);

    /// <summary>The first task's labels, of shape (n_samples,).</summary>
    public int[] Labels => Tasks[0].Labels;

    /// <summary>The first task's class names.</summary>
    public IReadOnlyList<string> ClassNames => Tasks[0].ClassNames;

    /// <summary>The task called <paramref name="task"/>.</summary>
    /// <exception cref="KeyNotFoundException">When there is no such task; the message lists the tasks.</exception>
    public LabelSet Task(string task) =>
        Tasks.FirstOrDefault(t => t.Task == task)
        ?? throw new KeyNotFoundException($"Data set '{Name}' has no task '{task}'; its tasks are: {string.Join(", ", Tasks.Select(t => t.Task))}.");

    /// <summary>The view called <paramref name="view"/>.</summary>
    /// <exception cref="KeyNotFoundException">When there is no such view; the message lists the views.</exception>
    public FeatureView View(string view) =>
        Views.FirstOrDefault(v => v.Name == view)
        ?? throw new KeyNotFoundException($"Data set '{Name}' has no view '{view}'; its views are: {(Views.Count == 0 ? "(none)" : string.Join(", ", Views.Select(v => v.Name)))}.");
}
