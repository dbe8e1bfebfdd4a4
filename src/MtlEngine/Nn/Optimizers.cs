using System.Numerics;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Updates parameters in place from their accumulated gradients. The state (momentum, moments) is allocated
/// once, on the first step, and reused; parameters without a gradient are skipped. Arithmetic follows PyTorch's
/// implementations step for step, so that fixtures from PyTorch match.
/// </summary>
/// <remarks>
/// Parameters on a GPU device (<c>Module.To</c>) are updated there by one kernel per parameter (the same arithmetic as
/// the CPU loop), with the state in device memory; <see cref="Dispose"/> gives that memory back.
/// </remarks>
public abstract class Optimizer<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, MtlTensor<T>[]> _deviceState = [];

    /// <summary>Creates the optimizer over <paramref name="parameters"/> (contiguous leaves).</summary>
    /// <exception cref="ArgumentException">When a parameter is not a contiguous tensor.</exception>
    protected Optimizer(IEnumerable<MtlTensor<T>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        foreach (var p in Parameters)
            if (!p.IsContiguous)
                throw new ArgumentException($"Optimizers update parameters in place and need contiguous tensors, but one has shape {MtlTensor<T>.ShapeText(p.Shape)} and strides {MtlTensor<T>.ShapeText(p.Strides)}.");
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be ≥ 0.");
        LearningRate = learningRate;
    }

    /// <summary>The parameters, in order.</summary>
    public IReadOnlyList<MtlTensor<T>> Parameters { get; }

    /// <summary>The learning rate of the next step (a schedule may change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>How many steps have been taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>Takes one step from the current gradients.</summary>
    public void Step()
    {
        StepCount++;
        for (int k = 0; k < Parameters.Count; k++)
        {
            var p = Parameters[k];
            if (p.Grad is null) continue;
            if (p.Device.Kind != DeviceKind.Cpu)
            {
                if (p.Grad.Device != p.Device)
                    throw new InvalidOperationException($"A parameter on {p.Device} has its gradient on {p.Grad.Device}; move the module with To(device) before training.");
                UpdateOnDevice(k, p, p.Grad.Contiguous());
                continue;
            }
            Update(k, p.AsSpan(), p.Grad.Contiguous().AsSpan());
        }
    }

    /// <summary>
    /// Updates parameter <paramref name="index"/> that lives on a GPU device from its gradient <paramref name="g"/> (same
    /// device, contiguous), in place there. SGD, Adam and AdamW run one kernel; another optimizer says that it has no device form.
    /// </summary>
    /// <exception cref="NotSupportedException">For an optimizer without a device form.</exception>
    protected virtual void UpdateOnDevice(int index, MtlTensor<T> p, MtlTensor<T> g) =>
        throw new NotSupportedException($"{GetType().Name} has no device form; move the module to the cpu with To(Device.Cpu) to train with it.");

    /// <summary>The zero-initialized device state <paramref name="name"/> of parameter <paramref name="index"/> (its shape and device), allocated on first use and kept.</summary>
    protected MtlTensor<T> DeviceState(string name, int index)
    {
        if (!_deviceState.TryGetValue(name, out var states)) _deviceState[name] = states = new MtlTensor<T>[Parameters.Count];
        var p = Parameters[index];
        return states[index] ??= GpuTensorOps.Full(p.Device, p.Shape.ToArray(), T.Zero, scoped: false);
    }

    /// <summary>Gives the optimizer's device state (momentum, moments) back to the device pool; the optimizer must not step again.</summary>
    public void Dispose()
    {
        foreach (var states in _deviceState.Values)
            foreach (var state in states) state?.ReleaseDeviceMemory();
        _deviceState.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Updates parameter <paramref name="index"/> (values <paramref name="p"/>) from gradient <paramref name="g"/>.</summary>
    protected abstract void Update(int index, Span<T> p, ReadOnlySpan<T> g);

    /// <summary>A zeroed state buffer per parameter, allocated once.</summary>
    protected T[][] StateBuffers() => Parameters.Select(p => new T[p.Length]).ToArray();

    /// <summary>Zero-fills every parameter's gradient (keeps the buffers).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }
}

