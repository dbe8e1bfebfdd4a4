using ILGPU;
using ILGPU.Runtime.Cuda;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests;

/// <summary>
/// What this machine has, asked once, independently of the code under test: xunit 2 has no dynamic skip, so a test that
/// needs a device or an instruction set is a <see cref="FactAttribute"/> whose <c>Skip</c> says why it did not run
/// (reported as skipped, never as a silent pass), and a test of the "absent" behaviour is skipped where it is present.
/// </summary>
public static class Hardware
{
    /// <summary>True when the AVX-512 GEMM microkernels can run here.</summary>
    public static bool Avx512 { get; } = GemmInstructionSets.IsSupported(GemmInstructionSet.Avx512);

    /// <summary>
    /// True when 512-bit vectors are accelerated and AVX-512F is present: what the direct convolution needs (the runtime
    /// may leave Vector512 unaccelerated on a processor that has AVX-512, so this is not <see cref="Avx512"/>).
    /// </summary>
    public static bool Vector512 { get; } = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>
    /// True when the vector convolution kernels (direct, widened, Winograd) can run here: 512-bit vectors as in
    /// <see cref="Vector512"/>, or accelerated 256-bit vectors with AVX2 and FMA (their AVX2 tiles).
    /// </summary>
    public static bool VectorConvolution { get; } = Vector512 ||
        (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported);

    /// <summary>True when ILGPU finds at least one CUDA device (a driver and a GPU).</summary>
    public static bool Cuda { get; } = ProbeCuda();

    private static bool ProbeCuda()
    {
        try
        {
            using var context = Context.Create(builder => builder.Cuda());
            return context.GetCudaDevices().Count > 0;
        }
        catch (Exception)
        {
            return false; // no driver or library: ILGPU reports it in several ways
        }
    }
}

/// <summary>A fact that needs the AVX-512 microkernels; skipped, with the reason, where the processor lacks them.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    /// <summary>Sets <c>Skip</c> when AVX-512 is absent.</summary>
    public Avx512FactAttribute()
    {
        if (!Hardware.Avx512) Skip = "This processor has no AVX-512 (F, BW, DQ, VL): the AVX-512 microkernels cannot run here.";
    }
}

/// <summary>A fact that needs the AVX2 (with FMA3) GEMM path; skipped, with the reason, where the processor lacks it.</summary>
public sealed class Avx2FactAttribute : FactAttribute
{
    /// <summary>Sets <c>Skip</c> when AVX2 or FMA3 is absent.</summary>
    public Avx2FactAttribute()
    {
        if (!GemmInstructionSets.IsSupported(GemmInstructionSet.Avx2)) Skip = "This processor has no AVX2 with FMA3: the AVX2 path cannot run here.";
    }
}

/// <summary>A fact that needs accelerated 512-bit vectors (the direct convolution); skipped, with the reason, where they are absent.</summary>
public sealed class Vector512FactAttribute : FactAttribute
{
    /// <summary>Sets <c>Skip</c> when 512-bit vectors are not accelerated.</summary>
    public Vector512FactAttribute()
    {
        if (!Hardware.Vector512) Skip = "512-bit vectors are not accelerated here (no AVX-512F, or the runtime leaves Vector512 off): the direct convolution cannot run.";
    }
}

/// <summary>A theory that needs accelerated 512-bit vectors (the direct convolution's weight gradient); skipped, with the reason, where they are absent.</summary>
public sealed class Vector512TheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <c>Skip</c> when 512-bit vectors are not accelerated.</summary>
    public Vector512TheoryAttribute()
    {
        if (!Hardware.Vector512) Skip = "512-bit vectors are not accelerated here (no AVX-512F, or the runtime leaves Vector512 off): the direct convolution's weight gradient cannot run.";
    }
}

/// <summary>A fact that needs the vector convolution kernels (AVX-512, or AVX2 + FMA); skipped, with the reason, where they cannot run.</summary>
public sealed class VectorConvolutionFactAttribute : FactAttribute
{
    /// <summary>Sets <c>Skip</c> when neither 512-bit nor AVX2 + FMA 256-bit vectors are accelerated.</summary>
    public VectorConvolutionFactAttribute()
    {
        if (!Hardware.VectorConvolution) Skip = VectorConvolutionTheoryAttribute.Reason;
    }
}

/// <summary>A theory that needs the vector convolution kernels (AVX-512, or AVX2 + FMA); skipped, with the reason, where they cannot run.</summary>
public sealed class VectorConvolutionTheoryAttribute : TheoryAttribute
{
    internal const string Reason = "Neither accelerated 512-bit vectors nor 256-bit ones with AVX2 + FMA here: the direct, widened and Winograd convolutions cannot run (im2col + GEMM does).";

    /// <summary>Sets <c>Skip</c> when neither 512-bit nor AVX2 + FMA 256-bit vectors are accelerated.</summary>
    public VectorConvolutionTheoryAttribute()
    {
        if (!Hardware.VectorConvolution) Skip = Reason;
    }
}

/// <summary>A fact that needs a CUDA device; skipped, with the reason, where there is none.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Sets <c>Skip</c> when no CUDA device is found.</summary>
    public CudaFactAttribute()
    {
        if (!Hardware.Cuda) Skip = "No CUDA device here (no NVIDIA driver or GPU): the CUDA path cannot run.";
    }
}

/// <summary>A fact about the behaviour without a CUDA device; skipped where there is one.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    /// <summary>Sets <c>Skip</c> when a CUDA device is found.</summary>
    public NoCudaFactAttribute()
    {
        if (Hardware.Cuda) Skip = "This machine has a CUDA device: the no-GPU error path cannot be reached here.";
    }
}
