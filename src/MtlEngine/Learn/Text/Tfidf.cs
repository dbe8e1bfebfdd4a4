using System.Globalization;
using MtlEngine.Data;
using MtlEngine.Learn.Sparse;

namespace MtlEngine.Learn.Text;

/// <summary>How each row of a TF-IDF matrix is normalized (scikit-learn's <c>norm</c>).</summary>
public enum TfidfNorm
{
    /// <summary>Unit Euclidean norm: x / ‖x‖₂ (the default; cosine similarity becomes a dot product).</summary>
    L2,
    /// <summary>Unit sum of absolute values: x / ‖x‖₁.</summary>
    L1,
    /// <summary>No normalization.</summary>
    None,
}

/// <summary>
/// Reweights a count matrix by inverse document frequency, exactly as scikit-learn 1.2's <c>TfidfTransformer</c>:
/// <code>
/// idf(t) = ln((1 + n) / (1 + df(t))) + 1      (SmoothIdf; without it ln(n / df(t)) + 1)
/// tf     = count, or 1 + ln(count)             (SublinearTf)
/// x[d,t] = tf[d,t] · idf(t), then each row scaled to unit l2 (or l1) norm
/// </code>
/// with n the number of documents and df(t) the number of documents holding t. The "+1" keeps terms found in every
/// document; smoothing acts as if one extra document held every term once, so no idf divides by zero.
/// </summary>
/// <param name="Norm">Row normalization (default l2).</param>
/// <param name="UseIdf">Multiply by idf (default true); false leaves tf (normalized).</param>
/// <param name="SmoothIdf">Add one to n and to every df (default true).</param>
/// <param name="SublinearTf">Replace a count c by 1 + ln c (default false).</param>
public sealed record TfidfTransformer(TfidfNorm Norm = TfidfNorm.L2, bool UseIdf = true, bool SmoothIdf = true, bool SublinearTf = false)
{
    /// <summary>Learns idf from a count matrix of shape (n_documents, n_terms).</summary>
    public TfidfTransformerModel Fit(CsrMatrix counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        // df(t): the stored entries of column t (scikit-learn's _document_frequency, a bincount of the indices).
        var df = new int[counts.Columns];
        foreach (int j in counts.Indices) df[j]++;
        return new TfidfTransformerModel(this, UseIdf ? InverseDocumentFrequency(df, counts.Rows, SmoothIdf) : null);
    }

    /// <summary>Learns idf and returns the TF-IDF matrix of <paramref name="counts"/>.</summary>
    public CsrMatrix FitTransform(CsrMatrix counts) => Fit(counts).Transform(counts);

    internal static double[] InverseDocumentFrequency(ReadOnlySpan<int> df, int documents, bool smooth)
    {
        int s = smooth ? 1 : 0;
        var idf = new double[df.Length];
        for (int j = 0; j < idf.Length; j++) idf[j] = Math.Log((double)(documents + s) / (df[j] + s)) + 1;
        return idf;
    }
}

/// <summary>A fitted <see cref="TfidfTransformer"/>: the idf weights (scikit-learn's <c>idf_</c>) and the transform.</summary>
public sealed class TfidfTransformerModel
{
    private readonly double[]? _idf;

    internal TfidfTransformerModel(TfidfTransformer options, double[]? idf)
    {
        Options = options;
        _idf = idf;
    }

    /// <summary>The options it was fitted with.</summary>
    public TfidfTransformer Options { get; }

    /// <summary>idf(t) per feature (a copy), or null when <see cref="TfidfTransformer.UseIdf"/> is false.</summary>
    public double[]? IdfWeights => (double[]?)_idf?.Clone();

    /// <summary>The TF-IDF matrix of a count matrix with the fitted number of columns.</summary>
    /// <exception cref="LearnInputException">When the number of columns differs from the fitted one.</exception>
    public CsrMatrix Transform(CsrMatrix counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var values = counts.Values.ToArray();
        TransformInPlace(counts, values);
        return new CsrMatrix(counts.Rows, counts.Columns, counts.IndPtr.ToArray(), counts.Indices.ToArray(), values);
    }

    internal void TransformInPlace(CsrMatrix counts, double[] values)
    {
        if (_idf is not null && counts.Columns != _idf.Length)
            throw new LearnInputException($"The count matrix has {counts.Columns} columns but the transformer was fitted on {_idf.Length}; use the vocabulary it was fitted with.");
        var indices = counts.Indices;
        if (Options.SublinearTf)
            for (int k = 0; k < values.Length; k++) values[k] = Math.Log(values[k]) + 1;
        if (_idf is not null)
            for (int k = 0; k < values.Length; k++) values[k] *= _idf[indices[k]];
        if (Options.Norm != TfidfNorm.None) NormalizeRows(counts.IndPtr, values, Options.Norm);
    }

