namespace MtlEngine.Nn;

/// <summary>
/// A model that says whether its <see cref="ModelOutput{T}.AuxiliaryLoss"/> is a sum over the batch's rows of a per-row term
/// (no mean, no statistic of the whole batch): then the auxiliary losses of any cut of a batch into slices add up to the
/// batch's, and so do their gradients, and data-parallel training computes it exactly on each slice (<see cref="DataParallel"/>).
/// A model with an auxiliary loss that does not implement it, or says false, is refused by data-parallel training.
/// </summary>
public interface IRowSumAuxiliaryLoss
{
    /// <summary>Whether the auxiliary loss, when the model adds one, is a sum over the batch's rows.</summary>
    bool AuxiliaryLossSumsOverRows { get; }
}

/// <summary>
/// A module whose training loss couples the rows of a batch (a statistic or a contrast over all of them), so that a slice
/// cannot compute its share from its own rows: data-parallel training refuses a model holding one that says so
/// (<see cref="DataParallel.CheckReplicable{T}"/>), with <see cref="WholeBatchReason"/> in its one line, unless the module is
/// synchronized (<see cref="ISynchronizedModule"/>: the joint alignment gathers every slice's embeddings).
/// </summary>
public interface IWholeBatchLoss
{
    /// <summary>Why the module needs the whole batch and what to change, or null when it does not now (e.g. a weight of 0).</summary>
    string? WholeBatchReason { get; }
}
