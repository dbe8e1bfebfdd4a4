using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Kernels.Reduction;

namespace MtlEngine.Benchmarks.Kernels;

/// <summary>
/// The element-wise driver against its scalar twin and against TensorPrimitives where it has the same
/// operation: relu (TensorPrimitives: Max(x, 0)), addition, a comparison mask, and the pairwise sum.
/// Run: dotnet run -c Release --project benchmarks/MtlEngine.Benchmarks -- --filter '*ElementwiseBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _d = [];

    [Params(1_000, 100_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _x = Enumerable.Range(0, N).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        _y = Enumerable.Range(0, N).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        _d = new float[N];
    }

    [Benchmark(Baseline = true)] public void Relu_ScalarTwin() => ElementwiseReference.Unary<float, ReluOperator<float>>(_x, _d, default);
    [Benchmark] public void Relu_Driver() => ElementwiseDriver.Unary<float, ReluOperator<float>>(_x, _d, default);
    [Benchmark] public void Relu_TensorPrimitivesMax() => TensorPrimitives.Max(_x, 0f, _d);

    [Benchmark] public void Add_ScalarTwin() => ElementwiseReference.Binary<float, AddVector>(_x, _y, _d, default);
    [Benchmark] public void Add_Driver() => ElementwiseDriver.Binary<float, AddVector>(_x, _y, _d, default);
    [Benchmark] public void Add_TensorPrimitives() => TensorPrimitives.Add(_x, _y, _d);

    [Benchmark] public void Greater_ScalarTwin() => ElementwiseReference.Binary<float, GreaterOperator<float>>(_x, _y, _d, default);
    [Benchmark] public void Greater_Driver() => ElementwiseDriver.Binary<float, GreaterOperator<float>>(_x, _y, _d, default);

    // Our tanh is sign(x)·t/(t + 2) with t = expm1(2|x|) (relative accuracy near 0); TensorPrimitives' is faster but not.
    [Benchmark] public void Tanh_Accurate() => default(TanhOperator<float>).Invoke(_x, _d);
    [Benchmark] public void Tanh_TensorPrimitives() => TensorPrimitives.Tanh(_x, _d);

    [Benchmark] public float Sum_ScalarTwin() => ReductionReference.Sum<float>(_x);
    [Benchmark] public float Sum_Pairwise() => ReductionKernels.Sum<float>(_x);
    [Benchmark] public float Sum_TensorPrimitives() => TensorPrimitives.Sum<float>(_x);

    /// <summary>x + y as a driver operator, to compare the driver with TensorPrimitives.Add on equal work.</summary>
    public readonly struct AddVector : IBinaryOperator<float>
    {
        public float Invoke(float x, float y) => x + y;
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
    }
}
