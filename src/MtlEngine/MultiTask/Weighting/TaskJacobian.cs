using System.Numerics;
using System.Numerics.Tensors;
using MtlEngine.Autograd;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.Nn;
using MtlEngine.Tensors;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// The per-task gradients of a step as one float64 matrix, and the way back: J (T × P) from the gradients of the task
/// losses with respect to a list of tensors (flattened in list order, each tensor row-major), and a direction D (length P)
/// written into the parameters' Grad.
/// </summary>
internal static class TaskJacobian
{
    /// <summary>
    /// J with row t the concatenation of <paramref name="gradients"/>[t][0 .. <paramref name="count"/>), each flattened
    /// row-major (gradients on a device are downloaded). Every entry is written, so <paramref name="reuse"/>, when it has
    /// exactly T·P elements (last step's J), is filled instead of a new array: on shared parameters that include an
    /// embedding table J is tens of megabytes, and a new one each step is a large-object allocation and a full collection.
    /// </summary>
    public static DenseMatrix Flatten<T>(MtlTensor<T>[][] gradients, int count, double[]? reuse = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tasks = gradients.Length;
        long columns = 0;
        for (int j = 0; j < count; j++) columns += gradients[0][j].Length;
        if (columns > int.MaxValue / Math.Max(1, tasks))
            throw new InvalidOperationException($"The Jacobian would have {tasks} × {columns} entries, more than one array holds; aggregate on the representation (rep_grad) instead.");
        var jacobian = reuse is not null && reuse.Length == tasks * columns
            ? new DenseMatrix(tasks, (int)columns, reuse)
            : new DenseMatrix(tasks, (int)columns);
        for (int t = 0; t < tasks; t++)
        {
            var row = jacobian.Row(t);
            int offset = 0;
            for (int j = 0; j < count; j++)
            {
                var gradient = gradients[t][j];
                var host = gradient.Device.Kind == DeviceKind.Cpu ? gradient.Contiguous().AsSpan() : gradient.ToArray();
                TensorPrimitives.ConvertChecked<T, double>(host, row.Slice(offset, host.Length));
                offset += host.Length;
            }
        }
        return jacobian;
    }

