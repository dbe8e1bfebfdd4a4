using System.Buffers.Binary;
using System.IO.Compression;
using MtlEngine.Data;
using MtlEngine.Tensors;

namespace MtlEngine.Datasets;

/// <summary>Which part of Fashion-MNIST: the training part or the test part ("t10k").</summary>
public enum FashionMnistPart
{
    /// <summary>The training part (60,000 items published; 12,000 shipped).</summary>
    Train,

    /// <summary>The test part (10,000 items published; 2,000 shipped).</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, Zalando Research, MIT licence): grey 28×28 pictures of clothing, one of
/// 10 classes each. This assembly ships the first 12,000 items of the training part and the first 2,000 of the test part,
/// byte for byte as published (<see cref="LoadShipped"/>); <see cref="ReadFiles"/> reads the full published files from disk.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>The pixel rows and columns of every picture.</summary>
    public const int Side = 28;

    /// <summary>The class names, indexed by label: 0 T-shirt/top, 1 Trouser, ... 9 Ankle boot.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private FashionMnist(MtlTensor<byte> images, LabelSet labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>The pictures, bytes 0 (background) .. 255 of shape (n_items, 28, 28): row, then column.</summary>
    public MtlTensor<byte> Images { get; }

    /// <summary>The task "item": the class of each picture (10 classes, <see cref="ClassNames"/>).</summary>
    public LabelSet Labels { get; }

    /// <summary>The number of items.</summary>
    public int Count => Labels.Count;

    /// <summary>The first <paramref name="count"/> items (all of them when <paramref name="count"/> is at least <see cref="Count"/>).</summary>
    /// <param name="count">How many items to keep, from the first.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="count"/> is negative.</exception>
    public FashionMnist Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= Count) return this;
        const int area = Side * Side;
        return new FashionMnist(MtlTensor.FromArray(Images.CpuStorage.Data.AsSpan(0, count * area).ToArray(), count, Side, Side),
            new LabelSet(Labels.Task, Labels.Labels.Take(count).ToArray(), ClassNames));
    }

    /// <summary>The shipped part: 12,000 training or 2,000 test items, the first ones of the published files.</summary>
    public static FashionMnist LoadShipped(FashionMnistPart part)
    {
        string prefix = part == FashionMnistPart.Train ? "fashion-train" : "fashion-t10k";
        string imagesName = prefix + "-images-idx3-ubyte.gz", labelsName = prefix + "-labels-idx1-ubyte.gz";
        try
        {
            return FromIdx(EmbeddedData.ReadAllBytes(imagesName), imagesName, EmbeddedData.ReadAllBytes(labelsName), labelsName);
        }
        catch (DataFormatException e)
        {
            throw EmbeddedData.Bad(e.FileName, 1, e.Problem);
        }
    }

    /// <summary>
    /// Reads a pair of published files (<c>train-images-idx3-ubyte.gz</c> and <c>train-labels-idx1-ubyte.gz</c>, or their
    /// t10k twins), gzip-compressed (detected by the gzip magic bytes) or not.
    /// </summary>
    /// <param name="imagesPath">The IDX file of the pictures: unsigned bytes of shape (n, 28, 28).</param>
    /// <param name="labelsPath">The IDX file of the labels: unsigned bytes of shape (n,), each 0..9.</param>
    /// <exception cref="DataFormatException">When a file is not such an IDX file, or the two counts differ.</exception>
    public static FashionMnist ReadFiles(string imagesPath, string labelsPath)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        return FromIdx(File.ReadAllBytes(imagesPath), Path.GetFileName(imagesPath), File.ReadAllBytes(labelsPath), Path.GetFileName(labelsPath));
    }

    /// <summary>Builds the data set from the bytes of an images file and a labels file (gzip-compressed or not).</summary>
    /// <param name="images">The IDX pictures: unsigned bytes of shape (n, 28, 28).</param>
    /// <param name="imagesName">The name used in error messages.</param>
    /// <param name="labels">The IDX labels: unsigned bytes of shape (n,), each 0..9.</param>
    /// <param name="labelsName">The name used in error messages.</param>
    /// <exception cref="DataFormatException">When a file is not such an IDX file, or the two counts differ.</exception>
    public static FashionMnist FromIdx(byte[] images, string imagesName, byte[] labels, string labelsName)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        var pictures = IdxFile.ReadBytes(images, imagesName);
        var classes = IdxFile.ReadBytes(labels, labelsName);
        if (pictures.Shape.Length != 3 || pictures.Shape[1] != Side || pictures.Shape[2] != Side)
            throw new DataFormatException(imagesName, $"holds an array of shape ({string.Join(", ", pictures.Shape)}); Fashion-MNIST pictures are (n, 28, 28)");
        if (classes.Shape.Length != 1)
            throw new DataFormatException(labelsName, $"holds an array of shape ({string.Join(", ", classes.Shape)}); Fashion-MNIST labels are (n,)");
        if (classes.Shape[0] != pictures.Shape[0])
            throw new DataFormatException(labelsName, $"holds {classes.Shape[0]} labels for the {pictures.Shape[0]} pictures of {imagesName}; give the labels file of the same part");
        var label = new int[classes.Data.Length];
        for (int i = 0; i < label.Length; i++)
        {
            label[i] = classes.Data[i];
            if (label[i] >= ClassNames.Count)
                throw new DataFormatException(labelsName, $"label {label[i]} of item {i} is not a class (0..9)");
        }
        return new FashionMnist(MtlTensor.FromArray(pictures.Data, pictures.Shape), new LabelSet("item", label, ClassNames));
    }
}

