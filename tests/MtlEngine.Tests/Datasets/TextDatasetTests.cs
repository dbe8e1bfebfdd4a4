using System.Text;
using MtlEngine.Datasets;

namespace MtlEngine.Tests.Datasets;

public sealed class TextDatasetTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mtl-textfolders-" + Guid.NewGuid().ToString("N"));

    public TextDatasetTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Write(string relative, string text) => Write(relative, Encoding.ASCII.GetBytes(text));

    [Fact]
    public void WordNet_gives_two_text_tasks_over_the_same_glosses()
    {
        var wordnet = ShippedDatasets.LoadWordNetGlosses();
        var data = wordnet.ToTextClassification();
        Assert.Equal(117_659, data.Count);
        Assert.Equal(["part of speech", "supersense"], data.Tasks.Select(t => t.Task));
        Assert.Equal(["noun", "verb", "adjective", "adverb"], data.Tasks[0].ClassNames);
        Assert.Equal(45, data.Task("supersense").ClassCount);
        Assert.Equal("noun.animal", data.Tasks[1].ClassNames[5]);
        Assert.Equal("that which is perceived or known or inferred to have its own distinct existence (living or nonliving)", data.Texts[0]);
        Assert.Same(wordnet.PartOfSpeech.Labels, data.Tasks[0].Labels);
        var withWords = wordnet.ToTextClassification(WordNetText.WordsAndGloss);
        Assert.Equal("abstraction; abstract entity: a general concept formed by extracting common features from specific examples", withWords.Texts[2]);
        Assert.Throws<KeyNotFoundException>(() => data.Task("sentiment"));
    }

    [Fact]
    public void Text_folders_follow_load_files_conventions()
    {
        Write("sci.space/10", "orbit");
        Write("sci.space/9", "moon");
        Write("alt.atheism/2", "first");
        Write("alt.atheism/.hidden", "skipped");
        Write(".git/config", "skipped");
        Write("comp.graphics/1", new byte[] { 0x63, 0x61, 0x66, 0xE9 }); // "café" in Latin-1: not valid UTF-8
        Write("README", "a top-level file is not a category");
        Directory.CreateDirectory(Path.Combine(_root, "sci.space", "nested"));

        var data = TextFolders.Load(_root);
        Assert.Equal(["alt.atheism", "comp.graphics", "sci.space"], data.Tasks[0].ClassNames);
        Assert.Equal("category", data.Tasks[0].Task);
        Assert.Equal(["first", "café", "orbit", "moon"], data.Texts); // files sorted by name as strings: "10" < "9"
        Assert.Equal([0, 1, 2, 2], data.Tasks[0].Labels);
        Assert.Equal(Path.Combine(_root, "sci.space", "10"), data.Sources![2]);

        var some = TextFolders.Load(_root, categories: ["sci.space", "alt.atheism"]);
        Assert.Equal(["alt.atheism", "sci.space"], some.Tasks[0].ClassNames);
        Assert.Equal([0, 1, 1], some.Tasks[0].Labels);

        Write("utf8/1", Encoding.UTF8.GetBytes("naïve"));
        Assert.Equal("naïve", TextFolders.Load(_root, ["utf8"], Encoding.UTF8).Texts[0]);
    }

    [Fact]
    public void Text_folder_errors_name_the_folder()
    {
        string missing = Path.Combine(_root, "nope");
        var e = Assert.Throws<TextFolderException>(() => TextFolders.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);

        e = Assert.Throws<TextFolderException>(() => TextFolders.Load(_root));
        Assert.Contains("no category subfolder", e.Message);

        Directory.CreateDirectory(Path.Combine(_root, "empty.category"));
        e = Assert.Throws<TextFolderException>(() => TextFolders.Load(_root));
        Assert.Contains("no document", e.Message);

        e = Assert.Throws<TextFolderException>(() => TextFolders.Load(_root, ["rec.autos"]));
        Assert.Contains("'rec.autos'", e.Message);
    }
}
