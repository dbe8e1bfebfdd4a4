using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Metrics;

/// <summary>
/// Retrieval metrics of a set of queries, each with one right answer among the same candidates (the metrics of CLIP's
/// zero-shot retrieval, as open_clip's <c>get_clip_metrics</c> computes them). The candidates of query i are ranked by
/// descending score sᵢⱼ, ties by candidate index (a stable sort), and
/// <code>
///   rankᵢ = 1 + #{ j : sᵢⱼ &gt; sᵢₜ } + #{ j &lt; t : sᵢⱼ = sᵢₜ }      (t = the right answer of query i; 1 is best)
///   Recall@k = (1/n) Σᵢ [rankᵢ ≤ k]
///   median rank = ⌊median(rankᵢ)⌋      (the median of an even count averages the middle two; open_clip floors it)
///   mean rank = (1/n) Σᵢ rankᵢ
/// </code>
/// </summary>
public sealed class RetrievalMetrics
{
    private readonly int[] _ranks;

    private RetrievalMetrics(int[] ranks, int candidates)
    {
        _ranks = ranks;
        Candidates = candidates;
    }

    /// <summary>The rank (1 = first) of each query's right answer, one per query.</summary>
    public IReadOnlyList<int> Ranks => _ranks;

    /// <summary>The number of queries.</summary>
    public int Queries => _ranks.Length;

    /// <summary>The number of candidates each query ranks.</summary>
    public int Candidates { get; }

    /// <summary>Recall@1: the share of queries whose right answer is ranked first.</summary>
    public double RecallAt1 => RecallAt(1);

    /// <summary>Recall@5: the share of queries whose right answer is among the first 5.</summary>
    public double RecallAt5 => RecallAt(5);

    /// <summary>Recall@10: the share of queries whose right answer is among the first 10.</summary>
    public double RecallAt10 => RecallAt(10);

    /// <summary>⌊median rank⌋ (1 = perfect).</summary>
    public double MedianRank
    {
        get
        {
            var sorted = _ranks.Order().ToArray();
            int n = sorted.Length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
            return Math.Floor(median);
        }
    }

    /// <summary>The mean rank (1 = perfect; (candidates + 1)/2 by chance).</summary>
    public double MeanRank => _ranks.Average();

    /// <summary>Recall@k: the share of queries whose right answer is among the first <paramref name="k"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When k &lt; 1.</exception>
    public double RecallAt(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return _ranks.Count(r => r <= k) / (double)_ranks.Length;
    }

    /// <summary>Recall@k by chance (candidates ranked at random): min(k, candidates) / candidates.</summary>
    public static double ChanceRecallAt(int k, int candidates) => Math.Min(k, candidates) / (double)candidates;

    /// <summary>The metrics of <paramref name="scores"/> (queries × candidates, higher is better) with one right answer per query.</summary>
    /// <param name="scores">The scores, row-major of shape (queries, candidates).</param>
    /// <param name="queries">The number of queries (rows).</param>
    /// <param name="targets">The right candidate of each query, one per row.</param>
    /// <exception cref="MetricInputException">When the lengths do not fit, a target is not a candidate, or a score is NaN.</exception>
    public static RetrievalMetrics FromScores(ReadOnlySpan<double> scores, int queries, ReadOnlySpan<int> targets)
    {
        MetricInput.NotEmpty(queries, "scores");
        MetricInput.SameLength(queries, targets.Length, "the score rows", "targets");
        if (scores.Length % queries != 0 || scores.Length == 0)
            throw new MetricInputException($"{scores.Length} scores do not make {queries} rows of candidates; pass a (queries, candidates) matrix.");
        int candidates = scores.Length / queries;
        var ranks = new int[queries];
        for (int i = 0; i < queries; i++)
            ranks[i] = Rank(scores.Slice(i * candidates, candidates), targets[i], i);
        return new RetrievalMetrics(ranks, candidates);
    }

