using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;

namespace MtlEngine.Tests.Learn.Text;

/// <summary>Tokenizer, CountVectorizer and TfidfVectorizer against scikit-learn 1.2 (Fixtures/Learn/make_text_fixtures.py).</summary>
public class TextVectorizerTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "text_fixtures.json"))).RootElement;

    private static readonly Lazy<string[]> Glosses = new(() => [.. ShippedDatasets.LoadWordNetGlosses().Glosses]);

    private static string[] Strings(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetString()!)];

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt32())];

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    private static DocumentFrequency Df(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object ? DocumentFrequency.Fraction(e.GetProperty("fraction").GetDouble()) : DocumentFrequency.Count(e.GetInt32());

    private static T Configure<T>(T v, JsonElement options) where T : TextVectorizerOptions
    {
        foreach (var p in options.EnumerateObject())
        {
            v = p.Name switch
            {
                "ngram_range" => v with { NGramRange = (p.Value[0].GetInt32(), p.Value[1].GetInt32()) },
                "stop_words" => v with { StopWords = Strings(p.Value).ToHashSet() },
                "lowercase" => v with { Lowercase = p.Value.GetBoolean() },
                "binary" => v with { Binary = p.Value.GetBoolean() },
                "min_df" => v with { MinDf = Df(p.Value) },
                "max_df" => v with { MaxDf = Df(p.Value) },
                "max_features" => v with { MaxFeatures = p.Value.GetInt32() },
                _ => v,
            };
        }
        return v;
    }

    private static TfidfVectorizer Tfidf(JsonElement options)
    {
        var v = Configure(new TfidfVectorizer(), options);
        foreach (var p in options.EnumerateObject())
        {
            v = p.Name switch
            {
                "norm" => v with { Norm = p.Value.ValueKind == JsonValueKind.Null ? TfidfNorm.None : p.Value.GetString() == "l1" ? TfidfNorm.L1 : TfidfNorm.L2 },
                "use_idf" => v with { UseIdf = p.Value.GetBoolean() },
                "smooth_idf" => v with { SmoothIdf = p.Value.GetBoolean() },
                "sublinear_tf" => v with { SublinearTf = p.Value.GetBoolean() },
                _ => v,
            };
        }
        return v;
    }

    /// <summary>Fits the case's vectorizer; returns the fitted matrix, the feature names, idf (or null) and the transform.</summary>
    private static (CsrMatrix X, IReadOnlyList<string> Names, double[]? Idf, IReadOnlySet<string> Pruned, Func<IEnumerable<string>, CsrMatrix> Transform) Fit(JsonElement c, IEnumerable<string> documents)
    {
        var options = c.GetProperty("options");
        if (c.GetProperty("kind").GetString() == "tfidf")
        {
            var x = Tfidf(options).FitTransform(documents, out var model);
            return (x, model.FeatureNames, model.IdfWeights, model.Counts.PrunedTerms, model.Transform);
        }
        var counts = Configure(new CountVectorizer(), options).FitTransform(documents, out var countModel);
        return (counts, countModel.FeatureNames, null, countModel.PrunedTerms, countModel.Transform);
    }

    private static void SameCsr(JsonElement expected, CsrMatrix actual, string what)
    {
        Assert.Equal(Ints(expected.GetProperty("indptr")), actual.IndPtr.ToArray());
        Assert.Equal(Ints(expected.GetProperty("indices")), actual.Indices.ToArray());
        LearnFixtures.Close(Doubles(expected.GetProperty("data")), actual.Values.ToArray(), 1e-12, what);
    }

    private static string Sha256(ReadOnlySpan<int> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), values[i]); // little-endian here
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    [Fact]
    public void Word_characters_are_Pythons_backslash_w_for_every_code_point()
    {
        var ranges = Root.GetProperty("word_ranges").EnumerateArray().Select(r => (Lo: r[0].GetInt32(), Hi: r[1].GetInt32())).ToArray();
        var unassigned = Root.GetProperty("unassigned_ranges").EnumerateArray().Select(r => (Lo: r[0].GetInt32(), Hi: r[1].GetInt32())).ToArray();
        var mismatches = new List<int>();
        int k = 0;
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and < 0xE000) continue;
            while (k < ranges.Length && ranges[k].Hi < cp) k++;
            bool python = k < ranges.Length && ranges[k].Lo <= cp;
            if (python != PythonText.IsWord(cp)) mismatches.Add(cp);
        }
        // Python 3.11 has Unicode 14; .NET has a later version, so only code points assigned since may differ (letters
        // and digits that Python still sees as unassigned).
        Assert.All(mismatches, cp => Assert.True(unassigned.Any(r => r.Lo <= cp && cp <= r.Hi), $"U+{cp:X4}: \\w differs from Python's"));
    }

    [Fact]
    public void Lowercase_is_Pythons_str_lower()
    {
        var mapped = new HashSet<int>();
        foreach (var pair in Root.GetProperty("lower_map").EnumerateArray())
        {
            int cp = pair[0].GetInt32();
            mapped.Add(cp);
            Assert.Equal(pair[1].GetString(), PythonText.Lower(char.ConvertFromUtf32(cp)));
        }
        // Every other code point of Unicode 14 lowers to itself (a few assigned since may have gained a mapping here).
        int changed = 0;
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and < 0xE000 || mapped.Contains(cp)) continue;
            string s = char.ConvertFromUtf32(cp);
            if (PythonText.Lower(s) != s) changed++;
        }
        Assert.True(changed < 64, $"{changed} code points lower here but not in Python");
        foreach (var pair in Root.GetProperty("lower_strings").EnumerateArray())
            Assert.Equal(pair[1].GetString(), PythonText.Lower(pair[0].GetString()!));
    }

    [Fact]
    public void Analyzer_matches_sklearn_build_analyzer_on_unicode_strings()
    {
        string[] documents = Strings(Root.GetProperty("small")[0].GetProperty("documents"));
        foreach (var c in Root.GetProperty("analyzer").EnumerateArray())
        {
            var analyzer = Configure(new CountVectorizer(), c.GetProperty("options")).BuildAnalyzer();
            var expected = c.GetProperty("features").EnumerateArray().ToArray();
            for (int d = 0; d < documents.Length; d++)
                Assert.Equal(Strings(expected[d]), analyzer.Analyze(documents[d]));
        }
    }

    [Fact]
    public void Analyzer_examples()
    {
        var analyzer = new TextAnalyzer { NGramRange = (1, 2), StopWords = new HashSet<string> { "the" } };
        Assert.Equal(["cat", "sat", "cat sat"], analyzer.Analyze("The cat sat."));
        Assert.Equal(["x²", "ⅻ²", "naïve"], new TextAnalyzer().Tokenize("X² Ⅻ² Ⅻ a NAÏVE")); // .NET's \w would drop ² and Ⅻ
        Assert.Equal(["ab", "cd"], new TextAnalyzer { TokenPattern = @"(\w\w)\d" }.Tokenize("ab1 cd2 e3"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextAnalyzer { NGramRange = (2, 1) });
        Assert.Throws<ArgumentException>(() => new TextAnalyzer { TokenPattern = "(a)(b)" });
    }

    [Fact]
    public void Vectorizers_match_sklearn_on_hand_made_strings()
    {
        foreach (var c in Root.GetProperty("small").EnumerateArray())
        {
            string what = c.GetProperty("kind").GetString() + " " + c.GetProperty("options").GetRawText();
            var (x, names, idf, pruned, transform) = Fit(c, Strings(c.GetProperty("documents")));
            Assert.Equal(Strings(c.GetProperty("feature_names")), names);
            Assert.Equal(Strings(c.GetProperty("pruned")), pruned.Order(PythonText.CodePointOrder));
            SameCsr(c, x, what);
            if (c.TryGetProperty("idf", out var expectedIdf))
                LearnFixtures.Close(Doubles(expectedIdf), idf!, 1e-13, what + " idf");
            else
                Assert.Null(idf);
            SameCsr(c.GetProperty("transform"), transform(Strings(c.GetProperty("transform_documents"))), what + " transform");
        }
    }

    [Fact]
    public void Numpy_argsort_port_breaks_ties_as_numpy()
    {
        foreach (var c in Root.GetProperty("argsort").EnumerateArray())
            Assert.Equal(Ints(c.GetProperty("order")), NumpyArgsort.Argsort(Doubles(c.GetProperty("keys"))));
    }

    [Fact]
    public void Numpy_heapsort_port_breaks_ties_as_numpy()
    {
        // The introsort's fallback past its depth limit, which the argsort fixtures do not reach: np.argsort(kind="heapsort")
        // runs the same aheapsort_ on the whole array (Fixtures/Learn/make_heapsort_fixtures.py).
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "heapsort_fixtures.json"))).RootElement;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            double[] keys = Doubles(c.GetProperty("keys"));
            int[] order = [-1, .. Enumerable.Range(0, keys.Length), -1];   // a guard on either side: only [1, n] is sorted
            NumpyArgsort.Heapsort(keys, order, 1, keys.Length);
            Assert.Equal([-1, .. Ints(c.GetProperty("order")), -1], order);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Vectorizers_match_sklearn_on_wordnet_glosses(int index)
    {
        var c = Root.GetProperty("wordnet")[index];
        string what = c.GetProperty("kind").GetString() + " " + c.GetProperty("options").GetRawText();
        string[] documents = Glosses.Value;
        if (c.GetProperty("limit").ValueKind == JsonValueKind.Number) documents = documents[..c.GetProperty("limit").GetInt32()];
        int split = c.GetProperty("split").ValueKind == JsonValueKind.Number ? c.GetProperty("split").GetInt32() : documents.Length;
        var (x, names, idf, pruned, transform) = Fit(c, documents.Take(split));
        Assert.Equal(c.GetProperty("feature_count").GetInt32(), names.Count);
        Assert.Equal(c.GetProperty("pruned_count").GetInt32(), pruned.Count);
        Assert.Equal(c.GetProperty("feature_names_sha256").GetString(),
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", names)))));
        if (c.TryGetProperty("feature_names", out var expectedNames)) Assert.Equal(Strings(expectedNames), names);
        if (c.TryGetProperty("idf_every_50", out var idfSample))
            LearnFixtures.Close(Doubles(idfSample), [.. idf!.Where((_, j) => j % 50 == 0)], 1e-13, what + " idf");
        Summary(c.GetProperty("fit"), x, what);
        if (c.TryGetProperty("transform", out var t))
            Summary(t, transform(documents.Skip(split)), what + " transform");
    }

    private static void Summary(JsonElement expected, CsrMatrix x, string what)
    {
        Assert.Equal(Ints(expected.GetProperty("shape")), new[] { x.Rows, x.Columns });
        Assert.Equal(expected.GetProperty("nnz").GetInt32(), x.NonZeros);
        Assert.Equal(expected.GetProperty("indptr_sha256").GetString(), Sha256(x.IndPtr));
        Assert.Equal(expected.GetProperty("indices_sha256").GetString(), Sha256(x.Indices));
        if (expected.TryGetProperty("data_int_sha256", out var dataSha))
            Assert.Equal(dataSha.GetString(), Sha256([.. x.Values.ToArray().Select(v => (int)v)]));
        double sum = 0, columnWeighted = 0, rowWeighted = 0;
        var columnSums = new double[x.Columns];
        for (int i = 0; i < x.Rows; i++)
        {
            var idx = x.RowIndices(i);
            var val = x.RowValues(i);
            for (int k = 0; k < idx.Length; k++)
            {
                sum += val[k];
                columnWeighted += val[k] * (idx[k] % 97 + 1);
                rowWeighted += val[k] * (i % 89 + 1);
                columnSums[idx[k]] += val[k];
            }
        }
        LearnFixtures.Close(expected.GetProperty("sum").GetDouble(), sum, 1e-12, what + " sum");
        LearnFixtures.Close(expected.GetProperty("sum_column_weighted").GetDouble(), columnWeighted, 1e-12, what + " column-weighted sum");
        LearnFixtures.Close(expected.GetProperty("sum_row_weighted").GetDouble(), rowWeighted, 1e-12, what + " row-weighted sum");
        LearnFixtures.Close(Doubles(expected.GetProperty("column_sums_every_50")), [.. columnSums.Where((_, j) => j % 50 == 0)], 1e-12, what + " column sums");
        if (expected.TryGetProperty("rows", out var rows))
        {
            foreach (var row in rows.EnumerateObject())
            {
                int i = int.Parse(row.Name, System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(Ints(row.Value.GetProperty("indices")), x.RowIndices(i).ToArray());
                LearnFixtures.Close(Doubles(row.Value.GetProperty("data")), x.RowValues(i).ToArray(), 1e-12, $"{what} row {i}");
            }
        }
    }

    [Fact]
    public void Errors_name_the_problem()
    {
        var e = Assert.Throws<LearnInputException>(() => new CountVectorizer().FitTransform(["a b", "!"]));
        Assert.Contains("Empty vocabulary", e.Message);
        e = Assert.Throws<LearnInputException>(() => new CountVectorizer { MinDf = 2 }.FitTransform(["cat dog", "bird", "fish"]));
        Assert.Contains("no terms remain", e.Message);
        e = Assert.Throws<LearnInputException>(() => new CountVectorizer { MinDf = 2, MaxDf = 1 }.FitTransform(["cat dog", "cat"]));
        Assert.Contains("MaxDf", e.Message);
        e = Assert.Throws<LearnInputException>(() => new TfidfVectorizer().FitTransform(["cat", null!]));
        Assert.Contains("Document 1 is null", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountVectorizer { MaxFeatures = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountVectorizer { MaxDf = 1.5 });
    }

    [Fact]
    public void Tfidf_equals_counts_then_transformer_and_unknown_words_are_ignored()
    {
        string[] train = ["the cat sat on the mat", "the dog sat", "a cat and a dog", "mat mat mat"];
        var vectorizer = new TfidfVectorizer { SublinearTf = true, NGramRange = (1, 2) };
        var x = vectorizer.FitTransform(train, out var model);
        var counts = new CountVectorizer { NGramRange = (1, 2) }.FitTransform(train);
        var twin = new TfidfTransformer(SublinearTf: true).FitTransform(counts);
        Assert.Equal(twin.IndPtr.ToArray(), x.IndPtr.ToArray());
        Assert.Equal(twin.Indices.ToArray(), x.Indices.ToArray());
        Assert.Equal(twin.Values.ToArray(), x.Values.ToArray());
        // Transform of the training documents is FitTransform; words never seen add nothing.
        var again = model.Transform([.. train.Select(d => d + " zebra unicorn")]);
        Assert.Equal(x.Values.ToArray(), again.Values.ToArray());
        Assert.Equal(0, model.Transform(["zebra"]).NonZeros);
        // Rows have unit l2 norm; idf(t) = ln((1 + n) / (1 + df)) + 1.
        for (int i = 0; i < x.Rows; i++)
            Assert.Equal(1.0, Math.Sqrt(x.RowValues(i).ToArray().Sum(v => v * v)), 12);
        Assert.Equal(Math.Log(5.0 / 3.0) + 1, model.IdfWeights![model.Vocabulary["cat"]], 14);
    }
}