/// <summary>
/// The IDX format of the MNIST files (LeCun et al.): a big-endian header — two zero bytes, the element type (0x08 for
/// unsigned bytes), the number of dimensions d — then d big-endian 32-bit sizes, then the elements in row-major order.
/// Only unsigned bytes are read (what MNIST and Fashion-MNIST use). Every file is treated as untrusted: the header, the
/// sizes and the length are checked before anything is allocated from them.
/// </summary>
public static class IdxFile
{
    /// <summary>The element type code of unsigned bytes.</summary>
    private const byte UnsignedByte = 0x08;

    /// <summary>
    /// Reads an IDX file of unsigned bytes, gzip-compressed or not (the gzip magic bytes 1F 8B decide).
    /// </summary>
    /// <param name="file">The file's bytes.</param>
    /// <param name="name">The file name, for error messages.</param>
    /// <returns>The sizes of each dimension and the elements, row-major.</returns>
    /// <exception cref="DataFormatException">When the bytes are not an IDX file of unsigned bytes with as many elements as its sizes say.</exception>
    public static (int[] Shape, byte[] Data) ReadBytes(byte[] file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(name);
        if (file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B) file = Decompress(file, name);
        if (file.Length < 4 || file[0] != 0 || file[1] != 0)
            throw new DataFormatException(name, "is not an IDX file: it does not start with two zero bytes (a gzip file must start with 1F 8B)");
        if (file[2] != UnsignedByte)
            throw new DataFormatException(name, $"holds elements of IDX type 0x{file[2]:X2}; only unsigned bytes (0x08) are read");
        int rank = file[3];
        if (rank == 0 || file.Length < 4 + 4 * rank)
            throw new DataFormatException(name, $"has a header of {rank} dimensions in a file of {file.Length} bytes; it is truncated or not an IDX file");
        var shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(4 + 4 * d));
            if (size > int.MaxValue) throw new DataFormatException(name, $"dimension {d} has size {size}, more than any array can hold");
            shape[d] = (int)size;
            count *= size;
            if (count > Array.MaxLength) throw new DataFormatException(name, $"its sizes ({string.Join(", ", shape[..(d + 1)])}, ...) give more elements than an array can hold");
        }
        long start = 4 + 4 * rank;
        if (file.Length - start != count)
            throw new DataFormatException(name, $"has {file.Length - start} bytes of data where its header ({string.Join(" × ", shape)}) says {count}; the file is truncated or damaged");
        return (shape, file.AsSpan((int)start).ToArray());
    }

    /// <summary>The most bytes a compressed file may expand to (1 GiB; the published training images are 47 MB).</summary>
    private const int MaxDecompressedBytes = 1 << 30;

    private static byte[] Decompress(byte[] file, string name)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int read;
            while ((read = gzip.Read(chunk)) > 0)
            {
                if (buffer.Length + read > MaxDecompressedBytes)
                    throw new DataFormatException(name, $"expands to more than {MaxDecompressedBytes} bytes; an IDX file of that size is not read");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(name, $"starts like a gzip file but does not decompress ({e.Message})", e);
        }
    }
}
