using System.CommandLine;
using System.Text;
using MtlEngine.Data;
using MtlEngine.Datasets;

namespace MtlEngine.Cli.Train;

/// <summary>
/// <c>mtl example NAME --out DIR</c>: writes a shipped data set as the files a user would have (.npy arrays, a text file
/// with one sample per line) and a spec.json that trains on them, ready for <c>mtl train --spec DIR/spec.json --out RUN</c>.
/// One example per input type: numeric (digits, breast_cancer with three views, linnerud with three numeric targets),
/// image + text (emoji), text (wordnet), image with two tasks (multi-fashion).
/// </summary>
internal static class ExampleCommand
{
    /// <summary>The examples and what each shows.</summary>
    public static readonly IReadOnlyDictionary<string, string> Examples = new Dictionary<string, string>
    {
        ["digits"] = "numeric input (64 pixels), three tasks: digit, parity, at least 5",
        ["breast_cancer"] = "three numeric inputs (mean, standard error, worst), one binary task",
        ["linnerud"] = "numeric input (exercise), one numeric task of three targets (physiological)",
        ["emoji"] = "a picture (32×32 RGB) and a text (the name), two tasks: category, subcategory",
        ["wordnet"] = "a text (the gloss), two tasks: part of speech, supersense; also each synset's words (words.txt) for a second text input",
        ["multi-fashion"] = "a picture (36×36 grey, two Fashion-MNIST items overlaid), two tasks: left item, right item",
    };

    public static Command Create(TextWriter stdout)
    {
        var name = new Argument<string>("name") { Description = "The example: " + string.Join(", ", Examples.Keys) + "." };
        var output = new Option<string>("--out") { Description = "The folder to write the data files and spec.json into (created if missing).", Required = true };
        var source = new Option<string?>("--fashion-mnist")
        {
            Description = "multi-fashion only: a folder with the published Fashion-MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz "
                + "and their t10k twins) to build from, all 60,000 training and 10,000 test items, instead of the shipped 12,000 and 2,000.",
        };
        var trainCount = new Option<int?>("--train-count") { Description = "multi-fashion only: keep the first N training items (of the shipped ones or of --fashion-mnist)." };
        var validationCount = new Option<int?>("--validation-count")
        {
            Description = "multi-fashion only: hold out the last N of the kept training items and build the validation pictures from them only "
                + "(validation.npy, the spec's split.validation), so that no validation picture shares an item with a training picture, as the test "
                + "items are unseen; default: a tenth of the kept training items. 0: no held-out items, validation_fraction 0.1 of the training "
                + "pictures (the data before this option, whose validation pictures share items with the training pictures).",
        };
        var command = new Command("example", "Write a shipped data set as files with a spec.json for 'mtl train'.") { name, output, source, trainCount, validationCount };
        command.SetAction(parsed =>
        {
            string example = parsed.GetValue(name)!;
            if (!Examples.ContainsKey(example))
                throw new UsageException($"example: unknown example '{TrainSpec.Escape(example)}'; the examples are {string.Join(", ", Examples.Keys)}");
            string? folder = parsed.GetValue(source);
            int? count = parsed.GetValue(trainCount);
            int? heldOut = parsed.GetValue(validationCount);
            if ((folder is not null || count is not null || heldOut is not null) && example != "multi-fashion")
                throw new UsageException($"example: --fashion-mnist, --train-count and --validation-count build multi-fashion, not {example}");
            if (count is < 1) throw new UsageException($"example: --train-count is {count}; give at least 1");
            if (heldOut is < 0) throw new UsageException($"example: --validation-count is {heldOut}; give 0 or more");
            string directory = parsed.GetValue(output)!;
            Directory.CreateDirectory(directory);
            var files = Write(example, directory, folder, count, heldOut);
            stdout.WriteLine($"wrote {example} ({Examples[example]}) to {directory}: {string.Join(", ", files)}");
            stdout.WriteLine($"train it with: mtl train --spec {Path.Combine(directory, "spec.json")} --out {Path.Combine(directory, "run")}");
            return 0;
        });
        return command;
    }

