using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Datasets;

/// <summary>
/// Multi-Fashion (Lin, Zhen, Li, Zhang and Kwong 2019, "Pareto Multi-Task Learning"), built as Sener and Koltun (2018,
/// "Multi-Task Learning as Multi-Objective Optimization") build Multi-MNIST: two Fashion-MNIST items overlaid in one
/// 36×36 grey picture, two tasks — "left", the class of the item at the top-left, and "right", the class of the item at
/// the bottom-right.
/// <para>
/// Construction (Sener and Koltun's <c>multi_mnist_loader.py</c>): for every item i of the source (the left item) a
/// right item j is drawn uniformly from the whole source, independently for each i (so j may repeat, or equal i);
/// on a 36×36 canvas of zeros the left picture fills rows and columns 0..27 and the right one rows and columns
/// 6..33 (<see cref="RightOffset"/>), and where they overlap (6..27) the pixel is the larger of the two. Since the
/// background is 0 this is the pixel-wise maximum of the two placed pictures:
/// picture[y, x] = max(left[y, x], right[y − 6, x − 6]), a term taken as 0 outside its picture.
/// Sener and Koltun (and Lin et al.'s files) then shrink the 36×36 picture to 28×28 by nearest-neighbour resampling;
/// we keep the 36×36 picture, which loses no pixel. Some other versions shift the right item by 4 pixels; we follow the
/// 6 of the loader above.
/// </para>
/// The pairs are a function of the seed alone (Philox, <see cref="TensorRandom"/>): the same seed gives the same data
/// set on every machine.
/// </summary>
public sealed class MultiFashion
{
    /// <summary>The rows and columns of every picture.</summary>
    public const int Side = 36;

    /// <summary>How far down and right the right item is placed (pixels).</summary>
    public const int RightOffset = 6;

    private MultiFashion(MtlTensor<byte> images, int[] leftItems, int[] rightItems, LabelSet left, LabelSet right)
    {
        Images = images;
        LeftItems = leftItems;
        RightItems = rightItems;
        Left = left;
        Right = right;
    }

    /// <summary>The pictures, bytes 0..255 of shape (n, 36, 36): row, then column.</summary>
    public MtlTensor<byte> Images { get; }

    /// <summary>For each picture, the index in the source of the item at the top-left (item i for picture i).</summary>
    public IReadOnlyList<int> LeftItems { get; }

    /// <summary>For each picture, the index in the source of the item at the bottom-right.</summary>
    public IReadOnlyList<int> RightItems { get; }

    /// <summary>Task 1, "left": the class of the top-left item (10 classes, <see cref="FashionMnist.ClassNames"/>).</summary>
    public LabelSet Left { get; }

    /// <summary>Task 2, "right": the class of the bottom-right item.</summary>
    public LabelSet Right { get; }

    /// <summary>Both tasks: left, then right.</summary>
    public IReadOnlyList<LabelSet> Tasks => [Left, Right];

    /// <summary>The number of pictures (as many as the source has items).</summary>
    public int Count => Left.Count;

    /// <summary>The pictures as floats in [0, 1] (byte / 255) of shape (n, 1, 36, 36): NCHW, one channel.</summary>
    public MtlTensor<float> ImagesAsSingle()
    {
        var bytes = Images.CpuStorage.Data;
        var values = new float[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) values[i] = bytes[i] / 255f;
        return MtlTensor.FromArray(values, Count, 1, Side, Side);
    }

    /// <summary>Builds Multi-Fashion from <paramref name="source"/>: one picture per source item, paired as the class summary says.</summary>
    /// <param name="source">The Fashion-MNIST items (for example <see cref="FashionMnist.LoadShipped"/>).</param>
    /// <param name="seed">The seed of the pairing.</param>
    public static MultiFashion Build(FashionMnist source, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        return BuildItems(source, 0, source.Count, new TensorRandom(seed));
    }

    /// <summary>
    /// Training and validation pictures that share no item: the first n − <paramref name="validationCount"/> items of
    /// <paramref name="source"/> make the training pictures (each left item paired with a right item drawn from those items
    /// only), the last <paramref name="validationCount"/> the validation pictures (right items drawn from those only). A
    /// validation picture thus holds two items no training picture holds, as the published test items are unseen; pictures
    /// built by <see cref="Build(FashionMnist, ulong)"/> and split at random would share items between the two parts.
    /// <see cref="LeftItems"/> and <see cref="RightItems"/> of both parts count in <paramref name="source"/>'s numbering.
    /// With <paramref name="validationCount"/> 0 the training part is <see cref="Build(FashionMnist, ulong)"/>'s data set.
    /// </summary>
    /// <param name="source">The Fashion-MNIST items.</param>
    /// <param name="validationCount">How many of the last items are held out for the validation pictures (0..n).</param>
    /// <param name="seed">The seed of the pairing (the training part's draws as in <see cref="Build(FashionMnist, ulong)"/>; the validation part's from a stream of their own).</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="validationCount"/> is negative or above the source's count.</exception>
    public static (MultiFashion Train, MultiFashion Validation) BuildHeldOut(FashionMnist source, int validationCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(validationCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(validationCount, source.Count);
        int trainCount = source.Count - validationCount;
        return (BuildItems(source, 0, trainCount, new TensorRandom(seed)), BuildItems(source, trainCount, validationCount, new TensorRandom(seed, stream: 1)));
    }

    /// <summary>The pictures of items start..start+n−1, each right item drawn uniformly from the same items.</summary>
    private static MultiFashion BuildItems(FashionMnist source, int start, int n, TensorRandom random)
    {
        var leftItems = new int[n];
        for (int i = 0; i < n; i++) leftItems[i] = start + i;
        var rightItems = n == 0 ? [] : random.Integers([n], 0, n).ToArray().Select(j => start + j).ToArray();
        var images = new byte[n * Side * Side];
        var pixels = source.Images.CpuStorage.Data;
        const int side = FashionMnist.Side, area = side * side;
        for (int i = 0; i < n; i++)
        {
            var canvas = images.AsSpan(i * Side * Side, Side * Side);
            var left = pixels.AsSpan(leftItems[i] * area, area);
            var right = pixels.AsSpan(rightItems[i] * area, area);
            for (int y = 0; y < side; y++)
                left.Slice(y * side, side).CopyTo(canvas.Slice(y * Side, side));
            for (int y = 0; y < side; y++)
            {
                var row = canvas.Slice((y + RightOffset) * Side + RightOffset, side);
                var from = right.Slice(y * side, side);
                for (int x = 0; x < side; x++) row[x] = Math.Max(row[x], from[x]);
            }
        }
        var labels = source.Labels.Labels;
        return new MultiFashion(MtlTensor.FromArray(images, n, Side, Side), leftItems, rightItems,
            new LabelSet("left", leftItems.Select(i => labels[i]).ToArray(), FashionMnist.ClassNames),
            new LabelSet("right", rightItems.Select(i => labels[i]).ToArray(), FashionMnist.ClassNames));
    }
}
