using System.Numerics;
using MtlEngine.Kernels.Elementwise;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>Gradient clipping, in place on the parameters' gradients (PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together by min(1, maxNorm / (‖g‖ + 10⁻⁶)), with ‖g‖ the p-norm of the vector of all gradients
    /// (computed as PyTorch does, the norm of the per-parameter norms; p = ∞ takes the largest |g|). Parameters without a
    /// gradient are skipped. Returns ‖g‖ before clipping (0 when no parameter has a gradient).
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest norm allowed.</param>
    /// <param name="normType">p: any p &gt; 0, or <see cref="double.PositiveInfinity"/>.</param>
    /// <param name="errorIfNonfinite">Throw when ‖g‖ is NaN or infinite instead of scaling by it.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">When <paramref name="errorIfNonfinite"/> is set and the norm is not finite.</exception>
    /// <remarks>
    /// On the CPU the norms are summed in double precision. Gradients on a GPU device are reduced there for p = 2 (Σ g² of
    /// every gradient summed in T, one scalar read back); other p download the gradients. The scaling runs where they live.
    /// </remarks>
    public static double ClipNorm<T>(IEnumerable<MtlTensor<T>> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The largest norm must be ≥ 0.");
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "The norm type p must be > 0 (or +∞).");
        var grads = Gradients(parameters);
        if (grads.Count == 0) return 0;
        double norm = grads[0].Device.Kind != DeviceKind.Cpu && normType == 2 ? DeviceTwoNorm(grads) : TotalNorm(grads, normType);
        if (errorIfNonfinite && !double.IsFinite(norm))
            throw new InvalidOperationException($"The total {normType}-norm of the gradients is {norm}; the gradients cannot be clipped. Look for a NaN or an overflow in the loss, or pass errorIfNonfinite: false.");
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
            foreach (var g in grads) Scale(g, T.CreateChecked(scale));
        return norm;
    }

    /// <summary>Clamps every gradient element into [−value, value] (PyTorch's <c>clip_grad_value_</c>); parameters without a gradient are skipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="value"/> is negative or NaN.</exception>
    public static void ClipValue<T>(IEnumerable<MtlTensor<T>> parameters, double value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(value >= 0)) throw new ArgumentOutOfRangeException(nameof(value), value, "The clipping value must be ≥ 0.");
        T high = T.CreateChecked(value), low = -high;
        foreach (var g in Gradients(parameters))
        {
            if (g.Device.Kind != DeviceKind.Cpu)
            {
                GpuTensorOps.Update(g, MtlTensor.Scalar(high), default(MinimumOperator<T>), "ClipValue");
                GpuTensorOps.Update(g, MtlTensor.Scalar(low), default(MaximumOperator<T>), "ClipValue");
                continue;
            }
            var span = g.AsSpan();
            for (int i = 0; i < span.Length; i++) span[i] = T.Clamp(span[i], low, high); // NaN stays NaN, as torch.clamp_
        }
    }

    private static List<MtlTensor<T>> Gradients<T>(IEnumerable<MtlTensor<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var grads = new List<MtlTensor<T>>();
        foreach (var p in parameters)
        {
            if (p.Grad is not MtlTensor<T> g) continue;
            if (!g.IsContiguous)
                throw new InvalidOperationException($"Clipping works in place on contiguous gradients, but one of shape {MtlTensor<T>.ShapeText(g.Shape)} has strides {MtlTensor<T>.ShapeText(g.Strides)}.");
            grads.Add(g);
        }
        return grads;
    }

    /// <summary>‖(‖g₁‖ₚ, …, ‖gₖ‖ₚ)‖ₚ in double precision (‖·‖∞ = max |·|); device gradients are downloaded.</summary>
    private static double TotalNorm<T>(List<MtlTensor<T>> grads, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        foreach (var g in grads)
        {
            var values = g.Device.Kind == DeviceKind.Cpu ? g.AsSpan() : g.To(Device.Cpu).AsSpan();
            double norm = Norm(values, p);
            total = double.IsPositiveInfinity(p) ? Math.Max(total, norm) : total + Math.Pow(norm, p);
            if (double.IsNaN(norm)) total = double.NaN;
        }
        return double.IsPositiveInfinity(p) ? total : p == 2 ? Math.Sqrt(total) : Math.Pow(total, 1 / p);
    }

    private static double Norm<T>(ReadOnlySpan<T> values, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T x in values)
        {
            double a = Math.Abs(double.CreateChecked(x));
            if (double.IsPositiveInfinity(p)) sum = double.IsNaN(a) || double.IsNaN(sum) ? double.NaN : Math.Max(sum, a);
            else sum += p == 2 ? a * a : p == 1 ? a : Math.Pow(a, p);
        }
        return double.IsPositiveInfinity(p) || p == 1 ? sum : p == 2 ? Math.Sqrt(sum) : Math.Pow(sum, 1 / p);
    }

    /// <summary>√(Σ g²) over every gradient on their device: the squares summed there, one scalar read back.</summary>
    private static double DeviceTwoNorm<T>(List<MtlTensor<T>> grads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using (Autograd.Grad.NoGrad())
        using (DeviceMemoryScope.Begin())
        {
            MtlTensor<T>? total = null;
            foreach (var g in grads)
            {
                var part = g.Square().Sum();
                total = total is null ? part : total + part;
            }
            return Math.Sqrt(double.CreateChecked(total!.Item()));
        }
    }

    private static void Scale<T>(MtlTensor<T> g, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Device.Kind != DeviceKind.Cpu)
        {
            GpuTensorOps.Update(g, MtlTensor.Scalar(s), default(MultiplyOperator<T>), "ClipNorm");
            return;
        }
        var span = g.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] *= s;
    }
}
