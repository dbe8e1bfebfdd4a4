using MtlEngine.Nn;

namespace MtlEngine.Cluster;

/// <summary>
/// Builds, on a silo, the replica of a data-parallel training job: the model (its architecture; the parameters come with
/// each step) and the data set, read from files the silo can read. <c>mtl cluster silo</c> registers the one of
/// <c>mtl train</c> (the job is the path of a training spec); a silo without a loader refuses training jobs.
/// </summary>
public interface IReplicaLoader
{
    /// <summary>Builds the model and reads the data of <paramref name="job"/>, exactly as the coordinator did.</summary>
    /// <exception cref="Exception">Any failure (a missing file, a bad spec); its message becomes the job's one-line error.</exception>
    TrainingReplica Load(string job);
}

/// <summary>A silo's copy of a training job: the model and its data set (the same rows, in the same order, as the coordinator's).</summary>
/// <param name="Model">The model, built from the job with the coordinator's architecture.</param>
/// <param name="Data">The data set.</param>
public sealed record TrainingReplica(MultiTaskModel<float> Model, MultiTaskDataset<float> Data);

/// <summary>One slice of one training step, as the coordinator sends it.</summary>
/// <param name="Job">The job (for <c>mtl train</c>: the absolute path of the spec).</param>
/// <param name="Step">The step's index over the run (0-based).</param>
/// <param name="Parameters">The model's parameters now, flat, in parameter order (<see cref="DataParallel.GetParameters{T}"/>).</param>
/// <param name="Rows">The slice's rows of the data set.</param>
/// <param name="Fractions">fₜ, the slice's share of each task's loss (<see cref="DataParallel.Fractions{T}"/>).</param>
/// <param name="Weights">wₜ, each task's weight.</param>
/// <param name="PerTask">Return each task's gradient (T × P, unscaled) instead of the gradient of Σₜ wₜ·fₜ·lossₜ
/// (<see cref="DataParallel.SliceTaskGradients{T}"/>).</param>
/// <param name="Offset">The slice's first row in the batch (for dropout's masks: <see cref="SliceDraws"/>).</param>
/// <param name="BatchRows">B, the batch's rows.</param>
/// <param name="Positions">The coordinator's positions of the model's dropout generators at the step's start (<see cref="DataParallel.RandomPositions{T}"/>).</param>
/// <param name="Exchange">For a model with synchronized batch normalization (<see cref="DataParallel.IsSynchronized{T}"/>): the key of
/// the step's <see cref="IStepExchangeGrain"/>; else null.</param>
/// <param name="Participant">The slice's index among the step's non-empty slices (the collective's); −1 for an empty slice.</param>
/// <param name="Participants">The step's non-empty slices.</param>
/// <param name="Buffers">The coordinator's synchronized buffers (running statistics, <see cref="DataParallel.GetSynchronizedBuffers{T}"/>), or null.</param>
/// <param name="ExchangeTimeout">How long a slice waits at the exchange for the others.</param>
/// <param name="Representation">With <see cref="PerTask"/>, for a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB):
/// round 1, return each task's gradient on the slice's rows of the representations too (<see cref="RepresentationSlice{T}"/>).</param>
/// <param name="Direction">Round 2 of a <c>rep_grad</c> step: the slice's rows of the direction on the representations
/// (<see cref="StepRepresentation.SliceDirection{T}"/>); the slice runs its forward again from <see cref="Positions"/> and returns
/// the shared parameters' gradient of Σᵣ ⟨Rᵣ, Dᵣ⟩ (<see cref="DataParallel.SliceRepresentationBackward{T}"/>). Null: round 1.</param>
[GenerateSerializer, Immutable]
public sealed record TrainSliceRequest(
    [property: Id(0)] string Job,
    [property: Id(1)] long Step,
    [property: Id(2)] float[] Parameters,
    [property: Id(3)] int[] Rows,
    [property: Id(4)] double[] Fractions,
    [property: Id(5)] double[] Weights,
    [property: Id(6)] bool PerTask = false,
    [property: Id(7)] int Offset = 0,
    [property: Id(8)] int BatchRows = 0,
    [property: Id(9)] ulong[]? Positions = null,
    [property: Id(10)] string? Exchange = null,
    [property: Id(11)] int Participant = -1,
    [property: Id(12)] int Participants = 0,
    [property: Id(13)] float[]? Buffers = null,
    [property: Id(14)] TimeSpan ExchangeTimeout = default,
    [property: Id(15)] bool Representation = false,
    [property: Id(16)] float[]? Direction = null);

