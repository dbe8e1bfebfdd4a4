using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Learn.Text;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// The demo's short version of <c>benchmarks/emoji_fusion.py</c> (issue 16): on the shipped emoji (a 32×32 picture and the
/// name; tasks category and subcategory), each modality alone against a few fusions of both and one fusion trained with
/// modality dropout, each task's test accuracy and the category accuracy with every test picture, or every test name,
/// missing. Small encoders (an MLP over the pixels, the mean of the name's token embeddings) and a few epochs, one seed,
/// so that it runs in seconds: the numbers are noisy; the benchmark's tables (CNN pictures, 3 seeds) are in
/// benchmarks/results/.
/// </summary>
internal static class FusionTableSection
{
    /// <summary>The section, to be listed in <see cref="DemoCommand.Sections"/>.</summary>
    public static DemoSection Section { get; } = new("mm-fusion",
        "multi-modal fusion on emoji (picture + name; a subset of fusions, one seed): test accuracy, and with a modality missing", Run);

    /// <summary>
    /// One row: the model, each task's test accuracy (category, subcategory) and the category accuracy with the picture, or the
    /// name, missing for every test sample (NaN for a single-modality model).
    /// </summary>
    internal sealed record Row(string Model, double Category, double Subcategory, double PictureMissing, double NameMissing);

    /// <summary>The models of the table: a single input, or a fusion of both (with modality dropout when the name ends in "+ md").</summary>
    internal static readonly string[] Models = ["picture only", "name only", "concat", "late", "gated", "concat + md"];

    private const int TestRows = 400, Epochs = 12, BatchSize = 64, PictureWidth = 32, NameWidth = 32, TrunkWidth = 64;
    private const double LearningRate = 3e-3;

    /// <summary>The rates of "+ md": the picture, the stronger input, is dropped more often (benchmarks/results/emoji_modality_dropout.md).</summary>
    private static readonly Dictionary<string, double> s_dropout = new() { ["picture"] = 0.5, ["name"] = 0.3 };

    /// <summary>Trains every model of the table and returns its rows (also used by the test).</summary>
    internal static IReadOnlyList<Row> Experiment(IReadOnlyList<string>? models = null, ulong seed = 1, int epochs = Epochs)
    {
        var emoji = ShippedDatasets.LoadEmoji();
        int n = emoji.Count;
        var order = new TensorRandom(seed).Permutation(n);
        int[] test = order[..TestRows], train = order[TestRows..];
        var (data, vocabulary) = Dataset(emoji, train);
        var tasks = emoji.Tasks.Select(t => new TaskSpec(t.Task, TaskKind.Classification, t.ClassCount)).ToArray();
        int pixels = emoji.Images.Length / n;

        Row Train(string name)
        {
            var random = new TensorRandom(seed + 10);
            var encoders = new List<KeyValuePair<string, InputEncoder<float>>>();
            bool fused = !name.EndsWith(" only", StringComparison.Ordinal);
            if (fused || name == "picture only") encoders.Add(new("picture", new MlpEncoder<float>(pixels, [PictureWidth], random)));
            if (fused || name == "name only") encoders.Add(new("name", new EmbeddingBagEncoder<float>(vocabulary, NameWidth, random)));
            string fusion = fused ? name.Split(' ')[0] : "concat";
            var model = new HardParameterSharing<float>(encoders, [TrunkWidth], tasks, random,
                fusion: Fusions.Create<float>(fusion, encoders.Select(e => e.Value.OutputWidth).ToArray(), random, new FusionOptions(Dimension: TrunkWidth)));
            if (name.EndsWith("+ md", StringComparison.Ordinal)) model.UseModalityDropout(s_dropout, seed + 20);
            using var adam = new Adam<float>(model.Parameters(), LearningRate);
            new Trainer<float>(model, adam, new TrainingOptions(Epochs: epochs, BatchSize: BatchSize, Seed: seed)).Fit(data, train);
            double Accuracy(MultiTaskDataset<float> on, string task) => Trainer<float>.Evaluate(model, on, test).Metrics.Single(m => m.Task == task).Value;
            double Without(string input) => fused ? Accuracy(data.WithPresence(input, new bool[n]), "category") : double.NaN;
            return new Row(name, Accuracy(data, "category"), Accuracy(data, "subcategory"), Without("picture"), Without("name"));
        }

        return (models ?? Models).Select(Train).ToArray();
    }

    /// <summary>
    /// The data set: the pictures as floats in [0, 1] flattened to (n, 3072), the names as token ids over the vocabulary of the
    /// training names (scikit-learn's default tokens, −1 padding), both tasks' labels; and the vocabulary's size.
    /// </summary>
    private static (MultiTaskDataset<float> Data, int Vocabulary) Dataset(EmojiDataset emoji, int[] train)
    {
        int n = emoji.Count;
        var analyzer = new TextAnalyzer();
        var tokens = emoji.Names.Select(analyzer.Tokenize).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (int row in train)
            foreach (string token in tokens[row])
                index.TryAdd(token, index.Count);
        int longest = Math.Max(1, tokens.Max(t => t.Count(index.ContainsKey)));
        var ids = new int[n * longest];
        Array.Fill(ids, -1);
        for (int i = 0; i < n; i++)
        {
            int j = 0;
            foreach (string token in tokens[i])
                if (index.TryGetValue(token, out int id)) ids[i * longest + j++] = id;
        }
        var pixels = emoji.ImagesAsSingle().ToArray();
        var data = new MultiTaskDataset<float>(n).AddInput("picture", pixels, [n, pixels.Length / n]).AddIndexInput("name", ids, [n, longest]);
        foreach (var task in emoji.Tasks) data.AddLabels(task.Task, task.Labels.ToArray());
        return (data, index.Count);
    }

    private static void Run(TextWriter output)
    {
        output.WriteLine($"  {1906 - TestRows} training and {TestRows} test emoji (seeded); picture: MLP {PictureWidth} over the 3072 pixels; name: mean of {NameWidth}-wide token embeddings;");
        output.WriteLine($"  fusion -> trunk {TrunkWidth} -> a head per task; Adam lr {LearningRate}, {Epochs} epochs of {BatchSize}, one seed.");
        output.WriteLine($"  + md: modality dropout (picture {s_dropout["picture"]}, name {s_dropout["name"]}) while training. \"picture missing\": category accuracy with no test picture.");
        output.WriteLine("  The full tables (CNN pictures, every fusion, 3 seeds): benchmarks/emoji_fusion.py, benchmarks/results/emoji_modality_dropout.md.");
        var table = new TextTable("model", "category", "subcategory", "category, picture missing", "category, name missing");
        foreach (var row in Experiment())
            table.Add(row.Model, TextTable.Percent(row.Category), TextTable.Percent(row.Subcategory), Cell(row.PictureMissing), Cell(row.NameMissing));
        table.WriteTo(output);
    }

    private static string Cell(double value) => double.IsNaN(value) ? "—" : TextTable.Percent(value);
}
