using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Plane (Givens) rotations applied to pairs of rows, vectorized: (x, y) ← (c·x − s·y, s·x + c·y).
/// The QL and Jacobi iterations record their rotations and apply them here to the rows of the transposed vector
/// matrix, where both operands are contiguous; a sequence is split over threads by fixed column chunks.
/// </summary>
internal static class Rotations
{
    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y).</summary>
    public static void Rotate(Span<double> x, Span<double> y, double c, double s) => Rotate<NativeVectors>(x, y, c, s);

    /// <summary>
    /// <see cref="Rotate(Span{double}, Span{double}, double, double)"/> on the vectors of <typeparamref name="TPath"/>
    /// (<see cref="Vector{T}"/>, 256-bit on x64, where it is not <see cref="IVectorPath.Wide"/>); every form gives the scalar loop's bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Rotate<TPath>(Span<double> x, Span<double> y, double c, double s)
        where TPath : struct, IVectorPath
    {
        int i = 0;
        if (TPath.Wide && x.Length >= Vector512<double>.Count)
        {
            var xv = MemoryMarshal.Cast<double, Vector512<double>>(x);
            var yv = MemoryMarshal.Cast<double, Vector512<double>>(y[..x.Length]);
            var vc = Vector512.Create(c);
            var vs = Vector512.Create(s);
            for (int k = 0; k < xv.Length; k++)
            {
                var a = xv[k];
                var b = yv[k];
                xv[k] = vc * a - vs * b;
                yv[k] = vs * a + vc * b;
            }
            i = xv.Length * Vector512<double>.Count;
        }
        else if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var xv = MemoryMarshal.Cast<double, Vector<double>>(x);
            var yv = MemoryMarshal.Cast<double, Vector<double>>(y);
            var vc = new Vector<double>(c);
            var vs = new Vector<double>(s);
            for (int k = 0; k < xv.Length; k++)
            {
                var a = xv[k];
                var b = yv[k];
                xv[k] = vc * a - vs * b;
                yv[k] = vs * a + vc * b;
            }
            i = xv.Length * Vector<double>.Count;
        }
        for (; i < x.Length; i++)
        {
            double a = x[i], b = y[i];
            x[i] = c * a - s * b;
            y[i] = s * a + c * b;
        }
    }

    /// <summary>
    /// Applies rotations t = 0 .. count − 1 in order, rotation t acting on rows (<paramref name="rowX"/>[t], <paramref name="rowY"/>[t])
    /// of the row-major (rows × columns) matrix <paramref name="z"/>, column chunk by column chunk (cache-friendly, and split over threads).
    /// </summary>
    public static void ApplySequence(double[] z, int columns, ReadOnlySpan<int> rowX, ReadOnlySpan<int> rowY, ReadOnlySpan<double> c, ReadOnlySpan<double> s, Parallelism parallelism)
    {
        int count = rowX.Length;
        if (count == 0 || columns == 0) return;
        const int chunk = 128;
        int chunks = (columns + chunk - 1) / chunk;
        int workers = Math.Min(parallelism.Degree, chunks);
        if ((long)count * columns < ParallelThresholds.RotationElements) workers = 1;
        if (workers <= 1)
        {
            for (int ch = 0; ch < chunks; ch++) ApplyChunk(z, columns, ch * chunk, Math.Min(chunk, columns - ch * chunk), rowX, rowY, c, s);
            return;
        }
        int[] rx = rowX.ToArray(), ry = rowY.ToArray();
        double[] cc = c.ToArray(), ss = s.ToArray();
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            int first = chunks * w / workers, last = chunks * (w + 1) / workers;
            for (int ch = first; ch < last; ch++) ApplyChunk(z, columns, ch * chunk, Math.Min(chunk, columns - ch * chunk), rx, ry, cc, ss);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyChunk(double[] z, int columns, int c0, int width, ReadOnlySpan<int> rowX, ReadOnlySpan<int> rowY, ReadOnlySpan<double> c, ReadOnlySpan<double> s)
    {
        for (int t = 0; t < rowX.Length; t++)
            Rotate<NativeVectors>(z.AsSpan(rowX[t] * columns + c0, width), z.AsSpan(rowY[t] * columns + c0, width), c[t], s[t]);
    }
}