    /// <summary>
    /// The cosines between the rows of J: C = diag(G)^(−1/2)·G·diag(G)^(−1/2) with the Gramian G = J·Jᵀ
    /// (<see cref="Gramian.Compute"/>); a zero row has cosine 0 with every row, itself included.
    /// </summary>
    public static DenseMatrix Cosines(DenseMatrix jacobian)
    {
        var gramian = Gramian.Compute(jacobian, Parallelism.Sequential);
        int n = gramian.Rows;
        var cosines = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double norms = Math.Sqrt(gramian[i, i] * gramian[j, j]);
                cosines[i, j] = norms > 0 ? Math.Clamp(gramian[i, j] / norms, -1, 1) : 0;
            }
        return cosines;
    }

    /// <summary>
    /// Adds cₖ to each tensor θₖ's Grad (those that require grad), as a backward pass accumulates into a leaf
    /// (<see cref="Graph.AccumulateGrad"/>: the same buffers and device, the same sum): what
    /// <see cref="AddToGradientsByBackward"/> does through a surrogate graph, without building and running it (for a
    /// 14,300 × 64 embedding table, one product, one sum and their backward of 915,000 elements each a step).
    /// </summary>
    public static void AddToGradients<T>(IReadOnlyList<(MtlTensor<T> Parameter, MtlTensor<T> Gradient)> pairs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (parameter, gradient) in pairs)
            if (parameter.RequiresGrad) Graph.AccumulateGrad(parameter, gradient.Detach());
    }

    /// <summary>
    /// The textbook twin of <see cref="AddToGradients"/>: adds ∂/∂θ of the surrogate Σₖ ⟨θₖ, cₖ⟩ to each tensor θₖ's
    /// Grad, that is cₖ itself, by one backward pass through element-wise products alone.
    /// </summary>
    internal static void AddToGradientsByBackward<T>(IReadOnlyList<(MtlTensor<T> Parameter, MtlTensor<T> Gradient)> pairs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MtlTensor<T>? surrogate = null;
        foreach (var (parameter, gradient) in pairs)
        {
            if (!parameter.RequiresGrad) continue;
            var term = (parameter * gradient.Detach()).Sum();
            surrogate = surrogate is null ? term : surrogate + term;
        }
        surrogate?.Backward();
    }

    /// <summary>Cuts D (length Σ |θₖ|) into one tensor per parameter, of its shape, on its device.</summary>
    public static MtlTensor<T>[] Split<T>(IReadOnlyList<MtlTensor<T>> parameters, ReadOnlySpan<double> direction) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new MtlTensor<T>[parameters.Count];
        int offset = 0;
        for (int k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (offset + p.Length > direction.Length)
                throw new ArgumentException($"The direction has {direction.Length} entries, but the parameters hold more than {offset + p.Length - 1}.", nameof(direction));
            var values = new T[p.Length];
            TensorPrimitives.ConvertChecked<double, T>(direction.Slice(offset, values.Length), values);
            offset += values.Length;
            var host = MtlTensor.FromArray(values, p.Shape.ToArray());
            result[k] = p.Device.Kind == DeviceKind.Cpu ? host : host.To(p.Device);
        }
        if (offset != direction.Length)
            throw new ArgumentException($"The direction has {direction.Length} entries, but the parameters hold {offset}.", nameof(direction));
        return result;
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba 2015) on a few float64 scalars, for the strategies' own parameters (UW's log-variances, GradNorm's
/// weights, IMTL-L's scales, FAMO's logits), whose gradients are closed-form: PyTorch's <c>torch.optim.Adam</c> with L2
/// weight decay g ← g + λθ, m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + ε) with bias-corrected m̂, v̂.
/// </summary>
internal sealed class ScalarAdam(double learningRate, double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
{
    private double[] _m = [];
    private double[] _v = [];
    private int _step;

    public double LearningRate { get; } = learningRate;

    /// <summary>Writes the moments and the step count under <paramref name="prefix"/> (nothing before the first step).</summary>
    public void Save(StrategyState state, string prefix)
    {
        state.Put(prefix + "exp_avg", _m);
        state.Put(prefix + "exp_avg_sq", _v);
        state.Put(prefix + "step", _step == 0 ? [] : [_step]);
    }

    /// <summary>Reads what <see cref="Save"/> wrote for <paramref name="count"/> parameters.</summary>
    public void Load(StrategyState state, string prefix, int count)
    {
        if (state.Optional(prefix + "step") is null)
        {
            _m = [];
            _v = [];
            _step = 0;
            return;
        }
        _m = (double[])state.Get(prefix + "exp_avg", count).Clone();
        _v = (double[])state.Get(prefix + "exp_avg_sq", count).Clone();
        _step = checked((int)state.Get(prefix + "step", 1)[0]);
    }

    /// <summary>One update of <paramref name="parameters"/> in place from <paramref name="gradient"/>.</summary>
    public void Step(double[] parameters, ReadOnlySpan<double> gradient)
    {
        if (_m.Length != parameters.Length)
        {
            _m = new double[parameters.Length];
            _v = new double[parameters.Length];
        }
        _step++;
        double c1 = 1 - Math.Pow(beta1, _step), c2 = 1 - Math.Pow(beta2, _step);
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i] + weightDecay * parameters[i];
            _m[i] = beta1 * _m[i] + (1 - beta1) * g;
            _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
            parameters[i] -= LearningRate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + epsilon);
        }
    }
}

