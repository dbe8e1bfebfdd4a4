using System.Numerics;
using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Demo;

/// <summary>The demo sections that load each shipped data set and describe it.</summary>
internal static class DatasetSections
{
    /// <summary>Above this many features, the per-feature table is replaced by a summary over features.</summary>
    private const int MaxFeatureRows = 13;

    /// <summary>Above this many classes, a class table shows only the largest ones.</summary>
    private const int MaxClassRows = 12;

    public static IReadOnlyList<DemoSection> All { get; } =
    [
        ClassificationSection("iris", "iris: Fisher's iris flowers (UCI, CC BY 4.0)", ShippedDatasets.LoadIris),
        ClassificationSection("wine", "wine: wine recognition (UCI, CC BY 4.0)", ShippedDatasets.LoadWine),
        ClassificationSection("breast_cancer", "breast_cancer: Breast Cancer Wisconsin, diagnostic (UCI, CC BY 4.0)", ShippedDatasets.LoadBreastCancer),
        ClassificationSection("digits", "digits: handwritten digits, 8x8 (UCI, CC BY 4.0)", ShippedDatasets.LoadDigits),
        new("diabetes", "diabetes: disease progression (Efron et al. 2004)", o => Regression(ShippedDatasets.LoadDiabetes(), o)),
        new("linnerud", "linnerud: exercise and physiology (Tenenhaus 1998)", o => Regression(ShippedDatasets.LoadLinnerud(), o)),
        new("emoji", "emoji: pictures and names (Twemoji CC BY 4.0; emoji-data MIT)", Emoji),
        new("wordnet", "wordnet: WordNet 3.0 glosses (Princeton WordNet licence)", WordNet),
    ];

    /// <summary>A classification data set's section; with <c>--report</c>, the samples' PCA scatter coloured by the first task.</summary>
    private static DemoSection ClassificationSection(string name, string title, Func<ClassificationDataset> load) =>
        new(name, title, o => Classification(load(), o))
        {
            RunWithFigures = (o, figures) =>
            {
                var data = load();
                Classification(data, o);
                figures.Add(Plots.Figures.RepresentationScatter(Standardized(data.Features), data.Labels, data.ClassNames, $"{data.Name}: standardized features (PCA), by {data.Tasks[0].Task}"),
                    $"The {data.Name} samples on the first two principal components of their standardized features, one colour per {data.Tasks[0].Task}.");
            },
        };

    /// <summary>Each column centred and scaled to unit variance (a constant column to 0), for a PCA that weighs features alike.</summary>
    private static MtlTensor<double> Standardized(MtlTensor<double> x)
    {
        int n = x.Dim(0), d = x.Dim(1);
        var z = x.ToArray();
        for (int f = 0; f < d; f++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += z[i * d + f] / n;
            for (int i = 0; i < n; i++) sq += (z[i * d + f] - mean) * (z[i * d + f] - mean) / n;
            double sd = Math.Sqrt(sq);
            for (int i = 0; i < n; i++) z[i * d + f] = sd == 0 ? 0 : (z[i * d + f] - mean) / sd;
        }
        return MtlTensor.FromArray(z, n, d);
    }

    private static void Classification(ClassificationDataset data, TextWriter output)
    {
        output.WriteLine($"  {data.Name}: {TextTable.Count(data.SampleCount)} samples x {data.FeatureCount} features, features {TextTable.Shape(data.Features.Shape)} float64, "
            + $"{data.Tasks.Count} task{(data.Tasks.Count == 1 ? "" : "s")}: {string.Join(", ", data.Tasks.Select(t => $"{t.Task} ({t.ClassCount} classes)"))}");
        foreach (var task in data.Tasks) Classes(task, output);
        if (data.Views.Count == 0)
        {
            Features(data.Features, data.FeatureNames, "features", output);
        }
        else
        {
            output.WriteLine($"  views: {string.Join(", ", data.Views.Select(v => $"{v.Name} {TextTable.Shape(v.Features.Shape)}"))}");
            foreach (var view in data.Views) Features(view.Features, view.FeatureNames, $"view '{view.Name}'", output);
        }
    }

    private static void Regression(RegressionDataset data, TextWriter output)
    {
        output.WriteLine($"  {data.Name}: {data.SampleCount} samples, features {TextTable.Shape(data.Features.Shape)}, targets {TextTable.Shape(data.Targets.Shape)} float64");
        Features(data.Features, data.FeatureNames, "features", output);
        Features(data.Targets, data.TargetNames, "targets", output);
    }

