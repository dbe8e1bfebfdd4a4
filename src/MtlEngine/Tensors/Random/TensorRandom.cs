using System.Numerics;
using MtlEngine.Kernels;

namespace MtlEngine.Tensors.Random;

/// <summary>
/// A seeded source of random tensors built on <see cref="Philox4x32"/>. The key is the 64-bit seed; the
/// counter is (block index, stream). Every draw uses a fresh range of blocks starting at <see cref="Position"/>
/// and advances it, so consecutive calls give new numbers. Element i of a draw depends only on
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
    public const int ParallelThreshold = ParallelThresholds.RandomDrawElements;

    private readonly uint _key0, _key1;
    private readonly uint _stream0, _stream1;

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">The seed (the Philox key).</param>
    /// <param name="stream">An independent stream number under the same seed (e.g. one per worker).</param>
    /// <param name="parallelism">Threads large draws may use (default: one per processor); results do not depend on it.</param>
    public TensorRandom(ulong seed, ulong stream = 0, Parallelism? parallelism = null)
    {
        Seed = seed;
        Stream = stream;
        _key0 = (uint)seed; _key1 = (uint)(seed >> 32);
        _stream0 = (uint)stream; _stream1 = (uint)(stream >> 32);
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
    public PhiloxBlock Block(ulong index) =>
        Philox4x32.Generate(new PhiloxBlock((uint)index, (uint)(index >> 32), _stream0, _stream1), _key0, _key1);

    /// <summary>Values uniform in [<paramref name="low"/>, <paramref name="high"/>): low + (high − low)·u with u = k·2⁻ᵖ
    /// (p = 24 for float, 53 for double). A value that rounds up to <paramref name="high"/> is replaced by the largest value below it.</summary>
    /// <exception cref="ArgumentException">When the bounds are not finite or <paramref name="low"/> ≥ <paramref name="high"/>.</exception>
    public MtlTensor<T> Uniform<T>(int[] shape, T low, T high) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!T.IsFinite(low) || !T.IsFinite(high) || !(low < high))
            throw new ArgumentException($"Uniform needs finite bounds with low < high, but got low = {low}, high = {high}.");
        return Draw<T, UniformDraw<T>>(shape, new UniformDraw<T>(low, high));
    }

    /// <summary>Values from the normal distribution N(<paramref name="mean"/>, <paramref name="std"/>²) by the
    /// Box–Muller transform: with u₁ ∈ (0, 1] and u₂ ∈ [0, 1) from one block, r = √(−2 ln u₁), and the two
    /// values r·cos(2πu₂), r·sin(2πu₂) (computed in double).</summary>
    /// <exception cref="ArgumentException">When <paramref name="std"/> is negative or a parameter is not finite.</exception>
    public MtlTensor<T> Normal<T>(int[] shape, T mean, T std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!T.IsFinite(mean) || !T.IsFinite(std) || std < T.Zero)
            throw new ArgumentException($"Normal needs a finite mean and a finite std ≥ 0, but got mean = {mean}, std = {std}.");
        return Draw<T, NormalDraw<T>>(shape, new NormalDraw<T>(double.CreateChecked(mean), double.CreateChecked(std)));
    }

    /// <summary>Ones with probability <paramref name="p"/> and zeros otherwise (a dropout keep-mask with p = keep probability).
    /// Element i is 1 when its 32-bit word w satisfies w·2⁻³² &lt; p.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="p"/> is outside [0, 1].</exception>
    public MtlTensor<T> Bernoulli<T>(int[] shape, double p) where T : unmanaged, INumber<T>
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "A Bernoulli probability must be in [0, 1].");
        return Draw<T, BernoulliDraw<T>>(shape, new BernoulliDraw<T>(p));
    }

    /// <summary>Integers uniform in [<paramref name="low"/>, <paramref name="high"/>): low + ⌊w·(high − low)/2⁶⁴⌋ for a
    /// 64-bit word w (Lemire's multiply-shift; its bias is below (high − low)/2⁶⁴, negligible for any tensor size).</summary>
    /// <exception cref="ArgumentException">When <paramref name="low"/> ≥ <paramref name="high"/>.</exception>
    public MtlTensor<T> Integers<T>(int[] shape, T low, T high) where T : unmanaged, IBinaryInteger<T>
    {
        if (!(low < high))
            throw new ArgumentException($"Integers needs low < high, but got low = {low}, high = {high}.");
        ulong range = (ulong)(long.CreateChecked(high) - long.CreateChecked(low));
        return Draw<T, IntegerDraw<T>>(shape, new IntegerDraw<T>(long.CreateChecked(low), range));
    }

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

    /// <summary>The driver: element e of the result is written from block Position + e / PerBlock. Blocks are
    /// split into fixed ranges over threads; each range writes its own elements.</summary>
    private MtlTensor<T> Draw<T, TDraw>(int[] shape, TDraw draw)
        where T : unmanaged, INumber<T> where TDraw : struct, IBlockDraw<T>
    {
        ArgumentNullException.ThrowIfNull(shape);
        var result = MtlTensor.Zeros<T>(shape);
        T[] data = result.CpuStorage.Data;
        int n = data.Length;
        int per = draw.PerBlock;
        long blocks = ((long)n + per - 1) / per;
        ulong first = Position;
        Position += (ulong)blocks;

        int parts = (int)Math.Min(Parallelism.Degree, blocks);
        if (n < ParallelThreshold || parts < 2)
        {
            WriteBlocks(draw, data, first, 0, blocks);
            return result;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            part => WriteBlocks(draw, data, first, blocks * part / parts, blocks * (part + 1) / parts));
        return result;
    }

    /// <summary>Writes the elements of blocks [begin, end) of a draw that starts at block <paramref name="first"/>.</summary>
    private void WriteBlocks<T, TDraw>(TDraw draw, T[] data, ulong first, long begin, long end) where TDraw : struct, IBlockDraw<T>
    {
        int per = draw.PerBlock, n = data.Length;
        for (long b = begin; b < end; b++)
        {
            int at = (int)(b * per);
            draw.Write(Block(first + (ulong)b), data.AsSpan(at, Math.Min(per, n - at)));
        }
    }
}

