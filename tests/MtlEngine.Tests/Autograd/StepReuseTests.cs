using MtlEngine.Kernels;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Autograd;

/// <summary>
/// The objects a training step reuses (issue 22, buffer reuse that cannot bite): graph nodes after a backward pass, the
/// tensors and storages of a backward pass (TensorPool), interned shapes, the fork–join job. Reuse must never change what
/// a kept tensor holds or means.
/// </summary>
[Collection(AllocationMeasurementCollection.Name)]
public class StepReuseTests
{
    private static MtlTensor<double> Leaf(int rows, int columns, double scale)
    {
        var data = new double[rows * columns];
        for (int i = 0; i < data.Length; i++) data[i] = Math.Sin(scale * (i + 1));
        var leaf = MtlTensor.FromArray(data, rows, columns);
        leaf.RequiresGrad = true;
        return leaf;
    }

    [Fact]
    public void AKeptTensorKeepsItsValuesAndOperationWhileLaterStepsReuseItsNode()
    {
        var x = Leaf(3, 5, 0.7);
        var kept = (x * 2.0).Exp();
        double[] values = kept.ToArray();
        kept.Sum().Backward(); // releases the graph: kept's node goes back to the free list

        for (int step = 0; step < 5; step++) // the same operations again: they take the released nodes
        {
            var other = (x * 3.0).Exp();
            other.Sum().Backward();
        }

        Assert.Equal(values, kept.ToArray());
        Assert.Equal("Exp", kept.GradFunction);
        Assert.True(kept.RequiresGrad);
        Assert.False(kept.IsLeaf);
        var e = Assert.Throws<InvalidOperationException>(() => kept.Sum().Backward());
        Assert.Contains("second time", e.Message);
        Assert.Contains("Exp", e.Message);
    }

    [Fact]
    public void RepeatedStepsGiveBitwiseTheGradientsOfAGraphThatIsNotReused()
    {
        var w = Leaf(4, 3, 0.3);
        var b = Leaf(1, 3, 1.1);
        var input = MtlTensor.FromArray(Enumerable.Range(0, 20).Select(i => Math.Cos(0.4 * i)).ToArray(), 5, 4);
        MtlTensor<double> Loss() => (input.Matmul(w) + b).Relu().Square().Mean() + (input.Matmul(w) * 0.5).Tanh().Sum();

        // retainGraph keeps every node (nothing is reused): the reference.
        Loss().Backward(retainGraph: true);
        double[] wReference = w.Grad!.ToArray(), bReference = b.Grad!.ToArray();

        var arena = new TensorArena();
        for (int step = 0; step < 6; step++)
        {
            using var scope = arena.Step();
            w.ZeroGrad();
            b.ZeroGrad();
            Loss().Backward();
            Assert.Equal(wReference, w.Grad!.ToArray());
            Assert.Equal(bReference, b.Grad!.ToArray());
        }
    }

    [Fact]
    public void ATensorLentByABackwardPassThrowsOnceThePassHasTakenItBack()
    {
        var a = MtlTensor.FromArray(new[] { 1.0, 2.0, 3.0 }, 3);
        TensorPool<double>.Open();
        MtlTensor<double> lent;
        try
        {
            lent = a + 1.0;
            Assert.True(TensorPool<double>.LentCount > 0);
            Assert.Equal(new[] { 2.0, 3.0, 4.0 }, lent.ToArray());
            using (TensorPool<double>.Suspend())
            {
                var leaves = a * 2.0; // made while lending is suspended: it leaves the pass and stays valid
                Assert.Equal(new[] { 2.0, 4.0, 6.0 }, leaves.ToArray());
            }
        }
        finally
        {
            TensorPool<double>.Close();
        }
        var e = Assert.Throws<ArenaReuseException>(() => lent.ToArray());
        Assert.Contains("backward pass", e.Message);
        Assert.Equal(0, TensorPool<double>.LentCount);

        // Outside a pass nothing is lent: a result is a new object.
        var fresh = a + 1.0;
        Assert.NotSame(lent, fresh);
        Assert.Equal(new[] { 2.0, 3.0, 4.0 }, fresh.ToArray());
    }

    [Fact]
    public void LeafGradientsAndGradOfResultsAreNotTakenFromThePassPool()
    {
        var x = Leaf(2, 3, 0.9);
        (x * x).Sum().Backward(); // x.Grad is created by this pass
        var grad = x.Grad!;
        double[] first = grad.ToArray();
        var gradients = MtlEngine.Autograd.Grad.Of((x * 3.0).Sum(), [x]);
        for (int step = 0; step < 3; step++) (x.Exp() * 2.0).Sum().Backward(); // later passes reuse the pool
        Assert.Same(grad, x.Grad);
        Assert.Equal(3.0, gradients[0]!.ToArray()[0]); // still readable: a copy made outside the pool
        Assert.NotEqual(first, x.Grad!.ToArray()); // accumulated in place, never retired
    }

