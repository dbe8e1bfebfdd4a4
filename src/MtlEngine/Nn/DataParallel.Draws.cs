using System.Numerics;

namespace MtlEngine.Nn;

/// <summary>
/// Where a data-parallel slice lies in its step's batch: the forward's rows are rows [<see cref="Offset"/>,
/// <see cref="Offset"/> + <see cref="Count"/>) of a batch of <see cref="BatchRows"/> rows.
/// </summary>
/// <param name="Offset">The slice's first row in the batch.</param>
/// <param name="Count">The slice's rows.</param>
/// <param name="BatchRows">B, the batch's rows.</param>
public readonly record struct BatchSlice(int Offset, int Count, int BatchRows)
{
    /// <summary>The values of the slice's rows in a row-major draw for the whole batch of <paramref name="rowLength"/> values a row.</summary>
    /// <exception cref="ArgumentException">When the slice does not lie in the batch.</exception>
    public ReadOnlySpan<TValue> Rows<TValue>(ReadOnlySpan<TValue> whole, int rowLength)
    {
        if (Offset < 0 || Count < 0 || Offset + Count > BatchRows || whole.Length != BatchRows * rowLength)
            throw new ArgumentException($"The slice of rows [{Offset}, {Offset + Count}) does not lie in a draw of {BatchRows} rows of {rowLength} values ({whole.Length} drawn).");
        return whole.Slice(Offset * rowLength, Count * rowLength);
    }
}

/// <summary>
/// A randomized module (<see cref="IRandomizedModule"/>) that, on a slice of a batch, draws for the whole batch — what the
/// local step draws, from the same generator position — and uses the slice's rows: a data-parallel step then applies the
/// local step's masks, whichever slice a row is in. Each slice draws the whole batch's values (K times the local draws).
/// </summary>
public interface ISliceDraws : IRandomizedModule
{
    /// <summary>Null: the forward's rows are the whole batch (the local step). Else where they lie in the batch.</summary>
    BatchSlice? Slice { get; set; }
}

/// <summary>What a slice needs to draw the local step's masks: where it lies in the batch, and the generators' positions at the step's start.</summary>
/// <param name="Offset">The slice's first row in the batch.</param>
/// <param name="BatchRows">B, the batch's rows.</param>
/// <param name="Positions">The positions of the model's randomized modules' generators (<see cref="DataParallel.RandomPositions{T}"/>).</param>
public sealed record SliceDraws(int Offset, int BatchRows, ulong[] Positions);

public static partial class DataParallel
{
    /// <summary>The positions of the generators of the model's randomized modules, in <see cref="Module{T}.NamedModules"/> order.</summary>
    public static ulong[] RandomPositions<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.NamedModules().Select(m => m.Value).OfType<IRandomizedModule>().Select(m => m.Random.Position).ToArray();
    }

    /// <summary>Sets the positions of the generators of the model's randomized modules (from <see cref="RandomPositions{T}"/>).</summary>
    /// <exception cref="ArgumentException">When the count does not match the model's randomized modules.</exception>
    public static void SetRandomPositions<T>(Module<T> model, ReadOnlySpan<ulong> positions) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var modules = model.NamedModules().Select(m => m.Value).OfType<IRandomizedModule>().ToArray();
        if (modules.Length != positions.Length)
            throw new ArgumentException($"{positions.Length} generator positions for {modules.Length} randomized modules; both sides must build the model from the same spec.");
        for (int i = 0; i < modules.Length; i++) modules[i].Random.Position = positions[i];
    }

    /// <summary>
    /// The replica's forward on a slice's rows in training mode: with <paramref name="draws"/>, its randomized modules start
    /// at the coordinator's positions and draw as for the whole batch (<see cref="ISliceDraws"/>); with
    /// <paramref name="collective"/>, its synchronized modules take the whole batch's statistics through it (<see cref="ISynchronizedModule"/>).
    /// </summary>
    private static (Batch<T> Batch, ModelOutput<T> Output) SliceForward<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, SliceDraws? draws,
        ISliceCollective? collective = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        model.Train();
        var batch = data.BatchInStep(rows); // inside the trainer's step (slices on its thread) into the arena's buffers; elsewhere new ones, as Batch
        var modules = model.NamedModules().Select(m => m.Value).ToArray();
        var sliced = draws is null ? [] : modules.OfType<ISliceDraws>().ToArray();
        var synchronized = collective is null ? [] : modules.OfType<ISynchronizedModule>().ToArray();
        if (draws is not null) SetRandomPositions(model, draws.Positions);
        try
        {
            foreach (var module in sliced) module.Slice = new BatchSlice(draws!.Offset, rows.Length, draws.BatchRows);
            foreach (var module in synchronized) module.Collective = collective; // the backward keeps it in the graph
            return (batch, model.Forward(batch));
        }
        finally
        {
            foreach (var module in sliced) module.Slice = null;
            foreach (var module in synchronized) module.Collective = null;
        }
    }
}
