using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Loss functions composed from tensor primitives (autograd differentiates them through the primitives).
/// Every loss averages over the samples that count: with per-sample weights s and a mask m (1 where the sample
/// has this task's label, 0 where it is missing), loss = Σᵢ mᵢ·sᵢ·ℓᵢ / Σᵢ mᵢ·sᵢ (times the class weight of the
/// sample's label for cross-entropy, as in PyTorch). When no sample counts, the loss is 0 (still in the graph).
/// Weights and masks are constants: they get no gradient.
/// </summary>
public static class Losses
{
    /// <summary>Mean squared error (p − y)².</summary>
    /// <param name="prediction">Predictions, shape (n,) or (n, d).</param>
    /// <param name="target">Targets of the same shape.</param>
    /// <param name="sampleWeights">Optional weights of shape (n,).</param>
    /// <param name="mask">Optional 0/1 mask of shape (n,) or the target's shape.</param>
    public static MtlTensor<T> MeanSquaredError<T>(MtlTensor<T> prediction, MtlTensor<T> target, MtlTensor<T>? sampleWeights = null, MtlTensor<T>? mask = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        WeightedMean((Residual(prediction, target, "MeanSquaredError")).Square(), sampleWeights, mask);

    /// <summary>Mean absolute error |p − y|.</summary>
    /// <inheritdoc cref="MeanSquaredError{T}"/>
    public static MtlTensor<T> L1<T>(MtlTensor<T> prediction, MtlTensor<T> target, MtlTensor<T>? sampleWeights = null, MtlTensor<T>? mask = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        WeightedMean(Residual(prediction, target, "L1").Abs(), sampleWeights, mask);

    /// <summary>
    /// Huber loss: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond, with d = p − y. Written without a branch as
    /// q = min(|d|, δ), ℓ = ½q² + δ(|d| − q).
    /// </summary>
    /// <inheritdoc cref="MeanSquaredError{T}"/>
    public static MtlTensor<T> Huber<T>(MtlTensor<T> prediction, MtlTensor<T> target, double delta = 1.0, MtlTensor<T>? sampleWeights = null, MtlTensor<T>? mask = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(delta > 0)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber's delta must be positive.");
        T d = T.CreateChecked(delta);
        var r = Residual(prediction, target, "Huber").Abs();
        var q = r.Minimum(d);
        return WeightedMean(q.Square() * T.CreateChecked(0.5) + (r - q) * d, sampleWeights, mask);
    }

    /// <summary>
    /// Cross-entropy on logits: ℓᵢ = −Σ_c w_c·qᵢc·log softmax(zᵢ)_c, with q the one-hot label smoothed to
    /// (1 − ε)·onehot + ε/C, averaged as Σ sᵢ·ℓᵢ / Σ sᵢ·w_{yᵢ} (PyTorch's <c>cross_entropy(weight, label_smoothing)</c>).
    /// A negative label marks a missing label (the sample does not count).
    /// </summary>
    /// <param name="logits">Scores, shape (n, classes).</param>
    /// <param name="labels">Class indices, length n; negative = missing.</param>
    /// <param name="classWeights">Optional weight per class (length classes).</param>
    /// <param name="labelSmoothing">ε in [0, 1).</param>
    /// <param name="sampleWeights">Optional weight per sample (length n).</param>
    /// <exception cref="ArgumentException">When the lengths do not match the logits.</exception>
    public static MtlTensor<T> CrossEntropy<T>(MtlTensor<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<T> classWeights = default,
        double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Shape[0] != labels.Length)
            throw new ArgumentException($"CrossEntropy needs logits of shape (n, classes) and n labels, but got logits {MtlTensor<T>.ShapeText(logits.Shape)} and {labels.Length} labels.");
        int n = labels.Length, classes = logits.Shape[1];
        if (!classWeights.IsEmpty && classWeights.Length != classes)
            throw new ArgumentException($"CrossEntropy got {classWeights.Length} class weights for {classes} classes.");
        if (!sampleWeights.IsEmpty && sampleWeights.Length != n)
            throw new ArgumentException($"CrossEntropy got {sampleWeights.Length} sample weights for {n} samples.");
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        if (GpuTensorOps.OnDevice(logits) && classWeights.IsEmpty && labelSmoothing == 0 && sampleWeights.IsEmpty)
            return FusedCrossEntropy(logits, labels);

        if (GpuTensorOps.OnDevice(logits))
            return DenseCrossEntropy(logits, labels, classWeights, labelSmoothing, sampleWeights);
        return FusedHostCrossEntropy(logits, labels, classWeights, labelSmoothing, sampleWeights);
    }

    /// <summary>
    /// The cross-entropy of host logits in one pass per row (<see cref="Kernels.Reduction.SoftmaxCrossEntropyKernel"/>): the loss
    /// and ∂loss/∂logits together, the gradient saved on the graph node (the rule of the GPU's fused kernel), so forward and
    /// backward cost one sweep each. With aᵢ = sᵢ·mᵢ, bᵢ = aᵢ·w_{yᵢ} and T = Σ bᵢ, row i's coefficients are
    /// hᵢ = (1 − ε)·bᵢ/T on its label's term and eᵢ = (ε/C)·aᵢ/T on the smoothing term: the formula of
    /// <see cref="IndexedCrossEntropy{T}"/>, its composed twin.
    /// </summary>
    private static MtlTensor<T> FusedHostCrossEntropy<T>(MtlTensor<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<T> classWeights,
        double labelSmoothing, ReadOnlySpan<T> sampleWeights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = labels.Length, classes = logits.Shape[1];
        var hit = TensorArena.Rent<T>(n); // scratch, from the step's arena when there is one
        hit.AsSpan().Clear();
        var spread = labelSmoothing == 0 ? [] : new T[n];
        T total = T.Zero;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if (label >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} at row {i} is not below the number of classes {classes}.");
            if (label < 0) continue;
            T a = sampleWeights.IsEmpty ? T.One : sampleWeights[i];
            hit[i] = a * (classWeights.IsEmpty ? T.One : classWeights[label]); // bᵢ, scaled below
            if (spread.Length > 0) spread[i] = a;
            total += hit[i];
        }
        if (total == T.Zero) return logits.Sum() * T.Zero; // nothing counts: 0, still in the graph
        T eps = T.CreateChecked(labelSmoothing);
        System.Numerics.Tensors.TensorPrimitives.Multiply(hit, (T.One - eps) / total, hit);
        System.Numerics.Tensors.TensorPrimitives.Multiply(spread, eps / T.CreateChecked(classes) / total, spread);

        var gradient = TensorOps.Uninitialized<T>([n, classes]); // every element is written by the kernel
        ReadOnlySpan<T> z = logits.IsContiguous ? logits.AsSpan() : logits.ToArray();
        T value = Kernels.Reduction.SoftmaxCrossEntropyKernel.Run(z, classes, labels, hit, spread, classWeights, gradient.AsSpan());
        return Graph.Record(TensorOps.Scalar(value), GradientRules.SoftmaxCrossEntropy, logits, saved: gradient);
    }

