using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// <see cref="FirstTouch"/>: the fresh result storage written by several threads holds exactly what the one-thread code
/// wrote (a copy, zeros), above and below the length where it forks; and QR's results built on it do not depend on the thread count.
/// </summary>
public class FirstTouchTests
{
    [Theory]
    [InlineData(3, 5)]
    [InlineData(700, 300)]   // 210000 elements: above ParallelLength, split over the threads
    [InlineData(1, FirstTouch.ParallelLength + 3)]
    public void Copy_and_zeros_on_several_threads_equal_the_one_thread_forms(int rows, int columns)
    {
        var a = Random(rows, columns, 11);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var par = new Parallelism(threads);
            var copy = FirstTouch.Copy(a, par);
            Assert.NotSame(a.Data, copy.Data);
            Assert.Equal((rows, columns), (copy.Rows, copy.Columns));
            Assert.Equal(a.Data, copy.Data);
            var zeros = FirstTouch.Zeros(rows, columns, par);
            Assert.Equal((rows, columns), (zeros.Rows, zeros.Columns));
            Assert.All(zeros.Data, x => Assert.Equal(0.0, x));
            var dirty = (double[])a.Data.Clone();
            FirstTouch.Clear(dirty, par);
            Assert.All(dirty, x => Assert.Equal(0.0, x));
            dirty = (double[])a.Data.Clone();
            FirstTouch.ClearInBackground(dirty, par)?.Wait();
            Assert.All(dirty, x => Assert.Equal(0.0, x));
        }
    }

    [Fact]
    public void Qr_on_fresh_storage_does_not_depend_on_the_thread_count()
    {
        // 600×300 = 180000 elements: the copy of A, the thin Q and R are first touched by several threads.
        var a = Random(600, 300, 12);
        var one = Qr.Factor(a, new Parallelism(1));
        var two = Qr.Factor(a, new Parallelism(2));
        Assert.Equal(one.Factors.Data, two.Factors.Data);
        Assert.Equal(one.Tau, two.Tau);
        Assert.Equal(one.ThinQ().Data, two.ThinQ().Data);
        Assert.Equal(one.R.Data, two.R.Data);
        var reference = QrTextbook.Factor(a);
        double scale = 0;
        foreach (double x in reference.Factors.Data) scale = Math.Max(scale, Math.Abs(x));
        for (int i = 0; i < a.Data.Length; i++) Assert.True(Math.Abs(two.Factors.Data[i] - reference.Factors.Data[i]) <= 1e-10 * scale, $"factor {i}");
        var qr = DenseMatrix.Multiply(two.ThinQ(), two.R);
        for (int i = 0; i < a.Data.Length; i++) Assert.True(Math.Abs(qr.Data[i] - a.Data[i]) <= 1e-12 * 300, $"Q·R = A at {i}");
    }
}
