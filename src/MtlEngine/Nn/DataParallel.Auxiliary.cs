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
