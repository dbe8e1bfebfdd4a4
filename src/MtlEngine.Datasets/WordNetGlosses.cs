using System.Collections;
using System.Text;

namespace MtlEngine.Datasets;

/// <summary>
/// The 117,659 synsets of WordNet 3.0 as labelled English text: for each synset its words and its gloss
/// (definition and examples), with two classification tasks on the same text — "part of speech" (noun, verb,
/// adjective, adverb) and "supersense" (the 45 lexicographer files, such as noun.animal or verb.motion).
/// </summary>
/// <remarks>
/// Loading decompresses the file once and parses only the labels; <see cref="Words"/> and
/// <see cref="Glosses"/> decode a row's UTF-8 text each time it is read (nothing is cached), so loading stays
/// fast and the texts take no memory until they are used.
/// </remarks>
public sealed class WordNetGlosses
{
    private const string Resource = "glosses.tsv.gz";
    private const string Header = "offset\tpos\tsupersense\twords\tgloss";

    /// <summary>Part-of-speech class names, indexed by label, with the letters WordNet uses (n, v, a, r) in that order.</summary>
    private static readonly (byte Letter, string Name)[] PartsOfSpeech = [((byte)'n', "noun"), ((byte)'v', "verb"), ((byte)'a', "adjective"), ((byte)'r', "adverb")];

    /// <summary>WordNet's lexicographer files in their standard numbering (the lexnames file, 00 to 44).</summary>
    private static readonly string[] LexicographerFiles =
    [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
        "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
        "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant",
        "noun.possession", "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state",
        "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition", "verb.communication",
        "verb.competition", "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
        "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
    ];

    private WordNetGlosses(int[] offsets, LabelSet partOfSpeech, LabelSet supersense, Utf8Column words, Utf8Column glosses)
    {
        Offsets = offsets;
        PartOfSpeech = partOfSpeech;
        Supersense = supersense;
        Words = words;
        Glosses = glosses;
    }

    /// <summary>The synset's byte offset in WordNet's data file for its part of speech (unique within a part of speech).</summary>
    public int[] Offsets { get; }

    /// <summary>The "part of speech" task: noun, verb, adjective, adverb.</summary>
    public LabelSet PartOfSpeech { get; }

    /// <summary>The "supersense" task: the 45 lexicographer files in WordNet's numbering (adj.all = 0, ..., adj.ppl = 44).</summary>
    public LabelSet Supersense { get; }

    /// <summary>Both tasks: part of speech, then supersense.</summary>
    public IReadOnlyList<LabelSet> Tasks => [PartOfSpeech, Supersense];

    /// <summary>The synset's words, separated by "; " (for example "abstraction; abstract entity"). Decoded on each read.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The synset's gloss: its definition, then any examples. Decoded on each read.</summary>
    public IReadOnlyList<string> Glosses { get; }

    /// <summary>The number of synsets.</summary>
    public int Count => Offsets.Length;

    /// <summary>
    /// The texts of every synset, decoded once: the gloss (default), or the synset's words then its gloss
    /// ("abstraction; abstract entity: a general concept formed by ...").
    /// </summary>
    public string[] Texts(WordNetText text = WordNetText.Gloss)
    {
        var texts = new string[Count];
        for (int i = 0; i < texts.Length; i++)
            texts[i] = text == WordNetText.WordsAndGloss ? Words[i] + ": " + Glosses[i] : Glosses[i];
        return texts;
    }

    /// <summary>
    /// The two text-classification tasks over the same texts: "part of speech" (4 classes: noun, verb, adjective,
    /// adverb) and "supersense" (45 lexicographer files such as noun.animal), in that order, with their class names.
    /// </summary>
    /// <param name="text">Which text each sample holds (default: the gloss alone).</param>
    public TextClassificationDataset ToTextClassification(WordNetText text = WordNetText.Gloss) =>
        new(text == WordNetText.Gloss ? "wordnet-glosses" : "wordnet-words-and-glosses", Texts(text), [PartOfSpeech, Supersense]);

