using System.Globalization;
using System.Text;
using MtlEngine.Tensors;

namespace MtlEngine.Datasets;

/// <summary>
/// 1906 emoji, each as a picture (32×32 RGB on white) and as text (its English name): two modalities of one
/// object, with two related tasks — "category" (9 classes) and "subcategory" (98 classes) — and a
/// cross-modal retrieval task (the name of a picture, the picture of a name). Row i of every member
/// describes the same emoji. Class indices follow the order in which classes first appear, which is
/// Unicode's emoji ordering.
/// </summary>
public sealed class EmojiDataset
{
    private const string TableResource = "emoji.tsv.gz";
    private const string ImagesResource = "images.npy.gz";

    private EmojiDataset(MtlTensor<byte> images, string[] codePoints, string[] names, string[] shortNames, LabelSet category, LabelSet subcategory)
    {
        Images = images;
        CodePoints = codePoints;
        Names = names;
        ShortNames = shortNames;
        Category = category;
        Subcategory = subcategory;
    }

    /// <summary>The pictures, bytes 0..255 of shape (n_emoji, 32, 32, 3): row, column, then red, green, blue.</summary>
    public MtlTensor<byte> Images { get; }

    /// <summary>The Unicode code points of each emoji, in hexadecimal joined by '-' (for example "1F600" or "263A-FE0F").</summary>
    public IReadOnlyList<string> CodePoints { get; }

    /// <summary>The lower-case English name of each emoji (for example "grinning face").</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The short name of each emoji (for example "grinning").</summary>
    public IReadOnlyList<string> ShortNames { get; }

    /// <summary>The "category" task: 9 classes such as "Smileys &amp; Emotion".</summary>
    public LabelSet Category { get; }

    /// <summary>The "subcategory" task: 98 classes such as "face-smiling"; each lies inside one category.</summary>
    public LabelSet Subcategory { get; }

    /// <summary>Both tasks: category, then subcategory.</summary>
    public IReadOnlyList<LabelSet> Tasks => [Category, Subcategory];

    /// <summary>The number of emoji.</summary>
    public int Count => Names.Count;

    /// <summary>The pictures as floats in [0, 1] (byte / 255), shape (n_emoji, 32, 32, 3).</summary>
    public MtlTensor<float> ImagesAsSingle()
    {
        var bytes = Images.CpuStorage.Data;
        var values = new float[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) values[i] = bytes[i] / 255f;
        return MtlTensor.FromArray(values, Images.Shape.ToArray());
    }

    /// <summary>Emoji <paramref name="index"/> as a string of its code points (the character itself).</summary>
    public string Text(int index)
    {
        var text = new StringBuilder();
        foreach (var hex in CodePoints[index].Split('-'))
            text.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        return text.ToString();
    }

    internal static EmojiDataset Load()
    {
        var lines = EmbeddedData.ReadLines(TableResource);
        if (lines[0] != "index\tcodepoints\tname\tshort_names\tcategory\tsubcategory")
            throw EmbeddedData.Bad(TableResource, 1, $"unexpected header '{lines[0]}'");
        int n = lines.Length - 1;
        var codePoints = new string[n];
        var names = new string[n];
        var shortNames = new string[n];
        var categories = new ClassIndexer();
        var subcategories = new ClassIndexer();
        var category = new int[n];
        var subcategory = new int[n];
        for (int i = 0; i < n; i++)
        {
            var fields = lines[i + 1].Split('\t');
            if (fields.Length != 6 || fields[0] != i.ToString(CultureInfo.InvariantCulture))
                throw EmbeddedData.Bad(TableResource, i + 2, "expected 6 tab-separated fields starting with the row index");
            codePoints[i] = fields[1];
            names[i] = fields[2];
            shortNames[i] = fields[3];
            category[i] = categories.IndexOf(fields[4]);
            subcategory[i] = subcategories.IndexOf(fields[5]);
        }
        var images = ReadImages(n);
        return new EmojiDataset(images, codePoints, names, shortNames,
            new LabelSet("category", category, categories.Names), new LabelSet("subcategory", subcategory, subcategories.Names));
    }

    /// <summary>Reads images.npy: NumPy format 1.0, '|u1', C order, shape (n, 32, 32, 3).</summary>
    private static MtlTensor<byte> ReadImages(int n)
    {
        var file = EmbeddedData.ReadAllBytes(ImagesResource);
        // .npy 1.0: "\x93NUMPY", major 1, minor 0, a little-endian uint16 header length, the header dictionary, the data.
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (file.Length < 10 || !file.AsSpan(0, 6).SequenceEqual(magic) || file[6] != 1)
            throw EmbeddedData.Bad(ImagesResource, 1, "not a .npy file of format 1.0");
        int headerLength = file[8] | file[9] << 8;
        string header = Encoding.ASCII.GetString(file, 10, Math.Min(headerLength, file.Length - 10));
        string expected = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, 32, 32, 3), }}";
        int dataStart = 10 + headerLength;
        int length = n * 32 * 32 * 3;
        if (header.TrimEnd() != expected || file.Length - dataStart != length)
            throw EmbeddedData.Bad(ImagesResource, 1, $"header '{header.TrimEnd()}' with {file.Length - dataStart} data bytes; expected '{expected}' with {length}");
        return MtlTensor.FromArray(file.AsSpan(dataStart, length).ToArray(), n, 32, 32, 3);
    }

    /// <summary>Numbers class names in the order they first appear.</summary>
    private sealed class ClassIndexer
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

        public List<string> Names { get; } = [];

        public int IndexOf(string name)
        {
            if (!_index.TryGetValue(name, out int index))
            {
                index = Names.Count;
                _index.Add(name, index);
                Names.Add(name);
            }
            return index;
        }
    }
}
