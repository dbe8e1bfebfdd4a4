using MtlEngine.Data;
using MtlEngine.Learn.Sparse;

namespace MtlEngine.Learn.Text;

/// <summary>
/// The options that <see cref="CountVectorizer"/> and <see cref="TfidfVectorizer"/> share, with scikit-learn 1.2's
/// defaults: how a document becomes features (<see cref="TextAnalyzer"/>) and which features are kept.
/// </summary>
public abstract record TextVectorizerOptions
{
    private readonly int? _maxFeatures;

    /// <summary>Lowercase before tokenizing (default true).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Tokens to drop before forming n-grams (default none); see <see cref="TextAnalyzer.StopWords"/>.</summary>
    public IReadOnlySet<string>? StopWords { get; init; }

    /// <summary>(min_n, max_n) word n-gram lengths (default (1, 1)).</summary>
    public (int Min, int Max) NGramRange { get; init; } = (1, 1);

    /// <summary>A .NET regex replacing the default Python-exact token pattern <c>(?u)\b\w\w+\b</c> (default null).</summary>
    public string? TokenPattern { get; init; }

    /// <summary>Drop terms found in fewer documents than this (an int: documents; a double: fraction of documents). Default 1.</summary>
    public DocumentFrequency MinDf { get; init; } = 1;

    /// <summary>Drop terms found in more documents than this (an int: documents; a double: fraction). Default 1.0 (keep all).</summary>
    public DocumentFrequency MaxDf { get; init; } = 1.0;

    /// <summary>Keep only the this many terms of highest corpus frequency (after MinDf/MaxDf), or all when null (default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When set to a value below 1.</exception>
    public int? MaxFeatures
    {
        get => _maxFeatures;
        init
        {
            if (value is < 1)
                throw new ArgumentOutOfRangeException(nameof(MaxFeatures), value, "MaxFeatures must be a positive number of terms, or null for all.");
            _maxFeatures = value;
        }
    }

    /// <summary>Record presence (1) instead of counts (default false).</summary>
    public bool Binary { get; init; }

    /// <summary>The analyzer these options describe.</summary>
    public TextAnalyzer BuildAnalyzer() => new()
    {
        Lowercase = Lowercase,
        StopWords = StopWords,
        NGramRange = NGramRange,
        TokenPattern = TokenPattern,
    };
}

/// <summary>
/// Turns documents into term counts, exactly as scikit-learn 1.2's <c>CountVectorizer</c>: the vocabulary is every
/// feature of the training documents (see <see cref="TextAnalyzer"/>), pruned by document frequency
/// (<c>min_df ≤ df ≤ max_df</c>) and then to the <c>max_features</c> most frequent, and sorted by code point; feature j is
/// the j-th term of that order. Row i of the output holds count(term j in document i) (or 1 when <c>Binary</c>).
/// </summary>
/// <example><code>
/// var counts = new CountVectorizer { NGramRange = (1, 2), MinDf = 2 };
/// CsrMatrix x = counts.FitTransform(trainTexts, out var model);
/// CsrMatrix xTest = model.Transform(testTexts);   // words unseen in training are ignored
/// </code></example>
public sealed record CountVectorizer : TextVectorizerOptions
{
    /// <summary>Learns the vocabulary of <paramref name="documents"/>.</summary>
    /// <exception cref="LearnInputException">When a document is null, no document has any feature, or pruning leaves no term.</exception>
    public CountVectorizerModel Fit(IEnumerable<string> documents)
    {
        FitTransform(documents, out var model);
        return model;
    }

    /// <summary>Learns the vocabulary and returns the count matrix of shape (n_documents, n_terms).</summary>
    /// <exception cref="LearnInputException">When a document is null, no document has any feature, or pruning leaves no term.</exception>
    public CsrMatrix FitTransform(IEnumerable<string> documents) => FitTransform(documents, out _);

    /// <summary>Learns the vocabulary, returns the count matrix and the fitted model (for <see cref="CountVectorizerModel.Transform"/>).</summary>
    /// <exception cref="LearnInputException">When a document is null, no document has any feature, or pruning leaves no term.</exception>
    public CsrMatrix FitTransform(IEnumerable<string> documents, out CountVectorizerModel model)
    {
        var fit = VocabularyFit.Run(this, documents);
        model = new CountVectorizerModel(this, fit.Vocabulary, fit.FeatureNames, fit.PrunedTerms);
        return fit.Counts;
    }
}

