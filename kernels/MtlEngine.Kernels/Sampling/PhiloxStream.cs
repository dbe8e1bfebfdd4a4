using System.Numerics;

namespace MtlEngine.Kernels.Sampling;

/// <summary>
/// The span-level counter-based draw: one <see cref="Philox4x32"/> stream whose key is the 64-bit seed and whose counter
/// is (block index, stream number), and the one driver that fills a buffer from a run of its blocks. Its one reason to
/// exist below the tensors: linear algebra (the randomized SVD's Gaussian test matrix) draws from it too, and the
/// tensor-level API (<c>MtlEngine.Tensors.Random.TensorRandom</c>) is a position and a tensor around it.
/// </summary>
/// <remarks>
/// Value i of a draw that starts at block b is made from block b + i / PerBlock of the stream and nothing else, so the
/// values do not depend on the thread count or on which thread writes them.
/// </remarks>
public readonly struct PhiloxStream
{
    private readonly uint _key0, _key1;
    private readonly uint _stream0, _stream1;

    /// <summary>Creates a stream.</summary>
    /// <param name="seed">The seed (the Philox key).</param>
    /// <param name="stream">An independent stream number under the same seed.</param>
    public PhiloxStream(ulong seed, ulong stream = 0)
    {
        _key0 = (uint)seed; _key1 = (uint)(seed >> 32);
        _stream0 = (uint)stream; _stream1 = (uint)(stream >> 32);
    }

    /// <summary>Philox block <paramref name="index"/> of this stream.</summary>
    public PhiloxBlock Block(ulong index) =>
        Philox4x32.Generate(new PhiloxBlock((uint)index, (uint)(index >> 32), _stream0, _stream1), _key0, _key1);

    /// <summary>Fills the whole of <paramref name="destination"/>: <see cref="Fill{T, TDraw}(ulong, Memory{T}, TDraw, Parallelism?)"/>.</summary>
    public long Fill<T, TDraw>(ulong firstBlock, T[] destination, TDraw draw, Parallelism? parallelism = null)
        where TDraw : struct, IBlockDraw<T>
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Fill(firstBlock, destination.AsMemory(), draw, parallelism);
    }

    /// <summary>
    /// The driver: fills <paramref name="destination"/> with values of <paramref name="draw"/>, value e from block
    /// <paramref name="firstBlock"/> + e / PerBlock, and returns the number of blocks used (the caller's next first block
    /// is <paramref name="firstBlock"/> plus that). From <see cref="ParallelThresholds.RandomDrawElements"/> values on,
    /// the blocks are split into fixed ranges over the threads of <paramref name="parallelism"/> (null: all cores); each
    /// range writes its own values.
    /// </summary>
    public long Fill<T, TDraw>(ulong firstBlock, Memory<T> destination, TDraw draw, Parallelism? parallelism = null)
        where TDraw : struct, IBlockDraw<T>
    {
        int n = destination.Length;
        long blocks = ((long)n + draw.PerBlock - 1) / draw.PerBlock;
        int parts = (int)Math.Min((parallelism ?? Parallelism.Default).Degree, blocks);
        if (n < ParallelThresholds.RandomDrawElements || parts < 2)
        {
            WriteBlocks(draw, destination.Span, firstBlock, 0, blocks);
            return blocks;
        }
        FillParallel(firstBlock, destination, draw, blocks, parts);
        return blocks;
    }

    /// <summary>Blocks [0, <paramref name="blocks"/>) in <paramref name="parts"/> fixed ranges, one a thread (apart, so that a
    /// sequential fill allocates no closure).</summary>
    private void FillParallel<T, TDraw>(ulong firstBlock, Memory<T> destination, TDraw draw, long blocks, int parts)
        where TDraw : struct, IBlockDraw<T>
    {
        var self = this;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            part => self.WriteBlocks(draw, destination.Span, firstBlock, blocks * part / parts, blocks * (part + 1) / parts));
    }

    /// <summary>Writes the values of blocks [begin, end) of a draw that starts at block <paramref name="first"/>.</summary>
    private void WriteBlocks<T, TDraw>(TDraw draw, Span<T> data, ulong first, long begin, long end) where TDraw : struct, IBlockDraw<T>
    {
        int per = draw.PerBlock, n = data.Length;
        for (long b = begin; b < end; b++)
        {
            int at = (int)(b * per);
            draw.Write(Block(first + (ulong)b), data.Slice(at, Math.Min(per, n - at)));
        }
    }
}

/// <summary>Turns one Philox block into up to <see cref="PerBlock"/> values: one distribution of <see cref="PhiloxStream.Fill{T, TDraw}(ulong, Memory{T}, TDraw, Parallelism?)"/>.</summary>
/// <typeparam name="T">The value type.</typeparam>
public interface IBlockDraw<T>
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

