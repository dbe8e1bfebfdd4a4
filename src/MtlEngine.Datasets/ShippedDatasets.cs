using MtlEngine.Tensors;

namespace MtlEngine.Datasets;

/// <summary>
/// Loaders for the real data sets shipped inside this assembly (attribution and licences: the NOTICE file,
/// also available as <see cref="Notice"/>). Every call decompresses and parses afresh and returns new
/// tensors that the caller owns; nothing is cached.
/// </summary>
public static class ShippedDatasets
{
    /// <summary>The names of the shipped data sets, in the order <c>mtl demo</c> shows them.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["iris", "wine", "breast_cancer", "digits", "diabetes", "linnerud", "emoji", "wordnet"];

    /// <summary>The attribution and licences of the shipped data (the NOTICE file).</summary>
    public static string Notice() => EmbeddedData.ReadPlainText("NOTICE");

    /// <summary>
    /// Fisher's iris: 150 flowers × 4 measurements in cm, 3 species (50 each). Task "species".
    /// UCI Iris, CC BY 4.0.
    /// </summary>
    public static ClassificationDataset LoadIris()
    {
        var table = UciTable.Read("iris.csv.gz");
        return new ClassificationDataset("iris", table.Features, FeatureNames.Iris,
            [new LabelSet("species", table.Labels, table.ClassNames)]);
    }

    /// <summary>
    /// Wine recognition: 178 wines × 13 chemical measurements, 3 cultivars (59, 71, 48). Task "cultivar".
    /// UCI Wine, CC BY 4.0.
    /// </summary>
    public static ClassificationDataset LoadWine()
    {
        var table = UciTable.Read("wine_data.csv.gz");
        return new ClassificationDataset("wine", table.Features, FeatureNames.Wine,
            [new LabelSet("cultivar", table.Labels, table.ClassNames)]);
    }

    /// <summary>
    /// Breast Cancer Wisconsin (Diagnostic): 569 tumours × 30 features, 2 classes (malignant 212, benign 357).
    /// Task "diagnosis". Ten measurements of the cell nuclei are each summarized three ways, which gives three
    /// views of 10 columns: "mean" (columns 0–9), "standard error" (10–19) and "worst" (20–29).
    /// UCI, CC BY 4.0.
    /// </summary>
    public static ClassificationDataset LoadBreastCancer()
    {
        var table = UciTable.Read("breast_cancer.csv.gz");
        var names = FeatureNames.BreastCancer;
        string[] viewNames = ["mean", "standard error", "worst"];
        var views = new FeatureView[3];
        for (int v = 0; v < 3; v++)
            views[v] = new FeatureView(viewNames[v], CopyColumns(table.Features, v * 10, 10), names[(v * 10)..(v * 10 + 10)]);
        return new ClassificationDataset("breast_cancer", table.Features, names,
            [new LabelSet("diagnosis", table.Labels, table.ClassNames)], views);
    }

