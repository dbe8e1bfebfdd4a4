namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// A register-blocked GEMM microkernel: one MR×NR tile of C from a packed MR×kc micro-panel of A
/// (for each p, MR values a[p·MR + i]) and a kc×NR micro-panel of B (for each p, NR values at b + p·ldb):
/// <code>C[i, j] = α·Σ_p a[p·MR + i]·b[p·ldb + j] + β·C[i, j]   (β = 0: C is not read)</code>
/// C has row stride <c>ldc</c> and unit column stride. The k loop is call-free so the accumulators stay in registers.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal unsafe interface IMicrokernel<T> where T : unmanaged
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }

    /// <summary>Computes one full tile.</summary>
    static abstract void Run(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta);

    /// <summary>Columns of an optional narrower MR×NarrowNR tile for the last, partial column panel (0: none).
    /// A panel of at most NarrowNR columns then costs NarrowNR instead of NR columns of work (n = 64 with NR = 24: the last 16).</summary>
    static virtual int NarrowNR => 0;

    /// <summary>The MR×NarrowNR tile, the same formula and k order as <see cref="Run"/> (so bitwise the same values); b still advances by ldb.</summary>
    static virtual void RunNarrow(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) =>
        throw new NotSupportedException("This microkernel has no narrow tile (NarrowNR = 0).");

    /// <summary>Rows of an optional shorter ShortMR×NR tile for the last, partial row panel (0: none).
    /// A panel of at most ShortMR rows then costs ShortMR instead of MR rows of work (n = 64 with MR = 12: the last 4).</summary>
    static virtual int ShortMR => 0;

    /// <summary>The ShortMR×NR tile, the same formula and k order as <see cref="Run"/> (so bitwise the same values); a still advances by MR per k.</summary>
    static virtual void RunShort(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) =>
        throw new NotSupportedException("This microkernel has no short tile (ShortMR = 0).");
}
