using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Gpu;

namespace MtlEngine.Tests.Gpu;

/// <summary>
/// The CUDA path without a GPU: ILGPU's PTX backend compiles every kernel (and the CPU operator structs they
/// call) to PTX, which catches what the CPU accelerator accepts but the GPU compiler does not (managed calls,
/// unsupported intrinsics). Running the PTX needs a GPU.
/// </summary>
public sealed class PtxFixture : IDisposable
{
    public Context Context { get; } = Context.Create(builder => builder.Cuda().EnableAlgorithms());
    public PTXBackend Backend { get; }
    public PtxFixture() => Backend = new PTXBackend(Context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null!);
    public void Dispose() { Backend.Dispose(); Context.Dispose(); }
}

public class GpuCudaCompileTests(PtxFixture fixture) : IClassFixture<PtxFixture>
{
    private string Compile(Delegate kernel, bool explicitlyGrouped)
    {
        var entry = explicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method);
        var compiled = (PTXCompiledKernel)fixture.Backend.Compile(entry, KernelSpecialization.Empty);
        Assert.Contains(".entry", compiled.PTXAssembly);
        return compiled.PTXAssembly;
    }

    [Fact]
    public void Gemm_compiles_to_ptx_for_float_and_double()
    {
        string ptx = Compile((Action<GpuMatrix<float>, GpuMatrix<float>, GpuMatrix<float>, float, float>)GpuGemm.TiledKernel<float>, true);
        Assert.Contains(".shared", ptx);
        Assert.Contains("bar.sync", ptx);
        Assert.DoesNotContain("ld.local", ptx); // the register block stays in registers
        Compile((Action<GpuMatrix<double>, GpuMatrix<double>, GpuMatrix<double>, double, double>)GpuGemm.TiledKernel<double>, true);
    }

    [Fact]
    public void Element_wise_kernels_with_the_cpu_operators_compile_to_ptx()
    {
        Compile((Action<Index1D, ArrayView<float>, ArrayView<float>, ExpOperator<float>>)GpuElementwise.UnaryKernel<float, ExpOperator<float>>, false);
        Compile((Action<Index1D, ArrayView<double>, ArrayView<double>, SigmoidOperator<double>>)GpuElementwise.UnaryKernel<double, SigmoidOperator<double>>, false);
        Compile((Action<Index1D, ArrayView<float>, ArrayView<float>, VectorizedUnary<float, ReluOperator<float>>>)GpuElementwise.UnaryKernel<float, VectorizedUnary<float, ReluOperator<float>>>, false);
        Compile((Action<Index1D, ArrayView<float>, int, ArrayView<float>, int, ArrayView<int>, ArrayView<float>, AddOperator<float>>)GpuElementwise.StridedBinaryKernel<float, AddOperator<float>>, false);
        Compile((Action<Index1D, ArrayView<double>, int, ArrayView<int>, ArrayView<double>, VectorizedUnary<double, CopyOperator<double>>>)GpuElementwise.StridedUnaryKernel<double, VectorizedUnary<double, CopyOperator<double>>>, false);
    }

    [Fact]
    public void Reduction_softmax_and_transpose_kernels_compile_to_ptx()
    {
        Compile((Action<ArrayView<float>, ArrayView<float>, int, int, float, SumReduction<float>>)GpuReduce.AxisKernel<float, SumReduction<float>>, true);
        Compile((Action<ArrayView<double>, ArrayView<double>, int, int, double, MaxReduction<double>>)GpuReduce.AxisKernel<double, MaxReduction<double>>, true);
        Compile((Action<ArrayView<float>, ArrayView<float>, int, int>)GpuSoftmax.SoftmaxKernel<float>, true);
        Compile((Action<ArrayView<double>, ArrayView<int>, int, ArrayView<double>, ArrayView<double>, double>)GpuSoftmax.CrossEntropyKernel<double>, true);
        Compile((Action<ArrayView<float>, int, int, ArrayView<float>>)GpuTranspose.TileKernel<float>, true);
    }

    [Fact]
    public void Optimizer_kernels_with_the_shared_rules_compile_to_ptx()
    {
        // The rules (MtlEngine.Kernels.Optimizers.OptimizerRules) are generic methods with ref arguments and a static
        // abstract square root: the PTX backend must inline them into one kernel without managed calls.
        foreach (string ptx in new[]
        {
            Compile((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, MtlEngine.Kernels.Optimizers.SgdStep<float>>)GpuOptimizers.SgdKernel<float>, false),
            Compile((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MtlEngine.Kernels.Optimizers.AdamStep<float>>)GpuOptimizers.AdamKernel<float>, false),
            Compile((Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, MtlEngine.Kernels.Optimizers.AdamStep<double>>)GpuOptimizers.AdamKernel<double>, false),
            Compile((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MtlEngine.Kernels.Optimizers.RmsPropStep<float>>)GpuOptimizers.RmsPropKernel<float>, false),
        })
            Assert.DoesNotContain("call.uni", ptx);
    }
}
