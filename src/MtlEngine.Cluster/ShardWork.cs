using System.Globalization;
using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cluster;

/// <summary>
/// What a silo does with one shard: read its .npy files (checked as <c>mtl fit</c> checks its inputs) and reduce them to
/// mergeable statistics, or, for logistic regression, keep them to evaluate the loss. A problem with the data is a
/// <see cref="ShardDataException"/> (or the reader's <see cref="DataFormatException"/>): <see cref="IsDataError"/> tells
/// those apart from failures of the silo itself, and <see cref="Describe"/> makes the one line naming the shard.
/// </summary>
internal static class ShardWork
{
    /// <summary>
    /// Reads the shard in row blocks (<see cref="NpyRowReader"/>, memory-mapped; <see cref="OutOfCore"/>) within
    /// <paramref name="memoryBudget"/> bytes, never the whole shard, and returns its statistics, serialized
    /// (<see cref="FitStatistics.ToBytes{T}"/>), and its rows. Every value is checked as it streams by (finite; weights ≥ 0).
    /// </summary>
    public static (byte[] Statistics, long Rows) Statistics(StatisticsKind kind, ShardFiles files, long memoryBudget)
    {
        using var x = Open(files.X, "X");
        if (x.IsVector)
            throw new ShardDataException($"{files.X}: X must have shape (n_rows, n_features) but has shape ({x.Rows},)");
        long n = x.Rows;
        using var weights = files.SampleWeight is null ? null : Open(files.SampleWeight, "sample weights");
        if (weights is not null)
        {
            if (!weights.IsVector)
                throw new ShardDataException($"{files.SampleWeight}: sample weights must have shape (n_rows,) but have shape ({weights.Rows}, {weights.Columns})");
            Rows(files.SampleWeight!, weights.Rows, n);
        }
        var xs = new CheckedRows(x, "X", nonNegative: false);
        var ws = weights is null ? null : new CheckedRows(weights, "sample weights", nonNegative: true);
        switch (kind)
        {
            case StatisticsKind.Ridge:
            {
                if (files.Y is null) throw new ShardDataException($"{files.X}: ridge regression needs the targets (--y) of every shard");
                using var y = Open(files.Y, "y");
                Rows(files.Y, y.Rows, n);
                return (OutOfCore.RidgeStatistics(xs, new CheckedRows(y, "y", nonNegative: false), ws, memoryBudget, Parallelism.Default).ToBytes(), n);
            }
            case StatisticsKind.Pca:
                if (weights is not null) throw new ShardDataException($"{files.SampleWeight}: PCA takes no sample weights");
                return (OutOfCore.PcaStatistics(xs, memoryBudget, Parallelism.Default).ToBytes(), n);
            case StatisticsKind.Cca:
            {
                if (files.Y is null) throw new ShardDataException($"{files.X}: CCA needs the second view (--y) of every shard");
                if (weights is not null) throw new ShardDataException($"{files.SampleWeight}: CCA takes no sample weights");
                using var y = Open(files.Y, "y");
                Rows(files.Y, y.Rows, n);
                return (OutOfCore.CcaStatistics(xs, new CheckedRows(y, "y", nonNegative: false), memoryBudget, Parallelism.Default).ToBytes(), n);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "no statistics of this kind");
        }
    }

