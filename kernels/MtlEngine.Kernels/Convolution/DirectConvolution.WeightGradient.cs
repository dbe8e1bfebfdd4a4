using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels.Layout;

namespace MtlEngine.Kernels.Convolution;

// The weight gradient of the direct convolution: dW[i, k] = Σ_p dY[i, p]·B[k, p] over the output positions p, with
// B[k, p] = padded[offsets[k] + source(p)] as in the forward pass. It runs as the transposed product dWᵀ (depth × rows)
// += B · dYᵀ, vectorized over the output channels i: the upstream gradient of a sample is transposed once (positions ×
// channels, TransposeUpstream), and a tile of 4 vectors of channels × 6 entries k takes, per position, 4 aligned vector
// loads of dYᵀ and 6 broadcasts of B, for 24 FMAs. Every element of dWᵀ is summed over the positions in order, so the
// result does not depend on how the entries k are shared among threads.
public static unsafe partial class DirectConvolution
{
    /// <summary>The channel vectors (4) and k entries (6) of the weight gradient's tile: 24 accumulators.</summary>
    private const int WeightVectors = 4, WeightColumns = 6;

    /// <summary>Output positions (whole output rows) of one block of the weight gradient: its slice of dYᵀ stays in L1.</summary>
    private const int WeightBlockPositions = 128;

    /// <summary>The row stride of a transposed upstream gradient: <paramref name="rows"/> rounded up to a whole vector of T.</summary>
    public static int TransposedStride<T>(int rows) => (rows + Vector512<T>.Count - 1) / Vector512<T>.Count * Vector512<T>.Count;

