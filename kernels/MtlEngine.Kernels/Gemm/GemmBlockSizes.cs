using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// The BLIS block sizes for one microkernel: the register tile MR×NR, and the cache blocks
/// MC (rows of the packed A block, kept in L2), KC (the shared k depth; a KC×NR micro-panel of B stays in L1)
/// and NC (columns of the packed B panel, kept in L3). MC is a multiple of MR and NC of NR.
/// </summary>
/// <param name="MR">Rows of the register tile.</param>
/// <param name="NR">Columns of the register tile.</param>
/// <param name="MC">Rows of a packed A block.</param>
/// <param name="KC">Depth of a packed block.</param>
/// <param name="NC">Columns of a packed B panel.</param>
/// <param name="UnpackedBMaxColumns">When B is row-major with at most this many columns and k ≤ KC, B is read in place
/// (only A is packed): for small matrices packing B costs more than it saves.</param>
/// <param name="MinFlopsPerThread">Below this much work (2·m·n·k flops) per thread, extra threads cost more to wake than they save
/// (4 Mflop ≈ 20 µs of one core: on a shared 2-core machine a 128³ product was faster on one thread than on two).</param>
public readonly record struct GemmBlockSizes(int MR, int NR, int MC, int KC, int NC, int UnpackedBMaxColumns, long MinFlopsPerThread)
{
    /// <summary>
    /// The one table of block sizes, per instruction set and element type. Tuned on AMD Zen 5
    /// (48 KiB L1d, 1 MiB L2 per core, 32 MiB L3): KC·NR·sizeof(T) = 32 KiB (float) / 48 KiB (double) of B micro-panel
    /// in L1, MC·KC·sizeof(T) ≈ 0.4–0.5 MiB of A block in L2, KC·NC·sizeof(T) ≈ 4–6 MiB of B panel in L3.
    /// The values were chosen by timing on thread CPU time (a shared machine's wall clock is too noisy): near the
    /// optimum, neighbouring values differ by less than the noise (±3 %), except double KC = 256 over 192 at n = 2048.
    /// MR and NR restate the microkernel's register tile (the driver takes them from the microkernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmBlockSizes For<T>(GemmInstructionSet set)
    {
        bool f32 = typeof(T) == typeof(float);
        return set switch
        {
            GemmInstructionSet.Avx512 when f32 => new(MR: 12, NR: 32, MC: 360, KC: 256, NC: 4096, UnpackedBMaxColumns: 256, MinFlopsPerThread: 1L << 22),
            GemmInstructionSet.Avx512 => new(MR: 8, NR: 24, MC: 240, KC: 256, NC: 3072, UnpackedBMaxColumns: 192, MinFlopsPerThread: 1L << 22),
            GemmInstructionSet.Avx2 when f32 => new(MR: 6, NR: 16, MC: 144, KC: 256, NC: 4096, UnpackedBMaxColumns: 128, MinFlopsPerThread: 1L << 22),
            GemmInstructionSet.Avx2 => new(MR: 6, NR: 8, MC: 144, KC: 256, NC: 2048, UnpackedBMaxColumns: 128, MinFlopsPerThread: 1L << 22),
            _ => new(MR: 4, NR: 2 * System.Numerics.Vector<T>.Count, MC: 128, KC: 256, NC: 2048, UnpackedBMaxColumns: 0, MinFlopsPerThread: 1L << 22),
        };
    }
}
