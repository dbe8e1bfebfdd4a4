using System.CommandLine;
using System.Globalization;
using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Cli.Fit;

/// <summary>
/// <c>mtl fit logreg --x X.npy --y y.npy [--c C] [--class-weight balanced] [--max-iter N] [--tol T] [--solver lbfgs|newton-cg]
/// [--sample-weight w.npy] --save M.safetensors</c>: logistic regression (<see cref="LogisticRegression"/>) on integer
/// labels; prints the solver, iterations, whether it converged, the final loss and the training accuracy.
/// </summary>
internal static class LogregFitCommand
{
    public static Command Create(TextWriter stdout)
    {
        var x = FitCommand.XOption();
        var y = new Option<string>("--y") { Description = "The class labels: an integer .npy of shape (n_samples,).", Required = true };
        var c = new Option<double>("--c") { Description = "C, the inverse regularization strength (> 0).", DefaultValueFactory = _ => 1.0 };
        var classWeight = new Option<string?>("--class-weight") { Description = "'balanced': weigh each class by n_samples / (n_classes · its count)." };
        var maxIter = new Option<int>("--max-iter") { Description = "The iteration limit.", DefaultValueFactory = _ => 100 };
        var tol = new Option<double>("--tol") { Description = "Stop when max|gradient| ≤ tol.", DefaultValueFactory = _ => 1e-4 };
        var solver = new Option<string>("--solver") { Description = "lbfgs or newton-cg.", DefaultValueFactory = _ => "lbfgs" };
        var sampleWeight = new Option<string?>("--sample-weight") { Description = "Per-sample weights: a float .npy of shape (n_samples,)." };
        var save = FitCommand.SaveOption();
        var threads = FitCommand.ThreadsOption();
        var memoryBudget = StreamedFit.MemoryBudgetOption();
        var command = new Command("logreg", "Logistic regression (binary or multinomial), as scikit-learn's LogisticRegression.")
            { x, y, c, classWeight, maxIter, tol, solver, sampleWeight, save, threads, memoryBudget };
        command.SetAction(parsed =>
        {
            using var threadScope = TensorParallelism.Use(FitCommand.Threads(parsed.GetValue(threads))); // the streamed fits read the ambient default
            if (StreamedFit.Budget(parsed.GetValue(memoryBudget), parsed.GetValue(x)) is long budget)
                return StreamedFit.Logreg(stdout, parsed.GetValue(x)!, parsed.GetValue(y)!, parsed.GetValue(sampleWeight), budget, parsed.GetValue(c),
                    parsed.GetValue(classWeight), parsed.GetValue(maxIter), parsed.GetValue(tol), parsed.GetValue(solver)!, parsed.GetValue(save)!);
            var features = FitInput.Features(parsed.GetValue(x)!);
            int n = features.Dim(0);
            var labels = FitInput.Labels(parsed.GetValue(y)!, n);
            double cValue = parsed.GetValue(c);
            if (!(cValue > 0))
                throw new UsageException($"--c must be > 0 (the inverse regularization strength), not {cValue.ToString(CultureInfo.InvariantCulture)}");
            if (labels.Distinct().Count() < 2)
                throw new UsageException($"{parsed.GetValue(y)} (--y): all labels are {labels.FirstOrDefault()}; logistic regression needs at least two classes");
            string? weighting = parsed.GetValue(classWeight);
            if (weighting is not null && weighting != "balanced")
                throw new UsageException($"--class-weight: '{weighting}' is not supported; use 'balanced' (or leave it out)");
            var solverKind = parsed.GetValue(solver) switch
            {
                "lbfgs" => LogisticSolver.Lbfgs,
                "newton-cg" => LogisticSolver.NewtonCg,
                var other => throw new UsageException($"--solver: '{other}' is not a solver; use lbfgs or newton-cg"),
            };
            string? weightsPath = parsed.GetValue(sampleWeight);
            var weights = weightsPath is null ? null : FitInput.SampleWeights(weightsPath, n);
            var options = new LogisticRegression
            {
                C = cValue,
                BalancedClassWeight = weighting == "balanced",
                MaxIterations = parsed.GetValue(maxIter),
                Tolerance = parsed.GetValue(tol),
                Solver = solverKind,
                Parallelism = FitCommand.Threads(parsed.GetValue(threads)),
            };
            var model = options.Fit(features, labels, weights);
            string path = parsed.GetValue(save)!;
            model.Save(path);
            var r = model.Report!;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"logreg: {n} samples × {model.Features} features, {model.Classes.Length} classes ({(model.CoefficientRows == 1 ? "binary" : "multinomial")}), C={cValue:G}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"solver={(solverKind == LogisticSolver.Lbfgs ? "lbfgs" : "newton-cg")} iterations={r.Iterations} converged={(r.Converged ? "yes" : "no")} loss={r.Loss:G10} gradient={r.GradientNorm:E2} train_accuracy={model.Score(features, labels):F4}"));
            if (!r.Converged)
                stdout.WriteLine($"warning: not converged ({r.Message}); raise --max-iter or scale the features");
            stdout.WriteLine($"saved {path}");
            return 0;
        });
        return command;
    }

    /// <summary>The "logreg" entry of <c>mtl predict</c>: labels as float64 (n,), or probabilities (n, n_classes) with --proba.</summary>
    public static MtlTensor<double> Predict(ModelFileContents file, MtlTensor<double> x, bool proba)
    {
        var model = LogisticRegressionModel.Load(file.Path);
        if (x.Dim(1) != model.Features)
            throw new UsageException($"--x has {x.Dim(1)} features but the model in {file.Path} was fitted on {model.Features}");
        if (proba) return model.PredictProba(x);
        var labels = model.Predict(x);
        return MtlTensor.FromArray(labels.Select(l => (double)l).ToArray(), labels.Length);
    }
}
