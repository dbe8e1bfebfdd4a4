using MtlEngine.Data;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

// Parameter groups, schedules per group, and the optimizer state dictionary: saving and loading it resumes training
// with the same bits as an uninterrupted run; a state that does not fit is refused with a message naming the entry.
public class OptimizerStateTests
{
    private static Sequential<float> Mlp(ulong seed)
    {
        var random = new TensorRandom(seed);
        return new Sequential<float>(new Linear<float>(6, 16, random), new ReLU<float>(), new Linear<float>(16, 3, random));
    }

    private static readonly MtlTensor<float>[] Inputs = Enumerable.Range(0, 4).Select(b => new TensorRandom(100 + (ulong)b).Normal([8, 6], 0f, 1f)).ToArray();
    private static readonly MtlTensor<float>[] Targets = Enumerable.Range(0, 4).Select(b => new TensorRandom(200 + (ulong)b).Normal([8, 3], 0f, 1f)).ToArray();

    /// <summary>The optimizers under test, over the MLP's two layers as two groups with their own options (or one group).</summary>
    public static TheoryData<string> Kinds => new() { "sgd", "sgd_groups", "adam", "adamw_groups", "rmsprop_groups" };

    private static Optimizer<float> Make(string kind, Sequential<float> net)
    {
        var first = net.Layers[0].Parameters();
        var second = net.Layers[2].Parameters();
        return kind switch
        {
            "sgd" => new Sgd<float>(net.Parameters(), 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
            "sgd_groups" => new Sgd<float>([new ParameterGroup<float>(first) { Nesterov = true }, new ParameterGroup<float>(second) { LearningRate = 0.01, Momentum = 0.5 }], 0.05, momentum: 0.9),
            "adam" => new Adam<float>(net.Parameters(), 0.01, weightDecay: 1e-3),
            "adamw_groups" => new AdamW<float>([new ParameterGroup<float>(first) { LearningRate = 3e-3 }, new ParameterGroup<float>(second) { WeightDecay = 0, Beta1 = 0.8 }], 0.01),
            "rmsprop_groups" => new RmsProp<float>([new ParameterGroup<float>(first) { Centered = true, Momentum = 0.5 }, new ParameterGroup<float>(second) { Alpha = 0.9 }], 0.01),
            _ => throw new ArgumentException(kind),
        };
    }

    /// <summary>
    /// Trains <paramref name="steps"/> steps (a cosine schedule scales each group's initial rate; at step 3 the last
    /// group's initial rate is changed by hand). With <paramref name="resumeAt"/>, the model and optimizer state are written to
    /// safetensors files at that step, and a fresh model (other initial weights) and a fresh optimizer load them and go on.
    /// Returns the final weights' bits.
    /// </summary>
    private static int[] Train(string kind, int steps, int? resumeAt, bool loadOptimizerState = true)
    {
        var net = Mlp(1);
        var optimizer = Make(kind, net);
        string folder = Path.Combine(Path.GetTempPath(), "mtl-optimizer-state-" + Guid.NewGuid().ToString("N"));
        try
        {
            for (int s = 0; s < steps; s++)
            {
                if (s == resumeAt)
                {
                    Directory.CreateDirectory(folder);
                    net.Save(Path.Combine(folder, "model.safetensors"));
                    Safetensors.Write(Path.Combine(folder, "optimizer.safetensors"), optimizer.StateDict());
                    net = Mlp(2);
                    optimizer = Make(kind, net);
                    net.Load(Path.Combine(folder, "model.safetensors"));
                    if (loadOptimizerState)
                    {
                        optimizer.LoadStateDict(Safetensors.Read(Path.Combine(folder, "optimizer.safetensors")).Tensors);
                        Assert.Equal(s, optimizer.StepCount);
                    }
                }
                if (s == 3) optimizer.Groups[^1].InitialLearningRate = 0.002; // the schedule's base for the last group from now on: restored from the state
                LearningRateScheduler<float>.Scaled(optimizer, new CosineSchedule(1.0, 20, 0.1)).Apply(optimizer.StepCount);
                optimizer.ZeroGrad();
                Losses.MeanSquaredError(net.Forward(Inputs[s % 4]), Targets[s % 4]).Backward();
                optimizer.Step();
            }
            return net.Parameters().SelectMany(p => p.ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Saving_and_loading_the_state_resumes_with_the_same_bits(string kind)
    {
        Assert.Equal(Train(kind, 10, null), Train(kind, 10, 5));
    }

    [Fact]
    public void Resuming_without_the_optimizer_state_gives_other_weights()
    {
        // The fresh optimizer does not load the state: its moments and step counts start again (so the test above can fail).
        Assert.NotEqual(Train("adam", 10, null), Train("adam", 10, 5, loadOptimizerState: false));
        Assert.NotEqual(Train("sgd", 10, null), Train("sgd", 10, 5, loadOptimizerState: false));
    }

    [Fact]
    public void The_state_dictionary_uses_pytorchs_names()
    {
        var net = Mlp(1);
        var optimizer = new RmsProp<float>([new ParameterGroup<float>(net.Layers[0].Parameters()) { Momentum = 0.5 }, new ParameterGroup<float>(net.Layers[2].Parameters()) { Centered = true }], 0.01);
        Assert.Equal(["step_count", "param_groups.0.params", "param_groups.0.lr", "param_groups.0.initial_lr", "param_groups.0.weight_decay", "param_groups.0.alpha",
            "param_groups.0.eps", "param_groups.0.momentum", "param_groups.0.centered", "param_groups.1.params", "param_groups.1.lr", "param_groups.1.initial_lr",
            "param_groups.1.weight_decay", "param_groups.1.alpha", "param_groups.1.eps", "param_groups.1.momentum", "param_groups.1.centered"],
            optimizer.StateDict().Select(a => a.Name));
        net.Layers[2].Parameters()[1].Grad = null;
        Losses.MeanSquaredError(net.Forward(Inputs[0]), Targets[0]).Backward();
        net.Layers[2].Parameters()[1].Grad = null; // the last bias takes no step: no state
        optimizer.Step();
        var state = optimizer.StateDict().Where(a => a.Name.StartsWith("state.", StringComparison.Ordinal)).Select(a => a.ToString()).ToArray();
        Assert.Equal([
            "state.0.step: int64 ()", "state.0.square_avg: float32 (16, 6)", "state.0.momentum_buffer: float32 (16, 6)",
            "state.1.step: int64 ()", "state.1.square_avg: float32 (16,)", "state.1.momentum_buffer: float32 (16,)",
            "state.2.step: int64 ()", "state.2.square_avg: float32 (3, 16)", "state.2.grad_avg: float32 (3, 16)"], state);
        Assert.Equal([0L, 1L], (long[])optimizer.StateDict().Single(a => a.Name == "param_groups.0.params").Data);
        Assert.Equal([2L, 3L], (long[])optimizer.StateDict().Single(a => a.Name == "param_groups.1.params").Data);
    }

    private static Adam<float> SteppedAdam(Sequential<float> net)
    {
        var adam = new Adam<float>([new ParameterGroup<float>(net.Layers[0].Parameters()), new ParameterGroup<float>(net.Layers[2].Parameters())], 0.01);
        Losses.MeanSquaredError(net.Forward(Inputs[0]), Targets[0]).Backward();
        adam.Step();
        return adam;
    }

    private static List<NdArray> Replace(IReadOnlyList<NdArray> state, string name, NdArray? replacement)
    {
        var list = state.Where(a => a.Name != name).ToList();
        if (replacement is not null) list.Add(replacement);
        return list;
    }

    [Fact]
    public void Loading_a_state_that_does_not_fit_is_refused_and_changes_nothing()
    {
        var net = Mlp(1);
        var source = SteppedAdam(Mlp(3)).StateDict();
        var target = SteppedAdam(net);
        var before = target.StateDict();

        void Refused(IReadOnlyList<NdArray> state, string expected)
        {
            var e = Assert.Throws<OptimizerStateException>(() => target.LoadStateDict(state));
            Assert.Contains(expected, e.Message);
            var after = target.StateDict();
            Assert.Equal(before.Select(a => a.Name), after.Select(a => a.Name));
            for (int i = 0; i < before.Count; i++) Assert.Equal(before[i].ToDoubleArray(), after[i].ToDoubleArray());
        }

        Refused(Replace(source, "state.0.exp_avg", NdArray.Create("state.0.exp_avg", new float[96], 6, 16)), "state.0.exp_avg has shape (6, 16) but parameter 0 has shape (16, 6)");
        Refused([.. source, NdArray.Create("state.1.momentum_buffer", new float[16])], "state.1.momentum_buffer");
        Refused([.. source, NdArray.Create("state.9.exp_avg", new float[3])], "only 4 parameters");
        Refused([.. source, NdArray.Create("bogus", new float[3])], "unexpected entry \"bogus\"");
        Refused(Replace(source, "param_groups.1.betas", null), "no entry \"param_groups.1.betas\"");
        Refused(Replace(source, "state.2.step", null), "no state.2.step");
        Refused(Replace(source, "param_groups.0.lr", NdArray.Create("param_groups.0.lr", new[] { -1.0 })), "param_groups.0.lr");
        Refused(new Sgd<float>(Mlp(1).Parameters(), 0.1, momentum: 0.9).StateDict(), "1 parameter groups but this Adam`1 has 2");
        var oneGroup = new Adam<float>(Mlp(1).Parameters(), 0.01);
        Assert.Contains("2 parameter groups", Assert.Throws<OptimizerStateException>(() => oneGroup.LoadStateDict(source)).Message);
        var regrouped = new Adam<float>([new ParameterGroup<float>(net.Layers[0].Parameters().Take(1)), new ParameterGroup<float>(net.Layers[0].Parameters().Skip(1).Concat(net.Layers[2].Parameters()))]);
        Assert.Contains("holds 2 parameters but this optimizer's group 0 holds 1", Assert.Throws<OptimizerStateException>(() => regrouped.LoadStateDict(source)).Message);

        target.LoadStateDict(source); // the state that fits loads
        Assert.Equal(source.Select(a => a.Name), target.StateDict().Select(a => a.Name));
    }

    [Fact]
    public void Groups_take_the_defaults_they_leave_unset_and_refuse_shared_parameters()
    {
        var net = Mlp(1);
        var first = net.Layers[0].Parameters();
        var sgd = new Sgd<float>([new ParameterGroup<float>(first) { Momentum = 0.5 }, new ParameterGroup<float>(net.Layers[2].Parameters()) { LearningRate = 0.01 }], 0.1, momentum: 0.9, weightDecay: 0.1);
        Assert.Equal([0.1, 0.01], sgd.Groups.Select(g => g.LearningRate!.Value));
        Assert.Equal([0.5, 0.9], sgd.Groups.Select(g => g.Momentum!.Value));
        Assert.Equal([0.1, 0.1], sgd.Groups.Select(g => g.WeightDecay!.Value));
        Assert.Equal([0.1, 0.01], sgd.Groups.Select(g => g.InitialLearningRate!.Value));
        Assert.Null(sgd.Groups[0].Beta1); // not an SGD option
        Assert.Equal(4, sgd.Parameters.Count);
        Assert.Equal(0.1, sgd.LearningRate);
        sgd.LearningRate = 0.3; // one-group code: every group
        Assert.Equal([0.3, 0.3], sgd.Groups.Select(g => g.LearningRate!.Value));

        Assert.Throws<ArgumentException>(() => new Adam<float>([new ParameterGroup<float>(first), new ParameterGroup<float>(first.Take(1))]));
        Assert.Throws<ArgumentException>(() => new Sgd<float>([new ParameterGroup<float>(first) { Nesterov = true }], 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd<float>(Array.Empty<ParameterGroup<float>>(), 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>([new ParameterGroup<float>(first) { Beta2 = 1.0 }]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp<float>([new ParameterGroup<float>(first) { LearningRate = -1 }]));
    }

    [Fact]
    public void A_scheduler_drives_each_group()
    {
        var net = Mlp(1);
        var adam = new Adam<float>([new ParameterGroup<float>(net.Layers[0].Parameters()), new ParameterGroup<float>(net.Layers[2].Parameters()) { LearningRate = 0.1 }], 0.01);
        var scaled = LearningRateScheduler<float>.Scaled(adam, new StepSchedule(1.0, 2, 0.5));
        scaled.Apply(5); // factor 0.5² = 0.25 of each group's initial rate
        Assert.Equal([0.0025, 0.025], adam.Groups.Select(g => g.LearningRate!.Value));
        var perGroup = LearningRateScheduler<float>.PerGroup(adam, new CosineSchedule(0.02, 10), new WarmupSchedule(new StepSchedule(0.4, 100), 4));
        perGroup.Apply(0);
        Assert.Equal([0.02, 0.1], adam.Groups.Select(g => g.LearningRate!.Value));
        perGroup.Apply(10);
        Assert.Equal([0.0, 0.4], adam.Groups.Select(g => g.LearningRate!.Value));
        Assert.Throws<ArgumentException>(() => LearningRateScheduler<float>.PerGroup(adam, new CosineSchedule(0.02, 10)));
        Assert.Throws<InvalidOperationException>(() => LearningRateScheduler<float>.PerGroup(adam, new LambdaSchedule(_ => -1), new LambdaSchedule(_ => 1)).Apply(0));
    }
}
