using System.Globalization;
using MtlEngine.Cli.Output;
using MtlEngine.Datasets;
using MtlEngine.Learn;
using MtlEngine.Metrics;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Demo;

/// <summary>
/// The demo section "ridge-multitask": several regression targets fitted at once on shipped data, with a per-task table
/// of test R² and MSE from a fixed split (every 4th sample held out).
/// <list type="bullet">
/// <item>diabetes, two tasks (women, men: split by the sex column), target disease progression: one pooled Ridge, one Ridge
/// per task, and <see cref="MultiTaskRidge"/> between them (w_t = w₀ + v_t) for a few ratios λ_task / λ_shared.</item>
/// <item>linnerud, three targets (weight, waist, pulse) from three exercises: Ridge with the targets stacked (one shared α,
/// one factorization), RidgeCV with α per target, and MultiTaskRidge with the targets as tasks.</item>
/// </list>
/// </summary>
internal static class RidgeMultiTaskSection
{
    /// <summary>The section, listed in <see cref="DemoCommand.Sections"/>.</summary>
    public static DemoSection Section { get; } = new("ridge-multitask",
        "ridge and multi-task ridge: several regression targets at once (diabetes by sex, linnerud's 3 targets)", Run)
    {
        RunWithFigures = (output, figures) =>
        {
            Run(output);
            RidgePaths(figures);
        },
    };

    private static bool IsTest(int i) => i % 4 == 3;

    private static void Run(TextWriter output)
    {
        Diabetes(output);
        output.WriteLine();
        Linnerud(output);
    }

    /// <summary>The ridge coefficient paths on diabetes (standardized features, all patients) over α from 10⁻² to 10⁴.</summary>
    private static void RidgePaths(DemoFigures figures)
    {
        var data = ShippedDatasets.LoadDiabetes();
        int n = data.SampleCount, d = data.Features.Dim(1);
        var x = MtlTensor.FromArray(Standardize(data.Features.ToArray(), n, d), n, d);
        var y = MtlTensor.FromArray(data.Target(0), n);
        var alphas = Enumerable.Range(0, 25).Select(i => Math.Pow(10, -2 + 6.0 * i / 24)).ToArray();
        figures.Add(Plots.Figures.RidgePaths(x, y, alphas, data.FeatureNames, "Diabetes: ridge coefficient paths"),
            "Each standardized feature's coefficient for disease progression as the penalty α grows (log scale): all shrink towards 0, the weak ones first.");
    }

    private static void Diabetes(TextWriter output)
    {
        var data = ShippedDatasets.LoadDiabetes();
        int n = data.SampleCount, d = data.Features.Dim(1);
        var x = Standardize(data.Features.ToArray(), n, d);
        var y = data.Target(0);
        // Two tasks: the same prediction problem in two groups of patients (sex coded 1 and 2 in the raw data).
        var raw = data.Features.ToArray();
        string[] names = ["sex = 1", "sex = 2"];
        var groups = new[] { 1.0, 2.0 }.Select(code => Enumerable.Range(0, n).Where(i => raw[i * d + 1] == code).ToArray()).ToArray();
        var trainX = new List<MtlTensor<double>>();
        var trainY = new List<MtlTensor<double>>();
        var testX = new List<MtlTensor<double>>();
        var testY = new List<double[]>();
        foreach (var g in groups)
        {
            var train = g.Where(i => !IsTest(i)).ToArray();
            var test = g.Where(IsTest).ToArray();
            trainX.Add(Rows(x, d, train));
            trainY.Add(MtlTensor.FromArray(train.Select(i => y[i]).ToArray(), train.Length));
            testX.Add(Rows(x, d, test));
            testY.Add(test.Select(i => y[i]).ToArray());
        }
        output.WriteLine($"  diabetes: {n} patients, {d} standardized features, target disease progression; 2 tasks by sex "
            + $"({string.Join(", ", groups.Select((g, t) => $"{names[t]}: {g.Length}"))}); every 4th patient held out");
        var table = new TextTable("model", "task", ">test R²", ">test MSE");
        void AddRows(string model, Func<int, MtlTensor<double>, double[]> predict)
        {
            for (int t = 0; t < groups.Length; t++)
            {
                var p = predict(t, testX[t]);
                table.Add(model, names[t], Fixed(RegressionMetrics.R2(testY[t], p)), Fixed(RegressionMetrics.MeanSquaredError(testY[t], p), 0));
            }
        }
        const double alpha = 10;
        var pooled = new Ridge(Alpha: alpha).Fit(Concat(trainX), MtlTensor.FromArray(trainY.SelectMany(v => v.ToArray()).ToArray(), trainY.Sum(v => v.Dim(0))));
        AddRows($"Ridge pooled, α={alpha}", (_, xt) => pooled.Predict(xt).ToArray());
        var separate = trainX.Select((xt, t) => new Ridge(Alpha: alpha).Fit(xt, trainY[t])).ToArray();
        AddRows($"Ridge per task, α={alpha}", (t, xt) => separate[t].Predict(xt).ToArray());
        foreach (double ratio in new[] { 0.1, 1.0, 10.0 })
        {
            var mt = new MultiTaskRidge(LambdaShared: alpha, LambdaTask: alpha * ratio).Fit(trainX, trainY);
            AddRows($"MultiTaskRidge λ_task/λ_shared={ratio.ToString(CultureInfo.InvariantCulture)}", (t, xt) => mt.Predict(t, xt).ToArray());
        }
        table.WriteTo(output, 4);
        output.WriteLine("    (λ_task → ∞ is one pooled model with a per-task intercept, λ_shared → ∞ one ridge per task; λ_shared = 10)");
    }