/// <summary>
/// A fitted <see cref="CountVectorizer"/>: its vocabulary (scikit-learn's <c>vocabulary_</c>) and the transform. Saved as a
/// model file of kind "count_vectorizer" (<see cref="Save"/>).
/// </summary>
public sealed class CountVectorizerModel
{
    /// <summary>The model kind in the file's metadata.</summary>
    public const string Kind = "count_vectorizer";

    private readonly Dictionary<string, int> _vocabulary;
    private readonly string[] _featureNames;
    private readonly TextAnalyzer _analyzer;
    private readonly Lazy<HashSet<string>> _prunedTerms;

    internal CountVectorizerModel(TextVectorizerOptions options, Dictionary<string, int> vocabulary, string[] featureNames, List<string> prunedTerms)
    {
        Options = options;
        _vocabulary = vocabulary;
        _featureNames = featureNames;
        _prunedTerms = new Lazy<HashSet<string>>(() => new HashSet<string>(prunedTerms, StringComparer.Ordinal));
        _analyzer = options.BuildAnalyzer();
    }

    /// <summary>The options it was fitted with.</summary>
    public TextVectorizerOptions Options { get; }

    /// <summary>Term → feature index (scikit-learn's <c>vocabulary_</c>).</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocabulary;

    /// <summary>The terms in feature order, sorted by code point (scikit-learn's <c>get_feature_names_out()</c>).</summary>
    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>The number of features (terms).</summary>
    public int FeatureCount => _featureNames.Length;

    /// <summary>Terms seen in training but dropped by MinDf, MaxDf or MaxFeatures (scikit-learn's <c>stop_words_</c>; built on first use).</summary>
    public IReadOnlySet<string> PrunedTerms => _prunedTerms.Value;

    /// <summary>The analyzer that turns a document into features.</summary>
    public TextAnalyzer Analyzer => _analyzer;

    /// <summary>The count matrix of <paramref name="documents"/> over this vocabulary, of shape (n_documents, n_terms); unknown terms are ignored.</summary>
    /// <exception cref="LearnInputException">When a document is null.</exception>
    public CsrMatrix Transform(IEnumerable<string> documents) => VocabularyFit.Transform(_analyzer, _vocabulary, Options.Binary, documents);

    /// <summary>
    /// Writes the vectorizer as safetensors (kind "count_vectorizer"): the vocabulary as the tensors
    /// <c>feature_names_utf8</c> (uint8) and <c>feature_names_offsets</c> (int64) and the options as metadata (see the
    /// remarks). <see cref="PrunedTerms"/> is not stored (it does not change the transform). Only a
    /// <see cref="CountVectorizer"/>'s model is saved this way; a TF-IDF one is saved with <see cref="TfidfVectorizerModel.Save"/>.
    /// </summary>
    /// <remarks>
    /// The vocabulary in Python: <c>names = [bytes(b[o[j]:o[j+1]]).decode() for j in range(len(o) - 1)]</c> with
    /// b = feature_names_utf8 and o = feature_names_offsets; feature j is names[j]. Metadata: lowercase, stop_words (a JSON
    /// list or "none"), ngram_range ("min,max"), token_pattern (when not the default), min_df and max_df (a fraction with a
    /// decimal point, a document count without), max_features (a number or "none"), binary.
    /// </remarks>
    /// <exception cref="InvalidOperationException">When the model belongs to a <see cref="TfidfVectorizer"/>.</exception>
    public void Save(string path)
    {
        if (Options is not CountVectorizer)
            throw new InvalidOperationException("This counting step belongs to a TfidfVectorizer model; save that model (TfidfVectorizerModel.Save) so its idf is kept.");
        ModelFile.Write(path, Kind, VectorizerFile.VocabularyTensors(_featureNames), VectorizerFile.OptionsMetadata(Options));
    }

    /// <summary>Reads a vectorizer written by <see cref="Save"/>; it transforms exactly as the saved one.</summary>
    /// <exception cref="DataFormatException">When the file is not a "count_vectorizer" model or its vocabulary or options are invalid.</exception>
    public static CountVectorizerModel Load(string path)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors(VectorizerFile.Names, VectorizerFile.Offsets);
        var options = VectorizerFile.ReadOptions(file, new CountVectorizer());
        var (names, vocabulary) = VectorizerFile.ReadVocabulary(file);
        return new CountVectorizerModel(options, vocabulary, names, []);
    }
}