    /// <summary>The metrics of a (queries, candidates) score matrix with one right answer per query.</summary>
    /// <inheritdoc cref="FromScores(ReadOnlySpan{double}, int, ReadOnlySpan{int})"/>
    public static RetrievalMetrics FromScores<T>(MtlTensor<T> scores, ReadOnlySpan<int> targets) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 2)
            throw new MetricInputException($"Retrieval scores must be a (queries, candidates) matrix, but have shape {MtlTensor<T>.ShapeText(scores.Shape)}.");
        var values = scores.ToArray().Select(double.CreateChecked).ToArray();
        return FromScores(values, scores.Dim(0), targets);
    }

    /// <summary>
    /// Both directions of paired retrieval from a square similarity matrix S (n, n) whose right answers are its diagonal
    /// (row i of one modality with row i of the other): A → B ranks each row of S, B → A each column.
    /// </summary>
    /// <exception cref="MetricInputException">When S is not square.</exception>
    public static (RetrievalMetrics AToB, RetrievalMetrics BToA) Paired<T>(MtlTensor<T> similarity) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(similarity);
        if (similarity.Rank != 2 || similarity.Dim(0) != similarity.Dim(1))
            throw new MetricInputException($"Paired retrieval needs a square similarity matrix (n, n) with the pairs on its diagonal, but got {MtlTensor<T>.ShapeText(similarity.Shape)}.");
        var diagonal = Enumerable.Range(0, similarity.Dim(0)).ToArray();
        return (FromScores(similarity, diagonal), FromScores(similarity.Transpose(), diagonal));
    }

    /// <summary>
    /// Classification by the nearest class-name embedding (CLIP's zero-shot classifier): the class c of each row x of
    /// <paramref name="embeddings"/> that maximizes the cosine x·e_c / (‖x‖‖e_c‖), ties to the lower class.
    /// </summary>
    /// <param name="embeddings">The samples' embeddings, (n, d).</param>
    /// <param name="classEmbeddings">One embedding per class (of its name), (classes, d).</param>
    /// <returns>The class of each sample.</returns>
    /// <exception cref="MetricInputException">When the widths differ or there is no class.</exception>
    public static int[] NearestClass<T>(MtlTensor<T> embeddings, MtlTensor<T> classEmbeddings) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(classEmbeddings);
        if (embeddings.Rank != 2 || classEmbeddings.Rank != 2 || embeddings.Dim(1) != classEmbeddings.Dim(1) || classEmbeddings.Dim(0) == 0)
            throw new MetricInputException($"Nearest-class classification needs embeddings (n, d) and class embeddings (classes ≥ 1, d), but got {MtlTensor<T>.ShapeText(embeddings.Shape)} and {MtlTensor<T>.ShapeText(classEmbeddings.Shape)}.");
        using (Autograd.Grad.NoGrad())
        {
            var scores = UnitRows(embeddings.Detach()).Matmul(UnitRows(classEmbeddings.Detach()).Transpose());
            int n = scores.Dim(0), classes = scores.Dim(1);
            var values = scores.ToArray();
            var result = new int[n];
            for (int i = 0; i < n; i++)
            {
                var row = values.AsSpan(i * classes, classes);
                int best = 0;
                for (int c = 1; c < classes; c++)
                    if (row[c] > row[best]) best = c;
                result[i] = best;
            }
            return result;
        }
    }

    /// <summary>1 + the number of candidates scored above the target, + those tied with it at a lower index.</summary>
    private static int Rank(ReadOnlySpan<double> row, int target, int query)
    {
        if ((uint)target >= (uint)row.Length)
            throw new MetricInputException($"Query {query}'s right answer is candidate {target}, but there are {row.Length} candidates (0..{row.Length - 1}).");
        double s = row[target];
        int rank = 1;
        for (int j = 0; j < row.Length; j++)
        {
            if (double.IsNaN(row[j]))
                throw new MetricInputException($"Query {query} has a NaN score for candidate {j}; retrieval needs comparable scores.");
            if (row[j] > s || row[j] == s && j < target) rank++;
        }
        return rank;
    }

    /// <summary>
    /// Each row of x (n, d) divided by max(‖row‖₂, 1e-12): the cosine's unit vectors, the same normalization (and the
    /// same operations, so the same bits) as the contrastive loss's <c>F.normalize</c>, written here on the tensors'
    /// public API because metrics sit below the multi-modal layer.
    /// </summary>
    private static MtlTensor<T> UnitRows<T>(MtlTensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x / x.Norm(T.CreateChecked(2), -1, keepDims: true).Maximum(T.CreateChecked(1e-12));
}