    /// <summary>Opens a shard file for reading in row blocks (checked as <see cref="Read"/> checks whole files).</summary>
    private static NpyRowReader Open(string path, string what)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ShardDataException($"{path}: {what} must be a .npy file");
        if (!File.Exists(path))
            throw new ShardDataException($"{path}: no such file on this silo (every silo must be able to read the shard files at the same path)");
        return new NpyRowReader(path);
    }

    /// <summary>A row-block source whose values are checked as they are read: finite, and ≥ 0 for weights.</summary>
    private sealed class CheckedRows(IRowBlockSource inner, string what, bool nonNegative) : IRowBlockSource
    {
        private long _row;

        public string Source => inner.Source;

        public int Columns => inner.Columns;

        public bool IsVector => inner.IsVector;

        public long Rows => inner.Rows;

        public int Read(Span<double> destination)
        {
            int rows = inner.Read(destination);
            var values = destination[..(rows * Columns)];
            for (int i = 0; i < values.Length; i++)
            {
                double v = values[i];
                if (!double.IsFinite(v) || (nonNegative && v < 0))
                    throw new ShardDataException(nonNegative
                        ? $"{Source}: {what} must be finite and ≥ 0, but w[{_row + i / Columns}] is {Text(v)}"
                        : $"{Source}: {what} has the non-finite value {Text(v)} at row {_row + i / Columns}, column {i % Columns}; remove or impute non-finite values first");
            }
            _row += rows;
            return rows;
        }

        public void Reset()
        {
            inner.Reset();
            _row = 0;
        }

        // The reader is disposed by whoever opened it.
        public void Dispose() { }
    }

    /// <summary>True for errors in a shard's files (missing, unreadable, corrupt, wrong shape or values).</summary>
    public static bool IsDataError(Exception error) =>
        error is ShardDataException or DataFormatException or IOException or UnauthorizedAccessException or LearnInputException;

    /// <summary>One line naming the shard and what is wrong with it.</summary>
    public static string Describe(ShardFiles files, Exception error) =>
        error is ShardDataException or DataFormatException ? $"{files}: {error.Message}" : $"{files}: {error.GetType().Name}: {error.Message}";

    /// <summary>X: a rank-2 numeric .npy, every value finite, as float64.</summary>
    public static MtlTensor<double> Features(string path)
    {
        var array = Read(path, "X");
        if (array.Rank != 2)
            throw new ShardDataException($"{path}: X must have shape (n_rows, n_features) but has shape {Shape(array)}");
        if (array.DType == DType.Bool)
            throw new ShardDataException($"{path}: X is boolean; pass a float array");
        var x = array.ToTensor<double>();
        Finite(path, "X", x.ToArray());
        return x;
    }

    /// <summary>Y: a rank-1 or rank-2 numeric .npy with <paramref name="rows"/> rows, every value finite, as float64.</summary>
    public static MtlTensor<double> Targets(string path, int rows)
    {
        var array = Read(path, "y");
        if (array.Rank is not (1 or 2))
            throw new ShardDataException($"{path}: y must have shape (n_rows,) or (n_rows, n_targets) but has shape {Shape(array)}");
        Rows(path, array.Shape[0], rows);
        var y = array.ToTensor<double>();
        Finite(path, "y", y.ToArray());
        return y;
    }

    /// <summary>Per-row weights: a finite, non-negative .npy of shape (rows,).</summary>
    public static double[] Weights(string path, int rows)
    {
        var array = Read(path, "sample weights");
        if (array.Rank != 1)
            throw new ShardDataException($"{path}: sample weights must have shape (n_rows,) but have shape {Shape(array)}");
        Rows(path, array.Shape[0], rows);
        var w = array.ToDoubleArray();
        for (int i = 0; i < w.Length; i++)
            if (!double.IsFinite(w[i]) || w[i] < 0)
                throw new ShardDataException($"{path}: sample weights must be finite and ≥ 0, but w[{i}] is {Text(w[i])}");
        return w;
    }

    /// <summary>Class labels: integers in a rank-1 .npy (or a float one of whole numbers) with <paramref name="rows"/> entries.</summary>
    public static int[] Labels(string path, int rows)
    {
        var array = Read(path, "labels");
        if (array.Rank != 1 && !(array.Rank == 2 && array.Shape[1] == 1))
            throw new ShardDataException($"{path}: labels must have shape (n_rows,) but have shape {Shape(array)}");
        Rows(path, array.Shape[0], rows);
        var values = array.ToDoubleArray();
        var labels = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v) || v != Math.Floor(v) || Math.Abs(v) > int.MaxValue)
                throw new ShardDataException($"{path}: labels must be integers, but y[{i}] is {Text(v)}");
            labels[i] = (int)v;
        }
        return labels;
    }

    private static NdArray Read(string path, string what)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ShardDataException($"{path}: {what} must be a .npy file");
        if (!File.Exists(path))
            throw new ShardDataException($"{path}: no such file on this silo (every silo must be able to read the shard files at the same path)");
        return Npy.Read(path);
    }

    private static void Finite(string path, string what, double[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ShardDataException($"{path}: {what} has the non-finite value {Text(values[i])} at flat index {i}; remove or impute non-finite values first");
    }

    private static void Rows(string path, long actual, long expected)
    {
        if (actual != expected)
            throw new ShardDataException($"{path}: has {actual} rows but the shard's X has {expected}; the rows of each shard's files must match");
    }

    private static string Shape(NdArray array) => "(" + string.Join(", ", array.Shape.ToArray()) + (array.Rank == 1 ? ",)" : ")");

    private static string Text(double v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A problem with a shard's files: the message names the file and what is wrong.</summary>
internal sealed class ShardDataException(string message) : Exception(message);

/// <summary>
/// One shard of a logistic-regression fit, held in a grain between L-BFGS iterations: X, the labels and the sample
/// weights. <see cref="Evaluate"/> gives Σᵢ sᵢ·ℓᵢ over the shard and its gradient, with sᵢ = sample weight × class weight
/// and no penalty (the client adds ½‖W‖²/C once), through the same <see cref="LogisticLoss"/> as a local fit.
/// </summary>
internal sealed class LogisticShard
{
    private readonly double[] _x;
    private readonly int[] _labels;
    private readonly double[]? _weights;

    private LogisticShard(ShardFiles files, double[] x, int rows, int features, int[] labels, double[]? weights)
    {
        Files = files;
        _x = x;
        Rows = rows;
        Features = features;
        _labels = labels;
        _weights = weights;
        Labels = labels.Distinct().Order().ToArray();
        Counts = Labels.Select(label => (long)labels.Count(l => l == label)).ToArray();
    }

    /// <summary>The files this shard was read from.</summary>
    public ShardFiles Files { get; }

    /// <summary>n, the shard's rows.</summary>
    public int Rows { get; }

    /// <summary>d, the columns of X.</summary>
    public int Features { get; }

    /// <summary>The distinct labels, ascending.</summary>
    public int[] Labels { get; }

    /// <summary>The rows of each label.</summary>
    public long[] Counts { get; }

    /// <summary>Reads X, the labels and the optional weights of a shard.</summary>
    public static LogisticShard Load(ShardFiles files)
    {
        if (files.Y is null) throw new ShardDataException($"{files.X}: logistic regression needs the labels (--y) of every shard");
        var x = ShardWork.Features(files.X);
        int n = x.Dim(0), d = x.Dim(1);
        var labels = ShardWork.Labels(files.Y, n);
        var weights = files.SampleWeight is null ? null : ShardWork.Weights(files.SampleWeight, n);
        return new LogisticShard(files, x.ToArray(), n, d, labels, weights);
    }

    /// <summary>Returns Σᵢ sᵢ·ℓᵢ over the shard at θ and writes its gradient.</summary>
    public double Evaluate(LogisticProblem problem, double[] theta, double[] gradient)
    {
        var encoded = new int[Rows];
        var s = new double[Rows];
        for (int i = 0; i < Rows; i++)
        {
            int c = Array.BinarySearch(problem.Classes, _labels[i]);
            if (c < 0) throw new ShardDataException($"{Files.Y}: the label {_labels[i]} is not among the classes of the fit");
            encoded[i] = c;
            s[i] = (_weights is null ? 1.0 : _weights[i]) * problem.ClassWeights[c];
        }
        using var loss = new LogisticLoss(DesignMatrix.Dense(Rows, Features, _x), encoded, s, problem.Classes.Length,
            problem.FitIntercept, lambda: 0, Parallelism.Default);
        if (theta.Length != loss.Dimension)
            throw new ArgumentException($"θ has {theta.Length} entries but the shard's problem has {loss.Dimension}");
        return loss.Evaluate(theta, gradient);
    }
}
