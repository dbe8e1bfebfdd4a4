using System.Numerics.Tensors;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// GradVac, gradient vaccine (Wang et al., "Gradient Vaccine: Investigating and Improving Multi-task Optimization in
/// Massively Multilingual Models", ICLR 2021, Algorithm 1). PCGrad generalized to a similarity target: each pair keeps
/// an exponential moving average φ̂ᵢⱼ of the cosine similarity (0 at the start), and for each task i, going through the
/// other tasks j in a random order with φᵢⱼ = cos(gᵢᴾᶜ, gⱼ):
/// <code>if φᵢⱼ &lt; φ̂ᵢⱼ:   gᵢᴾᶜ ← gᵢᴾᶜ + ‖gᵢᴾᶜ‖·(φ̂ᵢⱼ·√(1 − φᵢⱼ²) − φᵢⱼ·√(1 − φ̂ᵢⱼ²)) / (‖gⱼ‖·√(1 − φ̂ᵢⱼ²)) · gⱼ
/// φ̂ᵢⱼ ← (1 − β)·φ̂ᵢⱼ + β·φᵢⱼ,        D = Σᵢ gᵢᴾᶜ.</code>
/// The correction turns gᵢᴾᶜ in the plane of (gᵢᴾᶜ, gⱼ) until its cosine with gⱼ is exactly φ̂ᵢⱼ; with φ̂ = 0 it is
/// PCGrad's projection.
/// </summary>
/// <remarks>
/// <para>The EMA is updated for every visited pair, after the test, as in the paper's Algorithm 1 and TorchJD (LibMTL
/// updates it only when a correction was made, so its targets can only decrease). β = 0.5 (<c>gradvac-beta</c>) is LibMTL's
/// default. One group of parameters (the whole model, LibMTL's <c>GradVac_group_type</c> 0): pass a slice of J to
/// treat a layer on its own. The targets are kept in the instance across calls; <see cref="Reset"/> sets them back to 0
/// and restarts the stream of random orders (drawn as PCGrad's, <see cref="WeightedRows.TaskOrders"/>).</para>
/// <para>As for PCGrad, each gᵢᴾᶜ is a combination of the rows of J and the weights are tracked exactly: D = WᵀJ.
/// Norms and cosines are taken in parameter space: through the Gramian (‖gᵢᴾᶜ‖² = cᵢᵀGcᵢ, as TorchJD) a gᵢᴾᶜ much
/// shorter than gᵢ (after a nearly opposite gⱼ) would lose twice the digits.
/// The formula is used exactly (LibMTL adds 10⁻⁸ to its denominators); a pair whose cosine is undefined (gⱼ = 0 or
/// gᵢᴾᶜ = 0) is skipped, its target unchanged; a target of exactly 1 (reached only after all-parallel steps) cannot be
/// met by a finite correction and none is made.</para>
/// </remarks>
public sealed class GradVac : RandomizedAggregator
{
    private double[,]? _targets;

    /// <summary>Creates the aggregator.</summary>
    /// <param name="beta">The EMA rate β in [0, 1] (the weight of the new cosine).</param>
    /// <param name="seed">The seed of the random task orders.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="beta"/> is outside [0, 1].</exception>
    public GradVac(double beta = 0.5, ulong seed = 0)
        : base(seed)
    {
        if (!(beta >= 0 && beta <= 1))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "gradvac-beta must be in [0, 1].");
        Beta = beta;
    }

    /// <inheritdoc/>
    public override string Name => "gradvac";

    /// <summary>The EMA rate β.</summary>
    public double Beta { get; }

    /// <summary>A copy of the similarity targets φ̂ (T × T, the diagonal unused), or null before the first call.</summary>
    public double[,]? Targets => (double[,]?)_targets?.Clone();

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses) =>
        Step(jacobian, WeightedRows.TaskOrders(Random, jacobian.Rows));

    /// <summary>Sets the targets back to 0 and restarts the stream of random orders.</summary>
    public override void Reset()
    {
        _targets = null;
        base.Reset();
    }

    /// <summary>Writes the position of the random stream and the targets (T × T, row-major; none before the first call).</summary>
    public override void SaveState(StrategyState state)
    {
        base.SaveState(state);
        state.Put("targets", _targets is null ? [] : _targets.Cast<double>().ToArray());
    }

    /// <summary>Restores the position of the random stream and the targets.</summary>
    public override void LoadState(StrategyState state)
    {
        base.LoadState(state);
        var targets = state.Optional("targets");
        if (targets is null)
        {
            _targets = null;
            return;
        }
        int t = (int)Math.Round(Math.Sqrt(targets.Length));
        if (t * t != targets.Length)
            throw new ArgumentException($"The strategy state's entry \"targets\" holds {targets.Length} values, not T × T.");
        _targets = new double[t, t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++) _targets[i, j] = targets[i * t + j];
    }

    /// <summary>One GradVac step with the random orders given (<paramref name="orders"/>[i]: the tasks other than i, in the
    /// order task i meets them); updates the targets.</summary>
    /// <exception cref="ArgumentException">When the orders do not list every other task once per task, or the number of
    /// tasks differs from the previous calls' (call <see cref="Reset"/> first).</exception>
    internal AggregationResult Step(DenseMatrix jacobian, IReadOnlyList<int[]> orders)
    {
        int t = jacobian.Rows;
        WeightedRows.CheckOrders(orders, t);
        _targets ??= new double[t, t];
        if (_targets.GetLength(0) != t)
            throw new ArgumentException($"GradVac's similarity targets are for {_targets.GetLength(0)} tasks, but the Jacobian has {t} rows; call Reset() before changing the tasks.", nameof(jacobian));
        var norms = new double[t];
        for (int j = 0; j < t; j++) norms[j] = TensorPrimitives.Norm<double>(jacobian.Row(j));
        var direction = new double[jacobian.Columns];
        var weights = new double[t];
        var corrected = new double[jacobian.Columns];
        var coefficients = new double[t];
        for (int i = 0; i < t; i++)
        {
            jacobian.Row(i).CopyTo(corrected);
            Array.Clear(coefficients);
            coefficients[i] = 1;
            foreach (int j in orders[i])
            {
                double norm = TensorPrimitives.Norm<double>(corrected);
                if (norms[j] == 0 || norm == 0) continue;
                double cosine = Math.Clamp(TensorPrimitives.Dot<double>(corrected, jacobian.Row(j)) / (norm * norms[j]), -1, 1);
                double target = _targets[i, j];
                double sineTarget = Math.Sqrt(1 - target * target);
                if (cosine < target && sineTarget > 0)
                {
                    double factor = norm * (target * Math.Sqrt(1 - cosine * cosine) - cosine * sineTarget) / (norms[j] * sineTarget);
                    TensorPrimitives.MultiplyAdd(jacobian.Row(j), factor, corrected, corrected);
                    coefficients[j] += factor;
                }
                _targets[i, j] = (1 - Beta) * target + Beta * cosine;
            }
            TensorPrimitives.Add(direction, corrected, direction);
            TensorPrimitives.Add(weights, coefficients, weights);
        }
        return new AggregationResult(direction, weights);
    }
}
