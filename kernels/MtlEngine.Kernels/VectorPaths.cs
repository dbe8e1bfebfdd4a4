using System.Runtime.Intrinsics;

namespace MtlEngine.Kernels;

/// <summary>
/// Which vector width a kernel uses, passed as a type argument: the JIT compiles a kernel once per struct and folds these
/// properties to constants, so the choice costs nothing where it runs. Production code runs <see cref="NativeVectors"/> (the
/// widest the machine accelerates); the tests also run <see cref="Avx2Vectors"/>, so that the 256-bit forms, which production
/// runs only where AVX-512 is absent (Zen 3), are exercised on AVX-512 machines too. Used by the symmetric eigensolver's
/// kernels, the direct convolution's padding and the widened convolution's row copy. This selects a width; a loop written
/// once for several widths is written over <see cref="ISimdLanes{T, TV}"/> (SimdLanes.cs says why the two stay apart).
/// </summary>
public interface IVectorPath
{
    /// <summary>The 512-bit forms run (AVX-512).</summary>
    static abstract bool Wide { get; }

    /// <summary>The 256-bit fused multiply-add forms run where <see cref="Wide"/> is false (AVX2 + FMA).</summary>
    static abstract bool Fma256 { get; }
}

/// <summary>The widest vectors this machine accelerates: 512-bit where present, else 256-bit with FMA, else what is left.</summary>
public readonly struct NativeVectors : IVectorPath
{
    /// <inheritdoc />
    public static bool Wide => Vector512.IsHardwareAccelerated;

    /// <inheritdoc />
    public static bool Fma256 => Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;
}

/// <summary>The 256-bit forms even where 512-bit vectors are accelerated (what a Zen 3 machine runs): for the tests.</summary>
public readonly struct Avx2Vectors : IVectorPath
{
    /// <inheritdoc />
    public static bool Wide => false;

    /// <inheritdoc />
    public static bool Fma256 => NativeVectors.Fma256;
}
