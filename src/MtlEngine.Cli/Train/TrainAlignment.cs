using System.Text.Json.Nodes;
using MtlEngine.Metrics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Cli.Train;

/// <summary>
/// The <c>alignment</c> section of <c>mtl train</c>: a <see cref="ContrastiveAligner{T}"/> of two inputs, each through a fresh
/// encoder as its spec says, trained on the training rows that have both, and its retrieval on the test rows that have both.
/// The aligner's "inputs" are row numbers (n, 1): <see cref="RowEncoder"/> reads those rows of the data set, so text, pictures
/// and tables all go through their own encoders.
/// </summary>
internal static class TrainAlignment
{
    /// <summary>Trains the aligner and returns what metrics.json holds under <c>alignment</c>.</summary>
    public static JsonObject Run(TrainSpec spec, PreparedData data)
    {
        var alignment = spec.Alignment!;
        var random = new TensorRandom(spec.Training.Seed, stream: 7);
        RowEncoder Encoder(string name)
        {
            int i = spec.Inputs.ToList().FindIndex(input => input.Name == name);
            return new RowEncoder(data.Dataset, name, TrainRun.BuildEncoder(spec.Inputs[i], data.Preprocessing[i], random));
        }
        var a = Encoder(alignment.InputA);
        var b = Encoder(alignment.InputB);
        var model = new ContrastiveAligner<float>(a, a.OutputWidth, b, b.OutputWidth, alignment.Dim, random, Math.Log(1 / alignment.Temperature));
        var train = BothPresent(data, alignment, data.TrainRows);
        var test = BothPresent(data, alignment, data.TestRows);
        if (train.Length < 2)
            throw new SpecException("alignment.inputs", $"the training rows hold {train.Length} samples with both \"{alignment.InputA}\" and \"{alignment.InputB}\"; alignment needs at least 2");
        var trainRows = Rows(train);
        var report = model.Fit(trainRows, trainRows, new ContrastiveFitOptions(alignment.Epochs, alignment.BatchSize, alignment.LearningRate, Seed: spec.Training.Seed));
        var result = new JsonObject
        {
            ["inputs"] = new JsonArray(alignment.InputA, alignment.InputB),
            ["dim"] = alignment.Dim,
            ["train_pairs"] = train.Length,
            ["test_pairs"] = test.Length,
            ["epoch_losses"] = new JsonArray(report.EpochLosses.Select(l => (JsonNode)l).ToArray()),
            ["final_temperature"] = Math.Exp(-report.FinalLogitScale),
        };
        if (alignment.Retrieval && test.Length > 0)
        {
            var testRows = Rows(test);
            AddRetrieval(result, model.Similarity(testRows, testRows), test.Length);
        }
        return result;
    }

    /// <summary>
    /// <c>alignment.joint</c>: what metrics.json holds under <c>alignment</c> for the task model trained with the alignment loss
    /// beside its task losses: the retrieval in its shared space on the test rows that have both inputs, and the final
    /// temperature.
    /// </summary>
    public static JsonObject Joint(TrainSpec spec, PreparedData data, MultiTask.FusedInputModel<float> model)
    {
        var alignment = spec.Alignment!;
        var joint = model.JointAlignment!;
        var train = BothPresent(data, alignment, data.TrainRows);
        var test = BothPresent(data, alignment, data.TestRows);
        var result = new JsonObject
        {
            ["inputs"] = new JsonArray(alignment.InputA, alignment.InputB),
            ["joint"] = true,
            ["weight"] = alignment.Weight,
            ["dim"] = alignment.Dim,
            ["train_pairs"] = train.Length,
            ["test_pairs"] = test.Length,
            ["final_temperature"] = joint.ClipLoss.Temperature,
        };
        if (alignment.Retrieval && test.Length > 0) AddRetrieval(result, model.AlignmentSimilarity(data.Dataset, test, test), test.Length);
        return result;
    }

    /// <summary>Recall@1/5/10, median and mean rank both ways from the (n, n) similarities of paired rows, and chance.</summary>
    private static void AddRetrieval(JsonObject result, MtlTensor<float> similarity, int pairs)
    {
        var (aToB, bToA) = RetrievalMetrics.Paired(similarity);
        result["a_to_b"] = Json(aToB);
        result["b_to_a"] = Json(bToA);
        result["chance"] = new JsonObject
        {
            ["recall@1"] = RetrievalMetrics.ChanceRecallAt(1, pairs),
            ["recall@5"] = RetrievalMetrics.ChanceRecallAt(5, pairs),
            ["recall@10"] = RetrievalMetrics.ChanceRecallAt(10, pairs),
            ["median_rank"] = (pairs + 1) / 2.0,
        };
    }

    private static JsonObject Json(RetrievalMetrics m) => new()
    {
        ["recall@1"] = m.RecallAt1,
        ["recall@5"] = m.RecallAt5,
        ["recall@10"] = m.RecallAt10,
        ["median_rank"] = m.MedianRank,
        ["mean_rank"] = m.MeanRank,
    };

    /// <summary>The rows among <paramref name="rows"/> where both inputs are present.</summary>
    private static int[] BothPresent(PreparedData data, AlignmentSpec alignment, int[] rows)
    {
        if (rows.Length == 0) return [];
        var batch = data.Dataset.Batch(rows);
        var a = batch.Inputs[alignment.InputA].Present?.ToArray();
        var b = batch.Inputs[alignment.InputB].Present?.ToArray();
        return [.. rows.Where((_, k) => (a is null || a[k] != 0) && (b is null || b[k] != 0))];
    }

    private static MtlTensor<float> Rows(int[] rows) => MtlTensor.FromArray(rows.Select(r => (float)r).ToArray(), rows.Length, 1);

    /// <summary>An input's encoder over row numbers: (n, 1) rows of the data set → (n, width), through the input's own encoder.</summary>
    internal sealed class RowEncoder : Module<float>
    {
        private readonly MultiTaskDataset<float> _data;
        private readonly string _name;
        private readonly InputEncoder<float> _encoder;

        public RowEncoder(MultiTaskDataset<float> data, string name, InputEncoder<float> encoder)
        {
            _data = data;
            _name = name;
            _encoder = RegisterModule("encoder", encoder);
        }

        public int OutputWidth => _encoder.OutputWidth;

        public override MtlTensor<float> Forward(MtlTensor<float> input)
        {
            var rows = input.ToArray().Select(v => (int)v).ToArray();
            var batch = _data.BatchInStep(rows); // inside ContrastiveAligner.Fit's arena step: the step's buffers, as the trainer's batches
            return _encoder.Encode(batch.Inputs[_name], _name);
        }
    }
}
