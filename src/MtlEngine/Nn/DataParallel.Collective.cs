using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// The collective operation of the slices of one data-parallel step (MPI's and NCCL's all-gather): every slice calls
/// <see cref="AllGather"/> with its own vector, the same number of times and in the same order, and every call returns
/// all the slices' vectors in slice order, the same on every slice. Modules whose forward needs the whole batch
/// (<see cref="ISynchronizedModule"/>: synchronized batch normalization) exchange their statistics through it inside a
/// step, forward and backward; the in-process slices (<see cref="InProcessCollective"/>) and the cluster's slices share this one seam.
/// </summary>
public interface ISliceCollective
{
    /// <summary>This slice's index among the participants, 0 ≤ <see cref="Slice"/> &lt; <see cref="Slices"/>.</summary>
    int Slice { get; }

    /// <summary>K, the slices taking part (the step's non-empty slices).</summary>
    int Slices { get; }

    /// <summary>
    /// Sends <paramref name="local"/> to every slice and returns every slice's vector, in slice order (row s is slice s's; this
    /// slice's own included). Blocks until every slice has called it; every slice must call it the same number of times.
    /// </summary>
    /// <exception cref="TimeoutException">When a slice does not take part in time (a model whose slices run different collectives).</exception>
    double[][] AllGather(double[] local);
}

/// <summary>
/// A module whose training forward needs statistics of the whole batch and takes them from the step's other slices through a
/// <see cref="ISliceCollective"/> (PyTorch's SyncBatchNorm). Data-parallel training sets <see cref="Collective"/> for the
/// forward of a slice; null (the default, and every local step) computes on the forward's own rows.
/// </summary>
public interface ISynchronizedModule
{
    /// <summary>The step's collective during a data-parallel slice's forward, else null.</summary>
    ISliceCollective? Collective { get; set; }

    /// <summary>
    /// Whether this module, as configured, needs the collective (true unless the module says otherwise): an input encoder
    /// synchronizes only with the running-mean fill of a missing input. A model whose synchronized modules all say false
    /// runs its slices unsynchronized, and their buffers are not shipped.
    /// </summary>
    bool NeedsCollective => true;
}

/// <summary>
/// The collective of K slices that run on K threads of this process (<see cref="SlicedStepGradients{T}"/>): each
/// <see cref="ISliceCollective.AllGather"/> is two barrier phases — every slice writes its vector, then every slice copies all of them before
/// any may write again. A slice that fails cancels the others' waits (<see cref="Abandon"/>), and a wait longer than the
/// timeout throws, so a model whose slices disagree on their collectives fails instead of hanging.
/// </summary>
public sealed class InProcessCollective : IDisposable
{
    private readonly Barrier _barrier;
    private readonly double[][] _slots;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _abandoned = new();

    /// <summary>Creates the collective of <paramref name="slices"/> participants.</summary>
    /// <param name="slices">K, the participants.</param>
    /// <param name="timeout">The longest wait for the other slices; null: one minute.</param>
    public InProcessCollective(int slices, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        _barrier = new Barrier(slices);
        _slots = new double[slices][];
        _timeout = timeout ?? TimeSpan.FromMinutes(1);
    }

    /// <summary>K, the participants.</summary>
    public int Slices => _slots.Length;

    /// <summary>The view of participant <paramref name="slice"/>, to pass to its slice's work.</summary>
    public ISliceCollective For(int slice)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slice);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slice, Slices);
        return new Participant(this, slice);
    }

    /// <summary>Releases every slice waiting now or later (they throw <see cref="OperationCanceledException"/>): one slice failed.</summary>
    public void Abandon() => _abandoned.Cancel();

    /// <inheritdoc />
    public void Dispose()
    {
        _barrier.Dispose();
        _abandoned.Dispose();
    }

    private double[][] Exchange(int slice, double[] local)
    {
        ArgumentNullException.ThrowIfNull(local);
        _slots[slice] = local;
        Wait();
        var all = new double[_slots.Length][];
        for (int s = 0; s < all.Length; s++) all[s] = (double[])_slots[s].Clone();
        Wait(); // nobody writes the next round's vector before everyone has copied this round's
        return all;
    }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(_timeout, _abandoned.Token))
            throw new TimeoutException($"A data-parallel slice waited {_timeout.TotalSeconds:0} s for the other {Slices - 1} slices' statistics; every slice must run the same synchronized layers in the same order (a layer used on some slices only cannot be synchronized).");
    }

    private sealed class Participant(InProcessCollective owner, int slice) : ISliceCollective
    {
        public int Slice => slice;
        public int Slices => owner.Slices;
        public double[][] AllGather(double[] local) => owner.Exchange(slice, local);
    }
}

