using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

// ILGPU's CPU accelerator emits a task type that must see the (internal) kernel classes of this assembly.
[assembly: InternalsVisibleTo("ILGPURuntime")]

namespace MtlEngine.Kernels.Gpu;

/// <summary>Which ILGPU accelerator a <see cref="GpuContext"/> drives.</summary>
public enum GpuBackend
{
    /// <summary>An NVIDIA GPU through ILGPU's CUDA accelerator (device name <c>cuda</c>).</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator, which runs the GPU kernels on the CPU (device name <c>ilgpu-cpu</c>).</summary>
    IlgpuCpu,
}

/// <summary>
/// Owns one ILGPU <see cref="Context"/> and one accelerator, the cache of compiled kernels and the pool of
/// device buffers. Create one per device and share it: every kernel is compiled once per context (the cache
/// is keyed by the kernel method with its generic arguments), and buffers of a size seen before are reused.
/// Disposing the context frees every pooled buffer and the accelerator.
/// </summary>
public sealed class GpuContext : IDisposable
{
    /// <summary>
    /// The simulated CPU device: 16 warps of 4 threads in one multiprocessor, so that a group holds the 64
    /// threads the tiled kernels use (ILGPU's default CPU device allows only 16).
    /// </summary>
    private static CPUDevice SimulatedDevice => new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 16, numMultiprocessors: 1);

    private readonly ConcurrentDictionary<(MethodInfo Kernel, Type Loader), Delegate> _kernels = new();
    private int _compilations;
    private int _disposed;

    private GpuContext(Context context, Accelerator accelerator, GpuBackend backend, int index, int reductionGroupSize)
    {
        ReductionGroupSize = reductionGroupSize;
        Context = context;
        Accelerator = accelerator;
        Backend = backend;
        Index = index;
        Pool = new GpuBufferPool(accelerator);
    }

    /// <summary>The ILGPU context.</summary>
    public Context Context { get; }

    /// <summary>The accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Which accelerator this is.</summary>
    public GpuBackend Backend { get; }

    /// <summary>The device's index among devices of its kind.</summary>
    public int Index { get; }

    /// <summary>
    /// Threads per group of the reduction and softmax kernels: 64 (<see cref="GpuReduce.GroupSize"/>) on CUDA; 4 by
    /// default on ILGPU's CPU accelerator, which runs every thread of a group as an OS thread that waits for the others
    /// at each barrier: wide groups cost milliseconds per barrier there (measured: a 16×8 column sum took 0.6 s with
    /// groups of 64). The tree code is the same for every size.
    /// </summary>
    public int ReductionGroupSize { get; }

    /// <summary>The pool that device buffers are rented from.</summary>
    public GpuBufferPool Pool { get; }

    /// <summary>How many kernels have been compiled in this context (each kernel and set of generic arguments once).</summary>
    public int CompiledKernelCount => Volatile.Read(ref _compilations);

    /// <summary>The device name as the command line spells it (<c>cuda</c>, <c>cuda:1</c>, <c>ilgpu-cpu</c>).</summary>
    public string DeviceName => (Backend == GpuBackend.Cuda ? "cuda" : "ilgpu-cpu") + (Index == 0 ? "" : $":{Index}");

    /// <summary>ILGPU's CPU accelerator: runs the GPU kernels on the CPU (how the tests exercise them without a GPU).</summary>
    /// <param name="reductionGroupSize">Threads per group of the reduction and softmax kernels (default 4; 64 runs them as on CUDA).</param>
    public static GpuContext CreateCpu(int? reductionGroupSize = null) => Create(GpuBackend.IlgpuCpu, 0, reductionGroupSize);

    /// <summary>Creates the context and accelerator for one device.</summary>
    /// <param name="backend">CUDA or ILGPU's CPU accelerator.</param>
    /// <param name="index">The device's index among CUDA devices (0 for the first); must be 0 for <see cref="GpuBackend.IlgpuCpu"/>.</param>
    /// <exception cref="GpuDeviceUnavailableException">When there is no CUDA device with that index (no GPU, no driver).</exception>
    /// <param name="reductionGroupSize">Threads per group of the reduction and softmax kernels, a power of two from 1 to
    /// <see cref="GpuReduce.GroupSize"/> (default: 64 on CUDA, 4 on the CPU accelerator; see <see cref="ReductionGroupSize"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">When the index is negative, or not 0 for the CPU accelerator, or the group size is not a power of two up to 64.</exception>
    public static GpuContext Create(GpuBackend backend, int index = 0, int? reductionGroupSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        int groupSize = reductionGroupSize ?? (backend == GpuBackend.Cuda ? GpuReduce.GroupSize : 4);
        if (groupSize < 1 || groupSize > GpuReduce.GroupSize || (groupSize & (groupSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(reductionGroupSize), groupSize, $"The reduction group size must be a power of two from 1 to {GpuReduce.GroupSize}.");
        if (backend == GpuBackend.IlgpuCpu)
        {
            if (index != 0)
                throw new ArgumentOutOfRangeException(nameof(index), index, "There is one ilgpu-cpu device; use index 0 ('ilgpu-cpu').");
            var cpuContext = Context.Create(builder => builder.CPU(SimulatedDevice).EnableAlgorithms());
            return new GpuContext(cpuContext, cpuContext.CreateCPUAccelerator(0), backend, 0, groupSize);
        }

        Context? context = null;
        try
        {
            context = Context.Create(builder => builder.Cuda().EnableAlgorithms());
            var devices = context.GetCudaDevices();
            if (index >= devices.Count)
                throw new GpuDeviceUnavailableException(DeviceText(index),
                    devices.Count == 0 ? "no CUDA device was found (no NVIDIA GPU or no CUDA driver on this machine)" : $"only {devices.Count} CUDA device(s) were found");
            var accelerator = context.CreateCudaAccelerator(index);
            var created = new GpuContext(context, accelerator, backend, index, groupSize);
            context = null;
            return created;
        }
        catch (Exception e) when (e is not GpuDeviceUnavailableException && e is not OutOfMemoryException)
        {
            // ILGPU reports a missing driver or library in several ways (DllNotFoundException, CudaException, TypeInitializationException).
            throw new GpuDeviceUnavailableException(DeviceText(index), $"the CUDA accelerator could not be created ({e.GetType().Name}: {e.Message})", e);
        }
        finally
        {
            context?.Dispose();
        }
    }

    private static string DeviceText(int index) => index == 0 ? "cuda" : $"cuda:{index}";

    /// <summary>
    /// The compiled form of <paramref name="kernel"/>, compiled by <paramref name="load"/> on first use and cached:
    /// the key is the kernel method with its generic arguments and the delegate type of the loader.
    /// </summary>
    /// <typeparam name="TDelegate">The launcher type (what ILGPU's Load*Kernel returns).</typeparam>
    /// <param name="kernel">The kernel method group, closed over its generic arguments.</param>
    /// <param name="load">Compiles it (e.g. <c>a => a.LoadAutoGroupedStreamKernel(kernel)</c>).</param>
    /// <exception cref="GpuKernelCompilationException">When ILGPU cannot compile the kernel for this device (e.g. an
    /// operator whose scalar form can throw); the context stays usable.</exception>
    public TDelegate Kernel<TDelegate>(Delegate kernel, Func<Accelerator, TDelegate> load) where TDelegate : Delegate
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(load);
        var key = (kernel.Method, typeof(TDelegate));
        if (_kernels.TryGetValue(key, out var cached)) return (TDelegate)cached;
        lock (_kernels)
        {
            if (_kernels.TryGetValue(key, out cached)) return (TDelegate)cached;
            TDelegate compiled;
            try
            {
                compiled = load(Accelerator);
            }
            catch (InternalCompilerException e)
            {
                // A failed compilation leaves ILGPU's IR context half-built, and every later compilation in this
                // context would fail with it; clearing the context's caches recovers (compiled kernels stay loaded).
                Context.ClearCache(ClearCacheMode.Everything);
                throw new GpuKernelCompilationException(kernel.Method, DeviceName, e);
            }
            _kernels[key] = compiled;
            Interlocked.Increment(ref _compilations);
            return compiled;
        }
    }

    /// <summary>The most distinct layouts <see cref="Layout"/> keeps in device memory.</summary>
    public const int LayoutCacheCapacity = 4096;

    /// <summary>The most distinct values <see cref="Constant{T}"/> keeps in device memory (later ones are uploaded per use).</summary>
    public const int ConstantCacheCapacity = 256;

    private readonly Dictionary<int[], MemoryBuffer1D<int, Stride1D.Dense>> _layouts = new(LayoutComparer.Instance);

    /// <summary>How many distinct layouts are cached in device memory (see <see cref="Layout"/>).</summary>
    public int CachedLayoutCount
    {
        get { lock (_layouts) return _layouts.Count; }
    }

    /// <summary>
    /// A small int array (the shape, strides and offsets a strided kernel reads) in device memory. A layout seen before
    /// is served from this context's cache, so a loop that repeats its shapes copies nothing to the device for them after
    /// its first step (a copy from the host would also wait for the queued kernels on CUDA). Past
    /// <see cref="LayoutCacheCapacity"/> distinct layouts, each is uploaded into a pooled buffer that the lease returns.
    /// </summary>
    public GpuLease<int> Layout(int[] layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        lock (_layouts)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (_layouts.TryGetValue(layout, out var cached)) return new GpuLease<int>(cached.View, null);
            if (_layouts.Count < LayoutCacheCapacity)
            {
                var buffer = Accelerator.Allocate1D<int>(layout.Length);
                buffer.View.CopyFromCPU(layout);
                _layouts[(int[])layout.Clone()] = buffer;
                return new GpuLease<int>(buffer.View, null);
            }
        }
        var rented = Pool.Rent<int>(layout.Length);
        rented.CopyFromHost(layout);
        return new GpuLease<int>(rented.View, rented);
    }

    private readonly Dictionary<object, MemoryBuffer> _constants = [];

    /// <summary>
    /// <paramref name="value"/> as a one-element array in device memory (a scalar operand broadcast by a strided kernel),
    /// cached per value like <see cref="Layout"/> (up to <see cref="ConstantCacheCapacity"/> values): the constants of a
    /// training step (0, 1, 1/N, ...) are uploaded once.
    /// </summary>
    public GpuLease<T> Constant<T>(T value) where T : unmanaged
    {
        lock (_layouts)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (_constants.TryGetValue(value, out var cached)) return new GpuLease<T>(((MemoryBuffer1D<T, Stride1D.Dense>)cached).View, null);
            if (_constants.Count < ConstantCacheCapacity)
            {
                var buffer = Accelerator.Allocate1D<T>(1);
                buffer.View.CopyFromCPU([value]);
                _constants[value] = buffer;
                return new GpuLease<T>(buffer.View, null);
            }
        }
        var rented = Pool.Rent<T>(1);
        rented.CopyFromHost([value]);
        return new GpuLease<T>(rented.View, rented);
    }

    private sealed class LayoutComparer : IEqualityComparer<int[]>
    {
        public static readonly LayoutComparer Instance = new();
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(int[] values)
        {
            var hash = new HashCode();
            foreach (int v in values) hash.Add(v);
            return hash.ToHashCode();
        }
    }

    /// <summary>Waits until every kernel launched so far has finished.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Frees every pooled buffer, the compiled kernels, the accelerator and the ILGPU context. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_layouts)
        {
            foreach (var buffer in _layouts.Values) buffer.Dispose();
            foreach (var buffer in _constants.Values) buffer.Dispose();
            _layouts.Clear();
            _constants.Clear();
        }
        Pool.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// A small array in device memory from <see cref="GpuContext.Layout"/> or <see cref="GpuContext.Constant{T}"/>: a cached
/// one (nothing to give back) or a pooled one that <see cref="Dispose"/> returns. Use it with <c>using</c>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct GpuLease<T> : IDisposable where T : unmanaged
{
    private readonly GpuBuffer<T>? _rented;

    internal GpuLease(ArrayView<T> view, GpuBuffer<T>? rented)
    {
        View = view;
        _rented = rented;
    }

    /// <summary>The array as a view for kernels.</summary>
    public ArrayView<T> View { get; }

    /// <summary>Returns a pooled layout buffer (a cached one stays).</summary>
    public void Dispose() => _rented?.Dispose();
}
