using System.Numerics;
using MtlEngine.Learn.Sparse;
using MtlEngine.Learn.Text;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// TF-IDF → MLP over token ids (Salton and Buckley 1988 for the weighting; the classical text baseline of MultiBench): a
/// sample's (n, L) row of token ids (−1 = padding) becomes its TF-IDF vector as scikit-learn's <c>TfidfVectorizer</c> makes
/// it (raw counts × smooth idf, L2-normalized), which goes through Linear → ReLU per hidden width. The first layer reads
/// the sparse vector directly: its weight is held as a bag table (<c>input.weight</c>, shape (vocabulary, h₀), the transpose
/// of a Linear's weight, with the Linear's default U(±1/√vocabulary) initialization) plus <c>input_bias</c>, so a batch
/// costs (non-zeros × h₀), never (n × vocabulary). The idf is the buffer <c>idf</c>; the later layers are
/// <c>layers.0.weight</c>, ...
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class TfidfMlpEncoder<T> : InputEncoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly EmbeddingBag<T> _input;
    private readonly Sequential<T> _layers;

    /// <summary>Creates the layers with seeded weights.</summary>
    /// <param name="idf">The idf of each vocabulary entry (<see cref="FitIdf"/>); its length is the vocabulary size.</param>
    /// <param name="hidden">The hidden widths; the last is <see cref="OutputWidth"/>.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When there is no hidden width or the vocabulary is empty.</exception>
    public TfidfMlpEncoder(IReadOnlyList<double> idf, IReadOnlyList<int> hidden, TensorRandom random)
    {
        ArgumentNullException.ThrowIfNull(idf);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(random);
        if (hidden.Count == 0) throw new ArgumentException("A TF-IDF encoder needs at least one hidden width.", nameof(hidden));
        if (idf.Count == 0) throw new ArgumentException("A TF-IDF encoder needs a vocabulary of at least one token (an idf of length ≥ 1).", nameof(idf));
        int vocabulary = idf.Count;
        Idf = RegisterBuffer("idf", MtlTensor.FromArray(idf.Select(T.CreateChecked).ToArray(), vocabulary));
        _input = RegisterModule("input", new EmbeddingBag<T>(vocabulary, hidden[0], random, BagMode.Sum));
        T bound = T.One / T.Sqrt(T.CreateChecked(vocabulary));
        Init.Uniform(random, [vocabulary, hidden[0]], bound).CopyTo(_input.Weight.Detach());
        InputBias = RegisterParameter("input_bias", Init.Uniform(random, [hidden[0]], bound));
        _layers = RegisterModule("layers", Sequential<T>.Perceptron(hidden[0], [.. hidden.Skip(1)], random));
        OutputWidth = hidden[^1];
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <summary>The idf of each token (a buffer), shape (vocabulary,).</summary>
    public MtlTensor<T> Idf { get; }

    /// <summary>The first layer's weight as a table (vocabulary, h₀): row t is what token t adds per unit of TF-IDF.</summary>
    public MtlTensor<T> InputWeight => _input.Weight;

    /// <summary>The first layer's bias (h₀).</summary>
    public MtlTensor<T> InputBias { get; }

    /// <summary>
    /// The smooth idf of each of <paramref name="vocabulary"/> tokens over the documents <paramref name="ids"/> (n, L) (−1 =
    /// padding), as scikit-learn's: ln((1 + n)/(1 + df)) + 1, by <see cref="TfidfTransformer"/>.
    /// </summary>
    public static double[] FitIdf(MtlTensor<int> ids, int vocabulary)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var rows = SparseRows(ids, null);
        var counts = new CsrMatrix(ids.Shape[0], Math.Max(1, vocabulary), rows.Offsets, rows.Indices, rows.Values);
        return new TfidfTransformer().Fit(counts).IdfWeights!;
    }

    /// <summary>
    /// The TF-IDF rows of a (n, L) matrix of token ids as a sparse matrix: per sample its distinct tokens in increasing order
    /// (a CSR matrix's rows), their count × idf, divided by the row's L2 norm (raw counts when <paramref name="idf"/> is null).
    /// </summary>
    /// <returns>Indices and values of every row, concatenated; Offsets has n + 1 entries (row i spans [Offsets[i], Offsets[i + 1])).</returns>
    /// <exception cref="ArgumentException">When the ids are not (n, L) or an id is at least the vocabulary size.</exception>
    public static (int[] Indices, double[] Values, int[] Offsets) SparseRows(MtlTensor<int> ids, IReadOnlyList<double>? idf)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2) throw new ArgumentException($"TF-IDF takes (n, length) token ids, but got shape {MtlTensor<int>.ShapeText(ids.Shape)}.", nameof(ids));
        int n = ids.Shape[0], length = ids.Shape[1];
        var flat = ids.Contiguous().ToArray();
        var indices = new List<int>(flat.Length);
        var values = new List<double>(flat.Length);
        var offsets = new int[n + 1];
        var count = new SortedDictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            offsets[i] = indices.Count;
            count.Clear();
            for (int j = 0; j < length; j++)
            {
                int id = flat[i * length + j];
                if (id < 0) continue;
                if (idf is not null && id >= idf.Count)
                    throw new ArgumentException($"Token id {id} (sample {i}) is outside the vocabulary of {idf.Count} tokens.", nameof(ids));
                count[id] = count.GetValueOrDefault(id) + 1;
            }
            foreach (var (id, c) in count)
            {
                indices.Add(id);
                values.Add(c);
            }
            if (idf is null) continue;
            double norm = 0;
            for (int k = offsets[i]; k < indices.Count; k++)
            {
                values[k] *= idf[indices[k]];
                norm += values[k] * values[k];
            }
            norm = Math.Sqrt(norm);
            if (norm > 0)
                for (int k = offsets[i]; k < indices.Count; k++) values[k] /= norm;
        }
        offsets[n] = indices.Count;
        return ([.. indices], [.. values], offsets);
    }

    /// <inheritdoc />
    protected override MtlTensor<T> EncodePresent(BatchInput<T> input, string name)
    {
        var tokens = input.RequireIndices(name);
        if (tokens.Rank != 2) throw new ArgumentException($"Input \"{name}\" has token ids of shape {MtlTensor<int>.ShapeText(tokens.Shape)}; the TF-IDF encoder takes (n, length).");
        var idf = Idf.ToArray().Select(double.CreateChecked).ToArray();
        var (indices, values, offsets) = SparseRows(tokens, idf);
        var first = _input.Forward(indices, offsets[..^1], [.. values.Select(T.CreateChecked)]) + InputBias;
        return _layers.Forward(first.Relu());
    }
}