    /// <summary>
    /// Cross-entropy composed from primitives on the integer labels directly (the twin of the fused host pass, and the
    /// form PyTorch's <c>cross_entropy</c> documents), nothing of size n × classes built on the host:
    /// −log p_{i,yᵢ} = lseᵢ − z_{i,yᵢ} (lse the row's log-sum-exp, z_{i,yᵢ} gathered at the label), and the smoothing term
    /// Σ_c w_c·(−log p_ic) = lseᵢ·Σ_c w_c − Σ_c w_c·z_ic. With aᵢ = sᵢ·mᵢ (m: 0 for a missing label) and bᵢ = aᵢ·w_{yᵢ}
    /// (w_{yᵢ} an index-select of the class weights):
    /// loss = [(1 − ε)·Σ bᵢ·(lseᵢ − z_{i,yᵢ}) + (ε/C)·Σ aᵢ·(lseᵢ·Σ_c w_c − Σ_c w_c·z_ic)] / Σ bᵢ.
    /// </summary>
    internal static MtlTensor<T> IndexedCrossEntropy<T>(MtlTensor<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<T> classWeights,
        double labelSmoothing, ReadOnlySpan<T> sampleWeights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = labels.Length, classes = logits.Shape[1];
        // Constants: the labels with missing ones pointed at class 0, and a = s·m.
        var safeLabels = new int[n];
        var present = new T[n];
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if (label >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} at row {i} is not below the number of classes {classes}.");
            safeLabels[i] = Math.Max(label, 0);
            present[i] = label < 0 ? T.Zero : sampleWeights.IsEmpty ? T.One : sampleWeights[i];
        }
        var a = MtlTensor.FromArray(present, n, 1);
        var weights = classWeights.IsEmpty ? null : MtlTensor.FromArray(classWeights.ToArray(), classes);
        var b = weights is null ? a : a * weights.IndexSelect(0, safeLabels).Reshape(n, 1);
        T total = b.Sum().Item();
        if (total == T.Zero) return logits.Sum() * T.Zero; // nothing counts: 0, still in the graph