    internal static WordNetGlosses Load()
    {
        byte[] text = EmbeddedData.ReadAllBytes(Resource);
        var lexicographerFiles = LexicographerFiles.Select(Encoding.ASCII.GetBytes).ToArray();
        ReadOnlySpan<byte> all = text;

        int headerEnd = all.IndexOf((byte)'\n');
        if (headerEnd < 0 || !all[..headerEnd].SequenceEqual(Encoding.ASCII.GetBytes(Header)))
            throw EmbeddedData.Bad(Resource, 1, "unexpected header");
        int capacity = all.Count((byte)'\n');
        var offsets = new List<int>(capacity);
        var pos = new List<int>(capacity);
        var supersense = new List<int>(capacity);
        var wordsStart = new List<int>(capacity);
        var glossStart = new List<int>(capacity);
        var lineEnd = new List<int>(capacity);

        int start = headerEnd + 1, lineNumber = 1;
        int lastSupersense = 0;
        Span<int> tabs = stackalloc int[4];
        while (start < text.Length)
        {
            lineNumber++;
            int end = all[start..].IndexOf((byte)'\n');
            end = end < 0 ? text.Length : start + end;
            // offset \t pos \t supersense \t words \t gloss
            int from = start;
            for (int k = 0; k < 4; k++)
            {
                int tab = all[from..end].IndexOf((byte)'\t');
                if (tab < 0) throw EmbeddedData.Bad(Resource, lineNumber, $"{k + 1} fields where 5 were expected");
                tabs[k] = from + tab;
                from = tabs[k] + 1;
            }
            if (!System.Buffers.Text.Utf8Parser.TryParse(all[start..tabs[0]], out int offset, out int consumed) || consumed != tabs[0] - start)
                throw EmbeddedData.Bad(Resource, lineNumber, "the offset is not a number");
            var posField = all[(tabs[0] + 1)..tabs[1]];
            int posLabel = posField.Length == 1 ? PartOfSpeechLabel(posField[0]) : -1;
            if (posLabel < 0) throw EmbeddedData.Bad(Resource, lineNumber, "unknown part of speech");
            var supersenseField = all[(tabs[1] + 1)..tabs[2]];
            if (!supersenseField.SequenceEqual(lexicographerFiles[lastSupersense]))
            {
                lastSupersense = IndexOf(lexicographerFiles, supersenseField);
                if (lastSupersense < 0) throw EmbeddedData.Bad(Resource, lineNumber, "unknown supersense");
            }
            offsets.Add(offset);
            pos.Add(posLabel);
            supersense.Add(lastSupersense);
            wordsStart.Add(tabs[2] + 1);
            glossStart.Add(tabs[3] + 1);
            lineEnd.Add(end > start && text[end - 1] == '\r' ? end - 1 : end);
            start = end + 1;
        }

        var wordsEnd = glossStart.Select(g => g - 1).ToArray();
        return new WordNetGlosses(
            offsets.ToArray(),
            new LabelSet("part of speech", pos.ToArray(), PartsOfSpeech.Select(p => p.Name).ToArray()),
            new LabelSet("supersense", supersense.ToArray(), LexicographerFiles.ToArray()),
            new Utf8Column(text, wordsStart.ToArray(), wordsEnd),
            new Utf8Column(text, glossStart.ToArray(), lineEnd.ToArray()));
    }

    private static int PartOfSpeechLabel(byte letter) => Array.FindIndex(PartsOfSpeech, p => p.Letter == letter);

    private static int IndexOf(byte[][] names, ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < names.Length; i++)
        {
            if (name.SequenceEqual(names[i])) return i;
        }
        return -1;
    }

    /// <summary>A read-only list of strings kept as UTF-8 ranges of one buffer, decoded on access.</summary>
    private sealed class Utf8Column(byte[] text, int[] starts, int[] ends) : IReadOnlyList<string>
    {
        public string this[int index] => Encoding.UTF8.GetString(text, starts[index], ends[index] - starts[index]);

        public int Count => starts.Length;

        public IEnumerator<string> GetEnumerator()
        {
            for (int i = 0; i < starts.Length; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>Which text of a WordNet synset a sample holds.</summary>
public enum WordNetText
{
    /// <summary>The gloss: the definition, then any examples.</summary>
    Gloss,
    /// <summary>The synset's words, ": ", then the gloss.</summary>
    WordsAndGloss,
}