/// <summary>
/// Values uniform in [low, high): low + (high − low)·u with u = (w >> (64 − p))·2⁻ᵖ for a 64-bit word w (p = 24 for float,
/// 53 for double), two values a block. A value that rounds up to high is replaced by the largest value below it.
/// </summary>
/// <typeparam name="T">The floating-point type.</typeparam>
public readonly struct UniformDraw<T> : IBlockDraw<T> where T : IFloatingPointIeee754<T>
{
    // u = (w >> (64 − p)) · 2⁻ᵖ, with p = T's significand precision, is exact in T.
    private readonly int _shift = 64 - UnitInterval.SignificandBits<T>();
    private readonly T _scale = T.CreateChecked(Math.ScaleB(1.0, -UnitInterval.SignificandBits<T>()));
    private readonly T _low, _high, _width;

    /// <summary>The draw on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <exception cref="ArgumentException">When the bounds are not finite or <paramref name="low"/> ≥ <paramref name="high"/>.</exception>
    public UniformDraw(T low, T high)
    {
        if (!T.IsFinite(low) || !T.IsFinite(high) || !(low < high))
            throw new ArgumentException($"Uniform needs finite bounds with low < high, but got low = {low}, high = {high}.");
        _low = low;
        _high = high;
        _width = high - low;
    }

    /// <inheritdoc/>
    public int PerBlock => 2;

    /// <inheritdoc/>
    public void Write(PhiloxBlock block, Span<T> destination)
    {
        destination[0] = Scale(block.Low64);
        if (destination.Length > 1) destination[1] = Scale(block.High64);
    }

    private T Scale(ulong word)
    {
        T u = T.CreateTruncating(word >> _shift) * _scale;
        T value = _low + _width * u;
        return value < _high ? value : T.BitDecrement(_high);
    }
}

/// <summary>
/// Values from N(mean, std²) by the Box–Muller transform: with u₁ ∈ (0, 1] and u₂ ∈ [0, 1) from one block's two 64-bit
/// words (top 53 bits), r = √(−2 ln u₁) and the two values mean + std·r·cos(2πu₂), mean + std·r·sin(2πu₂), computed in double.
/// </summary>
/// <typeparam name="T">The floating-point type.</typeparam>
public readonly struct NormalDraw<T> : IBlockDraw<T> where T : IFloatingPointIeee754<T>
{
    private const double TwoToMinus53 = 1.0 / 9007199254740992.0;
    private readonly double _mean, _std;

    /// <summary>The draw of N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    /// <exception cref="ArgumentException">When <paramref name="std"/> is negative or a parameter is not finite.</exception>
    public NormalDraw(T mean, T std)
    {
        if (!T.IsFinite(mean) || !T.IsFinite(std) || std < T.Zero)
            throw new ArgumentException($"Normal needs a finite mean and a finite std ≥ 0, but got mean = {mean}, std = {std}.");
        _mean = double.CreateChecked(mean);
        _std = double.CreateChecked(std);
    }

    /// <inheritdoc/>
    public int PerBlock => 2;

    /// <inheritdoc/>
    public void Write(PhiloxBlock block, Span<T> destination)
    {
        // u1 ∈ (0, 1] so that ln u1 is finite; u2 ∈ [0, 1).
        double u1 = ((block.Low64 >> 11) + 1) * TwoToMinus53;
        double u2 = (block.High64 >> 11) * TwoToMinus53;
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
        destination[0] = T.CreateTruncating(_mean + _std * r * cos);
        if (destination.Length > 1) destination[1] = T.CreateTruncating(_mean + _std * r * sin);
    }
}

/// <summary>Ones with probability p and zeros otherwise: value i is 1 when its 32-bit word w satisfies w·2⁻³² &lt; p, four values a block.</summary>
/// <typeparam name="T">The number type.</typeparam>
public readonly struct BernoulliDraw<T> : IBlockDraw<T> where T : INumber<T>
{
    private readonly double _p;

    /// <summary>The draw with probability <paramref name="p"/> of a one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="p"/> is outside [0, 1].</exception>
    public BernoulliDraw(double p)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "A Bernoulli probability must be in [0, 1].");
        _p = p;
    }

    /// <inheritdoc/>
    public int PerBlock => 4;

    /// <inheritdoc/>
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

    private T Bit(uint word) => word * (1.0 / 4294967296.0) < _p ? T.One : T.Zero;
}

/// <summary>
/// Integers uniform in [low, high): low + ⌊w·(high − low)/2⁶⁴⌋ for a 64-bit word w (Lemire's multiply-shift; its bias is
/// below (high − low)/2⁶⁴), two values a block.
/// </summary>
/// <typeparam name="T">The integer type.</typeparam>
public readonly struct IntegerDraw<T> : IBlockDraw<T> where T : IBinaryInteger<T>
{
    private readonly long _low;
    private readonly ulong _range;

    /// <summary>The draw on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <exception cref="ArgumentException">When <paramref name="low"/> ≥ <paramref name="high"/>.</exception>
    public IntegerDraw(T low, T high)
    {
        if (!(low < high))
            throw new ArgumentException($"Integers needs low < high, but got low = {low}, high = {high}.");
        _low = long.CreateChecked(low);
        _range = (ulong)(long.CreateChecked(high) - long.CreateChecked(low));
    }

    /// <inheritdoc/>
    public int PerBlock => 2;

    /// <inheritdoc/>
    public void Write(PhiloxBlock block, Span<T> destination)
    {
        destination[0] = T.CreateTruncating(_low + (long)Math.BigMul(block.Low64, _range, out _));
        if (destination.Length > 1) destination[1] = T.CreateTruncating(_low + (long)Math.BigMul(block.High64, _range, out _));
    }
}
