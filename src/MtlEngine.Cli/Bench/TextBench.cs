using System.Globalization;
using MtlEngine.Datasets;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench text</c>: times TF-IDF feature extraction on the shipped WordNet glosses (117,659 documents, decoded
/// before timing) and prints one key=value line per workload — <c>name=tfidf_wordnet</c> (TfidfVectorizer with
/// min_df=2, sublinear_tf, words) and <c>name=tfidf_wordnet_bigrams</c> (min_df=2, ngram_range=(1, 2)) — with the
/// median fit_transform seconds, the vocabulary size and the stored entries. Single-threaded, as scikit-learn's.
/// benchmarks/peers/text_peer.py runs the same in scikit-learn.
/// </summary>
internal static class TextBench
{
    public static int Run(TextWriter output, int documents = 0)
    {
        string[] texts = ShippedDatasets.LoadWordNetGlosses().Texts();
        if (documents > 0) texts = texts[..Math.Min(documents, texts.Length)];
        Workload("tfidf_wordnet", new TfidfVectorizer { MinDf = 2, SublinearTf = true }, texts, output);
        Workload("tfidf_wordnet_bigrams", new TfidfVectorizer { MinDf = 2, NGramRange = (1, 2) }, texts, output);
        return 0;
    }

    private static void Workload(string name, TfidfVectorizer vectorizer, string[] texts, TextWriter output)
    {
        CsrMatrix? x = null;
        double seconds = BenchTiming.MedianSeconds(() => x = vectorizer.FitTransform(texts));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name={name} docs={texts.Length} seconds={seconds:G4} features={x!.Columns} nnz={x.NonZeros} threads=1"));
    }
}
