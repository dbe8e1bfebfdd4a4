using System.Text.RegularExpressions;

namespace MtlEngine.Learn.Text;

/// <summary>
/// scikit-learn's word analyzer (<c>CountVectorizer(analyzer="word").build_analyzer()</c>): a document becomes its list of
/// features in three steps,
/// <code>
/// 1. preprocess   doc.lower()                                   (when Lowercase)
/// 2. tokenize     re.findall(r"(?u)\b\w\w+\b", doc)             runs of ≥ 2 word characters
/// 3. n-grams      drop stop words, then every run of n consecutive tokens, min_n ≤ n ≤ max_n, joined by " "
/// </code>
/// Step 2 uses Python's meaning of <c>\w</c> (letters, all numbers, "_"; see <see cref="PythonText"/>), so the tokens
/// agree with scikit-learn's on any Unicode text, not only ASCII. Unigrams come first, then bigrams, and so on, each in
/// text order, as scikit-learn lists them.
/// </summary>
/// <example><code>
/// var analyzer = new TextAnalyzer { NGramRange = (1, 2), StopWords = new HashSet&lt;string&gt; { "the" } };
/// analyzer.Analyze("The cat sat.")   // ["cat", "sat", "cat sat"]
/// </code></example>
public sealed record TextAnalyzer
{
    private readonly (int Min, int Max) _ngramRange = (1, 1);
    private readonly IReadOnlySet<string>? _stopWords;
    private readonly string? _tokenPattern;
    private readonly HashSet<string>? _stopSet;
    private readonly Regex? _regex;

