using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>How <see cref="ContrastiveAligner{T}.Fit"/> trains: Adam (or AdamW when weight decay is set) on mini-batches of pairs.</summary>
/// <param name="Epochs">Passes over the pairs.</param>
/// <param name="BatchSize">Pairs per step; each pair's negatives are the other pairs of its batch, so larger batches give a harder task.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay (0: plain Adam).</param>
/// <param name="Seed">The seed of the batch order (epoch e draws its permutation from stream e).</param>
public sealed record ContrastiveFitOptions(int Epochs = 50, int BatchSize = 128, double LearningRate = 1e-3, double WeightDecay = 0, ulong Seed = 0);

/// <summary>What <see cref="ContrastiveAligner{T}.Fit"/> did.</summary>
/// <param name="EpochLosses">The mean training loss of each epoch (over its batches).</param>
/// <param name="Steps">The optimizer steps taken.</param>
/// <param name="FinalLogitScale">s after training (the logits are scaled by e^s, at most 100).</param>
public sealed record ContrastiveFitReport(IReadOnlyList<double> EpochLosses, int Steps, double FinalLogitScale);

/// <summary>
/// A two-tower model of a shared space (CLIP, Radford et al. 2021): an encoder per modality, then a linear projection of
/// each (no bias, as CLIP's <c>visual.proj</c> and <c>text_projection</c>) into one space of width
/// <see cref="SharedWidth"/>, where the L2-normalized embeddings of the two modalities of one object are brought
/// together by <see cref="ContrastiveLoss.SymmetricInfoNce{T}"/> with a learnable temperature. Parameter names:
/// <c>encoder_a.*</c>, <c>encoder_b.*</c>, <c>projection_a.weight</c>, <c>projection_b.weight</c>, <c>loss.logit_scale</c>.
/// <para>Train it with <see cref="Fit"/>, or with any of our optimizers over <see cref="Module{T}.Parameters"/> and
/// <see cref="Loss"/>; then compare embeddings with <see cref="Similarity"/>, the retrieval metrics
/// (<see cref="Metrics.RetrievalMetrics"/>) or <see cref="Metrics.RetrievalMetrics.NearestClass{T}"/>.</para>
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ContrastiveAligner<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Module<T> _encoderA, _encoderB;
    private readonly Linear<T> _projectionA, _projectionB;
    private readonly ClipLoss<T> _loss;

    /// <summary>Creates the model with seeded projections (the encoders come initialized).</summary>
    /// <param name="encoderA">The first modality's encoder: (n, ...) → (n, <paramref name="widthA"/>); for example an <see cref="MlpEncoder{T}"/>, a <see cref="CnnEncoder{T}"/>, or an <see cref="IdentityEncoder{T}"/> for precomputed features.</param>
    /// <param name="widthA">The width of <paramref name="encoderA"/>'s output.</param>
    /// <param name="encoderB">The second modality's encoder: (n, ...) → (n, <paramref name="widthB"/>).</param>
    /// <param name="widthB">The width of <paramref name="encoderB"/>'s output.</param>
    /// <param name="sharedWidth">The width of the shared space.</param>
    /// <param name="random">The generator of the projections' initial weights.</param>
    /// <param name="initialLogitScale">s at the start (default ln(1/0.07)).</param>
    public ContrastiveAligner(Module<T> encoderA, int widthA, Module<T> encoderB, int widthB, int sharedWidth, TensorRandom random, double? initialLogitScale = null)
    {
        ArgumentNullException.ThrowIfNull(encoderA);
        ArgumentNullException.ThrowIfNull(encoderB);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(sharedWidth, 1);
        _encoderA = RegisterModule("encoder_a", encoderA);
        _encoderB = RegisterModule("encoder_b", encoderB);
        _projectionA = RegisterModule("projection_a", new Linear<T>(widthA, sharedWidth, random, bias: false));
        _projectionB = RegisterModule("projection_b", new Linear<T>(widthB, sharedWidth, random, bias: false));
        _loss = RegisterModule("loss", new ClipLoss<T>(initialLogitScale));
        SharedWidth = sharedWidth;
    }

    /// <summary>The width of the shared space.</summary>
    public int SharedWidth { get; }

    /// <summary>The loss module, holding the learnable logit scale s.</summary>
    public ClipLoss<T> ClipLoss => _loss;

    /// <summary>The unit-length embeddings of first-modality inputs, (n, <see cref="SharedWidth"/>).</summary>
    public MtlTensor<T> EmbedA(MtlTensor<T> inputs) => ContrastiveLoss.Normalize(_projectionA.Forward(_encoderA.Forward(inputs)));

    /// <summary>The unit-length embeddings of second-modality inputs, (n, <see cref="SharedWidth"/>).</summary>
    public MtlTensor<T> EmbedB(MtlTensor<T> inputs) => ContrastiveLoss.Normalize(_projectionB.Forward(_encoderB.Forward(inputs)));

    /// <summary>The first modality's embeddings (<see cref="EmbedA"/>): the model as a plain module.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => EmbedA(input);

    /// <summary>The symmetric InfoNCE loss of n pairs: row i of <paramref name="inputsA"/> with row i of <paramref name="inputsB"/>.</summary>
    public MtlTensor<T> Loss(MtlTensor<T> inputsA, MtlTensor<T> inputsB) => _loss.Loss(EmbedA(inputsA), EmbedB(inputsB));

    /// <summary>
    /// Cosine similarities (n_a, n_b) of every first-modality input with every second-modality input, in evaluation mode and
    /// without a graph (row i ranks the second modality's candidates for query i).
    /// </summary>
    public MtlTensor<T> Similarity(MtlTensor<T> inputsA, MtlTensor<T> inputsB)
    {
        bool training = Training;
        Eval();
        try
        {
            using (Grad.NoGrad()) return EmbedA(inputsA).Matmul(EmbedB(inputsB).Transpose());
        }
        finally
        {
            Train(training);
        }
    }

    /// <summary>
    /// Trains on n pairs: each epoch shuffles the pairs (seeded), takes mini-batches of <see cref="ContrastiveFitOptions.BatchSize"/>,
    /// and per batch computes the loss, back-propagates, steps Adam and clamps s into [0, ln 100]. Each batch runs inside a
    /// <see cref="TensorArena"/> step, as <see cref="Trainer{T}"/>'s do: a loop of fixed batch sizes reuses its buffers
    /// instead of allocating them every step (same values: the arena changes memory, never results).
    /// </summary>
    /// <param name="inputsA">The first modality, (n, ...).</param>
    /// <param name="inputsB">The second modality, (n, ...); row i pairs with row i of <paramref name="inputsA"/>.</param>
    /// <param name="options">The training options (defaults when null).</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="ArgumentException">When the two inputs have different numbers of rows or fewer than 2.</exception>
    public ContrastiveFitReport Fit(MtlTensor<T> inputsA, MtlTensor<T> inputsB, ContrastiveFitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputsA);
        ArgumentNullException.ThrowIfNull(inputsB);
        options ??= new ContrastiveFitOptions();
        int n = inputsA.Dim(0);
        if (inputsB.Dim(0) != n || n < 2)
            throw new ArgumentException($"Fit needs n ≥ 2 pairs with one row per pair in both inputs, but got {inputsA.Dim(0)} and {inputsB.Dim(0)} rows.");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 2);
        using Optimizer<T> optimizer = options.WeightDecay > 0
            ? new AdamW<T>(Parameters(), options.LearningRate, weightDecay: options.WeightDecay)
            : new Adam<T>(Parameters(), options.LearningRate);
        Train();
        var losses = new List<double>();
        var arena = new TensorArena(); // one step per batch, as the trainer's (Trainer.TrainStep)
        int steps = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            var order = new TensorRandom(options.Seed, stream: (ulong)epoch).Permutation(n);
            double total = 0;
            int batches = 0;
            for (int start = 0; start < n; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(options.BatchSize, n - start);
                if (count < 2) break; // one pair has no negative: its loss is 0
                using (arena.Step()) // every tensor of the step, the batch's rows too, reuses last step's buffers; only the loss value leaves it
                {
                    var rows = order.AsSpan(start, count);
                    var loss = Loss(inputsA.IndexSelect(0, rows), inputsB.IndexSelect(0, rows));
                    optimizer.ZeroGrad();
                    loss.Backward();
                    optimizer.Step();
                    _loss.ClampLogitScale();
                    total += double.CreateChecked(loss.Item());
                }
                batches++;
                steps++;
            }
            losses.Add(batches == 0 ? 0 : total / batches);
        }
        Eval();
        return new ContrastiveFitReport(losses, steps, double.CreateChecked(_loss.LogitScale.ToArray()[0]));
    }
}