    private static void Linnerud(TextWriter output)
    {
        var data = ShippedDatasets.LoadLinnerud();
        int n = data.SampleCount, d = data.Features.Dim(1), targets = data.Targets.Dim(1);
        var x = data.Features.ToArray();
        var yAll = data.Targets.ToArray();
        var train = Enumerable.Range(0, n).Where(i => !IsTest(i)).ToArray();
        var test = Enumerable.Range(0, n).Where(IsTest).ToArray();
        var xTrain = Rows(x, d, train);
        var xTest = Rows(x, d, test);
        var yTrain = Rows(yAll, targets, train);
        double[] TestTarget(int j) => test.Select(i => yAll[i * targets + j]).ToArray();
        output.WriteLine($"  linnerud: {n} men, {d} exercises ({string.Join(", ", data.FeatureNames)}) → {targets} targets ({string.Join(", ", data.TargetNames)}); "
            + $"train {train.Length}, test {test.Length}");
        var table = new TextTable("model", "target", ">α", ">test R²", ">test MSE");
        var stacked = new Ridge(Alpha: 10).Fit(xTrain, yTrain);
        var p = stacked.Predict(xTest).ToArray();
        for (int j = 0; j < targets; j++)
        {
            var pj = test.Select((_, r) => p[r * targets + j]).ToArray();
            table.Add("Ridge, targets stacked", data.TargetNames[j], "10", Fixed(RegressionMetrics.R2(TestTarget(j), pj)), Fixed(RegressionMetrics.MeanSquaredError(TestTarget(j), pj), 1));
        }
        var cv = new RidgeCV([0.1, 1, 10, 100, 1000, 10000], AlphaPerTarget: true).Fit(xTrain, yTrain);
        p = cv.Predict(xTest).ToArray();
        for (int j = 0; j < targets; j++)
        {
            var pj = test.Select((_, r) => p[r * targets + j]).ToArray();
            table.Add("RidgeCV, α per target (LOO)", data.TargetNames[j], TextTable.Number(cv.Alpha[j]), Fixed(RegressionMetrics.R2(TestTarget(j), pj)), Fixed(RegressionMetrics.MeanSquaredError(TestTarget(j), pj), 1));
        }
        // The targets as tasks of MultiTaskRidge (same X for each): w_t = w₀ + v_t pulls the three weight vectors together.
        var taskX = Enumerable.Repeat(xTrain, targets).ToList();
        var taskY = Enumerable.Range(0, targets).Select(j => MtlTensor.FromArray(train.Select(i => yAll[i * targets + j]).ToArray(), train.Length)).ToList();
        foreach (double ratio in new[] { 0.1, 10.0 })
        {
            var mt = new MultiTaskRidge(LambdaShared: 10, LambdaTask: 10 * ratio).Fit(taskX, taskY);
            for (int j = 0; j < targets; j++)
            {
                var pj = mt.Predict(j, xTest).ToArray();
                table.Add($"MultiTaskRidge λ_task/λ_shared={ratio.ToString(CultureInfo.InvariantCulture)}", data.TargetNames[j], "-",
                    Fixed(RegressionMetrics.R2(TestTarget(j), pj)), Fixed(RegressionMetrics.MeanSquaredError(TestTarget(j), pj), 1));
            }
        }
        table.WriteTo(output, 4);
        output.WriteLine("    (20 samples: the exercises explain little of the physiology; test R² near or below 0 is the honest result)");
    }

    private static string Fixed(double value, int digits = 3) => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static double[] Standardize(double[] x, int n, int d)
    {
        var z = (double[])x.Clone();
        for (int f = 0; f < d; f++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += x[i * d + f] / n;
            for (int i = 0; i < n; i++) sq += (x[i * d + f] - mean) * (x[i * d + f] - mean) / n;
            double sd = Math.Sqrt(sq);
            for (int i = 0; i < n; i++) z[i * d + f] = sd == 0 ? 0 : (x[i * d + f] - mean) / sd;
        }
        return z;
    }

    private static MtlTensor<double> Rows(double[] values, int width, int[] rows) =>
        MtlTensor.FromArray(rows.SelectMany(r => values.AsSpan(r * width, width).ToArray()).ToArray(), rows.Length, width);

    private static MtlTensor<double> Concat(List<MtlTensor<double>> parts) =>
        MtlTensor.FromArray(parts.SelectMany(p => p.ToArray()).ToArray(), parts.Sum(p => p.Dim(0)), parts[0].Dim(1));
}