    /// <summary>Lowercase the text before tokenizing, as Python's <c>str.lower()</c> (default true).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>
    /// Tokens removed before the n-grams are formed (compared after lowercasing, exactly as given; scikit-learn's
    /// <c>stop_words</c> as a list). Null (the default) removes nothing.
    /// </summary>
    public IReadOnlySet<string>? StopWords
    {
        get => _stopWords;
        init
        {
            _stopWords = value;
            _stopSet = value is null ? null : new HashSet<string>(value, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// (min_n, max_n): the lengths of the word n-grams to produce, scikit-learn's <c>ngram_range</c> (default (1, 1):
    /// words only; (1, 2): words and pairs of consecutive words).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When min_n &lt; 1 or max_n &lt; min_n.</exception>
    public (int Min, int Max) NGramRange
    {
        get => _ngramRange;
        init
        {
            if (value.Min < 1 || value.Max < value.Min)
                throw new ArgumentOutOfRangeException(nameof(NGramRange), value,
                    $"NGramRange {value} is invalid: it needs 1 ≤ min_n ≤ max_n, for example (1, 1) or (1, 2).");
            _ngramRange = value;
        }
    }

    /// <summary>
    /// A .NET regular expression that replaces scikit-learn's default token pattern <c>(?u)\b\w\w+\b</c> (null, the
    /// default, uses the built-in Python-exact tokenizer). As in scikit-learn, when the pattern has one capturing group
    /// the group is the token. Note that .NET's <c>\w</c> is not Python's (see <see cref="PythonText"/>).
    /// </summary>
    /// <exception cref="ArgumentException">When the pattern does not compile or has more than one capturing group.</exception>
    public string? TokenPattern
    {
        get => _tokenPattern;
        init
        {
            _tokenPattern = value;
            if (value is null)
            {
                _regex = null;
                return;
            }
            Regex regex;
            try { regex = new Regex(value, RegexOptions.CultureInvariant); }
            catch (ArgumentException e) { throw new ArgumentException($"TokenPattern '{value}' is not a valid regular expression: {e.Message}", nameof(TokenPattern), e); }
            if (regex.GetGroupNumbers().Length > 2)
                throw new ArgumentException($"TokenPattern '{value}' has more than one capturing group; use at most one (its text is the token) or (?:...) groups.", nameof(TokenPattern));
            _regex = regex;
        }
    }

    /// <summary>The features of one document, in scikit-learn's order (unigrams first, then bigrams, ...).</summary>
    public List<string> Analyze(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var workspace = new AnalyzerWorkspace();
        Run(document, workspace);
        var features = new List<string>(workspace.FeatureCount);
        for (int f = 0; f < workspace.FeatureCount; f++) features.Add(workspace.Feature(f).ToString());
        return features;
    }

    /// <summary>The tokens of one document (steps 1 and 2, before stop words and n-grams).</summary>
    public List<string> Tokenize(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var workspace = new AnalyzerWorkspace();
        Tokenize(document, workspace);
        var tokens = new List<string>(workspace.TokenCount);
        for (int t = 0; t < workspace.TokenCount; t++) tokens.Add(workspace.Token(t).ToString());
        return tokens;
    }

    /// <summary>Analyzes <paramref name="document"/> into <paramref name="w"/>'s feature list (no allocation once the buffers are grown).</summary>
    internal void Run(string document, AnalyzerWorkspace w)
    {
        Tokenize(document, w);
        if (_stopSet is not null) RemoveStopWords(w);
        w.FeatureCount = 0;
        w.GramLength = 0;
        var (minN, maxN) = _ngramRange;
        if (minN == 1)
            for (int t = 0; t < w.TokenCount; t++) w.AddFeature(w.TokenStart[t], w.TokenLength[t], inText: true);
        for (int n = Math.Max(minN, 2); n <= Math.Min(maxN, w.TokenCount); n++)
        {
            for (int i = 0; i + n <= w.TokenCount; i++)
            {
                int start = w.GramLength;
                for (int k = 0; k < n; k++)
                {
                    if (k > 0) w.AppendGram(' ');
                    w.AppendGram(w.Token(i + k));
                }
                w.AddFeature(start, w.GramLength - start, inText: false);
            }
        }
    }

    private void Tokenize(string document, AnalyzerWorkspace w)
    {
        if (Lowercase)
            w.TextLength = PythonText.Lower(document, ref w.Text);
        else
        {
            if (w.Text.Length < document.Length) w.Text = new char[Math.Max(document.Length, 2 * w.Text.Length)];
            document.CopyTo(0, w.Text, 0, document.Length);
            w.TextLength = document.Length;
        }
        w.TokenCount = 0;
        ReadOnlySpan<char> text = w.Text.AsSpan(0, w.TextLength);
        if (_regex is not null)
        {
            TokenizeRegex(_regex, w);
            return;
        }
        // Runs of word characters of at least two code points: exactly the matches of \b\w\w+\b.
        for (int i = 0; i < text.Length;)
        {
            int width = 1;
            char c = text[i];
            if (c < 128 ? !PythonText.IsAsciiWord(c) : !PythonText.IsWord(PythonText.CodePointAt(text, i, out width)))
            {
                i += width;
                continue;
            }
            int start = i, codePoints = 0;
            while (true)
            {
                i += width;
                codePoints++;
                if (i >= text.Length) break;
                c = text[i];
                width = 1;
                if (c < 128 ? !PythonText.IsAsciiWord(c) : !PythonText.IsWord(PythonText.CodePointAt(text, i, out width))) break;
            }
            if (codePoints >= 2) w.AddToken(start, i - start);
        }
    }

    private static void TokenizeRegex(Regex regex, AnalyzerWorkspace w)
    {
        string text = new(w.Text, 0, w.TextLength);
        if (regex.GetGroupNumbers().Length == 2)
        {
            foreach (Match m in regex.Matches(text))
                if (m.Groups[1].Success) w.AddToken(m.Groups[1].Index, m.Groups[1].Length);
            return;
        }
        foreach (var m in regex.EnumerateMatches(text)) w.AddToken(m.Index, m.Length);
    }

    private void RemoveStopWords(AnalyzerWorkspace w)
    {
        var lookup = _stopSet!.GetAlternateLookup<ReadOnlySpan<char>>();
        int kept = 0;
        for (int t = 0; t < w.TokenCount; t++)
        {
            if (lookup.Contains(w.Token(t))) continue;
            w.TokenStart[kept] = w.TokenStart[t];
            w.TokenLength[kept] = w.TokenLength[t];
            kept++;
        }
        w.TokenCount = kept;
    }
}

/// <summary>Reusable buffers of one analysis: the lowercased text, token ranges into it, n-gram text, feature ranges.</summary>
internal sealed class AnalyzerWorkspace
{
    public char[] Text = new char[256];
    public int TextLength;
    public int[] TokenStart = new int[64], TokenLength = new int[64];
    public int TokenCount;
    public char[] Grams = new char[256];
    public int GramLength;
    private int[] _featureStart = new int[64], _featureLength = new int[64];
    private bool[] _featureInText = new bool[64];
    public int FeatureCount;

    public ReadOnlySpan<char> Token(int t) => Text.AsSpan(TokenStart[t], TokenLength[t]);

    public ReadOnlySpan<char> Feature(int f) =>
        _featureInText[f] ? Text.AsSpan(_featureStart[f], _featureLength[f]) : Grams.AsSpan(_featureStart[f], _featureLength[f]);

    public void AddToken(int start, int length)
    {
        if (TokenCount == TokenStart.Length)
        {
            Array.Resize(ref TokenStart, 2 * TokenCount);
            Array.Resize(ref TokenLength, 2 * TokenCount);
        }
        TokenStart[TokenCount] = start;
        TokenLength[TokenCount] = length;
        TokenCount++;
    }

    public void AddFeature(int start, int length, bool inText)
    {
        if (FeatureCount == _featureStart.Length)
        {
            Array.Resize(ref _featureStart, 2 * FeatureCount);
            Array.Resize(ref _featureLength, 2 * FeatureCount);
            Array.Resize(ref _featureInText, 2 * FeatureCount);
        }
        _featureStart[FeatureCount] = start;
        _featureLength[FeatureCount] = length;
        _featureInText[FeatureCount] = inText;
        FeatureCount++;
    }

    public void AppendGram(char c)
    {
        if (GramLength == Grams.Length) Array.Resize(ref Grams, 2 * Grams.Length);
        Grams[GramLength++] = c;
    }

    public void AppendGram(ReadOnlySpan<char> s)
    {
        if (GramLength + s.Length > Grams.Length) Array.Resize(ref Grams, Math.Max(2 * Grams.Length, GramLength + s.Length));
        s.CopyTo(Grams.AsSpan(GramLength));
        GramLength += s.Length;
    }
}
