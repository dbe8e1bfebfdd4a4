using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MtlEngine.Data;
using MtlEngine.Learn.Text;
using MtlEngine.Nn;

namespace MtlEngine.Cli.Train;

/// <summary>
/// One input's values as read from its file, before preprocessing: numbers (n × features, NaN = missing; a row that is NaN
/// everywhere = the input is missing for that sample), pictures (n × C × H × W, scaled to [0, 1] when stored as uint8; a
/// picture that is NaN everywhere is missing) or texts (n strings; an empty line or cell is a missing text). A missing input
/// becomes a 0 in its presence mask.
/// </summary>
internal sealed class RawInput
{
    public required InputSpec Spec { get; init; }
    public float[]? Values { get; init; }
    public int[] SampleShape { get; init; } = [];
    public string[]? Texts { get; init; }
    public int Rows => Texts?.Length ?? (Values!.Length / Math.Max(1, SampleShape.Aggregate(1, (a, b) => a * b)));
}

/// <summary>One task's labels as read from its file: class indices (−1 = missing) or values (n × outputs, NaN = missing).</summary>
internal sealed class RawTask
{
    public required TaskSpecEntry Spec { get; init; }
    public int[]? Labels { get; init; }
    public float[]? Values { get; init; }
    public int Outputs { get; init; }
    public int Rows => Labels?.Length ?? Values!.Length / Outputs;
    public TaskKind Kind => Spec.Type switch { "category" => TaskKind.Classification, "binary" => TaskKind.Binary, _ => TaskKind.Regression };
}