/// <summary>
/// One step's Jacobian of the (scaled) task losses with respect to the shared parameters or the shared representation,
/// with the task-specific gradients from the same backward passes, and the way to turn a direction D into gradients.
/// </summary>
internal sealed class StepJacobian<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TrainingStep<T> _step;
    private readonly bool _representation;
    private readonly List<MtlTensor<T>> _targets;
    private readonly List<MtlTensor<T>> _taskParameters;
    private readonly MtlTensor<T>?[] _taskGradients;

    private StepJacobian(TrainingStep<T> step, bool representation, List<MtlTensor<T>> targets, List<MtlTensor<T>> taskParameters,
        MtlTensor<T>?[] taskGradients, DenseMatrix matrix)
    {
        _step = step;
        _representation = representation;
        _targets = targets;
        _taskParameters = taskParameters;
        _taskGradients = taskGradients;
        Matrix = matrix;
    }

    /// <summary>J, T × P: row t the gradient of sₜ·lossₜ.</summary>
    public DenseMatrix Matrix { get; }

    /// <summary>
    /// T backward passes over the kept graph, each to the targets (the shared parameters, or the distinct representation
    /// tensors) and to every task-specific parameter; a task's gradient is scaled by <paramref name="scales"/>[t] when given.
    /// J is written into <paramref name="reuse"/> when it has T·P elements (the caller's J of the last step, no longer
    /// read; see <see cref="TaskJacobian.Flatten"/>).
    /// </summary>
    public static StepJacobian<T> Build(TrainingStep<T> step, bool representation, double[]? scales, double[]? reuse = null)
    {
        var model = step.Model;
        var taskParameters = model.NamedParameters().Where(p => model.RoleOf(p.Key).Role == ParameterRole.Task).Select(p => p.Value).ToList();
        var targets = representation
            ? step.Output.Representations.Values.Distinct(ReferenceEqualityComparer.Instance).Cast<MtlTensor<T>>().ToList()
            : model.SharedParameters().Select(p => p.Value).ToList();
        if (representation && targets.Count == 0)
            throw new InvalidOperationException("rep_grad needs the shared representation of the step, but the step has none (a data-parallel step carries it only when its slices were asked for it: SlicedStepGradients or ClusterTraining with representation true); aggregate on the shared parameters instead.");
        int count = targets.Count;
        var gradients = step.TaskGradients([.. targets, .. taskParameters]);
        var matrix = TaskJacobian.Flatten(gradients, count, reuse);
        if (scales is not null)
            for (int t = 0; t < matrix.Rows; t++)
                foreach (ref double v in matrix.Row(t)) v *= scales[t];
        var sums = new MtlTensor<T>?[taskParameters.Count];
        for (int k = 0; k < taskParameters.Count; k++)
            for (int t = 0; t < gradients.Length; t++)
            {
                var g = gradients[t][count + k];
                if (scales is not null && scales[t] != 1) g = g * T.CreateChecked(scales[t]);
                sums[k] = sums[k] is null ? g : sums[k]! + g;
            }
        return new StepJacobian<T>(step, representation, targets, taskParameters, sums, matrix);
    }

    /// <summary>
    /// Writes the gradients: each task-specific parameter gets Σₜ of its task gradients; the shared parameters get D
    /// (or, for the representation, D pushed back through the shared part by one backward pass).
    /// </summary>
    public void Apply(ReadOnlySpan<double> direction)
    {
        var pairs = new List<(MtlTensor<T>, MtlTensor<T>)>();
        for (int k = 0; k < _taskParameters.Count; k++)
            if (_taskGradients[k] is { } g) pairs.Add((_taskParameters[k], g));
        var split = TaskJacobian.Split(_targets, direction);
        if (!_representation)
        {
            for (int k = 0; k < _targets.Count; k++) pairs.Add((_targets[k], split[k]));
            TaskJacobian.AddToGradients(pairs);
            return;
        }
        TaskJacobian.AddToGradients(pairs);
        if (_step.RepresentationBackward is { } remote)
        {
            // A data-parallel step: the representation lives on the slices, which push D through their encoders (round 2).
            TaskJacobian.AddToGradients(remote(_targets, split));
            return;
        }
        // Through the shared part once: ∂/∂θ_shared of Σₖ ⟨Rₖ, Dₖ⟩ is the chain rule with D as the representation's
        // upstream gradient. Only the shared parameters take it; the task parameters already hold their own gradients.
        var shared = _step.Model.SharedParameters().Select(p => p.Value).ToList();
        MtlTensor<T>? surrogate = null;
        for (int k = 0; k < _targets.Count; k++)
        {
            if (!_targets[k].RequiresGrad) continue;
            var term = (_targets[k] * split[k]).Sum();
            surrogate = surrogate is null ? term : surrogate + term;
        }
        if (surrogate is null) return;
        var sharedGradients = Grad.Of(surrogate, shared);
        var sharedPairs = new List<(MtlTensor<T>, MtlTensor<T>)>();
        for (int k = 0; k < shared.Count; k++)
            if (sharedGradients[k] is { } g) sharedPairs.Add((shared[k], g));
        TaskJacobian.AddToGradients(sharedPairs);
    }
}