    private static void Emoji(TextWriter output)
    {
        var emoji = ShippedDatasets.LoadEmoji();
        output.WriteLine($"  emoji: {TextTable.Count(emoji.Count)} emoji; pictures {TextTable.Shape(emoji.Images.Shape)} uint8 (RGB on white), names (text), "
            + $"2 tasks: category ({emoji.Category.ClassCount} classes), subcategory ({emoji.Subcategory.ClassCount} classes)");
        var pixels = new MtlTensor<byte>(emoji.Images.Storage, [emoji.Images.Length / 3, 3]); // (n·32·32, 3), no copy
        Features(pixels, ["red", "green", "blue"], "pixel values per channel", output);
        Classes(emoji.Category, output);
        Classes(emoji.Subcategory, output);
        var nameWords = Summary.Of<double>(emoji.Names.Select(n => (double)n.Split(' ').Length).ToArray());
        output.WriteLine($"  names: {TextTable.Number(nameWords.Mean)} words on average ({nameWords.Min:0}..{nameWords.Max:0}); examples:");
        var examples = new TextTable(">index", "code points", "name", "category", "subcategory");
        foreach (int i in new[] { 0, emoji.Count / 2, emoji.Count - 1 })
            examples.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), emoji.CodePoints[i], emoji.Names[i],
                emoji.Category.ClassNames[emoji.Category.Labels[i]], emoji.Subcategory.ClassNames[emoji.Subcategory.Labels[i]]);
        examples.WriteTo(output, 4);
    }

    private static void WordNet(TextWriter output)
    {
        var wordnet = ShippedDatasets.LoadWordNetGlosses();
        output.WriteLine($"  wordnet: {TextTable.Count(wordnet.Count)} glosses (text), "
            + $"2 tasks: part of speech ({wordnet.PartOfSpeech.ClassCount} classes), supersense ({wordnet.Supersense.ClassCount} classes)");
        Classes(wordnet.PartOfSpeech, output);
        Classes(wordnet.Supersense, output);
        var glossWords = new double[wordnet.Count];
        for (int i = 0; i < glossWords.Length; i++) glossWords[i] = CountWords(wordnet.Glosses[i]);
        var words = Summary.Of<double>(glossWords);
        output.WriteLine($"  gloss length in words: mean {TextTable.Number(words.Mean)}, std {TextTable.Number(words.Std)}, min {words.Min:0}, max {words.Max:0}; examples:");
        var examples = new TextTable("words", "part of speech", "supersense", "gloss");
        foreach (int i in new[] { 0, wordnet.Count / 2, wordnet.Count - 1 })
        {
            string gloss = wordnet.Glosses[i];
            examples.Add(wordnet.Words[i], wordnet.PartOfSpeech.ClassNames[wordnet.PartOfSpeech.Labels[i]],
                wordnet.Supersense.ClassNames[wordnet.Supersense.Labels[i]], gloss.Length > 60 ? gloss[..57] + "..." : gloss);
        }
        examples.WriteTo(output, 4);
    }

    private static int CountWords(string text)
    {
        int count = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool space = char.IsWhiteSpace(c);
            if (!space && !inWord) count++;
            inWord = !space;
        }
        return count;
    }

    /// <summary>The classes of a task with their counts and shares; for many classes, the largest ones and the smallest.</summary>
    private static void Classes(LabelSet task, TextWriter output)
    {
        var counts = task.CountPerClass();
        output.WriteLine($"  task '{task.Task}': {task.ClassCount} classes");
        var table = new TextTable(">label", "class", ">count", ">share");
        var order = Enumerable.Range(0, task.ClassCount);
        bool truncated = task.ClassCount > MaxClassRows;
        if (truncated) order = order.OrderByDescending(c => counts[c]).ThenBy(c => c).Take(MaxClassRows - 2);
        foreach (int c in order)
            table.Add(c.ToString(System.Globalization.CultureInfo.InvariantCulture), task.ClassNames[c], TextTable.Count(counts[c]), TextTable.Percent((double)counts[c] / task.Count));
        table.WriteTo(output, 4);
        if (truncated)
        {
            int smallest = Enumerable.Range(0, task.ClassCount).OrderBy(c => counts[c]).ThenBy(c => c).First();
            output.WriteLine($"    ... {task.ClassCount - (MaxClassRows - 2)} more classes; the smallest: {task.ClassNames[smallest]} ({counts[smallest]})");
        }
    }

    /// <summary>Per-feature mean, std, min and max; for many features, how those statistics spread over the features.</summary>
    private static void Features<T>(MtlTensor<T> features, IReadOnlyList<string> names, string what, TextWriter output)
        where T : unmanaged, INumber<T>
    {
        var stats = Summary.OfColumns<T>(features.CpuStorage.Data.AsSpan(features.Offset, features.Length), features.Dim(1));
        if (stats.Length <= MaxFeatureRows)
        {
            output.WriteLine($"  {what}: {stats.Length} column{(stats.Length == 1 ? "" : "s")}");
            var table = new TextTable("name", ">mean", ">std", ">min", ">max");
            for (int j = 0; j < stats.Length; j++)
                table.Add(names[j], TextTable.Number(stats[j].Mean), TextTable.Number(stats[j].Std), TextTable.Number(stats[j].Min), TextTable.Number(stats[j].Max));
            table.WriteTo(output, 4);
            return;
        }
        int constant = stats.Count(s => s.Std == 0);
        output.WriteLine($"  {what}: {stats.Length} columns, statistics summarized over the columns ({constant} constant)");
        var summary = new TextTable("statistic", ">lowest", ">median", ">highest", "lowest at", "highest at");
        foreach (var (label, pick) in new (string, Func<Summary, double>)[] { ("mean", s => s.Mean), ("std", s => s.Std), ("min", s => s.Min), ("max", s => s.Max) })
        {
            var values = stats.Select(pick).ToArray();
            int lowest = Array.IndexOf(values, values.Min()), highest = Array.IndexOf(values, values.Max());
            var sorted = values.Order().ToArray();
            double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
            summary.Add(label, TextTable.Number(values[lowest]), TextTable.Number(median), TextTable.Number(values[highest]), names[lowest], names[highest]);
        }
        summary.WriteTo(output, 4);
    }
}
