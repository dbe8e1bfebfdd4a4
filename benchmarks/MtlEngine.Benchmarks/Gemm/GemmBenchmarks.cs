using BenchmarkDotNet.Attributes;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Benchmarks.Gemm;

/// <summary>
/// C = A·B for square row-major n×n matrices, float and double, on 1 and 2 threads.
/// Run a slice with e.g. <c>dotnet run -c Release -- --filter '*GemmBenchmarks*' --anyCategories f32</c>;
/// the full grid takes long (4096³ in double is 137 GFLOP per call). GFLOPS = 2n³ / mean time.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    [Params(32, 64, 128, 256, 512, 1024, 2048, 4096)]
    public int N { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _af = [], _bf = [], _cf = [];
    private double[] _ad = [], _bd = [], _cd = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        int length = N * N;
        _af = new float[length]; _bf = new float[length]; _cf = new float[length];
        _ad = new double[length]; _bd = new double[length]; _cd = new double[length];
        for (int i = 0; i < length; i++)
        {
            _ad[i] = random.NextDouble() - 0.5; _bd[i] = random.NextDouble() - 0.5;
            _af[i] = (float)_ad[i]; _bf[i] = (float)_bd[i];
        }
    }

    [Benchmark, BenchmarkCategory("f32")]
    public void Float() =>
        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1f, new ReadOnlyMatrixSpan<float>(_af, N, N), new ReadOnlyMatrixSpan<float>(_bf, N, N), 0f,
            new MatrixSpan<float>(_cf, N, N), new Parallelism(Threads));

    [Benchmark, BenchmarkCategory("f64")]
    public void Double() =>
        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1.0, new ReadOnlyMatrixSpan<double>(_ad, N, N), new ReadOnlyMatrixSpan<double>(_bd, N, N), 0.0,
            new MatrixSpan<double>(_cd, N, N), new Parallelism(Threads));
}