public static partial class DataParallel
{
    /// <summary>
    /// The all-gather of a data-parallel step as a differentiable operation: every slice's <paramref name="local"/> (all of
    /// one shape S), stacked in slice order into shape (K, S...), the same on every slice: <see cref="AllGatherRows{T}"/> of
    /// the (1, S...) views. Every slice must call it (and run its backward) the same number of times in the same order.
    /// </summary>
    /// <param name="local">This slice's values.</param>
    /// <param name="collective">The step's collective.</param>
    /// <exception cref="ArgumentException">When a slice's tensor has another shape than this slice's.</exception>
    public static MtlTensor<T> AllGather<T>(MtlTensor<T> local, ISliceCollective collective) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(collective);
        int[] shape = local.Shape.ToArray();
        var rows = AllGatherRows(local.Reshape([1, .. shape]), collective);
        if (rows.Dim(0) != collective.Slices)
            throw new ArgumentException($"The slices sent {rows.Dim(0)} rows of shape {MtlTensor<T>.ShapeText(shape)} to an all-gather of one row each; every slice must build the same model.");
        return rows;
    }

    /// <summary>
    /// Every slice's rows, concatenated in slice order: slice s sends (nₛ, S...) and every slice gets (Σ nₛ, S...), the same on
    /// every slice (a slice may send none). As a differentiable operation its gradient is the sum over the slices of each
    /// slice's gradient of this slice's rows (the reduce-scatter; see <see cref="GradientRules.AllGatherRows{T}"/>), so the
    /// slices' backward passes together give the gradient of the sum of the slices' losses. Every slice must call it (and
    /// run its backward) the same number of times in the same order.
    /// </summary>
    /// <param name="local">This slice's rows, of rank ≥ 1.</param>
    /// <param name="collective">The step's collective.</param>
    /// <exception cref="ArgumentException">When the tensor is 0-d, or a slice's rows have another shape than this slice's.</exception>
    public static MtlTensor<T> AllGatherRows<T>(MtlTensor<T> local, ISliceCollective collective) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(collective);
        if (local.Rank == 0) throw new ArgumentException("An all-gather of rows needs a tensor of rank ≥ 1, but got a scalar.");
        int[] shape = local.Shape.ToArray();
        int width = shape.Skip(1).Aggregate(1, (a, b) => a * b);
        var all = collective.AllGather(ToDouble(local));
        int total = 0, offset = 0;
        for (int s = 0; s < all.Length; s++)
        {
            if (width == 0 ? all[s].Length != 0 : all[s].Length % width != 0)
                throw new ArgumentException($"Slice {s} sent {all[s].Length} values to the all-gather, not rows of {MtlTensor<T>.ShapeText(shape[1..])} as slice {collective.Slice}; every slice must build the same model.");
            if (s == collective.Slice) offset = total;
            total += width == 0 ? 0 : all[s].Length / width;
        }
        var stacked = new T[total * width];
        int at = 0;
        foreach (var part in all)
            foreach (double v in part) stacked[at++] = T.CreateChecked(v);
        var output = MtlTensor.FromArray(stacked, [total, .. shape[1..]]);
        if (local.Device.Kind != DeviceKind.Cpu) output = output.To(local.Device);
        return Graph.Record(output, GradientRules.AllGatherRows, local, saved: new GatheredRows(collective.AllGather, offset));
    }

    /// <summary>Whether the model has synchronized modules (<see cref="ISynchronizedModule"/>): its slices must run at once and share a collective.</summary>
    public static bool IsSynchronized<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.NamedModules().Any(m => m.Value is ISynchronizedModule { NeedsCollective: true });
    }

    /// <summary>
    /// The buffers of the model's synchronized modules (batch normalization's running estimates and batch count), flat, in
    /// <see cref="Module{T}.NamedModules"/> and buffer order: the coordinator sends them with each step, and takes them back
    /// from any non-empty slice after it (every slice updates them alike from the whole batch's statistics).
    /// </summary>
    public static T[] GetSynchronizedBuffers<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var buffers = SynchronizedBuffers(model);
        var flat = new T[buffers.Sum(b => b.Length)];
        int at = 0;
        foreach (var b in buffers)
        {
            b.Contiguous().To(Device.Cpu).AsSpan().CopyTo(flat.AsSpan(at, b.Length));
            at += b.Length;
        }
        return flat;
    }

    /// <summary>Overwrites the buffers of the model's synchronized modules with a vector from <see cref="GetSynchronizedBuffers{T}"/>.</summary>
    /// <exception cref="ArgumentException">When the vector's length is not the buffers'.</exception>
    public static void SetSynchronizedBuffers<T>(Module<T> model, ReadOnlySpan<T> flat) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var buffers = SynchronizedBuffers(model);
        int length = buffers.Sum(b => b.Length);
        if (flat.Length != length)
            throw new ArgumentException($"The vector of synchronized buffers has {flat.Length} values but the model's batch normalization layers have {length}; both sides must build the model from the same spec.");
        int at = 0;
        foreach (var b in buffers)
        {
            MtlTensor.FromArray(flat.Slice(at, b.Length).ToArray(), b.Shape.ToArray()).To(b.Device).CopyTo(b);
            at += b.Length;
        }
    }

    /// <summary>The buffers of the model's synchronized modules, in module and buffer order.</summary>
    private static List<MtlTensor<T>> SynchronizedBuffers<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var buffers = new List<MtlTensor<T>>();
        foreach (var (_, module) in model.NamedModules())
            if (module is ISynchronizedModule { NeedsCollective: true })
                foreach (var (name, buffer) in module.NamedBuffers())
                    if (!name.Contains('.')) buffers.Add(buffer); // its own, not a child's (a child is visited on its own)
        return buffers;
    }

    /// <summary>A tensor's values, row-major, in double.</summary>
    internal static double[] ToDouble<T>(MtlTensor<T> tensor) where T : unmanaged, INumber<T>
    {
        var values = tensor.Contiguous().To(Device.Cpu).AsSpan();
        var result = new double[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = double.CreateChecked(values[i]);
        return result;
    }
}
