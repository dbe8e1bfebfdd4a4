using MtlEngine.Tensors;

namespace MtlEngine.Learn.Preprocessing;

/// <summary>What <see cref="OneHotEncoderModel.Transform"/> does with a category it did not see at Fit.</summary>
public enum UnknownCategory
{
    /// <summary>Throw a <see cref="LearnInputException"/> naming the column and the value (scikit-learn's default).</summary>
    Error,
    /// <summary>Encode it as all zeros in that feature's block (scikit-learn's <c>handle_unknown='ignore'</c>).</summary>
    Ignore,
}

/// <summary>
/// One-hot encoding of integer categories, as scikit-learn's <c>OneHotEncoder</c>: each input column j with sorted
/// categories c_j0 &lt; c_j1 &lt; … becomes a block of |c_j| output columns, 1 where the value equals that category.
/// Blocks follow the input columns in order.
/// </summary>
/// <param name="HandleUnknown">What to do with an unseen category at Transform (default <see cref="UnknownCategory.Error"/>).</param>
public sealed record OneHotEncoder(UnknownCategory HandleUnknown = UnknownCategory.Error)
{
    /// <summary>Learns the sorted categories of each column of X of shape (n_samples, n_features).</summary>
    public OneHotEncoderModel Fit(int[,] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.GetLength(0), d = x.GetLength(1);
        var categories = new int[d][];
        for (int j = 0; j < d; j++)
        {
            var set = new SortedSet<int>();
            for (int i = 0; i < n; i++) set.Add(x[i, j]);
            categories[j] = [.. set];
        }
        return new OneHotEncoderModel(this, categories);
    }
}

/// <summary>A fitted <see cref="OneHotEncoder"/> with the categories of each column (scikit-learn's categories_).</summary>
public sealed class OneHotEncoderModel
{
    private readonly int[][] _categories;
    private readonly int[] _blockStart;

    internal OneHotEncoderModel(OneHotEncoder options, int[][] categories)
    {
        Options = options;
        _categories = categories;
        _blockStart = new int[categories.Length + 1];
        for (int j = 0; j < categories.Length; j++) _blockStart[j + 1] = _blockStart[j] + categories[j].Length;
    }

    /// <summary>The options it was fitted with.</summary>
    public OneHotEncoder Options { get; }

    /// <summary>The sorted categories of input column j (copied).</summary>
    public int[] Categories(int j) => (int[])_categories[j].Clone();

    /// <summary>The number of output columns, Σ_j |categories of j|.</summary>
    public int OutputFeatures => _blockStart[^1];

    /// <summary>The one-hot matrix of shape (n_samples, <see cref="OutputFeatures"/>).</summary>
    /// <exception cref="LearnInputException">When X has another number of columns, or holds an unseen category and HandleUnknown is Error.</exception>
    public MtlTensor<double> Transform(int[,] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.GetLength(0), d = x.GetLength(1);
        LearnInput.Features(_categories.Length, d, "OneHotEncoder");
        int width = OutputFeatures;
        var result = new double[n * width];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                int c = Array.BinarySearch(_categories[j], x[i, j]);
                if (c >= 0) result[i * width + _blockStart[j] + c] = 1;
                else if (Options.HandleUnknown == UnknownCategory.Error)
                    throw new LearnInputException($"X[{i}, {j}] = {x[i, j]} is a category not seen at Fit (column {j} knows [{string.Join(", ", _categories[j])}]); refit with it, or use HandleUnknown = UnknownCategory.Ignore.");
            }
        return MtlTensor.FromArray(result, n, width);
    }

    /// <summary>The categories back from a one-hot matrix: per block, the category of its largest entry.</summary>
    /// <exception cref="LearnInputException">When the width is wrong or a block is all zeros (an ignored unknown category).</exception>
    public int[,] InverseTransform(MtlTensor<double> encoded)
    {
        var (n, width, v) = LearnInput.Matrix(encoded, "encoded");
        if (width != OutputFeatures)
            throw new LearnInputException($"The encoder writes {OutputFeatures} columns but the matrix has {width}.");
        var x = new int[n, _categories.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < _categories.Length; j++)
            {
                int best = -1;
                for (int c = 0; c < _categories[j].Length; c++)
                    if (v[i * width + _blockStart[j] + c] > 0 && (best < 0 || v[i * width + _blockStart[j] + c] > v[i * width + _blockStart[j] + best])) best = c;
                if (best < 0)
                    throw new LearnInputException($"Row {i}, column {j} has no category set (an unknown category that was ignored); it cannot be inverted.");
                x[i, j] = _categories[j][best];
            }
        return x;
    }
}
