using System.Globalization;
using System.Text;
using System.Text.Json;
using MtlEngine.Data;

namespace MtlEngine.Learn.Text;

/// <summary>
/// The model file of the text vectorizers (<see cref="CountVectorizerModel.Save"/>, <see cref="TfidfVectorizerModel.Save"/>).
/// Safetensors holds numbers only, so the vocabulary is two tensors: <c>feature_names_utf8</c> (uint8), the terms in
/// feature order as UTF-8 one after another, and <c>feature_names_offsets</c> (int64, n_terms + 1), where term j is the bytes
/// [offsets[j], offsets[j + 1]). In Python:
/// <code>
/// names = [bytes(b[o[j]:o[j + 1]]).decode("utf-8") for j in range(len(o) - 1)];  vocabulary_ = {t: j for j, t in enumerate(names)}
/// </code>
/// The options are metadata under scikit-learn's parameter names: lowercase, stop_words (a JSON list, or "none"),
/// ngram_range ("1,2"), token_pattern (only when not the default), min_df and max_df (a fraction is always written with a
/// decimal point, "1.0", a document count without: "1", as in Python), max_features (a number or "none"), binary.
/// The terms pruned at fit time (<see cref="CountVectorizerModel.PrunedTerms"/>, scikit-learn's <c>stop_words_</c>) are not
/// stored: they do not affect the transform, and scikit-learn documents them as safe to drop before saving.
/// </summary>
internal static class VectorizerFile
{
    public const string Names = "feature_names_utf8";
    public const string Offsets = "feature_names_offsets";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The vocabulary tensors of <paramref name="featureNames"/>.</summary>
    public static NdArray[] VocabularyTensors(IReadOnlyList<string> featureNames)
    {
        var offsets = new long[featureNames.Count + 1];
        var bytes = new List<byte>();
        for (int j = 0; j < featureNames.Count; j++)
        {
            bytes.AddRange(StrictUtf8.GetBytes(featureNames[j]));
            offsets[j + 1] = bytes.Count;
        }
        return [NdArray.Create(Names, bytes.ToArray(), bytes.Count), NdArray.Create(Offsets, offsets, offsets.Length)];
    }

    /// <summary>The options shared by both vectorizers as metadata.</summary>
    public static Dictionary<string, string> OptionsMetadata(TextVectorizerOptions options)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["lowercase"] = ModelFileArrays.Text(options.Lowercase),
            ["stop_words"] = options.StopWords is null ? "none" : JsonSerializer.Serialize(options.StopWords.Order(StringComparer.Ordinal).ToArray()),
            ["ngram_range"] = $"{options.NGramRange.Min.ToString(CultureInfo.InvariantCulture)},{options.NGramRange.Max.ToString(CultureInfo.InvariantCulture)}",
            ["min_df"] = Frequency(options.MinDf),
            ["max_df"] = Frequency(options.MaxDf),
            ["max_features"] = options.MaxFeatures is int m ? ModelFileArrays.Text(m) : "none",
            ["binary"] = ModelFileArrays.Text(options.Binary),
        };
        if (options.TokenPattern is not null) metadata["token_pattern"] = options.TokenPattern;
        return metadata;
    }

    /// <summary>The terms in feature order, checked: valid UTF-8, offsets increasing from 0 to the byte count, no term twice.</summary>
    public static (string[] FeatureNames, Dictionary<string, int> Vocabulary) ReadVocabulary(ModelFileContents file)
    {
        var bytesTensor = file.Tensor(Names);
        if (bytesTensor.Rank != 1 || bytesTensor.Data is not byte[] bytes)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {Names} must be a uint8 vector (the terms' UTF-8 bytes)");
        var offsets = file.Integers(Offsets);
        if (offsets.Length < 2 || offsets[0] != 0 || offsets[^1] != bytes.Length)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {Offsets} must run from 0 to the {bytes.Length} bytes of {Names} with at least one term");
        var names = new string[offsets.Length - 1];
        var vocabulary = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (int j = 0; j < names.Length; j++)
        {
            if (offsets[j + 1] <= offsets[j])
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {Offsets} is not increasing at term {j} ({offsets[j]} then {offsets[j + 1]}); terms are not empty");
            if (offsets[j + 1] > bytes.Length)
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {Offsets}[{j + 1}] = {offsets[j + 1]} lies past the {bytes.Length} bytes of {Names}");
            try { names[j] = StrictUtf8.GetString(bytes, (int)offsets[j], (int)(offsets[j + 1] - offsets[j])); }
            catch (DecoderFallbackException)
            {
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's term {j} (bytes {offsets[j]} to {offsets[j + 1]} of {Names}) is not valid UTF-8");
            }
            if (!vocabulary.TryAdd(names[j], j))
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's vocabulary holds the term '{names[j]}' twice (features {vocabulary[names[j]]} and {j})");
        }
        return (names, vocabulary);
    }

    /// <summary><paramref name="options"/> with the shared options read from the metadata.</summary>
    public static T ReadOptions<T>(ModelFileContents file, T options) where T : TextVectorizerOptions
    {
        string ngram = file.Text("ngram_range");
        var parts = ngram.Split(',');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int min)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int max) || min < 1 || max < min)
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's ngram_range is '{ngram}'; expected 'min,max' with 1 ≤ min ≤ max");
        string stopText = file.Text("stop_words");
        HashSet<string>? stopWords = null;
        if (stopText != "none")
        {
            try { stopWords = new HashSet<string>(JsonSerializer.Deserialize<string[]>(stopText) ?? throw new JsonException("null"), StringComparer.Ordinal); }
            catch (JsonException)
            {
                throw new DataFormatException(file.Path, $"the '{file.Kind}' model's stop_words is not a JSON list of strings (or \"none\")");
            }
        }
        string maxFeatures = file.Text("max_features");
        try
        {
            var result = (T)(options with
            {
                Lowercase = file.Flag("lowercase"),
                StopWords = stopWords,
                NGramRange = (min, max),
                TokenPattern = file.Metadata.GetValueOrDefault("token_pattern"),
                MinDf = Frequency(file, "min_df"),
                MaxDf = Frequency(file, "max_df"),
                MaxFeatures = maxFeatures == "none" ? null : file.Integer("max_features", min: 1),
                Binary = file.Flag("binary"),
            });
            result.BuildAnalyzer(); // checks the token pattern
            return result;
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(file.Path, $"the '{file.Kind}' model's options are invalid: {e.Message}", e);
        }
    }

    /// <summary>A fraction always with a decimal point ("1.0"), a count without ("1"): the two mean different things.</summary>
    private static string Frequency(DocumentFrequency frequency)
    {
        if (!frequency.IsFraction) return frequency.ToString();
        string text = ModelFileArrays.Text(frequency.Value);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    private static DocumentFrequency Frequency(ModelFileContents file, string key)
    {
        string text = file.Text(key);
        bool fraction = text.Contains('.') || text.Contains('e') || text.Contains('E');
        if (fraction && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && value <= 1)
            return DocumentFrequency.Fraction(value);
        if (!fraction && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) && count >= 0)
            return DocumentFrequency.Count(count);
        throw new DataFormatException(file.Path, $"the '{file.Kind}' model's {key} is '{text}'; expected a document count (\"2\") or a fraction in [0, 1] (\"0.5\")");
    }
}
