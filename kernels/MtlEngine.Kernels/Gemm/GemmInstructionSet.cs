using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

/// <summary>Which microkernel family GEMM uses. Tests force each one the machine supports.</summary>
public enum GemmInstructionSet
{
    /// <summary>The best the machine supports: <see cref="Avx512"/>, else <see cref="Avx2"/>, else <see cref="Portable"/>.</summary>
    Auto = 0,
    /// <summary>The textbook triple loop (no blocking, no SIMD): the oracle the fast paths are tested against.</summary>
    Reference,
    /// <summary>Portable <see cref="System.Numerics.Vector{T}"/> microkernel (any hardware).</summary>
    Portable,
    /// <summary>AVX2 + FMA3 microkernels (6×2 vectors of 256 bits).</summary>
    Avx2,
    /// <summary>AVX-512F microkernels (float 12×32, double 8×24).</summary>
    Avx512,
}

/// <summary>Resolves and checks <see cref="GemmInstructionSet"/> values against the hardware.</summary>
public static class GemmInstructionSets
{
    /// <summary>True when this machine (and the runtime's settings, e.g. <c>DOTNET_PreferredVectorBitWidth</c>) can run <paramref name="set"/>.</summary>
    public static bool IsSupported(GemmInstructionSet set) => set switch
    {
        GemmInstructionSet.Auto or GemmInstructionSet.Reference or GemmInstructionSet.Portable => true,
        GemmInstructionSet.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        GemmInstructionSet.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>The best instruction set this machine supports.</summary>
    public static GemmInstructionSet Best =>
        IsSupported(GemmInstructionSet.Avx512) ? GemmInstructionSet.Avx512
        : IsSupported(GemmInstructionSet.Avx2) ? GemmInstructionSet.Avx2
        : GemmInstructionSet.Portable;

    /// <summary>Every instruction set this machine can run, the reference included.</summary>
    public static IReadOnlyList<GemmInstructionSet> Supported =>
        [.. Enum.GetValues<GemmInstructionSet>().Where(s => s != GemmInstructionSet.Auto && IsSupported(s))];

    /// <summary>Resolves <see cref="GemmInstructionSet.Auto"/> and checks that the machine can run the choice.</summary>
    /// <exception cref="PlatformNotSupportedException">When a forced instruction set is not available here.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmInstructionSet Resolve(GemmInstructionSet set)
    {
        if (set == GemmInstructionSet.Auto) return Best;
        if (!IsSupported(set))
            throw new PlatformNotSupportedException(
                $"GEMM instruction set {set} is not supported on this machine (or is switched off by the runtime settings); use GemmInstructionSet.Auto or one of: {string.Join(", ", Supported)}.");
        return set;
    }
}
