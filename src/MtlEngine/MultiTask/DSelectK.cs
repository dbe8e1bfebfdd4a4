using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// DSelect-k (Hazimeh et al., "DSelect-k: Differentiable Selection in the Mixture of Experts with Applications to
/// Multi-Task Learning", NeurIPS 2021): <see cref="MultiGateMixtureOfExperts{T}"/> with each task's softmax gate replaced by
/// a differentiable top-k selection (the per-example gate of the paper, section 3.2). With m = ⌈log₂ E⌉ binary variables
/// per selector, k single-expert selectors per task:
/// <code>
/// S(t)   = 0 (t ≤ −γ/2),  1 (t ≥ γ/2),  −2t³/γ³ + 3t/(2γ) + 1/2 otherwise        (smooth-step)
/// zₜ     = Zₜ·x + cₜ  reshaped (n, k, m)                                          (z_logits)
/// rᵢ,ₑ   = Πⱼ₌₁..ₘ [ S(zᵢ,ⱼ) if bit j of e is 1 else 1 − S(zᵢ,ⱼ) ]                (bits most significant first)
/// wₜ     = softmax(Wₜ·x + dₜ)  (n, k)                                              (w_logits)
/// gₜ,ₑ(x) = Σᵢ wᵢ·rᵢ,ₑ,   outputₜ = headₜ(towerₜ(Σₑ gₜ,ₑ(x)·expertₑ(x)))
/// </code>
/// Once the smooth-steps saturate at 0 or 1, each selector picks one expert, so at most k experts have a nonzero weight.
/// The authors' regularization (<see cref="Regularization"/>): τ·Σ −r·log(r + 10⁻⁶) over the selectors (entropy, pushing
/// them to choose; τ = 0: off) plus, when E is not a power of 2, Σ 1/Σₑ rᵢ,ₑ so that the selectors do not put their weight
/// on the 2ᵐ − E codes that name no expert.
/// Initialization as the authors' code: Z, c ~ U(−γ/100, γ/100), W, d ~ U(−0.05, 0.05).
/// Parameter names: <c>experts.E.0.weight</c>, <c>gates.TASK.z_logits.weight</c>, <c>gates.TASK.w_logits.weight</c>,
/// <c>towers.TASK.…</c>, <c>heads.TASK.weight</c>; the experts are shared, each gate, tower and head belongs to its task.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class DSelectK<T> : FusedInputModel<T>, IRowSumAuxiliaryLoss where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T>[] _experts;
    private readonly DSelectKGate<T>[] _gates;
    private readonly TaskTowers<T> _towers;

    /// <summary>Builds the model with seeded weights.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="tasks">The tasks, one gate, tower and head each.</param>
    /// <param name="experts">E, the number of experts (at least 2).</param>
    /// <param name="k">The number of single-expert selectors per gate: the most experts a task uses (1 ≤ k ≤ E).</param>
    /// <param name="expertHidden">Each expert's widths; the last is the representation's width.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="gamma">γ, the width of the smooth-step's polynomial part.</param>
    /// <param name="entropyRegularization">τ, the weight of the selectors' entropy in <see cref="Regularization"/> (0: none).</param>
    /// <param name="towerHidden">Each task tower's widths (null or empty: the head reads the mixture).</param>
    /// <param name="dropout">Dropout after each activation of the experts and towers (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When E &lt; 2, k is outside [1, E], γ ≤ 0, τ &lt; 0, or a width is not positive.</exception>
    public DSelectK(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, int experts, int k,
        IReadOnlyList<int> expertHidden, TensorRandom random, double gamma = 1, double entropyRegularization = 0, IReadOnlyList<int>? towerHidden = null,
        double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArchitectureParts.CheckWidths(expertHidden, nameof(expertHidden));
        if (experts < 2) throw new ArgumentException($"DSelect-k selects among at least 2 experts, but got {experts}; with one expert use HPS.", nameof(experts));
        if (k < 1 || k > experts) throw new ArgumentException($"k must be in [1, {experts}] (the number of experts), but got {k}.", nameof(k));
        if (expertHidden.Count == 0) throw new ArgumentException("DSelect-k's experts need at least one width (expertHidden is empty).", nameof(expertHidden));
        if (!(entropyRegularization >= 0) || double.IsInfinity(entropyRegularization))
            throw new ArgumentException($"The entropy regularization weight must be finite and ≥ 0, but got {entropyRegularization}.", nameof(entropyRegularization));
        ExpertCount = experts;
        EntropyRegularization = entropyRegularization;
        RepresentationWidth = expertHidden[^1];
        _experts = ArchitectureParts.Experts(RegisterModule("experts", new ModuleList<T>()), experts, FusedWidth, expertHidden, random, dropout, firstStream: 0);
        var gates = RegisterModule("gates", new ModuleDict<T>());
        _gates = tasks.Select(t => gates.Add(t.Name, new DSelectKGate<T>(FusedWidth, experts, k, gamma, random))).ToArray();
        _towers = RegisterTaskTowers(RepresentationWidth, towerHidden, random, dropout);
        DeclareShared("experts");
        DeclarePerTask("gates");
    }

    /// <summary>E, the number of experts.</summary>
    public int ExpertCount { get; }

    /// <summary>τ, the weight of the selectors' entropy in <see cref="Regularization"/>.</summary>
    public double EntropyRegularization { get; }

    /// <summary>
    /// True: the gates' <see cref="Regularization"/> sums over the batch's rows (selector entropies and reciprocal selector
    /// sums, each of one row), so data-parallel slices add up to the batch's; a joint alignment's term is split by its
    /// synchronized shares (<see cref="MultiModal.JointAlignment{T}"/>), which add up to the batch's too.
    /// </summary>
    public bool AuxiliaryLossSumsOverRows => true;

    /// <summary>The width of each task's mixture.</summary>
    public int RepresentationWidth { get; }

    /// <summary>The gates, in task order.</summary>
    public IReadOnlyList<DSelectKGate<T>> Gates => _gates;

    /// <summary>The last shared layer: the last weight of every expert (all of them, side by side).</summary>
    public override IReadOnlyList<MtlTensor<T>> LastSharedLayer() => _experts.Select(ArchitectureParts.LastWeight).ToArray();

    /// <summary>
    /// The outputs; in training mode, with the gates' <see cref="Regularization"/> as the output's
    /// <see cref="ModelOutput{T}.AuxiliaryLoss"/> (when τ &gt; 0 or E is not a power of 2), which the trainer adds to the loss
    /// (beside the joint alignment's loss, when that is on).
    /// </summary>
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var (output, regularization) = ForwardWithRegularization(batch);
        return Training && (EntropyRegularization > 0 || !BitOperations.IsPow2(ExpertCount)) ? WithAuxiliary(output, regularization) : output;
    }

    /// <summary>
    /// The outputs and the gates' regularization on the batch, summed over the tasks' gates (a scalar to add to the
    /// training loss, as the authors' layer adds it in training); the output carries the joint alignment's loss, when that is on.
    /// </summary>
    public (ModelOutput<T> Output, MtlTensor<T> Regularization) ForwardWithRegularization(Batch<T> batch)
    {
        var (x, alignment) = EncodeWithAlignment(batch);
        var experts = ArchitectureParts.RunExperts(_experts, x);
        var representations = new MtlTensor<T>[Tasks.Count];
        MtlTensor<T>? regularization = null;
        for (int t = 0; t < Tasks.Count; t++)
        {
            var selectors = _gates[t].Selectors(x);
            representations[t] = ArchitectureParts.Mix(_gates[t].Weights(x, selectors), experts);
            var term = Regularization(selectors);
            regularization = regularization is null ? term : regularization + term;
        }
        return (WithAuxiliary(_towers.Outputs(Tasks, representations), alignment), regularization!);
    }

    /// <summary>
    /// The authors' regularization of selector outputs r (n, k, E): τ·Σ −r·log(r + 10⁻⁶), plus Σ 1/Σₑ r when E is not a power
    /// of 2; a scalar.
    /// </summary>
    public MtlTensor<T> Regularization(MtlTensor<T> selectors)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        var total = MtlTensor.Scalar(T.Zero);
        if (EntropyRegularization > 0)
            total = total + (selectors * (selectors + T.CreateChecked(1e-6)).Log()).Sum() * T.CreateChecked(-EntropyRegularization);
        if (!BitOperations.IsPow2(ExpertCount))
            total = total + (T.One / selectors.Sum(-1)).Sum();
        return total;
    }

    /// <summary>A model with one dense input: the task outputs side by side, (n, Σ outputs), in task order.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => MtlTensor.Concatenate(ForwardTasks(input), axis: 1);
}

