namespace MtlEngine.Kernels;

/// <summary>
/// When a kernel forks: the work below which it stays on the calling thread, whatever its <see cref="Parallelism"/>.
/// One table for the span kernels, as <see cref="Gemm.GemmBlockSizes"/> is for the GEMM (whose own threshold,
/// <c>MinFlopsPerThread</c>, sits with its block sizes). Starting a thread costs about as much as a few microseconds of
/// streaming arithmetic. A split depends only on the problem size and the degree, so results never depend on scheduling.
/// </summary>
public static class ParallelThresholds
{
    /// <summary>Element-wise, strided and reduction drivers: the fewest elements a thread is given.</summary>
    public const int ElementsPerThread = 1 << 15;

    /// <summary>Strided copies with fewer elements than this run on the calling thread.</summary>
    public const int StridedCopyElements = 1 << 18;

    /// <summary>GEMV: one thread per this many multiply-adds of op(A)·x (row-major A).</summary>
    public const int GemvMultiplyAddsPerThread = 1 << 16;

    /// <summary>Random draws (<see cref="Sampling.PhiloxStream.Fill{T, TDraw}(ulong, Memory{T}, TDraw, Parallelism?)"/>) with fewer values than this run on the calling thread.</summary>
    public const int RandomDrawElements = 1 << 16;
}
