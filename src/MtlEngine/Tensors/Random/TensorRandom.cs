using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Sampling;

namespace MtlEngine.Tensors.Random;

/// <summary>
/// A seeded source of random tensors: the tensor-level API over the kernels' span-level <see cref="PhiloxStream"/>
/// (<see cref="Philox4x32"/>; the key is the 64-bit seed, the counter is (block index, stream)). Every draw uses a fresh
/// range of blocks starting at <see cref="Position"/> and advances it, so consecutive calls give new numbers. Element i of a draw depends only on
/// (seed, stream, position, i): the results are identical on every run and for every thread count.
/// </summary>
/// <remarks>
/// Blocks per element: Uniform, Normal and Integers use 64 bits per value (two values per block);
/// Bernoulli uses 32 bits per value (four per block). Floating-point uniforms take the top 24 (float) or
/// 53 (double) bits, so every value is exactly k·2⁻ᵖ before scaling. Not for cryptography. An instance is
/// not thread-safe (draws advance <see cref="Position"/>); a large draw uses threads internally.
/// </remarks>
public sealed class TensorRandom
{
    /// <summary>Draws with fewer elements than this run on the calling thread.</summary>
    public const int ParallelThreshold = Kernels.ParallelThresholds.RandomDrawElements;

    private readonly PhiloxStream _philox;

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">The seed (the Philox key).</param>
    /// <param name="stream">An independent stream number under the same seed (e.g. one per worker).</param>
    /// <param name="parallelism">Threads large draws may use (default: one per processor); results do not depend on it.</param>
    public TensorRandom(ulong seed, ulong stream = 0, Parallelism? parallelism = null)
    {
        Seed = seed;
        Stream = stream;
        _philox = new PhiloxStream(seed, stream);
        Parallelism = parallelism ?? Parallelism.Default;
    }

    /// <summary>The seed this generator was created with.</summary>
    public ulong Seed { get; }

    /// <summary>The stream number.</summary>
    public ulong Stream { get; }

    /// <summary>The index of the next Philox block a draw will use; each draw advances it. Setting it jumps to any
    /// point of the stream in O(1) (e.g. back to 0 to replay the draws).</summary>
    public ulong Position { get; set; }

    /// <summary>Threads large draws may use.</summary>
    public Parallelism Parallelism { get; }

    /// <summary>Philox block <paramref name="index"/> of this generator's stream.</summary>
    public PhiloxBlock Block(ulong index) => _philox.Block(index);

    /// <summary>Values uniform in [<paramref name="low"/>, <paramref name="high"/>): low + (high − low)·u with u = k·2⁻ᵖ
    /// (p = 24 for float, 53 for double). A value that rounds up to <paramref name="high"/> is replaced by the largest value below it.</summary>
    /// <exception cref="ArgumentException">When the bounds are not finite or <paramref name="low"/> ≥ <paramref name="high"/>.</exception>
    public MtlTensor<T> Uniform<T>(int[] shape, T low, T high) where T : unmanaged, IFloatingPointIeee754<T> =>
        Draw<T, UniformDraw<T>>(shape, new UniformDraw<T>(low, high));

    /// <summary>Values from the normal distribution N(<paramref name="mean"/>, <paramref name="std"/>²) by the
    /// Box–Muller transform: with u₁ ∈ (0, 1] and u₂ ∈ [0, 1) from one block, r = √(−2 ln u₁), and the two
    /// values r·cos(2πu₂), r·sin(2πu₂) (computed in double).</summary>
    /// <exception cref="ArgumentException">When <paramref name="std"/> is negative or a parameter is not finite.</exception>
    public MtlTensor<T> Normal<T>(int[] shape, T mean, T std) where T : unmanaged, IFloatingPointIeee754<T> =>
        Draw<T, NormalDraw<T>>(shape, new NormalDraw<T>(mean, std));

    /// <summary>Ones with probability <paramref name="p"/> and zeros otherwise (a dropout keep-mask with p = keep probability).
    /// Element i is 1 when its 32-bit word w satisfies w·2⁻³² &lt; p.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="p"/> is outside [0, 1].</exception>
    public MtlTensor<T> Bernoulli<T>(int[] shape, double p) where T : unmanaged, INumber<T> =>
        Draw<T, BernoulliDraw<T>>(shape, new BernoulliDraw<T>(p));

    /// <summary>Integers uniform in [<paramref name="low"/>, <paramref name="high"/>): low + ⌊w·(high − low)/2⁶⁴⌋ for a
    /// 64-bit word w (Lemire's multiply-shift; its bias is below (high − low)/2⁶⁴, negligible for any tensor size).</summary>
    /// <exception cref="ArgumentException">When <paramref name="low"/> ≥ <paramref name="high"/>.</exception>
    public MtlTensor<T> Integers<T>(int[] shape, T low, T high) where T : unmanaged, IBinaryInteger<T> =>
        Draw<T, IntegerDraw<T>>(shape, new IntegerDraw<T>(low, high));

    /// <summary>A uniformly random permutation of 0 .. <paramref name="n"/> − 1 (Fisher–Yates/Durstenfeld: for
    /// i = n−1 down to 1, swap element i with element j, j uniform in [0, i], drawn from 64-bit word i of the draw).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="n"/> is negative.</exception>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var result = new int[n];
        for (int i = 0; i < n; i++) result[i] = i;
        ulong first = Position;
        Position += (ulong)(n + 1) / 2;
        for (int i = n - 1; i >= 1; i--)
        {
            PhiloxBlock block = Block(first + (ulong)(i / 2));
            ulong word = (i & 1) == 0 ? block.Low64 : block.High64;
            int j = (int)Math.BigMul(word, (ulong)(i + 1), out _);
            (result[i], result[j]) = (result[j], result[i]);
        }
        return result;
    }

    /// <summary>A copy of <paramref name="tensor"/> with its slices along axis 0 in random order (rows of a matrix);
    /// the order is <see cref="Permutation(int)"/> of the first dimension.</summary>
    /// <exception cref="ArgumentException">When the tensor is 0-d.</exception>
    public MtlTensor<T> Shuffle<T>(MtlTensor<T> tensor) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank == 0)
            throw new ArgumentException("Cannot shuffle a 0-d tensor (shape ()); it has no axis 0.", nameof(tensor));
        int[] order = Permutation(tensor.Shape[0]);
        var result = MtlTensor.Zeros<T>(tensor.Shape.ToArray());
        for (int k = 0; k < order.Length; k++)
            tensor.Select(0, order[k]).CopyTo(result.Select(0, k), Parallelism.Sequential);
        return result;
    }

    /// <summary>A fresh tensor of <paramref name="shape"/> filled by <see cref="PhiloxStream.Fill{T, TDraw}(ulong, Memory{T}, TDraw, Parallelism?)"/> from block
    /// <see cref="Position"/> on; advances <see cref="Position"/> past the blocks used.</summary>
    private MtlTensor<T> Draw<T, TDraw>(int[] shape, TDraw draw)
        where T : unmanaged, INumber<T> where TDraw : struct, IBlockDraw<T>
    {
        ArgumentNullException.ThrowIfNull(shape);
        var result = MtlTensor.Zeros<T>(shape);
        Position += (ulong)_philox.Fill(Position, result.CpuStorage.Data, draw, Parallelism);
        return result;
    }
}