    /// <summary>
    /// Handwritten digits: 1797 images of 8×8 pixels (values 0..16) as 64 features, row by row. Three tasks on
    /// the same images: "digit" (10 classes), "parity" (even, odd) and "at least 5" (below 5, 5 or more).
    /// UCI Optical Recognition of Handwritten Digits (test part), CC BY 4.0.
    /// </summary>
    public static ClassificationDataset LoadDigits()
    {
        const string resource = "digits.csv.gz";
        var lines = EmbeddedData.ReadLines(resource);
        int n = lines.Length;
        var features = new double[n * 64];
        var digit = new int[n];
        Span<double> row = stackalloc double[65];
        for (int i = 0; i < n; i++)
        {
            EmbeddedData.ParseRow(resource, i + 1, lines[i], ',', row);
            row[..64].CopyTo(features.AsSpan(i * 64, 64));
            digit[i] = ToLabel(resource, i + 1, row[64]);
        }
        var parity = digit.Select(d => d % 2).ToArray();
        var atLeastFive = digit.Select(d => d >= 5 ? 1 : 0).ToArray();
        return new ClassificationDataset("digits", MtlTensor.FromArray(features, n, 64), FeatureNames.Digits,
        [
            new LabelSet("digit", digit, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
            new LabelSet("parity", parity, ["even", "odd"]),
            new LabelSet("at least 5", atLeastFive, ["below 5", "5 or more"]),
        ]);
    }

    /// <summary>
    /// Diabetes: 442 patients × 10 raw (unscaled) baseline variables (age, sex, body-mass index, blood pressure,
    /// six blood serum measurements); target (442 × 1): a measure of disease progression one year later.
    /// Efron, Hastie, Johnstone and Tibshirani (2004), "Least Angle Regression".
    /// </summary>
    public static RegressionDataset LoadDiabetes()
    {
        var features = ReadSpaceSeparated("diabetes_data_raw.csv.gz", 10, header: false, out int n, out _);
        var target = ReadSpaceSeparated("diabetes_target.csv.gz", 1, header: false, out int nTarget, out _);
        if (nTarget != n)
            throw EmbeddedData.Bad("diabetes_target.csv.gz", nTarget, $"{nTarget} targets for {n} rows of features");
        return new RegressionDataset("diabetes", MtlTensor.FromArray(features, n, 10), FeatureNames.Diabetes,
            MtlTensor.FromArray(target, n, 1), ["disease progression"]);
    }

    /// <summary>
    /// Linnerud: 20 middle-aged men; features: 3 exercises (chin-ups, sit-ups, jumps), targets: 3 physiological
    /// measurements (weight, waist, pulse) — a multi-output regression. Tenenhaus (1998).
    /// </summary>
    public static RegressionDataset LoadLinnerud()
    {
        var exercise = ReadSpaceSeparated("linnerud_exercise.csv.gz", 3, header: true, out int n, out var exerciseNames);
        var physiological = ReadSpaceSeparated("linnerud_physiological.csv.gz", 3, header: true, out int nPhysiological, out var physiologicalNames);
        if (nPhysiological != n)
            throw EmbeddedData.Bad("linnerud_physiological.csv.gz", nPhysiological, $"{nPhysiological} rows where the exercise file has {n}");
        return new RegressionDataset("linnerud", MtlTensor.FromArray(exercise, n, 3), exerciseNames,
            MtlTensor.FromArray(physiological, n, 3), physiologicalNames);
    }

    /// <summary>
    /// 1906 emoji: a 32×32 RGB picture and an English name each, with two related tasks, "category" (9 classes)
    /// and "subcategory" (98 classes). Pictures: Twemoji (CC BY 4.0); names and categories: emoji-data (MIT).
    /// </summary>
    public static EmojiDataset LoadEmoji() => EmojiDataset.Load();

    /// <summary>
    /// 117,659 WordNet 3.0 glosses (the definitions of synsets) with two tasks on the same text, "part of
    /// speech" (4 classes) and "supersense" (45 lexicographer files). Labels are parsed at once; the texts are
    /// decoded only when read. WordNet 3.0 licence, Princeton University.
    /// </summary>
    public static WordNetGlosses LoadWordNetGlosses() => WordNetGlosses.Load();

    /// <summary>
    /// Fashion-MNIST: grey 28×28 pictures of clothing in 10 classes; the first 12,000 items of the published training
    /// part or the first 2,000 of its test part. Zalando Research (Xiao, Rasul and Vollgraf 2017), MIT licence.
    /// </summary>
    public static FashionMnist LoadFashionMnist(FashionMnistPart part) => FashionMnist.LoadShipped(part);

    /// <summary>
    /// Multi-Fashion (Lin et al. 2019): two shipped Fashion-MNIST items of <paramref name="part"/> overlaid in one 36×36
    /// picture, tasks "left" and "right" (10 classes each); 12,000 training or 2,000 test pictures, paired by
    /// <paramref name="seed"/> (<see cref="MultiFashion.Build"/>).
    /// </summary>
    public static MultiFashion LoadMultiFashion(FashionMnistPart part, ulong seed = 0) => MultiFashion.Build(FashionMnist.LoadShipped(part), seed);

    private static MtlTensor<double> CopyColumns(MtlTensor<double> source, int first, int count)
    {
        int n = source.Dim(0), width = source.Dim(1);
        var all = source.CpuStorage.Data;
        var result = new double[n * count];
        for (int i = 0; i < n; i++)
            Array.Copy(all, i * width + first, result, i * count, count);
        return MtlTensor.FromArray(result, n, count);
    }

    private static int ToLabel(string resource, int lineNumber, double value)
    {
        int label = (int)value;
        if (label != value || label < 0)
            throw EmbeddedData.Bad(resource, lineNumber, $"label {value} is not a class index");
        return label;
    }

    private static double[] ReadSpaceSeparated(string resource, int columns, bool header, out int rows, out string[] names)
    {
        var lines = EmbeddedData.ReadLines(resource);
        int first = header ? 1 : 0;
        names = header ? lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        if (header && names.Length != columns)
            throw EmbeddedData.Bad(resource, 1, $"{names.Length} column names where {columns} were expected");
        rows = lines.Length - first;
        var data = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            EmbeddedData.ParseRow(resource, first + i + 1, lines[first + i], ' ', data.AsSpan(i * columns, columns));
        return data;
    }

    /// <summary>The UCI tables as scikit-learn ships them: a header "n_samples,n_features,class names...", then rows of features with the class index last.</summary>
    private sealed record UciTable(MtlTensor<double> Features, int[] Labels, string[] ClassNames)
    {
        public static UciTable Read(string resource)
        {
            var lines = EmbeddedData.ReadLines(resource);
            var header = lines[0].Split(',');
            if (header.Length < 3 || !int.TryParse(header[0], out int n) || !int.TryParse(header[1], out int f) || n != lines.Length - 1)
                throw EmbeddedData.Bad(resource, 1, $"header '{lines[0]}' is not 'n_samples,n_features,class names...' for {lines.Length - 1} rows");
            var features = new double[n * f];
            var labels = new int[n];
            var row = new double[f + 1];
            for (int i = 0; i < n; i++)
            {
                EmbeddedData.ParseRow(resource, i + 2, lines[i + 1], ',', row);
                row.AsSpan(0, f).CopyTo(features.AsSpan(i * f, f));
                labels[i] = ToLabel(resource, i + 2, row[f]);
            }
            return new UciTable(MtlTensor.FromArray(features, n, f), labels, header[2..]);
        }
    }
}
