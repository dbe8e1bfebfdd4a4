using System.Numerics;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Weighting;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.MultiTask.Weighting;

/// <summary>
/// The fast paths of a gradient-aggregation step (<see cref="TaskJacobian"/>) against their textbook twins, bitwise:
/// J from the task gradients (vectorized conversion, no copy of contiguous gradients) against an element-by-element
/// loop, D cut into parameter-shaped tensors the same way, and D written into the Grads directly against through the
/// surrogate backward pass (Grad null and Grad already holding a gradient). Odd shapes, float and double.
/// </summary>
public class TaskJacobianTests
{
    private static T[] Values<T>(int count, int seed) where T : unmanaged, IFloatingPointIeee754<T> =>
        Enumerable.Range(0, count).Select(i => T.CreateChecked(Math.Sin(0.37 * i + seed) * Math.Exp(Math.Cos(1.3 * i * seed)))).ToArray();

    private static MtlTensor<T>[][] Gradients<T>(int[][] shapes, int tasks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new MtlTensor<T>[tasks][];
        for (int t = 0; t < tasks; t++)
        {
            result[t] = new MtlTensor<T>[shapes.Length];
            for (int j = 0; j < shapes.Length; j++)
            {
                int length = shapes[j].Aggregate(1, (a, b) => a * b);
                result[t][j] = MtlTensor.FromArray(Values<T>(length, 10 * t + j + 1), shapes[j]);
            }
        }
        // A non-contiguous gradient (a transposed view) must flatten in its own row-major order.
        var last = shapes[^1];
        if (last.Length == 2)
            result[0][^1] = MtlTensor.FromArray(Values<T>(last[0] * last[1], 99), last[1], last[0]).Transpose();
        return result;
    }

    private static readonly int[][] Shapes = [[7, 5], [1], [13], [3, 11]];

    private static void FlattenIsTheElementwiseCopy<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gradients = Gradients<T>(Shapes, 3);
        var j = TaskJacobian.Flatten(gradients, count: 3); // the last tensor is left out
        Assert.Equal((3, 35 + 1 + 13), (j.Rows, j.Columns));
        for (int t = 0; t < 3; t++)
        {
            int column = 0;
            for (int k = 0; k < 3; k++)
            {
                var g = gradients[t][k];
                var index = new int[g.Rank];
                for (int e = 0; e < g.Length; e++, column++)
                {
                    for (int d = g.Rank - 1, rest = e; d >= 0; d--) { index[d] = rest % g.Shape[d]; rest /= g.Shape[d]; }
                    Assert.Equal(double.CreateChecked(g[index]), j[t, column]);
                }
            }
        }
        var all = TaskJacobian.Flatten(gradients, count: 4);
        var transposed = gradients[0][3];
        Assert.Equal(double.CreateChecked(transposed[2, 1]), all[0, 49 + 2 * 11 + 1]);
    }

    [Fact]
    public void FlattenIsTheElementwiseCopyInFloat() => FlattenIsTheElementwiseCopy<float>();

    [Fact]
    public void FlattenIsTheElementwiseCopyInDouble() => FlattenIsTheElementwiseCopy<double>();

    private static void SplitIsTheElementwiseConversion<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parameters = Shapes.Select(s => MtlTensor.Zeros<T>(s)).ToList();
        int total = parameters.Sum(p => p.Length);
        var direction = Values<double>(total, 5).Select(v => v * 1e-3 + v * v * 1.234567891234e-9).ToArray();
        var split = TaskJacobian.Split(parameters, direction);
        int offset = 0;
        for (int k = 0; k < parameters.Count; k++)
        {
            Assert.Equal(parameters[k].Shape.ToArray(), split[k].Shape.ToArray());
            var values = split[k].ToArray();
            for (int i = 0; i < values.Length; i++) Assert.Equal(T.CreateChecked(direction[offset + i]), values[i]);
            offset += values.Length;
        }
        Assert.Throws<ArgumentException>(() => TaskJacobian.Split(parameters, direction.AsSpan(0, total - 1)));
        Assert.Throws<ArgumentException>(() => TaskJacobian.Split(parameters, new double[total + 1]));
    }

    [Fact]
    public void SplitIsTheElementwiseConversionInFloat() => SplitIsTheElementwiseConversion<float>();

    [Fact]
    public void SplitIsTheElementwiseConversionInDouble() => SplitIsTheElementwiseConversion<double>();

    private static List<(MtlTensor<T>, MtlTensor<T>)> Pairs<T>(bool withGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pairs = new List<(MtlTensor<T>, MtlTensor<T>)>();
        for (int k = 0; k < Shapes.Length; k++)
        {
            int length = Shapes[k].Aggregate(1, (a, b) => a * b);
            var parameter = MtlTensor.FromArray(Values<T>(length, 40 + k), Shapes[k]);
            parameter.RequiresGrad = k != 1; // one tensor that takes no gradient
            if (withGrad && parameter.RequiresGrad) parameter.Grad = MtlTensor.FromArray(Values<T>(length, 60 + k), Shapes[k]);
            var values = Values<T>(length, 80 + k);
            values[0] = -T.Zero; // a negative zero, which the sum 0 + (−0) turns into +0 on either path
            pairs.Add((parameter, MtlTensor.FromArray(values, Shapes[k])));
        }
        return pairs;
    }

    private static void DirectGradientsAreTheSurrogateBackwards<T>(bool withGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var direct = Pairs<T>(withGrad);
        var surrogate = Pairs<T>(withGrad);
        TaskJacobian.AddToGradients(direct);
        TaskJacobian.AddToGradientsByBackward(surrogate);
        for (int k = 0; k < direct.Count; k++)
        {
            var (a, b) = (direct[k].Item1.Grad, surrogate[k].Item1.Grad);
            if (b is null) { Assert.Null(a); continue; }
            Assert.NotNull(a);
            Assert.Equal(b.Shape.ToArray(), a.Shape.ToArray());
            var (x, y) = (a.ToArray(), b.ToArray());
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(double.CreateChecked(x[i])) == BitConverter.DoubleToInt64Bits(double.CreateChecked(y[i])),
                    $"tensor {k}, element {i}: {x[i]} directly, {y[i]} through the backward pass");
        }
        Assert.Null(direct[1].Item1.Grad);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DirectGradientsAreTheSurrogateBackwardsInFloat(bool withGrad) => DirectGradientsAreTheSurrogateBackwards<float>(withGrad);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DirectGradientsAreTheSurrogateBackwardsInDouble(bool withGrad) => DirectGradientsAreTheSurrogateBackwards<double>(withGrad);

    [Fact]
    public void DirectGradientsOwnTheirBuffer()
    {
        // Grad must be a copy, not the direction tensor itself: the optimizer and the next step's ZeroGrad write into Grad.
        var pairs = Pairs<double>(withGrad: false);
        TaskJacobian.AddToGradients(pairs);
        Assert.False(ReferenceEquals(pairs[0].Item2, pairs[0].Item1.Grad));
        pairs[0].Item1.Grad!.AsSpan().Clear();
        Assert.NotEqual(0.0, pairs[0].Item2.ToArray()[1]);
    }

    [Fact]
    public void CosinesAreThoseOfTheRows()
    {
        var j = new DenseMatrix(3, 4, [1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
        var c = TaskJacobian.Cosines(j);
        Assert.Equal(1.0, c[0, 0]);
        Assert.Equal(1 / Math.Sqrt(2), c[0, 1], 15);
        Assert.Equal(c[0, 1], c[1, 0]);
        Assert.Equal(0.0, c[2, 2]); // a zero row has cosine 0 with every row
    }
}