    // scikit-learn's inplace_csr_row_normalize_l2 / _l1: rows whose norm is 0 are left alone.
    private static void NormalizeRows(ReadOnlySpan<int> indPtr, double[] values, TfidfNorm norm)
    {
        for (int i = 0; i + 1 < indPtr.Length; i++)
        {
            var row = values.AsSpan(indPtr[i], indPtr[i + 1] - indPtr[i]);
            double sum = 0;
            if (norm == TfidfNorm.L2)
            {
                foreach (double x in row) sum += x * x;
                if (sum == 0) continue;
                sum = Math.Sqrt(sum);
            }
            else
            {
                foreach (double x in row) sum += Math.Abs(x);
                if (sum == 0) continue;
            }
            for (int k = 0; k < row.Length; k++) row[k] /= sum;
        }
    }
}

/// <summary>
/// Documents → TF-IDF features, exactly as scikit-learn 1.2's <c>TfidfVectorizer</c>: a <see cref="CountVectorizer"/>
/// followed by a <see cref="TfidfTransformer"/> (see both for the formulas). The output is a CSR matrix of shape
/// (n_documents, n_terms) with sorted column indices, ready for sparse estimators.
/// </summary>
/// <example><code>
/// var tfidf = new TfidfVectorizer { MinDf = 2, SublinearTf = true };
/// CsrMatrix x = tfidf.FitTransform(trainTexts, out var model);
/// CsrMatrix xTest = model.Transform(testTexts);
/// double idfOfCat = model.IdfWeights![model.Vocabulary["cat"]];
/// </code></example>
public sealed record TfidfVectorizer : TextVectorizerOptions
{
    /// <summary>Row normalization (default l2).</summary>
    public TfidfNorm Norm { get; init; } = TfidfNorm.L2;

    /// <summary>Weight by inverse document frequency (default true).</summary>
    public bool UseIdf { get; init; } = true;

    /// <summary>Smooth idf as if one extra document held every term (default true).</summary>
    public bool SmoothIdf { get; init; } = true;

    /// <summary>Use 1 + ln(count) instead of the count (default false).</summary>
    public bool SublinearTf { get; init; }

    /// <summary>The TF-IDF step of these options.</summary>
    public TfidfTransformer Transformer => new(Norm, UseIdf, SmoothIdf, SublinearTf);

    /// <summary>Learns the vocabulary and idf of <paramref name="documents"/>.</summary>
    /// <exception cref="LearnInputException">When a document is null, no document has any feature, or pruning leaves no term.</exception>
    public TfidfVectorizerModel Fit(IEnumerable<string> documents)
    {
        FitTransform(documents, out var model);
        return model;
    }

    /// <summary>Learns the vocabulary and idf, and returns the TF-IDF matrix of shape (n_documents, n_terms).</summary>
    /// <exception cref="LearnInputException">When a document is null, no document has any feature, or pruning leaves no term.</exception>
    public CsrMatrix FitTransform(IEnumerable<string> documents) => FitTransform(documents, out _);

    /// <summary>Learns the vocabulary and idf, returns the TF-IDF matrix and the fitted model (for <see cref="TfidfVectorizerModel.Transform"/>).</summary>
    /// <exception cref="LearnInputException">When a document is null, no document has any feature, or pruning leaves no term.</exception>
    public CsrMatrix FitTransform(IEnumerable<string> documents, out TfidfVectorizerModel model)
    {
        var fit = VocabularyFit.Run(this, documents);
        var counts = fit.Counts;
        var transformer = Transformer;
        var idf = UseIdf ? TfidfTransformer.InverseDocumentFrequency(fit.DocumentFrequency, counts.Rows, SmoothIdf) : null;
        var tfidf = new TfidfTransformerModel(transformer, idf);
        model = new TfidfVectorizerModel(this, new CountVectorizerModel(this, fit.Vocabulary, fit.FeatureNames, fit.PrunedTerms), tfidf);
        // The count matrix is ours alone: reweight its values in place.
        var values = counts.Values.ToArray();
        tfidf.TransformInPlace(counts, values);
        return new CsrMatrix(counts.Rows, counts.Columns, counts.IndPtr.ToArray(), counts.Indices.ToArray(), values);
    }
}

/// <summary>
/// A fitted <see cref="TfidfVectorizer"/>: vocabulary, idf weights and the transform. Saved as a model file of kind
/// "tfidf_vectorizer" (<see cref="Save"/>).
/// </summary>
public sealed class TfidfVectorizerModel
{
    /// <summary>The model kind in the file's metadata.</summary>
    public const string Kind = "tfidf_vectorizer";

