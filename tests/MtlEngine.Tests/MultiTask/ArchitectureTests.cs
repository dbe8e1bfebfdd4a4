using MtlEngine.Autograd;
using MtlEngine.MultiModal;
using MtlEngine.MultiTask;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.MultiTask;

/// <summary>
/// The multi-task architectures: forward shapes, gradients (w.r.t. parameters and inputs) against finite differences in
/// double precision, the identities between them (MMoE with one expert, CGC with one shared expert and no task experts,
/// cross-stitch with α = I, PLE with one level), and parameter roles that say what each parameter reaches.
/// </summary>
public class ArchitectureTests
{
    private const int Features = 3;

    private static readonly TaskSpec[] s_tasks = [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 2)];

    private static KeyValuePair<string, InputEncoder<double>>[] Dense() => [new("x", new IdentityEncoder<double>(Features))];

    private static MtlTensor<double> Inputs(int n, double phase = 0) =>
        MtlTensor.FromArray(Enumerable.Range(0, n * Features).Select(i => Math.Sin(0.7 * i + phase) + 0.3 * Math.Cos(1.3 * i)).ToArray(), n, Features);

    /// <summary>Every architecture over the dense input, tiny sizes, and a name for messages.</summary>
    public static TheoryData<string> Names => new() { "hps", "cross-stitch", "mmoe", "cgc", "ple", "dselect-k" };

    private static FusedInputModel<double> Build(string name, IReadOnlyList<TaskSpec>? tasks = null, ulong seed = 5)
    {
        tasks ??= s_tasks;
        var random = new TensorRandom(seed);
        return name switch
        {
            "hps" => new HardParameterSharing<double>(Dense(), [4], tasks, random),
            "cross-stitch" => new CrossStitch<double>(Dense(), tasks, [4, 3], random, towerHidden: [2]),
            "mmoe" => new MultiGateMixtureOfExperts<double>(Dense(), tasks, experts: 3, expertHidden: [4], random, towerHidden: [3]),
            "cgc" => new CustomizedGateControl<double>(Dense(), tasks, sharedExperts: 2, taskExperts: 1, expertHidden: [4], random),
            "ple" => new ProgressiveLayeredExtraction<double>(Dense(), tasks, levels: 3, sharedExperts: 1, taskExperts: 2, expertHidden: [3], random),
            "dselect-k" => new DSelectK<double>(Dense(), tasks, experts: 3, k: 2, expertHidden: [4], random, entropyRegularization: 0.1),
            _ => throw new ArgumentException(name),
        };
    }

    private static ModelOutput<double> Run(MultiTaskModel<double> model, MtlTensor<double> x) => model.Forward(Batch<double>.Of("x", x));

    [Theory]
    [MemberData(nameof(Names))]
    public void TheLastSharedLayerIsTheLastWeightOfEveryParallelSharedModule(string name)
    {
        var model = Build(name);
        string[] expected = name switch
        {
            "hps" => ["trunk.0.weight"],
            "cross-stitch" => ["columns.a.2.weight", "columns.b.2.weight"],
            "mmoe" or "dselect-k" => ["experts.0.0.weight", "experts.1.0.weight", "experts.2.0.weight"],
            "cgc" => ["shared_experts.0.0.weight", "shared_experts.1.0.weight"],
            "ple" => ["levels.2.shared_experts.0.0.weight"],
            _ => throw new ArgumentException(name),
        };
        var names = model.LastSharedLayer().Select(w => model.NamedParameters().Single(p => ReferenceEquals(p.Value, w)).Key).ToArray();
        Assert.Equal(expected, names);
        Assert.All(names, n => Assert.Equal(ParameterRole.Shared, model.RoleOf(n).Role));
    }

    [Fact]
    public void WithoutSharedExpertsTheLastSharedLayerIsTheBasesRule()
    {
        // CGC without shared experts shares only the encoder; an identity encoder has no weight, so there is no such layer.
        var cgc = new CustomizedGateControl<double>(Dense(), s_tasks, sharedExperts: 0, taskExperts: 1, expertHidden: [4], new TensorRandom(1));
        var error = Assert.Throws<InvalidOperationException>(() => cgc.LastSharedLayer());
        Assert.Contains("no shared parameter named *.weight", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EachTaskGetsItsOutputsAndARepresentationPerTask(string name)
    {
        var model = Build(name);
        var output = Run(model, Inputs(5));
        Assert.Equal([5, 3], output["a"].Shape.ToArray());
        Assert.Equal([5, 2], output["b"].Shape.ToArray());
        Assert.Equal(["a", "b"], output.Representations.Keys.Order().ToArray());
        foreach (var r in output.Representations.Values) Assert.Equal(5, r.Shape[0]);
        // The one-tensor Forward: HPS's shared representation, the others' task outputs side by side.
        Assert.Equal(name == "hps" ? [5, 4] : [5, 3 + 2], model.Forward(Inputs(5)).Shape.ToArray());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GradientsWithRespectToTheInputsAgreeWithFiniteDifferences(string name)
    {
        var model = Build(name);
        var check = GradCheck.Check(a =>
        {
            var output = Run(model, a[0]);
            return MtlTensor.Concatenate([output["a"], output["b"]], axis: 1);
        }, [Inputs(4, 0.4)]);
        Assert.True(check.Passed, check.Message);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GradientsWithRespectToEveryParameterAgreeWithFiniteDifferences(string name)
    {
        var model = Build(name);
        var x = Inputs(4, 0.9);
        CheckParameterGradients(model, () => Run(model, x));
    }

    /// <summary>
    /// Central differences of L = Σₜ Σ rₜ ⊙ outputₜ (fixed random rₜ) against backward, for every element of every
    /// parameter (every <c>stride</c>-th element of the flattened parameters when they are many, so that the check stays
    /// fast; the stride is odd-sized so every parameter is sampled): |analytic − numeric| ≤ 1e-6 + 1e-5·|numeric|.
    /// </summary>
    internal static void CheckParameterGradients(MultiTaskModel<double> model, Func<ModelOutput<double>> forward, int budget = 100)
    {
        long count = model.ParameterCount;
        int stride = (int)(count / budget) | 1;
        long index = 0;
        var first = forward();
        var weights = model.Tasks.ToDictionary(t => t.Name, t => new TensorRandom(11).Uniform(first[t.Name].Shape.ToArray(), 0.5, 1.5));
        MtlTensor<double> Objective()
        {
            var output = forward();
            MtlTensor<double>? total = null;
            foreach (var task in model.Tasks)
            {
                var term = (output[task.Name] * weights[task.Name]).Sum();
                total = total is null ? term : total + term;
            }
            return total!;
        }
        model.ZeroGrad();
        Objective().Backward();
        const double epsilon = 1e-6;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            var analytic = parameter.Grad?.ToArray() ?? new double[parameter.Length];
            using (Grad.NoGrad())
            {
                var data = parameter.AsSpan();
                for (int e = 0; e < data.Length; e++)
                {
                    if (index++ % stride != 0 && e != data.Length - 1) continue;
                    double saved = data[e];
                    data[e] = saved + epsilon;
                    double plus = Objective().Item();
                    data[e] = saved - epsilon;
                    double minus = Objective().Item();
                    data[e] = saved;
                    double numeric = (plus - minus) / (2 * epsilon);
                    Assert.True(Math.Abs(analytic[e] - numeric) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                        $"{name}[{e}]: analytic {analytic[e]:R}, numeric {numeric:R}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void RolesCoverEveryParameterAndATasksParametersReachOnlyItsOutputs(string name)
    {
        var model = Build(name, [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 2), new("c", TaskKind.Binary, 1)]);
        model.CheckRoles();
        var x = Inputs(4, 0.2);
        foreach (var task in model.Tasks)
        {
            // Backward from the other tasks' outputs alone: this task's parameters get no gradient.
            model.ZeroGrad();
            var output = Run(model, x);
            var others = model.Tasks.Where(t => t != task).Select(t => output[t.Name].Sum()).Aggregate((p, q) => p + q);
            others.Backward();
            var own = model.TaskParameters(task.Name);
            Assert.NotEmpty(own);
            foreach (var (parameter, value) in own)
                Assert.True(value.Grad is null || value.Grad.ToArray().All(g => g == 0), $"{name}: {parameter} of task {task.Name} reaches another task's output");
        }
        Assert.Equal(model.ParameterCount, model.SharedParameters().Sum(p => (long)p.Value.Length) + model.Tasks.Sum(t => model.TaskParameters(t.Name).Sum(p => (long)p.Value.Length)));
    }

    /// <summary>Copies every parameter of <paramref name="from"/> into <paramref name="to"/> under the name <paramref name="rename"/> gives it.</summary>
    private static void CopyWeights(Module<double> from, Module<double> to, Func<string, string> rename)
    {
        var target = to.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        using (Grad.NoGrad())
            foreach (var (name, value) in from.NamedParameters())
                value.CopyTo(target[rename(name)].Detach());
    }

    private static void AssertSameOutputs(ModelOutput<double> expected, ModelOutput<double> actual, IEnumerable<string> tasks)
    {
        foreach (string task in tasks)
        {
            var e = expected[task].ToArray();
            var a = actual[task].ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-13, $"{task}[{i}]: {e[i]:R} vs {a[i]:R}");
        }
    }

    private static KeyValuePair<string, InputEncoder<double>>[] TwoInputs(ulong seed) =>
        [new("x", new MlpEncoder<double>(Features, [4], new TensorRandom(seed))), new("y", new IdentityEncoder<double>(2))];

    private static Batch<double> TwoInputBatch() => new(new Dictionary<string, BatchInput<double>>
    {
        ["x"] = BatchInput<double>.Dense(Inputs(5, 0.1), MtlTensor.FromArray([1.0, 0, 1, 1, 1], 5)),
        ["y"] = BatchInput<double>.Dense(MtlTensor.FromArray(Enumerable.Range(0, 10).Select(i => Math.Cos(i * 0.9)).ToArray(), 5, 2)),
    });

    [Fact]
    public void MmoeWithOneExpertIsHardParameterSharing()
    {
        var hps = new HardParameterSharing<double>(TwoInputs(1), [5, 4], s_tasks, new TensorRandom(2));
        var mmoe = new MultiGateMixtureOfExperts<double>(TwoInputs(3), s_tasks, experts: 1, expertHidden: [5, 4], new TensorRandom(4));
        CopyWeights(hps, mmoe, n => n.StartsWith("trunk.", StringComparison.Ordinal) ? "experts.0." + n["trunk.".Length..] : n);
        AssertSameOutputs(hps.Forward(TwoInputBatch()), mmoe.Forward(TwoInputBatch()), ["a", "b"]);
        Assert.All(mmoe.GateWeights(TwoInputBatch()).Values.SelectMany(g => g.ToArray()), g => Assert.Equal(1.0, g));
    }

    [Fact]
    public void CgcWithOneSharedExpertAndNoTaskExpertsIsHardParameterSharing()
    {
        var hps = new HardParameterSharing<double>(TwoInputs(1), [5], s_tasks, new TensorRandom(2));
        var cgc = new CustomizedGateControl<double>(TwoInputs(3), s_tasks, sharedExperts: 1, taskExperts: 0, expertHidden: [5], new TensorRandom(4));
        CopyWeights(hps, cgc, n => n.StartsWith("trunk.", StringComparison.Ordinal) ? "shared_experts.0." + n["trunk.".Length..] : n);
        AssertSameOutputs(hps.Forward(TwoInputBatch()), cgc.Forward(TwoInputBatch()), ["a", "b"]);
    }

    [Fact]
    public void PleWithOneLevelIsCgc()
    {
        var cgc = new CustomizedGateControl<double>(TwoInputs(1), s_tasks, sharedExperts: 2, taskExperts: 2, expertHidden: [4, 3], new TensorRandom(2), towerHidden: [2]);
        var ple = new ProgressiveLayeredExtraction<double>(TwoInputs(3), s_tasks, levels: 1, sharedExperts: 2, taskExperts: 2, expertHidden: [4, 3],
            new TensorRandom(4), towerHidden: [2]);
        var levelParts = new[] { "shared_experts.", "task_experts.", "gates." };
        CopyWeights(cgc, ple, n => levelParts.Any(p => n.StartsWith(p, StringComparison.Ordinal)) ? "levels.0." + n : n);
        AssertSameOutputs(cgc.Forward(TwoInputBatch()), ple.Forward(TwoInputBatch()), ["a", "b"]);
        Assert.Equal(cgc.SharedParameters().Select(p => "levels.0." + p.Key).Where(n => !n.Contains("encoders")),
            ple.SharedParameters().Select(p => p.Key).Where(n => !n.Contains("encoders")));
    }

    [Fact]
    public void CrossStitchWithIdentityUnitsIsOneIndependentNetworkPerTask()
    {
        var model = new CrossStitch<double>(TwoInputs(1), s_tasks, [5, 4], new TensorRandom(2));
        using (Grad.NoGrad())
            foreach (var unit in model.Units) MtlTensor.FromArray([1.0, 0, 0, 1], 2, 2).CopyTo(unit.Alpha.Detach());
        var output = model.Forward(TwoInputBatch());
        foreach (var task in s_tasks)
        {
            var single = new HardParameterSharing<double>(TwoInputs(7), [5, 4], [task], new TensorRandom(8));
            var mine = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
            using (Grad.NoGrad())
                foreach (var (name, value) in single.NamedParameters())
                {
                    string source = name.StartsWith("trunk.", StringComparison.Ordinal) ? $"columns.{task.Name}." + name["trunk.".Length..] : name;
                    mine[source].CopyTo(value.Detach());
                }
            AssertSameOutputs(single.Forward(TwoInputBatch()), output, [task.Name]);
        }
    }

    [Theory]
    [InlineData(2, new[] { 5 }, 4)]
    [InlineData(3, new[] { 5, 3 }, 1)]
    [InlineData(4, new[] { 7, 2, 3 }, 6)]
    public void TheExpertsFusedFirstLayerEqualsTheExpertsOneByOneWithTheSameGradients(int count, int[] hidden, int n)
    {
        var random = new TensorRandom(9);
        var experts = Enumerable.Range(0, count).Select(e => Sequential<double>.Perceptron(Features, hidden, random)).ToArray();
        var x = Inputs(n, 0.5);
        var parameters = experts.SelectMany(e => e.Parameters()).ToArray();
        var r = new TensorRandom(2).Uniform([n, count, hidden[^1]], -1.0, 1.0);
        (double[] Values, double[][] Gradients) Run(Func<MtlTensor<double>> forward)
        {
            foreach (var p in parameters) p.ZeroGrad();
            var y = forward();
            (y * r).Sum().Backward();
            return (y.ToArray(), parameters.Select(p => p.Grad!.ToArray()).ToArray());
        }
        var fused = Run(() => ArchitectureParts.RunExperts(experts, x));
        var twin = Run(() => ArchitectureParts.RunExpertsOneByOne(experts, x));
        Assert.Equal(twin.Values.Length, fused.Values.Length);
        for (int i = 0; i < twin.Values.Length; i++) Assert.Equal(twin.Values[i], fused.Values[i], 12);
        for (int p = 0; p < parameters.Length; p++)
            for (int i = 0; i < twin.Gradients[p].Length; i++) Assert.Equal(twin.Gradients[p][i], fused.Gradients[p][i], 12);
    }

    [Fact]
    public void TheExpertsFusedFirstLayerInsideArenaStepsEqualsTheTwinWithTheSameGradients()
    {
        // The concatenated weights take the previous step's buffer (ConcatenateInStep): step 1 leaves other values in it,
        // step 2 must still equal the one-by-one twin run outside any arena.
        var random = new TensorRandom(5);
        var experts = Enumerable.Range(0, 3).Select(e => Sequential<double>.Perceptron(Features, [4, 2], random)).ToArray();
        var parameters = experts.SelectMany(e => e.Parameters()).ToArray();
        var x = Inputs(6, 0.5);
        var r = new TensorRandom(2).Uniform([6, 3, 2], -1.0, 1.0);
        foreach (var p in parameters) p.ZeroGrad();
        var y = ArchitectureParts.RunExpertsOneByOne(experts, x);
        (y * r).Sum().Backward();
        double[] twinValues = y.ToArray();
        double[][] twinGradients = parameters.Select(p => p.Grad!.ToArray()).ToArray();
        var originals = parameters.Select(p => MtlTensor.FromArray(p.ToArray(), p.Shape.ToArray())).ToArray();
        var arena = new TensorArena();
        double[] values = [];
        double[][] gradients = [];
        for (int step = 0; step < 2; step++)
        {
            using var scope = arena.Step();
            using (Grad.NoGrad())
                for (int k = 0; k < parameters.Length; k++) (step == 0 ? originals[k].Add(0.25) : originals[k]).CopyTo(parameters[k].Detach()); // step 1 sees other weights
            foreach (var p in parameters) p.ZeroGrad();
            var fused = ArchitectureParts.RunExperts(experts, x);
            (fused * r).Sum().Backward();
            values = fused.ToArray();
            gradients = parameters.Select(p => p.Grad!.ToArray()).ToArray();
        }
        Assert.Equal(twinValues, values);
        for (int p = 0; p < parameters.Length; p++) Assert.Equal(twinGradients[p], gradients[p]);
    }

    [Fact]
    public void CrossStitchUnitsStartAsThePapersNearIdentityMix()
    {
        var model = new CrossStitch<double>(Dense(), [new("a", TaskKind.Regression, 1), new("b", TaskKind.Regression, 1), new("c", TaskKind.Regression, 1)],
            [2], new TensorRandom(1));
        Assert.Equal([0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9], model.Units[0].Alpha.ToArray());
        Assert.Equal([1.0], new CrossStitchUnit<double>(1).Alpha.ToArray());
    }

    [Fact]
    public void DSelectKSelectorsAreDistributionsAndTheSmoothStepIsTheAuthorsPolynomial()
    {
        var gate = new DSelectKGate<double>(Features, experts: 4, k: 2, gamma: 1, new TensorRandom(3));
        var t = MtlTensor.FromArray([-2.0, -0.5, -0.25, 0, 0.25, 0.5, 0.7], 7);
        var s = gate.SmoothStep(t).ToArray();
        double Cubic(double v) => -2 * v * v * v + 1.5 * v + 0.5;
        Assert.Equal([0, 0, Cubic(-0.25), 0.5, Cubic(0.25), 1, 1], s.Select(v => Math.Round(v, 15)).ToArray());
        var selectors = gate.Selectors(Inputs(5));
        Assert.Equal([5, 2, 4], selectors.Shape.ToArray());
        foreach (double sum in selectors.Sum(-1).ToArray()) Assert.Equal(1.0, sum, 12); // E = 2ᵐ: every code names an expert
        foreach (double sum in gate.Forward(Inputs(5)).Sum(-1).ToArray()) Assert.Equal(1.0, sum, 12);
        // Saturated selectors pick single experts: at most k nonzero weights per row.
        using (Grad.NoGrad())
            foreach (var (name, p) in gate.NamedParameters().Where(p => p.Key.StartsWith("z_logits", StringComparison.Ordinal)))
                p.Multiply(1e4).CopyTo(p.Detach());
        foreach (var row in Rows(gate.Forward(Inputs(5)))) Assert.True(row.Count(v => v > 1e-12) <= 2, string.Join(", ", row));
    }

    private static IEnumerable<double[]> Rows(MtlTensor<double> m) => m.ToArray().Chunk(m.Shape[1]);

    [Fact]
    public void DSelectKRegularizationPenalizesUnreachableCodesWhenTheExpertsAreNotAPowerOfTwo()
    {
        var model = new DSelectK<double>(Dense(), s_tasks, experts: 3, k: 1, expertHidden: [2], new TensorRandom(1));
        var (_, regularization) = model.ForwardWithRegularization(Batch<double>.Of("x", Inputs(4)));
        // Near initialization each code has weight ≈ 1/4, so the 3 reachable experts hold ≈ 3/4: ≈ 4/3 per sample, selector and task.
        Assert.Equal(2 * 4 * 4.0 / 3, regularization.Item(), 1);
        var four = new DSelectK<double>(Dense(), s_tasks, experts: 4, k: 1, expertHidden: [2], new TensorRandom(1));
        Assert.Equal(0.0, four.ForwardWithRegularization(Batch<double>.Of("x", Inputs(4))).Regularization.Item());
    }

    private static readonly TaskSpec[] s_pictureTasks = [new("a", TaskKind.Classification, 3), new("b", TaskKind.Regression, 1)];

    private static MultiTaskAttentionNetwork<double> Mtan(ulong seed = 1) => new(
        [new("picture", new CnnEncoder<double>(1, 5, 4, [2, 3], new TensorRandom(seed)))], s_pictureTasks, new TensorRandom(seed + 1), towerHidden: [2]);


    private static MtlTensor<double> Pictures(int n, double phase = 0) =>
        MtlTensor.FromArray(Enumerable.Range(0, n * 20).Select(i => Math.Sin(0.37 * i + phase) + 0.2 * Math.Cos(2.1 * i)).ToArray(), n, 1, 5, 4);

    [Fact]
    public void MtanGivesEachTaskItsAttentionOverTheSharedCnnAndItsGradientsAgree()
    {
        var model = Mtan();
        var batch = Batch<double>.Of("picture", Pictures(3));
        var output = model.Forward(batch);
        Assert.Equal([3, 3], output["a"].Shape.ToArray());
        Assert.Equal([3, 1], output["b"].Shape.ToArray());
        Assert.NotEqual(output.Representations["a"].ToArray(), output.Representations["b"].ToArray());
        var masks = model.AttentionMasks(batch, "a", "picture");
        Assert.Equal([3, 2, 5, 4], masks[0].Shape.ToArray()); // block 0 at full size, pooled to 2 × 2 after the attention
        Assert.Equal([3, 3, 2, 2], masks[1].Shape.ToArray());
        Assert.All(masks.SelectMany(m => m.ToArray()), v => Assert.InRange(v, 0.0, 1.0));
        model.CheckRoles();
        CheckParameterGradients(model, () => model.Forward(Batch<double>.Of("picture", Pictures(2, 0.3))), budget: 60);
        var check = GradCheck.Check(a => model.Forward(Batch<double>.Of("picture", a[0]))["a"], [Pictures(2, 0.7)]);
        Assert.True(check.Passed, check.Message);
    }

    [Fact]
    public void MtanSaysWhichInputHasNoCnnEncoder()
    {
        var error = Assert.Throws<ArgumentException>(() => new MultiTaskAttentionNetwork<double>(
            [new("picture", new CnnEncoder<double>(1, 4, 4, [2], new TensorRandom(1))), new("stats", new MlpEncoder<double>(3, [2], new TensorRandom(2)))],
            s_pictureTasks, new TensorRandom(3)));
        Assert.Contains("\"stats\"", error.Message);
        Assert.Contains("MlpEncoder", error.Message);
    }

    [Fact]
    public void TheCnnEncodersBlockFeaturesRebuildItsEncoding()
    {
        var cnn = new CnnEncoder<double>(1, 5, 4, [2, 3], new TensorRandom(4));
        var pictures = Pictures(3);
        var features = cnn.BlockFeatures(pictures);
        var rebuilt = cnn.Readout(cnn.PoolBlock(1, features[1]));
        Assert.Equal(cnn.Forward(pictures).ToArray(), rebuilt.ToArray());
    }

    [Theory]
    [InlineData("experts")]
    [InlineData("k")]
    [InlineData("levels")]
    public void BadSettingsAreRejectedWithTheirMeaning(string what)
    {
        var error = what switch
        {
            "experts" => Assert.Throws<ArgumentException>(() => new MultiGateMixtureOfExperts<double>(Dense(), s_tasks, 0, [2], new TensorRandom(1))),
            "k" => Assert.Throws<ArgumentException>(() => new DSelectK<double>(Dense(), s_tasks, 3, 4, [2], new TensorRandom(1))),
            _ => Assert.Throws<ArgumentException>(() => new ProgressiveLayeredExtraction<double>(Dense(), s_tasks, 2, 0, 1, [2], new TensorRandom(1))),
        };
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