/// <summary>
/// Stochastic gradient descent with momentum (Polyak, or Nesterov as in Sutskever et al. 2013) and L2 weight decay,
/// PyTorch's <c>torch.optim.SGD</c>: g ← ∇ + λp; b ← μb + (1 − τ)g (b = g on the first step); g ← g + μb (Nesterov)
/// or b; p ← p − η·g.
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[][]? _momentum;

    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">When Nesterov is asked for without momentum or with dampening.</exception>
    public Sgd(IEnumerable<MtlTensor<T>> parameters, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(parameters, learningRate)
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and dampening = 0.");
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>τ.</summary>
    public double Dampening { get; }

    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <summary>λ (L2 penalty added to the gradient).</summary>
    public double WeightDecay { get; }

    /// <inheritdoc />
    protected override void UpdateOnDevice(int index, MtlTensor<T> p, MtlTensor<T> g)
    {
        var step = new SgdStep<T>(T.CreateChecked(LearningRate), T.CreateChecked(Momentum), T.One - T.CreateChecked(Dampening),
            T.CreateChecked(WeightDecay), StepCount == 1 ? 1 : 0, Nesterov ? 1 : 0);
        GpuTensorOps.SgdStep(p, g, Momentum != 0 ? DeviceState("momentum", index) : null, step);
    }

    /// <inheritdoc />
    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> g)
    {
        T lr = T.CreateChecked(LearningRate), mu = T.CreateChecked(Momentum), wd = T.CreateChecked(WeightDecay);
        T keep = T.One - T.CreateChecked(Dampening);
        var buffer = Momentum != 0 ? (_momentum ??= StateBuffers())[index] : null;
        bool firstStep = StepCount == 1;
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i] + wd * p[i];
            if (buffer is not null)
            {
                buffer[i] = firstStep ? d : mu * buffer[i] + keep * d;
                d = Nesterov ? d + mu * buffer[i] : buffer[i];
            }
            p[i] -= lr * d;
        }
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba 2015), PyTorch's <c>torch.optim.Adam</c>: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
/// p ← p − (η / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε). Weight decay here is an L2 term added to g; for the
/// decoupled form use <see cref="AdamW{T}"/>.
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[][]? _m, _v;

    /// <summary>Creates the optimizer.</summary>
    public Adam(IEnumerable<MtlTensor<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(parameters, learningRate)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>True for AdamW: decay the weights directly (p ← p(1 − ηλ)) instead of adding λp to the gradient.</summary>
    protected virtual bool Decoupled => false;

    /// <inheritdoc />
    protected override void UpdateOnDevice(int index, MtlTensor<T> p, MtlTensor<T> g)
    {
        // The constants exactly as the CPU loop below forms them (same roundings in T).
        int t = StepCount;
        double correction1 = 1 - Math.Pow(Beta1, t), correction2 = 1 - Math.Pow(Beta2, t);
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2);
        var step = new AdamStep<T>(b1, b2, T.One - b1, T.One - b2, T.CreateChecked(LearningRate / correction1), T.CreateChecked(Math.Sqrt(correction2)),
            T.CreateChecked(Epsilon), T.CreateChecked(WeightDecay), T.One - T.CreateChecked(LearningRate * WeightDecay), Decoupled ? 1 : 0);
        GpuTensorOps.AdamStep(p, g, DeviceState("m", index), DeviceState("v", index), step);
    }

    /// <inheritdoc />
    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> g)
    {
        _m ??= StateBuffers();
        _v ??= StateBuffers();
        var m = _m[index].AsSpan();
        var v = _v[index].AsSpan();
        int t = StepCount;
        double correction1 = 1 - Math.Pow(Beta1, t), correction2 = 1 - Math.Pow(Beta2, t);
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2), oneMinusB1 = T.One - b1, oneMinusB2 = T.One - b2;
        T stepSize = T.CreateChecked(LearningRate / correction1);
        T sqrtCorrection2 = T.CreateChecked(Math.Sqrt(correction2));
        T eps = T.CreateChecked(Epsilon), wd = T.CreateChecked(WeightDecay);
        T decay = T.One - T.CreateChecked(LearningRate * WeightDecay);
        bool decoupled = Decoupled;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            // The same arithmetic, Vector<T>.Count lanes at a time (element-wise, so bitwise equal to the loop below).
            var vb1 = new Vector<T>(b1); var vb2 = new Vector<T>(b2); var v1b1 = new Vector<T>(oneMinusB1); var v1b2 = new Vector<T>(oneMinusB2);
            var vStep = new Vector<T>(stepSize); var vCorr = new Vector<T>(sqrtCorrection2); var vEps = new Vector<T>(eps);
            var vWd = new Vector<T>(wd); var vDecay = new Vector<T>(decay);
            for (; i <= p.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var pi = new Vector<T>(p[i..]);
                var gi = new Vector<T>(g[i..]);
                if (decoupled) pi *= vDecay;
                else gi += vWd * pi;
                var mi = vb1 * new Vector<T>(m[i..]) + v1b1 * gi;
                var vi = vb2 * new Vector<T>(v[i..]) + v1b2 * gi * gi;
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                (pi - vStep * mi / (Vector.SquareRoot(vi) / vCorr + vEps)).CopyTo(p[i..]);
            }
        }
        for (; i < p.Length; i++)
        {
            T gi = g[i];
            if (decoupled) p[i] *= decay;
            else gi += wd * p[i];
            m[i] = b1 * m[i] + oneMinusB1 * gi;
            v[i] = b2 * v[i] + oneMinusB2 * gi * gi;
            p[i] -= stepSize * m[i] / (T.Sqrt(v[i]) / sqrtCorrection2 + eps);
        }
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019), PyTorch's <c>torch.optim.AdamW</c>: Adam with decoupled weight decay,
/// p ← p(1 − ηλ) before the Adam step. PyTorch's default λ is 0.01.
/// </summary>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer.</summary>
    public AdamW(IEnumerable<MtlTensor<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <inheritdoc />
    protected override bool Decoupled => true;
}