    /// <summary>Writes the example's files and its spec; returns the file names.</summary>
    /// <param name="example">The example's name.</param>
    /// <param name="directory">The folder to write into.</param>
    /// <param name="fashionMnist">multi-fashion: a folder of the published Fashion-MNIST files to build from (null: the shipped items).</param>
    /// <param name="trainCount">multi-fashion: keep the first this many training items (null: all).</param>
    /// <param name="validationCount">multi-fashion: hold out the last this many kept training items for the validation pictures (null: a tenth; 0: none, validation_fraction as before).</param>
    internal static IReadOnlyList<string> Write(string example, string directory, string? fashionMnist = null, int? trainCount = null, int? validationCount = null)
    {
        var files = new List<string>();
        void Array(string file, NdArray array)
        {
            ArrayFile.Write(Path.Combine(directory, file), [array]);
            files.Add(file);
        }
        void Labels(string file, LabelSet labels) => Array(file, NdArray.Create(labels.Task, labels.Labels.Select(l => (long)l).ToArray(), labels.Count));
        void Lines(string file, IEnumerable<string> lines)
        {
            File.WriteAllLines(Path.Combine(directory, file), lines.Select(l => l.Replace('\n', ' ').Replace('\r', ' ')), new UTF8Encoding(false));
            files.Add(file);
        }
        string spec;
        switch (example)
        {
            case "digits":
            {
                var d = ShippedDatasets.LoadDigits();
                Array("pixels.npy", NdArray.Create("pixels", d.Features.ToArray().Select(v => (float)v).ToArray(), d.SampleCount, d.FeatureCount));
                foreach (var task in d.Tasks) Labels(task.Task.Replace(' ', '_') + ".npy", task);
                spec = """
                {
                  "inputs": [{"name": "pixels", "type": "numeric", "path": "pixels.npy", "encoder": {"type": "mlp", "hidden": [64]}}],
                  "tasks": [
                    {"name": "digit", "type": "category", "path": "digit.npy"},
                    {"name": "parity", "type": "category", "path": "parity.npy"},
                    {"name": "at_least_5", "type": "category", "path": "at_least_5.npy"}
                  ],
                  "split": {"test_fraction": 0.2, "validation_fraction": 0.1, "seed": 0},
                  "model": {"architecture": "hps", "fusion": "concat", "hidden": [64]},
                  "training": {"epochs": 30, "batch_size": 32, "optimizer": "adam", "learning_rate": 0.003, "weighting": "ew", "seed": 0,
                               "early_stopping": {"metric": "loss", "patience": 5}}
                }
                """;
                break;
            }
            case "breast_cancer":
            {
                var d = ShippedDatasets.LoadBreastCancer();
                foreach (var view in d.Views)
                    Array(view.Name.Replace(' ', '_') + ".npy", NdArray.Create(view.Name, view.Features.ToArray(), d.SampleCount, view.Features.Dim(1)));
                Array("malignant.npy", NdArray.Create("malignant", d.Labels.Select(l => l == 0 ? 1f : 0f).ToArray(), d.SampleCount)); // class 0 is malignant
                spec = """
                {
                  "inputs": [
                    {"name": "mean", "type": "numeric", "path": "mean.npy", "encoder": {"type": "mlp", "hidden": [16]}},
                    {"name": "standard_error", "type": "numeric", "path": "standard_error.npy", "encoder": {"type": "mlp", "hidden": [16]}},
                    {"name": "worst", "type": "numeric", "path": "worst.npy", "encoder": {"type": "mlp", "hidden": [16]}}
                  ],
                  "tasks": [{"name": "malignant", "type": "binary", "path": "malignant.npy"}],
                  "split": {"test_fraction": 0.2, "seed": 0},
                  "model": {"hidden": [32], "dropout": 0.1},
                  "training": {"epochs": 40, "batch_size": 32, "learning_rate": 0.003, "early_stopping": {"metric": "malignant.accuracy", "patience": 8}}
                }
                """;
                break;
            }
            case "linnerud":
            {
                var d = ShippedDatasets.LoadLinnerud();
                Array("exercise.npy", NdArray.Create("exercise", d.Features.ToArray(), d.SampleCount, 3));
                Array("physiological.npy", NdArray.Create("physiological", d.Targets.ToArray(), d.SampleCount, 3));
                spec = """
                {
                  "inputs": [{"name": "exercise", "type": "numeric", "path": "exercise.npy", "encoder": {"type": "identity"}}],
                  "tasks": [{"name": "physiological", "type": "numeric", "path": "physiological.npy"}],
                  "split": {"test_fraction": 0.25, "validation_fraction": 0.2, "seed": 0},
                  "model": {"hidden": [8]},
                  "training": {"epochs": 100, "batch_size": 4, "learning_rate": 0.01, "early_stopping": {"metric": "loss", "patience": 20}}
                }
                """;
                break;
            }
            case "emoji":
            {
                var d = ShippedDatasets.LoadEmoji();
                Array("pictures.npy", NdArray.Create("pictures", d.Images.ToArray(), d.Images.Shape.ToArray()));
                Lines("names.txt", d.Names);
                Labels("category.npy", d.Category);
                Labels("subcategory.npy", d.Subcategory);
                spec = """
                {
                  "inputs": [
                    {"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {"type": "cnn", "channels": [16, 32]}},
                    {"name": "name", "type": "text", "path": "names.txt", "encoder": {"type": "embedding-bag", "dim": 32}}
                  ],
                  "tasks": [
                    {"name": "category", "type": "category", "path": "category.npy"},
                    {"name": "subcategory", "type": "category", "path": "subcategory.npy"}
                  ],
                  "split": {"test_fraction": 0.2, "validation_fraction": 0.1, "seed": 0},
                  "model": {"hidden": [128]},
                  "training": {"epochs": 15, "batch_size": 64, "learning_rate": 0.003, "early_stopping": {"metric": "subcategory.accuracy", "patience": 4}}
                }
                """;
                break;
            }
            case "multi-fashion":
            {
                // Training pictures first, then the validation pictures (built from the last tenth of the training items only, or
                // --validation-count of them; validation.npy names their rows), then the test pictures (2,000), whose rows test.npy names:
                // the published split. Shipped: 12,000 training items (10,800 training and 1,200 validation pictures).
                // With --fashion-mnist: all 60,000 and 10,000 of the published files; --train-count keeps the first N training items.
                var (trainItems, testItems) = fashionMnist is null
                    ? (FashionMnist.LoadShipped(FashionMnistPart.Train), FashionMnist.LoadShipped(FashionMnistPart.Test))
                    : (ReadFashionMnist(fashionMnist, "train"), ReadFashionMnist(fashionMnist, "t10k"));
                trainItems = trainItems.Take(trainCount ?? int.MaxValue);
                int heldOut = validationCount ?? (trainItems.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(trainItems.Count / 10.0)));
                if (heldOut >= trainItems.Count)
                    throw new UsageException($"example: --validation-count {heldOut} holds out every one of the {trainItems.Count} training items; leave some for training");
                var (train, validation) = MultiFashion.BuildHeldOut(trainItems, heldOut, seed: 0);
                var test = MultiFashion.Build(testItems, seed: 0);
                int n = train.Count + validation.Count + test.Count;
                Array("pictures.npy", NdArray.Create("pictures", [.. train.Images.ToArray(), .. validation.Images.ToArray(), .. test.Images.ToArray()], n, MultiFashion.Side, MultiFashion.Side));
                Labels("left.npy", new LabelSet("left", [.. train.Left.Labels, .. validation.Left.Labels, .. test.Left.Labels], FashionMnist.ClassNames));
                Labels("right.npy", new LabelSet("right", [.. train.Right.Labels, .. validation.Right.Labels, .. test.Right.Labels], FashionMnist.ClassNames));
                Array("test.npy", NdArray.Create("test", Enumerable.Range(train.Count + validation.Count, test.Count).Select(r => (long)r).ToArray(), test.Count));
                string split = "\"split\": {\"test\": \"test.npy\", \"validation_fraction\": 0.1, \"seed\": 0}";
                if (heldOut != 0)
                {
                    Array("validation.npy", NdArray.Create("validation", Enumerable.Range(train.Count, validation.Count).Select(r => (long)r).ToArray(), validation.Count));
                    split = "\"split\": {\"test\": \"test.npy\", \"validation\": \"validation.npy\", \"seed\": 0}";
                }
                spec = $$$"""
                {
                  "inputs": [{"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {"type": "mlp", "hidden": [256]}}],
                  "tasks": [
                    {"name": "left", "type": "category", "path": "left.npy"},
                    {"name": "right", "type": "category", "path": "right.npy"}
                  ],
                  {{{split}}},
                  "model": {"architecture": "hps", "fusion": "concat", "hidden": [128]},
                  "training": {"epochs": 10, "batch_size": 128, "optimizer": "adam", "learning_rate": 0.002, "weighting": "ew", "seed": 0,
                               "early_stopping": {"metric": "loss", "patience": 3}}
                }
                """;
                break;
            }
            default:
            {
                var d = ShippedDatasets.LoadWordNetGlosses();
                Lines("glosses.txt", d.Texts());
                Lines("words.txt", d.Words); // not in the spec: the second text input of benchmarks/wordnet_fusion.py
                Labels("part_of_speech.npy", d.PartOfSpeech);
                Labels("supersense.npy", d.Supersense);
                spec = """
                {
                  "inputs": [{"name": "gloss", "type": "text", "path": "glosses.txt", "encoder": {"type": "embedding-bag", "dim": 64, "min_count": 2}}],
                  "tasks": [
                    {"name": "part_of_speech", "type": "category", "path": "part_of_speech.npy"},
                    {"name": "supersense", "type": "category", "path": "supersense.npy"}
                  ],
                  "split": {"test_fraction": 0.2, "validation_fraction": 0.05, "seed": 0},
                  "model": {"hidden": [128]},
                  "training": {"epochs": 3, "batch_size": 256, "learning_rate": 0.003}
                }
                """;
                break;
            }
        }
        File.WriteAllText(Path.Combine(directory, "spec.json"), spec + "\n");
        files.Add("spec.json");
        return files;
    }

    /// <summary>One part (<c>train</c> or <c>t10k</c>) of the published Fashion-MNIST files in <paramref name="folder"/>, gzip-compressed or not.</summary>
    private static FashionMnist ReadFashionMnist(string folder, string part)
    {
        string File(string kind)
        {
            string path = Path.Combine(folder, $"{part}-{kind}-idx{(kind == "images" ? 3 : 1)}-ubyte");
            if (System.IO.File.Exists(path + ".gz")) return path + ".gz";
            if (System.IO.File.Exists(path)) return path;
            throw new UsageException($"example: --fashion-mnist {folder} has no {Path.GetFileName(path)}.gz (nor {Path.GetFileName(path)}); give the folder of the published Fashion-MNIST files");
        }
        try
        {
            return FashionMnist.ReadFiles(File("images"), File("labels"));
        }
        catch (DataFormatException e)
        {
            throw new UsageException($"example: --fashion-mnist: {e.Message}");
        }
    }
}
