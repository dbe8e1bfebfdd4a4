using System.Numerics.Tensors;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// PCGrad, projecting conflicting gradients (Yu et al., "Gradient Surgery for Multi-Task Learning", NeurIPS 2020,
/// Algorithm 1). For each task i, start from gᵢᴾᶜ = gᵢ and go through the other tasks j in a random order: when they
/// conflict, remove from gᵢᴾᶜ its component along the original gⱼ,
/// <code>if gᵢᴾᶜ·gⱼ &lt; 0:   gᵢᴾᶜ ← gᵢᴾᶜ − (gᵢᴾᶜ·gⱼ / ‖gⱼ‖²)·gⱼ,        D = Σᵢ gᵢᴾᶜ.</code>
/// </summary>
/// <remarks>
/// <para>D is the sum over tasks as in the paper (Δθ = Σᵢ gᵢᴾᶜ) and LibMTL (<c>pc_grads.sum(0)</c>); the popular
/// Pytorch-PCGrad package averages instead (D/T). When no two gradients conflict, D = Σᵢ gᵢ.</para>
/// <para>Each gᵢᴾᶜ is a linear combination of the rows of J, so the weights are tracked exactly along the projections:
/// gᵢᴾᶜ = Σₖ cᵢₖgₖ and W = Σᵢ cᵢ (column sums), with D = WᵀJ. The dot products come from the Gramian J·Jᵀ (one SYRK),
/// which costs a step about as much as Nash-MTL's; they carry the same rounding as in parameter space. The order of the others is drawn, per task, from the seeded <see cref="TensorRandom"/> (see
/// <see cref="WeightedRows.TaskOrders"/>); each call to <see cref="GradientAggregator.Aggregate"/> draws new orders and
/// <see cref="RandomizedAggregator.Reset"/> restarts the stream. The paper leaves task i itself out of its own loop (LibMTL shuffles it in,
/// which changes nothing while gᵢᴾᶜ·gᵢ ≥ 0).</para>
/// </remarks>
public sealed class PCGrad : RandomizedAggregator
{
    /// <summary>Creates the aggregator.</summary>
    /// <param name="seed">The seed of the random task orders.</param>
    public PCGrad(ulong seed = 0)
        : base(seed)
    {
    }

    /// <inheritdoc/>
    public override string Name => "pcgrad";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses) =>
        Project(jacobian, WeightedRows.TaskOrders(Random, jacobian.Rows));

    /// <summary>PCGrad with the random orders given: <paramref name="orders"/>[i] lists the tasks other than i in the
    /// order task i is projected off them. The projections run on the T × T Gramian G = J·Jᵀ (by SYRK): with
    /// gᵢᴾᶜ = Σₖ cᵢₖgₖ, gᵢᴾᶜ·gⱼ = Σₖ cᵢₖGₖⱼ and ‖gⱼ‖² = Gⱼⱼ, so a step costs the Gramian and D = WᵀJ, not T² passes
    /// over the parameters (<see cref="ProjectTextbook"/> is the formula in parameter space, the tests' twin).</summary>
    /// <exception cref="ArgumentException">When the orders do not list every other task once per task.</exception>
    internal static AggregationResult Project(DenseMatrix jacobian, IReadOnlyList<int[]> orders)
    {
        int t = jacobian.Rows;
        WeightedRows.CheckOrders(orders, t);
        var g = Gramian.Compute(jacobian, TensorParallelism.Current);
        var weights = new double[t];
        var coefficients = new double[t];
        for (int i = 0; i < t; i++)
        {
            Array.Clear(coefficients);
            coefficients[i] = 1;
            foreach (int j in orders[i])
            {
                double dot = 0;
                for (int k = 0; k < t; k++) dot += coefficients[k] * g[k, j];
                if (dot < 0) coefficients[j] -= dot / g[j, j];   // Gⱼⱼ > 0 here: a zero gⱼ has dot = 0
            }
            for (int k = 0; k < t; k++) weights[k] += coefficients[k];
        }
        return new AggregationResult(Gramian.Combine(jacobian, weights), weights);
    }

    /// <summary>The textbook twin of <see cref="Project"/>: the projections done on the vectors themselves, in parameter
    /// space, as Algorithm 1 reads (T² passes over the parameters); D = Σᵢ gᵢᴾᶜ, the weights tracked alongside.</summary>
    internal static AggregationResult ProjectTextbook(DenseMatrix jacobian, IReadOnlyList<int[]> orders)
    {
        int t = jacobian.Rows;
        WeightedRows.CheckOrders(orders, t);
        var squaredNorms = new double[t];
        for (int j = 0; j < t; j++) squaredNorms[j] = TensorPrimitives.Dot<double>(jacobian.Row(j), jacobian.Row(j));
        var direction = new double[jacobian.Columns];
        var weights = new double[t];
        var projected = new double[jacobian.Columns];
        var coefficients = new double[t];
        for (int i = 0; i < t; i++)
        {
            jacobian.Row(i).CopyTo(projected);
            Array.Clear(coefficients);
            coefficients[i] = 1;
            foreach (int j in orders[i])
            {
                double dot = TensorPrimitives.Dot<double>(projected, jacobian.Row(j));
                if (!(dot < 0)) continue;
                double factor = dot / squaredNorms[j];
                TensorPrimitives.MultiplyAdd(jacobian.Row(j), -factor, projected, projected);
                coefficients[j] -= factor;
            }
            TensorPrimitives.Add(direction, projected, direction);
            TensorPrimitives.Add(weights, coefficients, weights);
        }
        return new AggregationResult(direction, weights);
    }
}
