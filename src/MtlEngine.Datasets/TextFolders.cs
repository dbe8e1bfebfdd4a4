using System.Text;

namespace MtlEngine.Datasets;

/// <summary>A text folder data set could not be read: the folder is missing, has no category, or holds no document. The message names the path.</summary>
public sealed class TextFolderException : IOException
{
    /// <summary>Creates the exception with its message.</summary>
    public TextFolderException(string message) : base(message) { }
}

/// <summary>
/// Loads a text classification data set laid out as one folder per category and one file per document, the layout of
/// the 20 Newsgroups archives (<c>20news-bydate-train/alt.atheism/49960</c>, ...), with scikit-learn's
/// <c>load_files</c> conventions: the categories are the subfolders sorted by name (label i is the i-th), the documents
/// of a category its files sorted by name, every file decoded as Latin-1 by default (as <c>fetch_20newsgroups</c>
/// does: each byte is one character, so no file fails to decode). Unlike load_files, hidden entries (names starting
/// with ".") and nested folders are skipped, and the order is never shuffled (load_files' shuffle=False).
/// </summary>
public static class TextFolders
{
    /// <summary>
    /// Reads <paramref name="path"/>: a "category" task whose class names are the folder names.
    /// </summary>
    /// <param name="path">The folder holding one subfolder per category.</param>
    /// <param name="categories">Only these categories (folder names), or all when null; labels follow the sorted kept folders.</param>
    /// <param name="encoding">How to decode the files (default Latin-1).</param>
    /// <exception cref="TextFolderException">When the folder does not exist, has no category subfolder, a requested category is missing, or no document is found.</exception>
    public static TextClassificationDataset Load(string path, IEnumerable<string>? categories = null, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        encoding ??= Encoding.Latin1;
        if (!Directory.Exists(path))
            throw new TextFolderException($"Text folder '{path}' does not exist; pass a folder with one subfolder per category (for example 20news-bydate-train).");
        var folders = Directory.GetDirectories(path).Select(Path.GetFileName).OfType<string>()
            .Where(name => !name.StartsWith('.')).ToList();
        folders.Sort(CodePointOrder);
        if (folders.Count == 0)
            throw new TextFolderException($"Text folder '{path}' has no category subfolder; it needs one subfolder per category, each holding one file per document.");
        if (categories is not null)
        {
            var wanted = categories.ToHashSet(StringComparer.Ordinal);
            var missing = wanted.Where(c => !folders.Contains(c)).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
                throw new TextFolderException($"Text folder '{path}' has no category {string.Join(", ", missing.Select(m => $"'{m}'"))}; its categories are: {string.Join(", ", folders)}.");
            folders = folders.Where(wanted.Contains).ToList();
        }
        var texts = new List<string>();
        var sources = new List<string>();
        var labels = new List<int>();
        for (int label = 0; label < folders.Count; label++)
        {
            string folder = Path.Combine(path, folders[label]);
            var files = Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
            files.Sort((a, b) => CodePointOrder(Path.GetFileName(a), Path.GetFileName(b)));
            foreach (string file in files)
            {
                texts.Add(encoding.GetString(File.ReadAllBytes(file)));
                sources.Add(file);
                labels.Add(label);
            }
        }
        if (texts.Count == 0)
            throw new TextFolderException($"Text folder '{path}' has {folders.Count} category folder(s) ({string.Join(", ", folders)}) but no document file in any of them.");
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        return new TextClassificationDataset(name, texts, [new LabelSet("category", [.. labels], folders)], sources);
    }

    // Python's sorted(): by code point (ordinal UTF-16 order with surrogates moved above U+E000..U+FFFF).
    private static int CodePointOrder(string? a, string? b)
    {
        a ??= "";
        b ??= "";
        int n = Math.Min(a.Length, b.Length);
        int k = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, n));
        if (k == n) return a.Length.CompareTo(b.Length);
        return Fixup(a[k]).CompareTo(Fixup(b[k]));

        static int Fixup(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
    }
}