/// <summary>
/// What turns an input's raw values into the model's input, learned on the training rows only and saved in the model file:
/// standardization for numbers (mean and standard deviation per feature; a missing value becomes the mean, a sample whose
/// every value is missing misses the input), the vocabulary
/// for texts (tokens of at least two word characters, lowercased, as scikit-learn's; kept when they occur in at least
/// min_count training samples), nothing for pictures.
/// </summary>
internal sealed class InputPreprocessing
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public int[] SampleShape { get; init; } = [];
    public float[] Mean { get; init; } = [];
    public float[] Scale { get; init; } = [];
    public string[] Vocabulary { get; init; } = [];
    public int MaxTokens { get; init; }

    /// <summary>The smooth idf of each vocabulary token over the training rows (as kept: at most MaxTokens), for the tfidf-mlp encoder; empty otherwise.</summary>
    public double[] Idf { get; init; } = [];

    private static readonly TextAnalyzer Analyzer = new();

    public static InputPreprocessing Fit(RawInput input, int[] trainRows)
    {
        var spec = input.Spec;
        if (spec.Type == "text")
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (int row in trainRows)
                foreach (string token in Analyzer.Tokenize(input.Texts![row]).Distinct())
                    counts[token] = counts.GetValueOrDefault(token) + 1;
            var vocabulary = counts.Where(c => c.Value >= spec.Encoder.MinCount).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => c.Key).ToArray();
            var fitted = new InputPreprocessing { Name = spec.Name, Type = spec.Type, Vocabulary = vocabulary, MaxTokens = spec.Encoder.MaxTokens };
            if (spec.Encoder.Type != "tfidf-mlp" || vocabulary.Length == 0) return fitted;
            var (ids, longest, _) = fitted.TokenIds(input.Texts!, trainRows);
            return new InputPreprocessing
            {
                Name = spec.Name, Type = spec.Type, Vocabulary = vocabulary, MaxTokens = spec.Encoder.MaxTokens,
                Idf = MultiModal.TfidfMlpEncoder<float>.FitIdf(Tensors.MtlTensor.FromArray(ids, trainRows.Length, longest), vocabulary.Length),
            };
        }
        if (spec.Type == "image") return new InputPreprocessing { Name = spec.Name, Type = spec.Type, SampleShape = input.SampleShape };
        var (mean, scale) = ColumnStatistics(input.Values!, input.SampleShape[0], trainRows);
        return new InputPreprocessing { Name = spec.Name, Type = spec.Type, SampleShape = input.SampleShape, Mean = mean, Scale = scale };
    }

    /// <summary>
    /// The mean and standard deviation (population) of each column of the row-major (n, columns) <paramref name="values"/>
    /// over <paramref name="rows"/>, NaN skipped, by Welford's update; a column without spread (or without values) gets scale 1.
    /// </summary>
    public static (float[] Mean, float[] Scale) ColumnStatistics(float[] values, int columns, int[] rows)
    {
        var mean = new double[columns];
        var square = new double[columns];
        var count = new int[columns];
        foreach (int row in rows)
            for (int j = 0; j < columns; j++)
            {
                float v = values[row * columns + j];
                if (float.IsNaN(v)) continue;
                count[j]++;
                double delta = v - mean[j];
                mean[j] += delta / count[j];
                square[j] += delta * (v - mean[j]);
            }
        var scale = new float[columns];
        for (int j = 0; j < columns; j++)
        {
            double std = count[j] > 0 ? Math.Sqrt(square[j] / count[j]) : 0;
            scale[j] = std > 1e-12 ? (float)std : 1f;
        }
        return (mean.Select(m => (float)m).ToArray(), scale);
    }

    /// <summary>Adds the preprocessed input to the data set, with its presence mask.</summary>
    public void AddTo(MultiTaskDataset<float> data, RawInput input)
    {
        int n = input.Rows;
        if (Type == "text")
        {
            var (ids, longest, present) = TokenIds(input.Texts!, Enumerable.Range(0, n).ToArray());
            data.AddIndexInput(Name, ids, [n, longest], present);
            return;
        }
        if (!input.SampleShape.SequenceEqual(SampleShape))
            throw new UsageException($"{input.Spec.Path}: input \"{Name}\" has samples of shape ({string.Join(", ", input.SampleShape)}), but the model was trained on ({string.Join(", ", SampleShape)})");
        var values = (float[])input.Values!.Clone();
        int length = SampleShape.Aggregate(1, (a, b) => a * b);
        var missing = new bool[n]; // a sample whose values are all NaN misses this input
        for (int i = 0; i < n; i++) missing[i] = length > 0 && AllNaN(values.AsSpan(i * length, length));
        if (Type == "numeric")
        {
            int d = SampleShape[0];
            for (int i = 0; i < values.Length; i++)
            {
                int j = i % d;
                values[i] = float.IsNaN(values[i]) ? 0f : (values[i] - Mean[j]) / Scale[j];
            }
        }
        else
            for (int i = 0; i < values.Length; i++)
                if (float.IsNaN(values[i])) values[i] = 0f; // only whole missing pictures hold NaN (ReadImages refuses the rest)
        data.AddInput(Name, values, [n, .. SampleShape], missing.Any(m => m) ? missing.Select(m => !m).ToArray() : null);
    }

    /// <summary>The token ids of the texts of <paramref name="rows"/> as a (rows, longest) matrix, −1 after each text's last token (at most MaxTokens), and whether each text is present (not empty).</summary>
    private (int[] Ids, int Longest, bool[] Present) TokenIds(string[] texts, int[] rows)
    {
        var index = Vocabulary.Select((token, i) => (token, i)).ToDictionary(p => p.token, p => p.i, StringComparer.Ordinal);
        int n = rows.Length;
        var tokens = new List<int>[n];
        var present = new bool[n];
        int longest = 1;
        for (int i = 0; i < n; i++)
        {
            string text = texts[rows[i]];
            present[i] = text.Length > 0;
            tokens[i] = Analyzer.Tokenize(text).Where(index.ContainsKey).Select(t => index[t]).Take(MaxTokens).ToList();
            longest = Math.Max(longest, tokens[i].Count);
        }
        var ids = new int[n * longest];
        Array.Fill(ids, -1);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < tokens[i].Count; j++) ids[i * longest + j] = tokens[i][j];
        return (ids, longest, present);
    }

    /// <summary>Whether every value is NaN (a sample that misses the input).</summary>
    public static bool AllNaN<TValue>(ReadOnlySpan<TValue> values) where TValue : System.Numerics.IFloatingPointIeee754<TValue>
    {
        foreach (var v in values)
            if (!TValue.IsNaN(v)) return false;
        return true;
    }

    public JsonObject ToJson() => new()
    {
        ["type"] = Type,
        ["sample_shape"] = new JsonArray(SampleShape.Select(s => (JsonNode)s).ToArray()),
        ["mean"] = new JsonArray(Mean.Select(m => (JsonNode)m).ToArray()),
        ["scale"] = new JsonArray(Scale.Select(m => (JsonNode)m).ToArray()),
        ["vocabulary"] = new JsonArray(Vocabulary.Select(v => (JsonNode)v).ToArray()),
        ["max_tokens"] = MaxTokens,
        ["idf"] = new JsonArray(Idf.Select(v => (JsonNode)v).ToArray()),
    };

    public static InputPreprocessing FromJson(string name, JsonObject o) => new()
    {
        Name = name,
        Type = o["type"]!.GetValue<string>(),
        SampleShape = o["sample_shape"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
        Mean = o["mean"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
        Scale = o["scale"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
        Vocabulary = o["vocabulary"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray(),
        MaxTokens = o["max_tokens"]!.GetValue<int>(),
        Idf = o["idf"]?.AsArray().Select(v => v!.GetValue<double>()).ToArray() ?? [],
    };
}

/// <summary>Reads the files a spec names and checks them against each other (row counts, label ranges, shapes).</summary>
internal static class TrainFiles
{
    /// <summary>An input's raw values from <paramref name="path"/> (the spec's file, or another file at prediction time).</summary>
    public static RawInput ReadInput(InputSpec spec, string path, string where)
    {
        try
        {
            return spec.Type switch
            {
                "text" => new RawInput { Spec = spec, Texts = ReadTexts(path, spec.Column, where) },
                "image" => ReadImages(spec, path, where),
                _ => ReadNumeric(spec, path, where),
            };
        }
        catch (DataFormatException e)
        {
            throw new SpecException(where, e.Message);
        }
    }

    /// <summary>A task's labels from its file.</summary>
    public static RawTask ReadTask(TaskSpecEntry spec)
    {
        string where = spec.JsonPath + ".path";
        NdArray array;
        try
        {
            array = ReadArray(spec.Path, spec.Column, where);
        }
        catch (DataFormatException e)
        {
            throw new SpecException(where, e.Message);
        }
        if (array.Rank is not (1 or 2)) throw new SpecException(where, $"{Name(spec.Path)} has shape {Shape(array)}; labels need (n,) or (n, outputs)");
        var values = array.ToDoubleArray();
        int outputs = array.Rank == 1 ? 1 : array.Shape[1];
        int rows = array.Shape[0];
        switch (spec.Type)
        {
            case "category":
            {
                if (outputs != 1) throw new SpecException(where, $"{Name(spec.Path)} has shape {Shape(array)}; a category task needs one label per sample (n,)");
                var labels = new int[rows];
                for (int i = 0; i < rows; i++)
                {
                    double v = values[i];
                    if (v != Math.Floor(v) || v < -1 || v > 1_000_000)
                        throw new SpecException(where, $"{Name(spec.Path)}[{i}] is {Text(v)}; category labels are integers 0..k−1, or −1 for a missing label");
                    labels[i] = (int)v;
                }
                if (labels.All(l => l < 0)) throw new SpecException(where, $"{Name(spec.Path)} has no label (every value is −1)");
                return new RawTask { Spec = spec, Labels = labels, Outputs = labels.Max() + 1 };
            }
            case "binary":
            {
                var result = new float[values.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    double v = values[i];
                    if (v is not (0 or 1 or -1) && !double.IsNaN(v))
                        throw new SpecException(where, $"{Name(spec.Path)}[{i / outputs}] is {Text(v)}; binary labels are 0 or 1, or −1 (or NaN) for a missing label");
                    result[i] = v is 0 or 1 ? (float)v : float.NaN;
                }
                return new RawTask { Spec = spec, Values = result, Outputs = outputs };
            }
            default:
            {
                var result = new float[values.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    if (double.IsInfinity(values[i])) throw new SpecException(where, $"{Name(spec.Path)}[{i / outputs}] is {Text(values[i])}; numeric targets must be finite (NaN marks a missing value)");
                    result[i] = (float)values[i];
                }
                return new RawTask { Spec = spec, Values = result, Outputs = outputs };
            }
        }
    }

    /// <summary>The rows a .npy of row indices names (the held-out test rows, <c>split.test</c>, or the validation rows, <c>split.validation</c>), in order.</summary>
    /// <param name="path">The .npy file: a 1-d array of distinct integer row indices.</param>
    /// <param name="rows">The data's row count.</param>
    /// <param name="where">The spec key that named the file, for the error messages.</param>
    public static int[] ReadRowIndices(string path, int rows, string where)
    {
        NdArray array;
        try
        {
            array = Npy.Read(path);
        }
        catch (DataFormatException e)
        {
            throw new SpecException(where, e.Message);
        }
        if (array.Rank != 1 || array.DType is not (DType.Int32 or DType.Int64 or DType.UInt8))
            throw new SpecException(where, $"{Name(path)} must be a 1-d array of integer row indices, but it is {DTypes.NumpyName(array.DType)} of shape {Shape(array)}");
        var values = array.ToDoubleArray();
        var seen = new HashSet<int>();
        foreach (double v in values)
        {
            if (v < 0 || v >= rows) throw new SpecException(where, $"{Name(path)} holds row {Text(v)}, outside the data's {rows} rows");
            if (!seen.Add((int)v)) throw new SpecException(where, $"{Name(path)} holds row {Text(v)} twice");
        }
        if (seen.Count >= rows) throw new SpecException(where, $"{Name(path)} holds every row; leave some rows for training");
        return seen.Order().ToArray();
    }

    private static RawInput ReadNumeric(InputSpec spec, string path, string where)
    {
        var array = ReadArray(path, spec.Column, where);
        if (array.Rank is not (1 or 2)) throw new SpecException(where, $"{Name(path)} has shape {Shape(array)}; a numeric input needs (n,) or (n, features)");
        var values = array.ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
            if (double.IsInfinity(values[i]))
                throw new SpecException(where, $"{Name(path)} holds {Text(values[i])} at flat index {i}; numeric inputs must be finite (NaN marks a missing value)");
        return new RawInput { Spec = spec, Values = values.Select(v => (float)v).ToArray(), SampleShape = [array.Rank == 1 ? 1 : array.Shape[1]] };
    }

    private static RawInput ReadImages(InputSpec spec, string path, string where)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) throw new SpecException(where, $"{Name(path)}: pictures are read from .npy files");
        var array = Npy.Read(path);
        if (array.Rank is not (3 or 4) || array.Rank == 4 && array.Shape[3] is < 1 or > 4)
            throw new SpecException(where, $"{Name(path)} has shape {Shape(array)}; pictures need (n, H, W) or (n, H, W, C) with C ≤ 4, as NumPy stores them");
        if (array.DType == DType.Bool) throw new SpecException(where, $"{Name(path)} is boolean; store pictures as uint8 or float");
        int n = array.Shape[0], h = array.Shape[1], w = array.Shape[2], c = array.Rank == 4 ? array.Shape[3] : 1;
        var source = array.ToDoubleArray();
        double scale = array.DType == DType.UInt8 ? 1.0 / 255 : 1.0;
        var values = new float[source.Length];
        int size = h * w * c;
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int k = 0; k < c; k++)
                    {
                        double v = source[((i * h + y) * w + x) * c + k];
                        if (!double.IsFinite(v) && !(double.IsNaN(v) && InputPreprocessing.AllNaN(source.AsSpan(i * size, size))))
                            throw new SpecException(where, $"{Name(path)}[{i}, {y}, {x}] is {Text(v)}; pixel values must be finite (a picture that is NaN everywhere marks a missing picture)");
                        values[((i * c + k) * h + y) * w + x] = (float)(v * scale); // HWC → CHW
                    }
        return new RawInput { Spec = spec, Values = values, SampleShape = [c, h, w] };
    }

    /// <summary>One text per line (.txt), or one column of a tab-separated (.tsv) or comma-separated (.csv) file with a header.</summary>
    private static string[] ReadTexts(string path, string? column, string where)
    {
        string[] lines;
        try
        {
            Data.InputFile.CheckRegular(path);
            lines = File.ReadAllLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException)
        {
            throw new SpecException(where, $"{Name(path)} is not valid UTF-8");
        }
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".tsv" or ".csv")) return column is null ? lines : throw new SpecException(where.Replace(".path", ".column"), "a column is read from a .tsv or .csv file only");
        char separator = extension == ".tsv" ? '\t' : ',';
        if (lines.Length == 0) throw new SpecException(where, $"{Name(path)} is empty; it needs a header row");
        var header = lines[0].Split(separator);
        int index = ColumnIndex(header, column, path, where);
        var texts = new string[lines.Length - 1];
        for (int i = 1; i < lines.Length; i++)
        {
            var fields = lines[i].Split(separator);
            if (fields.Length != header.Length)
                throw new SpecException(where, $"{Name(path)} line {i + 1} has {fields.Length} fields but the header has {header.Length}");
            texts[i - 1] = fields[index];
        }
        return texts;
    }

    private static int ColumnIndex(string[] header, string? column, string path, string where)
    {
        if (column is null)
        {
            if (header.Length == 1) return 0;
            throw new SpecException(where.Replace(".path", ".column"), $"{Name(path)} has {header.Length} columns ({Join(header)}); name the one to read");
        }
        int index = Array.IndexOf(header, column);
        if (index < 0 && int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < header.Length) index = i;
        if (index < 0) throw new SpecException(where.Replace(".path", ".column"), $"{Name(path)} has no column \"{TrainSpec.Escape(column)}\"; its columns are {Join(header)}");
        return index;
    }

    /// <summary>A numeric .npy, or a numeric .csv (with or without a header), optionally one column of it.</summary>
    private static NdArray ReadArray(string path, string? column, string where)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".npy")
        {
            if (column is not null) throw new SpecException(where.Replace(".path", ".column"), "a column is read from a .csv file only");
            var array = Npy.Read(path);
            if (array.DType == DType.Bool) throw new SpecException(where, $"{Name(path)} is boolean; store numbers");
            return array;
        }
        if (extension != ".csv") throw new SpecException(where, $"{Name(path)}: numeric data is read from .npy or .csv files");
        var table = Csv.Read(path);
        if (column is null) return table.Array;
        int index = table.ColumnNames is { } names ? names.ToList().IndexOf(column) : -1;
        if (index < 0 && int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < table.Array.Shape[1]) index = i;
        if (index < 0)
            throw new SpecException(where.Replace(".path", ".column"), $"{Name(path)} has no column \"{TrainSpec.Escape(column)}\"" +
                (table.ColumnNames is null ? "" : $"; its columns are {Join(table.ColumnNames)}"));
        var all = table.Array.ToDoubleArray();
        int columns = table.Array.Shape[1], rows = table.Array.Shape[0];
        var picked = new double[rows];
        for (int r = 0; r < rows; r++) picked[r] = all[r * columns + index];
        return NdArray.Create(column, picked, rows);
    }

    private static string Join(IEnumerable<string> names) => string.Join(", ", names.Select(n => TrainSpec.Escape(n)));

    public static string Name(string path) => TrainSpec.Escape(Path.GetFileName(path));

    private static string Shape(NdArray a) => "(" + string.Join(", ", a.Shape.ToArray()) + (a.Rank == 1 ? ",)" : ")");

    private static string Text(double v) => double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);
}
