using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Nn;

// Optimizer steps by hand on f(p) = ½‖p‖² (so ∇f = p) and on fixed gradients.
public class OptimizerTests
{
    private static MtlTensor<double> Parameter(params double[] values)
    {
        var p = MtlTensor.FromArray(values, values.Length);
        p.RequiresGrad = true;
        return p;
    }

    private static void SetGrad(MtlTensor<double> p, params double[] g) => p.Grad = MtlTensor.FromArray(g, g.Length);

    [Fact]
    public void SgdWithMomentumAndWeightDecayByHand()
    {
        var p = Parameter(1.0, -2.0);
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01);
        SetGrad(p, 0.5, 0.5);
        sgd.Step(); // d = g + 0.01p = (0.51, 0.48); b = d; p -= 0.1 b
        Assert.Equal([1.0 - 0.051, -2.0 - 0.048], p.ToArray());
        SetGrad(p, 0.5, 0.5);
        var p1 = p.ToArray();
        sgd.Step(); // d = g + 0.01p1; b = 0.9b + d
        double b0 = 0.9 * 0.51 + (0.5 + 0.01 * p1[0]);
        Assert.Equal(p1[0] - 0.1 * b0, p.ToArray()[0], 15);
    }

    [Fact]
    public void NesterovLooksAhead()
    {
        var p = Parameter(1.0);
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.5, nesterov: true);
        SetGrad(p, 2.0);
        sgd.Step(); // b = 2, d = 2 + 0.5·2 = 3
        Assert.Equal(0.7, p.Item(), 15);
        SetGrad(p, 2.0);
        sgd.Step(); // b = 0.5·2 + 2 = 3, d = 2 + 1.5 = 3.5
        Assert.Equal(0.35, p.Item(), 15);
        Assert.Throws<ArgumentException>(() => new Sgd<double>([p], 0.1, momentum: 0, nesterov: true));
    }

    [Fact]
    public void AdamsFirstStepIsTheLearningRateTimesTheSign()
    {
        // t = 1: m̂ = g, v̂ = g², so the step is η·g/(|g| + ε).
        var p = Parameter(1.0, 1.0, 1.0);
        var adam = new Adam<double>([p], learningRate: 0.01, epsilon: 1e-8);
        SetGrad(p, 3.0, -0.2, 0.0);
        adam.Step();
        var v = p.ToArray();
        Assert.Equal(1.0 - 0.01 * 3.0 / (3.0 + 1e-8), v[0], 15);
        Assert.Equal(1.0 + 0.01 * 0.2 / (0.2 + 1e-8), v[1], 15);
        Assert.Equal(1.0, v[2]);
    }

    [Fact]
    public void AdamSecondStepByHand()
    {
        var p = Parameter(0.5);
        var adam = new Adam<double>([p], learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8);
        SetGrad(p, 1.0);
        adam.Step();
        SetGrad(p, -2.0);
        double before = p.Item();
        adam.Step();
        double m = 0.9 * 0.1 + 0.1 * -2.0, v = 0.99 * 0.01 + 0.01 * 4.0;
        double expected = before - 0.1 / (1 - 0.81) * m / (Math.Sqrt(v) / Math.Sqrt(1 - 0.9801) + 1e-8);
        Assert.Equal(expected, p.Item(), 14);
    }

    [Fact]
    public void AdamWDecaysTheWeightsOutsideTheMoments()
    {
        // With a zero gradient AdamW only shrinks p by (1 − ηλ); Adam's L2 form would move it by a full step.
        var w = Parameter(2.0);
        var adamw = new AdamW<double>([w], learningRate: 0.1, weightDecay: 0.5);
        SetGrad(w, 0.0);
        adamw.Step();
        Assert.Equal(2.0 * (1 - 0.05), w.Item(), 15);
        var a = Parameter(2.0);
        var adam = new Adam<double>([a], learningRate: 0.1, weightDecay: 0.5);
        SetGrad(a, 0.0);
        adam.Step();
        Assert.Equal(2.0 - 0.1, a.Item(), 6);
    }

    [Fact]
    public void OptimizersMinimizeAQuadratic()
    {
        foreach (var make in new Func<MtlTensor<double>, Optimizer<double>>[]
        {
            p => new Sgd<double>([p], 0.1, momentum: 0.9),
            p => new Adam<double>([p], 0.05),
            p => new AdamW<double>([p], 0.05, weightDecay: 0),
        })
        {
            var p = Parameter(3.0, -4.0);
            var optimizer = make(p);
            for (int step = 0; step < 400; step++)
            {
                optimizer.ZeroGrad();
                (p.Square().Sum() * 0.5).Backward();
                optimizer.Step();
            }
            Assert.All(p.ToArray(), v => Assert.InRange(v, -1e-2, 1e-2));
        }
    }

    [Fact]
    public void ClippingScalesTheGlobalNorm()
    {
        var a = Parameter(0.0, 0.0);
        var b = Parameter(0.0);
        SetGrad(a, 3.0, 0.0);
        SetGrad(b, 4.0);
        double norm = GradientClipping.ClipNorm([a, b], 1.0);
        Assert.Equal(5.0, norm, 15);
        Assert.Equal(0.6, a.Grad!.ToArray()[0], 6);
        Assert.Equal(0.8, b.Grad!.Item(), 6);
        Assert.Equal(1.0, GradientClipping.ClipNorm([a, b], 10.0), 5); // below the limit: unchanged
    }

    [Fact]
    public void SchedulesFollowTheirFormulas()
    {
        var step = new StepSchedule(1.0, 10, 0.5);
        Assert.Equal([1.0, 1.0, 0.5, 0.25], new[] { 0, 9, 10, 25 }.Select(step.RateAt).ToArray());
        var cosine = new CosineSchedule(1.0, 100, 0.1);
        Assert.Equal(1.0, cosine.RateAt(0), 15);
        Assert.Equal(0.55, cosine.RateAt(50), 15);
        Assert.Equal(0.1, cosine.RateAt(100), 15);
        var warm = new WarmupSchedule(cosine, 4);
        Assert.Equal([0.25, 0.5, 0.75, 1.0, 1.0], Enumerable.Range(0, 5).Select(warm.RateAt).ToArray());
    }
}
