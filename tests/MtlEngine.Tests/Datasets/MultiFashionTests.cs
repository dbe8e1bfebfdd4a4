using System.Buffers.Binary;
using System.IO.Compression;
using MtlEngine.Data;
using MtlEngine.Datasets;

namespace MtlEngine.Tests.Datasets;

/// <summary>
/// Fashion-MNIST (the shipped part against values of the published files, read by NumPy), the IDX reader's typed errors,
/// and Multi-Fashion's construction: shapes, labels, the pixel-wise maximum identity against a textbook rebuild, and
/// determinism by seed.
/// </summary>
public class MultiFashionTests
{
    /// <summary>An IDX file of unsigned bytes: 0, 0, 0x08, rank, the big-endian sizes, then the bytes.</summary>
    private static byte[] Idx(int[] shape, byte[] data, byte type = 0x08)
    {
        var file = new byte[4 + 4 * shape.Length + data.Length];
        file[2] = type;
        file[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(4 + 4 * d), (uint)shape[d]);
        data.CopyTo(file, 4 + 4 * shape.Length);
        return file;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest)) gzip.Write(data);
        return buffer.ToArray();
    }

    /// <summary>A small source of <paramref name="n"/> items with closed-form pixels (sparse, so that overlaps matter) and labels i mod 10.</summary>
    private static FashionMnist Small(int n)
    {
        var pixels = new byte[n * 28 * 28];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(Math.Sin(i * 0.37) > 0.3 ? (i * 31 + 7) % 256 : 0);
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        return FashionMnist.FromIdx(Idx([n, 28, 28], pixels), "images", Idx([n], labels), "labels");
    }

    [Fact]
    public void Shipped_parts_hold_the_first_items_of_the_published_files()
    {
        var test = ShippedDatasets.LoadFashionMnist(FashionMnistPart.Test);
        Assert.Equal([2000, 28, 28], test.Images.Shape.ToArray());
        Assert.Equal(10, test.Labels.ClassCount);
        Assert.Equal("Ankle boot", test.Labels.ClassNames[9]);
        Assert.Equal([200, 203, 214, 190, 219, 195, 197, 200, 194, 188], test.Labels.CountPerClass());
        Assert.Equal([9, 2, 1, 1, 6], test.Labels.Labels[..5]);
        var pixels = test.Images.CpuStorage.Data;
        // Sums and one row as NumPy reads them from t10k-images-idx3-ubyte.gz.
        Assert.Equal(33456, pixels.AsSpan(0, 784).ToArray().Sum(b => (int)b));
        Assert.Equal(59629, pixels.AsSpan(1999 * 784, 784).ToArray().Sum(b => (int)b));
        Assert.Equal(114763281L, pixels.Sum(b => (long)b));
        Assert.Equal([0, 0, 0, 0, 0, 0, 2, 4, 1, 0, 0, 0, 98, 136, 110, 109, 110, 162, 135, 144, 149, 159, 167, 144, 158, 169, 119, 0],
            pixels.AsSpan(14 * 28, 28).ToArray());

        var train = ShippedDatasets.LoadFashionMnist(FashionMnistPart.Train);
        Assert.Equal(12000, train.Count);
        Assert.Equal([1122, 1220, 1201, 1212, 1181, 1204, 1244, 1192, 1195, 1229], train.Labels.CountPerClass());
        Assert.Equal(686484334L, train.Images.CpuStorage.Data.Sum(b => (long)b));
        Assert.Equal(4, train.Labels.Labels[11999]);
    }

    [Fact]
    public void Idx_reader_reads_plain_and_gzip_files_alike()
    {
        var source = Small(3);
        var images = Idx([3, 28, 28], source.Images.ToArray());
        var labels = Idx([3], [0, 1, 2]);
        var fromGzip = FashionMnist.FromIdx(Gzip(images), "images.gz", Gzip(labels), "labels.gz");
        Assert.Equal(source.Images.ToArray(), fromGzip.Images.ToArray());
        Assert.Equal([0, 1, 2], fromGzip.Labels.Labels);

        string folder = Path.Combine(Path.GetTempPath(), "mtl-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "i.gz"), Gzip(images));
            File.WriteAllBytes(Path.Combine(folder, "l"), labels);
            var fromFiles = FashionMnist.ReadFiles(Path.Combine(folder, "i.gz"), Path.Combine(folder, "l"));
            Assert.Equal(source.Images.ToArray(), fromFiles.Images.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static TheoryData<string, byte[], string> BadFiles() => new()
    {
        { "not idx", [1, 2, 3, 4, 5], "does not start with two zero bytes" },
        { "too short", [0, 0], "does not start with two zero bytes" },
        { "float elements", Idx([1], [0, 0, 0, 0], type: 0x0D), "IDX type 0x0D" },
        { "header cut", [0, 0, 8, 3, 0, 0, 0, 1], "header of 3 dimensions in a file of 8 bytes" },
        { "data cut", Idx([2, 28, 28], new byte[1000]), "has 1000 bytes of data where its header (2 × 28 × 28) says 1568" },
        { "data too long", Idx([1], [1, 2]), "has 2 bytes of data where its header (1) says 1" },
        { "huge", [0, 0, 8, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF], "more elements than an array can hold" },
        { "bad gzip", [0x1F, 0x8B, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "does not decompress" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Idx_reader_rejects_bad_files_with_a_typed_error(string name, byte[] file, string expected)
    {
        var e = Assert.Throws<DataFormatException>(() => IdxFile.ReadBytes(file, name));
        Assert.Equal(name, e.FileName);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void FashionMnist_rejects_wrong_shapes_counts_and_labels()
    {
        var images = Idx([2, 28, 28], new byte[2 * 784]);
        Assert.Contains("(n, 28, 28)", Assert.Throws<DataFormatException>(() =>
            FashionMnist.FromIdx(Idx([2, 27, 28], new byte[2 * 27 * 28]), "i", Idx([2], [0, 1]), "l")).Message);
        Assert.Contains("labels are (n,)", Assert.Throws<DataFormatException>(() =>
            FashionMnist.FromIdx(images, "i", Idx([2, 1], [0, 1]), "l")).Message);
        Assert.Contains("3 labels for the 2 pictures", Assert.Throws<DataFormatException>(() =>
            FashionMnist.FromIdx(images, "i", Idx([3], [0, 1, 2]), "l")).Message);
        Assert.Contains("label 10 of item 1", Assert.Throws<DataFormatException>(() =>
            FashionMnist.FromIdx(images, "i", Idx([2], [0, 10]), "l")).Message);
    }

    [Fact]
    public void Multi_fashion_pictures_are_the_pixel_maximum_of_the_two_placed_items()
    {
        var source = Small(23);
        var multi = MultiFashion.Build(source, seed: 5);
        Assert.Equal([23, 36, 36], multi.Images.Shape.ToArray());
        var src = source.Images.CpuStorage.Data;
        var pictures = multi.Images.CpuStorage.Data;
        // Textbook rebuild: each pixel of the 36×36 canvas from its definition, a term 0 outside its picture.
        int Pixel(int item, int y, int x) => y is >= 0 and < 28 && x is >= 0 and < 28 ? src[item * 784 + y * 28 + x] : 0;
        for (int i = 0; i < multi.Count; i++)
        {
            Assert.Equal(i, multi.LeftItems[i]);
            for (int y = 0; y < 36; y++)
                for (int x = 0; x < 36; x++)
                {
                    int expected = Math.Max(Pixel(multi.LeftItems[i], y, x), Pixel(multi.RightItems[i], y - 6, x - 6));
                    Assert.Equal(expected, pictures[i * 1296 + y * 36 + x]);
                }
            Assert.Equal(source.Labels.Labels[multi.LeftItems[i]], multi.Left.Labels[i]);
            Assert.Equal(source.Labels.Labels[multi.RightItems[i]], multi.Right.Labels[i]);
        }
        Assert.Equal(["left", "right"], multi.Tasks.Select(t => t.Task));
        var floats = multi.ImagesAsSingle();
        Assert.Equal([23, 1, 36, 36], floats.Shape.ToArray());
        Assert.Equal(pictures[100] / 255f, floats.CpuStorage.Data[100]);
    }

    [Fact]
    public void Multi_fashion_pairs_are_a_function_of_the_seed()
    {
        var source = Small(50);
        var a = MultiFashion.Build(source, seed: 1);
        var b = MultiFashion.Build(source, seed: 1);
        var c = MultiFashion.Build(source, seed: 2);
        Assert.Equal(a.RightItems, b.RightItems);
        Assert.Equal(a.Images.ToArray(), b.Images.ToArray());
        Assert.NotEqual(a.RightItems, c.RightItems);
        Assert.All(a.RightItems, j => Assert.InRange(j, 0, 49));
        Assert.True(a.RightItems.Distinct().Count() > 20, "the right items are drawn over the whole source");
        Assert.Equal(0, MultiFashion.Build(Small(0), seed: 1).Count);
    }

    [Fact]
    public void Held_out_validation_pictures_share_no_item_with_the_training_pictures()
    {
        var source = Small(50);
        var (train, validation) = MultiFashion.BuildHeldOut(source, validationCount: 12, seed: 1);
        Assert.Equal(38, train.Count);
        Assert.Equal(12, validation.Count);
        var trainItems = train.LeftItems.Concat(train.RightItems).ToHashSet();
        var validationItems = validation.LeftItems.Concat(validation.RightItems).ToHashSet();
        Assert.Empty(trainItems.Intersect(validationItems));
        Assert.All(trainItems, j => Assert.InRange(j, 0, 37));
        Assert.All(validationItems, j => Assert.InRange(j, 38, 49));
        Assert.Equal(Enumerable.Range(38, 12), validation.LeftItems);
        Assert.True(validation.RightItems.Distinct().Count() > 4, "the right items are drawn over the held-out items");
        // Each picture is the overlay of its two items, counted in the source's numbering, with their labels.
        var labels = source.Labels.Labels;
        var items = source.Images.ToArray();
        var pictures = validation.Images.ToArray();
        for (int i = 0; i < validation.Count; i++)
        {
            Assert.Equal(labels[validation.LeftItems[i]], validation.Left.Labels[i]);
            Assert.Equal(labels[validation.RightItems[i]], validation.Right.Labels[i]);
            for (int y = 0; y < 36; y++)
                for (int x = 0; x < 36; x++)
                {
                    int left = y < 28 && x < 28 ? items[validation.LeftItems[i] * 784 + y * 28 + x] : 0;
                    int right = y is >= 6 and < 34 && x is >= 6 and < 34 ? items[validation.RightItems[i] * 784 + (y - 6) * 28 + x - 6] : 0;
                    Assert.Equal(Math.Max(left, right), pictures[i * 1296 + y * 36 + x]);
                }
        }
        // Nothing held out: the training part is Build's data set, draw for draw.
        var (all, none) = MultiFashion.BuildHeldOut(source, validationCount: 0, seed: 1);
        Assert.Equal(MultiFashion.Build(source, seed: 1).RightItems, all.RightItems);
        Assert.Equal(MultiFashion.Build(source, seed: 1).Images.ToArray(), all.Images.ToArray());
        Assert.Equal(0, none.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiFashion.BuildHeldOut(source, validationCount: 51, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiFashion.BuildHeldOut(source, validationCount: -1, seed: 1));
    }

    [Fact]
    public void Shipped_multi_fashion_has_both_tasks_over_ten_classes()
    {
        var multi = ShippedDatasets.LoadMultiFashion(FashionMnistPart.Test, seed: 0);
        Assert.Equal([2000, 36, 36], multi.Images.Shape.ToArray());
        Assert.Equal([200, 203, 214, 190, 219, 195, 197, 200, 194, 188], multi.Left.CountPerClass());
        Assert.All(multi.Right.CountPerClass(), count => Assert.InRange(count, 140, 260)); // ~200 each, drawn at random
        // The right item reaches the last rows and columns but for the 2-pixel border the 28-pixel pictures leave.
        var pictures = multi.Images.CpuStorage.Data;
        for (int i = 0; i < multi.Count; i++)
            for (int k = 0; k < 36; k++)
            {
                Assert.Equal(0, pictures[i * 1296 + 35 * 36 + k]);
                Assert.Equal(0, pictures[i * 1296 + k * 36 + 35]);
            }
    }
}