    /// <summary>
    /// transposed[p·stride + i] = upstream[i·positions + p] for i &lt; <paramref name="rows"/>, and 0 for rows ≤ i &lt; stride
    /// (p &lt; positions): one sample's upstream gradient (rows × positions) as positions × channels.
    /// </summary>
    /// <exception cref="ArgumentException">When the stride is below rows, or a span is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeUpstream<T>(ReadOnlySpan<T> upstream, int rows, int positions, Span<T> transposed, int stride)
        where T : unmanaged, INumber<T>
    {
        if (stride < rows) throw new ArgumentException($"The transposed stride ({stride}) must be at least the rows ({rows}).", nameof(stride));
        CheckLength(upstream.Length, (long)rows * positions, nameof(upstream));
        CheckLength(transposed.Length, (long)positions * stride, nameof(transposed));
        int i = 0, blockedPositions = 0;
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            blockedPositions = positions / 16 * 16;
            fixed (T* source = upstream)
            fixed (T* target = transposed)
                for (; i + 16 <= rows; i += 16)
                    for (int p = 0; p < blockedPositions; p += 16)
                        RegisterTranspose.Float16x16((float*)source + (nint)i * positions + p, positions, (float*)target + (nint)p * stride + i, stride);
        }
        // What the 16×16 blocks leave (all of it but for float with AVX-512): the kernels' tiled strided copy, element
        // (r, p) of the upstream (strides (positions, 1)) to transposed[p·stride + r] (strides (1, stride)).
        if (i > 0 && blockedPositions < positions)
            StridedCopy.Copy<T>(upstream, blockedPositions, [positions, 1], transposed, blockedPositions * stride, [1, stride],
                [i, positions - blockedPositions], Parallelism.Sequential);
        if (i < rows)
            StridedCopy.Copy<T>(upstream, i * positions, [positions, 1], transposed, i, [1, stride], [rows - i, positions], Parallelism.Sequential);
        if (stride > rows)
            for (int p = 0; p < positions; p++) transposed.Slice(p * stride + rows, stride - rows).Clear();
    }

    /// <summary>
    /// gradient[k·stride + i] += Σ_p transposed[p·stride + i]·padded[offsets[k] + oh·Wp + ow] over the output positions
    /// p = oh·Wo + ow, for i &lt; stride and k in [<paramref name="firstColumn"/>, <paramref name="endColumn"/>): one sample's
    /// share of the transposed weight gradient dWᵀ (depth × stride), from its upstream gradient transposed by
    /// <see cref="TransposeUpstream{T}"/> (stride a multiple of L; its zero rows past the channels give zero gradients). The
    /// memory the caller reads next (<paramref name="prefetch"/>: the next sample's upstream gradient; empty: none) is fetched
    /// into L2 a few cache lines after each tile row, as <see cref="Multiply{T}"/> does; it changes no result.
    /// </summary>
    /// <exception cref="ArgumentException">When Wo is not a multiple of L, Wp &lt; Wo, the stride is not a multiple of L, the columns are out of range, an offset is negative or a span is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddWeightGradient<T>(int stride, int firstColumn, int endColumn, ReadOnlySpan<T> transposed, ReadOnlySpan<T> padded, ReadOnlySpan<int> offsets,
        int paddedWidth, int outHeight, int outWidth, Span<T> gradient, ReadOnlySpan<T> prefetch = default) where T : unmanaged, INumber<T>
    {
        int l = Vector512<T>.Count, plane = outHeight * outWidth;
        CheckRuns<T>(outWidth, paddedWidth, l);
        if (!IsAvailable<T>(512))
            throw new PlatformNotSupportedException($"The direct convolution's weight gradient needs AVX-512 and float or double; this machine or {typeof(T).Name} has not (use im2col + GEMM).");
        if (stride <= 0 || stride % l != 0)
            throw new ArgumentException($"The transposed stride must be a positive multiple of {l} (TransposedStride), but it is {stride}.", nameof(stride));
        if (firstColumn < 0 || endColumn > offsets.Length || firstColumn > endColumn)
            throw new ArgumentException($"The columns [{firstColumn}, {endColumn}) must lie in [0, {offsets.Length}).", nameof(firstColumn));
        if (firstColumn == endColumn || plane == 0) return;
        CheckLength(transposed.Length, (long)plane * stride, nameof(transposed));
        CheckLength(padded.Length, Reach(offsets, endColumn) + (long)(outHeight - 1) * paddedWidth + outWidth, nameof(padded));
        CheckLength(gradient.Length, (long)endColumn * stride, nameof(gradient));
        int vectors = stride / l, rowsPerBlock = Math.Max(1, WeightBlockPositions / outWidth);
        fixed (T* dyt = transposed)
        fixed (T* x = padded)
        fixed (int* k = offsets)
        fixed (T* g = gradient)
        fixed (T* next = prefetch)
        {
            // The prefetched lines spread evenly over the (block, 6 entries k) steps: step t fetches lines [t·lines/steps, (t + 1)·lines/steps).
            long lines = (long)prefetch.Length * sizeof(T) / 64;
            int steps = (outHeight + rowsPerBlock - 1) / rowsPerBlock * ((endColumn - firstColumn + WeightColumns - 1) / WeightColumns), step = 0;
            // Blocks of output rows outside: the block's slice of dYᵀ stays in L1 over every k; the padded rows it reads are few.
            for (int oh = 0; oh < outHeight; oh += rowsPerBlock)
            {
                var block = new WeightBlock(Math.Min(rowsPerBlock, outHeight - oh), outWidth, paddedWidth - outWidth, stride);
                T* d = dyt + (nint)oh * outWidth * stride, source = x + (nint)oh * paddedWidth;
                int j = firstColumn;
                for (; j + WeightColumns <= endColumn; j += WeightColumns)
                {
                    int v = 0;
                    for (; v + WeightVectors <= vectors; v += WeightVectors) WeightTile4x6(block, d + v * l, source, k + j, g + (nint)j * stride + v * l);
                    for (; v < vectors; v++) WeightTile1x6(block, d + v * l, source, k + j, g + (nint)j * stride + v * l);
                    if (lines > 0 && Sse.IsSupported)
                    {
                        for (long line = step * lines / steps, end = (step + 1) * lines / steps; line < end; line++)
                            Sse.Prefetch1((byte*)next + line * 64);
                        step++;
                    }
                }
                for (; j < endColumn; j++)
                {
                    int v = 0;
                    for (; v + WeightVectors <= vectors; v += WeightVectors) WeightTile4x1(block, d + v * l, source, k + j, g + (nint)j * stride + v * l);
                    for (; v < vectors; v++) WeightTile1x1(block, d + v * l, source, k + j, g + (nint)j * stride + v * l);
                }
            }
        }
    }

    /// <summary>A block of the weight gradient's positions: its output rows, Wo, Wp − Wo (skipped at each row's end) and the transposed stride.</summary>
    private readonly record struct WeightBlock(int Rows, int OutWidth, int RowSkip, int Stride);

    /// <summary>Adds a tile's accumulator to the gradient at <paramref name="target"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<T>(Vector512<T> accumulator, T* target) where T : unmanaged, INumber<T> => (Vector512.Load(target) + accumulator).Store(target);

    // The tiles, unrolled so that the accumulators stay in registers: g[j·stride + v·L ..] += Σ_p dyt[p·stride + v·L ..]·x[offsets[j] + source(p)].

    /// <summary>4 vectors of channels × 6 entries k: per position 4 loads of dYᵀ and 6 broadcasts for 24 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTile4x6<T>(WeightBlock block, T* dyt, T* x, int* offsets, T* g) where T : unmanaged, INumber<T>
    {
        Vector512<T> a0_0 = default, a1_0 = default, a2_0 = default, a3_0 = default;
        Vector512<T> a0_1 = default, a1_1 = default, a2_1 = default, a3_1 = default;
        Vector512<T> a0_2 = default, a1_2 = default, a2_2 = default, a3_2 = default;
        Vector512<T> a0_3 = default, a1_3 = default, a2_3 = default, a3_3 = default;
        Vector512<T> a0_4 = default, a1_4 = default, a2_4 = default, a3_4 = default;
        Vector512<T> a0_5 = default, a1_5 = default, a2_5 = default, a3_5 = default;
        nint l = Vector512<T>.Count, stride = block.Stride, skip = block.RowSkip;
        nint o1 = offsets[1] - offsets[0], o2 = offsets[2] - offsets[0], o3 = offsets[3] - offsets[0], o4 = offsets[4] - offsets[0], o5 = offsets[5] - offsets[0];
        T* p = x + offsets[0];
        for (int r = 0; r < block.Rows; r++, p += skip)
            for (int q = 0; q < block.OutWidth; q++, p++, dyt += stride)
            {
                Vector512<T> d0 = Vector512.Load(dyt), d1 = Vector512.Load(dyt + l), d2 = Vector512.Load(dyt + 2 * l), d3 = Vector512.Load(dyt + 3 * l);
                Vector512<T> b;
                b = Vector512.Create(p[0]); a0_0 = Fma(d0, b, a0_0); a1_0 = Fma(d1, b, a1_0); a2_0 = Fma(d2, b, a2_0); a3_0 = Fma(d3, b, a3_0);
                b = Vector512.Create(p[o1]); a0_1 = Fma(d0, b, a0_1); a1_1 = Fma(d1, b, a1_1); a2_1 = Fma(d2, b, a2_1); a3_1 = Fma(d3, b, a3_1);
                b = Vector512.Create(p[o2]); a0_2 = Fma(d0, b, a0_2); a1_2 = Fma(d1, b, a1_2); a2_2 = Fma(d2, b, a2_2); a3_2 = Fma(d3, b, a3_2);
                b = Vector512.Create(p[o3]); a0_3 = Fma(d0, b, a0_3); a1_3 = Fma(d1, b, a1_3); a2_3 = Fma(d2, b, a2_3); a3_3 = Fma(d3, b, a3_3);
                b = Vector512.Create(p[o4]); a0_4 = Fma(d0, b, a0_4); a1_4 = Fma(d1, b, a1_4); a2_4 = Fma(d2, b, a2_4); a3_4 = Fma(d3, b, a3_4);
                b = Vector512.Create(p[o5]); a0_5 = Fma(d0, b, a0_5); a1_5 = Fma(d1, b, a1_5); a2_5 = Fma(d2, b, a2_5); a3_5 = Fma(d3, b, a3_5);
            }
        AddTo(a0_0, g); AddTo(a1_0, g + l); AddTo(a2_0, g + 2 * l); AddTo(a3_0, g + 3 * l); g += stride;
        AddTo(a0_1, g); AddTo(a1_1, g + l); AddTo(a2_1, g + 2 * l); AddTo(a3_1, g + 3 * l); g += stride;
        AddTo(a0_2, g); AddTo(a1_2, g + l); AddTo(a2_2, g + 2 * l); AddTo(a3_2, g + 3 * l); g += stride;
        AddTo(a0_3, g); AddTo(a1_3, g + l); AddTo(a2_3, g + 2 * l); AddTo(a3_3, g + 3 * l); g += stride;
        AddTo(a0_4, g); AddTo(a1_4, g + l); AddTo(a2_4, g + 2 * l); AddTo(a3_4, g + 3 * l); g += stride;
        AddTo(a0_5, g); AddTo(a1_5, g + l); AddTo(a2_5, g + 2 * l); AddTo(a3_5, g + 3 * l);
    }

    /// <summary>1 vector of channels × 6 entries k (the channel vectors past the last group of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTile1x6<T>(WeightBlock block, T* dyt, T* x, int* offsets, T* g) where T : unmanaged, INumber<T>
    {
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        nint stride = block.Stride, skip = block.RowSkip;
        nint o1 = offsets[1] - offsets[0], o2 = offsets[2] - offsets[0], o3 = offsets[3] - offsets[0], o4 = offsets[4] - offsets[0], o5 = offsets[5] - offsets[0];
        T* p = x + offsets[0];
        for (int r = 0; r < block.Rows; r++, p += skip)
            for (int q = 0; q < block.OutWidth; q++, p++, dyt += stride)
            {
                Vector512<T> d = Vector512.Load(dyt);
                a0 = Fma(d, Vector512.Create(p[0]), a0);
                a1 = Fma(d, Vector512.Create(p[o1]), a1);
                a2 = Fma(d, Vector512.Create(p[o2]), a2);
                a3 = Fma(d, Vector512.Create(p[o3]), a3);
                a4 = Fma(d, Vector512.Create(p[o4]), a4);
                a5 = Fma(d, Vector512.Create(p[o5]), a5);
            }
        AddTo(a0, g); AddTo(a1, g + stride); AddTo(a2, g + 2 * stride); AddTo(a3, g + 3 * stride); AddTo(a4, g + 4 * stride); AddTo(a5, g + 5 * stride);
    }

    /// <summary>4 vectors of channels × 1 entry k (the entries past the last group of 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTile4x1<T>(WeightBlock block, T* dyt, T* x, int* offsets, T* g) where T : unmanaged, INumber<T>
    {
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default;
        nint l = Vector512<T>.Count, stride = block.Stride, skip = block.RowSkip;
        T* p = x + offsets[0];
        for (int r = 0; r < block.Rows; r++, p += skip)
            for (int q = 0; q < block.OutWidth; q++, p++, dyt += stride)
            {
                Vector512<T> b = Vector512.Create(p[0]);
                a0 = Fma(Vector512.Load(dyt), b, a0);
                a1 = Fma(Vector512.Load(dyt + l), b, a1);
                a2 = Fma(Vector512.Load(dyt + 2 * l), b, a2);
                a3 = Fma(Vector512.Load(dyt + 3 * l), b, a3);
            }
        AddTo(a0, g); AddTo(a1, g + l); AddTo(a2, g + 2 * l); AddTo(a3, g + 3 * l);
    }

    /// <summary>1 vector of channels × 1 entry k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTile1x1<T>(WeightBlock block, T* dyt, T* x, int* offsets, T* g) where T : unmanaged, INumber<T>
    {
        Vector512<T> a = default;
        nint stride = block.Stride, skip = block.RowSkip;
        T* p = x + offsets[0];
        for (int r = 0; r < block.Rows; r++, p += skip)
            for (int q = 0; q < block.OutWidth; q++, p++, dyt += stride)
                a = Fma(Vector512.Load(dyt), Vector512.Create(p[0]), a);
        AddTo(a, g);
    }
}
