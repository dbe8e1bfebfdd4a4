using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Modality dropout (Neverova, Wolf, Taylor and Nebout, "ModDrop: Adaptive Multi-modal Gesture Recognition", 2016): in
/// training mode each sample's present inputs are dropped, input i with probability pᵢ (one p for every input, or one per
/// input), by setting their presence mask to 0, so that the model learns to work with any subset; a sample never loses all
/// of its inputs: when every present input of a sample is drawn for dropping, one of them, chosen uniformly, is kept. For a
/// sample with k present inputs and one rate p each is therefore dropped with probability p − pᵏ/k; with two present inputs
/// and rates pᵢ, pⱼ, input i is dropped with probability pᵢ(1 − pⱼ) + pᵢpⱼ/2. Separate rates let a model that leans on
/// one modality (the stronger one) be made to learn the other alone more often: drop the stronger one more often.
/// Evaluation mode leaves the masks alone. The draws come from the module's own seeded generator (two per sample and input
/// each call, whatever the rates), whose position a training checkpoint saves.
/// </summary>
/// <typeparam name="T">The element type of the masks.</typeparam>
public sealed class ModalityDropout<T> : Module<T>, ISliceDraws where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TensorRandom _random;
    private readonly double[]? _rates;

    /// <summary>Creates the layer with one rate for every input.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When p is not in [0, 1).</exception>
    public ModalityDropout(double p, ulong seed)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The modality dropout probability must be in [0, 1).");
        P = p;
        _random = new TensorRandom(seed);
    }

    /// <summary>Creates the layer with a rate per input: <see cref="Drop"/> then takes exactly that many inputs, in this order.</summary>
    /// <param name="rates">pᵢ of each input, in the model's input order; 0 never drops that input.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <exception cref="ArgumentException">When there is no rate or a rate is not in [0, 1).</exception>
    public ModalityDropout(IReadOnlyList<double> rates, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (rates.Count == 0 || rates.Any(p => !(p >= 0 && p < 1)))
            throw new ArgumentException($"Modality dropout needs one probability in [0, 1) per input, got [{string.Join(", ", rates)}].", nameof(rates));
        _rates = [.. rates];
        P = _rates.Max();
        _random = new TensorRandom(seed);
    }

    /// <summary>p, the probability of dropping a present input of a sample; with per-input rates, the largest of them.</summary>
    public double P { get; }

    /// <summary>The rate of each input, or null when every input has <see cref="P"/>.</summary>
    public IReadOnlyList<double>? Rates => _rates;

    /// <summary>pᵢ, the rate of input <paramref name="input"/>.</summary>
    public double RateOf(int input) => _rates is null ? P : _rates[input];

    /// <summary>The generator of the draws.</summary>
    public TensorRandom Random => _random;

    /// <inheritdoc />
    public BatchSlice? Slice { get; set; }

    /// <summary>The presence masks after dropout (the same masks in evaluation mode or with p = 0).</summary>
    /// <param name="present">Per input its (n) mask, null when every sample has it.</param>
    /// <param name="count">n, the number of samples.</param>
    /// <returns>Per input its new (n) mask (on the device of the given masks, else the host), or null where nothing changed.</returns>
    public IReadOnlyList<MtlTensor<T>?> Drop(IReadOnlyList<MtlTensor<T>?> present, int count)
    {
        ArgumentNullException.ThrowIfNull(present);
        if (!Training || P == 0 || count == 0) return present;
        int m = present.Count;
        if (_rates is not null && _rates.Length != m)
            throw new ArgumentException($"This modality dropout has {_rates.Length} per-input rates, but got {m} masks; give one rate per input.", nameof(present));
        var device = present.FirstOrDefault(p => p is not null)?.Device ?? Device.Cpu;
        var masks = present.Select(p => p?.To(Device.Cpu).Contiguous().ToArray()).ToArray();
        // On a slice of a batch (data-parallel): the whole batch's draws, as the local step draws them, and the slice's rows.
        if (Slice is { } slice && count != slice.Count)
            throw new ArgumentException($"Modality dropout on a slice of {slice.Count} rows got {count} samples.", nameof(count));
        int rows = Slice?.BatchRows ?? count;
        var drawn = _random.Uniform<double>([rows, m], 0, 1).ToArray();
        var chosen = _random.Uniform<double>([rows, m], 0, 1).ToArray(); // column 0 picks the input kept when all were drawn
        if (Slice is { } part)
        {
            drawn = part.Rows<double>(drawn, m).ToArray();
            chosen = part.Rows<double>(chosen, m).ToArray();
        }
        var result = new T[m][];
        for (int i = 0; i < m; i++) result[i] = masks[i] is { } mask ? (T[])mask.Clone() : Enumerable.Repeat(T.One, count).ToArray();
        var presentInputs = new List<int>(m);
        for (int r = 0; r < count; r++)
        {
            presentInputs.Clear();
            for (int i = 0; i < m; i++) if (result[i][r] != T.Zero) presentInputs.Add(i);
            int dropped = 0;
            foreach (int i in presentInputs)
                if (drawn[r * m + i] < RateOf(i))
                {
                    result[i][r] = T.Zero;
                    dropped++;
                }
            if (dropped > 0 && dropped == presentInputs.Count)
                result[presentInputs[Math.Min(presentInputs.Count - 1, (int)(chosen[r * m] * presentInputs.Count))]][r] = T.One;
        }
        var output = new MtlTensor<T>?[m];
        for (int i = 0; i < m; i++)
            output[i] = masks[i] is null && result[i].All(v => v != T.Zero) ? null : MtlTensor.FromArray(result[i], count).To(device);
        return output;
    }

    /// <summary>Not a layer on tensors: use <see cref="Drop"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input) =>
        throw new NotSupportedException("ModalityDropout acts on the presence masks of a batch's inputs: call Drop(masks, n).");
}
