using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Nn;

public class LbfgsTests
{
    [Fact]
    public void MinimizesRosenbrock()
    {
        // f(a, b) = (1 − a)² + 100(b − a²)², minimum 0 at (1, 1).
        var p = MtlTensor.FromArray([-1.2, 1.0], 2);
        p.RequiresGrad = true;
        var lbfgs = new Lbfgs<double>([p]);
        var result = lbfgs.Minimize(() =>
        {
            p.ZeroGrad();
            var a = p.Slice(0, 0, 1);
            var b = p.Slice(0, 1, 2);
            var loss = ((1.0 - a).Square() + (b - a.Square()).Square() * 100.0).Sum();
            loss.Backward();
            return loss;
        }, maxIterations: 200);
        Assert.True(result.Converged, $"{result}");
        Assert.Equal(1.0, p.ToArray()[0], 5);
        Assert.Equal(1.0, p.ToArray()[1], 5);
    }

    [Fact]
    public void SolvesLeastSquaresLikeTheNormalEquations()
    {
        // min ‖Xw − y‖² for a 2-column X: compare with the closed form (XᵀX)⁻¹Xᵀy.
        var x = MtlTensor.FromArray([1.0, 0.5, 2.0, -1.0, 0.0, 3.0, -1.5, 1.0, 2.5, 2.0], 5, 2);
        var y = MtlTensor.FromArray([1.0, 2.0, -1.0, 0.5, 3.0], 5);
        var w = MtlTensor.Zeros<double>(2);
        w.RequiresGrad = true;
        var result = new Lbfgs<double>([w]).Minimize(() =>
        {
            w.ZeroGrad();
            var loss = (x.Matmul(w) - y).Square().Sum();
            loss.Backward();
            return loss;
        });
        var xs = x.ToArray();
        var ys = y.ToArray();
        double a = 0, b = 0, c = 0, u = 0, v = 0;
        for (int i = 0; i < 5; i++) { a += xs[2 * i] * xs[2 * i]; b += xs[2 * i] * xs[2 * i + 1]; c += xs[2 * i + 1] * xs[2 * i + 1]; u += xs[2 * i] * ys[i]; v += xs[2 * i + 1] * ys[i]; }
        double det = a * c - b * b;
        Assert.True(result.Converged);
        Assert.Equal((c * u - b * v) / det, w.ToArray()[0], 7);
        Assert.Equal((a * v - b * u) / det, w.ToArray()[1], 7);
        Assert.True(result.Iterations <= 10, $"{result.Iterations} iterations on a 2-d quadratic");
    }
}