    [Fact]
    public void InternedShapesHoldTheirValuesAndAreShared()
    {
        var random = new Random(5);
        var made = new List<(int[] Values, int[] Interned)>();
        for (int i = 0; i < 5000; i++) // far more shapes than the table holds: misses overwrite, values never change
        {
            var values = new int[random.Next(0, 10)];
            for (int d = 0; d < values.Length; d++) values[d] = random.Next(0, 40);
            var interned = ShapeCache.Intern(values);
            Assert.Equal(values, interned);
            Assert.NotSame(values, interned);
            made.Add((values, interned));
        }
        foreach (var (values, interned) in made) Assert.Equal(values, interned);
        Assert.Same(ShapeCache.Intern([256, 512]), ShapeCache.Intern([256, 512]));
        Assert.Equal(new[] { 20, 5, 1 }, ShapeCache.ContiguousStrides([3, 4, 5]));
        Assert.Equal(new[] { 1, 1 }, ShapeCache.ContiguousStrides([0, 1])); // as MtlTensor.ContiguousStrides: size 0 counts as 1
    }

    private readonly struct CountShares(int[] counts, int failAt) : IShareBody
    {
        public void Run(int share)
        {
            Interlocked.Increment(ref counts[share]);
            if (share == failAt) throw new InvalidOperationException($"share {share} failed");
        }
    }

    [Fact]
    public void ForkJoinRunsEveryShareOnceAndRethrowsAFailure()
    {
        for (int round = 0; round < 200; round++)
        {
            int shares = 1 + round % 5;
            var counts = new int[shares];
            ForkJoin.Run(shares, new CountShares(counts, failAt: -1));
            Assert.All(counts, c => Assert.Equal(1, c));
        }
        var seen = new int[4];
        var e = Assert.Throws<InvalidOperationException>(() => ForkJoin.Run(4, new CountShares(seen, failAt: 2)));
        Assert.Equal("share 2 failed", e.Message);
        Assert.All(seen, c => Assert.Equal(1, c)); // the other shares still ran
        var after = new int[3];
        ForkJoin.Run(3, new CountShares(after, failAt: -1)); // and the loop works afterwards
        Assert.All(after, c => Assert.Equal(1, c));
    }

    /// <summary>Counts its shares; with <c>startHeld</c>, share 0 first starts the held work items (an earlier loop's, late) on this thread.</summary>
    private readonly struct CountOrStartHeld(int[] counts, List<IThreadPoolWorkItem>? startHeld) : IShareBody
    {
        public void Run(int share)
        {
            if (share == 0 && startHeld is not null)
            {
                var items = startHeld.ToArray();
                startHeld.Clear();
                foreach (var item in items) item.Execute();
            }
            Interlocked.Increment(ref counts[share]);
        }
    }

    [Fact]
    public void ForkJoinReusesItsJobWhileItsWorkItemsWaitAndALateWorkItemHelpsTheLoopThenRunning()
    {
        var held = new List<IThreadPoolWorkItem>(64); // the work items, never started by a pool: every one starts late
        Action<IThreadPoolWorkItem> queue = held.Add;
        var counts = new int[3];
        ForkJoin.Run(3, new CountOrStartHeld(counts, null), queue); // warm: the job of this body type exists
        Assert.Equal([1, 1, 1], counts);
        Assert.Equal(2, held.Count);
        int wrong = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int loop = 0; loop < 200; loop++)
        {
            Array.Clear(counts);
            ForkJoin.Run(3, new CountOrStartHeld(counts, null), queue);
            for (int share = 0; share < 3; share++) wrong += counts[share] == 1 ? 0 : 1; // the caller ran every share once
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, wrong);
        Assert.Equal(0, allocated); // no job a loop (there was one per loop while the earlier work items waited)
        Assert.Equal(2, held.Count); // and no more work items than the loop's extra shares
        foreach (var item in held) item.Execute(); // started after their loops: nothing left to claim
        held.Clear();

        // Work items of an earlier loop that start inside a later loop claim that loop's shares: each share still runs once.
        var first = new int[4];
        ForkJoin.Run(4, new CountOrStartHeld(first, null), queue); // leaves 3 work items held
        Assert.Equal([1, 1, 1, 1], first);
        Assert.Equal(3, held.Count);
        var later = new int[4];
        ForkJoin.Run(4, new CountOrStartHeld(later, held), queue); // queues none: the 3 held ones claim shares 1–3 from inside share 0
        Assert.Equal([1, 1, 1, 1], later);
        Assert.Empty(held);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AMultiTaskTrainingStepAllocatesUnderFourKilobytes(int threads)
    {
        using var parallelism = TensorParallelism.Use(new Parallelism(threads));
        var random = new TensorRandom(3);
        var tasks = new[] { new TaskSpec("a", TaskKind.Classification, 10), new TaskSpec("b", TaskKind.Classification, 5), new TaskSpec("c", TaskKind.Regression, 1) };
        var net = new MultiTaskNet<float>(64, [48, 48], tasks, random);
        using var optimizer = new Adam<float>(net.Parameters(), 1e-3);
        var x = random.Normal([96, 64], 0f, 1f);
        var labelsA = random.Integers([96], 0, 10).ToArray();
        var labelsB = random.Integers([96], 0, 5).ToArray();
        var y = random.Normal([96, 1], 0f, 1f);
        var arena = new TensorArena();
        void Step()
        {
            using var scope = arena.Step();
            var outputs = net.ForwardTasks(x);
            var loss = Losses.CrossEntropy(outputs[0], labelsA) + Losses.CrossEntropy(outputs[1], labelsB) + Losses.MeanSquaredError(outputs[2], y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        for (int i = 0; i < 5; i++) Step();
        const int steps = 20;
        long before = GC.GetAllocatedBytesForCurrentThread(); // this thread's: other tests run beside this one
        for (int i = 0; i < steps; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
        Assert.True(perStep < 4096, $"{perStep} bytes allocated per steady step on {threads} thread(s)");
    }
}
