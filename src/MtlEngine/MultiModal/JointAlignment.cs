using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// A contrastive alignment of two inputs' encodings trained beside the task losses of one multi-modal model, in the manner
/// of ALBEF's image-text contrastive term beside its other objectives (Li et al., "Align before Fuse", 2021) and of CLIP's
/// loss used as an auxiliary objective: the model's own encoders eₐ, e_b feed both the fusion and, through linear projections
/// without bias (as CLIP's <c>visual.proj</c> and <c>text_projection</c>), a shared space of width d,
/// <code>
/// loss = Σₜ wₜ·lossₜ + λ · InfoNCE(Pₐ·eₐ(xₐ), P_b·e_b(x_b))     (CLIP's symmetric InfoNCE, learnable logit scale s)
/// </code>
/// over the batch's samples that have both inputs (after modality dropout: a dropped input is missing); a batch with fewer
/// than 2 such samples adds nothing. λ = 0 adds exactly nothing to any gradient of the task model. The logit scale is
/// clamped in the loss (e^min(s, ln 100)), as <see cref="ContrastiveLoss"/> says. Parameters: <c>projection_a.weight</c>,
/// <c>projection_b.weight</c>, <c>loss.logit_scale</c>; a <see cref="MultiTask.FusedInputModel{T}"/> registers it as
/// <c>alignment</c>.
/// <para>
/// In a data-parallel slice (<see cref="Collective"/> set) the InfoNCE still contrasts every pair of the whole batch: the
/// slices all-gather their projected rows (<see cref="DataParallel.AllGatherRows{T}"/>, in slice order, which is the batch's),
/// each computes the batch's loss on them and keeps the share nₛ/N of its own pairs, so the slices' losses add up to the
/// batch's and, through the gather's backward, so do their gradients (as CLIP's and open_clip's gathered features with
/// gradients, <c>gather_with_grad</c>).
/// </para>
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class JointAlignment<T> : Module<T>, IWholeBatchLoss, ISynchronizedModule where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> _projectionA, _projectionB;
    private readonly ClipLoss<T> _loss;

    /// <summary>Creates the projections with seeded weights.</summary>
    /// <param name="inputA">The position of the first input among the model's inputs.</param>
    /// <param name="widthA">The width of the first input's encoding.</param>
    /// <param name="inputB">The position of the second input.</param>
    /// <param name="widthB">The width of the second input's encoding.</param>
    /// <param name="sharedWidth">d, the width of the shared space.</param>
    /// <param name="weight">λ ≥ 0, the weight of the alignment loss beside the task losses.</param>
    /// <param name="random">The generator of the projections' initial weights.</param>
    /// <param name="initialLogitScale">s at the start (default ln(1/0.07)).</param>
    /// <exception cref="ArgumentException">When the two inputs are the same, a position or width is out of range, or λ is negative or not finite.</exception>
    public JointAlignment(int inputA, int widthA, int inputB, int widthB, int sharedWidth, double weight, TensorRandom random, double? initialLogitScale = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (inputA < 0 || inputB < 0 || inputA == inputB)
            throw new ArgumentException($"The joint alignment needs two different inputs, got positions {inputA} and {inputB}.");
        if (widthA < 1 || widthB < 1 || sharedWidth < 1)
            throw new ArgumentException($"The joint alignment needs positive widths, got encodings {widthA} and {widthB} and shared width {sharedWidth}.");
        if (!(weight >= 0) || !double.IsFinite(weight))
            throw new ArgumentException($"The weight λ of the alignment loss must be finite and ≥ 0, got {weight}.", nameof(weight));
        InputA = inputA;
        InputB = inputB;
        Weight = weight;
        SharedWidth = sharedWidth;
        _projectionA = RegisterModule("projection_a", new Linear<T>(widthA, sharedWidth, random, bias: false));
        _projectionB = RegisterModule("projection_b", new Linear<T>(widthB, sharedWidth, random, bias: false));
        _loss = RegisterModule("loss", new ClipLoss<T>(initialLogitScale));
    }

    /// <summary>The position of the first input (the queries of a → b retrieval).</summary>
    public int InputA { get; }

    /// <summary>The position of the second input.</summary>
    public int InputB { get; }

    /// <summary>λ, the weight of the alignment loss.</summary>
    public double Weight { get; }

    /// <summary>
    /// With λ &gt; 0: the InfoNCE contrasts every pair of the batch, which data-parallel slices cannot split from their own rows
    /// (null with λ = 0). Data-parallel training synchronizes the module instead (<see cref="Collective"/>), so it does not refuse it.
    /// </summary>
    public string? WholeBatchReason => Weight > 0
        ? "is a joint alignment, whose InfoNCE contrasts every pair of the batch's rows, so a slice cannot compute its share from its own rows; set alignment.weight to 0, train the alignment as a model of its own, or train locally"
        : null;

    /// <inheritdoc />
    public ISliceCollective? Collective { get; set; }

    /// <summary>d, the width of the shared space.</summary>
    public int SharedWidth { get; }

    /// <summary>The loss module with the learnable logit scale.</summary>
    public ClipLoss<T> ClipLoss => _loss;

    /// <summary>The unit-length embeddings (n, d) of the first input's encodings (n, widthA).</summary>
    public MtlTensor<T> EmbedA(MtlTensor<T> encodingA) => ContrastiveLoss.Normalize(_projectionA.Forward(encodingA));

    /// <summary>The unit-length embeddings (n, d) of the second input's encodings (n, widthB).</summary>
    public MtlTensor<T> EmbedB(MtlTensor<T> encodingB) => ContrastiveLoss.Normalize(_projectionB.Forward(encodingB));

    /// <summary>
    /// λ·InfoNCE of the rows that have both inputs, a scalar in the graph; null when fewer than 2 rows have both (one pair has
    /// no negative).
    /// </summary>
    /// <param name="encodingA">The first input's encodings, (n, widthA).</param>
    /// <param name="encodingB">The second input's encodings, (n, widthB).</param>
    /// <param name="presentA">The first input's (n) presence mask, null when every sample has it.</param>
    /// <param name="presentB">The second input's (n) presence mask, null when every sample has it.</param>
    public MtlTensor<T>? Loss(MtlTensor<T> encodingA, MtlTensor<T> encodingB, MtlTensor<T>? presentA, MtlTensor<T>? presentB)
    {
        ArgumentNullException.ThrowIfNull(encodingA);
        ArgumentNullException.ThrowIfNull(encodingB);
        if (Collective is { } collective) return SynchronizedLoss(encodingA, encodingB, presentA, presentB, collective);
        int n = encodingA.Dim(0);
        if (presentA is not null || presentB is not null)
        {
            var both = BothPresent(presentA, presentB, n);
            if (both.Length < 2) return null;
            if (both.Length < n)
            {
                encodingA = encodingA.IndexSelect(0, both);
                encodingB = encodingB.IndexSelect(0, both);
            }
        }
        else if (n < 2) return null;
        return _loss.Loss(_projectionA.Forward(encodingA), _projectionB.Forward(encodingB)) * T.CreateChecked(Weight);
    }

    /// <summary>
    /// A data-parallel slice's share of the whole batch's λ·InfoNCE: the slices' projected rows with both inputs, gathered in
    /// slice order (N in all, nₛ of this slice), give every slice the batch's loss L; this slice returns L·nₛ/N (null, on every
    /// slice alike, when N &lt; 2).
    /// </summary>
    private MtlTensor<T>? SynchronizedLoss(MtlTensor<T> encodingA, MtlTensor<T> encodingB, MtlTensor<T>? presentA, MtlTensor<T>? presentB, ISliceCollective collective)
    {
        if (presentA is not null || presentB is not null)
        {
            var both = BothPresent(presentA, presentB, encodingA.Dim(0));
            if (both.Length < encodingA.Dim(0))
            {
                encodingA = encodingA.IndexSelect(0, both);
                encodingB = encodingB.IndexSelect(0, both);
            }
        }
        var a = DataParallel.AllGatherRows(_projectionA.Forward(encodingA), collective);
        var b = DataParallel.AllGatherRows(_projectionB.Forward(encodingB), collective);
        int total = a.Dim(0), own = encodingA.Dim(0);
        if (total < 2) return null;
        return _loss.Loss(a, b) * T.CreateChecked(Weight * own / total);
    }

    /// <summary>The rows (of n) where neither mask is 0.</summary>
    public static int[] BothPresent(MtlTensor<T>? presentA, MtlTensor<T>? presentB, int n)
    {
        var a = presentA?.To(Device.Cpu).Contiguous().ToArray();
        var b = presentB?.To(Device.Cpu).Contiguous().ToArray();
        return [.. Enumerable.Range(0, n).Where(r => (a is null || a[r] != T.Zero) && (b is null || b[r] != T.Zero))];
    }

    /// <summary>Not a layer on one tensor: use <see cref="Loss"/>, <see cref="EmbedA"/> or <see cref="EmbedB"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input) =>
        throw new NotSupportedException("JointAlignment acts on two inputs' encodings: call Loss(a, b, maskA, maskB), EmbedA or EmbedB.");
}
