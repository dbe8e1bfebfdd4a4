using System.Numerics;

namespace MtlEngine.Cli.Output;

/// <summary>The count, minimum, maximum, mean and standard deviation of some numbers (NaN propagates; empty: all NaN).</summary>
/// <param name="Count">How many numbers.</param>
/// <param name="Min">The smallest (NaN when empty or when any is NaN).</param>
/// <param name="Max">The largest (NaN when empty or when any is NaN).</param>
/// <param name="Mean">The arithmetic mean (NaN when empty).</param>
/// <param name="Std">The population standard deviation, √(Σ(x − mean)² / n), as NumPy's std (NaN when empty).</param>
internal readonly record struct Summary(long Count, double Min, double Max, double Mean, double Std)
{
    /// <summary>Summarizes the numbers x₀, x_s, x_2s, ... of <paramref name="values"/> starting at <paramref name="start"/> (two passes: mean, then squared deviations).</summary>
    public static Summary Of<T>(ReadOnlySpan<T> values, int start = 0, int stride = 1) where T : INumberBase<T>
    {
        long n = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        bool sawNaN = false;
        for (int i = start; i < values.Length; i += stride)
        {
            double x = double.CreateTruncating(values[i]);
            n++;
            sum += x;
            if (double.IsNaN(x)) sawNaN = true;
            else
            {
                if (x < min) min = x;
                if (x > max) max = x;
            }
        }
        if (n == 0) return new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        double mean = sum / n, squares = 0;
        for (int i = start; i < values.Length; i += stride)
        {
            double d = double.CreateTruncating(values[i]) - mean;
            squares += d * d;
        }
        return sawNaN
            ? new Summary(n, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Summary(n, min, max, mean, Math.Sqrt(squares / n));
    }

    /// <summary>Summarizes each column of a row-major (rows × columns) matrix.</summary>
    public static Summary[] OfColumns<T>(ReadOnlySpan<T> matrix, int columns) where T : INumberBase<T>
    {
        var result = new Summary[columns];
        for (int c = 0; c < columns; c++) result[c] = Of(matrix, c, columns);
        return result;
    }
}
