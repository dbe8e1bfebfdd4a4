using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.MultiModal;

/// <summary>
/// CLIP's contrastive objective (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
/// Supervision"; the symmetric InfoNCE of van den Oord et al. 2018): for n pairs (aᵢ, bᵢ) of embeddings of two
/// modalities, row i of each describing the same object,
/// <code>
///   âᵢ = aᵢ / ‖aᵢ‖,  b̂ⱼ = bⱼ / ‖bⱼ‖                   (L2-normalized rows, as PyTorch's F.normalize, ε = 1e-12)
///   Lᵢⱼ = e^min(s, ln 100) · âᵢ·b̂ⱼ                    (s the learnable logit scale, e^s = 1/τ, τ the temperature)
///   loss = ½ [ CE(L, [0..n)) + CE(Lᵀ, [0..n)) ]       (CE: cross-entropy averaged over the rows)
/// </code>
/// Each aᵢ must pick its own bᵢ among the batch's n candidates, and each bⱼ its own aⱼ. The scale starts at
/// ln(1/0.07) and is clamped so that e^s ≤ 100 (the clamp passes the gradient where s ≤ ln 100, PyTorch's
/// <c>clamp</c>); <see cref="ContrastiveAligner{T}.Fit"/> also clamps the parameter itself into [0, ln 100] after each
/// step, as open_clip does. Composed from primitives (normalization, matmul, clamp, exp, cross-entropy), so it needs
/// no gradient rule of its own.
/// </summary>
public static class ContrastiveLoss
{
    /// <summary>CLIP's initial logit scale, ln(1/0.07) ≈ 2.659 (temperature 0.07).</summary>
    public static readonly double InitialLogitScale = Math.Log(1 / 0.07);

    /// <summary>The largest logit scale, ln 100 (logits are at most 100 × a cosine).</summary>
    public static readonly double MaxLogitScale = Math.Log(100);

    /// <summary>
    /// Row-wise L2 normalization x / max(‖x‖₂, ε) (PyTorch's <c>F.normalize(x, dim=-1)</c>): every row of
    /// <paramref name="x"/> (n, d) becomes a unit vector; a zero row stays zero.
    /// </summary>
    public static MtlTensor<T> Normalize<T>(MtlTensor<T> x, double epsilon = 1e-12) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return x / x.Norm(T.CreateChecked(2), -1, keepDims: true).Maximum(T.CreateChecked(epsilon));
    }

    /// <summary>
    /// The logits Lᵢⱼ = e^min(s, ln 100)·âᵢ·b̂ⱼ of <paramref name="a"/> (n, d) against <paramref name="b"/> (m, d), normalizing
    /// both; shape (n, m).
    /// </summary>
    /// <param name="a">The first modality's embeddings, (n, d).</param>
    /// <param name="b">The second modality's embeddings, (m, d).</param>
    /// <param name="logitScale">s, a scalar tensor (shape () or (1,)).</param>
    /// <exception cref="ArgumentException">When the shapes do not fit.</exception>
    public static MtlTensor<T> Logits<T>(MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T> logitScale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(logitScale);
        if (a.Rank != 2 || b.Rank != 2 || a.Dim(1) != b.Dim(1))
            throw new ArgumentException($"The contrastive loss needs embeddings of shape (n, d) and (m, d) with the same d, but got {MtlTensor<T>.ShapeText(a.Shape)} and {MtlTensor<T>.ShapeText(b.Shape)}; project both modalities to the same width.");
        if (logitScale.Length != 1 || logitScale.Rank > 1)
            throw new ArgumentException($"The logit scale must be one number (shape () or (1,)), but has shape {MtlTensor<T>.ShapeText(logitScale.Shape)}.");
        var scale = logitScale.Reshape().Clamp(T.NegativeInfinity, T.CreateChecked(MaxLogitScale)).Exp();
        return Normalize(a).Matmul(Normalize(b).Transpose()) * scale;
    }

    /// <summary>
    /// The symmetric InfoNCE loss ½[CE(L, [0..n)) + CE(Lᵀ, [0..n))] of n pairs (row i of <paramref name="a"/> with row i of
    /// <paramref name="b"/>); a scalar tensor.
    /// </summary>
    /// <param name="a">The first modality's embeddings, (n, d); need not be normalized.</param>
    /// <param name="b">The second modality's embeddings, (n, d).</param>
    /// <param name="logitScale">s, a scalar tensor (shape () or (1,)), usually a learnable parameter.</param>
    /// <exception cref="ArgumentException">When the shapes do not fit, or the batch is empty.</exception>
    public static MtlTensor<T> SymmetricInfoNce<T>(MtlTensor<T> a, MtlTensor<T> b, MtlTensor<T> logitScale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || b.Rank != 2 || a.Dim(0) != b.Dim(0) || a.Dim(0) == 0)
            throw new ArgumentException($"The contrastive loss needs n ≥ 1 pairs: embeddings of shape (n, d) and (n, d), but got {MtlTensor<T>.ShapeText(a.Shape)} and {MtlTensor<T>.ShapeText(b.Shape)}; row i of each must describe the same object.");
        var logits = Logits(a, b, logitScale);
        var labels = new int[a.Dim(0)];
        for (int i = 0; i < labels.Length; i++) labels[i] = i;
        var forward = Losses.CrossEntropy(logits, labels);
        var backward = Losses.CrossEntropy(logits.Transpose(), labels);
        return (forward + backward) * T.CreateChecked(0.5);
    }
}

