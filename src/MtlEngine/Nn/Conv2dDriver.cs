using System.Numerics;
using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>The hyper-parameters of a 2-d convolution, saved on its autograd node.</summary>
internal sealed record Conv2dSettings(int StrideHeight, int StrideWidth, int PadHeight, int PadWidth, int DilationHeight, int DilationWidth, int Groups)
{
    /// <summary>The window geometry of this convolution over an input of shape (N, C, H, W) with a kh×kw kernel.</summary>
    public ConvolutionGeometry Geometry(ReadOnlySpan<int> input, ReadOnlySpan<int> weight) =>
        new(input[1], input[2], input[3], weight[2], weight[3], StrideHeight, StrideWidth, PadHeight, PadWidth, DilationHeight, DilationWidth);
}

/// <summary>
/// Convolution as im2col + GEMM, per sample n and group g (Og = O/groups output and Cg = C/groups input channels,
/// K = Cg·kh·kw, P = Ho·Wo):
/// <list type="bullet">
/// <item>forward: Y[n, g] (Og×P) = W[g] (Og×K) · cols(x[n])[g] (K×P) + b — P, the output positions, is GEMM's wide N;</item>
/// <item>input gradient: dcols[g] (K×P) = W[g]ᵀ · dY[n, g], then dx[n] = col2im(dcols) — Wᵀ is a transposed view the GEMM reads by strides;</item>
/// <item>weight gradient: dW[g] (Og×K) = Σₙ dY[n, g] · cols(x[n])[g]ᵀ — colsᵀ is a view too;</item>
/// <item>bias gradient: db[o] = Σₙ Σₚ dY[n, o, p].</item>
/// </list>
/// A 1×1 kernel with stride 1 and no padding skips im2col (the image is its own column matrix). The batch is split in
/// fixed contiguous shares over the threads, each with its own column scratch and a one-thread GEMM (the weight
/// gradient sums the shares' partial sums in share order, so a given thread count always gives the same bits); a batch
/// smaller than the thread count runs sample by sample with a threaded GEMM instead. Results and scratch come from the
/// step's arena.
/// </summary>
internal static class Conv2dDriver
{
    /// <summary>y = conv2d(x, w) + b for contiguous CPU tensors.</summary>
    public static MtlTensor<T> Forward<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var geometry = s.Geometry(x.Shape, w.Shape);
        int batch = x.Shape[0], outChannels = w.Shape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane, image = geometry.Channels * geometry.InputPlane;
        var result = TensorOps.Uninitialized<T>([batch, outChannels, geometry.OutHeight, geometry.OutWidth]);
        var (workers, gemmThreads) = Split(batch);
        int columns = geometry.IsPointwise ? 0 : geometry.PatchLength * plane;
        T[] scratch = TensorArena.Rent<T>(Math.Max(1, workers * columns));
        T[] input = x.CpuStorage.Data, weight = w.CpuStorage.Data, output = result.CpuStorage.Data;
        T[]? bias = b?.CpuStorage.Data;
        int xOffset = x.Offset, wOffset = w.Offset, bOffset = b?.Offset ?? 0;
        ForEachShare(workers, batch, (worker, first, end) =>
        {
            for (int n = first; n < end; n++)
            {
                ReadOnlySpan<T> cols = Columns(input, xOffset + n * image, scratch, worker * columns, geometry);
                for (int g = 0; g < groups; g++)
                {
                    var y = new MatrixSpan<T>(output, (n * outChannels + g * og) * plane, og, plane, plane, 1);
                    T beta = T.Zero;
                    if (bias is not null)
                    {
                        for (int o = 0; o < og; o++) output.AsSpan((n * outChannels + g * og + o) * plane, plane).Fill(bias[bOffset + g * og + o]);
                        beta = T.One;
                    }
                    Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(weight, wOffset + g * og * k, og, k, k, 1),
                        new ReadOnlyMatrixSpan<T>(cols, g * k * plane, k, plane, plane, 1), beta, y, gemmThreads);
                }
            }
        });
        return result;
    }

    /// <summary>∂L/∂x from the contiguous upstream gradient dy: dcols = Wᵀ·dY per group, then col2im.</summary>
    public static MtlTensor<T> InputGradient<T>(MtlTensor<T> dy, MtlTensor<T> w, ReadOnlySpan<int> inputShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var geometry = s.Geometry(inputShape, w.Shape);
        int batch = inputShape[0], outChannels = w.Shape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane, image = geometry.Channels * geometry.InputPlane;
        var result = TensorOps.Uninitialized<T>(inputShape.ToArray());
        var (workers, gemmThreads) = Split(batch);
        bool pointwise = geometry.IsPointwise;
        int columns = pointwise ? 0 : geometry.PatchLength * plane;
        T[] scratch = TensorArena.Rent<T>(Math.Max(1, workers * columns));
        T[] upstream = dy.CpuStorage.Data, weight = w.CpuStorage.Data, dx = result.CpuStorage.Data;
        int dyOffset = dy.Offset, wOffset = w.Offset;
        ForEachShare(workers, batch, (worker, first, end) =>
        {
            for (int n = first; n < end; n++)
            {
                // Pointwise: dx[n] is the column matrix itself; otherwise the worker's scratch, scattered back below.
                T[] target = pointwise ? dx : scratch;
                int targetOffset = pointwise ? n * image : worker * columns;
                for (int g = 0; g < groups; g++)
                    Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(weight, wOffset + g * og * k, k, og, 1, k),
                        new ReadOnlyMatrixSpan<T>(upstream, dyOffset + (n * outChannels + g * og) * plane, og, plane, plane, 1), T.Zero,
                        new MatrixSpan<T>(target, targetOffset + g * k * plane, k, plane, plane, 1), gemmThreads);
                if (pointwise) continue;
                var sample = dx.AsSpan(n * image, image);
                sample.Clear();
                Im2Col.ScatterAdd<T>(scratch.AsSpan(targetOffset, columns), sample, geometry);
            }
        });
        return result;
    }

    /// <summary>∂L/∂W = Σₙ dY[n]·cols(x[n])ᵀ per group, from the contiguous upstream gradient and input.</summary>
    public static MtlTensor<T> WeightGradient<T>(MtlTensor<T> dy, MtlTensor<T> x, ReadOnlySpan<int> weightShape, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        var geometry = s.Geometry(x.Shape, weightShape);
        int batch = x.Shape[0], outChannels = weightShape[0], groups = s.Groups;
        int og = outChannels / groups, k = geometry.PatchLength / groups, plane = geometry.OutputPlane, image = geometry.Channels * geometry.InputPlane;
        var result = TensorOps.Uninitialized<T>(weightShape.ToArray());
        var (workers, gemmThreads) = Split(batch);
        int columns = geometry.IsPointwise ? 0 : geometry.PatchLength * plane, weights = outChannels * k;
        T[] scratch = TensorArena.Rent<T>(Math.Max(1, workers * columns));
        T[] partials = TensorArena.Rent<T>(Math.Max(1, (workers - 1) * weights)); // shares 1.. sum here, share 0 into the result
        T[] upstream = dy.CpuStorage.Data, input = x.CpuStorage.Data, dw = result.CpuStorage.Data;
        int dyOffset = dy.Offset, xOffset = x.Offset;
        ForEachShare(workers, batch, (worker, first, end) =>
        {
            T[] target = worker == 0 ? dw : partials;
            int targetOffset = worker == 0 ? 0 : (worker - 1) * weights;
            target.AsSpan(targetOffset, weights).Clear();
            for (int n = first; n < end; n++)
            {
                ReadOnlySpan<T> cols = Columns(input, xOffset + n * image, scratch, worker * columns, geometry);
                for (int g = 0; g < groups; g++)
                    Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(upstream, dyOffset + (n * outChannels + g * og) * plane, og, plane, plane, 1),
                        new ReadOnlyMatrixSpan<T>(cols, g * k * plane, plane, k, 1, plane), T.One,
                        new MatrixSpan<T>(target, targetOffset + g * og * k, og, k, k, 1), gemmThreads);
            }
        });
        for (int worker = 1; worker < workers; worker++)
            TensorPrimitives.Add(dw.AsSpan(0, weights), partials.AsSpan((worker - 1) * weights, weights), dw.AsSpan(0, weights));
        return result;
    }

    /// <summary>∂L/∂b[o] = Σₙ Σₚ dY[n, o, p] from the contiguous upstream gradient of shape (N, O, Ho, Wo).</summary>
    public static MtlTensor<T> BiasGradient<T>(MtlTensor<T> dy) where T : unmanaged, INumber<T>
    {
        int batch = dy.Shape[0], outChannels = dy.Shape[1], plane = dy.Shape[2] * dy.Shape[3];
        var result = TensorOps.Uninitialized<T>([outChannels]);
        var db = result.CpuStorage.Data;
        var upstream = dy.CpuStorage.Data.AsSpan(dy.Offset, batch * outChannels * plane);
        for (int o = 0; o < outChannels; o++)
        {
            T sum = T.Zero;
            for (int n = 0; n < batch; n++) sum += TensorPrimitives.Sum<T>(upstream.Slice((n * outChannels + o) * plane, plane));
            db[o] = sum;
        }
        return result;
    }

    /// <summary>The im2col matrix of one sample: the image itself for a pointwise kernel, else gathered into the scratch.</summary>
    private static ReadOnlySpan<T> Columns<T>(T[] input, int offset, T[] scratch, int scratchOffset, in ConvolutionGeometry geometry) where T : unmanaged, INumber<T>
    {
        var image = input.AsSpan(offset, geometry.Channels * geometry.InputPlane);
        if (geometry.IsPointwise) return image;
        var columns = scratch.AsSpan(scratchOffset, geometry.PatchLength * geometry.OutputPlane);
        Im2Col.Gather<T>(image, columns, geometry);
        return columns;
    }

    /// <summary>
    /// How to use the current threads on a batch: one share of samples per thread with a one-thread GEMM, or (a batch
    /// smaller than the thread count) one share and a GEMM on every thread.
    /// </summary>
    private static (int Workers, Parallelism Gemm) Split(int batch)
    {
        var threads = TensorParallelism.Current;
        return batch >= threads.Degree && threads.Degree > 1 ? (threads.Degree, Parallelism.Sequential) : (1, threads);
    }

    /// <summary>Runs body(worker, first, end) over fixed contiguous shares of [0, count), on the caller's thread when there is one share.</summary>
    internal static void ForEachShare(int workers, int count, Action<int, int, int> body)
    {
        if (workers <= 1)
        {
            body(0, 0, count);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
            body(worker, (int)((long)count * worker / workers), (int)((long)count * (worker + 1) / workers)));
    }
}
