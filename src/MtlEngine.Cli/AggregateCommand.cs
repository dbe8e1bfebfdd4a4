using System.CommandLine;
using System.Globalization;
using MtlEngine.Data;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;

namespace MtlEngine.Cli;

/// <summary>
/// <c>mtl aggregate --method M --jacobian J.npy [--losses L.npy] [--seed S] --out D.npy [--weights-out W.npy]</c>
/// plus one option per parameter of the registry (<c>--cagrad-c 0.5</c>, ...): aggregates the task gradients, the rows of
/// J (float64 or float32, shape (T, P)), into the direction D (float64, shape (P,); the update is θ ← θ − lr·D) and, for
/// the methods that weight the rows, the weights W (float64, shape (T,), D = Wᵀ·J). The methods and their options come
/// from <see cref="GradientAggregators.All"/>, so a method added there appears here.
/// </summary>
internal static class AggregateCommand
{
    public static Command Create(TextWriter stdout)
    {
        var names = GradientAggregators.Names;
        var method = new Option<string>("--method") { Description = $"The aggregation method: {string.Join(", ", names)}.", Required = true };
        var jacobian = new Option<string>("--jacobian") { Description = "J: a float64 (or float32) .npy of shape (T, P), one task gradient per row.", Required = true };
        var losses = new Option<string?>("--losses") { Description = "The T task losses, a float .npy of shape (T,), for methods that read them." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the randomized methods.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Where to write D, float64 .npy of shape (P,).", Required = true };
        var weightsOut = new Option<string?>("--weights-out") { Description = "Where to write W, float64 .npy of shape (T,) (methods that weight the rows only)." };
        var command = new Command("aggregate", "Aggregate task gradients (the rows of a Jacobian) into one update direction: MGDA, UPGrad, CAGrad, IMTL-G, Aligned-MTL, ...")
        {
            method, jacobian, losses, seed, output, weightsOut,
        };
        var parameters = new List<(AggregatorEntry Entry, AggregatorParameter Parameter, Option<double?> Option)>();
        foreach (var entry in GradientAggregators.All)
            foreach (var parameter in entry.Parameters)
            {
                var option = new Option<double?>("--" + parameter.Name)
                {
                    Description = $"{entry.Name}: {parameter.Description} (default {parameter.Default.ToString(CultureInfo.InvariantCulture)}).",
                };
                parameters.Add((entry, parameter, option));
                command.Options.Add(option);
            }
        command.SetAction(parsed =>
        {
            string name = parsed.GetValue(method)!;
            if (!names.Contains(name))
                throw new UsageException($"--method {name}: unknown aggregation method; the methods are: {string.Join(", ", names)}");
            var values = new Dictionary<string, double>();
            foreach (var (entry, parameter, option) in parameters)
            {
                if (parsed.GetValue(option) is not double value) continue;
                if (entry.Name != name)
                    throw new UsageException($"--{parameter.Name} is a parameter of the method {entry.Name}, not of {name}");
                if (!double.IsFinite(value)) throw new UsageException($"--{parameter.Name} {value.ToString(CultureInfo.InvariantCulture)}: must be a finite number");
                values[parameter.Name] = value;
            }
            return Run(name, values, parsed.GetValue(jacobian)!, parsed.GetValue(losses), parsed.GetValue(seed),
                parsed.GetValue(output)!, parsed.GetValue(weightsOut), stdout);
        });
        return command;
    }

    public static int Run(string method, Dictionary<string, double> parameters, string jacobianPath, string? lossesPath, ulong seed,
        string outPath, string? weightsPath, TextWriter stdout)
    {
        CheckOutput(outPath, "--out");
        if (weightsPath is not null) CheckOutput(weightsPath, "--weights-out");
        var aggregator = GradientAggregators.Create(method, parameters, seed);
        var j = ReadJacobian(jacobianPath);
        var losses = lossesPath is null ? null : ReadLosses(lossesPath, j.Rows);
        var result = aggregator.Aggregate(j, losses);
        if (weightsPath is not null && result.Weights is null)
            throw new UsageException($"--weights-out: the method {method} does not weight the task gradients (its direction is not Wᵀ·J), so it has no weights to write");
        Npy.Write(outPath, NdArray.Create("", result.Direction, result.Direction.Length));
        stdout.WriteLine($"wrote {outPath}: direction of shape ({result.Direction.Length},) by {method} from {j.Rows} task gradient{(j.Rows == 1 ? "" : "s")}");
        if (weightsPath is not null)
        {
            Npy.Write(weightsPath, NdArray.Create("", result.Weights!, result.Weights!.Length));
            stdout.WriteLine($"wrote {weightsPath}: weights " + string.Join(" ", result.Weights.Select(w => w.ToString("G6", CultureInfo.InvariantCulture))));
        }
        return Program.ExitSuccess;
    }

    /// <summary>J: a float .npy of rank 2 with at least one row and column, every value finite, as float64.</summary>
    private static DenseMatrix ReadJacobian(string path)
    {
        var array = ArrayFiles.ReadNpy(path, "--jacobian");
        if (array.Rank != 2)
            throw new UsageException($"{path} (--jacobian): J must have shape (T, P), one task gradient per row, but has shape {Shape(array)}");
        if (array.DType is not (DType.Float64 or DType.Float32))
            throw new UsageException($"{path} (--jacobian): J has dtype {ArrayFiles.DTypeName(array.DType)}; pass float64 (or float32)");
        int rows = array.Shape[0], columns = array.Shape[1];
        if (rows == 0 || columns == 0)
            throw new UsageException($"{path} (--jacobian): J has shape {Shape(array)}; it needs at least one task and one parameter");
        var values = array.ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new UsageException($"{path} (--jacobian): J[{i / columns}, {i % columns}] is {values[i].ToString(CultureInfo.InvariantCulture)}; every entry must be finite");
        return new DenseMatrix(rows, columns, values);
    }

    /// <summary>The losses: a float .npy of shape (T,), every value finite.</summary>
    private static double[] ReadLosses(string path, int tasks)
    {
        var array = ArrayFiles.ReadNpy(path, "--losses");
        if (array.Rank != 1 || array.Shape[0] != tasks)
            throw new UsageException($"{path} (--losses): the losses must have shape ({tasks},), one per row of J, but have shape {Shape(array)}");
        if (array.DType is not (DType.Float64 or DType.Float32))
            throw new UsageException($"{path} (--losses): the losses have dtype {ArrayFiles.DTypeName(array.DType)}; pass float64 (or float32)");
        var values = array.ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new UsageException($"{path} (--losses): loss {i} is {values[i].ToString(CultureInfo.InvariantCulture)}; losses must be finite");
        return values;
    }

    private static void CheckOutput(string path, string option)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"{path} ({option}): the output must be a .npy file");
    }

    private static string Shape(NdArray array) => "(" + string.Join(", ", array.Shape.ToArray()) + (array.Rank == 1 ? ",)" : ")");
}
