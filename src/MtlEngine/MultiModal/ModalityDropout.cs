using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>
/// Modality dropout (Neverova, Wolf, Taylor and Nebout, "ModDrop: Adaptive Multi-modal Gesture Recognition", 2016): in
/// training mode each sample's present inputs are dropped, each with probability p, by setting their presence mask to 0, so
/// that the model learns to work with any subset; a sample never loses all of its inputs: when every present input of a
/// sample is drawn for dropping, one of them, chosen uniformly, is kept. For a sample with k present inputs each is therefore
/// dropped with probability p − pᵏ/k. Evaluation mode leaves the masks alone. The draws come from the module's own seeded
/// generator (two per sample and input each call), whose position a training checkpoint saves.
/// </summary>
/// <typeparam name="T">The element type of the masks.</typeparam>
public sealed class ModalityDropout<T> : Module<T>, IRandomizedModule where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TensorRandom _random;

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When p is not in [0, 1).</exception>
    public ModalityDropout(double p, ulong seed)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The modality dropout probability must be in [0, 1).");
        P = p;
        _random = new TensorRandom(seed);
    }

    /// <summary>p, the probability of dropping a present input of a sample.</summary>
    public double P { get; }

    /// <summary>The generator of the draws.</summary>
    public TensorRandom Random => _random;

    /// <summary>The presence masks after dropout (the same masks in evaluation mode or with p = 0).</summary>
    /// <param name="present">Per input its (n) mask, null when every sample has it.</param>
    /// <param name="count">n, the number of samples.</param>
    /// <returns>Per input its new (n) mask (on the device of the given masks, else the host), or null where nothing changed.</returns>
    public IReadOnlyList<MtlTensor<T>?> Drop(IReadOnlyList<MtlTensor<T>?> present, int count)
    {
        ArgumentNullException.ThrowIfNull(present);
        if (!Training || P == 0 || count == 0) return present;
        int m = present.Count;
        var device = present.FirstOrDefault(p => p is not null)?.Device ?? Device.Cpu;
        var masks = present.Select(p => p?.To(Device.Cpu).Contiguous().ToArray()).ToArray();
        var drawn = _random.Uniform<double>([count, m], 0, 1).ToArray();
        var chosen = _random.Uniform<double>([count, m], 0, 1).ToArray(); // column 0 picks the input kept when all were drawn
        var result = new T[m][];
        for (int i = 0; i < m; i++) result[i] = masks[i] is { } mask ? (T[])mask.Clone() : Enumerable.Repeat(T.One, count).ToArray();
        var presentInputs = new List<int>(m);
        for (int r = 0; r < count; r++)
        {
            presentInputs.Clear();
            for (int i = 0; i < m; i++) if (result[i][r] != T.Zero) presentInputs.Add(i);
            int dropped = 0;
            foreach (int i in presentInputs)
                if (drawn[r * m + i] < P)
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