/// <summary>The counting pass shared by the vectorizers: vocabulary, document frequencies, pruning, the CSR matrix.</summary>
internal static class VocabularyFit
{
    public sealed record Result(CsrMatrix Counts, Dictionary<string, int> Vocabulary, string[] FeatureNames, List<string> PrunedTerms, int[] DocumentFrequency);

    public static Result Run(TextVectorizerOptions options, IEnumerable<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var analyzer = options.BuildAnalyzer();
        var workspace = new AnalyzerWorkspace();

        // 1. One pass over the documents: ids in order of first appearance, per-row (id, count) pairs.
        var terms = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = terms.GetAlternateLookup<ReadOnlySpan<char>>();
        var names = new List<string>();
        // Presized when the number of documents is known (fewer large-object reallocations, fewer full GCs).
        int expected = documents.TryGetNonEnumeratedCount(out int known) ? known : 1024;
        var rowPtr = new List<int>(expected + 1) { 0 };
        var ids = new GrowingArray<int>(8 * expected);
        var counts = new GrowingArray<int>(8 * expected);
        int[] docCount = new int[1024];
        int[] df = new int[1024];
        long[] tf = new long[1024];
        var touched = new List<int>();
        int n = 0;
        foreach (var document in documents)
        {
            Analyze(analyzer, document, n, workspace);
            for (int f = 0; f < workspace.FeatureCount; f++)
            {
                var feature = workspace.Feature(f);
                if (!lookup.TryGetValue(feature, out int id))
                {
                    id = names.Count;
                    string name = feature.ToString();
                    terms.Add(name, id);
                    names.Add(name);
                    if (id == docCount.Length)
                    {
                        Array.Resize(ref docCount, 2 * id);
                        Array.Resize(ref df, 2 * id);
                        Array.Resize(ref tf, 2 * id);
                    }
                }
                if (docCount[id]++ == 0) touched.Add(id);
            }
            foreach (int id in touched)
            {
                ids.Add(id);
                counts.Add(docCount[id]);
                df[id]++;
                tf[id] += docCount[id];
                docCount[id] = 0;
            }
            touched.Clear();
            rowPtr.Add(ids.Count);
            n++;
        }
        int v = names.Count;
        if (v == 0)
            throw new LearnInputException($"Empty vocabulary: none of the {n} documents yields a feature (the default tokens are runs of two or more word characters); perhaps they hold only stop words or punctuation.");

        if (options.Binary)
            for (int i = 0; i < v; i++) tf[i] = df[i];

        // 2. Prune by document frequency: min_df ≤ df ≤ max_df. The order does not matter yet, so the (often many)
        //    rare terms are dropped before sorting.
        double high = options.MaxDf.Documents(n), low = options.MinDf.Documents(n);
        if (high < low)
            throw new LearnInputException($"MaxDf = {options.MaxDf} ({high} documents) is below MinDf = {options.MinDf} ({low} documents) for {n} documents; raise MaxDf or lower MinDf.");
        var finalIndex = new int[v];
        var pruned = new List<string>();
        var candidates = new List<int>();
        for (int id = 0; id < v; id++)
        {
            if (df[id] <= high && df[id] >= low) candidates.Add(id);
            else
            {
                finalIndex[id] = -1;
                pruned.Add(names[id]);
            }
        }

        // 3. Sort the remaining terms by code point (scikit-learn sorts before choosing the max_features most frequent,
        //    and that choice breaks ties by position). Without surrogate pairs, code-point order is ordinal order.
        var order = candidates.ToArray();
        var sortedNames = new string[order.Length];
        bool astral = false;
        for (int c = 0; c < order.Length; c++)
        {
            sortedNames[c] = names[order[c]];
            astral |= sortedNames[c].AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;
        }
        Array.Sort(sortedNames, order, astral ? PythonText.CodePointOrder : StringComparer.Ordinal);
        var keep = new bool[order.Length];
        Array.Fill(keep, true);
        int kept = order.Length;
        if (options.MaxFeatures is int limit && kept > limit)
        {
            // The limit largest corpus frequencies: NumPy's argsort of −tf over the sorted terms.
            var negativeTf = new double[kept];
            for (int s = 0; s < kept; s++) negativeTf[s] = -(double)tf[order[s]];
            var ranking = NumpyArgsort.Argsort(negativeTf);
            Array.Clear(keep);
            for (int r = 0; r < limit; r++) keep[ranking[r]] = true;
            kept = limit;
        }
        if (kept == 0)
            throw new LearnInputException($"After pruning, no terms remain (MinDf = {options.MinDf}, MaxDf = {options.MaxDf}, {n} documents); try a lower MinDf or a higher MaxDf.");

        var featureNames = new string[kept];
        var vocabulary = new Dictionary<string, int>(kept, StringComparer.Ordinal);
        var featureDf = new int[kept];
        for (int s = 0, j = 0; s < order.Length; s++)
        {
            int id = order[s];
            if (keep[s])
            {
                finalIndex[id] = j;
                featureNames[j] = sortedNames[s];
                featureDf[j] = df[id];
                vocabulary.Add(sortedNames[s], j);
                j++;
            }
            else
            {
                finalIndex[id] = -1;
                pruned.Add(sortedNames[s]);
            }
        }

        // 4. The CSR matrix with final, sorted column indices.
        var indPtr = new int[n + 1];
        var indices = new int[ids.Count];
        var values = new double[ids.Count];
        int nnz = 0;
        for (int i = 0; i < n; i++)
        {
            int rowStart = nnz;
            for (int k = rowPtr[i]; k < rowPtr[i + 1]; k++)
            {
                int j = finalIndex[ids[k]];
                if (j < 0) continue;
                indices[nnz] = j;
                values[nnz++] = options.Binary ? 1.0 : counts[k];
            }
            Array.Sort(indices, values, rowStart, nnz - rowStart);
            indPtr[i + 1] = nnz;
        }
        if (nnz < indices.Length)
        {
            Array.Resize(ref indices, nnz);
            Array.Resize(ref values, nnz);
        }
        var matrix = new CsrMatrix(n, kept, indPtr, indices, values);
        return new Result(matrix, vocabulary, featureNames, pruned, featureDf);
    }