/// <summary>
/// One Transformer block over token embeddings (Vaswani et al. 2017), pooled to one vector per sample: token embedding
/// (<c>embedding.weight</c>) + learned position embedding (<c>position.weight</c>), one <see cref="TransformerEncoderLayer{T}"/>
/// (<c>layer.self_attn.in_proj_weight</c>, ...; pre-LN adds a final <c>norm</c>) whose attention ignores the padding tokens
/// (−1 ids) through a key padding mask, then the mean of the outputs at the real tokens (masked mean pooling). A sample
/// without tokens gets zeros. Sequences longer than <see cref="MaxLength"/> are cut.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class TransformerTextEncoder<T> : InputEncoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Embedding<T> _embedding;
    private readonly Embedding<T> _position;
    private readonly LayerNorm<T>? _norm;

    /// <summary>Creates the embeddings and the block with seeded weights.</summary>
    /// <param name="vocabulary">The number of token ids.</param>
    /// <param name="maxLength">The most tokens per sample (rows of the position table).</param>
    /// <param name="dimension">d_model, the width of the tokens and of the output.</param>
    /// <param name="heads">The attention heads; they divide <paramref name="dimension"/>.</param>
    /// <param name="feedForward">The hidden width of the block's feed-forward network.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="normFirst">Pre-LN (with a final layer norm) instead of post-LN.</param>
    /// <param name="dropout">p of the block's dropouts.</param>
    public TransformerTextEncoder(int vocabulary, int maxLength, int dimension, int heads, int feedForward, TensorRandom random, bool normFirst = false,
        double dropout = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        _embedding = RegisterModule("embedding", new Embedding<T>(Math.Max(1, vocabulary), dimension, random));
        _position = RegisterModule("position", new Embedding<T>(maxLength, dimension, random));
        Layer = RegisterModule("layer", new TransformerEncoderLayer<T>(dimension, heads, feedForward, random, dropout, normFirst));
        if (normFirst) _norm = RegisterModule("norm", new LayerNorm<T>(dimension));
        MaxLength = maxLength;
        OutputWidth = dimension;
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <summary>The most tokens read per sample.</summary>
    public int MaxLength { get; }

    /// <summary>The encoder block.</summary>
    public TransformerEncoderLayer<T> Layer { get; }

    /// <inheritdoc />
    protected override MtlTensor<T> EncodePresent(BatchInput<T> input, string name)
    {
        var tokens = input.RequireIndices(name);
        if (tokens.Rank != 2) throw new ArgumentException($"Input \"{name}\" has token ids of shape {MtlTensor<int>.ShapeText(tokens.Shape)}; the transformer encoder takes (n, length).");
        int n = tokens.Shape[0], stored = tokens.Shape[1], length = Math.Max(1, Math.Min(stored, MaxLength));
        var flat = tokens.Contiguous().ToArray();
        var ids = new int[n * length];
        var positions = new int[n * length];
        var ignore = new T[n * length];
        var keep = new T[n * length];
        var counts = new T[n];
        for (int i = 0; i < n; i++)
        {
            int count = 0;
            for (int j = 0; j < length; j++)
            {
                int id = j < stored ? flat[i * stored + j] : -1;
                positions[i * length + j] = j;
                if (id >= 0)
                {
                    ids[i * length + j] = id;
                    keep[i * length + j] = T.One;
                    count++;
                }
                else ignore[i * length + j] = T.One;
            }
            if (count == 0) ignore[i * length] = T.Zero; // a sample without tokens attends to its first slot (no NaN); pooled, it stays 0
            counts[i] = T.CreateChecked(Math.Max(1, count));
        }
        var x = _embedding.Forward(ids, n, length) + _position.Forward(positions, n, length);
        var y = Layer.Forward(x, AttentionMask.Ignore(MtlTensor.FromArray(ignore, n, length)));
        if (_norm is not null) y = _norm.Forward(y);
        var weights = MtlTensor.FromArray(keep, n, length, 1) / MtlTensor.FromArray(counts, n, 1, 1);
        return (y * weights).Sum(1);
    }
}