/// <summary>
/// One task's DSelect-k gate (Hazimeh et al. 2021, per-example gating): k single-expert selectors, each a smooth-step binary
/// code of m = ⌈log₂ E⌉ bits (<c>z_logits</c>, Linear(in, k·m)), mixed by a softmax over the selectors (<c>w_logits</c>,
/// Linear(in, k)); see <see cref="DSelectK{T}"/> for the formulas.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class DSelectKGate<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> _z;
    private readonly Linear<T> _w;
    private MtlTensor<T> _codes; // a constant, uploaded once to the device the gate runs on

    /// <summary>Creates the gate with the authors' initialization.</summary>
    /// <param name="inputs">The width of the gate's input.</param>
    /// <param name="experts">E (at least 2).</param>
    /// <param name="k">The number of selectors (1 ≤ k ≤ E).</param>
    /// <param name="gamma">γ of the smooth-step (positive).</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <exception cref="ArgumentException">When E &lt; 2, k is outside [1, E] or γ ≤ 0.</exception>
    public DSelectKGate(int inputs, int experts, int k, double gamma, TensorRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (experts < 2) throw new ArgumentException($"A DSelect-k gate selects among at least 2 experts, but got {experts}.", nameof(experts));
        if (k < 1 || k > experts) throw new ArgumentException($"k must be in [1, {experts}], but got {k}.", nameof(k));
        if (!(gamma > 0) || double.IsInfinity(gamma)) throw new ArgumentException($"γ must be finite and positive, but got {gamma}.", nameof(gamma));
        Experts = experts;
        K = k;
        Gamma = gamma;
        Bits = (int)Math.Ceiling(Math.Log2(experts));
        _z = RegisterModule("z_logits", new Linear<T>(inputs, k * Bits, random));
        _w = RegisterModule("w_logits", new Linear<T>(inputs, k, random));
        using (Autograd.Grad.NoGrad())
        {
            T zBound = T.CreateChecked(gamma / 100);
            Nn.Init.Uniform(random, [k * Bits, inputs], zBound).CopyTo(_z.Weight.Detach());
            Nn.Init.Uniform(random, [k * Bits], zBound).CopyTo(_z.Bias!.Detach());
            Nn.Init.Uniform(random, [k, inputs], T.CreateChecked(0.05)).CopyTo(_w.Weight.Detach());
            Nn.Init.Uniform(random, [k], T.CreateChecked(0.05)).CopyTo(_w.Bias!.Detach());
        }
        // codes[e, j] = bit j of e, most significant first (numpy's binary_repr, as the authors).
        var codes = new T[experts * Bits];
        for (int e = 0; e < experts; e++)
            for (int j = 0; j < Bits; j++)
                codes[e * Bits + j] = ((e >> (Bits - 1 - j)) & 1) == 1 ? T.One : T.Zero;
        _codes = MtlTensor.FromArray(codes, experts, Bits);
    }

    /// <summary>E, the number of experts.</summary>
    public int Experts { get; }

    /// <summary>k, the number of single-expert selectors.</summary>
    public int K { get; }

    /// <summary>γ of the smooth-step.</summary>
    public double Gamma { get; }

    /// <summary>m = ⌈log₂ E⌉, the bits of each selector's code.</summary>
    public int Bits { get; }

    /// <summary>
    /// The smooth-step S(t): 0 below −γ/2, 1 above γ/2, the cubic −2t³/γ³ + 3t/(2γ) + 1/2 between. The cubic is 0 and 1 with
    /// zero slope at ∓γ/2, so S = cubic(clamp(t, −γ/2, γ/2)) exactly, gradient included.
    /// </summary>
    public MtlTensor<T> SmoothStep(MtlTensor<T> t)
    {
        ArgumentNullException.ThrowIfNull(t);
        T half = T.CreateChecked(Gamma / 2);
        var c = t.Clamp(-half, half);
        return c * c * c * T.CreateChecked(-2 / (Gamma * Gamma * Gamma)) + c * T.CreateChecked(3 / (2 * Gamma)) + T.CreateChecked(0.5);
    }

    /// <summary>The selector outputs r (n, k, E): rᵢ,ₑ = Πⱼ (bit j of e ? S(zᵢ,ⱼ) : 1 − S(zᵢ,ⱼ)); each row sums to 1 when E = 2ᵐ.</summary>
    public MtlTensor<T> Selectors(MtlTensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.Shape[0];
        var s = SmoothStep(_z.Forward(x)).Reshape(n, K, 1, Bits);                   // (n, k, 1, m)
        if (_codes.Device != x.Device) _codes = _codes.To(x.Device);
        var codes = _codes.Reshape(1, 1, Experts, Bits);                             // (1, 1, E, m)
        var factors = s * codes + (T.One - s) * (T.One - codes);                     // (n, k, E, m): S where the bit is 1, 1 − S where 0
        var product = factors.Select(3, 0);
        for (int j = 1; j < Bits; j++) product = product * factors.Select(3, j);
        return product;
    }

    /// <summary>The expert weights g (n, E) = Σᵢ softmax(w)ᵢ·rᵢ from the selector outputs <paramref name="selectors"/>.</summary>
    public MtlTensor<T> Weights(MtlTensor<T> x, MtlTensor<T> selectors)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(selectors);
        var w = _w.Forward(x).Softmax(-1);                                           // (n, k)
        return (w.Unsqueeze(2) * selectors).Sum(1);                                  // (n, E)
    }

    /// <summary>The expert weights g (n, E) of inputs x (n, in).</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Weights(input, Selectors(input));
}