        var lse = logits.LogSumExpComposed(-1, keepDims: true);                    // (n, 1)
        var picked = logits.Gather(1, MtlTensor.FromArray(safeLabels, n, 1));      // z_{i,yᵢ}, (n, 1)
        T eps = T.CreateChecked(labelSmoothing);
        var sum = ((lse - picked) * (b * ((T.One - eps) / total))).Sum();
        if (labelSmoothing == 0) return sum;
        // ε/C · Σ aᵢ·(lseᵢ·Σ_c w_c − Σ_c w_c·z_ic), divided by the same total.
        var weightedLogits = weights is null ? logits.Sum(1, keepDims: true) : logits.Matmul(weights.Reshape(classes, 1));
        T weightSum = weights is null ? T.CreateChecked(classes) : weights.Sum().Item();
        var smooth = ((lse * weightSum - weightedLogits) * (a * (eps / T.CreateChecked(classes) / total))).Sum();
        return sum + smooth;
    }

    /// <summary>
    /// The textbook twin of <see cref="IndexedCrossEntropy{T}"/> and of the fused host pass (and the path for logits on a device): the constant
    /// coefficient of every log-probability, Q[i, c] = sᵢ·w_c·qᵢc with q the smoothed one-hot, built as a dense n × classes
    /// matrix, and loss = −Σ Q ⊙ log softmax(z) / Σ sᵢ·w_{yᵢ}.
    /// </summary>
    internal static MtlTensor<T> DenseCrossEntropy<T>(MtlTensor<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<T> classWeights,
        double labelSmoothing, ReadOnlySpan<T> sampleWeights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = labels.Length, classes = logits.Shape[1];
        // The coefficient of each log-probability, a constant: Q[i, c] = sᵢ·w_c·qᵢc, and the normalizer Σ sᵢ·w_{yᵢ}.
        var coefficients = TensorArena.Rent<T>(n * classes); // inside a training step's arena: the previous step's buffer
        Array.Clear(coefficients);
        T smooth = T.CreateChecked(labelSmoothing / classes), hit = T.One - T.CreateChecked(labelSmoothing);
        T total = T.Zero;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if (label < 0) continue;
            if (label >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} at row {i} is not below the number of classes {classes}.");
            T s = sampleWeights.IsEmpty ? T.One : sampleWeights[i];
            for (int c = 0; c < classes; c++)
            {
                T w = classWeights.IsEmpty ? T.One : classWeights[c];
                coefficients[i * classes + c] = s * w * (c == label ? hit + smooth : smooth);
            }
            total += s * (classWeights.IsEmpty ? T.One : classWeights[label]);
        }
        var logProbabilities = logits.LogSoftmax(-1);
        var weighted = (logProbabilities * MtlTensor.FromArray(coefficients, n, classes).To(logits.Device)).Sum(); // on a device: the weights uploaded
        return total == T.Zero ? weighted * T.Zero : weighted * (-T.One / total);
    }

    /// <summary>
    /// The plain cross-entropy (no weights, no smoothing) of logits on a GPU device by the fused kernel: the per-row
    /// losses and ∂loss/∂logits = (softmax − onehot)/N in one pass, the gradient saved on the graph node. N counts the
    /// labelled rows (a negative label is missing); the loss is 0 when none is.
    /// </summary>
    private static MtlTensor<T> FusedCrossEntropy<T>(MtlTensor<T> logits, ReadOnlySpan<int> labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = logits.Shape[1];
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label {labels[i]} at row {i} is not below the number of classes {classes}.");
        var (loss, gradient) = GpuTensorOps.SoftmaxCrossEntropy(logits, labels);
        Graph.Record(loss, GradientRules.SoftmaxCrossEntropy, logits, saved: gradient);
        if (loss.IsLeaf) gradient.ReleaseDeviceMemory(); // nothing will flow back (no grad mode, or constant logits)
        return loss;
    }

    /// <summary>
    /// Binary cross-entropy on logits (PyTorch's <c>binary_cross_entropy_with_logits</c>):
    /// ℓ = (1 − y)·z + (1 + (p_w − 1)·y)·softplus(−z), stable for any z; p_w weights the positive class.
    /// </summary>
    /// <param name="logits">Scores, shape (n,) or (n, d).</param>
    /// <param name="targets">Targets in [0, 1], same shape.</param>
    /// <param name="positiveWeight">Optional p_w, broadcast over the last axis (shape (d,)).</param>
    /// <param name="sampleWeights">Optional weights of shape (n,).</param>
    /// <param name="mask">Optional 0/1 mask of shape (n,) or the targets' shape.</param>
    public static MtlTensor<T> BinaryCrossEntropyWithLogits<T>(MtlTensor<T> logits, MtlTensor<T> targets, MtlTensor<T>? positiveWeight = null,
        MtlTensor<T>? sampleWeights = null, MtlTensor<T>? mask = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Residual(logits, targets, "BinaryCrossEntropyWithLogits");
        var logWeight = positiveWeight is null ? null : (positiveWeight - T.One) * targets + T.One;
        var softplus = (-logits).Softplus();
        var loss = (T.One - targets) * logits + (logWeight is null ? softplus : logWeight * softplus);
        return WeightedMean(loss, sampleWeights, mask);
    }

    private static MtlTensor<T> Residual<T>(MtlTensor<T> prediction, MtlTensor<T> target, string loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (!prediction.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"{loss}: the prediction has shape {MtlTensor<T>.ShapeText(prediction.Shape)} but the target {MtlTensor<T>.ShapeText(target.Shape)}; they must be equal (reshape the target).");
        return prediction - target;
    }

    /// <summary>Σ m·s·ℓ / Σ m·s over all elements of ℓ, with s and m of shape (n,) aligned to ℓ's first axis (or m of ℓ's shape).</summary>
    internal static MtlTensor<T> WeightedMean<T>(MtlTensor<T> loss, MtlTensor<T>? sampleWeights, MtlTensor<T>? mask) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sampleWeights is null && mask is null) return loss.Mean();
        MtlTensor<T>? weight = null;
        using (Grad.NoGrad())
        {
            if (sampleWeights is not null) weight = AlignRows(sampleWeights.Detach(), loss, "sample weights");
            if (mask is not null)
            {
                var m = AlignRows(mask.Detach(), loss, "mask");
                weight = weight is null ? m : weight * m;
            }
        }
        if (GpuTensorOps.OnDevice(loss))
        {
            // On a device the denominator stays there (no scalar read in the step): Σ m·s, with 1 in place of 0 (the
            // numerator is then 0 too, so the loss is 0, as below).
            MtlTensor<T> safe;
            using (Grad.NoGrad())
            {
                var sum = weight!.BroadcastTo(loss.Shape.ToArray()).Sum();
                safe = MtlTensor.Where(sum.Equal(T.Zero), T.One, sum);
            }
            return (loss * weight).Sum() / safe;
        }
        T denominator;
        using (Grad.NoGrad()) denominator = weight!.BroadcastTo(loss.Shape.ToArray()).Sum().Item();
        var numerator = (loss * weight).Sum();
        return denominator == T.Zero ? numerator * T.Zero : numerator / denominator;
    }

    private static MtlTensor<T> AlignRows<T>(MtlTensor<T> values, MtlTensor<T> loss, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.Shape.SequenceEqual(loss.Shape)) return values;
        if (values.Rank == 1 && loss.Rank >= 1 && values.Shape[0] == loss.Shape[0])
        {
            var shape = new int[loss.Rank];
            Array.Fill(shape, 1);
            shape[0] = values.Shape[0];
            return values.Reshape(shape);
        }
        throw new ArgumentException($"The {what} of shape {MtlTensor<T>.ShapeText(values.Shape)} fit neither the loss's shape {MtlTensor<T>.ShapeText(loss.Shape)} nor its first axis.");
    }
}