/// <summary>
/// The contrastive loss as a module holding its learnable logit scale (parameter <c>logit_scale</c>, a scalar as in CLIP's
/// <c>nn.Parameter(torch.ones([]) * np.log(1 / 0.07))</c>). See <see cref="ContrastiveLoss"/> for the formula.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ClipLoss<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the loss with s = <paramref name="initialLogitScale"/> (default ln(1/0.07)).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the initial scale is not finite.</exception>
    public ClipLoss(double? initialLogitScale = null)
    {
        double s = initialLogitScale ?? ContrastiveLoss.InitialLogitScale;
        if (!double.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(initialLogitScale), s, "The logit scale must be finite.");
        LogitScale = RegisterParameter("logit_scale", MtlTensor.Scalar(T.CreateChecked(s)));
    }

    /// <summary>s, the learnable logit scale (a scalar parameter); the logits are scaled by e^min(s, ln 100).</summary>
    public MtlTensor<T> LogitScale { get; }

    /// <summary>The temperature τ = 1 / e^min(s, ln 100) in use.</summary>
    public double Temperature => 1 / Math.Exp(Math.Min(double.CreateChecked(LogitScale.ToArray()[0]), ContrastiveLoss.MaxLogitScale));

    /// <summary>The symmetric InfoNCE loss of n pairs of embeddings (n, d) and (n, d).</summary>
    public MtlTensor<T> Loss(MtlTensor<T> a, MtlTensor<T> b) => ContrastiveLoss.SymmetricInfoNce(a, b, LogitScale);

    /// <summary>The loss of the pairs stacked as one tensor of shape (2, n, d): <c>input[0]</c> with <c>input[1]</c>.</summary>
    /// <exception cref="ArgumentException">When the input is not of shape (2, n, d).</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Dim(0) != 2)
            throw new ArgumentException($"ClipLoss.Forward takes the two embeddings stacked as (2, n, d), but got {MtlTensor<T>.ShapeText(input.Shape)}; or call Loss(a, b).");
        return Loss(input.Select(0, 0), input.Select(0, 1));
    }

    /// <summary>
    /// Clamps the parameter itself into [0, ln 100] (open_clip does this after every optimizer step), so that it cannot drift
    /// past the clamp where its gradient is 0.
    /// </summary>
    public void ClampLogitScale()
    {
        using (Autograd.Grad.NoGrad())
        {
            LogitScale.Clamp(T.Zero, T.CreateChecked(ContrastiveLoss.MaxLogitScale)).CopyTo(LogitScale);
        }
    }
}