    internal TfidfVectorizerModel(TfidfVectorizer options, CountVectorizerModel counts, TfidfTransformerModel tfidf)
    {
        Options = options;
        Counts = counts;
        Tfidf = tfidf;
    }

    /// <summary>The options it was fitted with.</summary>
    public TfidfVectorizer Options { get; }

    /// <summary>The counting step (vocabulary, pruned terms, analyzer).</summary>
    public CountVectorizerModel Counts { get; }

    /// <summary>The reweighting step (idf).</summary>
    public TfidfTransformerModel Tfidf { get; }

    /// <summary>Term → feature index (scikit-learn's <c>vocabulary_</c>).</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => Counts.Vocabulary;

    /// <summary>The terms in feature order, sorted by code point (scikit-learn's <c>get_feature_names_out()</c>).</summary>
    public IReadOnlyList<string> FeatureNames => Counts.FeatureNames;

    /// <summary>The number of features (terms).</summary>
    public int FeatureCount => Counts.FeatureCount;

    /// <summary>idf(t) per feature (a copy; scikit-learn's <c>idf_</c>), or null when UseIdf is false.</summary>
    public double[]? IdfWeights => Tfidf.IdfWeights;

    /// <summary>The TF-IDF matrix of <paramref name="documents"/>, of shape (n_documents, n_terms); unknown terms are ignored.</summary>
    /// <exception cref="LearnInputException">When a document is null.</exception>
    public CsrMatrix Transform(IEnumerable<string> documents) => Tfidf.Transform(Counts.Transform(documents));

    /// <summary>
    /// Writes the vectorizer as safetensors (kind "tfidf_vectorizer"): the vocabulary and options as
    /// <see cref="CountVectorizerModel.Save"/> writes them, plus <c>idf_</c> (float64, n_terms; absent when UseIdf is false)
    /// and the metadata norm ("l2", "l1" or "none"), use_idf, smooth_idf, sublinear_tf.
    /// </summary>
    public void Save(string path)
    {
        var tensors = new List<NdArray>(VectorizerFile.VocabularyTensors(FeatureNames));
        if (IdfWeights is double[] idf) tensors.Add(NdArray.Create("idf_", idf, idf.Length));
        var metadata = VectorizerFile.OptionsMetadata(Options);
        metadata["norm"] = Options.Norm switch { TfidfNorm.L2 => "l2", TfidfNorm.L1 => "l1", _ => "none" };
        metadata["use_idf"] = ModelFileArrays.Text(Options.UseIdf);
        metadata["smooth_idf"] = ModelFileArrays.Text(Options.SmoothIdf);
        metadata["sublinear_tf"] = ModelFileArrays.Text(Options.SublinearTf);
        ModelFile.Write(path, Kind, tensors, metadata);
    }

    /// <summary>Reads a vectorizer written by <see cref="Save"/>; it transforms exactly as the saved one.</summary>
    /// <exception cref="DataFormatException">When the file is not a "tfidf_vectorizer" model or its vocabulary, idf or options are invalid.</exception>
    public static TfidfVectorizerModel Load(string path)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors(VectorizerFile.Names, VectorizerFile.Offsets, "idf_");
        string normText = file.Text("norm");
        var norm = normText switch
        {
            "l2" => TfidfNorm.L2,
            "l1" => TfidfNorm.L1,
            "none" => TfidfNorm.None,
            _ => throw new DataFormatException(path, $"the '{Kind}' model's norm is '{normText}'; expected l2, l1 or none"),
        };
        var options = VectorizerFile.ReadOptions(file, new TfidfVectorizer
        {
            Norm = norm,
            UseIdf = file.Flag("use_idf"),
            SmoothIdf = file.Flag("smooth_idf"),
            SublinearTf = file.Flag("sublinear_tf"),
        });
        var (names, vocabulary) = VectorizerFile.ReadVocabulary(file);
        double[]? idf = null;
        if (options.UseIdf)
        {
            idf = file.Vector("idf_", names.Length);
            for (int j = 0; j < idf.Length; j++)
                if (!double.IsFinite(idf[j]))
                    throw new DataFormatException(path, $"the '{Kind}' model's idf_[{j.ToString(CultureInfo.InvariantCulture)}] is {idf[j].ToString(CultureInfo.InvariantCulture)}; idf weights are finite");
        }
        return new TfidfVectorizerModel(options, new CountVectorizerModel(options, vocabulary, names, []), new TfidfTransformerModel(options.Transformer, idf));
    }
}