/// <summary>One slice's gradient of Σₜ wₜ·fₜ·lossₜ (or its per-task gradients) and its fₜ·lossₜ, or the one-line error.</summary>
/// <param name="Silo">The silo that computed it (HOST:PORT).</param>
/// <param name="Losses">fₜ·lossₜ(slice) per task.</param>
/// <param name="Gradient">The flat gradient, in parameter order.</param>
/// <param name="Seconds">The silo's time for the slice (loading the job included on a new activation).</param>
/// <param name="Error">Why the slice failed (the job cannot be loaded on the silo, a mismatched model), or null.</param>
/// <param name="Reached">With <see cref="TrainSliceRequest.PerTask"/>: whether each task's loss reached each parameter tensor (T × K); else null.</param>
/// <param name="Positions">The positions of the replica's dropout generators after the slice's forward (the same on every non-empty slice: each drew the whole batch's masks).</param>
/// <param name="Auxiliary">With <see cref="TrainSliceRequest.PerTask"/>: the gradient of the slice's auxiliary loss (a sum over rows,
/// <see cref="IRowSumAuxiliaryLoss"/>; zeros without one), P values; else null (the summed gradient holds it).</param>
/// <param name="AuxiliaryReached">With <see cref="TrainSliceRequest.PerTask"/>: whether the auxiliary loss reached each parameter tensor (K); else null.</param>
/// <param name="Buffers">With <see cref="TrainSliceRequest.Exchange"/>: the replica's synchronized buffers after the step (the same on every non-empty slice); else null.</param>
/// <param name="ExchangeLost">True when <see cref="Error"/> says the slice could not complete a round of the step's exchange
/// (its silo died, the exchange was given up, or the others did not come in time): the coordinator runs the step again on a fresh exchange.</param>
/// <param name="ExchangeBytes">The payload bytes the slice moved through the step's exchange (sent and received); 0 without one.</param>
/// <param name="RepresentationGradients">With <see cref="TrainSliceRequest.Representation"/>: ∂lossₜ(slice)/∂R, T × Σᵣ n·wᵣ (<see cref="RepresentationSlice{T}.Gradients"/>); else null.</param>
/// <param name="RepresentationWidths">With <see cref="TrainSliceRequest.Representation"/>: wᵣ of each distinct representation; else null.</param>
/// <param name="RepresentationTasks">With <see cref="TrainSliceRequest.Representation"/>: the representation each task's head reads (−1: none); else null.</param>
[GenerateSerializer, Immutable]
public sealed record TrainSliceReply(
    [property: Id(0)] string Silo,
    [property: Id(1)] double[] Losses,
    [property: Id(2)] float[] Gradient,
    [property: Id(3)] double Seconds,
    [property: Id(4)] string? Error,
    [property: Id(5)] bool[]? Reached = null,
    [property: Id(6)] ulong[]? Positions = null,
    [property: Id(7)] float[]? Auxiliary = null,
    [property: Id(8)] bool[]? AuxiliaryReached = null,
    [property: Id(9)] float[]? Buffers = null,
    [property: Id(10)] bool ExchangeLost = false,
    [property: Id(11)] long ExchangeBytes = 0,
    [property: Id(12)] float[]? RepresentationGradients = null,
    [property: Id(13)] int[]? RepresentationWidths = null,
    [property: Id(14)] int[]? RepresentationTasks = null) : IShardReply;
