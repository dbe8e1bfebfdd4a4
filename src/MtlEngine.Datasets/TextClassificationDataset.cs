namespace MtlEngine.Datasets;

/// <summary>
/// Documents with one or more classification tasks over them (several tasks on the same texts: a multi-task text data
/// set). Feed <see cref="Texts"/> to a vectorizer (MtlEngine.Learn.Text) and each task's <see cref="LabelSet.Labels"/>
/// to a classifier:
/// <code>
/// var data = ShippedDatasets.LoadWordNetGlosses().ToTextClassification();
/// CsrMatrix x = new TfidfVectorizer { MinDf = 2, SublinearTf = true }.FitTransform(data.Texts);
/// int[] partOfSpeech = data.Tasks[0].Labels, supersense = data.Tasks[1].Labels;
/// </code>
/// </summary>
public sealed class TextClassificationDataset
{
    /// <summary>Creates the data set after checking that every task has one label per text.</summary>
    /// <param name="name">The data set's name.</param>
    /// <param name="texts">The documents (not copied).</param>
    /// <param name="tasks">The classification tasks, at least one.</param>
    /// <param name="sources">Where each text came from (a file path), or null.</param>
    /// <exception cref="ArgumentException">When a task or the sources do not have one entry per text, or no task is given.</exception>
    public TextClassificationDataset(string name, IReadOnlyList<string> texts, IReadOnlyList<LabelSet> tasks, IReadOnlyList<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0)
            throw new ArgumentException($"Text data set '{name}' needs at least one task.", nameof(tasks));
        foreach (var task in tasks)
        {
            if (task.Count != texts.Count)
                throw new ArgumentException($"Text data set '{name}': task '{task.Task}' has {task.Count} labels for {texts.Count} texts.", nameof(tasks));
        }
        if (sources is not null && sources.Count != texts.Count)
            throw new ArgumentException($"Text data set '{name}': {sources.Count} sources for {texts.Count} texts.", nameof(sources));
        Name = name;
        Texts = texts;
        Tasks = tasks;
        Sources = sources;
    }

    /// <summary>The data set's name.</summary>
    public string Name { get; }

    /// <summary>The documents, one per sample.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary>The classification tasks over the texts; the first is the data set's main target.</summary>
    public IReadOnlyList<LabelSet> Tasks { get; }

    /// <summary>Where each text came from (the file path for a folder data set), or null.</summary>
    public IReadOnlyList<string>? Sources { get; }

    /// <summary>The number of texts.</summary>
    public int Count => Texts.Count;

    /// <summary>The task named <paramref name="task"/>.</summary>
    /// <exception cref="KeyNotFoundException">When no task has that name; the message lists the tasks.</exception>
    public LabelSet Task(string task) => Tasks.FirstOrDefault(t => t.Task == task)
        ?? throw new KeyNotFoundException($"Text data set '{Name}' has no task '{task}'; its tasks are: {string.Join(", ", Tasks.Select(t => $"'{t.Task}'"))}.");
}