/// <summary>Gradient clipping.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients by min(1, maxNorm / (‖g‖ + 10⁻⁶)), with ‖g‖ the L2 norm of all gradients together
    /// (PyTorch's <c>clip_grad_norm_</c>). Returns ‖g‖ before clipping.
    /// </summary>
    public static double ClipByNorm<T>(IEnumerable<MtlTensor<T>> parameters, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Select(p => p.Grad).OfType<MtlTensor<T>>().ToList();
        if (grads.Count > 0 && grads[0].Device.Kind != DeviceKind.Cpu) return ClipOnDevice(grads, maxNorm);
        double sumSquares = 0;
        foreach (var g in grads)
            foreach (T x in g.Contiguous().AsSpan()) sumSquares += double.CreateChecked(x * x);
        double norm = Math.Sqrt(sumSquares);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
        {
            T s = T.CreateChecked(scale);
            foreach (var g in grads)
            {
                var span = g.AsSpan();
                for (int i = 0; i < span.Length; i++) span[i] *= s;
            }
        }
        return norm;
    }

    /// <summary>The same on a device: Σ g² summed there, one scalar read back (the norm is returned), the scaling in place there.</summary>
    private static double ClipOnDevice<T>(List<MtlTensor<T>> grads, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double norm;
        using (Autograd.Grad.NoGrad())
        using (DeviceMemoryScope.Begin())
        {
            MtlTensor<T>? total = null;
            foreach (var g in grads)
            {
                var part = g.Square().Sum();
                total = total is null ? part : total + part;
            }
            norm = Math.Sqrt(double.CreateChecked(total!.Item()));
        }
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
            foreach (var g in grads) GpuTensorOps.Update(g, MtlTensor.Scalar(T.CreateChecked(scale)), default(Kernels.Elementwise.MultiplyOperator<T>), "ClipByNorm");
        return norm;
    }
}
