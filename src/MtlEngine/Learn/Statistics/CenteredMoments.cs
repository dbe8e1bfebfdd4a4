using System.Buffers;
using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn;

/// <summary>
/// Weighted, centred first and second moments of the rows zᵢ = [xᵢ yᵢ] (w = d + t columns), mergeable:
/// <code>
/// n  = the row count            W = Σ sᵢ            μ = Σ sᵢ·zᵢ / W
/// M  = Σ sᵢ·(zᵢ − μ)(zᵢ − μ)ᵀ  (w×w, symmetric; only the lower triangle is kept)
/// </code>
/// A block is summed around its own mean (one SYRK per sub-block of centred, √sᵢ-scaled rows) and joined to the running
/// moments by Chan et al.'s pairwise update, which never forms Σ zzᵀ − W·μμᵀ:
/// <code>
/// W = W_a + W_b     δ = μ_b − μ_a     μ = μ_a + δ·W_b / W     M = M_a + M_b + δ·δᵀ·W_a·W_b / W
/// </code>
/// Rows of zero weight count in n but change nothing else; a block whose weights sum to zero adds only its rows.
/// </summary>
internal sealed class CenteredMoments
{
    /// <summary>About this many bytes of centred rows are packed at a time for the SYRK.</summary>
    private const int BlockBytes = 4 << 20;

    public CenteredMoments(int columns)
    {
        Columns = columns;
        Mean = new double[columns];
        Scatter = new double[columns * columns];
    }

    /// <summary>w, the columns of z.</summary>
    public int Columns { get; }

    /// <summary>n.</summary>
    public long Rows { get; private set; }

    /// <summary>W = Σ sᵢ.</summary>
    public double WeightSum { get; private set; }

    /// <summary>μ (zeros while W = 0).</summary>
    public double[] Mean { get; private set; }

    /// <summary>M, w×w row-major; only the lower triangle (j ≤ i) holds values.</summary>
    public double[] Scatter { get; private set; }

    public CenteredMoments Copy()
    {
        var copy = new CenteredMoments(Columns) { Rows = Rows, WeightSum = WeightSum };
        Mean.CopyTo(copy.Mean, 0);
        Scatter.CopyTo(copy.Scatter, 0);
        return copy;
    }