    /// <summary>Runs the analyzer on document <paramref name="n"/> into <paramref name="workspace"/>, refusing a null one.</summary>
    private static void Analyze(TextAnalyzer analyzer, string? document, int n, AnalyzerWorkspace workspace)
    {
        if (document is null)
            throw new LearnInputException($"Document {n} is null; pass a string for every document (\"\" for an empty one).");
        analyzer.Run(document, workspace);
    }

    public static CsrMatrix Transform(TextAnalyzer analyzer, Dictionary<string, int> vocabulary, bool binary, IEnumerable<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var workspace = new AnalyzerWorkspace();
        var docCount = new int[vocabulary.Count];
        var touched = new List<int>();
        var indPtr = new List<int> { 0 };
        var indices = new GrowingArray<int>(1024);
        var values = new GrowingArray<double>(1024);
        int n = 0;
        foreach (var document in documents)
        {
            Analyze(analyzer, document, n, workspace);
            for (int f = 0; f < workspace.FeatureCount; f++)
                if (lookup.TryGetValue(workspace.Feature(f), out int j) && docCount[j]++ == 0) touched.Add(j);
            touched.Sort();
            foreach (int j in touched)
            {
                indices.Add(j);
                values.Add(binary ? 1.0 : docCount[j]);
                docCount[j] = 0;
            }
            touched.Clear();
            indPtr.Add(indices.Count);
            n++;
        }
        return new CsrMatrix(n, vocabulary.Count, [.. indPtr], indices.ToArray(), values.ToArray());
    }
}

/// <summary>An append-only array (a List without the bounds checks of the indexer's setter).</summary>
internal sealed class GrowingArray<T>(int capacity)
{
    private T[] _items = new T[Math.Max(capacity, 4)];

    public int Count { get; private set; }

    public T this[int i] => _items[i];

    public void Add(T item)
    {
        if (Count == _items.Length) Array.Resize(ref _items, 2 * _items.Length);
        _items[Count++] = item;
    }

    public T[] ToArray() => _items.AsSpan(0, Count).ToArray();
}