/// <summary>Turns one Philox block into up to <see cref="PerBlock"/> values.</summary>
internal interface IBlockDraw<T>
{
    /// <summary>Values made from one block.</summary>
    int PerBlock { get; }

    /// <summary>Writes <paramref name="destination"/>.Length (≤ PerBlock) values from <paramref name="block"/>.</summary>
    void Write(PhiloxBlock block, Span<T> destination);
}

/// <summary>Unit-interval conversions shared by the draws.</summary>
internal static class UnitInterval
{
    /// <summary>Precision of T's significand: 24 for float, 53 for double (and 11 for Half).</summary>
    public static int SignificandBits<T>() =>
        typeof(T) == typeof(float) ? 24 : typeof(T) == typeof(Half) ? 11 : 53;
}

internal readonly struct UniformDraw<T>(T low, T high) : IBlockDraw<T> where T : IFloatingPointIeee754<T>
{
    // u = (w >> (64 − p)) · 2⁻ᵖ, with p = T's significand precision, is exact in T.
    private readonly int _shift = 64 - UnitInterval.SignificandBits<T>();
    private readonly T _scale = T.CreateChecked(Math.ScaleB(1.0, -UnitInterval.SignificandBits<T>()));
    private readonly T _width = high - low;

    public int PerBlock => 2;

    public void Write(PhiloxBlock block, Span<T> destination)
    {
        destination[0] = Scale(block.Low64);
        if (destination.Length > 1) destination[1] = Scale(block.High64);
    }

    private T Scale(ulong word)
    {
        T u = T.CreateTruncating(word >> _shift) * _scale;
        T value = low + _width * u;
        return value < high ? value : T.BitDecrement(high);
    }
}

internal readonly struct NormalDraw<T>(double mean, double std) : IBlockDraw<T> where T : IFloatingPointIeee754<T>
{
    private const double TwoToMinus53 = 1.0 / 9007199254740992.0;

    public int PerBlock => 2;

    public void Write(PhiloxBlock block, Span<T> destination)
    {
        // u1 ∈ (0, 1] so that ln u1 is finite; u2 ∈ [0, 1).
        double u1 = ((block.Low64 >> 11) + 1) * TwoToMinus53;
        double u2 = (block.High64 >> 11) * TwoToMinus53;
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
        destination[0] = T.CreateTruncating(mean + std * r * cos);
        if (destination.Length > 1) destination[1] = T.CreateTruncating(mean + std * r * sin);
    }
}

internal readonly struct BernoulliDraw<T>(double p) : IBlockDraw<T> where T : INumber<T>
{
    public int PerBlock => 4;

    public void Write(PhiloxBlock block, Span<T> destination)
    {
        if (destination.Length == 4)
        {
            destination[3] = Bit(block.X3);
            destination[2] = Bit(block.X2);
            destination[1] = Bit(block.X1);
            destination[0] = Bit(block.X0);
            return;
        }
        if (destination.Length > 0) destination[0] = Bit(block.X0);
        if (destination.Length > 1) destination[1] = Bit(block.X1);
        if (destination.Length > 2) destination[2] = Bit(block.X2);
    }

    private T Bit(uint word) => word * (1.0 / 4294967296.0) < p ? T.One : T.Zero;
}

internal readonly struct IntegerDraw<T>(long low, ulong range) : IBlockDraw<T> where T : IBinaryInteger<T>
{
    public int PerBlock => 2;

    public void Write(PhiloxBlock block, Span<T> destination)
    {
        destination[0] = T.CreateTruncating(low + (long)Math.BigMul(block.Low64, range, out _));
        if (destination.Length > 1) destination[1] = T.CreateTruncating(low + (long)Math.BigMul(block.High64, range, out _));
    }
}