    /// <summary>
    /// Adds the rows zᵢ = [xᵢ yᵢ]: <paramref name="x"/> (m×d) and <paramref name="y"/> (m×t) row-major, weights of length m
    /// or empty for ones. The caller has checked shapes, finiteness and weights.
    /// </summary>
    public void Add(ReadOnlySpan<double> x, int d, ReadOnlySpan<double> y, int t, int m, ReadOnlySpan<double> weights, Parallelism parallelism)
    {
        if (m == 0) return;
        int w = d + t;
        // μ_b = Σ sᵢ·zᵢ / W_b
        double total = 0;
        var mean = new double[w];
        for (int i = 0; i < m; i++)
        {
            double s = weights.IsEmpty ? 1.0 : weights[i];
            if (s == 0) continue;
            total += s;
            Dense.Axpy(s, x.Slice(i * d, d), mean.AsSpan(0, d));
            Dense.Axpy(s, y.Slice(i * t, t), mean.AsSpan(d, t));
        }
        if (total == 0)
        {
            Rows += m;
            return;
        }
        Dense.Scale(1 / total, mean);
        // M_b = Σ_sub-blocks Bᵀ·B, B the rows √sᵢ·(zᵢ − μ_b)
        var scatter = new double[w * w];
        int rows = Math.Min(m, Math.Max(64, BlockBytes / (8 * Math.Max(w, 1))));
        var block = ArrayPool<double>.Shared.Rent(Math.Max(rows * w, 1));
        try
        {
            bool first = true;
            for (int i0 = 0; i0 < m; i0 += rows)
            {
                int r = Math.Min(rows, m - i0);
                for (int k = 0; k < r; k++)
                {
                    int i = i0 + k;
                    var row = block.AsSpan(k * w, w);
                    TensorPrimitives.Subtract(x.Slice(i * d, d), mean.AsSpan(0, d), row[..d]);
                    TensorPrimitives.Subtract(y.Slice(i * t, t), mean.AsSpan(d, t), row[d..]);
                    double s = weights.IsEmpty ? 1.0 : weights[i];
                    if (s != 1.0) TensorPrimitives.Multiply(row, Math.Sqrt(s), row);
                }
                var b = new ReadOnlyMatrixSpan<double>(block, 0, r, w, w, 1);
                LinearAlgebra.Syrk.Update(1.0, b, first ? 0.0 : 1.0, new MatrixSpan<double>(scatter, w, w), OtherTriangle.Clobbered, parallelism);
                first = false;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(block);
        }
        Join(m, total, mean, scatter);
    }

    /// <summary>this ← this ⊕ other (Chan et al.'s update).</summary>
    public void Merge(CenteredMoments other)
    {
        if (other.Columns != Columns)
            throw new LearnInputException($"Cannot merge statistics of {other.Columns} columns into statistics of {Columns} columns; build both for the same data shape.");
        Join(other.Rows, other.WeightSum, other.Mean, other.Scatter);
    }

    // W = W_a + W_b, δ = μ_b − μ_a, μ = μ_a + δ·W_b/W, M = M_a + M_b + δδᵀ·W_a·W_b/W (lower triangles).
    private void Join(long rows, double weight, double[] mean, double[] scatter)
    {
        Rows += rows;
        if (weight == 0) return;
        int w = Columns;
        if (WeightSum == 0)
        {
            WeightSum = weight;
            mean.CopyTo(Mean, 0);
            for (int i = 0; i < w; i++) scatter.AsSpan(i * w, i + 1).CopyTo(Scatter.AsSpan(i * w, i + 1));
            return;
        }
        double total = WeightSum + weight;
        var delta = new double[w];
        TensorPrimitives.Subtract(mean, Mean, delta);
        double c = WeightSum * weight / total;
        for (int i = 0; i < w; i++)
        {
            var target = Scatter.AsSpan(i * w, i + 1);
            TensorPrimitives.Add(target, scatter.AsSpan(i * w, i + 1), target);
            Dense.Axpy(c * delta[i], delta.AsSpan(0, i + 1), target);
        }
        Dense.Axpy(weight / total, delta, Mean);
        WeightSum = total;
    }

    /// <summary>The block M[r0.., c0..] of rows × cols, both triangles (symmetric M read from its lower triangle).</summary>
    public DenseMatrix Block(int r0, int rows, int c0, int cols)
    {
        var result = new DenseMatrix(rows, cols);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                int a = r0 + i, b = c0 + j;
                result[i, j] = a >= b ? Scatter[a * Columns + b] : Scatter[b * Columns + a];
            }
        return result;
    }

    /// <summary>The uncentred Σ sᵢ·zᵢzᵢᵀ block = M + W·μμᵀ (for fits without an intercept).</summary>
    public DenseMatrix RawBlock(int r0, int rows, int c0, int cols)
    {
        var result = Block(r0, rows, c0, cols);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) result[i, j] += WeightSum * Mean[r0 + i] * Mean[c0 + j];
        return result;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Columns);
        writer.Write(Rows);
        writer.Write(WeightSum);
        FitStatisticsFormat.WriteDoubles(writer, Mean);
        for (int i = 0; i < Columns; i++) FitStatisticsFormat.WriteDoubles(writer, Scatter.AsSpan(i * Columns, i + 1));
    }

    public static CenteredMoments Read(FitStatisticsFormat.PayloadReader reader, int expectedColumns)
    {
        int w = reader.Count("the column count", 1 << 16);
        if (w != expectedColumns)
            throw new Data.DataFormatException(reader.Source, $"the moments have {w} columns but the header's shape needs {expectedColumns}");
        long rows = reader.Int64("the row count");
        double weight = reader.Double("the weight sum");
        if (rows < 0 || !(weight >= 0) || double.IsInfinity(weight))
            throw new Data.DataFormatException(reader.Source, $"row count {rows} and weight sum {weight} are not a valid count and weight");
        var mean = reader.Doubles(w, "the mean");
        var packed = reader.Doubles((long)w * (w + 1) / 2, "the scatter");
        var moments = new CenteredMoments(w) { Rows = rows, WeightSum = weight, Mean = mean };
        int p = 0;
        for (int i = 0; i < w; i++)
            for (int j = 0; j <= i; j++) moments.Scatter[i * w + j] = packed[p++];
        return moments;
    }
}
